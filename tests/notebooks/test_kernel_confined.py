"""The notebook kernel (nbcourse/kernel.py) confined like a unit's child: a kernel is
started as nbgrader starts it, and a cell tries every channel out of it.

Listeners this test holds on the machine (UDP, a unix datagram socket, a netlink port)
must receive nothing the cell sends; a SysV segment the cell creates must not outlive
the kernel; /etc/shadow must be unreadable (as root); and the kernel must still answer
over its ZMQ connection (the sample class's reference keeps full marks through nbgrader
in test_trusted_grades.py)."""
import os
import secrets
import socket
import sys
from pathlib import Path

import pytest

jupyter_client = pytest.importorskip("jupyter_client", reason="the notebook requirements "
                                     "are not installed")
pytest.importorskip("ipykernel", reason="the notebook requirements are not installed")

REPO = Path(__file__).resolve().parents[2]
ROOT = os.getuid() == 0
KEY = 0x6E6E3130  # the SysV key the cell uses ("nn10")
NETLINK_USERSOCK = 2
KERNEL = "nn100-confined-test"


def shm_keys() -> set:
    """The keys of the SysV segments of this machine's (the test's) IPC namespace."""
    with open("/proc/sysvipc/shm") as f:
        return {int(line.split()[0]) for line in f.readlines()[1:]}


ATTACK = '''
import ctypes, os, socket
secret = {secret!r}.encode()
def attempt(name, action):
    try:
        action()
        print("LEAK", name, "sent")
    except Exception as error:
        print("SAFE", name, type(error).__name__)
def udp():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(secret, ("127.0.0.1", {udp}))
def unix():
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(secret, {unix!r})
def netlink():
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 2) as s:
        s.sendto(len(secret).to_bytes(4, "little") + bytes(12) + secret, ({port}, 0))
def shm():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.shmget({key}, 4096, 0o1666) < 0:
        raise OSError(ctypes.get_errno(), "shmget")
def shadow():
    with open("/etc/shadow", "rb") as f:
        f.read()
for name, action in [("udp", udp), ("unix", unix), ("netlink", netlink), ("shm", shm),
                     ("shadow", shadow)]:
    attempt(name, action)
'''


def run_kernel(folder: Path, cells: list) -> list:
    """Start the confined kernel in ``folder`` as nbgrader does, run ``cells``; each
    cell's printed text."""
    manager = jupyter_client.KernelManager(kernel_name=KERNEL)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "assignments"), str(REPO)]))
    manager.start_kernel(cwd=str(folder), env=env, extra_arguments=[])
    texts = []
    try:
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        for cell in cells:
            out = []
            reply = client.execute_interactive(
                cell, timeout=60,
                output_hook=lambda m, out=out: out.append(m["content"].get("text", "")))
            texts.append((reply["content"]["status"], "".join(out)))
        client.stop_channels()
    finally:
        manager.shutdown_kernel(now=True)
    return texts


@pytest.fixture()
def kernel_spec(tmp_path, monkeypatch):
    """A kernelspec that starts nbcourse.kernel, as nbgrader_config.py writes it."""
    import json
    spec = tmp_path / "data" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "nbcourse.kernel", "-f", "{connection_file}"],
        "display_name": "confined", "language": "python"}))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    return tmp_path


def test_a_cell_reaches_no_listener_shares_no_segment_reads_no_secret(kernel_spec):
    secret = "nn100-kernel-" + secrets.token_hex(8)
    folder = kernel_spec / "notebook"
    folder.mkdir()
    sockets = kernel_spec / "sockets"
    sockets.mkdir(mode=0o777)
    os.chmod(sockets, 0o777)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    unix_path = str(sockets / "listener.sock")
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    unix.bind(unix_path)
    os.chmod(unix_path, 0o777)
    listeners = [udp, unix]
    port = 0
    if ROOT:
        netlink = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_USERSOCK)
        netlink.bind((0, 0))
        port = netlink.getsockname()[0]
        listeners.append(netlink)
    for s in listeners:
        s.setblocking(False)
    keys_before = shm_keys()
    try:
        texts = run_kernel(folder, [
            "print(sum(range(10)))",
            ATTACK.format(secret=secret, udp=udp.getsockname()[1], unix=unix_path, port=port,
                          key=KEY),
            "print('still', 6 * 7)",
            # modules nothing imported before the confinement still load (matplotlib's
            # fonts need timeit): the interpreter stays readable to whatever user runs it
            "import fractions, timeit; print(fractions.Fraction(1, 3) + 1, timeit.__name__)"])
        received = []
        for s in listeners:
            while True:
                try:
                    received.append(s.recv(65536))
                except OSError:
                    break
    finally:
        for s in listeners:
            s.close()
    assert texts[0] == ("ok", "45\n"), texts  # the ZMQ connection works before ...
    assert texts[2] == ("ok", "still 42\n"), texts  # ... and after the attack
    assert texts[3] == ("ok", "4/3 timeit\n"), texts
    attack = texts[1][1]
    assert not [r for r in received if secret.encode() in r], received
    assert "LEAK" not in attack, attack
    assert KEY not in shm_keys() - keys_before, "a SysV segment outlived the kernel"
    assert attack.count("SAFE") == 5, attack
