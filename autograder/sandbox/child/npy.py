"""The arrays the grader and a unit's child exchange, as .npy bytes encoded and decoded
here: a job's inputs (sent after the job on the jobs FIFO) and its results (out/<k>.npys),
each a run of .npy files back to back that a listing of names and sizes splits (``pack``,
``unpack``).

The format is numpy's own (version 1.0: ``numpy.load`` reads what ``encode`` makes, and
``decode`` reads what ``numpy.save`` makes), but not numpy's general code, which builds
every header anew and parses every header with ``ast``: a grading of the whole course
moves about 5,000 arrays, and numpy.save and numpy.load cost 50-85 us an array in a
confined child, where every system call passes the seccomp filter.  Here a header is
built or parsed once per (dtype, shape) and remembered.

Decoding is strict, since the grader reads what a child wrote: exactly the three keys, a
little-endian numeric dtype from the allowlist, a tuple of at most MAX_DIMS
non-negative ints (not bools), and a payload of exactly the announced size; no pickle,
no object arrays.

Imported by both sides: the grader as ``autograder.sandbox.child.npy``, the child as
``npy`` from its harness folder (after numpy).  Nothing here is graded logic.
"""
import ast
import functools
import io
import threading

import numpy as np

MAGIC = b"\x93NUMPY"
MAX_HEADER = 4096              # bytes of a .npy header
MAX_DIMS = 8
DTYPES = {"|b1", "|u1", "|i1", "<i2", "<i4", "<i8", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8"}


class FormatError(ValueError):
    """Bytes that are not a .npy file of plain numbers."""


# ---------------------------------------------------------------- writing

@functools.lru_cache(maxsize=1024)
def _prefix(descr: str, shape: tuple) -> bytes:
    """Magic, version 1.0, header length and header of a C-ordered array; the header is
    padded with spaces and ends in a newline, so the data starts at a multiple of 64."""
    text = "{'descr': %r, 'fortran_order': False, 'shape': %r, }" % (descr, shape)
    text += " " * (-(len(MAGIC) + 4 + len(text) + 1) % 64) + "\n"
    return MAGIC + b"\x01\x00" + len(text).to_bytes(2, "little") + text.encode("latin1")


def encode(array) -> bytes:
    """The bytes of a .npy file holding ``array``.  A C-ordered array of plain numbers
    takes the short way; any other (Fortran order, views with strides, other dtypes)
    is written by numpy, which also refuses object arrays."""
    array = np.asarray(array)
    if array.dtype.str in DTYPES and array.flags.c_contiguous:
        return _prefix(array.dtype.str, array.shape) + array.tobytes()
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def pack(arrays: dict) -> tuple[list, bytes]:
    """``arrays`` ({name: array}) as one run of .npy files back to back, and the listing
    that names them: [[name, size in bytes], ...] in that order."""
    blobs = [(name, encode(value)) for name, value in arrays.items()]
    return [[name, len(blob)] for name, blob in blobs], b"".join(blob for _, blob in blobs)


def unpack(listing, data, wanted=None) -> dict:
    """The .npy files in ``data`` that ``listing`` names, as {name: memoryview}, those of
    ``wanted`` only (None: all); FormatError unless the listing is [name, size] pairs
    whose sizes add up to the data's."""
    if not isinstance(listing, list):
        raise FormatError("arrays listed other than as [name, size] pairs")
    view, start, found = memoryview(data), 0, {}
    for entry in listing:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)
                and type(entry[1]) is int and entry[1] >= 0):
            raise FormatError("arrays listed other than as [name, size] pairs")
        name, size = entry
        if wanted is None or name in wanted:
            found.setdefault(name, view[start:start + size])
        start += size
    if start != len(view):
        raise FormatError(f"arrays listed as {start} bytes in all, found {len(view)}")
    return found


# ---------------------------------------------------------------- reading

# CPython 3.11's AST builder keeps its recursion depth in state the grader's threads
# share: two headers parsed at once can fail with "SystemError: AST constructor
# recursion depth mismatch" (seen once in CI). One header at a time.
AST_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1024)
def _header(text: str):
    """(dtype, fortran order, shape, item count) of a header's text, checked."""
    try:
        with AST_LOCK:
            header = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        raise FormatError("an unreadable .npy header") from None
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise FormatError("a .npy header without exactly descr, fortran_order and shape")
    descr, fortran, shape = header["descr"], header["fortran_order"], header["shape"]
    if not isinstance(descr, str) or descr not in DTYPES:
        raise FormatError(f"an array of dtype {descr!r} (expected plain numbers)")
    if type(fortran) is not bool:
        raise FormatError("a .npy header whose fortran_order is not True or False")
    if type(shape) is not tuple or len(shape) > MAX_DIMS or \
            not all(type(n) is int and 0 <= n < 1 << 31 for n in shape):
        raise FormatError(f"a .npy header with an invalid shape {shape!r:.80}")
    count = 1
    for n in shape:
        count *= n
    return np.dtype(descr), fortran, shape, count


def decode(data, order: str = "C") -> np.ndarray:
    """A plain numeric ndarray, writable and owning its memory, from the bytes (or a
    memoryview of them) of a .npy file, or FormatError.  ``order``: "C" gives a
    C-ordered array, "K" keeps the file's order (as numpy.load does)."""
    if bytes(data[:6]) != MAGIC or len(data) < 10:
        raise FormatError("not a .npy file")
    major = data[6]
    if major == 1:
        length, start = int.from_bytes(data[8:10], "little"), 10
    elif major in (2, 3):
        length, start = int.from_bytes(data[8:12], "little"), 12
    else:
        raise FormatError(f"an unknown .npy version {major}")
    if length > MAX_HEADER or start + length > len(data):
        raise FormatError("a .npy header that is too long or truncated")
    dtype, fortran, shape, count = _header(bytes(data[start:start + length]).decode("latin1"))
    if count * dtype.itemsize != len(data) - start - length:
        raise FormatError("an array file whose size does not match its header")
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=start + length)
    return np.array(flat.reshape(shape, order="F" if fortran else "C"), copy=True,
                    order=order, subok=False)


