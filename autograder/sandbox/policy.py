"""Trusted side: the sandbox's limits in one place, and the policy each unit's child gets.

A child is told everything it enforces (``child/policy.py``: rlimits, readable and
writable paths, the private root, namespaces, the seccomp and Landlock switches, the
user, the environment) in its task file; ``unit_policy`` builds that value.  What the
grader itself enforces while reading a child's results (bytes, characters, files) is
named here too, so every limit of the sandbox is found in this module.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from .child import confine
from .child.policy import SandboxPolicy
from .hygiene import drop_target
from .processes import child_env

HARNESS = Path(__file__).resolve().parent / "child"
HARNESS_FILES = ("harness.py", "confine.py", "seccomp.py", "jobs.py", "stand_ins.py",
                 "protocol.py", "policy.py", "enforce.py", "npy.py")

# ---------------------------------------------------------------- what the grader reads back
MAX_SUBMISSION_BYTES = 20 << 20
MAX_SUBMISSION_DEPTH = 16   # folders below nn100/ that are copied
MAX_SUBMISSION_FILES = 2000
MAX_JOB_BYTES = 48 << 20     # arrays one job may return
MAX_UNIT_BYTES = 160 << 20   # arrays one unit's jobs may return in all
MAX_JSON_BYTES = 1 << 20
OUTPUT_SHOWN = 1500  # bytes of a child's stderr quoted in feedback
MESSAGE_CHARS = 2000  # characters of any message from a child
MAX_FAILURES_PER_CHILD_RUN = 2  # crashes/timeouts per unit before its other jobs are skipped

# ---------------------------------------------------------------- disks (as root: tmpfs)
UNIT_DISK_BYTES = 160 << 20    # a unit's folder: its copy, inputs, outputs and home
UNIT_DISK_INODES = 4096
MIN_FREE_TMP = 64 << 20        # TMPDIR must have this much room (when no tmpfs is used)

# ---------------------------------------------------------------- time
JOB_FACTOR = 30        # a job may take this many times the reference's own time ...
JOB_FLOOR = 2.0        # ... but never less than this many seconds (times its multiple)
SERVER_CPU_SECONDS = 3600  # the fork server's own CPU limit; each child sets its own


@dataclass
class Limits:
    """The limits a grading chooses (the CLI's --timeout, the calibrated job times)."""
    timeout: float = 5.0                 # seconds per job (a job may ask for a multiple)
    memory_bytes: int = 2 << 30          # address space
    file_bytes: int = 32 << 20           # largest file the child may write (its output too)
    processes: int = 256              # per user (nobody): every concurrent child counts
    job_seconds: dict = field(default_factory=dict)  # job id -> calibrated limit (below)

    def job_limit(self, job) -> float:
        """A job's wall-time limit: the timeout times its multiple, tightened to the
        calibrated limit where one was measured (never below JOB_FLOOR times the
        multiple: slower honest code and a busier machine keep their margin)."""
        calibrated = max(JOB_FLOOR * job.budget, self.job_seconds.get(job.id, float("inf")))
        return min(self.timeout * job.budget, calibrated)


@functools.lru_cache(maxsize=1)
def child_view() -> tuple[tuple, tuple]:
    """(view, hidden): the folders a unit's child reads (the standard library and
    numpy of this interpreter, which the child runs too) and those shown empty."""
    view = confine.view_paths()
    return tuple(view), tuple(confine.hidden_folders(view))


def unit_policy(work: Path, limits: Limits, jobs=(), **changes) -> SandboxPolicy:
    """A unit's child's policy: CPU time for its jobs, the limits above, reading only
    the standard library, numpy and its folder, writing only its out/ and home/, every
    namespace, Landlock, seccomp (no threads, no processes from the import on), the
    unprivileged user when the grader is root.  ``changes`` replace fields (tests)."""
    work = os.path.realpath(work)
    view, hidden = child_view()
    cpu = int(limits.timeout * (2 + sum(job.budget for job in jobs))) + 5
    policy = SandboxPolicy(
        cpu_seconds=cpu, memory_bytes=limits.memory_bytes, file_bytes=limits.file_bytes,
        processes=limits.processes,
        read=(*view, work, "/proc", "/dev/null"),
        write=(os.path.join(work, "out"), os.path.join(work, "home"), "/dev/null"),
        view=view, hidden=hidden, work=work, drop_to=drop_target(),
        env=child_env(Path(work) / "home"))
    return replace(policy, **changes)
