"""Writing a file so that a reader sees the old one or the new one, never half of it.

Every file the grader and grade-all leave for someone else (results.json, the
gradebook, reports, the calibration cache, the Gradescope zip) is written beside its
destination, flushed to disk and renamed over it: a run killed at any moment, or a
machine that loses power, leaves a whole file.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def replacing(path, mode: int = 0o644):
    """A binary file to write ``path``'s new content into; once the block ends without
    an exception it is synced and renamed over ``path`` (otherwise it is removed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)  # mkstemp's 0600, not what a results file or a page should have
        os.replace(tmp, path)
        _sync_folder(path.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the file system lets a folder be synced)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path, text: str) -> None:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically."""
    with replacing(path) as out:
        out.write(text.encode("utf-8"))
