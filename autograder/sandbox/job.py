"""What a job is, its limits, and what became of it: the sandbox's plain data types."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
try:
    from enum import StrEnum
except ImportError:  # Python 3.10: members that are their values, in str() and format()
    from enum import Enum

    class StrEnum(str, Enum):
        __str__ = str.__str__
        __format__ = str.__format__
from pathlib import Path



HARNESS = Path(__file__).resolve().parent / "child"
MAX_FAILURES_PER_CHILD_RUN = 2  # crashes/timeouts per unit before its other jobs are skipped
MAX_SUBMISSION_BYTES = 20 << 20
MAX_JOB_BYTES = 48 << 20     # arrays one job may return
MAX_UNIT_BYTES = 160 << 20   # arrays one unit's jobs may return in all
MAX_JSON_BYTES = 1 << 20
OUTPUT_SHOWN = 1500  # bytes of a child's stderr quoted in feedback
MESSAGE_CHARS = 2000  # characters of any message from a child
NOT_REACHED = "not reached: time budget spent (the whole grading has a time limit)"
SANDBOX_PREFIX = "nn100-sandbox-"  # + the grader's pid: whose children these are



JOB_FACTOR = 30        # a job may take this many times the reference's own time ...
JOB_FLOOR = 2.0        # ... but never less than this many seconds (times its multiple)


@dataclass
class Limits:
    timeout: float = 5.0                 # seconds per job (a job may ask for a multiple)
    memory_bytes: int = 2 << 30          # address space
    file_bytes: int = 32 << 20           # largest file the child may write (its output too)
    processes: int = 256              # per user (nobody): every concurrent child counts
    job_seconds: dict = field(default_factory=dict)  # job id -> calibrated limit (below)

    def job_limit(self, job) -> float:
        """A job's wall-time limit: the timeout times its multiple, tightened to the
        calibrated limit where one was measured (never below JOB_FLOOR times the
        multiple: slower honest code and a busier machine keep their margin)."""
        calibrated = max(JOB_FLOOR * job.budget, self.job_seconds.get(job.id, math.inf))
        return min(self.timeout * job.budget, calibrated)


@dataclass
class Job:
    id: str
    op: str
    spec: dict
    arrays: dict = field(default_factory=dict)   # name -> ndarray, the job's inputs
    budget: float = 1.0                           # multiple of Limits.timeout


class JobStatus(StrEnum):
    """What became of one job: the only values JobResult.status takes."""
    OK = "ok"              # ran to the end: its info and arrays are in the result
    ERROR = "error"        # the submission raised, or returned what could not be read
    CRASHED = "crashed"    # the child died during the job
    TIMEOUT = "timeout"    # the job's time limit
    NOT_RUN = "not run"    # never started: earlier failures, or the time budget spent


@dataclass
class JobResult:
    status: JobStatus
    message: str = ""
    info: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict)  # name -> plain ndarray (numeric dtype)
    seconds: float = 0.0   # wall time from sending the job to its report


@dataclass
class ChildReport:
    import_ok: bool
    import_message: str
    results: dict          # job id -> JobResult


class Wait(StrEnum):
    """How waiting for a child's report ended."""
    DONE = "done"          # it reported the token
    TIMEOUT = "timeout"    # the time given ran out first
    DIED = "died"          # it exited without reporting


@dataclass
class Stop:
    """Why a child stopped before its last job: the job's index, its status, the reason."""
    index: int
    status: JobStatus      # TIMEOUT or CRASHED (NOT_RUN when the whole budget ran out)
    reason: str


@dataclass
class ChildRun:
    """What one child did with its jobs (run_child)."""
    results: dict = field(default_factory=dict)  # job id -> JobResult, the finished jobs
    import_problem: str | None = None  # why ``import nn100`` failed, or None
    stopped: Stop | None = None        # the job it stopped at, or None
    out_of_time: bool = False          # the whole grading's budget ran out
