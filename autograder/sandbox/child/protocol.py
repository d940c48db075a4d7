"""What passes between the grader and the child: operations, array names, files, limits.

Imported by both sides (the grader as ``autograder.sandbox.child.protocol``, the child as
``protocol`` from its harness folder), so a name is spelled in one place.  Standard
library only: the child imports it before numpy, and nothing here is graded logic.

A job is one line on the ``jobs`` FIFO, ``{"op": ..., "spec": ..., "arrays": [[name,
size], ...]}``, followed on the FIFO by its input arrays, ``size`` bytes of .npy each
(npy.py), in that order.  The child answers with ``out/<k>.json`` (``ok``, ``info`` or
``error``, and its arrays listed the same way), the arrays in ``out/<k>.npys``, and the
token ``k`` on the ``done`` FIFO.  The grader decodes only the arrays
``expected_arrays`` names for that job.
"""

# ---------------------------------------------------------------- operations (jobs.JOBS)
LAYER = "layer"            # forward/backward steps on one layer (steps, params, grads, mode)
LOSS = "loss"              # one call of a loss function (fn, Yp, Yt)
OPTIMIZER = "optimizer"    # update steps on parameters (cls, kwargs, params, steps)
SEQUENTIAL = "sequential"  # a Sequential of recording layers (layers, structure, ...)
LEARNER = "learner"        # a Learner driven with a recording model (action, ...)
TRAIN = "train"            # training a model of the submission's layers (layers, loss, ...)
RESIDUAL = "residual"      # a Residual around a recording layer (layer, modes)
CLIP = "clip"              # one call of clip_grad_norm on parameters (params, grads, max_norm)
OPS = (LAYER, LOSS, OPTIMIZER, SEQUENTIAL, LEARNER, TRAIN, RESIDUAL, CLIP)

# ---------------------------------------------------------------- files and tokens
JOBS_FIFO = "jobs"         # grader -> child: one job per line
DONE_FIFO = "done"         # child -> grader: one token per finished job
TASK_FILE = "task.json"    # the child's policy (policy.py) and whether it is the probe
IMPORT = "import"          # the token (and result name) of importing the submission
PROBE = "sandbox"          # the token (and result name) of the calibration probe

# Names with a number or a parameter in them are templates: NAME.format(...).
RESULT_FILE = "{}.json"        # out/: the JSON record of job k (or IMPORT, PROBE)
DATA_FILE = "{}.npys"           # out/: the arrays job k returns, back to back

# What a job records in its JSON "info" besides the arrays
FORWARD_CALLS = "forward_calls_in_backward"  # layer: forward calls during each backward
COUNTER_INTACT = "counter_intact"            # layer: the forward counter was not tampered with
THREADS_IN_BACKWARD = "threads_in_backward"  # layer: backward calls that changed the threads
LOSS_TYPE = "loss_type"                      # loss: the type of the returned loss
LOG = "log"                                  # sequential, learner: what was called, in order
PARAMETERS = "parameters"                    # sequential: (layer, index) of model.parameters
MODES = "modes"                              # containers: training flags after train()/eval()

# ---------------------------------------------------------------- array names
# layer jobs: steps are [FORWARD, input] and [BACKWARD, k, upstream gradient]
FORWARD, BACKWARD = "forward", "backward"
OUTPUT = "Y{}"                 # Y of the k-th forward call
INPUT_GRADIENT = "dX{}"        # what the k-th forward's backward closure returned
TENSOR = "T_{}"                # a parameter's tensor after the steps ("weights", "gamma", ...)
GRADIENT = "G_{}"              # a parameter's gradient after the steps
AFTER = "after_{}"             # an input as it was after the job (it must be unchanged)
STATE = "S_{}"                 # a layer's state array after the steps ("running_mean", ...)

# loss jobs
LOSS_VALUE, LOSS_GRADIENT = "loss", "dYp"
PREDICTION, TARGET = "Yp", "Yt"   # the input names of a loss job

# optimizer jobs: inputs START_TENSOR (parameter i) and GIVEN_GRADIENT (step k);
# outputs the parameter's tensor and gradient after each step k
START_TENSOR, GIVEN_GRADIENT = "P{}", "G{}"
STEP_TENSOR, STEP_GRADIENT = "T{}", "G{}"

# clip jobs: inputs START_TENSOR (parameter i) and GIVEN_GRADIENT (its gradient); outputs
# the returned norm and each gradient after the call
CLIP_NORM, CLIPPED = "norm", "C{}"

# sequential jobs
MODEL_OUTPUT, MODEL_INPUT_GRADIENT = "Y", "dX"
RECORDER_GRADIENT = "G_{}_{}"  # recording layer i's k-th parameter's gradient

# residual jobs: outputs OUTPUT/INPUT_GRADIENT of its two calls, AFTER of X0, X1, D0, D1 and
INNER_GRADIENT = "G_{}"        # the inner recording layer's k-th parameter's gradient

# learner jobs
PREDICTED, RETURNED = "prediction", "returned"

# train jobs
LOSSES = "losses"
TRAINED_PARAM = "P{}_{}"       # layer i's trained parameter attr (the spec's "params")
TRAINED_STATE = "S{}_{}"       # layer i's state array attr after training (its "state_out")


def expected_arrays(op: str, spec: dict) -> set:
    """The names of the arrays a job of ``op`` returns: only these are ever loaded."""
    if op == LAYER:
        names, forwards, given = set(), 0, []
        for step in spec["steps"]:
            if step[0] == FORWARD:
                names.add(OUTPUT.format(forwards))
                forwards += 1
                given.append(step[1])
            else:
                names.add(INPUT_GRADIENT.format(step[1]))
                given.append(step[2])
        for attr in spec.get("params", {}):
            names |= {TENSOR.format(attr), GRADIENT.format(attr)}
        names |= {STATE.format(attr) for attr in spec.get("state_out", [])}
        if spec.get("save_inputs"):
            names |= {AFTER.format(name) for name in given}
        return names
    if op == LOSS:
        return {LOSS_VALUE, LOSS_GRADIENT, AFTER.format(PREDICTION), AFTER.format(TARGET)}
    if op == OPTIMIZER:
        steps = range(len(spec["steps"]))
        return {STEP_TENSOR.format(k) for k in steps} | {STEP_GRADIENT.format(k) for k in steps}
    if op == SEQUENTIAL:
        return {MODEL_OUTPUT, MODEL_INPUT_GRADIENT} | {
            RECORDER_GRADIENT.format(i, k) for i, layer in enumerate(spec["layers"])
            for k in range(layer[2])}
    if op == RESIDUAL:
        return ({OUTPUT.format(k) for k in range(2)} | {INPUT_GRADIENT.format(k) for k in range(2)}
                | {INNER_GRADIENT.format(k) for k in range(spec["layer"][2])}
                | {AFTER.format(f"{name}{k}") for name in "XD" for k in range(2)})
    if op == LEARNER:
        return {PREDICTED, RETURNED}
    if op == CLIP:
        return {CLIP_NORM} | {CLIPPED.format(i) for i in range(len(spec["params"]))}
    if op == TRAIN:
        return {LOSSES} | {name.format(i, attr) for i, layer in enumerate(spec["layers"])
                           for name, attrs in ((TRAINED_PARAM, layer.get("params", {})),
                                               (TRAINED_STATE, layer.get("state_out", [])))
                           for attr in attrs}
    return set()
