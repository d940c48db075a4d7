"""Child side: the job library -- construct the student's objects, call them on the
grader's inputs, and return plain arrays and a little information.

Imported by harness.py, which runs one job at a time (``JOBS[op](spec)``).  Nothing
here is graded logic: the few maps the recording layers, loss and model apply
(``X * scale + shift``, ``2 * X``, a constant gradient) are fixed and useless to a
submission.  The verdict is never decided here.
"""
import os
import sys
import threading

import numpy as np
import npy  # the .npy files of inputs and results (beside this file)
import protocol  # operations and array names, shared with the grader (beside this file)
from stand_ins import PlainParameter, Recorder, RecordingModel, RecordingOptimizer

DTYPES = {"float32": np.float32, "float64": np.float64}


def snap(value) -> np.ndarray:
    """A copy taken now: later calls may change the returned object in place."""
    return np.array(value, copy=True, subok=False)


nn100 = None   # the submission's package, set by the harness once imported
INPUTS = {}    # the current job's input arrays as .npy bytes by name, set by the harness
describe = str  # how an exception is reported, set by the harness


def load(name: str):
    """Input ``name`` of the current job, a new array at each call."""
    return npy.decode(INPUTS[name], order="K")


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


def param_of(layer, attr: str):
    """A layer's parameter by attribute, or by its index in ``parameters`` ("0", "1", ...)."""
    return layer.parameters[int(attr)] if attr.isdigit() else getattr(layer, attr)


def build(spec: dict):
    kwargs = dict(spec.get("kwargs", {}))
    if "dtype" in kwargs:
        kwargs["dtype"] = DTYPES[kwargs["dtype"]]
    layer = nn100_attr(spec["cls"])(*spec.get("args", []), **kwargs)
    for attr, name in spec.get("params", {}).items():
        param = param_of(layer, attr)
        param.tensor = load(name).copy()
        param.gradient = np.zeros_like(param.tensor)
    for attr, name in spec.get("grads", {}).items():
        getattr(layer, attr).gradient = load(name).copy()
    for attr, name in spec.get("state", {}).items():  # e.g. running statistics
        setattr(layer, attr, load(name).copy())
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
        if step[0] == protocol.FORWARD:
            X = given.setdefault(step[1], load(step[1]))
            Y, backward = layer.forward(X)
            arrays[protocol.OUTPUT.format(len(closures))] = snap(Y)
            closures.append(backward)
        else:
            _, which, name = step
            D = given.setdefault(name, load(name))
            try:  # a failing backward must not hide a working forward
                dX = counter.run(closures[which], D)
                if dX is not None:  # None: an input without gradient (Embedding's ids)
                    arrays[protocol.INPUT_GRADIENT.format(which)] = snap(dX)
            except Exception as exc:
                info["error"] = describe(exc)
                break
            calls.append(counter.count)
    info[protocol.COUNTER_INTACT] = counter.intact
    info[protocol.THREADS_IN_BACKWARD] = counter.threads
    for attr in spec.get("params", {}):
        arrays[protocol.TENSOR.format(attr)] = snap(getattr(layer, attr).tensor)
        arrays[protocol.GRADIENT.format(attr)] = snap(getattr(layer, attr).gradient)
    for attr in spec.get("state_out", []):
        arrays[protocol.STATE.format(attr)] = snap(getattr(layer, attr))
    if spec.get("save_inputs"):
        for name, value in given.items():
            arrays[protocol.AFTER.format(name)] = value
    info[protocol.FORWARD_CALLS] = calls
    return info, arrays


def job_loss(spec: dict):
    function = nn100_attr(spec["fn"])
    Yp, Yt = load(spec[protocol.PREDICTION]), load(spec[protocol.TARGET])
    loss, dYp = function(Yp, Yt)
    return ({protocol.LOSS_TYPE: type(loss).__name__},
            {protocol.LOSS_VALUE: snap(loss), protocol.LOSS_GRADIENT: snap(dYp),
             protocol.AFTER.format(protocol.PREDICTION): Yp,
             protocol.AFTER.format(protocol.TARGET): Yt})


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
        arrays[protocol.STEP_TENSOR.format(k)] = snap(param.tensor)
        arrays[protocol.STEP_GRADIENT.format(k)] = snap(param.gradient)
    return {}, arrays


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
    arrays[protocol.MODEL_OUTPUT] = snap(Y)
    if spec.get("backward"):
        arrays[protocol.MODEL_INPUT_GRADIENT] = snap(backward(load("D")))
    for i, r in enumerate(recorders):
        for k, p in enumerate(r.parameters):
            arrays[protocol.RECORDER_GRADIENT.format(i, k)] = p.gradient.copy()
    if spec.get("update"):
        model.update(RecordingOptimizer(log, {key: i for i, key in enumerate(
            id(p) for r in recorders for p in r.parameters)}))
    modes = after_modes(model, spec.get("modes", []),
                        lambda: [bool(getattr(r, "training", None)) for r in recorders])
    return {protocol.LOG: log, protocol.PARAMETERS: listed, protocol.MODES: modes}, arrays


def after_modes(model, modes: list, flags) -> list:
    """Call each of ``modes`` ("train", "eval") on ``model``; after each, ``flags()``: the
    recording layers' training flags. A raising call is recorded and ends the list, so a
    broken train()/eval() does not hide what came before."""
    found = []
    for mode in modes:
        try:
            getattr(model, mode)()
        except Exception as exc:
            found.append(describe(exc))
            break
        found.append(flags())
    return found


def job_residual(spec: dict):
    """A Residual around a Recorder: two forward calls, their closures called in reverse
    order, the inputs as the calls left them, the parameters it lists, and the inner
    layer's mode after each mode call."""
    log = []
    inner = Recorder(0, *spec["layer"], log)
    model = nn100_attr("Residual")(inner)
    listed = [next((k for k, q in enumerate(inner.parameters) if q is p), -1)
              for p in model.parameters]
    arrays, closures, given = {}, [], {}
    for k in range(2):
        X = given[f"X{k}"] = load(f"X{k}")
        Y, backward = model.forward(X)
        arrays[protocol.OUTPUT.format(k)] = snap(Y)
        closures.append(backward)
    for k in (1, 0):
        D = given[f"D{k}"] = load(f"D{k}")
        arrays[protocol.INPUT_GRADIENT.format(k)] = snap(closures[k](D))
    for name, value in given.items():  # as the calls left them (they must be unchanged)
        arrays[protocol.AFTER.format(name)] = value
    for k, p in enumerate(inner.parameters):
        arrays[protocol.INNER_GRADIENT.format(k)] = p.gradient.copy()
    modes = after_modes(model, spec.get("modes", []), lambda: [bool(inner.training)])
    return {protocol.LOG: log, protocol.PARAMETERS: listed, protocol.MODES: modes}, arrays


def job_learner(spec: dict):
    log = []
    model = RecordingModel(log)

    def loss(prediction, target):
        prediction, target = np.asarray(prediction), np.asarray(target)
        log.append(["loss", (prediction[:, 0] / 2).astype(int).tolist(),
                    target[:, 0].astype(int).tolist()])
        return float(np.mean(target[:, 1])), np.full(prediction.shape, 0.25)

    ids, kwargs = {id(p): i for i, p in enumerate(model.parameters)}, spec.get("kwargs", {})
    learner = nn100_attr("Learner")(model, loss, RecordingOptimizer(log, ids), **kwargs)
    if "clip_norm" in kwargs:  # record the given step's call of clip_grad_norm
        sys.modules[type(learner).__module__].clip_grad_norm = lambda params, norm: (
            log.append(["clip", [ids.get(id(p), -1) for p in params], float(norm)]), 0.0)[1]
    action = spec["action"]
    arrays = {}
    if action == "fit_batch":
        returned = learner.fit_batch(load("X"), load("Y"))
    elif action == "fit":
        returned = learner.fit(load("X"), load("Y"), spec["epochs"], spec["bs"], rng=spec["seed"])
    else:
        returned = None
        arrays[protocol.PREDICTED] = snap(learner.predict(load("X")))
    if returned is not None:
        arrays[protocol.RETURNED] = np.asarray(returned, dtype=np.float64)
    return {protocol.LOG: log}, arrays


def job_train(spec: dict):
    """Train a model made of the submission's own layers; return its parameters."""
    layers = []
    for entry in spec["layers"]:
        layers.append(build(entry))
    model = layers[0] if len(layers) == 1 else nn100_attr("Sequential")(*layers)
    optimizer = nn100_attr(spec["optimizer"])(**spec["optimizer_kwargs"])
    loss, loss_kwargs = nn100_attr(spec["loss"]), spec.get("loss_kwargs", {})
    learner = nn100_attr("Learner")(model, lambda Z, Y: loss(Z, Y, **loss_kwargs), optimizer,
                                    **spec.get("learner_kwargs", {}))
    losses = learner.fit(load("X"), load("Y"), spec["epochs"], spec["bs"], rng=spec["seed"])
    arrays = {protocol.LOSSES: np.asarray(losses, dtype=np.float64)}
    for i, (layer, entry) in enumerate(zip(layers, spec["layers"], strict=True)):
        for attr in entry.get("params", {}):
            arrays[protocol.TRAINED_PARAM.format(i, attr)] = snap(param_of(layer, attr).tensor)
        for attr in entry.get("state_out", []):
            arrays[protocol.TRAINED_STATE.format(i, attr)] = snap(getattr(layer, attr))
    return {}, arrays


def job_clip(spec: dict):
    params = [make_parameter(load(name).copy()) for name in spec["params"]]
    for param, name in zip(params, spec["grads"], strict=True):
        param.gradient = load(name).copy()
    norm = nn100_attr("clip_grad_norm")(params, spec["max_norm"])
    arrays = {protocol.CLIPPED.format(i): snap(p.gradient) for i, p in enumerate(params)}
    arrays[protocol.CLIP_NORM] = np.asarray(norm, dtype=np.float64)
    return {}, arrays


JOBS = {protocol.LAYER: job_layer, protocol.LOSS: job_loss, protocol.OPTIMIZER: job_optimizer,
        protocol.SEQUENTIAL: job_sequential, protocol.RESIDUAL: job_residual,
        protocol.LEARNER: job_learner, protocol.TRAIN: job_train, protocol.CLIP: job_clip}
