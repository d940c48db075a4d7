"""Checks for every layer of the course (Dropout, which is random, has its own family).

A layer is driven by its spec in course.toml ([kind_spec.layer], [units.<name>.spec]):
its input shapes and constructor arguments, parameter names, value ranges, kinks, the
large case and the finite-difference case; no layer is named here.  Every layer is
checked on several shapes (a batch of 1, odd sizes): forward against the
reference, the input gradient and each parameter gradient against the reference and
against central differences of the student's own forward, accumulation and
closure state over two calls, unchanged inputs, float32 in -> float32 out, and that
backward is backpropagation: it calls forward at most once, and finishes quickly on a
layer too large for finite differences.

Backward must be backpropagation whichever way it is dodged, so every backward point
stands on two signals: the large layer, and the gradients' accuracy.  A backward that
costs a forward per element or per column cannot finish on the large layer, and then no
gradient check is judged; nor is one judged when backward finishes there with wrong
gradients (or an exception) while its small cases are right: a difference step that is
exact for an affine map (Linear) is accurate, and cheap only where the layer is small.
Analytic derivatives, in any honest algebraic form, match the reference to a few units
in the last place; central differences reach about 1e-11 at their best step (five-point
stencils about 1e-13), so the spec's gradient bounds sit between the two.  A layer with a
kink (ReLU, LeakyReLU) also gets inputs at and within 1e-7 of it, where no difference step
gives the derivative (at the kink itself either one-sided derivative is accepted).  A
layer with state (BatchNorm) is also checked in evaluation mode from a given state, and
on its state after several training batches.  A sequence layer (attention) is also
checked for causality: changing the later positions of a sequence moves no earlier output,
and a gradient given to the earlier outputs only reaches no later input.
"""
from __future__ import annotations

import re

import numpy as np

from ..checks import (FD_BOUND, FD_STEP, MATCH, MAX_FORWARD_CALLS, Check, Fail, NotJudged,
                      Worst, array, compare, need, passed, raised, rel_error, scope)
from ... import course
from ...sandbox.child import protocol
from ...sandbox import Job, JobStatus
from .layer_properties import DX0, DX1, Y0, PropertyChecks  # noqa: F401  (DX1: for families)


# Every layer's shapes, constructor arguments, parameters, value ranges, kinks and bounds
# are its spec in course.toml ([kind_spec.layer], [units.<name>.spec]; course.LayerSpec).
FD_REACH = 1e3 * FD_STEP  # how far one step h may move a forward output (Lipschitz <= 1000)

# Gradient bounds (float64, relative to the largest expected value), measured on the
# reference's inputs (256x512 elementwise, 64x256x256 Linear, 128x1024 Softmax; on the
# 64x8192x64 Linear of today's large case, einsum and a loop over rows reach 7.4e-16):
# honest alternative forms reach 3.6e-16 elementwise (1/cosh(X)**2, exp(-X)/(1+exp(-X))**2),
# 1.2e-15 for Softmax (row-wise Jacobian products), 1.4e-15 for Linear (einsum, loops);
# central differences at their best step 1.1e-11 (Tanh) and 2.2e-11 (Sigmoid), five-point
# stencils 1.6e-13 and 3.5e-13.
# (course.toml states each layer's bound: 1e-14 elementwise, 1e-13 Softmax, 1e-12 Linear.)
# Inputs at and near a kink, as offsets from it: every difference step straddles one of
# them, or is too small to move the other inputs at all.
KINKS = np.array([0.0, 1e-7, -1e-7, 3e-8, -3e-8, 1e-9, -1e-9, 1e-11, -1e-11, 1e-13, -1e-13,
                  1e-15, -1e-15, 1e-200, -1e-200, 0.0])


def signed_uniform(rng, shape):
    """Values away from 0, so ReLU's kink never sits within h of an input."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.5, size=shape)


def draw(rng, values: str, shape, scale: float = 1.0) -> np.ndarray:
    """Input values of one of the spec's kinds (course.VALUES)."""
    if values == "signed":
        X = signed_uniform(rng, shape)
    elif values == "ties":  # a few small integers: windows and rows with equal values
        X = rng.integers(-2, 3, size=shape).astype(np.float64)
    elif values == "positive":
        X = rng.uniform(0.5, 2.0, size=shape)
    else:
        X = rng.standard_normal(shape)
    return X * scale


class LayerUnit(PropertyChecks):
    """Builds the jobs and expected values of one layer unit from its spec, then its checks."""

    def __init__(self, unit: str, rng, ref, spec: course.LayerSpec):
        self.unit, self.rng, self.ref, self.spec = unit, rng, ref, spec
        self.jobs: list[Job] = []
        self.expected: dict = {}
        self.params = [p.name for p in spec.params]
        self.bound = spec.bound

    # ---- inputs and reference values

    def make_inputs(self, case: course.Case, dtype=np.float64, kinks=False):
        """X, parameters and D for ``case``; parameter and output shapes are the reference's."""
        X = draw(self.rng, case.values or self.spec.values, case.input,
                 self.spec.scale * case.scale)
        if kinks and self.spec.kink is not None and X.size >= KINKS.size:
            where = self.rng.choice(X.size, KINKS.size, replace=False)
            X.flat[where] = self.spec.kink + KINKS
        layer = self.reference_layer(case.args, {})
        params = {a: self.rng.standard_normal(getattr(layer, a).tensor.shape)
                  for a in self.params}
        # the output's shape from one sample (in evaluation mode, where one sample is fine)
        probe = self.reference_layer(case.args, params, "eval").forward(X[:1])[0]
        out_shape = (len(X),) + np.shape(probe)[1:]
        D = self.rng.standard_normal(out_shape)
        cast = lambda a: np.asarray(a, dtype=dtype)  # noqa: E731
        return cast(X), {k: cast(v) for k, v in params.items()}, cast(D), list(case.args)

    def reference_layer(self, args, params, mode=None, state=None):
        layer = getattr(self.ref, self.unit)(*args)
        for attr, value in params.items():
            getattr(layer, attr).tensor = value.copy()
            getattr(layer, attr).gradient = np.zeros_like(value)
        for attr, value in (state or {}).items():
            setattr(layer, attr, value.copy())
        if mode == "eval":
            layer.eval()
        return layer

    def spec_of(self, args, params, steps, **extra):
        spec = {"cls": self.unit, "args": args, "params": {a: a for a in params}, "steps": steps}
        spec.update(extra)
        return spec

    def add_pass(self, job_id, case, dtype=np.float64, budget=1.0, save_inputs=True):
        X, params, D, args = self.make_inputs(case, dtype, kinks=dtype == np.float64)
        kwargs = dict(self.spec.float32_kwargs) if dtype == np.float32 else {}
        self.jobs.append(Job(f"{self.unit}/{job_id}", protocol.LAYER, self.spec_of(
            args, params, [[protocol.FORWARD, "X"], [protocol.BACKWARD, 0, "D"]], kwargs=kwargs,
            save_inputs=save_inputs), {"X": X, "D": D, **params}, budget))
        layer = self.reference_layer(args, {k: v.astype(np.float64) for k, v in params.items()})
        Y, backward = layer.forward(X.astype(np.float64))
        dX = backward(D.astype(np.float64))
        self.expected[job_id] = {"X": X, "D": D, "params": params, "Y": Y, "dX": dX,
                                 "grads": {a: getattr(layer, a).gradient for a in params},
                                 "shape": case.input, "args": args}
        kink = self.spec.kink
        if kink is not None and np.any(X == kink):
            # the other one-sided derivative at the kink: the reference just right of it
            _, right = self.reference_layer(args, {}).forward(
                np.where(X == kink, np.nextafter(kink, np.inf), X).astype(np.float64))
            self.expected[job_id]["dX_right"] = right(D.astype(np.float64))

    def add_fd(self):
        """Finite differences from ordinary jobs: one forward/backward job per moved
        element of X or of a parameter, plus one at the point itself, shuffled, each
        built exactly like the unit's other jobs, so the code under test cannot tell
        them from any other check."""
        X, params, D, args = self.make_inputs(self.spec.fd)
        self.jobs.append(Job(f"{self.unit}/fd_analytic", protocol.LAYER, self.spec_of(
            args, params, [[protocol.FORWARD, "X"], [protocol.BACKWARD, 0, "D"]]), {"X": X, "D": D, **params}))
        points = [("base", 0, 0)] + [(target, i, sign)
                                     for target, base in {"X": X, **params}.items()
                                     for i in range(base.size) for sign in (+1, -1)]
        for k in self.rng.permutation(len(points)):
            target, i, sign = points[k]
            moved = {"X": X.copy(), **{a: v.copy() for a, v in params.items()}}
            if target != "base":
                moved[target].flat[i] += sign * FD_STEP
            self.jobs.append(Job(f"{self.unit}/fd/{target}/{i}/{sign}", protocol.LAYER, self.spec_of(
                args, params, [[protocol.FORWARD, "X"], [protocol.BACKWARD, 0, "D"]]), {"D": D, **moved}))
        layer = self.reference_layer(args, params)
        reference_error = fd_error_of(layer, X, params, D)
        Y, _ = self.reference_layer(args, params).forward(X)
        self.expected["fd"] = {"X": X, "params": params, "D": D, "Y": Y,
                               "reference_error": reference_error}

    def state_values(self):
        """The state an evaluation-mode layer is given (e.g. running statistics)."""
        features = self.reference_layer(self.spec.eval.args, {})
        return {attr: draw(self.rng, values, np.shape(getattr(features, attr)))
                for attr, values in self.spec.state.items()}

    def add_eval(self):
        """Evaluation mode from a given state: forward and every gradient."""
        X, params, D, args = self.make_inputs(self.spec.eval)
        state = self.state_values()
        self.jobs.append(Job(f"{self.unit}/eval", protocol.LAYER, self.spec_of(
            args, params, [[protocol.FORWARD, "X"], [protocol.BACKWARD, 0, "D"]], mode="eval",
            state={a: "S_" + a for a in state}, state_out=list(state)),
            {"X": X, "D": D, **params, **{"S_" + a: v for a, v in state.items()}}))
        layer = self.reference_layer(args, params, "eval", state)
        Y, backward = layer.forward(X)
        self.expected["eval"] = {"X": X, "Y": Y, "dX": backward(D), "state": state,
                                 "grads": {a: getattr(layer, a).gradient for a in params}}

    def add_running(self):
        """The state after several training batches."""
        case = self.spec.running
        batches = [self.make_inputs(case)[0] for _ in range(self.spec.batches)]
        names = [f"X{k}" for k in range(len(batches))]
        self.jobs.append(Job(f"{self.unit}/running", protocol.LAYER, self.spec_of(
            list(case.args), {}, [[protocol.FORWARD, name] for name in names],
            state_out=list(self.spec.state)), dict(zip(names, batches, strict=False))))
        layer = self.reference_layer(case.args, {})
        for X in batches:
            layer.forward(X)
        self.expected["running"] = {"shape": case.input, "state": {
            a: np.array(getattr(layer, a), dtype=np.float64) for a in self.spec.state}}

    def add_causal(self):
        """The same layer on X and on X with its positions from T // 2 on redrawn, and the
        first closure given a D that is zero from T // 2 on."""
        X, params, D, args = self.make_inputs(self.spec.causal)
        t = X.shape[1] // 2
        later = X.copy()
        later[:, t:] = draw(self.rng, "normal", later[:, t:].shape, 10.0)
        D[:, t:] = 0
        steps = [[protocol.FORWARD, "X"], [protocol.FORWARD, "Xlater"], [protocol.BACKWARD, 0, "D"]]
        self.jobs.append(Job(f"{self.unit}/causal", protocol.LAYER, self.spec_of(args, params, steps),
                             {"X": X, "Xlater": later, "D": D, **params}))
        self.expected["causal"] = {"t": t, "shape": X.shape}

    def build(self):
        passes = self.spec.passes
        for k, case in enumerate(passes):
            self.add_pass(f"pass{k}", case)
        if self.spec.stability is not None:
            self.add_pass("large_logits", self.spec.stability)
        self.add_accumulation()
        self.add_closures()
        self.add_fd()
        self.add_pass("float32", passes[1], dtype=np.float32)
        self.add_pass("big", self.spec.large, budget=1.0, save_inputs=False)
        if self.spec.state:
            self.add_eval()
            self.add_running()
        if self.spec.causal is not None:
            self.add_causal()
        return self.jobs, self.checks()

    # ---- checks

    def passes(self):
        return [k for k in self.expected if k.startswith("pass")]

    def result(self, results, job_id):
        return need(results, f"{self.unit}/{job_id}")

    def backprop_only(self, result, where):
        if result.info.get("error"):
            raise Fail(raised(result.info["error"]))
        calls = result.info.get(protocol.FORWARD_CALLS, [])
        if not isinstance(calls, list) or not all(isinstance(c, int) for c in calls):
            raise Fail("the grader could not tell how backward computed its result")
        if result.info.get(protocol.COUNTER_INTACT) is False:
            raise Fail(f"{where}: backward detached or replaced the grader's call counter. "
                       "Gradients must come from the chain rule.")
        if result.info.get(protocol.THREADS_IN_BACKWARD):
            raise Fail(f"{where}: backward started threads. Gradients must come from the "
                       "chain rule, computed in the call itself.")
        if any(c > MAX_FORWARD_CALLS for c in calls):
            raise Fail(f"{where}: backward called forward {max(calls)} times. Gradients must "
                       "come from the chain rule, not from re-running forward (finite "
                       "differences earn no backward points).")

    def cost_gate(self, results):
        """NotJudged unless backward is backpropagation by its cost: it finished on the
        large layer and no backward re-ran forward.  Every backward point stands on it."""
        big = results.get(f"{self.unit}/big")
        shape = scope(self.expected["big"]["shape"])
        if big is not None and big.status not in (JobStatus.OK, JobStatus.ERROR):
            raise NotJudged(f"'{TITLES['backprop']}' fails first (on input {shape}: "
                            f"{big.message or big.status})")
        for job_id, result in results.items():
            if job_id.startswith(self.unit + "/") and result.status == JobStatus.OK:
                calls = result.info.get(protocol.FORWARD_CALLS, [])
                if isinstance(calls, list) and any(isinstance(c, int) and c > MAX_FORWARD_CALLS
                                                   for c in calls):
                    raise NotJudged(f"'{TITLES['backprop']}' fails first (backward called "
                                    f"forward {max(calls)} times)")

    def large_layer_gate(self, results, verdict: str) -> str:
        """``verdict`` (a check's own values passed) unless the large layer's gradients
        are wrong: then NotJudged, for every backward check.  Judged after the check's
        own values, so an honest bug is diagnosed where it shows on the small cases; a
        backward right only where the layer is small is not backpropagation."""
        e = self.expected["big"]
        try:
            self.large_layer_values(need(results, f"{self.unit}/big"), e)
        except Fail as failure:
            wrong = self.first_wrong(results)
            if wrong:  # an honest bug, already wrong where the layer is small: name it
                raise NotJudged(f"'{wrong}' fails first") from None
            raise NotJudged(f"'{TITLES['backprop']}' fails first (on a large input "
                            f"{scope(e['shape'])}: {str(failure).splitlines()[0]})") from None
        return verdict

    def first_wrong(self, results) -> str | None:
        """The title of the first value check (forward, dX, each parameter gradient, in the
        checks' order) whose small cases are wrong, judged on the values alone (no gate);
        None when they are all right.  A backward that raised is wrong in the gradient
        its exception names (``crash``), else in dX, which it never returned."""
        crash = self.crash(results)
        if crash is not None:
            return self.param_title(crash[0]) if crash[0] else TITLES["input"]
        order = [(TITLES["forward"], Y0, "Y")] + [(TITLES["input"], DX0, "dX")] + [
            (self.param_title(p.name), protocol.GRADIENT.format(p.name), p.name)
            for p in self.spec.params]
        for title, name, quantity in order:
            for job_id in self.passes():
                e = self.expected[job_id]
                r = results.get(f"{self.unit}/{job_id}")
                if r is None or r.status != JobStatus.OK or name not in r.arrays:
                    return title
                got = np.asarray(r.arrays[name], dtype=np.float64)
                expected = (self.expected_dX(e, got) if quantity == "dX" else
                            e["grads"][quantity] if quantity in e["grads"] else e["Y"])
                try:
                    compare(got, expected, title, MATCH if quantity == "Y" else self.bound)
                except Fail:
                    return title
        return None

    def param_title(self, name: str) -> str:
        return next(f"{p.title} matches the reference" for p in self.spec.params
                    if p.name == name)

    def crash(self, results):
        """(parameter or None, job id, error) for the first small case whose backward
        raised, the parameter when the exception shows an in-place update of an array of
        that parameter's shape and of no other array's (numpy's broadcasting errors name
        the array updated), e.g. a bias gradient (outputs,) given D (N, outputs)."""
        for job_id in self.passes():
            r = results.get(f"{self.unit}/{job_id}")
            error = r.info.get("error") if r is not None and r.status == JobStatus.OK else None
            if not error:
                continue
            e = self.expected[job_id]
            target = updated_shape(str(error))
            others = {np.shape(e["X"]), np.shape(e["Y"])}
            owners = [a for a, v in e["params"].items() if np.shape(v) == target]
            return (owners[0] if len(owners) == 1 and target not in others else None,
                    job_id, str(error))
        return None

    def crash_verdict(self, results, param: str | None) -> None:
        """When a small case's backward raised: Fail in the check of the quantity the
        exception names (or in dX's when it names none), NotJudged in the others."""
        crash = self.crash(results)
        if crash is None:
            return
        owner, job_id, error = crash
        if owner != param:
            raise NotJudged(f"'{self.param_title(owner) if owner else TITLES['input']}' "
                            "fails first (backward raised)")
        what = next(p.what for p in self.spec.params if p.name == owner) if owner else "dX"
        shapes = broadcast_shapes(error)
        doing = (f" adding an array of shape {shapes[1]} into it, of shape {shapes[0]}"
                 if owner and shapes else "")
        raise Fail(f"{what} for input {scope(self.expected[job_id]['X'].shape)}: "
                   f"{raised(error, doing)}")

    def expected_dX(self, e, got):
        """The reference's dX; at inputs exactly at the kink, either one-sided value."""
        if "dX_right" not in e or got.shape != e["dX"].shape:
            return e["dX"]
        at_kink = e["X"] == 0
        right_closer = np.abs(got - e["dX_right"]) < np.abs(got - e["dX"])
        return np.where(at_kink & right_closer, e["dX_right"], e["dX"])

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
        for attr, value in e["grads"].items():
            worst.compare(array(r, protocol.GRADIENT.format(attr), f"{attr}.gradient"), value, f"{attr}.gradient",
                          where)
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
        shapes = {"X": e["X"].shape, **{a: v.shape for a, v in e["params"].items()}}
        numeric = fd_from_outputs(
            lambda target, i, sign: array(self.result(results, f"fd/{target}/{i}/{sign}"),
                                          Y0, "forward output at a perturbed point"),
            e["D"], shapes, here)
        given = {"X": array(analytic, DX0, "backward's return value")}
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

    def check_backprop(self, results):
        e = self.expected["big"]
        big = results.get(f"{self.unit}/big")
        if big is None or big.status not in (JobStatus.OK, JobStatus.ERROR):
            self.result(results, "big")  # a time-out fails here, with the hint
        for job_id, result in results.items():  # (an exception is judged below, unhinted)
            if job_id.startswith(self.unit + "/") and result.status == JobStatus.OK \
                    and protocol.FORWARD_CALLS in result.info \
                    and not result.info.get("error"):
                self.backprop_only(result, job_id.split("/")[1])
        try:  # finished without re-running forward: what fails now is not its cost
            return self.large_layer_values(self.result(results, "big"), e)
        except Fail as failure:
            wrong = self.first_wrong(results)
            if wrong:  # wrong values (or an exception) where the layer is small: the
                # value checks say so; that is no sign of finite differences
                raise NotJudged(f"'{wrong}' fails first") from None
            raise Fail(str(failure), hint=False) from None

    def large_layer_values(self, r, e):
        if r.info.get("error"):
            raise Fail(raised(r.info["error"]))
        worst = Worst(self.bound)
        got = array(r, DX0, "backward's return value (dX)")
        worst.compare(got, self.expected_dX(e, got), "dX (the input gradient)",
                      f"a large input {scope(e['shape'])}")
        for attr, value in e["grads"].items():
            worst.compare(array(r, protocol.GRADIENT.format(attr), f"{attr}.gradient"), value, f"{attr}.gradient",
                          f"a large input {scope(e['shape'])}")
        return f"no forward calls inside backward; {worst.verdict()}"

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

    def checks(self) -> list[Check]:
        u, spec = self.unit, self.spec
        grads = ("input",) + tuple(self.params)
        out = [Check(u, TITLES["forward"], self.check_forward, "forward", 2),
               Check(u, TITLES["input"], self.check_input_gradient, "input", 2)]
        for param in spec.params:
            out.append(Check(u, f"{param.title} matches the reference",
                             lambda r, param=param: self.check_param_gradient(r, param),
                             param.name, param.weight))
        out += [Check(u, "gradients match finite differences of your own forward", self.check_fd,
                      "fd", 2, needs=grads),
                Check(u, ("gradients accumulate over two backward calls, each closure using "
                          "its own forward's values") if self.params else
                      "each backward closure uses the values of its own forward call",
                      self.check_accumulate, "accumulate", 2 if self.params else 1, needs=grads),
                Check(u, TITLES["closures"], self.check_closures, "closures", 1,
                      needs=("forward",) + grads),
                Check(u, "inputs and parameters are not modified", self.check_not_mutated,
                      "mutation", 1, needs=("forward",) + grads),
                Check(u, "float32 in, float32 out", self.check_float32, "float32", 1,
                      needs=("forward",) + grads),
                Check(u, TITLES["backprop"], self.check_backprop, "backprop", 1)]
        if spec.stability is not None:
            out.append(Check(u, spec.stability_title, self.check_large, "stability", 1,
                             needs=("forward",)))
        if spec.causal is not None:
            out.append(Check(u, "no position sees a later one (forward and backward)",
                             self.check_causal, "causal", 2, needs=("forward",)))
        if spec.state:
            out += [Check(u, f"evaluation mode uses the given {' and '.join(spec.state)}, "
                          "forward and backward", self.check_eval, "eval", 2),
                    Check(u, f"{' and '.join(spec.state)} after several training batches",
                          self.check_running, "running", 1),
                    Check(u, f"evaluation mode leaves {' and '.join(spec.state)} as given",
                          self.check_eval_state, "state", 1, needs=("eval",))]
        return out


TITLES = {"forward": "forward matches the reference (batch of 1, odd sizes)",
          "input": "input gradient matches the reference",
          "backprop": "backward uses the chain rule, not repeated forward calls",
          "closures": "two forward calls of different sizes, then both backwards: each closure "
                      "keeps its own call's values"}


# numpy's words for an in-place update whose right side does not fit the array updated:
# "non-broadcastable output operand with shape (4,) doesn't match the broadcast shape
# (2,4)", and "operands could not be broadcast together with shapes (3,4) (4,3) (3,4)".
OUTPUT_OPERAND = re.compile(r"non-broadcastable output operand with shape \(([\d, ]*)\) "
                            r"doesn't match the broadcast shape \(([\d, ]*)\)")
IN_PLACE = re.compile(r"could not be broadcast together with (?:remapped )?shapes "
                      r"\(([\d, ]*)\) \(([\d, ]*)\) \(([\d, ]*)\)")


def shape_of(text: str) -> tuple:
    return tuple(int(n) for n in text.replace(" ", "").split(",") if n)


def broadcast_shapes(error: str):
    """(the shape of the array updated in place, the shape of what was added into it)
    from numpy's broadcasting error, or None when the error is not one of those."""
    found = OUTPUT_OPERAND.search(error)
    if found:
        return shape_of(found[1]), shape_of(found[2])
    found = IN_PLACE.search(error)
    if found and found[1] == found[3]:
        return shape_of(found[1]), shape_of(found[2])
    return None


def updated_shape(error: str):
    shapes = broadcast_shapes(error)
    return shapes[0] if shapes else None


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


def fd_error_of(layer, X, params, D) -> float:
    """The reference's own error against central differences at the same point."""
    def loss():
        return float(np.sum(layer.forward(X)[0] * D))

    _, backward = layer.forward(X)
    analytic = {"X": backward(D)}
    analytic.update({a: getattr(layer, a).gradient.copy() for a in params})
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


def unit_builder(unit: course.Unit, table: course.Course):
    """The builder of a layer unit, driven by its spec in course.toml."""
    def build(rng, ref):
        return LayerUnit(unit.name, rng, ref, unit.spec).build()
    return build
