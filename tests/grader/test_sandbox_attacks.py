"""The sandbox against submissions that attack it (hostile_sandbox.py): one combined
hostile grading, a reference graded at the same moment and one after it.

Criteria: each attacked unit earns no point its honest part would not (the attacks
are written so that a working attack would earn points), no canary reaches any
output or listener, nothing is left running, mounted, shared or on disk, results.json
is intact and bounded, and both reference gradings keep full marks."""
import json
import os
import secrets
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

import hostile_sandbox as hs
from autograder import course
from autograder.grading import grade, report
from autograder import sandbox
from autograder.sandbox.processes import processes
from grader_support import CONVERGENCE, leftover_processes, unit_table
from hostile import SOLUTIONS, apply_hostile

pytestmark = pytest.mark.xdist_group("sandbox-attacks")  # one worker grades them once

CANARY = "nn100-canary-" + secrets.token_hex(8)
TIMEOUT = 3.0
SEED = 7


class Listeners:
    """UDP, TCP and unix-datagram listeners on this machine, for the exfiltration
    attacks; ``received()`` is everything that reached any of them."""

    def __init__(self, folder: Path):
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(8)
        folder.mkdir(mode=0o777, exist_ok=True)
        os.chmod(folder, 0o777)
        self.unix_path = str(folder / "listener.sock")
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.unix.bind(self.unix_path)
        os.chmod(self.unix_path, 0o777)
        for s in (self.udp, self.tcp, self.unix):
            s.setblocking(False)

    def received(self) -> list[bytes]:
        found = []
        for s in (self.udp, self.unix):
            while True:
                try:
                    found.append(s.recv(65536))
                except OSError:
                    break
        while True:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                break
            conn.settimeout(0.2)
            try:
                found.append(conn.recv(65536) or b"<connected>")
            except OSError:
                found.append(b"<connected>")
            conn.close()
        return found

    def close(self):
        for s in (self.udp, self.tcp, self.unix):
            s.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("attacks")
    canary_file = folder / "instructor-only.txt"
    canary_file.write_text(CANARY + "\n")
    os.chmod(canary_file, 0o600)
    listeners = Listeners(folder / "sockets")
    root = apply_hostile(("sandbox", hs.attacks(str(canary_file), listeners.udp.getsockname()[1],
                                                listeners.tcp.getsockname()[1],
                                                listeners.unix_path)), folder / "submission")
    os.environ["NN100_TEST_CANARY"] = CANARY  # in the grader's own environment
    beside = {}

    def grade_reference():
        beside["grade"] = grade.grade(SOLUTIONS.parent, seed=SEED, timeout=TIMEOUT, budget=300)

    try:
        thread = threading.Thread(target=grade_reference)
        thread.start()
        hostile = grade.grade(root, seed=SEED, timeout=TIMEOUT, budget=300)
        thread.join()
        after = grade.grade(SOLUTIONS.parent, seed=SEED, timeout=TIMEOUT, budget=300)
        received = listeners.received()
    finally:
        del os.environ["NN100_TEST_CANARY"]
        listeners.close()
    return {"hostile": hostile, "beside": beside["grade"], "after": after,
            "received": received}


def test_every_attacked_unit_fails_what_the_attack_targets(graded):
    result = graded["hostile"]
    earned, points = unit_table(result), grade.load_points()
    for unit, (mechanism, words) in hs.TARGETS.items():
        checks = [o for o in result.outcomes if o.check.unit == unit]
        targeted = [o for o in checks if words == ["*"] or any(w in o.check.title for w in words)]
        assert not words or targeted, f"{unit}: no check matches {words}"
        assert not any(o.passed for o in targeted), \
            f"{unit} ({mechanism}): {[o.check.title for o in targeted if o.passed]} passed"
        assert earned[unit] <= points[unit]
    for unit in set(points) - set(hs.TARGETS) - CONVERGENCE:
        assert earned[unit] == points[unit], f"{unit} lost points it should keep"


def test_no_canary_in_any_output_nor_on_any_listener(graded):
    for key in ("hostile", "beside", "after"):
        g = graded[key]
        text = report.table(g, details=True) + json.dumps(report.results_json(g))
        assert CANARY not in text, f"the canary leaked into the {key} grading's output"
        assert "NN100_TEST_CANARY" not in text
    assert graded["received"] == [], "a child reached a listener on this machine"


def test_references_beside_and_after_keep_full_marks(graded):
    for key in ("beside", "after"):
        g = graded[key]
        assert g.score == g.max_score, \
            f"the reference graded {key} the attacks scored {g.score}: " + report.table(g)


def test_results_intact_and_bounded(graded):
    result = graded["hostile"]
    assert len(result.outcomes) == sum(len(p.checks) for p in grade.plan(course.load(), SEED))
    assert not [o for o in result.outcomes if "internal grader error" in o.text]
    data = json.dumps(report.results_json(result))
    assert len(data) < 1 << 20
    assert all(len(o.text) < 5000 for o in result.outcomes)


def test_nothing_left_running_mounted_shared_or_on_disk(graded):
    ours = f"{sandbox.SANDBOX_PREFIX}{os.getpid()}-"
    assert leftover_processes(ours, hs.MARKER) == []
    sandbox.close_shared()  # the fork servers kept for the next grading, and their folders
    assert leftover_processes(ours) == []
    assert [p for p in os.listdir(tempfile.gettempdir()) if p.startswith(ours)] == []
    with open("/proc/mounts") as f:
        assert ours not in f.read()
    try:
        with open("/proc/sysvipc/shm") as f:
            keys = [int(line.split()[0]) for line in f.readlines()[1:] if line.strip()]
    except OSError:
        keys = []
    assert hs.SHM_KEY not in keys, "a SysV segment outlived its grading"


def test_protections_say_what_is_in_force(graded):
    line = " ".join(graded["hostile"].protections)
    if os.getuid() == 0:
        for words in ("seccomp", "a fresh IPC namespace", "PID namespace per unit",
                      "tmpfs per unit", "uid 65534"):
            assert words in line, f"{words!r} missing from the Sandbox line: {line}"
        assert "NO " not in line
    else:
        assert "NO IPC namespace" in line and "NO disk of its own" in line


@pytest.mark.skipif(os.getuid() != 0, reason="the second wall needs the unit's PID namespace "
                    "(root); without it only the process ban stands")
def test_a_process_the_import_left_is_killed_before_the_first_job(tmp_path):
    """Nothing beside a check, two walls: new processes are banned before the import
    (seccomp), and whatever the import still left in the unit's PID namespace is killed
    (kill(-1)) before the first job.  A Momentum that steps only while a process forked
    at import writes beside the checks (hs.BESIDE) earns the reference's marks with both
    walls down, and nothing with either one standing."""
    from autograder.grading.grade import judge_unit, unit_plan
    root = apply_hostile(("beside", hs.BESIDE), tmp_path / "submission")
    plan = unit_plan(course.load(), SEED, "MomentumOptimizer")

    def earned(**changes) -> float:
        report = sandbox.run_jobs(root / "nn100", plan.jobs, sandbox.Limits(timeout=TIMEOUT),
                                  changes=changes)
        outcomes = judge_unit(plan, report, report)
        return sum(o.check.weight for o in outcomes if o.passed) / \
            sum(o.check.weight for o in outcomes)

    assert earned(ban_processes="never", kill_leftovers=False) == 1.0  # the attack works
    assert earned(ban_processes="never") == 0.0    # the second wall alone
    assert earned(kill_leftovers=False) == 0.0     # the first wall alone
    assert earned() == 0.0                          # both, as graded


@pytest.mark.parametrize("after, status, said", [
    ("_os._exit(0)", sandbox.JobStatus.CRASHED, "exited (status 0) before finishing"),
    ("_time.sleep(60)", sandbox.JobStatus.TIMEOUT, "did not finish within its time limit")])
def test_a_child_that_stops_reading_its_jobs_fails_the_next_one(tmp_path, after, status, said):
    """A job's inputs follow it on the jobs FIFO.  A child that exits, or stops reading,
    once it has answered a job fails the next one (1 MB of inputs, more than the FIFO
    holds, so the grader is still writing when it notices) as a crash or a time-out,
    within that job's limit; a fresh child runs the jobs after it."""
    import numpy as np
    from autograder.sandbox.child import protocol
    root = apply_hostile(("stops reading", [
        ("layers.py", "class ReLU(Layer):", f'''def _stop_after_this_job():
    import os as _os, sys as _sys, time as _time
    _sys.modules["__main__"].next_job = lambda: {after}


class ReLU(Layer):'''),
        ("layers.py", "        mask = X > 0\n        Y = X * mask",
         "        _stop_after_this_job()\n        mask = X > 0\n        Y = X * mask")]),
        tmp_path / "submission")
    forward = {"cls": "ReLU", "steps": [[protocol.FORWARD, "X"]]}
    big = np.random.default_rng(0).standard_normal((512, 256))
    jobs = [sandbox.Job("small", protocol.LAYER, forward, {"X": np.ones((2, 3))}),
            sandbox.Job("big", protocol.LAYER, forward, {"X": big}),
            sandbox.Job("after", protocol.LAYER, forward, {"X": -np.ones((4, 1))})]
    report = sandbox.run_jobs(root / "nn100", jobs, sandbox.Limits(timeout=1.0))
    assert report.import_ok
    assert [report.results[j].status for j in ("small", "big", "after")] == \
        [sandbox.JobStatus.OK, status, sandbox.JobStatus.OK]
    assert np.array_equal(report.results["after"].arrays[protocol.OUTPUT.format(0)],
                          np.zeros((4, 1)))
    assert said in report.results["big"].message


def test_one_fork_server_serves_two_units_at_once_and_neither_sees_the_other(tmp_path):
    """The grading threads share one fork server, which keeps a descriptor on each child
    it runs.  A child forked while another unit's runs holds none of them (a pidfd would
    let it signal that unit from outside its PID namespace): here ReLU's job stalls
    while Sigmoid's job lists every descriptor it has."""
    import numpy as np
    from autograder.sandbox.child import protocol
    root = apply_hostile(("two at once", [
        ("layers.py", "        mask = X > 0\n        Y = X * mask",
         "        __import__('time').sleep(1.5)\n        mask = X > 0\n        Y = X * mask"),
        ("layers.py", "class Sigmoid(Layer):", """def _descriptors():
    import os
    found = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            found[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            pass  # the listing's own
    return found


class Sigmoid(Layer):"""),
        ("layers.py", hs.SIGMOID_FORWARD,
         "raise RuntimeError(repr(_descriptors()))\n        " + hs.SIGMOID_FORWARD)]),
        tmp_path / "submission")
    limits, pool = sandbox.Limits(timeout=5.0), sandbox.ServerPool(sandbox.Limits(timeout=5.0))

    def run(cls):
        job = sandbox.Job(cls, protocol.LAYER, {"cls": cls, "steps": [[protocol.FORWARD, "X"]]},
                          {"X": np.ones((2, 3))})
        return sandbox.run_jobs(root / "nn100", [job], limits, pool).results[cls]

    try:
        server = pool.get().proc.pid
        stalled = {}
        thread = threading.Thread(target=lambda: stalled.update(result=run("ReLU")))
        thread.start()
        deadline = time.monotonic() + 20
        while not any(p.ppid == server for p in processes()):  # until ReLU's child exists
            assert time.monotonic() < deadline, "ReLU's child never started"
            time.sleep(0.01)
        listed = run("Sigmoid")  # forked while the server watches ReLU's child (1.5 s job)
        thread.join()
        assert len(pool.all) == 1
    finally:
        pool.close()
    assert stalled["result"].status == sandbox.JobStatus.OK
    assert listed.status == sandbox.JobStatus.ERROR and "RuntimeError" in listed.message
    assert "pidfd" not in listed.message and "pipe" not in listed.message, listed.message


def test_a_fork_server_that_dies_mid_unit_is_replaced_and_nothing_is_left(tmp_path):
    """The shared server is killed while a unit's job runs: that job's answer still
    arrives (it travels on the unit's own FIFO), the unit's processes are swept, and the
    next unit is forked from a new server."""
    import numpy as np
    from autograder.sandbox.child import protocol
    root = apply_hostile(("slow", [
        ("layers.py", "        mask = X > 0\n        Y = X * mask",
         "        __import__('time').sleep(1.0)\n        mask = X > 0\n        Y = X * mask")]),
        tmp_path / "submission")
    limits = sandbox.Limits(timeout=5.0)
    pool = sandbox.ServerPool(limits)
    job = sandbox.Job("relu", protocol.LAYER, {"cls": "ReLU", "steps": [[protocol.FORWARD, "X"]]},
                      {"X": np.ones((2, 3))})
    try:
        first = pool.get()

        def kill_the_server_once_its_child_runs():
            deadline = time.monotonic() + 20
            while not any(p.ppid == first.proc.pid for p in processes()):
                if time.monotonic() > deadline:
                    return
                time.sleep(0.01)
            time.sleep(0.2)  # into the job's 1 s
            killed.append(first.proc.pid)
            os.kill(first.proc.pid, 9)

        killed = []
        killer = threading.Thread(target=kill_the_server_once_its_child_runs)
        killer.start()
        during = sandbox.run_jobs(root / "nn100", [job], limits, pool)
        killer.join()
        assert killed, "the unit's child never started"
        after = sandbox.run_jobs(root / "nn100", [job], limits, pool)
        assert pool.all and pool.all[0] is not first
    finally:
        pool.close()
    for run in (during, after):
        assert run.results["relu"].status == sandbox.JobStatus.OK
    assert leftover_processes(f"{sandbox.SANDBOX_PREFIX}{os.getpid()}-") == []  # ours only


@pytest.mark.parametrize("forked", [True, False])
@pytest.mark.parametrize("end, said", [
    ("__import__('os').kill(__import__('os').getpid(), 11)", "it crashed (segmentation fault)"),
    ("__import__('os')._exit(3)", "exited (status 3) before finishing")])
def test_how_a_unit_ended_is_told_alike_with_or_without_a_fork_server(tmp_path, forked, end,
                                                                      said):
    """A unit's process that dies of a signal or exits: its status passes up through
    its PID namespace's init (a child of the fork server, or of an outer process when the
    child is started from scratch), so the check says how it ended either way."""
    import numpy as np
    from autograder.sandbox.child import protocol
    root = apply_hostile(("ends", [("layers.py", "        mask = X > 0\n        Y = X * mask",
                                    f"        {end}\n        mask = X > 0\n        Y = X * mask")]),
                         tmp_path / "submission")
    job = sandbox.Job("relu", protocol.LAYER, {"cls": "ReLU", "steps": [[protocol.FORWARD, "X"]]},
                      {"X": np.ones((2, 3))})
    limits = sandbox.Limits(timeout=3.0)
    pool = sandbox.ServerPool(limits) if forked else None
    try:
        result = sandbox.run_jobs(root / "nn100", [job], limits, pool).results["relu"]
    finally:
        if pool:
            pool.close()
    assert result.status == sandbox.JobStatus.CRASHED and said in result.message, result.message
