"""Child side: run the grader's jobs against the submission's nn100, one at a time.

Started by the grader as ``python -I -B harness.py WORK`` (or forked from a fork
server, below).  WORK is a fresh folder the grader owns: task.json (limits only),
sub/nn100 (a copy of the submission), this harness, and two FIFOs.  The child never
receives a list of jobs: the grader writes one job (its operation and spec, no id)
into ``jobs`` when the previous one is done, with its input arrays in in/<k>/; the
child writes out/<k>.json plus out/<k>__<name>.npy and reports ``k`` on ``done``.
Student code therefore cannot tell which check it is in, nor read what comes next.

Before any student code is imported the child confines itself (confine.py):
rlimits, Landlock, a fresh IPC and PID namespace, an unprivileged user, seccomp.

Nothing here is graded logic: the jobs only construct the student's objects, call
them on inputs the grader chose, and save what comes back.  The few maps the
recording layers, loss and model apply (``X * scale + shift``, ``2 * X``, a constant
gradient) are fixed and useless to a submission.  The verdict is never decided here.
"""
import json
import os
import resource
import sys
import traceback

WORK = os.path.realpath(sys.argv[1])
SERVING = sys.argv[2:] == ["--serve"]
HERE = os.path.dirname(os.path.realpath(__file__))
OUT = os.path.join(WORK, "out")

sys.path.insert(0, HERE)
import confine  # noqa: E402  (the harness's own folder, removed from sys.path below)
import seccomp  # noqa: E402

sys.path.remove(HERE)
with open(os.path.join(WORK, "task.json")) as f:
    TASK = json.load(f)
limits = TASK["limits"]
confine.set_limits(limits["cpu_seconds"], limits["memory_bytes"], limits["file_bytes"],
                   limits["processes"])

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


def writable(work: str) -> list[str]:
    """Where the child may write: its out/ and home/ folders only (the folder's top,
    with the files the grader reads, is the grader's)."""
    return [os.path.join(work, "out"), os.path.join(work, "home"), "/dev/null"]


CHANNEL = {}  # "jobs": the file jobs arrive on, "done": the descriptor to report on


def open_channel(work: str) -> None:
    """The grader's FIFOs (it holds both ends open, so neither open blocks)."""
    CHANNEL["jobs"] = open(os.path.join(work, "jobs"), "rb")
    CHANNEL["done"] = os.open(os.path.join(work, "done"), os.O_WRONLY)


if not SERVING:
    open_channel(WORK)  # before Landlock: the FIFOs sit in the folder's read-only top
# The fork server must open each unit's files for writing, so its own domain covers
# its whole folder; every unit narrows that in become_unit().
PROTECTIONS = confine.apply_landlock(confine.system_read_paths() + [WORK],
                                     [WORK, "/dev/null"] if SERVING else writable(WORK))
PROTECTIONS.append("rlimits: address space, CPU time, file size, processes, no core dumps")


def lock_down() -> None:
    """Namespaces (as root), then the user switch, then seccomp: the last steps before
    student code.  Each appends what it achieved to PROTECTIONS."""
    PROTECTIONS.extend(confine.isolate())
    if TASK.get("drop_to") and confine.drop_privileges(*TASK["drop_to"]):
        PROTECTIONS.append(f"running as uid {os.getuid()} (unprivileged)")
    PROTECTIONS.extend(seccomp.apply())


DTYPES = {"float32": np.float32, "float64": np.float64}


# ---------------------------------------------------------------- writing results

def snap(value) -> np.ndarray:
    """A copy taken now: later calls may change the returned object in place."""
    return np.array(value, copy=True, subok=False)


def save_result(index: int, record: dict, arrays: dict) -> None:
    names = []
    for name, value in arrays.items():
        value = np.asarray(value)
        np.save(os.path.join(OUT, f"{index}__{name}.npy"), value, allow_pickle=False)
        names.append(name)
    record["arrays"] = names
    tmp = os.path.join(OUT, f"{index}.tmp")
    with open(tmp, "w") as f:
        json.dump(record, f)
    os.replace(tmp, os.path.join(OUT, f"{index}.json"))


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


CURRENT = 0  # the index of the job being run: its inputs are in in/<index>/


def load(name: str):
    return np.load(os.path.join(WORK, "in", str(CURRENT), name + ".npy"), allow_pickle=False)


# ---------------------------------------------------------------- counting forward calls

class ForwardCounter:
    """Counts calls into the code of a layer's forward methods while backward runs, in
    this thread and in any thread started meanwhile (where seccomp allows threads at
    all), and checks afterwards that nothing replaced or detached it.

    Matching code objects (not attributes) also counts calls through references the
    submission saved before the grader looked, e.g. ``orig = Linear.forward``.  A
    counter inside the child is evidence, not proof: the grader also times backward
    on a layer too large for finite differences.
    """

    def __init__(self, layer):
        codes = set()
        for cls in type(layer).__mro__:
            function = cls.__dict__.get("forward")
            code = getattr(function, "__code__", None)
            if code is not None:
                codes.add(code)
        self.codes = frozenset(codes)
        self.count = 0
        self.intact = True
        self.threads = 0

    def hook(self, frame, event, arg):
        if event == "call" and frame.f_code in self.codes:
            self.count += 1

    def run(self, function, *args):
        self.count = 0
        codes, hook = self.codes, self.hook
        threads_before = threading.active_count(), _tasks()
        threading.setprofile(hook)
        sys.setprofile(hook)
        try:
            return function(*args)
        finally:
            intact = sys.getprofile() is hook and threading._profile_hook is hook
            sys.setprofile(None)
            threading.setprofile(None)
            intact = intact and self.codes is codes and type(self).hook is HOOK \
                and HOOK.__code__ is HOOK_CODE and isinstance(self.count, int)
            self.intact = self.intact and intact
            if (threading.active_count(), _tasks()) != threads_before:
                self.threads += 1


HOOK = ForwardCounter.hook
HOOK_CODE = HOOK.__code__


def _tasks() -> int:
    """Threads of this process, as the kernel counts them."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return -1


# ---------------------------------------------------------------- jobs

def nn100_attr(name: str):
    if not hasattr(nn100, name):
        raise AttributeError(f"nn100 has no {name} (expected from the course's API)")
    return getattr(nn100, name)


def build(spec: dict):
    kwargs = dict(spec.get("kwargs", {}))
    if "dtype" in kwargs:
        kwargs["dtype"] = DTYPES[kwargs["dtype"]]
    layer = nn100_attr(spec["cls"])(*spec.get("args", []), **kwargs)
    for attr, name in spec.get("params", {}).items():
        param = getattr(layer, attr)
        param.tensor = load(name).copy()
        param.gradient = np.zeros_like(param.tensor)
    for attr, name in spec.get("grads", {}).items():
        getattr(layer, attr).gradient = load(name).copy()
    if spec.get("mode") == "eval":
        layer.eval()
    elif spec.get("mode") == "train":
        layer.train()
    return layer


def job_layer(spec: dict):
    """Forward calls, then backward calls on chosen closures; save everything."""
    layer = build(spec)
    counter = ForwardCounter(layer)
    arrays, closures, calls, given, info = {}, [], [], {}, {}
    for step in spec["steps"]:
        if step[0] == "forward":
            X = given.setdefault(step[1], load(step[1]))
            Y, backward = layer.forward(X)
            arrays[f"Y{len(closures)}"] = snap(Y)
            closures.append(backward)
        else:
            _, which, name = step
            D = given.setdefault(name, load(name))
            try:  # a failing backward must not hide a working forward
                arrays[f"dX{which}"] = snap(counter.run(closures[which], D))
            except Exception as exc:
                info["error"] = describe(exc)
                break
            calls.append(counter.count)
    info["counter_intact"] = counter.intact
    info["threads_in_backward"] = counter.threads
    for attr in spec.get("params", {}):
        arrays[f"T_{attr}"] = snap(getattr(layer, attr).tensor)
        arrays[f"G_{attr}"] = snap(getattr(layer, attr).gradient)
    if spec.get("save_inputs"):
        for name, value in given.items():
            arrays[f"after_{name}"] = value
    info["forward_calls_in_backward"] = calls
    return info, arrays


def job_loss(spec: dict):
    function = nn100_attr(spec["fn"])
    Yp, Yt = load(spec["Yp"]), load(spec["Yt"])
    loss, dYp = function(Yp, Yt)
    return ({"loss_type": type(loss).__name__},
            {"loss": snap(loss), "dYp": snap(dYp), "after_Yp": Yp, "after_Yt": Yt})


class PlainParameter:
    """A parameter for driving optimizers when the submission has no usable Parameter."""

    def __init__(self, tensor):
        self.tensor = tensor
        self.gradient = np.zeros_like(tensor)


def make_parameter(tensor):
    try:
        return nn100.Parameter(tensor)
    except BaseException:
        return PlainParameter(tensor)


def job_optimizer(spec: dict):
    kwargs = spec.get("kwargs", {})
    optimizer = nn100_attr(spec["cls"])(**kwargs)
    params = [make_parameter(load(name).copy()) for name in spec["params"]]
    arrays = {}
    for k, (which, name) in enumerate(spec["steps"]):
        param = params[which]
        gradient = load(name)
        if isinstance(param.gradient, np.ndarray) and param.gradient.shape == gradient.shape:
            param.gradient[...] = gradient
        else:
            param.gradient = gradient.copy()
        optimizer.update(param)
        arrays[f"T{k}"] = snap(param.tensor)
        arrays[f"G{k}"] = snap(param.gradient)
    return {}, arrays


class StandIn:
    """What the trusted stand-in layers share (not nn100's Layer: that is student code):
    modes, and an update that steps each distinct parameter once."""

    def update(self, optimizer):
        for param in dict.fromkeys(self.parameters):
            optimizer.update(param)

    def train(self):
        self.training = True
        return self

    def eval(self):
        self.training = False
        return self


class Recorder(StandIn):
    """A layer with a fixed map Y = X * scale + shift that logs what is done to it."""

    def __init__(self, index, scale, shift, nparams, log):
        self.index, self.scale, self.shift, self.log = index, scale, shift, log
        self.parameters = [PlainParameter(np.zeros(2)) for _ in range(nparams)]
        self.training = True

    def forward(self, X):
        self.log.append(["forward", self.index])
        call = sum(1 for event in self.log if event[0] == "forward")

        def backward(D):
            self.log.append(["backward", self.index, call])
            for param in self.parameters:
                param.gradient += float(np.sum(D))
            return D * self.scale

        return X * self.scale + self.shift, backward


class RecordingOptimizer:
    def __init__(self, log, ids):
        self.log, self.ids = log, ids

    def update(self, param):
        self.log.append(["update", self.ids.get(id(param), -1)])
        if isinstance(param.gradient, np.ndarray):
            param.gradient.fill(0)


def job_sequential(spec: dict):
    log = []
    recorders = [Recorder(i, *layer, log) for i, layer in enumerate(spec["layers"])]

    def assemble(structure):
        if isinstance(structure, int):
            return recorders[structure]
        return nn100_attr("Sequential")(*[assemble(part) for part in structure])

    model = assemble(spec["structure"])
    ids = {id(p): [i, k] for i, r in enumerate(recorders) for k, p in enumerate(r.parameters)}
    listed = [ids.get(id(p), [-1, -1]) for p in model.parameters]
    arrays = {}
    Y, backward = model.forward(load("X"))
    arrays["Y"] = snap(Y)
    if spec.get("backward"):
        arrays["dX"] = snap(backward(load("D")))
    for i, r in enumerate(recorders):
        for k, p in enumerate(r.parameters):
            arrays[f"G_{i}_{k}"] = p.gradient.copy()
    if spec.get("update"):
        model.update(RecordingOptimizer(log, {key: i for i, key in enumerate(
            id(p) for r in recorders for p in r.parameters)}))
    return {"log": log, "parameters": listed}, arrays


class RecordingModel(StandIn):
    """The model a Learner is driven with: Y = 2 X, logs every call. Column 0 of X and
    of the targets holds each sample's index, so the grader can see what went where."""

    def __init__(self, log, nparams=2):
        self.log = log
        self.parameters = [PlainParameter(np.zeros(3)) for _ in range(nparams)]
        self.training = True

    def forward(self, X):
        X = np.asarray(X)
        self.log.append(["forward", X[:, 0].astype(int).tolist(), bool(self.training)])

        def backward(D):
            D = np.asarray(D)
            self.log.append(["backward", int(D.shape[0]) if D.ndim else -1,
                             bool(D.shape == X.shape and np.all(D == 0.25))])
            return D

        return 2.0 * X, backward


def job_learner(spec: dict):
    log = []
    model = RecordingModel(log)

    def loss(prediction, target):
        prediction, target = np.asarray(prediction), np.asarray(target)
        log.append(["loss", (prediction[:, 0] / 2).astype(int).tolist(),
                    target[:, 0].astype(int).tolist()])
        return float(np.mean(target[:, 1])), np.full(prediction.shape, 0.25)

    optimizer = RecordingOptimizer(log, {id(p): i for i, p in enumerate(model.parameters)})
    learner = nn100_attr("Learner")(model, loss, optimizer)
    action = spec["action"]
    arrays = {}
    if action == "fit_batch":
        returned = learner.fit_batch(load("X"), load("Y"))
    elif action == "fit":
        returned = learner.fit(load("X"), load("Y"), spec["epochs"], spec["bs"], rng=spec["seed"])
    else:
        returned = None
        arrays["prediction"] = snap(learner.predict(load("X")))
    if returned is not None:
        arrays["returned"] = np.asarray(returned, dtype=np.float64)
    return {"log": log}, arrays


def job_train(spec: dict):
    """Train a model made of the submission's own layers; return its parameters."""
    layers = []
    for entry in spec["layers"]:
        layers.append(build(entry))
    model = layers[0] if len(layers) == 1 else nn100_attr("Sequential")(*layers)
    optimizer = nn100_attr(spec["optimizer"])(**spec["optimizer_kwargs"])
    learner = nn100_attr("Learner")(model, nn100_attr(spec["loss"]), optimizer)
    Y = load("Y")
    losses = learner.fit(load("X"), Y, spec["epochs"], spec["bs"], rng=spec["seed"])
    arrays = {"losses": np.asarray(losses, dtype=np.float64)}
    for i, layer in enumerate(layers):
        for attr in layer_params(layer):
            arrays[f"P{i}_{attr}"] = snap(getattr(layer, attr).tensor)
    return {}, arrays


def layer_params(layer) -> list:
    return [attr for attr in ("weights", "bias") if hasattr(layer, attr)]


JOBS = {"layer": job_layer, "loss": job_loss, "optimizer": job_optimizer,
        "sequential": job_sequential, "learner": job_learner, "train": job_train}


# ---------------------------------------------------------------- main

def report(token: str) -> None:
    os.write(CHANNEL["done"], f"{token}\n".encode())


def next_job():
    """The grader's next job, or None when it has no more (it closed its end)."""
    line = CHANNEL["jobs"].readline()
    return json.loads(line) if line.strip() else None


def calibration_probe() -> dict:
    """What a child confined like a unit's can still do, measured without student code."""
    found = {}
    try:
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()
        found["udp"] = "allowed"
    except OSError as exc:
        found["udp"] = f"denied ({type(exc).__name__})"
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
    global nn100, CURRENT
    lock_down()
    if TASK.get("calibrate"):
        PROTECTIONS.extend(seccomp.forbid_processes())
        save_result("sandbox", {"protections": PROTECTIONS, "uid": os.getuid(),
                                "probe": calibration_probe()}, {})
        report("sandbox")
        return
    sub = os.path.join(WORK, "sub")
    sys.path.insert(0, sub)
    try:
        import nn100
        where = os.path.realpath(getattr(nn100, "__file__", None) or "")
        if not where.startswith(os.path.join(sub, "nn100") + os.sep):
            raise ImportError(f"nn100 resolved to {where!r}, not to the submission's copy")
        record = {"ok": True}
    except BaseException as exc:  # SystemExit, KeyboardInterrupt and all: it is data here
        record = {"ok": False, "error": describe(exc)}
    if record["ok"]:
        record["protections"] = seccomp.forbid_processes()  # from here on, no new processes
    save_result("import", record, {})
    report("import")
    if not record["ok"]:
        return
    index = 0
    while True:
        job = next_job()
        if job is None:
            return
        CURRENT = index
        try:
            info, arrays = JOBS[job["op"]](job["spec"])
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
    """Fork server: numpy is imported and the process confined by Landlock once; then,
    for each unit folder named on stdin, a fresh forked child runs that unit.  The
    server itself never imports student code and keeps its privileges (it needs them
    to give each child its namespaces): it only forks, reports the child's pid,
    waits for it, and reports its exit status."""
    while True:
        line = sys.stdin.readline()
        if not line:
            os._exit(0)
        unit = os.path.realpath(line.strip())
        pid = os.fork()
        if pid == 0:
            try:
                become_unit(unit)
                main()
            finally:
                os._exit(0)
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()
        _, status = os.waitpid(pid, 0)
        sys.stdout.write(f"exit {os.waitstatus_to_exitcode(status)}\n")
        sys.stdout.flush()


def become_unit(unit: str) -> None:
    """In the forked child: a session, the grader's files and FIFOs, limits of its
    own, and a nested Landlock domain that only lets it write in its out/ and home/
    folders and signal nothing outside itself (not the server, not the other units)."""
    global WORK, OUT, TASK
    os.setsid()
    WORK, OUT = unit, os.path.join(unit, "out")
    with open(os.path.join(unit, "task.json")) as f:
        TASK = json.load(f)
    for fd, path, mode in ((0, "/dev/null", os.O_RDONLY), (1, "stdout.txt", os.O_WRONLY),
                           (2, "stderr.txt", os.O_WRONLY)):
        opened = os.open(os.path.join(unit, path), mode | os.O_NOFOLLOW)
        os.dup2(opened, fd)
        os.close(opened)
    open_channel(unit)
    os.chdir(unit)
    os.environ["HOME"] = os.environ["TMPDIR"] = os.path.join(unit, "home")
    cpu = TASK["limits"]["cpu_seconds"]
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    nested = confine.apply_landlock(confine.system_read_paths() + [unit], writable(unit))
    if nested:
        PROTECTIONS[:] = nested + [p for p in PROTECTIONS if not p.startswith(
            ("landlock", "TCP", "signals"))]


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
