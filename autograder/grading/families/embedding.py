"""Checks for Embedding: a layer whose input is integer ids, not numbers.

The generic layer checks (layers.py) with three changes: the input is drawn as ids in
[0, num_embeddings) with repeats in every case (an id used twice must receive both
gradients); backward must return None (ids have no gradient), so there is no input
gradient to compare or to difference (the generic checks compare a dX only where the
reference returns one); and finite differences move the weights only (``differenced``).
"""
from __future__ import annotations

import numpy as np

from ... import course
from ...course.specs.layer import LayerSpec
from ..checks import FLOAT32, Check, Fail, Worst, array, require_float32, scope
from .layers import DX0, TITLES, Y0, LayerUnit
from ...sandbox.child import protocol
from ...sandbox import Job

KIND = "layer"
UNITS = ("Embedding",)
SPEC = LayerSpec
OPERATION = protocol.LAYER


class EmbeddingUnit(LayerUnit):
    """args of every case: num_embeddings, dim; the input shape is the ids' (N, T)."""

    def make_inputs(self, case: course.Case, dtype=np.float64, kinks=False):
        count, dim = case.args[:2]
        ids = self.rng.integers(0, count, size=case.input)
        ids.flat[-1] = ids.flat[0]  # a repeated id in every case, even the smallest
        params = {"weights": self.rng.standard_normal((count, dim)).astype(dtype)}
        D = self.rng.standard_normal(tuple(case.input) + (dim,)).astype(dtype)
        return ids.astype(np.int64), params, D, list(case.args)

    def add_pass(self, job_id, case, dtype=np.float64, budget=1.0, save_inputs=True):
        ids, params, D, args = self.make_inputs(case, dtype)
        kwargs = dict(self.spec.float32_kwargs) if dtype == np.float32 else {}
        self.jobs.append(Job(f"{self.unit}/{job_id}", protocol.LAYER, self.spec_of(
            args, params, [[protocol.FORWARD, "X"], [protocol.BACKWARD, 0, "D"]], kwargs=kwargs,
            save_inputs=save_inputs), {"X": ids, "D": D, **params}, budget))
        layer = self.reference_layer(args, {k: v.astype(np.float64) for k, v in params.items()})
        Y, backward = layer.forward(ids)
        backward(D.astype(np.float64))
        self.expected[job_id] = {"X": ids, "D": D, "params": params, "Y": Y,
                                 "grads": {"weights": layer.weights.gradient},
                                 "shape": case.input, "args": args}

    def differenced(self, X, params) -> dict:
        """Finite differences move the weights only: ids have no gradient."""
        return dict(params)

    def check_returns_none(self, results):
        for job_id in self.passes():
            r = self.result(results, job_id)
            if r.info.get("error"):
                raise Fail(f"your code raised {r.info['error']}")
            if DX0 in r.arrays:
                raise Fail(f"backward returned an array of shape {r.arrays[DX0].shape} for ids "
                           f"{scope(self.expected[job_id]['shape'])}: ids have no gradient, "
                           "backward returns None")
        return "backward returns None"

    def check_float32(self, results):
        e = self.expected["float32"]
        r = self.result(results, "float32")
        require_float32(r, {Y0: "forward output Y",
                            protocol.GRADIENT.format("weights"): "weights.gradient"}, "weights")
        worst = Worst(FLOAT32)
        worst.compare(array(r, Y0, "output"), e["Y"], "float32 forward output Y",
                      f"ids {scope(e['X'].shape)}")
        worst.compare(array(r, protocol.GRADIENT.format("weights"), "gradient"),
                      e["grads"]["weights"], "float32 weights gradient",
                      f"ids {scope(e['X'].shape)}")
        return worst.verdict()

    def large_layer_values(self, r, e):
        if r.info.get("error"):
            raise Fail(f"your code raised {r.info['error']}")
        worst = Worst(self.bound)
        worst.compare(array(r, protocol.GRADIENT.format("weights"), "weights.gradient"),
                      e["grads"]["weights"], "weights.gradient", f"large ids {scope(e['shape'])}")
        return f"no forward calls inside backward; {worst.verdict()}"

    def checks(self) -> list[Check]:
        u = self.unit
        return [Check(u, "forward gathers the rows of the ids (batch of 1, repeated ids)",
                      self.check_forward, "forward", 2),
                Check(u, "weight gradient matches the reference (repeated ids add up)",
                      lambda r: self.check_param_gradient(r, self.spec.params[0]), "weights", 3),
                Check(u, "backward returns None (ids have no gradient)", self.check_returns_none,
                      "returns_none", 1),
                Check(u, "the weight gradient matches finite differences of your own forward",
                      self.check_fd, "fd", 1, needs=("weights",)),
                Check(u, "gradients accumulate over two backward calls, each closure using its "
                      "own forward's ids", self.check_accumulate, "accumulate", 1,
                      needs=("weights",)),
                Check(u, TITLES["closures"], self.check_closures, "closures", 1,
                      needs=("forward", "weights", "accumulate")),
                Check(u, "ids, upstream gradients and weights are not modified",
                      self.check_not_mutated, "mutation", 1, needs=("forward", "weights")),
                Check(u, "float32 weights give float32 outputs and gradients", self.check_float32,
                      "float32", 1, needs=("forward", "weights")),
                Check(u, TITLES["backprop"], self.check_backprop, "backprop", 1)]


def unit_builder(unit: course.Unit, table: course.Course):
    """Embedding's builder, driven by its spec in course.toml."""
    return lambda rng, ref: EmbeddingUnit(unit.name, rng, ref, unit.spec).build()
