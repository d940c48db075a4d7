"""One unit's child: its folder (a copy of the submission, the harness, inputs and
outputs), the FIFOs jobs go over, and reading back what it wrote."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import select
import shutil
import time
from pathlib import Path

from .child import npy, protocol
from .files import (ChildFileError, grader_write,
                    make_folder, parse_npy, read_capped, remove_folder)
from .safe_text import visible, visible_tree
from .job import SANDBOX_PREFIX, Job, JobResult, JobStatus, Wait
from .policy import (HARNESS, HARNESS_FILES, MAX_JOB_BYTES, MAX_JSON_BYTES,
                     MAX_SUBMISSION_BYTES, MAX_SUBMISSION_DEPTH, MAX_SUBMISSION_FILES,
                     MESSAGE_CHARS, OUTPUT_SHOWN, unit_policy)




# ---------------------------------------------------------------- one unit's folder



def _copy_submission(package: Path, dest: Path) -> None:
    """Copy regular files only, without recursion: symlinks, devices, caches and
    folders nested deeper than any package needs are left behind, so a link to the
    reference cannot smuggle it into the sandbox.  Copies are readable, never
    writable, by the child."""
    total, count, pending = 0, 0, [(Path(), 0)]
    while pending:
        rel, depth = pending.pop()
        (dest / rel).mkdir(parents=True, exist_ok=True)
        os.chmod(dest / rel, 0o755)
        with os.scandir(package / rel) as entries:
            for entry in entries:
                if entry.is_symlink():
                    continue
                if entry.is_dir():
                    if entry.name != "__pycache__" and depth < MAX_SUBMISSION_DEPTH:
                        pending.append((rel / entry.name, depth + 1))
                    continue
                if not entry.is_file() or entry.name.endswith(".pyc"):
                    continue
                total += entry.stat().st_size
                count += 1
                if total > MAX_SUBMISSION_BYTES or count > MAX_SUBMISSION_FILES:
                    raise ValueError(f"grade: the nn100 package is larger than "
                                     f"{MAX_SUBMISSION_BYTES >> 20} MB or "
                                     f"{MAX_SUBMISSION_FILES} files")
                shutil.copyfile(entry.path, dest / rel / entry.name)
                os.chmod(dest / rel / entry.name, 0o644)
                if entry.name.endswith(".py"):
                    _add_bytecode(dest / rel / entry.name)


# Every unit's child imports the same sources: compiled here once per grading (compiling
# runs none of their code) instead of once per unit.  A hash-checked .pyc is used only
# while it matches its source byte for byte; a file too large, or one that does not
# compile, is left to the child, which compiles it under its own limits and reports why.
PRECOMPILED_MAX_BYTES = 256 << 10


@functools.lru_cache(maxsize=64)
def _bytecode(source: bytes) -> bytes | None:
    try:
        code = compile(source, "<submission>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return importlib._bootstrap_external._code_to_hash_pyc(
        code, importlib.util.source_hash(source), checked=True)


def _add_bytecode(path: Path) -> None:
    source = path.read_bytes()
    data = _bytecode(source) if len(source) <= PRECOMPILED_MAX_BYTES else None
    if data is None:
        return
    cached = Path(importlib.util.cache_from_source(str(path)))
    cached.parent.mkdir(mode=0o755, exist_ok=True)
    cached.write_bytes(data)
    os.chmod(cached.parent, 0o755)
    os.chmod(cached, 0o644)


class _Unit:
    """A unit's folder and the grader's handles on it.  The top and everything in it
    but out/ and home/ belong to the grader (root); the grader holds descriptors on
    out/, stdout.txt, stderr.txt and both FIFOs before the child starts, so nothing
    the child renames or replaces is ever what the grader reads."""

    def __init__(self, package, jobs, limits, calibrate=False, parent=None, changes=None):
        self.path, self.on_tmpfs = make_folder(parent, f"{SANDBOX_PREFIX}{os.getpid()}-")
        self.mounts = [self.path] if self.on_tmpfs else []
        self.fds = {}
        try:
            self.policy = unit_policy(self.path, limits, jobs, **(changes or {}))
            self._lay_out(package, calibrate)
        except BaseException:
            self.remove()
            raise

    def _lay_out(self, package, calibrate):
        work, target = self.path, self.policy.drop_to
        for sub in ("out", "home", "harness"):
            grader_write("the unit's folders", os.mkdir, work / sub)
        for name in HARNESS_FILES:
            grader_write("the harness", shutil.copyfile, HARNESS / name, work / "harness" / name)
        if package is not None:
            grader_write("the copy of the submission",
                         lambda: _copy_submission(package, work / "sub" / "nn100"))
        self.write_task(calibrate)
        for name in (protocol.JOBS_FIFO, protocol.DONE_FIFO):
            grader_write("the unit's FIFOs", os.mkfifo, work / name, 0o600)
        for name in ("stdout.txt", "stderr.txt"):
            self.fds[name] = grader_write("the child's output files", os.open, work / name,
                                          os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        if target:
            for sub in ("out", "home"):
                os.chown(work / sub, *target)
        for path in [work / "harness", *(work / "harness").iterdir()]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)  # the child reads, never writes
        self.fds["out"] = os.open(work / "out", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        self.fds["jobs"] = os.open(work / protocol.JOBS_FIFO, os.O_RDWR | os.O_NONBLOCK)
        self.fds["done"] = os.open(work / protocol.DONE_FIFO, os.O_RDWR | os.O_NONBLOCK)
        self.pending = b""

    def write_task(self, calibrate: bool = False) -> None:
        """The child's task file: its policy, and whether it is the calibration probe."""
        task = json.dumps({"calibrate": calibrate, "policy": json.loads(self.policy.to_json())})
        grader_write(protocol.TASK_FILE, lambda: (self.path / protocol.TASK_FILE).write_text(task))

    # -- the protocol

    def send(self, job: Job, seconds: float, proc) -> Wait:
        """Write ``job`` to the jobs FIFO: one line (its operation, spec, and the names and
        sizes of its input arrays), then those arrays as .npy bytes, back to back.  The
        child reads them before it runs the job; nothing is left behind for a later job
        to find.  DONE once written; TIMEOUT when the child stops reading for ``seconds``,
        DIED when it is gone."""
        listing, arrays = npy.pack(job.arrays)
        line = json.dumps({"op": job.op, "spec": job.spec, "arrays": listing})
        data = memoryview(line.encode() + b"\n" + arrays)
        fd, deadline = self.fds["jobs"], time.monotonic() + seconds
        while data:
            try:
                data = data[os.write(fd, data):]
                continue
            except BlockingIOError:  # the pipe is full: the child is reading, or not
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                return Wait.TIMEOUT
            if not select.select([], [fd], [], min(left, 0.05))[1] and proc.poll() is not None:
                return Wait.DIED
        return Wait.DONE

    def wait_for(self, token: str, seconds: float, proc) -> Wait:
        """Wait until the child reports ``token``, dies or runs out of ``seconds``."""
        deadline = time.monotonic() + seconds
        fd = self.fds["done"]
        while True:
            lines = self.pending.split(b"\n")
            self.pending = lines.pop()[-64:]
            if token.encode() in lines:
                return Wait.DONE
            left = deadline - time.monotonic()
            if left <= 0:
                return Wait.TIMEOUT
            ready, _, _ = select.select([fd], [], [], min(left, 0.05))
            if ready:
                try:
                    self.pending += os.read(fd, 4096)
                except BlockingIOError:
                    pass
                continue
            if proc.poll() is not None:
                try:  # the last report may have arrived with the exit
                    self.pending += os.read(fd, 4096)
                except BlockingIOError:
                    pass
                return Wait.DONE if token.encode() in self.pending.split(b"\n") else Wait.DIED

    # -- reading back

    def read_json(self, name: str):
        try:
            return json.loads(read_capped(self.fds["out"], name, MAX_JSON_BYTES))
        except (OSError, ValueError, RecursionError):
            return None

    def collect(self, index: int, job: Job, budget: list) -> JobResult | None:
        """Job ``index``'s result, or None when the child wrote none.  Its arrays are read
        within the job's and the unit's byte budgets, and only those this job returns are
        decoded."""
        record = self.read_json(protocol.RESULT_FILE.format(index))
        if not isinstance(record, dict):
            return None
        if not record.get("ok"):
            return JobResult(JobStatus.ERROR, self.clean(str(record.get("error", "an exception"))))
        listing = record.get("arrays") or []
        try:
            data = read_capped(self.fds["out"], protocol.DATA_FILE.format(index),
                               min(MAX_JOB_BYTES, budget[0])) if listing else b""
            budget[0] -= len(data)
            blobs = npy.unpack(listing, data, protocol.expected_arrays(job.op, job.spec))
        except FileNotFoundError:
            blobs = {}
        except (OSError, ChildFileError, npy.FormatError) as exc:
            return JobResult(JobStatus.ERROR, f"the values returned could not be read back "
                                              f"as numeric arrays ({exc})")
        arrays = {}
        for name, blob in blobs.items():
            try:
                arrays[name] = parse_npy(blob)
            except ChildFileError as exc:
                return JobResult(JobStatus.ERROR, f"the value returned for {name} could not "
                                                  f"be read back as a numeric array ({exc})")
        info = record.get("info") if isinstance(record.get("info"), dict) else {}
        return JobResult(JobStatus.OK, "", visible_tree(info), arrays)

    def clean(self, text: str) -> str:
        text = text.replace(str(self.path / "sub") + os.sep, "").replace(str(self.path),
                                                                          "<sandbox>")
        return visible(truncate(text))

    def tail(self, name: str = "stderr.txt") -> str:
        fd = self.fds[name]
        size = os.fstat(fd).st_size
        text = os.pread(fd, OUTPUT_SHOWN, max(0, size - OUTPUT_SHOWN))
        return self.clean(text.decode("utf-8", "replace").strip())

    def disk_full(self) -> bool:
        try:
            room = os.statvfs(self.path / "out")
        except OSError:
            return False
        return self.on_tmpfs and (room.f_bavail * room.f_frsize < (1 << 20) or
                                  room.f_favail < 8)

    def remove(self) -> None:
        for fd in self.fds.values():
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds = {}
        remove_folder(self.path, self.mounts)


def truncate(text: str, limit: int = MESSAGE_CHARS) -> str:
    """A child's message, cut to ``limit`` characters."""
    return text if len(text) <= limit else text[:limit] + " [... cut]"
