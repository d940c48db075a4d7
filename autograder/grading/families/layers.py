"""Checks for every layer of the course (Dropout, which is random, has its own family).

A layer is driven by its spec in course.toml ([kind_spec.layer], [units.<name>.spec]):
its input shapes and constructor arguments, parameter names, value ranges, kinks, the
large case and the finite-difference case; no layer is named here.  Every layer is
checked on several shapes (a batch of 1, odd sizes): forward against the
reference, the input gradient and each parameter gradient against the reference and
against central differences of the student's own forward, accumulation and
closure state over two calls, unchanged inputs and state, float32 in -> float32 out, and that
backward is backpropagation: it calls forward at most once, and finishes quickly on a
layer too large for finite differences.

The checks live by what they judge: layer_values.py (forward and every gradient against
the reference and against central differences, evaluation mode, running statistics,
large inputs, causality), layer_gates.py (backward must be backpropagation: the cost and
large-layer gates every backward point stands on, and where a failure shows first),
layer_properties.py (accumulation, each closure keeping its own call's values, no
mutation, float32, state unchanged in evaluation mode). This module builds the jobs and
expected values from the spec, and lists the checks with their weights.

A layer with a kink (ReLU, LeakyReLU) also gets inputs at and within 1e-7 of it, where no
difference step gives the derivative (at the kink itself either one-sided derivative is
accepted).  A layer with state (BatchNorm) is also checked in evaluation mode from a
given state, and on its state after several training batches.  A sequence layer
(attention) is also checked for causality: changing the later positions of a sequence
moves no earlier output, and a gradient given to the earlier outputs only reaches no
later input.
"""
from __future__ import annotations

import numpy as np

from ..checks import FD_STEP, Check
from ... import course
from ...sandbox.child import protocol
from ...course.specs.layer import LayerSpec
from ...sandbox import Job
# The checks, by what they judge; the names families built on LayerUnit import from here.
from .layer_gates import TITLES, GateChecks
from .layer_properties import DX0, Y0, PropertyChecks
from .layer_values import ValueChecks, fd_error_of

__all__ = ["DX0", "TITLES", "Y0", "LayerUnit", "unit_builder"]

KIND = "layer"          # the family of every layer unit without a family of its own
SPEC = LayerSpec
OPERATION = protocol.LAYER

# Every layer's shapes, constructor arguments, parameters, value ranges, kinks and bounds
# are its spec in course.toml ([kind_spec.layer], [units.<name>.spec]; course.LayerSpec).

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


class LayerUnit(ValueChecks, GateChecks, PropertyChecks):
    """Builds the jobs and expected values of one layer unit from its spec, then its checks
    (judged by the methods of its three bases: values, gates and properties)."""

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
            args, params, [[protocol.FORWARD, "X"], [protocol.BACKWARD, 0, "D"]]),
            {"X": X, "D": D, **params}))
        targets = self.differenced(X, params)
        points = [("base", 0, 0)] + [(target, i, sign) for target, base in targets.items()
                                     for i in range(base.size) for sign in (+1, -1)]
        for k in self.rng.permutation(len(points)):
            target, i, sign = points[k]
            moved = {"X": X.copy(), **{a: v.copy() for a, v in params.items()}}
            if target != "base":
                moved[target].flat[i] += sign * FD_STEP
            self.jobs.append(Job(f"{self.unit}/fd/{target}/{i}/{sign}", protocol.LAYER,
                                 self.spec_of(args, params, [[protocol.FORWARD, "X"],
                                                             [protocol.BACKWARD, 0, "D"]]),
                                 {"D": D, **moved}))
        layer = self.reference_layer(args, params)
        reference_error = fd_error_of(layer, X, params, D, list(targets))
        Y, _ = self.reference_layer(args, params).forward(X)
        self.expected["fd"] = {"X": X, "params": params, "D": D, "Y": Y,
                               "targets": list(targets), "reference_error": reference_error}

    def differenced(self, X, params) -> dict:
        """The arrays finite differences move, one element at a time: X and every
        parameter (a layer whose input has no gradient moves its parameters only)."""
        return {"X": X, **params}

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
        self.jobs.append(Job(f"{self.unit}/causal", protocol.LAYER,
                             self.spec_of(args, params, steps),
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
                      needs=("forward",) + grads + ("accumulate",)),
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




def unit_builder(unit: course.Unit, table: course.Course):
    """The builder of a layer unit, driven by its spec in course.toml."""
    def build(rng, ref):
        return LayerUnit(unit.name, rng, ref, unit.spec).build()
    return build
