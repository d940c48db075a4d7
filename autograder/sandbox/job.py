"""What a job is and what became of it: the sandbox's plain data types (its limits are
in policy.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
try:
    from enum import StrEnum
except ImportError:  # Python 3.10: members that are their values, in str() and format()
    from enum import Enum

    class StrEnum(str, Enum):
        __str__ = str.__str__
        __format__ = str.__format__




NOT_REACHED = "not reached: time budget spent (the whole grading has a time limit)"
SANDBOX_PREFIX = "nn100-sandbox-"  # + the grader's pid: whose children these are


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
