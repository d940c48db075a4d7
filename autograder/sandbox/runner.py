"""Trusted side: run jobs against a submission in fresh, confined child processes.

A child gets a new folder (its own tmpfs when the grader is root, see sandbox_io)
holding a copy of the submission's ``nn100`` and the harness (child/*.py).  Jobs are
sent one at a time over a FIFO, each with its inputs written just before, so the
child never sees the list of jobs nor which check it is in (an answered job's inputs
are removed before the next is sent).  It runs in its own session, IPC, PID, network
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

import json
import math
import os
import pwd
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
try:
    from enum import StrEnum
except ImportError:  # Python 3.10: members that are their values, in str() and format()
    from enum import Enum

    class StrEnum(str, Enum):
        __str__ = str.__str__
        __format__ = str.__format__
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .child import protocol
from .processes import child_env, processes
from .files import (INPUT_DISK_BYTES, UNIT_DISK_BYTES, ChildFileError, GraderError, grader_write,
                    make_folder, mount_tmpfs, parse_npy, read_capped, remove_folder, remove_tree)
from .safe_text import visible, visible_tree

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


# ---------------------------------------------------------------- process hygiene

_lock = threading.Lock()
_active: set[int] = set()      # pids of running sandbox children
_sessions: set[int] = set()    # sessions of finished sandboxes, whose members are swept


def sweep() -> int:
    """Kill every process left over by a sandbox: members of a sandbox session, and
    orphans of other sessions re-parented to us.  Returns how many were killed."""
    me, my_session, killed = os.getpid(), os.getsid(0), 0
    for _ in range(100):
        with _lock:
            doomed = [p.pid for p in processes()
                      if p.pid not in _active and p.pid != me
                      and (p.session in _sessions or (p.ppid == me and p.session != my_session))]
        if not doomed:
            return killed
        for pid in doomed:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        for pid in doomed:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        time.sleep(0.005)
    return killed


# ---------------------------------------------------------------- privileges

_calibration: dict | None = None


def drop_target():
    """The (uid, gid) children switch to when the grader runs as root, else None."""
    if os.getuid() != 0:
        return None
    try:
        entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return 65534, 65534


def protections(limits: Limits) -> list[str]:
    """What the sandbox enforces on this machine, measured once by a child confined
    like a unit's that runs no student code (so the answer can be trusted)."""
    global _calibration
    if _calibration is None:
        record, on_tmpfs = {}, False
        unit = _Unit(None, [], limits, calibrate=True)
        try:
            on_tmpfs = unit.on_tmpfs
            proc = _start(unit, limits)
            try:
                unit.wait_for(protocol.PROBE, 30, proc)
            finally:
                _finish(proc)
            record = unit.read_json(protocol.RESULT_FILE.format(protocol.PROBE)) or {}
        finally:
            unit.remove()
        found = [str(p)[:200] for p in record.get("protections", [])][:20]
        joined = " ".join(found)
        if not any(p.startswith("landlock") for p in found):
            found.append("NO filesystem confinement (Landlock unavailable): the child could "
                         "read any file its user can")
        if "IPC namespace" not in joined:
            found.append("NO IPC namespace (needs root): children of the same user could "
                         "share SysV IPC unless seccomp denies it")
        if "PID namespace" not in joined:
            found.append("NO PID namespace (needs root): processes are killed by session "
                         "and by a sweep instead")
        if "network namespace" not in joined:
            found.append("NO network namespace (needs root): only seccomp keeps a child "
                         "from sockets (netlink, vsock, UDP...) shared with other children")
        if "a private root" not in joined:
            found.append("NO private root (needs root and a mount namespace): the child sees "
                         "the machine's files Landlock lets it read, and reading one stamps "
                         "an access time another child can see")
        if "seccomp" not in joined:
            found.append("NO seccomp filter: sockets to other local processes (UDP, unix), "
                         "SysV IPC, threads and new processes are allowed")
        probe = record.get("probe") if isinstance(record.get("probe"), dict) else {}
        for what, words in (("udp", "UDP sockets"), ("netlink", "netlink sockets"),
                            ("fadvise", "page-cache eviction"),
                            ("nowait", "page-cache residency reads (RWF_NOWAIT)"),
                            ("thread", "threads"), ("fork", "new processes during checks")):
            if not str(probe.get(what, "")).startswith("denied"):
                found.append(f"NO denial of {words} (a probe child could use them)")
        found.append("a size- and inode-limited tmpfs per unit" if on_tmpfs else
                     "NO disk of its own (tmpfs needs root): units share the temporary folder")
        if drop_target() is None:
            found.append("grader not running as root: children run as the grader's user")
        _calibration = {"protections": found}
    return list(_calibration["protections"])


# ---------------------------------------------------------------- the whole grading's budget

BUDGET_FACTOR = 15     # a submission may take this many times the reference's own time
MIN_BUDGET = 30.0      # seconds: never less, however fast the reference was
CALIBRATION = "NN100_CALIBRATION"  # environment variable: where the measurement is cached


JOB_FACTOR = 30        # a job may take this many times the reference's own time ...
JOB_FLOOR = 2.0        # ... but never less than this many seconds (times its multiple)


def calibration(measure) -> dict:
    """How long the reference takes on this machine: {"total": seconds of its whole
    grading, "jobs": {job id: seconds}}.  ``measure()`` grades the reference and
    returns that; the answer is cached per machine and grader version, so only the
    first grading pays for it."""
    key = _fingerprint()
    path = Path(os.environ.get(CALIBRATION) or
                Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                / "nn100" / "calibration.json")
    try:
        cached = json.loads(path.read_text())[key]
        found = {"total": float(cached["total"]),
                 "jobs": {str(k): float(v) for k, v in dict(cached["jobs"]).items()}}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        found = measure()
        try:
            atomic_write(path, json.dumps({key: found}))
        except OSError:
            pass  # no cache: the next grading measures again
    return found


def whole_budget(found: dict) -> float:
    """Seconds the whole grading of one submission may take (at least MIN_BUDGET)."""
    return max(MIN_BUDGET, BUDGET_FACTOR * found["total"])


def job_limits(found: dict) -> dict:
    """Each job's calibrated wall-time limit (Limits.job_limit adds the floor)."""
    return {job: JOB_FACTOR * seconds for job, seconds in found["jobs"].items()}


def _fingerprint() -> str:
    """This machine and this version of the grader and the reference."""
    import hashlib
    digest = hashlib.sha256(f"{os.uname().nodename} {os.cpu_count()} {sys.version}".encode())
    grader = Path(__file__).resolve().parents[1]   # autograder/
    for path in sorted([*grader.rglob("*.py"), *grader.rglob("*.toml"),
                        *(grader.parent / "solutions" / "nn100").glob("*.py")]):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


# ---------------------------------------------------------------- one unit's folder

MAX_SUBMISSION_DEPTH = 16   # folders below nn100/ that are copied
MAX_SUBMISSION_FILES = 2000


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


class _Unit:
    """A unit's folder and the grader's handles on it.  The top and everything in it
    but out/ and home/ belong to the grader (root); the grader holds descriptors on
    out/, stdout.txt, stderr.txt and both FIFOs before the child starts, so nothing
    the child renames or replaces is ever what the grader reads."""

    def __init__(self, package, jobs, limits, calibrate=False, parent=None):
        self.path, self.on_tmpfs = make_folder(parent, f"{SANDBOX_PREFIX}{os.getpid()}-")
        self.mounts = [self.path] if self.on_tmpfs else []
        self.fds = {}
        try:
            self._lay_out(package, jobs, limits, calibrate)
        except BaseException:
            self.remove()
            raise

    def _lay_out(self, package, jobs, limits, calibrate):
        work, target = self.path, drop_target()
        for sub in ("out", "home", "in", "harness"):
            grader_write("the unit's folders", os.mkdir, work / sub)
        if mount_tmpfs(work / "in", INPUT_DISK_BYTES, 1024):
            self.mounts.append(work / "in")
        for name in ("harness.py", "confine.py", "seccomp.py", "jobs.py", "protocol.py"):
            grader_write("the harness", shutil.copyfile, HARNESS / name, work / "harness" / name)
        if package is not None:
            grader_write("the copy of the submission",
                         lambda: _copy_submission(package, work / "sub" / "nn100"))
        cpu = int(limits.timeout * (2 + sum(job.budget for job in jobs))) + 5
        task = {"calibrate": calibrate, "drop_to": target,
                "limits": dict(zip(protocol.LIMITS, (cpu, limits.memory_bytes, limits.file_bytes,
                                                     limits.processes), strict=True))}
        grader_write(protocol.TASK_FILE,
                     lambda: (work / protocol.TASK_FILE).write_text(json.dumps(task)))
        for name in (protocol.JOBS_FIFO, protocol.DONE_FIFO):
            grader_write("the unit's FIFOs", os.mkfifo, work / name, 0o600)
        for name in ("stdout.txt", "stderr.txt"):
            self.fds[name] = grader_write("the child's output files", os.open, work / name,
                                          os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        if target:
            for sub in ("out", "home"):
                os.chown(work / sub, *target)
        for path in [work / "in", work / "harness", *(work / "harness").iterdir()]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)  # the child reads, never writes
        self.fds["out"] = os.open(work / "out", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        self.fds["jobs"] = os.open(work / protocol.JOBS_FIFO, os.O_RDWR | os.O_NONBLOCK)
        self.fds["done"] = os.open(work / protocol.DONE_FIFO, os.O_RDWR | os.O_NONBLOCK)
        self.pending = b""

    # -- the protocol

    def send(self, index: int, job: Job) -> None:
        """Write job ``index``'s inputs, then the job itself, for the child to read."""
        folder = self.path / "in" / str(index)

        def write_inputs():
            folder.mkdir()
            for name, value in job.arrays.items():
                np.save(folder / f"{name}.npy", np.asarray(value), allow_pickle=False)
                os.chmod(folder / f"{name}.npy", 0o644)
            os.chmod(folder, 0o755)

        grader_write(f"the inputs of a check ({job.id})", write_inputs)
        line = (json.dumps({"op": job.op, "spec": job.spec}) + "\n").encode()
        fd, deadline = self.fds["jobs"], time.monotonic() + 10
        while line:
            try:
                line = line[os.write(fd, line):]
            except BlockingIOError:  # the child has not read the previous bytes yet
                if time.monotonic() > deadline:
                    raise GraderError("the child stopped reading its jobs") from None
                select.select([], [fd], [], 0.05)

    def forget(self, index: int) -> None:
        """Remove job ``index``'s inputs once it is answered, before the next job is sent:
        a job only ever finds its own inputs."""
        remove_tree(self.path / "in" / str(index))

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
        """Job ``index``'s result, or None when the child wrote none.  Only the arrays
        this job returns are read, within the job's and the unit's byte budgets."""
        record = self.read_json(protocol.RESULT_FILE.format(index))
        if not isinstance(record, dict):
            return None
        if not record.get("ok"):
            return JobResult(JobStatus.ERROR, self.clean(str(record.get("error", "an exception"))))
        arrays, listed = {}, record.get("arrays")
        listed = listed if isinstance(listed, list) else []
        allowance = min(MAX_JOB_BYTES, budget[0])
        returned = {n for n in listed if isinstance(n, str)}
        for name in protocol.expected_arrays(job.op, job.spec) & returned:
            try:
                name_on_disk = protocol.ARRAY_FILE.format(index, name)
                data = read_capped(self.fds["out"], name_on_disk, allowance)
                arrays[name] = parse_npy(data)
            except FileNotFoundError:
                continue
            except (OSError, ChildFileError) as exc:
                return JobResult(JobStatus.ERROR, f"the value returned for {name} could not "
                                                  f"be read back as a numeric array ({exc})")
            allowance -= len(data)
            budget[0] -= len(data)
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


def _start(unit: _Unit, limits: Limits) -> subprocess.Popen:
    work = unit.path
    with _lock:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-B", str(work / "harness" / "harness.py"), str(work)],
            cwd=work, env=child_env(work / "home"), stdin=subprocess.DEVNULL,
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
              deadline: float = math.inf) -> ChildRun:
    """One child over ``jobs``, sent one at a time, until one fails to finish.  With a
    fork server the child is forked from it, else started from scratch."""
    unit = _Unit(package, jobs, limits, parent=server.root if server else None)
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
                    unit.send(index, job)
                    outcome = unit.wait_for(str(index), min(own, left), proc)
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
                    unit.forget(index)
        finally:
            _finish(proc)
    finally:
        unit.remove()
    return run


def run_jobs(package: Path, jobs: list[Job], limits: Limits, servers=None,
             deadline: float = math.inf) -> ChildReport:
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
                run = run_child(package, remaining, limits, server, deadline)
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


# ---------------------------------------------------------------- fork server

class Forked:
    """A unit child forked by a ForkServer, with the parts of Popen that run_child uses."""

    def __init__(self, server, pid: int):
        self.server, self.pid, self.returncode = server, pid, None

    def poll(self):
        if self.returncode is None:
            self.returncode = self.server.exit_status(0)
        return self.returncode

    def wait(self, timeout=None):
        if self.returncode is None:
            self.returncode = self.server.exit_status(timeout)
            if self.returncode is None:
                self.server.broken = True
                raise subprocess.TimeoutExpired("fork server", timeout)
        return self.returncode


class ForkServer:
    """One confined process with numpy loaded that forks a fresh child per unit:
    a child costs a fork instead of an interpreter start and a numpy import.  The
    server runs no student code; every forked child sets up its own session, files,
    CPU limit, namespaces, user, a nested Landlock domain and seccomp before
    importing the submission."""

    def __init__(self, limits: Limits):
        self.limits, self.broken, self.pending = limits, False, b""
        self.home = _Unit(None, [], limits)
        self.root = self.home.path
        task_file = self.root / protocol.TASK_FILE
        task = json.loads(task_file.read_text())
        task["limits"]["cpu_seconds"] = 3600  # the server's own; each child sets its own
        grader_write(protocol.TASK_FILE, lambda: task_file.write_text(json.dumps(task)))
        with _lock:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-B", str(self.root / "harness" / "harness.py"),
                 str(self.root), "--serve"],
                cwd=self.root, env=child_env(self.root / "home"), stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.home.fds["stderr.txt"], start_new_session=True, close_fds=True)
            _active.add(self.proc.pid)

    def _line(self, timeout):
        """The server's next line, or None after ``timeout`` seconds.  Reads the pipe
        unbuffered, so a line that arrived with the previous one is never missed."""
        deadline = time.monotonic() + (timeout or 0)
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            if not ready:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                self.broken = True
                return None
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return line.decode(errors="replace").strip()

    def fork(self, work: Path) -> Forked:
        self.proc.stdin.write(f"{work}\n".encode())
        self.proc.stdin.flush()
        line = self._line(self.limits.timeout * 2 + 10)
        if line is None or not line.isdigit():
            self.broken = True
            raise OSError("the fork server did not answer")
        pid = int(line)
        with _lock:
            _active.add(pid)
        return Forked(self, pid)

    def exit_status(self, timeout):
        line = self._line(timeout)
        if line is None or not line.startswith("exit "):
            return None
        return int(line.split()[1])

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()
        with _lock:
            _active.discard(self.proc.pid)
        sweep()
        self.home.remove()


class ServerPool:
    """Fork servers shared by the grading threads: an idle one is reused, a broken one
    replaced, so a grade with two threads starts two servers in all."""

    def __init__(self, limits: Limits):
        self.limits, self.idle, self.all = limits, [], []
        self.lock = threading.Lock()

    def get(self) -> ForkServer:
        with self.lock:
            while self.idle:
                server = self.idle.pop()
                if not server.broken and server.proc.poll() is None:
                    return server
        server = ForkServer(self.limits)
        with self.lock:
            self.all.append(server)
        return server

    def release(self, server: ForkServer) -> None:
        with self.lock:
            self.idle.append(server)

    def close(self) -> None:
        for server in self.all:
            server.close()
