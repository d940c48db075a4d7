"""The layer checks of values: forward and every gradient against the reference (on
several shapes, in evaluation mode, after training batches, with large inputs), against
central differences of the submission's own forward, and causality for sequence layers.

Analytic derivatives, in any honest algebraic form, match the reference to a few units
in the last place; central differences reach about 1e-11 at their best step (five-point
stencils about 1e-13), so the spec's gradient bounds sit between the two.  Every backward
check also passes the gates of layer_gates.py.
"""
from __future__ import annotations

import numpy as np

from ... import course
from ..checks import (FD_BOUND, FD_STEP, MATCH, Fail, Worst, array, compare, passed, raised,
                      rel_error, scope)
from ...sandbox.child import protocol
from .layer_properties import DX0, Y0, compare_gradients

FD_REACH = 1e3 * FD_STEP  # how far one step h may move a forward output (Lipschitz <= 1000)


class ValueChecks:
    """The value checks, for LayerUnit (which provides the gates and the expected values)."""

    def check_forward(self, results):
        worst = Worst(MATCH)
        for job_id in self.passes():
            e = self.expected[job_id]
            r = self.result(results, job_id)
            worst.compare(array(r, Y0, "output"), e["Y"], "forward output Y",
                          f"input {scope(e['X'].shape)}")
        return worst.verdict()

    def check_input_gradient(self, results):
        self.cost_gate(results)
        self.crash_verdict(results, None)
        worst = Worst(self.bound)
        for job_id in self.passes():
            e = self.expected[job_id]
            r = self.result(results, job_id)
            self.backprop_only(r, f"input {scope(e['X'].shape)}")
            got = array(r, DX0, "backward's return value (dX)")
            worst.compare(got, self.expected_dX(e, got), "dX (the input gradient)",
                          f"input {scope(e['X'].shape)}")
        return self.large_layer_gate(results, worst.verdict())

    def check_param_gradient(self, results, param: course.Param):
        self.cost_gate(results)
        self.crash_verdict(results, param.name)
        worst = Worst(self.bound)
        for job_id in self.passes():
            e = self.expected[job_id]
            r = self.result(results, job_id)
            self.backprop_only(r, f"input {scope(e['X'].shape)}")
            worst.compare(array(r, protocol.GRADIENT.format(param.name), f"{param.name}.gradient"),
                          e["grads"][param.name], param.what, f"input {scope(e['X'].shape)}")
        return self.large_layer_gate(results, worst.verdict())

    def check_eval(self, results):
        self.cost_gate(results)
        e = self.expected["eval"]
        r = self.result(results, "eval")
        self.backprop_only(r, "evaluation mode")
        where = f"evaluation mode, input {scope(e['X'].shape)}"
        worst = Worst(self.bound)
        worst.compare(array(r, Y0, "output"), e["Y"], "forward output Y", where, MATCH)
        worst.compare(array(r, DX0, "backward's return value (dX)"), e["dX"],
                      "dX (the input gradient)", where)
        compare_gradients(worst, r, e["grads"], where)
        return self.large_layer_gate(results, worst.verdict())

    def check_running(self, results):
        e = self.expected["running"]
        r = self.result(results, "running")
        if r.info.get("error"):
            raise Fail(raised(r.info["error"]))
        worst = Worst(MATCH)
        for attr, value in e["state"].items():
            worst.compare(array(r, protocol.STATE.format(attr), attr), value, attr,
                          f"{self.spec.batches} training batches of {scope(e['shape'])}")
        return worst.verdict()

    def check_causal(self, results):
        e = self.expected["causal"]
        r = self.result(results, "causal")
        self.backprop_only(r, "causality")
        t, where = e["t"], f"input {scope(e['shape'])}"
        first, again = array(r, Y0, "output"), array(r, protocol.OUTPUT.format(1), "output")
        if first.shape != again.shape or first.ndim < 2:
            raise Fail(f"forward output has shape {again.shape}, expected {first.shape}")
        scale = max(float(np.max(np.abs(first))), 1e-300)
        moved = float(np.max(np.abs(again[:, :t] - first[:, :t]), initial=0.0)) / scale
        if not moved <= MATCH:
            raise Fail(f"changing positions {t} and later moved the outputs of positions 0 to "
                       f"{t - 1} by {moved:.1e} (relative; {where}): a position saw the future")
        dX = array(r, DX0, "backward's return value (dX)")
        if dX.shape != tuple(e["shape"]):
            raise Fail(f"dX has shape {dX.shape}, expected {tuple(e['shape'])}")
        leaked = float(np.max(np.abs(dX[:, t:]))) / max(float(np.max(np.abs(dX))), 1e-300)
        if not leaked <= MATCH:
            raise Fail(f"a gradient given to the outputs of positions 0 to {t - 1} only reached "
                       f"the inputs of positions {t} and later ({leaked:.1e} of the largest "
                       f"input gradient; {where})")
        return f"positions 0 to {t - 1} neither see nor send gradient to positions {t} and later"

    def check_fd(self, results):
        e = self.expected["fd"]
        analytic = self.result(results, "fd_analytic")
        self.backprop_only(analytic, "finite-difference point")
        here = array(analytic, Y0, "forward output")
        compare(here, e["Y"], "forward output at the finite-difference point")
        again = array(self.result(results, "fd/base/0/0"), Y0, "forward output")
        if again.shape != here.shape or not np.allclose(again, here, rtol=MATCH, atol=0):
            raise Fail("forward gave two different outputs for the same layer and input: "
                       "it must depend on its input and parameters only")
        shapes = {t: np.shape(e["X"] if t == "X" else e["params"][t]) for t in e["targets"]}
        numeric = fd_from_outputs(
            lambda target, i, sign: array(self.result(results, f"fd/{target}/{i}/{sign}"),
                                          Y0, "forward output at a perturbed point"),
            e["D"], shapes, here)
        given = {"X": array(analytic, DX0, "backward's return value")} if "X" in shapes else {}
        for attr in e["params"]:
            given[attr] = array(analytic, protocol.GRADIENT.format(attr), f"{attr}.gradient")
        errors = []
        for target, value in numeric.items():
            what = "input" if target == "X" else target
            errors.append(compare(given[target], value,
                                  f"{what} gradient against finite differences (h={FD_STEP:g})",
                                  FD_BOUND))
        return (passed(errors, FD_BOUND)
                + f"; the reference's own error here: {e['reference_error']:.1e}")

    def check_large(self, results):
        e = self.expected["large_logits"]
        r = self.result(results, "large_logits")
        worst = Worst(MATCH)
        worst.compare(array(r, Y0, "output"), e["Y"], "forward output Y",
                      f"large inputs {scope(e['X'].shape)}")
        got = array(r, DX0, "gradient")
        worst.compare(got, e["dX"], "dX (the input gradient)",
                      f"large inputs {scope(e['X'].shape)}", self.bound)
        return self.large_layer_gate(results, worst.verdict())


def fd_from_outputs(output, D, shapes: dict, here) -> dict:
    """Central differences of L = sum(D * Y) from the forward outputs the child
    returned: ``output(target, i, sign)`` is Y with element i of target moved by sign*h.
    Each must lie within a step's reach of the output ``here`` at the point itself: a
    forward that changes behaviour at nearby points is not the forward being checked."""
    numeric = {}
    for target, shape in shapes.items():
        values = np.zeros(int(np.prod(shape)))
        for i in range(values.size):
            plus, minus = output(target, i, +1), output(target, i, -1)
            if plus.shape != D.shape or minus.shape != D.shape:
                raise Fail(f"forward output has shape {plus.shape}, expected {D.shape}")
            if not (np.all(np.isfinite(plus)) and np.all(np.isfinite(minus))):
                raise Fail("forward returned NaN or inf at a perturbed point")
            jump = max(float(np.max(np.abs(plus - here))), float(np.max(np.abs(minus - here))))
            if jump > FD_REACH:
                raise Fail(f"moving one element of {target} by {FD_STEP:g} changed the forward "
                           f"output by {jump:.2e}: forward must be the same smooth function "
                           "of its inputs at every call")
            values[i] = (np.sum(plus * D) - np.sum(minus * D)) / (2 * FD_STEP)
        numeric[target] = values.reshape(shape)
    return numeric


def fd_error_of(layer, X, params, D, targets) -> float:
    """The reference's own error against central differences at the same point, for each
    of ``targets`` ("X" and parameter names)."""
    def loss():
        return float(np.sum(layer.forward(X)[0] * D))

    _, backward = layer.forward(X)
    analytic = {"X": backward(D)}
    analytic.update({a: getattr(layer, a).gradient.copy() for a in params})
    analytic = {target: analytic[target] for target in targets}
    worst = 0.0
    for target in analytic:
        base = X if target == "X" else getattr(layer, target).tensor
        numeric = np.zeros(base.size)
        for i in range(base.size):
            saved = base.flat[i]
            base.flat[i] = saved + FD_STEP
            up = loss()
            base.flat[i] = saved - FD_STEP
            down = loss()
            base.flat[i] = saved
            numeric[i] = (up - down) / (2 * FD_STEP)
        worst = max(worst, rel_error(analytic[target].ravel(), numeric))
    return worst
