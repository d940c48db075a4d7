"""The gates every backward point of a layer stands on, and the diagnosis of a failure.

Backward must be backpropagation whichever way it is dodged, so every backward point
stands on two signals: the large layer, and the gradients' accuracy.  A backward that
costs a forward per element or per column cannot finish on the large layer, and then no
gradient check is judged (``cost_gate``); nor is one judged when backward finishes there
with wrong gradients (or an exception) while its small cases are right
(``large_layer_gate``): a difference step that is exact for an affine map (Linear) is
accurate, and cheap only where the layer is small.  When the small cases are wrong too,
the failure is named where it shows first (``first_wrong``), and an exception that names
the array it updated in place is charged to that gradient (``crash``).
"""
from __future__ import annotations

import re

import numpy as np

from ..checks import (MATCH, MAX_FORWARD_CALLS, Fail, NotJudged, Worst, array, compare, need,
                      raised, scope)
from ...sandbox.child import protocol
from ...sandbox import JobStatus
from .layer_properties import DX0, Y0, compare_gradients

TITLES = {"forward": "forward matches the reference (batch of 1, odd sizes)",
          "input": "input gradient matches the reference",
          "backprop": "backward uses the chain rule, not repeated forward calls",
          "closures": "two forward calls of different sizes, then both backwards: each closure "
                      "keeps its own call's values"}

class GateChecks:
    """The gates and the diagnosis, for LayerUnit (which provides unit, spec, expected)."""

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
                if quantity == "dX" and e.get("dX") is None:  # no input gradient (ids)
                    break
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
        compare_gradients(worst, r, e["grads"], f"a large input {scope(e['shape'])}")
        return f"no forward calls inside backward; {worst.verdict()}"


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
