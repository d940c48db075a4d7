"""What passes between the grader and the child: operations, array names, files, limits.

Imported by both sides (the grader as ``autograder.child.protocol``, the child as
``protocol`` from its harness folder), so a name is spelled in one place.  Standard
library only: the child imports it before numpy, and nothing here is graded logic.

A job is one line on the ``jobs`` FIFO, ``{"op": ..., "spec": ...}``; its inputs are
``in/<k>/<name>.npy``.  The child answers with ``out/<k>.json`` (``ok``, ``info`` or
``error``, and the names in ``arrays``), one ``out/<k>__<name>.npy`` per array, and the
token ``k`` on the ``done`` FIFO.  The grader loads only the arrays ``expected_arrays``
names for that job.
"""

# ---------------------------------------------------------------- operations (jobs.JOBS)
LAYER = "layer"            # forward/backward steps on one layer (steps, params, grads, mode)
LOSS = "loss"              # one call of a loss function (fn, Yp, Yt)
OPTIMIZER = "optimizer"    # update steps on parameters (cls, kwargs, params, steps)
SEQUENTIAL = "sequential"  # a Sequential of recording layers (layers, structure, ...)
LEARNER = "learner"        # a Learner driven with a recording model (action, ...)
TRAIN = "train"            # training a model of the submission's layers (layers, loss, ...)
OPS = (LAYER, LOSS, OPTIMIZER, SEQUENTIAL, LEARNER, TRAIN)

# ---------------------------------------------------------------- files and tokens
JOBS_FIFO = "jobs"         # grader -> child: one job per line
DONE_FIFO = "done"         # child -> grader: one token per finished job
TASK_FILE = "task.json"    # limits and start-up settings, written by the grader
IMPORT = "import"          # the token (and result name) of importing the submission
PROBE = "sandbox"          # the token (and result name) of the calibration probe
# task.json "limits": the rlimits the child sets on itself before any student code
LIMITS = ("cpu_seconds", "memory_bytes", "file_bytes", "processes")


def result_file(token) -> str:
    """The JSON record of job ``token`` (an index, IMPORT or PROBE) in out/."""
    return f"{token}.json"


def array_file(token, name: str) -> str:
    """The .npy file of array ``name`` returned by job ``token`` in out/."""
    return f"{token}__{name}.npy"


# ---------------------------------------------------------------- array names
# layer jobs
def output(k: int) -> str:
    """Y of the k-th forward call."""
    return f"Y{k}"


def input_gradient(k: int) -> str:
    """What the k-th forward's backward closure returned."""
    return f"dX{k}"


def tensor(attr: str) -> str:
    """A parameter's tensor after the steps (a layer's ``weights``, ``bias``, ...)."""
    return f"T_{attr}"


def gradient(attr: str) -> str:
    """A parameter's gradient after the steps."""
    return f"G_{attr}"


def after(name: str) -> str:
    """An input array as it was after the job (to see that it was not changed)."""
    return f"after_{name}"


# loss jobs
LOSS_VALUE = "loss"
LOSS_GRADIENT = "dYp"
PREDICTION, TARGET = "Yp", "Yt"   # the input names of a loss job


# optimizer jobs: the parameter and its gradient after each update step
def step_tensor(k: int) -> str:
    return f"T{k}"


def step_gradient(k: int) -> str:
    return f"G{k}"


def start_tensor(i: int) -> str:
    """Input: parameter i's starting tensor."""
    return f"P{i}"


def given_gradient(k: int) -> str:
    """Input: the gradient of step k."""
    return f"G{k}"


# sequential jobs
MODEL_OUTPUT, MODEL_INPUT_GRADIENT = "Y", "dX"


def recorder_gradient(layer: int, k: int) -> str:
    """The gradient of recording layer ``layer``'s k-th parameter."""
    return f"G_{layer}_{k}"


# learner jobs
PREDICTED, RETURNED = "prediction", "returned"

# train jobs
LOSSES = "losses"
TRAINED = ("weights", "bias")     # the parameters a trained layer returns, where it has them


def trained(layer: int, attr: str) -> str:
    return f"P{layer}_{attr}"


def expected_arrays(op: str, spec: dict) -> set:
    """The names of the arrays a job of ``op`` returns: only these are ever loaded."""
    if op == LAYER:
        names, forwards, given = set(), 0, []
        for step in spec["steps"]:
            if step[0] == "forward":
                names.add(output(forwards))
                forwards += 1
                given.append(step[1])
            else:
                names.add(input_gradient(step[1]))
                given.append(step[2])
        for attr in spec.get("params", {}):
            names |= {tensor(attr), gradient(attr)}
        if spec.get("save_inputs"):
            names |= {after(name) for name in given}
        return names
    if op == LOSS:
        return {LOSS_VALUE, LOSS_GRADIENT, after(PREDICTION), after(TARGET)}
    if op == OPTIMIZER:
        steps = range(len(spec["steps"]))
        return {step_tensor(k) for k in steps} | {step_gradient(k) for k in steps}
    if op == SEQUENTIAL:
        return {MODEL_OUTPUT, MODEL_INPUT_GRADIENT} | {
            recorder_gradient(i, k) for i, layer in enumerate(spec["layers"])
            for k in range(layer[2])}
    if op == LEARNER:
        return {PREDICTED, RETURNED}
    if op == TRAIN:
        return {LOSSES} | {trained(i, attr) for i in range(len(spec["layers"]))
                           for attr in TRAINED}
    return set()
