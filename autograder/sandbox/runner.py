"""Trusted side: run jobs against a submission in fresh, confined child processes.

A child gets a new folder (its own tmpfs when the grader is root, see files.py)
holding a copy of the submission's ``nn100`` and the harness (child/*.py).  Jobs are
sent one at a time over a FIFO, each followed by its input arrays, so the child never
sees the list of jobs nor which check it is in, and finds no inputs but the current
job's.  It runs in its own session, IPC, PID, network
and mount namespaces (a private read-only root) with a scrubbed environment and a
seccomp filter;
each job has a wall-time budget and the whole grading one more (``deadline``); on
expiry, or when the child dies, the whole session is killed, the job is marked and
a fresh child carries on with the jobs that remain.  What the child wrote is read
back through descriptors the grader holds, as JSON and strictly parsed ``.npy``
files (never pickle), within byte budgets, and returned as plain data.  The grader
process is a child subreaper, so whatever a submission forks is reparented here and
killed before the next job starts: no process outlives its check.
"""
from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


from .child import protocol
from .hygiene import _active, _lock, _sessions, sweep
from .job import NOT_REACHED, ChildReport, ChildRun, Job, JobResult, JobStatus, Stop, Wait
from .policy import MAX_FAILURES_PER_CHILD_RUN, MAX_UNIT_BYTES, UNIT_DISK_BYTES, Limits
from .unit import _Unit




def _start(unit: _Unit, limits: Limits) -> subprocess.Popen:
    work = unit.path
    with _lock:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-B", str(work / "harness" / "harness.py"), str(work)],
            cwd=work, env=unit.policy.env, stdin=subprocess.DEVNULL,
            stdout=unit.fds["stdout.txt"],
            stderr=unit.fds["stderr.txt"], start_new_session=True, close_fds=True)
        _active.add(proc.pid)
    return proc


def _finish(proc) -> None:
    """Kill the child's whole session and everything it left behind, then reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    with _lock:
        _active.discard(proc.pid)
        _sessions.add(proc.pid)  # a live child's session is never swept: only finished ones
    sweep()
    with _lock:
        _sessions.discard(proc.pid)  # its members are gone; escapees are orphans of ours


def _death(returncode: int | None, timed_out: bool, what: str, unit: _Unit, limit) -> str:
    if timed_out:
        return f"{what} did not finish within its time limit ({limit:g} s): an infinite loop?"
    if unit.disk_full():
        text = (f"the process running {what} stopped when its folder was full (it wrote "
                f"more than {UNIT_DISK_BYTES >> 20} MB or too many files)")
    elif returncode is not None and returncode < 0:
        sig = -returncode
        reasons = {signal.SIGXFSZ: "it wrote more output than allowed (a print flood?)",
                   signal.SIGXCPU: "it used more CPU time than allowed",
                   signal.SIGKILL: "it was killed (memory or time limit?)",
                   signal.SIGSEGV: "it crashed (segmentation fault)"}
        reason = reasons.get(sig, f"it was killed by signal {signal.Signals(sig).name}"
                             if sig in signal.valid_signals() else f"signal {sig}")
        text = f"the process running {what} died: {reason}"
    elif returncode is None:
        text = (f"the process running {what} reported a result it had not written (does "
                "the code write to the grader's files?)")
    else:
        text = (f"the process running {what} exited (status {returncode}) before finishing: "
                "does the code call sys.exit() or os._exit()?")
    tail = unit.tail()
    return text + (f"\nLast lines it printed to stderr:\n{tail}" if tail else "")


def run_child(package: Path, jobs: list[Job], limits: Limits, server=None,
              deadline: float = math.inf, changes: dict | None = None) -> ChildRun:
    """One child over ``jobs``, sent one at a time, until one fails to finish.  With a
    fork server the child is forked from it, else started from scratch.  ``changes``
    replace fields of the child's policy (tests of one wall at a time)."""
    unit = _Unit(package, jobs, limits, parent=server.root if server else None,
                 changes=changes)
    run = ChildRun()
    results = run.results
    budget = [MAX_UNIT_BYTES]
    try:
        try:
            proc = server.fork(unit.path) if server else _start(unit, limits)
        except OSError:  # a broken fork server: start this child the slow way
            proc = _start(unit, limits)
        try:
            limit = min(limits.timeout * 2 + 1.0, deadline - time.monotonic())
            outcome = unit.wait_for(protocol.IMPORT, max(limit, 0), proc)
            record = (unit.read_json(protocol.RESULT_FILE.format(protocol.IMPORT))
                      if outcome == Wait.DONE else None)
            if record is None:
                if outcome == Wait.TIMEOUT and time.monotonic() >= deadline:
                    run.out_of_time = True
                    run.import_problem = NOT_REACHED
                else:
                    proc.wait(timeout=1) if outcome == Wait.DIED else None
                    run.import_problem = _death(proc.returncode, outcome == Wait.TIMEOUT,
                                                "the import of nn100", unit, limits.timeout * 2)
            elif not record.get("ok"):
                run.import_problem = unit.clean(str(record.get("error")))
            else:
                for index, job in enumerate(jobs):
                    own = limits.job_limit(job) + 1.0
                    left = deadline - time.monotonic()
                    if left <= 0:
                        run.out_of_time = True
                        break
                    sent = time.monotonic()
                    outcome = unit.send(job, min(own, left), proc)
                    if outcome == Wait.DONE:
                        outcome = unit.wait_for(str(index), sent + min(own, left)
                                                - time.monotonic(), proc)
                    result = unit.collect(index, job, budget) if outcome == Wait.DONE else None
                    if result is not None:
                        result.seconds = time.monotonic() - sent
                    if result is None:
                        if outcome == Wait.TIMEOUT and own > left:
                            run.out_of_time = True
                            run.stopped = Stop(index, JobStatus.NOT_RUN, NOT_REACHED)
                            break
                        if outcome != Wait.TIMEOUT:  # dead, or reported what it did not write
                            try:
                                proc.wait(timeout=1)
                            except subprocess.TimeoutExpired:
                                pass
                        run.stopped = Stop(
                            index,
                            JobStatus.TIMEOUT if outcome == Wait.TIMEOUT else JobStatus.CRASHED,
                            _death(proc.returncode, outcome == Wait.TIMEOUT, "this check", unit,
                                   limits.job_limit(job)))
                        break
                    results[job.id] = result
        finally:
            _finish(proc)
    finally:
        unit.remove()
    return run


def run_jobs(package: Path, jobs: list[Job], limits: Limits, servers=None,
             deadline: float = math.inf, changes: dict | None = None) -> ChildReport:
    """All ``jobs`` (one unit's), restarting a fresh child after a crash or a timeout;
    jobs not reached before ``deadline`` are marked so."""
    results: dict = {}
    remaining, failures = list(jobs), 0
    while True:  # at least once: with no jobs, this is the import probe
        if time.monotonic() >= deadline:
            run = ChildRun(stopped=Stop(0, JobStatus.NOT_RUN, NOT_REACHED), out_of_time=True)
        else:
            server = servers.get() if servers else None
            try:
                run = run_child(package, remaining, limits, server, deadline, changes)
            finally:
                if server:
                    servers.release(server)
        if run.import_problem and not run.out_of_time:
            return ChildReport(False, run.import_problem, results)
        results.update(run.results)
        if run.out_of_time:
            for job in remaining:
                results.setdefault(job.id, JobResult(JobStatus.NOT_RUN, NOT_REACHED))
            break
        if run.stopped is None:
            break
        index = run.stopped.index
        results[remaining[index].id] = JobResult(run.stopped.status, run.stopped.reason)
        remaining, failures = remaining[index + 1:], failures + 1
        if not remaining:
            break
        if failures >= MAX_FAILURES_PER_CHILD_RUN:
            for job in remaining:
                results[job.id] = JobResult(
                    JobStatus.NOT_RUN, "not run: earlier checks of this unit crashed or timed out")
            break
    return ChildReport(True, "", results)
