"""End-to-end convergence: the submission trains on the post's problems and on digits.

Each problem is a unit of kind "convergence" in course.toml, named as in ``PROBLEMS`` and
assigned to the assignment whose units it needs, like any unit.

The child trains models made of the submission's own layers, loss, optimizer and
Learner, starting from initial weights chosen here, and returns the final parameters.
The verdict is computed here: the parameters are loaded into the reference layers,
which make the predictions that are scored.  A smaller share of the points, since a
bug anywhere in the framework shows up here too: each problem names the units it uses,
so a failure names those that fail their own checks (checks.blame).

Training is judged by its loss curve too, against the reference's trained from the same
start on the same data: a fit that solves the problem in closed form (least squares)
instead of training does not start where training from the given start does.
"""
from __future__ import annotations

import inspect

import numpy as np

from ... import course
from ..checks import Check, Fail, array, raised
from ...sandbox.child import protocol
from ...sandbox import Job, JobStatus

KIND = "convergence"
SPEC = None
OPERATION = protocol.TRAIN

WEIGHT_BOUND = 1e-4   # linear regression: largest error in the recovered weights
PRODUCT_RATIO = 0.2   # x1*x2: 2-layer test MSE must be below this fraction of 1-layer's
DIGITS_ACCURACY = 0.90
# The ConvNet on the digits as (N, 1, 8, 8) images, 3 epochs of Adam (lr 0.01): the
# reference reaches 0.942-0.969 on 20 seeds (median 0.956; 0.15-0.4 s of training,
# depending on load). 2 epochs at lr 0.02 spread wider (0.897 on one seed in 20).
# 30 epochs of the larger net of examples/convnet.py reach 99 %, too long for grading.
CONVNET_ACCURACY = 0.90
CONVNET_EPOCHS = 3
# The first epoch's mean loss against the reference's from the same start: another
# shuffle moves it by 0.94x-1.15x (20 seeds, every problem). The last epoch's is no
# signal: SGD noise moves x1*x2's by up to 20x against the returned parameters' loss.
FIRST_EPOCH = (0.5, 2.0)
# Associative recall (nn100.data.recall: 2 key-value pairs of 4 keys and 4 values, then a
# key), a one-block transformer (dim 16, 4 heads), 4 epochs of AdamW on 400 sequences with
# clipping: the reference answers 0.54-0.80 of 500 new sequences (0.58 at worst with 4
# heads, 40 seeds; 0.11 CPU s of training, one BLAS thread), a model without the block
# (no attention) 0.24-0.26 and attention masking the past 0.22-0.27 (chance: 0.25; 0.45 is
# ten standard deviations above it). One block finds the key but not always its pair; two
# blocks reach ~100 % (checkpoint C.4) in ~10x the time.
RECALL = {"pairs": 2, "keys": 4, "values": 4}
RECALL_SIZES = (400, 500)   # training and test sequences
RECALL_DIM, RECALL_HEADS = 16, 4
RECALL_ACCURACY = 0.45
USES = {
    "linreg": ("Linear", "mse_loss", "SGDOptimizer", "Learner"),
    "product": ("Linear", "Tanh", "Sequential", "mse_loss", "SGDOptimizer", "Learner"),
    "digits": ("Linear", "ReLU", "Sequential", "softmax_cross_entropy_loss", "AdamOptimizer",
               "Learner"),
    "convnet": ("Conv2D", "BatchNorm", "ReLU", "MaxPool2D", "Flatten", "Linear", "Sequential",
                "softmax_cross_entropy_loss", "AdamOptimizer", "Learner"),
    "recall": ("Embedding", "PositionalEmbedding", "CausalSelfAttention", "LayerNorm", "GELU",
               "Linear", "Sequential", "Residual", "softmax_cross_entropy_loss",
               "AdamWOptimizer", "clip_grad_norm", "Learner"),
}
PRODUCT_TRAINING = {"loss": "mse_loss", "optimizer": "SGDOptimizer",
                    "optimizer_kwargs": {"lr": 0.1}, "epochs": 40, "bs": 32}
LINREG_TRAINING = {"loss": "mse_loss", "optimizer": "SGDOptimizer",
                   "optimizer_kwargs": {"lr": 0.1}, "epochs": 30, "bs": 10}
DIGITS_TRAINING = {"loss": "softmax_cross_entropy_loss", "optimizer": "AdamOptimizer",
                   "optimizer_kwargs": {"lr": 0.01}, "epochs": 10, "bs": 32}
CONVNET_TRAINING = dict(DIGITS_TRAINING, epochs=CONVNET_EPOCHS)
RECALL_TRAINING = {"loss": "softmax_cross_entropy_loss", "loss_kwargs": {"ignore_index": -100},
                   "optimizer": "AdamWOptimizer", "optimizer_kwargs": {"lr": 0.015},
                   "learner_kwargs": {"clip_norm": 1.0}, "epochs": 4, "bs": 32}
# The problems, one unit each (its name in course.toml): the training jobs it runs, and
# its check's family (the key of its hints) and title.
PROBLEMS = {
    "fit_linear_regression": (("linreg",), "linreg",
                              "linear regression recovers the true weights"),
    "fit_product": (("product_1layer", "product_2layer"), "product",
                    "x1*x2: two layers fit far better than one"),
    "fit_digits": (("digits",), "digits", f"digits: test accuracy at least {DIGITS_ACCURACY:.0%}"),
    "fit_convnet": (("convnet",), "convnet",
                    f"digits as images: a ConvNet reaches {CONVNET_ACCURACY:.0%} in "
                    f"{CONVNET_EPOCHS} epochs"),
    "fit_recall": (("recall",), "recall",
                   f"associative recall: a one-block transformer answers at least "
                   f"{RECALL_ACCURACY:.0%}"),
}
CURVES_JOB = "product_2layer"  # the training whose loss curves the report plots
ARCHITECTURES = {
    "linreg": [("Linear", 10, 1)],
    "product_1layer": [("Linear", 2, 1)],
    "product_2layer": [("Linear", 2, 16), ("Tanh",), ("Linear", 16, 1)],
    "digits": [("Linear", 64, 32), ("ReLU",), ("Linear", 32, 10)],
    "convnet": [("Conv2D", 1, 8, 3, 1, 1), ("BatchNorm", 8), ("ReLU",), ("MaxPool2D", 2),
                ("Flatten",), ("Linear", 128, 10)],
}
IMAGES = (-1, 1, 8, 8)
RECALL_VOCABULARY = RECALL["keys"] + RECALL["values"]
RECALL_LENGTH = 2 * RECALL["pairs"] + 1
ARCHITECTURES["recall"] = [("Embedding", RECALL_VOCABULARY, RECALL_DIM),
                           ("PositionalEmbedding", RECALL_LENGTH, RECALL_DIM),
                           ("TransformerBlock", RECALL_DIM, RECALL_HEADS),
                           ("LayerNorm", RECALL_DIM), ("Linear", RECALL_DIM, RECALL_VOCABULARY)]


def param_of(layer, attr: str):
    """A layer's parameter by attribute, or by its index in ``parameters`` ("0", "1", ...):
    the given TransformerBlock has no spec of its own, only its units' parameters."""
    return layer.parameters[int(attr)] if attr.isdigit() else getattr(layer, attr)


def layer_kinds(table: course.Course) -> dict:
    """Each layer's parameter and state attributes, from its spec in course.toml."""
    return {name: ([p.name for p in unit.spec.params], list(unit.spec.state))
            for name, unit in table.units.items() if unit.kind == "layer" and unit.spec}


def layer_specs(rng, ref, architecture, kinds):
    """Layer specs for the child, plus the initial parameters (given to every model):
    each layer's parameters as the reference initialises them, from a seed drawn here."""
    specs, arrays = [], {}
    for i, (cls, *args) in enumerate(architecture):
        spec = {"cls": cls, "args": list(args)}
        params, state = kinds.get(cls, ([], []))
        if params:
            make = getattr(ref, cls)  # the reference's initialisation, seeded when it draws
            seeded = "rng" in inspect.signature(make).parameters
            layer = make(*args, **({"rng": int(rng.integers(2**31))} if seeded else {}))
            for attr in params:
                arrays[f"P{i}_{attr}"] = np.array(param_of(layer, attr).tensor,
                                                  dtype=np.float64)
            spec["params"] = {attr: f"P{i}_{attr}" for attr in params}
        if state:
            spec["state_out"] = state
        specs.append(spec)
    return specs, arrays


def reference_model(ref, architecture, params, kinds):
    """The reference's model holding ``params`` (names P<i>_<attr>, S<i>_<attr>)."""
    layers = []
    for i, (cls, *args) in enumerate(architecture):
        layer = getattr(ref, cls)(*args)
        attrs, state = kinds.get(cls, ([], []))
        for attr in attrs:
            param_of(layer, attr).tensor = params[f"P{i}_{attr}"]
            param_of(layer, attr).gradient = np.zeros_like(params[f"P{i}_{attr}"])
        for attr in state:  # trained state (the initial model keeps the layer's own)
            if f"S{i}_{attr}" in params:
                setattr(layer, attr, params[f"S{i}_{attr}"])
        layers.append(layer)
    return ref.Sequential(*layers)


def returned_params(result, architecture, init, kinds):
    """The trained parameters (and state) the child returned, each of its initial shape."""
    params = {}
    for i, (cls, *_args) in enumerate(architecture):
        attrs, state = kinds.get(cls, ([], []))
        for name in ([protocol.TRAINED_PARAM.format(i, a) for a in attrs]
                     + [protocol.TRAINED_STATE.format(i, a) for a in state]):
            value = array(result, name, f"layer {i} ({cls}) {name.split('_', 1)[1]}")
            shape = init[name].shape if name in init else np.shape(value)
            if value.shape != shape or not np.all(np.isfinite(value)):
                raise Fail(f"layer {i} ({cls}) {name.split('_', 1)[1]}: shape {value.shape} "
                           f"(expected {shape}) or non-finite values after training")
            params[name] = value
    return params


def unit_builder(unit: course.Unit, table: course.Course):
    """A problem unit's builder; the layers' attributes come from the course."""
    if unit.name not in PROBLEMS:
        raise course.CourseError(f"course.toml: [units.{unit.name}] is of kind convergence, "
                                 f"but no problem has that name; the problems are "
                                 f"{', '.join(PROBLEMS)}")
    kinds = layer_kinds(table)
    return lambda rng, ref: ProblemUnit(unit.name, rng, ref, kinds).build()


class ProblemUnit:
    """One convergence problem: its training jobs added here, its check judged by the
    method of its family (``check_<family>``)."""

    def __init__(self, unit: str, rng, ref, kinds: dict):
        self.job_names, self.family, self.title = PROBLEMS[unit]
        for cls, *args in (layer for name in self.job_names for layer in ARCHITECTURES[name]):
            if cls not in kinds and getattr(getattr(ref, cls)(*args), "parameters", None):
                # given code without a spec (TransformerBlock): its parameters by index
                count = len(getattr(ref, cls)(*args).parameters)
                kinds = dict(kinds, **{cls: ([str(k) for k in range(count)], [])})
        self.unit, self.ref, self.kinds = unit, ref, kinds
        self.seed = int(rng.integers(2**31))
        self.jobs, self.given, self.reference_curves = [], {}, {}
        for name in self.job_names:
            X, Y, training = self.problem(name)
            specs, init = layer_specs(rng, ref, ARCHITECTURES[name], kinds)
            self.jobs.append(Job(f"{unit}/{name}", protocol.TRAIN,
                                 dict(training, layers=specs, seed=self.seed),
                                 dict(init, X=X, Y=Y), budget=3.0))
            self.given[name] = (init, training, X, Y)
        # the reference's curves now, while the plan is built beside running children,
        # not after the last child, when judging is all that is left to wait for
        for name in self.job_names:
            self.reference_curve(name, epochs=None if name == CURVES_JOB else 1)

    def problem(self, name: str):
        """The training data and settings of training job ``name``."""
        ref, seed = self.ref, self.seed
        if name == "linreg":
            X, Y, self.W_true, self.b_true = ref.data.linear_regression(n=100, features=10,
                                                                        rng=seed)
            return X, Y, LINREG_TRAINING
        if name.startswith("product"):
            return (*ref.data.product(n=1000, rng=seed), PRODUCT_TRAINING)
        if name == "recall":
            X, Y = ref.data.recall(RECALL_SIZES[0], **RECALL, rng=seed)
            self.X_test, self.y_test = ref.data.recall(RECALL_SIZES[1], **RECALL, rng=seed + 1)
            return X, Y, RECALL_TRAINING
        X_train, y_train, self.X_test, self.y_test = ref.data.load_digits()
        if name == "digits":
            return X_train, y_train, DIGITS_TRAINING
        return X_train.reshape(IMAGES), y_train, CONVNET_TRAINING

    def build(self):
        check = Check(self.unit, self.title, getattr(self, f"check_{self.family}"),
                      self.family, 1, uses=USES[self.family])
        extra = self.curves if CURVES_JOB in self.job_names else None
        return self.jobs, [check], extra

    def reference_curve(self, name, epochs=None):
        """The reference's epoch losses from the same start, data and seed (the first
        epochs only when ``epochs`` says so: epoch k does not depend on later ones)."""
        init, training, X, Y = self.given[name]
        epochs = epochs or training["epochs"]
        if len(self.reference_curves.get(name, [])) < epochs:
            ref = self.ref
            model = reference_model(ref, ARCHITECTURES[name],
                                    {k: v.copy() for k, v in init.items()}, self.kinds)
            loss, loss_kwargs = getattr(ref, training["loss"]), training.get("loss_kwargs", {})
            learner = ref.Learner(model, lambda Z, Y: loss(Z, Y, **loss_kwargs),
                                  getattr(ref, training["optimizer"])(
                                      **training["optimizer_kwargs"]),
                                  **training.get("learner_kwargs", {}))
            self.reference_curves[name] = [float(x) for x in learner.fit(
                X, Y, epochs, training["bs"], rng=self.seed)]
        return self.reference_curves[name][:epochs]

    def follows_training(self, name, result):
        """The returned loss curve is one of training from the given start."""
        epochs = self.given[name][1]["epochs"]
        curve = np.asarray(result.arrays.get(protocol.LOSSES, np.empty(0)), dtype=np.float64)
        curve = curve.ravel()
        if curve.shape != (epochs,) or not np.all(np.isfinite(curve)):
            raise Fail(f"training ({name}): fit returned {curve.size} losses for {epochs} "
                       "epochs (or non-finite ones): expected one mean loss per epoch")
        first = self.reference_curve(name, epochs=1)[0]
        low, high = FIRST_EPOCH
        if not low * first <= curve[0] <= high * first:
            raise Fail(f"training ({name}): the first epoch's mean loss is {curve[0]:.3g}, but "
                       f"training from the given start gives about {first:.3g}: the "
                       "parameters were not reached by training with the optimizer")

    def trained(self, results, name):
        """The parameters training job ``name`` returned, once it ran and trained."""
        result = results.get(f"{self.unit}/{name}")
        if result is None or result.status != JobStatus.OK:
            why = "did not run" if result is None else (
                raised(result.message) if result.status == JobStatus.ERROR
                else result.message)
            raise Fail(f"training ({name}) failed: {why}")
        params = returned_params(result, ARCHITECTURES[name], self.given[name][0], self.kinds)
        self.follows_training(name, result)
        return params

    def model(self, name, params):
        return reference_model(self.ref, ARCHITECTURES[name], params, self.kinds)

    def check_linreg(self, results):
        params = self.trained(results, "linreg")
        error = max(float(np.max(np.abs(params["P0_weights"] - self.W_true))),
                    float(np.max(np.abs(params["P0_bias"] - self.b_true))))
        if not error <= WEIGHT_BOUND:
            raise Fail(f"after 30 epochs of SGD the weights are off by up to {error:.2e} "
                       f"(bound {WEIGHT_BOUND:.0e}; the reference gets below 1e-10)")
        return f"true weights recovered to {error:.1e}"

    def check_product(self, results):
        X_check, Y_check = self.ref.data.product(n=1000, rng=self.seed + 1)
        one, two = (self.ref.mse_loss(self.model(name, self.trained(results, name))
                                      .forward(X_check)[0], Y_check)[0]
                    for name in ("product_1layer", "product_2layer"))
        if not two < PRODUCT_RATIO * one:
            raise Fail(f"test MSE: 1 layer {one:.3f}, 2 layers {two:.3f}; two layers should be "
                       f"below {PRODUCT_RATIO} x one layer's")
        return f"test MSE 1 layer {one:.3f}, 2 layers {two:.3f}"

    def check_digits(self, results):
        model = self.model("digits", self.trained(results, "digits"))
        accuracy = float(np.mean(model.forward(self.X_test)[0].argmax(axis=1) == self.y_test))
        if not accuracy >= DIGITS_ACCURACY:
            raise Fail(f"test accuracy {accuracy:.3f}, expected at least {DIGITS_ACCURACY}")
        return f"test accuracy {accuracy:.3f}"

    def check_convnet(self, results):
        model = self.model("convnet", self.trained(results, "convnet"))
        model.eval()
        accuracy = float(np.mean(model.forward(self.X_test.reshape(IMAGES))[0].argmax(axis=1)
                                 == self.y_test))
        if not accuracy >= CONVNET_ACCURACY:
            raise Fail(f"test accuracy {accuracy:.3f} after {CONVNET_EPOCHS} epochs, expected "
                       f"at least {CONVNET_ACCURACY} (the reference gets about 0.95)")
        return f"test accuracy {accuracy:.3f}"

    def check_recall(self, results):
        model = self.model("recall", self.trained(results, "recall"))
        model.eval()
        answers = model.forward(self.X_test)[0][:, -1].argmax(axis=1)
        accuracy = float(np.mean(answers == self.y_test[:, -1]))
        if not accuracy >= RECALL_ACCURACY:
            raise Fail(f"{accuracy:.0%} of new sequences answered, expected at least "
                       f"{RECALL_ACCURACY:.0%} (the reference gets about 60 %, a model that "
                       "cannot look back at the pairs about 25 %)")
        return f"{accuracy:.0%} of new sequences answered"

    def curves(self, results):
        """Epoch losses of the student and of the reference (same data, start and seed)."""
        result = results.get(f"{self.unit}/{CURVES_JOB}")
        student = []
        if (result is not None and result.status == JobStatus.OK
                and protocol.LOSSES in result.arrays):
            losses = np.asarray(result.arrays[protocol.LOSSES], dtype=np.float64).ravel()
            student = [float(x) if np.isfinite(x) else None for x in losses[:1000]]
        return {CURVES_JOB: {"student": student,
                             "reference": list(self.reference_curve(CURVES_JOB)),
                             "uses": list(USES["product"])}}
