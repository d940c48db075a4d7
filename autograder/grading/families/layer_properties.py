"""The layer checks of properties, beside the values: what a correct layer must also keep.

Each judges a behaviour the value checks cannot see, and stands on them (``needs``): a
property is earned only where the values it looks at are right, so a layer that returns
nothing, or zeros, earns none of it.

- accumulation: two forward calls, their closures called in reverse order, from non-zero
  gradients: each gradient is added in, never replaces what was there;
- closures: two forward calls of different batch sizes, then their closures in call order:
  each closure keeps its own call's values (a shape or an input kept on the layer is the
  next call's by then). It stands on accumulation too, which already sees a value kept
  on the layer that the next call changes (an input, a mask): that mistake is diagnosed
  there, and what reaches this check is state accumulation cannot see (a shape);
- no mutation: X, D and the parameters come back as given;
- float32 in, float32 out;
- state: evaluation mode leaves the running statistics as they were given (only training
  mode moves them).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..checks import (FLOAT32, MATCH, Fail, Worst, array, raised, require_float32, same,
                      scope)
from ...sandbox.child import protocol
from ...sandbox import Job

Y0 = protocol.OUTPUT.format(0)            # the first forward call's output
DX0 = protocol.INPUT_GRADIENT.format(0)   # what its closure returned
DX1 = protocol.INPUT_GRADIENT.format(1)   # the second call's closure
CLOSURES_EXTRA = 2  # the second call of the closures check has this many more samples


class PropertyChecks:
    """Jobs and checks of the properties, for LayerUnit (which provides make_inputs,
    reference_layer, spec_of, result, backprop_only, jobs, expected, spec, bound)."""

    def add_accumulation(self):
        case = self.spec.accumulate
        X0, params, D0, args = self.make_inputs(case)
        X1, _, D1, _ = self.make_inputs(case)
        G0 = {a: self.rng.standard_normal(v.shape) for a, v in params.items()}
        steps = [[protocol.FORWARD, "X0"], [protocol.FORWARD, "X1"],
                 [protocol.BACKWARD, 1, "D1"], [protocol.BACKWARD, 0, "D0"]]
        spec = self.spec_of(args, params, steps, grads={a: "G0_" + a for a in params})
        arrays = {"X0": X0, "X1": X1, "D0": D0, "D1": D1, **params,
                  **{"G0_" + a: g for a, g in G0.items()}}
        self.jobs.append(Job(f"{self.unit}/accumulate", protocol.LAYER, spec, arrays))
        layer = self.reference_layer(args, params)
        for attr, g in G0.items():
            getattr(layer, attr).gradient = g.copy()
        _, back0 = layer.forward(X0)
        _, back1 = layer.forward(X1)
        dX1, dX0 = back1(D1), back0(D0)
        self.expected["accumulate"] = {DX0: dX0, DX1: dX1,
                                       "grads": {a: getattr(layer, a).gradient for a in params}}

    def add_closures(self):
        """Two forward calls on batches of different sizes, then the first call's closure
        and the second's, in that order (the accumulation check calls them in reverse):
        whatever a closure reads from the layer instead of its own call is, by then, the
        second call's, of another shape."""
        case = self.spec.accumulate
        X0, params, D0, args = self.make_inputs(case)
        larger = (case.input[0] + CLOSURES_EXTRA,) + tuple(case.input[1:])
        X1, _, D1, _ = self.make_inputs(dataclasses.replace(case, input=larger))
        steps = [[protocol.FORWARD, "X0"], [protocol.FORWARD, "X1"],
                 [protocol.BACKWARD, 0, "D0"], [protocol.BACKWARD, 1, "D1"]]
        self.jobs.append(Job(f"{self.unit}/closures", protocol.LAYER,
                             self.spec_of(args, params, steps),
                             {"X0": X0, "X1": X1, "D0": D0, "D1": D1, **params}))
        layer = self.reference_layer(args, params)
        _, back0 = layer.forward(X0)
        _, back1 = layer.forward(X1)
        dX0, dX1 = back0(D0), back1(D1)
        self.expected["closures"] = {
            DX0: dX0, DX1: dX1, "shapes": (X0.shape, X1.shape),
            "grads": {a: getattr(layer, a).gradient for a in params}}

    def check_accumulate(self, results):
        e = self.expected["accumulate"]
        r = self.result(results, "accumulate")
        self.backprop_only(r, "two calls")
        worst = Worst(self.bound)
        compare_dX(worst, r, DX1, e[DX1], "dX", "the 2nd forward call (its backward called first)")
        compare_dX(worst, r, DX0, e[DX0], "dX of call 1",
                   "the 1st forward call (its backward called last)")
        compare_gradients(worst, r, e["grads"],
                          "two backward calls, starting from a non-zero gradient")
        return worst.verdict()

    def check_closures(self, results):
        e = self.expected["closures"]
        r = self.result(results, "closures")
        self.backprop_only(r, "two calls")
        worst = Worst(self.bound)
        for k, (name, shape) in enumerate(zip((DX0, DX1), e["shapes"], strict=True)):
            compare_dX(worst, r, name, e[name], f"dX of call {k + 1}",
                       f"input {scope(shape)}, both forward calls made first")
        compare_gradients(worst, r, e["grads"],
                          "two calls of different batch sizes, both forwards first")
        return worst.verdict()

    def check_not_mutated(self, results):
        for job_id in self.passes():
            e = self.expected[job_id]
            r = self.result(results, job_id)
            if r.info.get("error"):
                raise Fail(raised(r.info["error"]))
            same(r.arrays.get(protocol.AFTER.format("X"), np.empty(0)), e["X"], "the input X")
            same(r.arrays.get(protocol.AFTER.format("D"), np.empty(0)), e["D"],
                 "the upstream gradient D")
            for attr, value in e["params"].items():
                same(r.arrays.get(protocol.TENSOR.format(attr), np.empty(0)), value,
                     f"{attr}.tensor")
        return "inputs, upstream gradients and parameters unchanged"

    def check_float32(self, results):
        e = self.expected["float32"]
        r = self.result(results, "float32")
        names = {Y0: "forward output Y", DX0: "dX (the input gradient)"}
        names.update({protocol.GRADIENT.format(a): f"{a}.gradient" for a in e["params"]})
        require_float32(r, names, "inputs")
        worst = Worst(FLOAT32)
        worst.compare(array(r, Y0, "output"), e["Y"], "float32 forward output Y",
                      f"input {scope(e['X'].shape)}")
        worst.compare(array(r, DX0, "gradient"), e["dX"], "float32 dX",
                      f"input {scope(e['X'].shape)}")
        return worst.verdict()

    def check_eval_state(self, results):
        """The state evaluation mode was given, after its forward and backward."""
        e = self.expected["eval"]
        r = self.result(results, "eval")
        if r.info.get("error"):
            raise Fail(raised(r.info["error"]))
        for attr, given in e["state"].items():
            found = array(r, protocol.STATE.format(attr), attr)
            if found.shape != given.shape or not np.allclose(found, given, rtol=MATCH, atol=0):
                raise Fail(f"{attr} changed in evaluation mode (input {scope(e['X'].shape)}): "
                           "only training mode moves it")
        return f"{' and '.join(e['state'])} unchanged in evaluation mode"


def compare_gradients(worst: Worst, r, expected: dict, where: str) -> None:
    """``worst.compare`` of each parameter's gradient (``expected``: name -> values)."""
    for attr, value in expected.items():
        worst.compare(array(r, protocol.GRADIENT.format(attr), f"{attr}.gradient"), value,
                      f"{attr}.gradient", where)


def compare_dX(worst: Worst, r, name: str, expected, quantity: str, where: str) -> None:
    """``worst.compare`` of a returned dX, or, for an input without gradient (expected
    None: Embedding's ids), Fail if backward returned one."""
    if expected is None:
        if name in r.arrays:
            raise Fail("backward returned an array for an input that has no gradient "
                       "(ids): backward returns None")
        return
    worst.compare(array(r, name, f"{quantity} (backward's return value)"), expected, quantity,
                  where)
