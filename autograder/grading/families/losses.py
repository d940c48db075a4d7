"""Checks for the losses: value and gradient against the reference, the gradient against
central differences of the student's own loss, stability at extreme inputs, unchanged
inputs, float32 in -> float32 gradient out."""
from __future__ import annotations

import numpy as np

from ... import course
from ...course.specs.loss import LossSpec
from ..checks import (FD_BOUND, FD_STEP, FLOAT32, MATCH, Check, Fail, Worst, array, compare,
                      dtype_of, need, passed, rel_error, same, scope)
from ...sandbox.child import protocol
from ...sandbox import Job, JobStatus

KIND = "loss"
SPEC = LossSpec
OPERATION = protocol.LOSS


def binary(draw):
    """Targets of 0 and 1 (drawn first), with predictions from ``draw(rng, shape)``."""
    def make(rng, shape):
        target = rng.integers(0, 2, shape).astype(np.float64)
        return draw(rng, shape), target
    return make


# How predictions and targets are drawn, by the spec's `values` (course.LOSS_VALUES).
INPUTS = {
    "regression": lambda rng, shape: (rng.standard_normal(shape), rng.standard_normal(shape)),
    "probabilities": binary(lambda rng, shape: rng.uniform(0.05, 0.95, shape)),
    "logits": binary(lambda rng, shape: rng.standard_normal(shape) * 2),
    "classes": lambda rng, shape: (rng.standard_normal(shape) * 2,
                                   rng.integers(0, shape[1], shape[0])),
}


def saturated(Yp, Yt, rng):
    """Probabilities of exactly 0 and 1, against both targets."""
    Yp.flat[:6] = [0.0, 1.0, 0.0, 1.0, 0.0, 1.0]
    Yt.flat[:6] = [1.0, 0.0, 0.0, 1.0, 1.0, 0.0]
    return Yp, Yt


# Extreme inputs, by the stability case's `values` (course.LOSS_EXTREMES), and whether the
# results are compared with the reference's (clipped probabilities depend on the clip).
EXTREMES = {
    "saturated": (saturated, False),
    "huge": (lambda Yp, Yt, rng: (np.sign(Yp) * rng.choice([30.0, 100.0, 800.0], Yp.shape),
                                  Yt), True),
}
# Errors a loss may raise for a target of the wrong shape (NotImplementedError is a stub).
SHAPE_ERRORS = ("ValueError", "TypeError")


def inputs(spec, rng, shape, dtype=np.float64):
    Yp, Yt = INPUTS[spec.values](rng, shape)
    return Yp.astype(dtype), (Yt.astype(dtype) if Yt.dtype.kind == "f" else Yt)


def wrong_target(spec, rng):
    """A prediction and a target of another shape (one axis more or fewer)."""
    if spec.values == "classes":  # labels (N,): give them as (N, 1)
        Yp, Yt = inputs(spec, rng, (6, 3))
        return Yp, Yt[:, None]
    Yp, Yt = inputs(spec, rng, (6, 1))
    return Yp, Yt[:, 0]


def reference_fd_error(ref, function, Yp, Yt) -> float:
    """The reference's own error against central differences (step FD_STEP) at Yp,
    measured as the check measures the student's (relative to the largest value)."""
    _, analytic = function(Yp, Yt)
    point = Yp.copy()  # moved in place, one element at a time, by numerical_gradient
    numeric = ref.gradcheck.numerical_gradient(lambda: function(point, Yt)[0], point, FD_STEP)
    return rel_error(analytic, numeric)


class LossUnit:
    """A loss's checks, driven by its spec: its jobs added here, each judged by a method."""

    def __init__(self, fn: str, spec: LossSpec, rng, ref):
        self.fn, self.spec, self.rng, self.ref = fn, spec, rng, ref
        self.function = getattr(ref, fn)
        self.jobs, self.expected = [], {}

        for k, case in enumerate(self.spec.passes):
            self.add(f"pass{k}", *inputs(self.spec, self.rng, case.input))
        Yp, Yt = inputs(self.spec, self.rng, self.spec.fd.input)
        self.add("fd_analytic", Yp, Yt)
        # One ordinary loss job per moved element (and one at the point), shuffled:
        # the code under test cannot tell them from any other check.
        points = [(0, 0)] + [(i, sign) for i in range(Yp.size) for sign in (+1, -1)]
        for k in self.rng.permutation(len(points)):
            i, sign = points[k]
            moved = Yp.copy()
            if sign:
                moved.flat[i] += sign * FD_STEP
            self.job(f"fd/{i}/{sign}", moved, Yt)
        self.expected["fd"] = {"Yp": Yp,
                               "reference_error": reference_fd_error(ref, self.function, Yp, Yt)}
        Yp, Yt = inputs(self.spec, self.rng, self.spec.passes[1].input, np.float32)
        self.add("float32", Yp, Yt)
        self.compare_extreme = True
        if self.spec.stability:
            Yp, Yt = inputs(self.spec, self.rng, self.spec.stability.input)
            if self.spec.stability.values:
                make, self.compare_extreme = EXTREMES[self.spec.stability.values]
                Yp, Yt = make(Yp, Yt, self.rng)
            self.add("extreme", Yp * self.spec.stability.scale, Yt)
        # the given shape check: a target that differs in shape must be refused
        Yp, Yt = wrong_target(self.spec, self.rng)
        self.job("shape", Yp, Yt)
        self.expected["shape"] = {"Yp": Yp, "Yt": Yt}

        self.passes = [k for k in self.expected if k.startswith("pass")]


    def job(self, job_id, Yp, Yt):
        """One call of the loss on (Yp, Yt); the spec names the input holding each."""
        given = {protocol.PREDICTION: Yp, protocol.TARGET: Yt}
        self.jobs.append(Job(f"{self.fn}/{job_id}", protocol.LOSS,
                             {"fn": self.fn, **{k: k for k in given}}, given))

    def add(self, job_id, Yp, Yt):
        self.job(job_id, Yp, Yt)
        loss, grad = self.function(Yp.astype(np.float64), Yt)
        self.expected[job_id] = {"Yp": Yp, "Yt": Yt, "loss": loss, "grad": grad}

    def value(self, results):
        worst = Worst(MATCH)
        for job_id in self.passes:
            r, e = need(results, f"{self.fn}/{job_id}"), self.expected[job_id]
            loss = array(r, protocol.LOSS_VALUE, "the loss")
            if loss.shape != ():
                raise Fail(f"the loss must be a single number, got an array of shape "
                           f"{loss.shape}")
            worst.compare(loss, e["loss"], "the loss", f"prediction {scope(e['Yp'].shape)}")
        return worst.verdict()

    def gradient(self, results):
        worst = Worst(MATCH)
        for job_id in self.passes:
            r, e = need(results, f"{self.fn}/{job_id}"), self.expected[job_id]
            worst.compare(array(r, protocol.LOSS_GRADIENT, "the gradient"), e["grad"],
                          "the gradient (the loss's second return value)",
                          f"prediction {scope(e['Yp'].shape)}")
        return worst.verdict()

    def finite_differences(self, results):
        here = need(results, f"{self.fn}/fd_analytic")
        analytic = array(here, protocol.LOSS_GRADIENT, "the gradient")
        e = self.expected["fd"]
        loss = array(here, protocol.LOSS_VALUE, "the loss")
        compare(loss, self.expected["fd_analytic"]["loss"], "loss at the finite-difference point")
        again = array(need(results, f"{self.fn}/fd/0/0"), protocol.LOSS_VALUE, "the loss")
        if again.shape != loss.shape or not np.allclose(again, loss, rtol=MATCH, atol=0):
            raise Fail("the loss gave two different values for the same inputs: it must "
                       "depend on its inputs only")

        def loss_at(i, sign):
            found = array(need(results, f"{self.fn}/fd/{i}/{sign}"), protocol.LOSS_VALUE,
                          "the loss")
            if found.shape != ():
                raise Fail("the loss did not return one number per call")
            return float(found)

        moved = np.array([[loss_at(i, +1), loss_at(i, -1)] for i in range(e["Yp"].size)])
        jump = float(np.max(np.abs(moved - float(loss)))) if moved.size else 0.0
        if not jump <= 1e3 * FD_STEP:
            raise Fail(f"moving one element of the prediction by {FD_STEP:g} changed the "
                       f"loss by {jump:.2e}: the loss must be the same smooth function "
                       "of its inputs at every call")
        numeric = ((moved[:, 0] - moved[:, 1]) / (2 * FD_STEP)).reshape(e["Yp"].shape)
        error = compare(analytic, numeric,
                        f"gradient against finite differences (h={FD_STEP:g})", FD_BOUND)
        return (passed([error], FD_BOUND)
                + f"; the reference's own error here: {e['reference_error']:.1e}")

    def not_mutated(self, results):
        for job_id in self.passes:
            r, e = need(results, f"{self.fn}/{job_id}"), self.expected[job_id]
            for name, given, what in ((protocol.PREDICTION, e["Yp"], "the prediction"),
                                      (protocol.TARGET, e["Yt"], "the target")):
                same(r.arrays.get(protocol.AFTER.format(name), np.empty(0)), given, what)
        return "prediction and target unchanged"

    def float32(self, results):
        r, e = need(results, f"{self.fn}/float32"), self.expected["float32"]
        found = dtype_of(r, protocol.LOSS_GRADIENT, "the gradient")
        if found != "float32":
            raise Fail(f"the gradient has dtype {found} for a float32 prediction")
        try:
            error = compare(array(r, protocol.LOSS_GRADIENT, "the gradient"), e["grad"],
                            "float32 gradient", FLOAT32)
        except Fail as failure:  # the dtype is right: precision, not dtype, is the issue
            raise Fail(f"{failure} (the dtype is right and float64 inputs give the right "
                       "gradient: float32 loses precision somewhere)", hint=False) from None
        return passed([error], FLOAT32)

    def stable(self, results):
        r, e = need(results, f"{self.fn}/extreme"), self.expected["extreme"]
        loss = array(r, protocol.LOSS_VALUE, "the loss")
        grad = array(r, protocol.LOSS_GRADIENT, "the gradient")
        if loss.shape != () or not np.isfinite(loss) or not np.all(np.isfinite(grad)):
            raise Fail("the loss or its gradient is not finite at extreme inputs")
        if not self.compare_extreme:
            return "finite"
        worst = Worst(MATCH)
        worst.compare(loss, e["loss"], "the loss", "extreme inputs")
        worst.compare(grad, e["grad"], "the gradient", "extreme inputs")
        return worst.verdict()

    def shape(self, results):
        r, e = results.get(f"{self.fn}/shape"), self.expected["shape"]
        pair = f"prediction {e['Yp'].shape} and target {e['Yt'].shape}"
        if r is not None and r.status == JobStatus.ERROR and r.message.startswith(SHAPE_ERRORS):
            return f"{pair} refused: {r.message.split(':')[0]}"
        if r is not None and r.status == JobStatus.OK:
            raise Fail(f"{pair}: the loss returned a value instead of raising an error")
        raise Fail(f"{pair}: expected a ValueError, got "
                   f"{r.message if r is not None else 'nothing'}")

    def checks(self) -> list[Check]:
        both = ("value", "gradient")
        checks = [
            Check(self.fn, "loss value matches the reference (batch of 1, odd sizes)", self.value,
                  "value", 2),
            Check(self.fn, "gradient matches the reference", self.gradient, "gradient", 2),
            Check(self.fn, "gradient matches finite differences of your own loss",
                  self.finite_differences, "fd", 2, needs=("gradient",)),
            Check(self.fn, "inputs are not modified", self.not_mutated, "mutation", 1, needs=both),
            Check(self.fn, "float32 in, float32 gradient out", self.float32, "float32", 1,
                  needs=both),
        ]
        if self.spec.stability:
            checks.append(Check(self.fn, self.spec.stability_title, self.stable, "stability", 1,
                                needs=both))
        checks.append(Check(self.fn, "a target of another shape is refused, never broadcast",
                            self.shape, "shape", 1, needs=("value",)))
        return checks

    def build(self):
        return self.jobs, self.checks()


def unit_builder(unit: course.Unit, table: course.Course):
    """A loss's builder, driven by its spec in course.toml."""
    return lambda rng, ref: LossUnit(unit.name, unit.spec, rng, ref).build()
