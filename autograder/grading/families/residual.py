"""Checks for Residual, driven around a recording layer built in the child.

The inner layer is the trusted side's (child/jobs.py Recorder): a fixed map
Y = X * scale + shift whose closure returns D * scale, adds sum(D) into each of its
parameters' gradients and logs which forward call it belongs to. Expected outputs,
gradients and the call log are worked out here from that map, so Residual is graded
without depending on the submission's own layers (as Sequential is).
"""
from __future__ import annotations

import numpy as np

from ..checks import MODES, Check, Fail, Worst, array, check_modes, need, same
from ...sandbox.child import protocol
from ...sandbox import Job

KIND = "container"
UNITS = ("Residual",)
SPEC = None
OPERATION = protocol.RESIDUAL

UNIT = "Residual"
INNER = (-1.5, 0.5, 2)      # the recording layer: scale, shift, number of parameters


def build(rng, ref):
    scale, shift, nparams = INNER
    X = [rng.standard_normal((3, 2, 4)), rng.standard_normal((3, 2, 4))]
    D = [rng.standard_normal((3, 2, 4)), rng.standard_normal((3, 2, 4))]
    arrays = {f"X{k}": X[k] for k in range(2)} | {f"D{k}": D[k] for k in range(2)}
    jobs = [Job(f"{UNIT}/paths", protocol.RESIDUAL, {"layer": list(INNER), "modes": list(MODES)},
                arrays)]
    expected = {"Y": [x + (x * scale + shift) for x in X], "dX": [d + d * scale for d in D],
                "grad": float(np.sum(D[0]) + np.sum(D[1]))}

    def run(results):
        return need(results, f"{UNIT}/paths")

    def forward(results):
        r = run(results)
        worst = Worst()
        for k in range(2):
            worst.compare(array(r, protocol.OUTPUT.format(k), "forward output"), expected["Y"][k],
                          "forward output Y", f"forward call {k + 1}")
        return worst.verdict()

    def backward(results):
        r = run(results)
        worst = Worst()
        for k in (1, 0):
            worst.compare(array(r, protocol.INPUT_GRADIENT.format(k),
                                "backward's return value (dX)"), expected["dX"][k],
                          "dX (the input gradient)", f"the closure of forward call {k + 1}")
        return worst.verdict()

    def parameters(results):
        r = run(results)
        if r.info.get(protocol.PARAMETERS) != list(range(nparams)):
            raise Fail(f"parameters lists the inner layer's parameters as "
                       f"{r.info.get('parameters')} (-1: not one of them), expected "
                       f"{list(range(nparams))}")
        worst = Worst()
        for k in range(nparams):
            worst.compare(array(r, protocol.INNER_GRADIENT.format(k),
                                "the inner layer's parameter gradient"),
                          np.full(2, expected["grad"]), "the inner layer's parameter gradient",
                          "two backward calls")
        return f"the inner layer's parameters, their gradients filled; {worst.verdict()}"

    def closures(results):
        r = run(results)
        log = [e for e in r.info.get(protocol.LOG, [])
               if isinstance(e, list) and e[:1] == ["backward"]]
        if log != [["backward", 0, 2], ["backward", 0, 1]]:
            calls = [e[2] for e in log if len(e) > 2]
            raise Fail("the closures of forward calls 2 and 1, called in that order, ran the "
                       f"inner closures of forward calls {calls} (expected [2, 1])")
        return "each closure ran its own forward call's inner closure"

    def not_mutated(results):
        r = run(results)
        for name, value in arrays.items():
            what = (f"the input X of forward call {name[1:]}" if name[0] == "X" else
                    f"the upstream gradient D of backward call {name[1:]}")
            same(r.arrays.get(protocol.AFTER.format(name), np.empty(0)), value, what)
        return "inputs and upstream gradients unchanged"

    def modes(results):
        check_modes(run(results).info.get(protocol.MODES), 1, "a Residual")
        return "train() and eval() reach the inner layer"

    values = ("forward", "backward")
    checks = [
        Check(UNIT, "forward adds the inner layer's output to the input", forward, "forward", 2),
        Check(UNIT, "backward adds the gradients of the skip and the inner path", backward,
              "backward", 2),
        Check(UNIT, "parameters are the inner layer's, their gradients filled by backward",
              parameters, "parameters", 1, needs=("forward",)),
        Check(UNIT, "each backward closure uses its own forward call's inner closure", closures,
              "closures", 1, needs=values),
        Check(UNIT, "train() and eval() reach the inner layer", modes, "modes", 1,
              needs=("forward",)),
        Check(UNIT, "inputs and upstream gradients are not modified", not_mutated, "mutation",
              1, needs=values),
    ]
    return jobs, checks


def unit_builder(unit, table):
    """The unit's builder (it needs nothing from the course but its name)."""
    return build
