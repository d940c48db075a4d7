"""The processes the grader starts and the ones it must find again.

Both the sandbox (a unit's child, the fork server) and grade-all (one grader per
submission) start processes that must not outlive them: they become child
subreapers, list what /proc shows and kill what was left behind. This module holds
the /proc reading, the subreaper switch and the environments those processes get,
so the two sides read /proc and pin BLAS threads the same way.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# One BLAS thread per process: parallel jobs, not BLAS threads, use the cores, and a
# child confined by seccomp may not start threads at all.
ONE_BLAS_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass(frozen=True)
class Process:
    """One line of /proc/<pid>/stat, the fields the grader uses."""
    pid: int
    state: str      # "R", "S", "Z" (a zombie), ...
    ppid: int
    session: int

    def cmdline(self) -> str:
        """The command line, arguments joined by spaces; "" once the process is gone."""
        try:
            with open(f"/proc/{self.pid}/cmdline", "rb") as f:
                return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            return ""


def processes():
    """Every process this one can see, as Process; those that end meanwhile are skipped."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:  # os-level calls: a grading reads /proc after every unit
            fd = os.open(f"/proc/{entry}/stat", os.O_RDONLY | os.O_CLOEXEC)
            try:
                data = os.read(fd, 4096)
            finally:
                os.close(fd)
            # "pid (comm) state ppid pgrp session ...": comm may hold spaces and ")"
            fields = data.rsplit(b")", 1)[1].split()
            yield Process(int(entry), fields[0].decode(), int(fields[1]), int(fields[3]))
        except (OSError, IndexError, ValueError):
            continue


def become_subreaper() -> bool:
    """Make orphans of our children re-parent to this process, so they can be killed."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def child_env(home: Path) -> dict:
    """The whole environment of a sandbox child (harness or fork server): nothing of
    the grader's, a home and TMPDIR in the child's own folder, a fixed hash seed."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(home), "LANG": "C.UTF-8",
            "PYTHONHASHSEED": "0", **ONE_BLAS_THREAD}


def grader_env(**extra: str) -> dict:
    """The environment of a trusted grader process: ours, plus ``extra``, with one BLAS
    thread unless the caller's environment asks otherwise."""
    env = dict(os.environ, **extra)
    for name, value in ONE_BLAS_THREAD.items():
        env.setdefault(name, value)
    return env
