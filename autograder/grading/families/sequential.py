"""Checks for Sequential, driven with recording layers built in the child.

A recording layer applies a fixed map Y = X * scale + shift, returns D * scale from
its closure, adds sum(D) into each of its parameters' gradients, and logs every call.
Expected outputs, call orders and gradients are worked out here from those maps, so
Sequential is graded without depending on the submission's own layers.
"""
from __future__ import annotations

import numpy as np

from ..checks import MODES, Check, Fail, array, compare, check_modes, need
from ...sandbox.child import protocol
from ...sandbox import Job

KIND = "container"
SPEC = None
OPERATION = protocol.SEQUENTIAL

UNIT = "Sequential"
# (scale, shift, number of parameters) of each recording layer, and the nesting
CASES = {
    "chain": ([(2.0, 1.0, 1), (-1.5, 0.5, 2), (0.5, -2.0, 0)], [0, 1, 2]),
    "shared": ([(2.0, 1.0, 1), (-1.0, 0.5, 1)], [0, 1, 0]),
    "nested": ([(1.5, 0.25, 1), (-0.5, 1.0, 1), (3.0, -1.0, 1)], [[0, 1], 2]),
}


def flatten(structure):
    if isinstance(structure, int):
        return [structure]
    return [i for part in structure for i in flatten(part)]


def expectation(layers, structure, X, D):
    """Output, input gradient, call log, parameter list and gradients, worked out by hand."""
    order = flatten(structure)
    Y = X
    for i in order:
        Y = Y * layers[i][0] + layers[i][1]
    grads = {(i, k): 0.0 for i, layer in enumerate(layers) for k in range(layer[2])}
    backward_log, call = [], len(order)
    for i in reversed(order):
        backward_log.append(["backward", i, call])
        for k in range(layers[i][2]):
            grads[(i, k)] += float(np.sum(D))
        D = D * layers[i][0]
        call -= 1
    forward_log = [["forward", i] for i in order]
    params = list(dict.fromkeys((i, k) for i in order for k in range(layers[i][2])))
    flat = {key: n for n, key in enumerate(grads)}
    updates = [["update", flat[key]] for key in params]
    return {"Y": Y, "dX": D, "log": forward_log + backward_log + updates,
            "parameters": [list(p) for p in params], "grads": grads}


def build(rng, ref):
    jobs, expected = [], {}
    for case, (layers, structure) in CASES.items():
        X, D = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
        jobs.append(Job(f"{UNIT}/{case}", protocol.SEQUENTIAL,
                        {"layers": layers, "structure": structure, "backward": True,
                         "update": True, "modes": list(MODES) if case == "nested" else []},
                        {"X": X, "D": D}))
        expected[case] = expectation(layers, structure, X, D)

    def run(results, case):
        return need(results, f"{UNIT}/{case}"), expected[case]

    def log_of(result, kind):
        log = result.info.get(protocol.LOG, [])
        return [entry for entry in log if isinstance(entry, list) and entry and entry[0] == kind]

    def forward_order(results):
        r, e = run(results, "chain")
        compare(array(r, protocol.MODEL_OUTPUT, "output"), e["Y"],
                "output of three layers in order")
        if log_of(r, "forward") != [x for x in e["log"] if x[0] == "forward"]:
            raise Fail(f"layers' forward called in order {[x[1] for x in log_of(r, 'forward')]}, "
                       f"expected {[x[1] for x in e['log'] if x[0] == 'forward']}")
        return "layers applied first to last"

    def backward_order(results):
        r, e = run(results, "chain")
        want = [x for x in e["log"] if x[0] == "backward"]
        got = log_of(r, "backward")
        if got != want:
            raise Fail(f"closures called as (layer, forward call) {[x[1:] for x in got]}, "
                       f"expected {[x[1:] for x in want]}")
        compare(array(r, protocol.MODEL_INPUT_GRADIENT, "backward's return value"), e["dX"],
                "input gradient through three layers")
        return "closures called last to first, each given the previous one's result"

    def parameters(results):
        r, e = run(results, "chain")
        if r.info.get(protocol.PARAMETERS) != e["parameters"]:
            raise Fail(f"parameters lists (layer, index) {r.info.get('parameters')}, expected "
                       f"{e['parameters']}")
        return "every layer's parameters, in order"

    def shared(results):
        r, e = run(results, "shared")
        if r.info.get(protocol.PARAMETERS) != e["parameters"]:
            raise Fail(f"with layer A used twice, parameters lists (layer, index) "
                       f"{r.info.get('parameters')}, expected {e['parameters']} (each once)")
        if log_of(r, "backward") != [x for x in e["log"] if x[0] == "backward"]:
            raise Fail("with a layer used twice, both of its closures must be called, in "
                       "reverse order")
        compare(array(r, protocol.RECORDER_GRADIENT.format(0, 0), "gradient of the shared layer"),
                np.full(2, e["grads"][(0, 0)]),
                "gradient of the shared layer (sum of both uses)")
        updates = log_of(r, "update")
        if updates != [x for x in e["log"] if x[0] == "update"]:
            raise Fail(f"update(optimizer) stepped parameters {[x[1] for x in updates]}, "
                       f"expected each distinct parameter once: "
                       f"{[x[1] for x in e['log'] if x[0] == 'update']}")
        return "listed once, gradients from both uses, updated once"

    def nested(results):
        r, e = run(results, "nested")
        compare(array(r, protocol.MODEL_OUTPUT, "output"), e["Y"],
                "output of a Sequential inside a Sequential")
        compare(array(r, protocol.MODEL_INPUT_GRADIENT, "backward's return value"), e["dX"],
                "input gradient, nested")
        if r.info.get(protocol.PARAMETERS) != e["parameters"]:
            raise Fail(f"nested parameters {r.info.get('parameters')}, expected {e['parameters']}")
        return "nested Sequential works"

    def modes(results):
        r, _ = run(results, "nested")
        check_modes(r.info.get(protocol.MODES), len(flatten(CASES["nested"][1])),
                    "a Sequential holding a Sequential")
        return "train() and eval() reach every layer, nested ones too"

    values = ("forward", "backward")
    checks = [
        Check(UNIT, "forward applies the layers in order", forward_order, "forward", 2),
        Check(UNIT, "backward calls the closures in reverse order, chaining the gradient",
              backward_order, "backward", 2),
        Check(UNIT, "parameters lists every layer's parameters in order", parameters,
              "parameters", 1),
        Check(UNIT, "a layer used twice: parameters listed once, gradients from both uses",
              shared, "shared", 2, needs=values),
        Check(UNIT, "a Sequential inside a Sequential", nested, "nested", 1, needs=values),
        Check(UNIT, "train() and eval() reach every layer, nested ones too", modes, "modes", 1,
              needs=("forward",)),
    ]
    return jobs, checks


def unit_builder(unit, table):
    """The unit's builder (it needs nothing from the course but its name)."""
    return build
