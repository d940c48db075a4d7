"""No channel between two students' gradings (hostile_channels.py): a leaker (the
reference, handing out a key at every import) and a copier (the stubs, carrying the
reference encrypted with that key) graded at the same time, then the copier again
beside a plain reference, after the leaker.

Criteria: the copier never scores above its honest twin (the stubs: 0 points), no
datagram reaches the test's own UDP or netlink listener, the leaker and the
reference keep full marks, and the probe child finds every channel closed."""
import os
import secrets
import socket
import threading

import pytest

import hostile_channels as hc
from autograder import sandbox
from autograder.grading import grade, report
from grader_support import SOLUTIONS, leftover_processes

pytestmark = pytest.mark.xdist_group("sandbox-channels")  # one worker grades them once

SEED = 11
TIMEOUT = 3.0
NETLINK_USERSOCK = 2


class Listeners:
    """A UDP socket on 127.0.0.1 and a NETLINK_USERSOCK socket of this machine's network
    namespace; ``received()`` is everything that reached either."""

    def __init__(self):
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.netlink = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_USERSOCK)
        self.netlink.bind((0, 0))  # the kernel picks a free port id
        for s in (self.udp, self.netlink):
            s.setblocking(False)

    def ports(self):
        return self.udp.getsockname()[1], self.netlink.getsockname()[0]

    def received(self) -> list[bytes]:
        found = []
        for s in (self.udp, self.netlink):
            while True:
                try:
                    found.append(s.recv(65536))
                except OSError:
                    break
        return found

    def close(self):
        self.udp.close()
        self.netlink.close()


def _grade(root, into: dict, key: str):
    into[key] = grade.grade(root, seed=SEED, timeout=TIMEOUT, budget=300)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("channels")
    key = secrets.token_bytes(8)
    listeners = Listeners()
    udp_port, netlink_port = listeners.ports()
    leaker = hc.write_leaker(folder / "leaker", key, udp_port, netlink_port)
    copier = hc.write_copier(folder / "copier", key)
    found: dict = {}
    try:
        for pair in ((("leaker", leaker), ("copier beside", copier)),
                     (("reference after", SOLUTIONS.parent), ("copier after", copier))):
            threads = [threading.Thread(target=_grade, args=(root, found, name))
                       for name, root in pair]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        found["received"] = listeners.received()
    finally:
        listeners.close()
    return found


def test_copier_scores_no_more_than_its_honest_twin(graded):
    # The copier without the key is the stubs, which score 0 (test_grader_reference).
    for key in ("copier beside", "copier after"):
        g = graded[key]
        assert g.score == 0, f"the {key} the leaker scored {g.score}: " + report.table(g)


def test_nothing_reached_a_listener_on_this_machine(graded):
    assert graded["received"] == [], "a child's datagram reached a listener of this machine"


def test_leaker_and_reference_keep_full_marks(graded):
    for key in ("leaker", "reference after"):
        g = graded[key]
        assert g.score == g.max_score, f"the {key} scored {g.score}: " + report.table(g)


def test_nothing_left_running(graded):
    assert leftover_processes(f"{sandbox.SANDBOX_PREFIX}{os.getpid()}-") == []


def test_protections_name_each_closed_channel(graded):
    line = " ".join(graded["leaker"].protections)
    if os.getuid() == 0:
        for words in ("network namespace per unit", "a private root per unit", "noatime",
                      "no socket of any family", "no page-cache eviction",
                      "no new processes from the import on"):
            assert words in line, f"{words!r} missing from the Sandbox line: {line}"
        assert "NO " not in line
    else:
        assert "NO network namespace" in line and "NO private root" in line
