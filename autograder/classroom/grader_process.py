"""One grader process per submission, started, watched and cleaned up.

``run_grader`` runs ``python -m autograder grade`` on one laid-out submission in its
own session and turns whatever happens into a results dict: the grader's results, or
a failure (timeout, killed, crashed) that says why. Nothing it starts may outlive it:
a guard makes the grader die with the thread that started it, a timeout kills its
whole process group, and ``reap_orphans`` kills what a dead grader left behind.
Used by grade-all and by the Gradescope runner.
"""
from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from . import gradebook as gb
from .gradebook import Status
from ..sandbox.processes import grader_env, processes
from ..sandbox.safe_text import visible

REPO_ROOT = Path(__file__).resolve().parents[2]
LOG_TAIL = 4000  # bytes of the grader's output kept to explain a failure
# Results with this status were cut short by a bug of ours, not the student's: graded again.
RETRY_STATUSES = {Status.INTERNAL_ERROR}

# Runs before the grader in every child: the child dies with the thread that started
# it (so `kill -9` of grade-all leaves no orphan grading on), and output files are
# capped so a chatty submission cannot fill the disk.
_GUARD = """\
import os, resource, signal, sys
try:
    import ctypes
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
except Exception:
    pass
if os.getppid() != int(os.environ["NN100_GRADE_ALL_PID"]):
    os._exit(70)  # grade-all died before prctl took effect
cap = int(os.environ["NN100_FILE_CAP"])
resource.setrlimit(resource.RLIMIT_FSIZE, (cap, cap))
os.execvp(sys.argv[1], sys.argv[1:])
"""


@dataclass
class Context:
    out: Path                  # where results go (grade-all: the reports/ folder)
    grade_command: list[str]   # the single-submission grader, without its arguments
    grade_args: list[str]      # extra arguments (--timeout, --seed)
    student_timeout: float
    running: set = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: bool = False
    subreaper: bool = False    # True when orphans of our graders are reparented to us
    # grade-all's (built once from its options by options.from_args):
    record: dict = field(default_factory=dict)  # what grades (provenance.record)
    explain: bool = False      # say why each student is graded again or updated
    force: bool = False        # grade every student again
    regrade: set = field(default_factory=set)   # students to grade again (ids or names)
    people: dict = field(default_factory=dict)  # the roster, for the gradebook
    on_result: object = lambda result: None     # called on each new result (late penalty)
    # student -> why graded again, filled as the run plans (kept in results.json for history.csv)
    reasons: dict = field(default_factory=dict)


def run_grader(root: Path, work: Path, ctx: Context) -> dict:
    """Run the single-submission grader on ``root``; its results, or a failure saying why."""
    if ctx.stopping:
        raise KeyboardInterrupt
    results_file = work / "results.json"
    log_file = work / "grade.log"
    command = [*ctx.grade_command, str(root), "--results", str(results_file), *ctx.grade_args]
    env = grader_env(NN100_GRADE_ALL_PID=str(os.getpid()), NN100_FILE_CAP=str(256 * 1024 * 1024))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    with open(log_file, "wb") as log:
        with ctx.lock:  # so that reap_orphans never takes a grader being started for an orphan
            child = subprocess.Popen([sys.executable, "-c", _GUARD, *command],
                                     stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT, cwd=work, env=env,
                                     start_new_session=True)
            ctx.running.add(child)
        try:
            code = child.wait(timeout=ctx.student_timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            _kill_group(child)
            with ctx.lock:
                ctx.running.discard(child)
    if code is None:
        return failure_result(Status.TIMEOUT, "grading took longer than "
                                              f"{ctx.student_timeout:.0f} s and was stopped")
    if code == 0:
        result = gb.load_json(results_file)
        if _looks_like_results(result):
            result.setdefault("extra_data", {})["classroom"] = {"status": gb.GRADED,
                                                                "reason": _graded_reason(result)}
            return result
        return failure_result(Status.GRADER_ERROR,
                              "the grader finished but wrote no valid results.json"
                              + _tail(log_file))
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        return failure_result(Status.GRADER_ERROR,
                              f"the grading process was killed by {name} "
                              "(did the submission kill it?)" + _tail(log_file))
    if code == 70:
        return failure_result(Status.INTERNAL_ERROR,
                              "grade-all stopped before this submission was graded")
    if code == 2:  # usage error: we checked the package is there, so the mistake is ours
        return failure_result(Status.INTERNAL_ERROR,
                              "the grader refused its arguments" + _tail(log_file))
    return failure_result(Status.GRADER_ERROR,
                          f"the grader exited with status {code}" + _tail(log_file))


def _looks_like_results(result) -> bool:
    return (isinstance(result, dict) and isinstance(result.get("tests"), list)
            and isinstance(result.get("score"), (int, float)))


def failure_result(status: str, reason: str) -> dict:
    """A results.json for a submission that could not be graded: score 0 and why."""
    return {"score": 0, "tests": [], "output": reason,
            "extra_data": {"classroom": {"status": status, "reason": reason}}}


def _graded_reason(result: dict) -> str:
    """For the gradebook: the grader's note on a failure (an import error), if any."""
    for line in str(result.get("output") or "").splitlines():
        if "fail" in line.lower() or "error" in line.lower():
            return line.strip()[:200]
    return "no check passed" if not result.get("score") else ""


def _first_line(text) -> str:
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    return lines[0][:200] if lines else ""


def _tail(log_file: Path) -> str:
    """The last line the grader printed, to say what went wrong."""
    try:
        with open(log_file, "rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - LOG_TAIL))
            text = log.read().decode("utf-8", "replace")
    except OSError:
        return ""
    last = _first_line("\n".join(reversed(text.splitlines())))
    return f"; last output: {last}" if last else ""


def dumps_results(result: dict) -> str:
    """Strict JSON: a diverged loss (NaN, inf) becomes null, which every reader accepts;
    every string shows control and bidi characters as escapes (safe_text.visible)."""
    return json.dumps(_strict(result), indent=1, allow_nan=False, default=str)


def _strict(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {visible(k): _strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v) for v in value]
    return value


def _kill_group(child: subprocess.Popen) -> None:
    """Stop the grader and anything it started (it leads its own process group)."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    child.wait()


def reap_orphans(ctx: Context) -> None:
    """Kill and reap our children that are not running graders: what a grader left
    behind when it died (a submission's process that outlived its grader, say)."""
    if not ctx.subreaper:
        return
    me = os.getpid()
    with ctx.lock:
        ours = {child.pid for child in ctx.running}
        orphans = [p.pid for p in processes() if p.ppid == me and p.pid not in ours]
        for pid in orphans:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for pid in orphans:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def kill_running(ctx: Context) -> None:
    with ctx.lock:
        running = list(ctx.running)
    for child in running:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
