"""Checks for Dropout, judged on statistics and consistency since its masks are random:
eval mode is the identity, about p of the elements are dropped, survivors are scaled by
1/(1-p), backward uses forward's mask, each forward draws a new mask."""
from __future__ import annotations

import numpy as np

from ..checks import Check, Fail, array, compare, dtype_of, need, same
from ...sandbox.child import protocol
from ...sandbox import Job

KIND = "layer"
UNITS = ("Dropout",)
SPEC = None
OPERATION = protocol.LAYER

UNIT = "Dropout"
# What a Dropout job returns (child/protocol.py): the first and second forward outputs,
# what the first backward returned, and the inputs as they were afterwards.
Y0, Y1 = protocol.OUTPUT.format(0), protocol.OUTPUT.format(1)
DX0 = protocol.INPUT_GRADIENT.format(0)
X_AFTER, D_AFTER = protocol.AFTER.format("X"), protocol.AFTER.format("D")
STATS = [(0.3, (200, 100)), (0.5, (100, 100))]


class DropoutUnit:
    """Dropout's checks: its jobs added here, each judged by a method."""

    def __init__(self, rng, ref):
        self.rng, self.ref = rng, ref
        self.jobs, self.given = [], {}

        both = [[protocol.FORWARD, "X"], [protocol.BACKWARD, 0, "D"]]
        self.add("eval", 0.5, self.nonzero((7, 5)), both, "eval",
                 self.rng.standard_normal((7, 5)))
        self.add("p0", 0.0, self.nonzero((7, 5)), both, "train",
                 self.rng.standard_normal((7, 5)))
        for k, (p, shape) in enumerate(STATS):
            self.add(f"stats{k}", p, self.nonzero(shape), both, "train",
                     self.rng.standard_normal(shape))
        self.add("twice", 0.5, self.nonzero((20, 20)),
                 [[protocol.FORWARD, "X"], [protocol.FORWARD, "X"]])
        self.add("float32", 0.5, self.nonzero((7, 5), np.float32), both, "train",
                 self.rng.standard_normal((7, 5)).astype(np.float32))

    def add(self, job_id, p, X, steps, mode="train", D=None):
        arrays = {"X": X}
        if D is not None:
            arrays["D"] = D
        self.jobs.append(Job(f"{UNIT}/{job_id}", protocol.LAYER, {
            "cls": UNIT, "args": [p], "kwargs": {"rng": int(self.rng.integers(2**31))},
            "mode": mode, "steps": steps, "save_inputs": True}, arrays))
        self.given[job_id] = dict(arrays, p=p)

    def nonzero(self, shape, dtype=np.float64):
        return (self.rng.choice([-1, 1], shape) * self.rng.uniform(0.5, 2.0, shape)).astype(dtype)

    def identity(self, results):
        for job_id in ("eval", "p0"):
            r, g = need(results, f"{UNIT}/{job_id}"), self.given[job_id]
            where = "in eval mode" if job_id == "eval" else "with p=0"
            compare(array(r, Y0, "output"), g["X"], f"forward {where}", 0.0)
            compare(array(r, DX0, "backward's return"), g["D"], f"backward {where}", 0.0)
        return "identity in eval mode and with p=0"

    def fraction(self, results):
        notes = []
        for k, (p, shape) in enumerate(STATS):
            r = need(results, f"{UNIT}/stats{k}")
            Y = array(r, Y0, "output")
            if Y.shape != shape:
                raise Fail(f"output shape {Y.shape}, expected {shape}")
            dropped = float(np.mean(Y == 0))
            bound = 5 * np.sqrt(p * (1 - p) / Y.size)  # five standard deviations
            if abs(dropped - p) > bound:
                raise Fail(f"p={p}: {dropped:.3f} of the elements were zeroed, expected "
                           f"{p} +/- {bound:.3f}")
            notes.append(f"p={p}: {dropped:.3f} dropped")
        return ", ".join(notes)

    def scaling(self, results):
        for k, (p, _shape) in enumerate(STATS):
            r, X = need(results, f"{UNIT}/stats{k}"), self.given[f"stats{k}"]["X"]
            Y = array(r, Y0, "output")
            if Y.shape != X.shape or not np.all(np.isfinite(Y)):
                raise Fail(f"output has shape {Y.shape} or non-finite values")
            kept = Y != 0
            if not kept.any():
                raise Fail(f"p={p}: every element was dropped")
            compare(Y[kept] / X[kept], np.full(kept.sum(), 1 / (1 - p)),
                    f"p={p}: survivors divided by their input", 1e-12)
        return "survivors scaled by 1/(1-p)"

    def same_mask(self, results):
        for k, (p, _shape) in enumerate(STATS):
            r, g = need(results, f"{UNIT}/stats{k}"), self.given[f"stats{k}"]
            Y = array(r, Y0, "output")
            if Y.shape != g["X"].shape:
                raise Fail(f"output shape {Y.shape}, expected {g['X'].shape}")
            compare(array(r, DX0, "backward's return"), g["D"] * (Y / g["X"]),
                    f"p={p}: backward against D times forward's mask and scale", 1e-12)
        return "backward applies forward's mask and scale"

    def new_mask(self, results):
        r = need(results, f"{UNIT}/twice")
        first, second = array(r, Y0, "first output"), array(r, Y1, "second output")
        if first.shape != second.shape or np.array_equal(first == 0, second == 0):
            raise Fail("two forward calls on the same input dropped the same elements")
        return "a fresh mask per call"

    def float32(self, results):
        r = need(results, f"{UNIT}/float32")
        for name, what in ((Y0, "forward output"), (DX0, "input gradient")):
            if dtype_of(r, name, what) != "float32":
                raise Fail(f"{what}: dtype {dtype_of(r, name, what)} for a float32 input")
        return "float32 kept"

    def not_mutated(self, results):
        for job_id, g in self.given.items():
            r = need(results, f"{UNIT}/{job_id}")
            same(r.arrays.get(X_AFTER, np.empty(0)), g["X"], "the input X")
            if "D" in g:
                same(r.arrays.get(D_AFTER, np.empty(0)), g["D"], "the upstream gradient D")
        return "inputs unchanged"

    def checks(self) -> list[Check]:
        values = ("identity", "fraction")
        checks = [
            Check(UNIT, "eval mode (and p=0) is the identity, forward and backward", self.identity,
                  "identity", 2),
            Check(UNIT, "training mode drops about a fraction p of the elements", self.fraction,
                  "fraction", 2),
            Check(UNIT, "survivors are scaled by 1/(1-p) (inverted dropout)", self.scaling,
                  "scaling", 2, needs=("fraction",)),
            Check(UNIT, "backward uses the same mask and scale as forward", self.same_mask,
                  "mask", 2, needs=("fraction", "scaling")),
            Check(UNIT, "each forward call draws a new mask", self.new_mask, "new_mask", 1,
                  needs=("fraction",)),
            Check(UNIT, "float32 in, float32 out", self.float32, "float32", 1, needs=values),
            Check(UNIT, "inputs are not modified", self.not_mutated, "mutation", 1, needs=values),
        ]
        return checks

    def build(self):
        return self.jobs, self.checks()


def unit_builder(unit, table):
    """Dropout's builder (it needs nothing from the course but its name)."""
    return lambda rng, ref: DropoutUnit(rng, ref).build()
