"""Checks for the optimizers: given parameters and gradients, every step is compared with
the reference's step (computed here), with state per parameter and the gradient zeroed."""
from __future__ import annotations

import numpy as np

from ... import course
from ...course.specs.optimizer import OptimizerSpec
from ..checks import FLOAT32, Check, Fail, array, dtype_of, need, passed
from ...sandbox.child import protocol
from ...sandbox import Job

KIND = "optimizer"
SPEC = OptimizerSpec
OPERATION = protocol.OPTIMIZER

STEP_BOUND = 1e-9  # relative to how far the reference moved the tensor so far

# case -> (parameter shapes, which parameter each step updates); the constructor arguments
# of each case are the optimizer's, from its spec in course.toml
CASES = {
    "one_step": ([(3, 4)], [0]),
    "steps": ([(5,)], [0] * 5),
    "two_params": ([(3, 4), (5,)], [0, 1, 1, 0, 1, 0]),
    "hyper": ([(2, 3)], [0] * 4),
    "weight_decay": ([(4, 3)], [0] * 3),
    "float32": ([(3, 4)], [0] * 2),
}
TITLES = {
    "one_step": "one step matches the reference",
    "steps": "several steps match the reference step by step",
    "two_params": "state is kept per parameter (two parameters, interleaved)",
    "float32": "float32 parameters stay float32",
}


def unit_builder(unit: course.Unit, table: course.Course):
    cls, spec = unit.name, unit.spec

    def build(rng, ref):
        jobs, expected = [], {}
        for case, (shapes, order) in CASES.items():
            kwargs = spec.kwargs[case]
            dtype = np.float32 if case == "float32" else np.float64
            tensors = [rng.standard_normal(s).astype(dtype) for s in shapes]
            grads = [rng.standard_normal(shapes[i]).astype(dtype) for i in order]
            arrays = {protocol.START_TENSOR.format(i): t for i, t in enumerate(tensors)}
            arrays.update({protocol.GIVEN_GRADIENT.format(k): g for k, g in enumerate(grads)})
            jobs.append(Job(f"{cls}/{case}", protocol.OPTIMIZER, {
                "cls": cls, "kwargs": kwargs,
                "params": [protocol.START_TENSOR.format(i) for i in range(len(shapes))],
                "steps": [[i, protocol.GIVEN_GRADIENT.format(k)] for k, i in enumerate(order)]},
                arrays))
            optimizer = getattr(ref, cls)(**kwargs)
            params = [ref.Parameter(t.astype(np.float64)) for t in tensors]
            after = []
            for i, g in zip(order, grads, strict=True):
                params[i].gradient[...] = g
                optimizer.update(params[i])
                after.append((i, params[i].tensor.copy()))
            expected[case] = {"start": [t.astype(np.float64) for t in tensors], "after": after}

        def trajectory(results, case, bound=STEP_BOUND):
            """Every step against the reference's; the worst step is reported."""
            r, e = need(results, f"{cls}/{case}"), expected[case]
            errors, worst = [], None
            for k, (i, want) in enumerate(e["after"]):
                got = array(r, protocol.STEP_TENSOR.format(k), "the parameter's tensor")
                moved = want - e["start"][i]
                scale = max(float(np.max(np.abs(moved))), 1e-12)
                if got.shape != want.shape:
                    raise Fail(f"after step {k + 1}: tensor shape {got.shape}, "
                               f"expected {want.shape}")
                if not np.all(np.isfinite(got)):
                    raise Fail(f"after step {k + 1}: the tensor contains NaN or inf")
                gap = float(np.max(np.abs(got - want)))
                error = gap / scale
                errors.append(error)
                if not error <= bound and (worst is None or error > worst[0]):
                    worst = (error, k, i, gap, scale)
            if worst is not None:
                error, k, i, gap, scale = worst
                wrong = sum(1 for x in errors if not x <= bound)
                raise Fail(f"{cls} step {k + 1} of {len(errors)} (parameter {i}) is the worst: "
                           f"the tensor is {gap:.2e} away from the reference's, "
                           f"{error:.1%} of the {scale:.2e} the reference moved it so far "
                           f"(bound {bound:.0e} of it); {wrong} of {len(errors)} steps are off")
            return passed(errors, bound)

        def zeroed(results):
            for case in CASES:
                try:
                    r = need(results, f"{cls}/{case}")
                except Fail as failure:  # the case's own check says why, with its hint;
                    # the zeroing was not seen, so its hint would name an unseen cause
                    raise Fail(f"case {case}: {failure}", hint=False) from None
                for k in range(len(expected[case]["after"])):
                    g = array(r, protocol.STEP_GRADIENT.format(k), "the gradient after update")
                    if g.size and not np.all(g == 0):
                        raise Fail(f"the gradient is not zero after update (case {case}, "
                                   f"step {k + 1})")
            return "gradient zeroed after every update"

        def float32(results):
            r = need(results, f"{cls}/float32")
            for k in range(len(expected["float32"]["after"])):
                found = dtype_of(r, protocol.STEP_TENSOR.format(k), "the tensor")
                if found != "float32":
                    raise Fail(f"the tensor has dtype {found} after step {k + 1}, expected float32")
            try:
                return trajectory(results, "float32", FLOAT32)
            except Fail as failure:  # the dtype is right: do not blame the dtype
                raise Fail(str(failure), hint=False) from None

        first = ("one_step",)
        checks = [Check(cls, TITLES["one_step"], lambda r: trajectory(r, "one_step"), "step", 2,
                        key="one_step"),
                  Check(cls, TITLES["steps"], lambda r: trajectory(r, "steps"), "step", 2,
                        key="steps", needs=first),
                  Check(cls, TITLES["two_params"], lambda r: trajectory(r, "two_params"),
                        "state", 1, needs=("one_step", "steps")),
                  Check(cls, spec.hyper_title, lambda r: trajectory(r, "hyper"), "hyper", 1,
                        needs=first),
                  Check(cls, spec.weight_decay_title, lambda r: trajectory(r, "weight_decay"),
                        "weight_decay", 1, needs=first),
                  Check(cls, "the gradient is zeroed after each update", zeroed, "zeroed", 1,
                        needs=first),
                  Check(cls, TITLES["float32"], float32, "float32", 1, needs=first)]
        return jobs, checks
    return build
