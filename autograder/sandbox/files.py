"""Trusted side: the sandbox's files -- a disk per unit, and reading what a child wrote.

Everything a child can write is the child's to choose: a symlink to a secret, a FIFO
that never ends, ``/dev/zero``, a hard link to a huge file, a header that lies, a
folder nested thousands deep.  So the grader never opens a child's file by a path
that follows links, reads it only when it is a regular file with one link, reads at
most a fixed number of bytes, parses ``.npy`` headers itself against an allowlist,
and removes folders without recursion.  When the grader runs as root each unit
folder is its own size- and inode-limited tmpfs, so a child that fills its disk
fills only its own, and another grading's writes never fail because of it.
"""
from __future__ import annotations

import ctypes
import errno
import os
import stat
import tempfile
from pathlib import Path

import numpy as np

from .child import npy
from .policy import MIN_FREE_TMP, UNIT_DISK_BYTES, UNIT_DISK_INODES

_libc = ctypes.CDLL(None, use_errno=True)
MS_NOSUID, MS_NODEV, MS_NOEXEC, MNT_DETACH = 2, 4, 8, 2


class GraderError(Exception):
    """A failure of the grader's own machinery (its writes, its disk): never the
    submission's fault, reported as the grader's."""


class ChildFileError(ValueError):
    """A file the child wrote that the grader refuses to read (the child's fault)."""


# ---------------------------------------------------------------- disks

def check_tmpdir() -> Path:
    """The temporary folder the grader works in, checked before grading starts."""
    folder = Path(tempfile.gettempdir())
    try:
        info = os.stat(folder)
        room = os.statvfs(folder)
    except OSError as exc:
        raise GraderError(f"the temporary folder {folder} cannot be used ({exc}); "
                          "set TMPDIR to a writable folder") from None
    if not stat.S_ISDIR(info.st_mode) or not os.access(folder, os.W_OK | os.X_OK):
        raise GraderError(f"the temporary folder {folder} is not a writable folder; "
                          "set TMPDIR to one")
    if info.st_mode & stat.S_IWOTH and not info.st_mode & stat.S_ISVTX:
        raise GraderError(f"the temporary folder {folder} is world-writable without the "
                          "sticky bit: others could replace the grader's files")
    free = room.f_bavail * room.f_frsize
    if free < MIN_FREE_TMP or (room.f_files and room.f_favail < 1000):
        raise GraderError(f"the temporary folder {folder} is nearly full "
                          f"({free >> 20} MB, {room.f_favail} inodes free)")
    return folder


def mount_tmpfs(path: Path, size: int, inodes: int) -> bool:
    """Mount a private, limited tmpfs at ``path`` (root only); False when refused."""
    if os.getuid() != 0:
        return False
    options = f"size={size},nr_inodes={inodes},mode=0755".encode()
    return _libc.mount(b"nn100", str(path).encode(), b"tmpfs",
                       MS_NOSUID | MS_NODEV | MS_NOEXEC, options) == 0


def unmount(path: Path) -> None:
    _libc.umount2(str(path).encode(), MNT_DETACH)


def make_folder(parent: Path | None, prefix: str, size=UNIT_DISK_BYTES,
                inodes=UNIT_DISK_INODES) -> tuple[Path, bool]:
    """A fresh grader-owned folder, on its own tmpfs when possible: (path, on_tmpfs)."""
    try:
        path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    except OSError as exc:
        raise GraderError(f"the grader could not create its working folder ({exc})") from None
    os.chmod(path, 0o755)
    return path, mount_tmpfs(path, size, inodes)


def remove_folder(path: Path, mounted: list[Path] = ()) -> None:
    """Unmount what was mounted under ``path``, then delete it without recursion."""
    for mount in reversed(list(mounted)):
        unmount(mount)
    remove_tree(path)


def remove_tree(top: Path) -> None:
    """Delete a folder however deep: every sub-folder is first moved up to the top
    level (one rename, no long paths), so no step recurses or builds a long path.
    Folders a child chmod'ed to 000 are opened up first: without root, nothing may be
    opened, listed or moved (moving a folder rewrites its "..") that denies it."""
    if not top.is_symlink():
        _open_up(top)
    try:
        top_fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return
    except OSError:
        try:
            os.unlink(top)
        except OSError:
            pass
        return
    counter, retries = 0, {}
    try:
        pending = [None]  # None: the top itself; else a name at the top level
        while pending:
            name = pending.pop()
            try:
                fd = top_fd if name is None else os.open(
                    name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=top_fd)
            except OSError:
                if name is not None:
                    _unlink(name, top_fd)
                continue
            try:
                for entry in list(os.scandir(fd)):
                    if entry.is_dir(follow_symlinks=False):
                        _open_up(entry.name, fd)  # a folder, not a link: checked just above
                        counter += 1
                        moved = f".gone-{counter}"
                        try:
                            if name is None:
                                moved = entry.name
                            else:
                                os.rename(entry.name, moved, src_dir_fd=fd, dst_dir_fd=top_fd)
                            pending.append(moved)
                        except OSError:
                            pass
                    else:
                        _unlink(entry.name, fd)
            finally:
                if fd != top_fd:
                    os.close(fd)
            if name is not None:
                try:
                    os.rmdir(name, dir_fd=top_fd)
                except OSError:
                    retries[name] = retries.get(name, 0) + 1
                    if retries[name] < 3:  # its sub-folders go first: try it again after
                        pending.insert(0, name)
    finally:
        os.close(top_fd)
    try:
        os.rmdir(top)
    except OSError:
        pass


def _open_up(path, dir_fd=None) -> None:
    try:
        os.chmod(path, stat.S_IRWXU, dir_fd=dir_fd)
    except OSError:
        pass


def _unlink(name, dir_fd) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass


def grader_write(what: str, action, *args):
    """Run one of the grader's own writes, ``action(*args)``; a failure is the grader's
    error."""
    try:
        return action(*args)
    except OSError as exc:
        reason = "its disk is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else str(exc)
        raise GraderError(f"the grader could not write {what}: {reason}") from None


# ---------------------------------------------------------------- reading the child's files

def read_capped(dir_fd: int, name: str, cap: int) -> bytes:
    """The bytes of ``name`` in the folder ``dir_fd`` when it is a regular file with a
    single link and at most ``cap`` bytes; else ChildFileError.  Never follows a
    symlink, never blocks on a FIFO or a device, never reads more than cap + 1 bytes."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                     dir_fd=dir_fd)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ChildFileError(f"{name} could not be opened ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ChildFileError(f"{name} is not a regular file")
        if info.st_nlink != 1:
            raise ChildFileError(f"{name} has {info.st_nlink} links")
        if info.st_size > cap:
            raise ChildFileError(f"{name} is larger than {cap} bytes")
        chunks, total = [], 0
        while total <= cap:
            chunk = os.read(fd, min(1 << 20, cap + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > cap:
            raise ChildFileError(f"{name} is larger than {cap} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def parse_npy(data: bytes) -> np.ndarray:
    """A plain numeric, C-ordered ndarray from the bytes of a .npy file a child wrote,
    parsed strictly (``child/npy.py``: no pickle, no object arrays, no header that
    lies), or ChildFileError."""
    try:
        return npy.decode(data)
    except npy.FormatError as error:
        raise ChildFileError(str(error)) from None


def load_array(path) -> np.ndarray:
    """A .npy file by path, read with the same care (for the grader's tests and tools)."""
    folder, name = os.path.split(os.fspath(path))
    fd = os.open(folder or ".", os.O_RDONLY | os.O_DIRECTORY)
    try:
        return parse_npy(read_capped(fd, name, 256 << 20))
    finally:
        os.close(fd)
