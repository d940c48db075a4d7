"""Child side: run the grader's jobs against the submission's nn100, one at a time.

Started by the grader as ``python -I -B harness.py WORK`` (or forked from a fork
server, below).  WORK is a fresh folder the grader owns: task.json (its policy),
sub/nn100 (a copy of the submission), this harness, and two FIFOs.  The child never
receives a list of jobs: the grader writes one job (its operation and spec, no id)
into ``jobs`` when the previous one is done, followed by its input arrays; the
child writes out/<k>.json plus its arrays in out/<k>.npys and reports ``k`` on ``done``.
Student code therefore cannot tell which check it is in, nor read what comes next.

Before any student code is imported the child confines itself as its policy says
(policy.py, applied by enforce.py through confine.py and seccomp.py): rlimits, fresh
IPC, PID, network and mount namespaces with a private read-only root, Landlock, an
unprivileged user, seccomp (no sockets, no processes); after the import, whatever the
import left in the PID namespace is killed before the first job.
The jobs themselves are in jobs.py; this file starts the child, runs the jobs one
at a time, writes their results, and is also the fork server (--serve).
Nothing here is graded logic; the verdict is never decided in the child.
"""
import errno
import json
import os
import resource
import select
import sys
import traceback

WORK = os.path.realpath(sys.argv[1])
SERVING = sys.argv[2:] == ["--serve"]
HERE = os.path.dirname(os.path.realpath(__file__))
OUT = os.path.join(WORK, "out")

sys.path.insert(0, HERE)
import confine  # noqa: E402  (the harness's own folder, removed from sys.path below)
import enforce  # noqa: E402
import protocol  # noqa: E402
import seccomp  # noqa: E402
from policy import BEFORE_IMPORT, SandboxPolicy  # noqa: E402

sys.path.remove(HERE)


def read_task(work: str):
    """The task file: (the task, its policy)."""
    with open(os.path.join(work, protocol.TASK_FILE)) as f:
        task = json.load(f)
    return task, SandboxPolicy.from_json(json.dumps(task["policy"]))


TASK, POLICY = read_task(WORK)
enforce.limits(POLICY)

import numpy as np  # noqa: E402
# Once the child is confined it may no longer read the interpreter's folder (a user
# switch makes it unreadable), so load what student code commonly imports now.
import abc, array, bisect, cmath, collections, collections.abc, contextlib, copy  # noqa
import dataclasses, decimal, enum, fractions, functools, heapq, inspect, io, itertools  # noqa
import linecache, logging, math, numbers, operator, pathlib, pprint, random, re  # noqa
import statistics, string, struct, textwrap, time, tokenize, types, typing, warnings  # noqa
import atexit, binascii, datetime, gc, glob, hashlib, secrets, signal, threading  # noqa
import weakref, zlib, socket  # noqa
import numpy.testing  # noqa  (imports unittest; students sometimes use it)

sys.path.insert(0, HERE)
import jobs  # noqa: E402  (the job library)
import npy  # noqa: E402  (the .npy files of inputs and results)

sys.path.remove(HERE)


def warm_up_numpy() -> None:
    """Touch what numpy loads lazily (random, linalg, printing) while it still can."""
    rng = np.random.default_rng()
    rng.permutation(rng.standard_normal(4))
    np.random.seed(0)
    np.random.rand(2)
    np.linalg.solve(np.eye(2), np.ones(2))
    np.einsum("ij->i", np.ones((2, 2)))
    repr(np.ones((2, 2), dtype=np.float32))
    str(np.ones(3) > 0)


warm_up_numpy()


CHANNEL = {}  # "jobs": the file jobs arrive on, "done": the descriptor to report on


def open_channel(work: str) -> None:
    """The grader's FIFOs (it holds both ends open, so neither open blocks)."""
    CHANNEL["jobs"] = open(os.path.join(work, protocol.JOBS_FIFO), "rb")
    CHANNEL["done"] = os.open(os.path.join(work, protocol.DONE_FIFO), os.O_WRONLY)


if not SERVING:
    open_channel(WORK)  # before the private root: the FIFOs are the grader's, by descriptor
seccomp.preload()
PROTECTIONS = ["rlimits: address space, CPU time, file size, processes, no core dumps"]
IN_PID_NAMESPACE = []  # [True] once lock_down() entered a PID namespace of the unit's own


def lock_down() -> None:
    """The policy's namespaces, private root, Landlock, user and seccomp (enforce.py),
    with new processes banned before the submission is imported: the last steps
    before student code.  What each achieved goes to PROTECTIONS."""
    found, in_pid_namespace = enforce.lock_down(POLICY)
    PROTECTIONS[:0] = [p for p in found if p.startswith("landlock") or p.startswith("TCP")
                       or p.startswith("signals")]
    PROTECTIONS.extend(p for p in found if p not in PROTECTIONS)
    IN_PID_NAMESPACE[:] = [in_pid_namespace]
    # Before the import: what a submission forks while imported would otherwise live
    # beside its checks (reading their inputs, computing where no counter looks).
    if POLICY.seccomp and POLICY.ban_processes == BEFORE_IMPORT:
        PROTECTIONS.extend(seccomp.forbid_processes())
    if POLICY.kill_leftovers and in_pid_namespace:
        PROTECTIONS.append("whatever the import left in the PID namespace killed before the "
                           "first job")


def kill_leftovers() -> None:
    """The second wall behind the process ban: every process of this PID namespace
    but this one and its init (kill(-1) spares both; the init is root's, this user
    cannot signal it) dies before the first job.  Only inside a namespace of the
    unit's own: outside, kill(-1) would reach every process of this user."""
    if POLICY.kill_leftovers and IN_PID_NAMESPACE == [True]:
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass  # nothing left: the usual case


def save_result(token, record: dict, arrays: dict) -> None:
    record["arrays"], data = npy.pack(arrays)
    if data:
        fd = os.open(os.path.join(OUT, protocol.DATA_FILE.format(token)),
                     os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
    tmp = os.path.join(OUT, f"{token}.tmp")
    with open(tmp, "w") as f:
        json.dump(record, f)
    os.replace(tmp, os.path.join(OUT, protocol.RESULT_FILE.format(token)))


def describe(exc: BaseException) -> str:
    """The exception and where in the submission it happened, in one line."""
    try:
        text = f"{type(exc).__name__}: {exc}"[:400]
    except BaseException:  # an exception whose str() itself fails
        text = type(exc).__name__
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"SyntaxError: {exc.msg} ({relative(exc.filename)}, line {exc.lineno})"
    where = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):  # no source lookups: fast
        filename = frame.f_code.co_filename
        if filename.startswith(os.path.join(WORK, "sub")):
            where = f"{relative(filename)}, line {lineno}"
    return f"{text} ({where})" if where else text


def relative(path: str) -> str:
    return os.path.relpath(path, os.path.join(WORK, "sub"))


# ---------------------------------------------------------------- main

def report(token: str) -> None:
    os.write(CHANNEL["done"], f"{token}\n".encode())


def next_job():
    """The grader's next job and its input arrays ({name: .npy bytes}), or (None, {})
    when it has no more (it closed its end)."""
    line = CHANNEL["jobs"].readline()
    if not line.strip():
        return None, {}
    job = json.loads(line)
    return job, npy.unpack(job["arrays"], CHANNEL["jobs"].read(sum(n for _, n in job["arrays"])))


def calibration_probe() -> dict:
    """What a child confined like a unit's can still do, measured without student code."""
    found = {}
    for name, family, kind in (("udp", socket.AF_INET, socket.SOCK_DGRAM),
                               ("netlink", socket.AF_NETLINK, socket.SOCK_RAW)):
        try:
            socket.socket(family, kind, 2 if name == "netlink" else 0).close()  # USERSOCK
            found[name] = "allowed"
        except OSError as exc:
            found[name] = f"denied ({type(exc).__name__})"
    fd = os.open(os.__file__, os.O_RDONLY)  # a file every child can read
    for name, call in (("fadvise", lambda: os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)),
                       ("nowait", lambda: os.preadv(fd, [bytearray(1)], 0, os.RWF_NOWAIT))):
        try:
            call()
            found[name] = "allowed"
        except OSError as exc:
            found[name] = "denied" if exc.errno == errno.EPERM else "allowed"
    os.close(fd)
    try:
        worker = threading.Thread(target=int)
        worker.start()
        worker.join()
        found["thread"] = "allowed"
    except RuntimeError:
        found["thread"] = "denied"
    try:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        found["fork"] = "allowed"
    except OSError:
        found["fork"] = "denied"
    return found


def main() -> None:
    if TASK.get("calibrate") or not SERVING:  # the probe warms what every unit reads
        confine.warm(POLICY.view, POLICY.hidden)
    lock_down()
    if TASK.get("calibrate"):
        save_result(protocol.PROBE, {"protections": PROTECTIONS, "uid": os.getuid(),
                                     "probe": calibration_probe()}, {})
        report(protocol.PROBE)
        return
    sub = os.path.join(WORK, "sub")
    sys.path.insert(0, sub)
    try:
        import nn100
        where = os.path.realpath(getattr(nn100, "__file__", None) or "")
        if not where.startswith(os.path.join(sub, "nn100") + os.sep):
            raise ImportError(f"nn100 resolved to {where!r}, not to the submission's copy")
        jobs.nn100, jobs.describe = nn100, describe
        record = {"ok": True}
    except BaseException as exc:  # SystemExit, KeyboardInterrupt and all: it is data here
        record = {"ok": False, "error": describe(exc)}
    kill_leftovers()
    save_result(protocol.IMPORT, record, {})
    report(protocol.IMPORT)
    if not record["ok"]:
        return
    index = 0
    while True:
        job, jobs.INPUTS = next_job()
        if job is None:
            return
        try:
            info, arrays = jobs.JOBS[job["op"]](job["spec"])
            save_result(index, {"ok": True, "info": info}, arrays)
        except BaseException as exc:
            try:
                save_result(index, {"ok": False, "error": describe(exc)}, {})
            except BaseException as inner:
                save_result(index, {"ok": False, "error": describe(inner)}, {})
        report(str(index))
        index += 1


# ---------------------------------------------------------------- fork server

def serve() -> None:
    """Fork server: numpy is imported once; then, for each unit folder named on stdin, a
    fresh forked child runs that unit, and the server answers with the child's pid.  It
    serves every grading thread at once: when a child ends it writes ``exit <pid>
    <status>``.  The server itself never imports student code and keeps its privileges
    (it needs them to give each child its namespaces): it only forks, reports pids,
    reaps its children and reports their exit statuses."""
    # children: a pidfd (readable once its child ended) -> (the child's pid, whether the
    # child is the init of its unit's PID namespace)
    pending, children = b"", {}
    namespaces = NextPidNamespace()
    while True:
        ready, _, _ = select.select([0, *children], [], [])
        for fd in [fd for fd in ready if fd in children]:
            report_exit(*children.pop(fd))
            os.close(fd)
        if 0 not in ready:
            continue
        chunk = os.read(0, 4096)
        if not chunk:
            os._exit(0)
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            unit = os.path.realpath(line.decode().strip())
            task = read_task(unit)  # read once: the child inherits it
            first = namespaces.ask("PID" in task[1].namespaces)
            pid = os.fork()
            if pid == 0:
                try:
                    become_unit(unit, task)
                    main()
                finally:
                    os._exit(0)
            namespaces.restore()
            os.write(1, f"{pid}\n".encode())
            try:
                children[os.pidfd_open(pid)] = (pid, first)
            except (AttributeError, OSError):  # no pidfds (Linux < 5.3): one unit at a time
                report_exit(pid, first)


def report_exit(pid: int, first: bool) -> None:
    """Reap child ``pid`` and write its exit status (its unit's process's, when the child
    was the init of that unit's PID namespace)."""
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    os.write(1, f"exit {pid} {confine.unit_status(code) if first else code}\n".encode())


class NextPidNamespace:
    """As root, the server's next child can be the first process of a PID namespace of
    its own (unshare(CLONE_NEWPID) applies to the children forked after it): then that
    child is its unit's init (confine.isolate), one process fewer than a child that makes
    the namespace itself.  After the fork the server returns to its own namespace for
    its children, so the next unit gets a new one, or the server stops."""

    def __init__(self):
        self.own = os.open("/proc/self/ns/pid", os.O_RDONLY) if os.getuid() == 0 else None
        self.asked = False

    def ask(self, wanted: bool) -> bool:
        """A new PID namespace for the next child: whether the kernel granted it."""
        self.asked = bool(wanted and self.own is not None and
                          confine.libc.unshare(confine.FLAGS["PID"]) == 0)
        return self.asked

    def restore(self) -> None:
        if self.asked and confine.libc.setns(self.own, confine.FLAGS["PID"]) != 0:
            os._exit(1)  # its next child would land in the last unit's namespace: the
            # grader sees the server gone and starts another


def become_unit(unit: str, task: tuple) -> None:
    """In the forked child: a session, the grader's files and FIFOs and limits of its
    own (``task``: its task file, as the server read it); lock_down() then confines it
    as a unit started from scratch would be (the server itself runs unconfined by
    Landlock: a Landlock domain forbids the mounts of each unit's private root)."""
    global WORK, OUT, TASK, POLICY
    os.setsid()
    WORK, OUT = unit, os.path.join(unit, "out")
    TASK, POLICY = task
    for fd, path, mode in ((0, "/dev/null", os.O_RDONLY), (1, "stdout.txt", os.O_WRONLY),
                           (2, "stderr.txt", os.O_WRONLY)):
        opened = os.open(os.path.join(unit, path), mode | os.O_NOFOLLOW)
        os.dup2(opened, fd)
        os.close(opened)
    os.closerange(3, 1 << 20)  # the server's pidfds of other units' children among them
    open_channel(unit)
    os.chdir(unit)
    os.environ.clear()
    os.environ.update(POLICY.env)
    cpu = POLICY.cpu_seconds
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))


if __name__ == "__main__":
    try:
        if SERVING:
            serve()
        else:
            main()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)  # skip atexit handlers and threads the submission may have left
