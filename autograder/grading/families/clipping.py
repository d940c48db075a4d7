"""Checks for clip_grad_norm: given parameters and their gradients, one call must return
the global norm before clipping and leave every gradient as the reference does (scaled by
one common factor when the norm exceeds max_norm, untouched otherwise)."""
from __future__ import annotations

import numpy as np

from ..checks import FLOAT32, Check, Fail, Worst, array, dtype_of, need
from ...sandbox.child import protocol
from ...sandbox import Job

KIND = "learner"
UNITS = ("clip_grad_norm",)
SPEC = None
OPERATION = protocol.CLIP

UNIT = "clip_grad_norm"
BOUND = 1e-12  # a norm and a scaling: honest forms agree to a few units in the last place
# case -> (gradient shapes, max_norm, dtype)
CASES = {
    "clipped": ([(3, 4), (5,), (2, 2, 2)], 1.0, np.float64),
    "one_param": ([(6,)], 0.5, np.float64),
    "many": ([(4, 3), (3,), (3, 3), (3,), (1,)], 2.0, np.float64),
    "unclipped": ([(3, 4), (5,)], 100.0, np.float64),
    "float32": ([(3, 4), (4,)], 1.0, np.float32),
}


def build(rng, ref):
    jobs, expected = [], {}
    for case, (shapes, max_norm, dtype) in CASES.items():
        tensors = [rng.standard_normal(s).astype(dtype) for s in shapes]
        grads = [rng.standard_normal(s).astype(dtype) for s in shapes]
        if case == "many":  # one parameter's gradient much larger than the others'
            grads[0] *= 20
        arrays = {protocol.START_TENSOR.format(i): t for i, t in enumerate(tensors)}
        arrays.update({protocol.GIVEN_GRADIENT.format(i): g for i, g in enumerate(grads)})
        jobs.append(Job(f"{UNIT}/{case}", protocol.CLIP, {
            "params": [protocol.START_TENSOR.format(i) for i in range(len(shapes))],
            "grads": [protocol.GIVEN_GRADIENT.format(i) for i in range(len(shapes))],
            "max_norm": max_norm}, arrays))
        params = [ref.Parameter(t.astype(np.float64)) for t in tensors]
        for p, g in zip(params, grads, strict=True):
            p.gradient = g.astype(np.float64)
        norm = ref.clip_grad_norm(params, max_norm)
        expected[case] = {"norm": norm, "grads": [p.gradient for p in params],
                          "given": grads, "max_norm": max_norm}

    def returned_norm(results):
        worst = Worst(BOUND)
        for case in CASES:
            r, e = need(results, f"{UNIT}/{case}"), expected[case]
            got = array(r, protocol.CLIP_NORM, "the returned norm")
            if got.size != 1:
                raise Fail(f"clip_grad_norm returned {got.size} values, expected one number "
                           "(the global norm)")
            worst.compare(got.reshape(()), e["norm"], "the returned norm",
                          f"{len(e['grads'])} parameters, max_norm {e['max_norm']:g}",
                          FLOAT32 if case == "float32" else BOUND)
        return worst.verdict()

    def gradients(results, cases):
        worst = Worst(BOUND)
        for case in cases:
            r, e = need(results, f"{UNIT}/{case}"), expected[case]
            for i, want in enumerate(e["grads"]):
                worst.compare(array(r, protocol.CLIPPED.format(i), "a gradient after the call"),
                              want, f"parameter {i}'s gradient",
                              f"{len(e['grads'])} parameters, norm {e['norm']:.3g}, "
                              f"max_norm {e['max_norm']:g}")
        return worst.verdict()

    def float32(results):
        r = need(results, f"{UNIT}/float32")
        for i in range(len(expected["float32"]["grads"])):
            found = dtype_of(r, protocol.CLIPPED.format(i), "a gradient after the call")
            if found != "float32":
                raise Fail(f"parameter {i}'s gradient has dtype {found} after clipping, "
                           "expected float32")
        worst = Worst(FLOAT32)
        for i, want in enumerate(expected["float32"]["grads"]):
            worst.compare(array(r, protocol.CLIPPED.format(i), "gradient"), want,
                          f"parameter {i}'s float32 gradient", "max_norm 1")
        return worst.verdict()

    checks = [Check(UNIT, "returns the global norm before clipping", returned_norm, "norm", 2),
              Check(UNIT, "gradients above max_norm are scaled by one common factor",
                    lambda r: gradients(r, ("clipped", "one_param", "many")), "clipped", 3),
              Check(UNIT, "gradients within max_norm are left as they were",
                    lambda r: gradients(r, ("unclipped",)), "unclipped", 1),
              Check(UNIT, "float32 gradients stay float32", float32, "float32", 1,
                    needs=("clipped",))]
    return jobs, checks


def unit_builder(unit, table):
    """The unit's builder (it needs nothing from the course but its name)."""
    return build
