"""Trusted side: run jobs against a submission in fresh, confined child processes.

A child gets a new temporary folder holding a copy of the submission's ``nn100``,
the harness (child/harness.py, child/confine.py), the job list and its input arrays.
It runs in its own session with a scrubbed environment, and each job has a
wall-time budget; on expiry, or when the child dies, the whole session is killed,
the job is marked and a fresh child carries on with the jobs that remain.  What the
child wrote is read back as JSON and ``.npy`` files (never pickle), checked for
size, shape and dtype, and returned as plain data.  The grader process is a child
subreaper, so whatever a submission forks is reparented here and killed before the
next job starts: no process outlives its check.
"""
from __future__ import annotations

import ctypes
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HARNESS = Path(__file__).resolve().parent / "child"
MAX_FAILURES_PER_CHILD_RUN = 2  # crashes/timeouts per unit before its other jobs are skipped
MAX_SUBMISSION_BYTES = 20 << 20
MAX_ARRAY_BYTES = 64 << 20
MAX_JSON_BYTES = 1 << 20
OUTPUT_SHOWN = 1500  # characters of a child's stderr quoted in feedback
NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
SANDBOX_PREFIX = "nn100-sandbox-"  # + the grader's pid: whose children these are


@dataclass
class Limits:
    timeout: float = 5.0                 # seconds per job (a job may ask for a multiple)
    memory_bytes: int = 2 << 30          # address space
    file_bytes: int = 32 << 20           # largest file the child may write (its output too)
    processes: int = 256              # per user (nobody): every concurrent child counts


@dataclass
class Job:
    id: str
    op: str
    spec: dict
    arrays: dict = field(default_factory=dict)   # name -> ndarray, the job's inputs
    budget: float = 1.0                           # multiple of Limits.timeout


@dataclass
class JobResult:
    status: str            # "ok", "error" (the submission raised), "crashed", "timeout", "not run"
    message: str = ""
    info: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict)  # name -> plain ndarray (numeric dtype)


@dataclass
class ChildReport:
    import_ok: bool
    import_message: str
    results: dict          # job id -> JobResult


# ---------------------------------------------------------------- process hygiene

_lock = threading.Lock()
_active: set[int] = set()      # pids of running sandbox children
_sessions: set[int] = set()    # session ids of every sandbox started by this process


def become_subreaper() -> bool:
    """Make orphans of our children re-parent to this process, so they can be killed."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _processes():
    """(pid, ppid, session id) of every process we can see."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        yield int(entry), int(fields[1]), int(fields[3])


def sweep() -> int:
    """Kill every process left over by a sandbox: members of a sandbox session, and
    orphans of other sessions re-parented to us.  Returns how many were killed."""
    me, my_session, killed = os.getpid(), os.getsid(0), 0
    for _ in range(100):
        with _lock:
            doomed = [pid for pid, ppid, sid in _processes()
                      if pid not in _active and pid != me
                      and (sid in _sessions or (ppid == me and sid != my_session))]
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
    """What the sandbox enforces on this machine, measured once by a child that runs
    no student code (so the answer can be trusted)."""
    global _calibration
    if _calibration is None:
        work = _prepare(None, [], limits, calibrate=True)
        try:
            proc = _start(work, limits)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            _finish(proc)
            record = _read_json(work / "out" / "sandbox.json") or {}
        finally:
            shutil.rmtree(work, ignore_errors=True)
        found = [str(p) for p in record.get("protections", [])]
        if not any(p.startswith("landlock") for p in found):
            found.append("NO filesystem confinement (Landlock unavailable): the child could "
                         "read any file its user can")
        if drop_target() is None:
            found.append("grader not running as root: children run as the grader's user")
        _calibration = {"protections": found}
    return list(_calibration["protections"])


# ---------------------------------------------------------------- one child

def _copy_submission(package: Path, dest: Path) -> None:
    """Copy regular files only: symlinks, devices and caches are left behind, so a
    link to the reference cannot smuggle it into the sandbox."""
    total = 0
    for root, dirs, files in os.walk(package, followlinks=False):
        rel = Path(root).relative_to(package)
        dirs[:] = [d for d in dirs if d != "__pycache__" and not Path(root, d).is_symlink()]
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            source = Path(root, name)
            if source.is_symlink() or not source.is_file() or name.endswith(".pyc"):
                continue
            total += source.stat().st_size
            if total > MAX_SUBMISSION_BYTES:
                raise ValueError(f"grade: the nn100 package is larger than "
                                 f"{MAX_SUBMISSION_BYTES >> 20} MB")
            shutil.copyfile(source, dest / rel / name)


def _prepare(package: Path | None, jobs: list[Job], limits: Limits, calibrate=False,
             parent: Path | None = None) -> Path:
    work = Path(tempfile.mkdtemp(prefix=f"{SANDBOX_PREFIX}{os.getpid()}-", dir=parent))
    for sub in ("out", "home", "in", "harness"):
        (work / sub).mkdir()
    for name in ("harness.py", "confine.py"):
        shutil.copyfile(HARNESS / name, work / "harness" / name)
    if package is not None:
        _copy_submission(package, work / "sub" / "nn100")
    cpu = int(limits.timeout * (2 + sum(job.budget for job in jobs))) + 5
    task = {"calibrate": calibrate, "drop_to": drop_target(),
            "limits": {"cpu_seconds": cpu, "memory_bytes": limits.memory_bytes,
                       "file_bytes": limits.file_bytes, "processes": limits.processes},
            "jobs": [{"op": job.op, "spec": job.spec} for job in jobs]}
    (work / "task.json").write_text(json.dumps(task))
    for index, job in enumerate(jobs):
        folder = work / "in" / str(index)
        folder.mkdir()
        for name, value in job.arrays.items():
            np.save(folder / f"{name}.npy", np.asarray(value), allow_pickle=False)
    target = drop_target()
    if target:
        for root, dirs, files in os.walk(work):
            for name in [root] + [os.path.join(root, n) for n in dirs + files]:
                os.chown(name, *target)
    return work


def _start(work: Path, limits: Limits) -> subprocess.Popen:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(work / "home"), "TMPDIR": str(work / "home"),
           "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    with open(work / "stdout.txt", "wb") as out, open(work / "stderr.txt", "wb") as err:
        if drop_target():
            for path in (work / "stdout.txt", work / "stderr.txt"):
                os.chown(path, *drop_target())
        with _lock:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-B", str(work / "harness" / "harness.py"), str(work)],
                cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                start_new_session=True, close_fds=True)
            _active.add(proc.pid)
            _sessions.add(proc.pid)
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
    sweep()
    with _lock:
        _sessions.discard(proc.pid)  # its members are gone; escapees are orphans of ours


def _read_json(path: Path):
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            return None
        return json.loads(path.read_text())
    except (OSError, ValueError, RecursionError):
        return None


def load_array(path: Path) -> np.ndarray:
    """A freshly loaded, plain, numeric ndarray, or ValueError: never pickle, never a
    subclass, and the header's size is checked against the file before reading."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        header = f.tell()
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if dtype.kind not in "biuf" or dtype.hasobject:
        raise ValueError(f"an array of dtype {dtype} (expected numbers)")
    if count * dtype.itemsize > MAX_ARRAY_BYTES or \
            count * dtype.itemsize > path.stat().st_size - header:
        raise ValueError("an array file that is too large or truncated")
    return np.array(np.load(path, allow_pickle=False), copy=True, subok=False)


def _collect(work: Path, index: int, job: Job) -> JobResult | None:
    record = _read_json(work / "out" / f"{index}.json")
    if not isinstance(record, dict):
        return None
    if not record.get("ok"):
        return JobResult("error", _clean(str(record.get("error", "an exception")), work))
    arrays = {}
    for name in record.get("arrays", []):
        if not isinstance(name, str) or not NAME.match(name):
            continue
        try:
            arrays[name] = load_array(work / "out" / f"{index}__{name}.npy")
        except (OSError, ValueError, EOFError) as exc:
            return JobResult("error", f"the value returned for {name} could not be read back as "
                                      f"a numeric array ({exc})")
    info = record.get("info") if isinstance(record.get("info"), dict) else {}
    return JobResult("ok", "", info, arrays)


def _clean(text: str, work: Path) -> str:
    return text.replace(str(work / "sub") + os.sep, "").replace(str(work), "<sandbox>")


def _tail(path: Path, work: Path) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - OUTPUT_SHOWN))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return _clean(text.strip(), work)


def _death(returncode: int | None, timed_out: bool, what: str, work: Path, limits) -> str:
    if timed_out:
        return f"{what} did not finish within its time limit ({limits:g} s): an infinite loop?"
    if returncode is not None and returncode < 0:
        sig = -returncode
        reasons = {signal.SIGXFSZ: "it wrote more output than allowed (a print flood?)",
                   signal.SIGXCPU: "it used more CPU time than allowed",
                   signal.SIGKILL: "it was killed (memory or time limit?)",
                   signal.SIGSEGV: "it crashed (segmentation fault)"}
        reason = reasons.get(sig, f"it was killed by signal {signal.Signals(sig).name}"
                             if sig in signal.valid_signals() else f"signal {sig}")
        text = f"the process running {what} died: {reason}"
    else:
        text = (f"the process running {what} exited (status {returncode}) before finishing: "
                "does the code call sys.exit() or os._exit()?")
    tail = _tail(work / "stderr.txt", work)
    return text + (f"\nLast lines it printed to stderr:\n{tail}" if tail else "")


def run_child(package: Path, jobs: list[Job], limits: Limits, server=None) -> tuple[dict, dict]:
    """One child over ``jobs``: returns (results for the jobs it finished, a status
    dict with 'import' (None, or the import problem) and 'stopped_at' (index, reason)).
    With a fork server the child is forked from it, else started from scratch."""
    work = _prepare(package, jobs, limits, parent=server.root if server else None)
    results, status = {}, {"import": None, "stopped_at": None}
    try:
        proc = server.fork(work) if server else _start(work, limits)
    except OSError:  # a broken fork server: start this child the slow way
        proc = _start(work, limits)
    try:
        index, timed_out = -1, False   # -1: importing nn100
        phase_start = time.monotonic()
        while True:
            budget = limits.timeout * (2 if index < 0 else jobs[index].budget) + 1.0
            done_file = work / "out" / ("import.json" if index < 0 else f"{index}.json")
            if done_file.exists():
                index, phase_start = index + 1, time.monotonic()
                if index >= len(jobs):
                    proc.wait(timeout=limits.timeout + 2) if proc.poll() is None else None
                    break
                continue
            if proc.poll() is not None:
                if done_file.exists():
                    continue
                break
            if time.monotonic() - phase_start > budget:
                timed_out = True
                break
            time.sleep(0.003)
    except subprocess.TimeoutExpired:
        pass
    finally:
        _finish(proc)
    try:
        record = _read_json(work / "out" / "import.json")
        if record is None:
            what = "the import of nn100"
            status["import"] = _death(proc.returncode, timed_out and index < 0, what, work,
                                      limits.timeout * 2)
        elif not record.get("ok"):
            status["import"] = _clean(str(record.get("error")), work)
        else:
            for i, job in enumerate(jobs):
                result = _collect(work, i, job)
                if result is None:
                    reason = _death(proc.returncode, timed_out and i == index, "this check",
                                    work, limits.timeout * job.budget)
                    status["stopped_at"] = (i, reason)
                    break
                results[job.id] = result
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results, status


def run_jobs(package: Path, jobs: list[Job], limits: Limits, servers=None) -> ChildReport:
    """All ``jobs`` (one unit's), restarting a fresh child after a crash or a timeout."""
    results: dict = {}
    remaining, failures = list(jobs), 0
    while True:  # at least once: with no jobs, this is the import probe
        server = servers.get() if servers else None
        try:
            done, status = run_child(package, remaining, limits, server)
        finally:
            if server:
                servers.release(server)
        if status["import"]:
            return ChildReport(False, status["import"], results)
        results.update(done)
        if status["stopped_at"] is None:
            break
        index, reason = status["stopped_at"]
        results[remaining[index].id] = JobResult(
            "timeout" if "time limit" in reason.split("\n")[0] else "crashed", reason)
        remaining, failures = remaining[index + 1:], failures + 1
        if not remaining:
            break
        if failures >= MAX_FAILURES_PER_CHILD_RUN:
            for job in remaining:
                results[job.id] = JobResult(
                    "not run", "not run: earlier checks of this unit crashed or timed out")
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
    CPU limit and a nested Landlock domain before importing the submission."""

    def __init__(self, limits: Limits):
        self.limits, self.broken, self.pending = limits, False, b""
        self.root = _prepare(None, [], Limits(limits.timeout, limits.memory_bytes,
                                              limits.file_bytes, limits.processes))
        task = json.loads((self.root / "task.json").read_text())
        task["limits"]["cpu_seconds"] = 3600  # the server's own; each child sets its own
        (self.root / "task.json").write_text(json.dumps(task))
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.root / "home"),
               "TMPDIR": str(self.root / "home"), "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1",
               "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
        with open(self.root / "server-stderr.txt", "wb") as err:
            with _lock:
                self.proc = subprocess.Popen(
                    [sys.executable, "-I", "-B", str(self.root / "harness" / "harness.py"),
                     str(self.root), "--serve"],
                    cwd=self.root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=err, start_new_session=True, close_fds=True)
                # Not in _sessions: a freshly forked child sits in the server's session
                # until its setsid(), and must not be swept by another thread meanwhile.
                _active.add(self.proc.pid)

    def _line(self, timeout):
        """The server's next line, or None after ``timeout`` seconds.  Reads the pipe
        unbuffered, so a line that arrived with the previous one is never missed."""
        import select
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
        target = drop_target()
        if target:
            os.chown(work.parent, *target)
        self.proc.stdin.write(f"{work}\n".encode())
        self.proc.stdin.flush()
        line = self._line(self.limits.timeout * 2 + 10)
        if line is None or not line.isdigit():
            self.broken = True
            raise OSError("the fork server did not answer")
        pid = int(line)
        with _lock:
            _active.add(pid)
            _sessions.add(pid)
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
        shutil.rmtree(self.root, ignore_errors=True)


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
