"""The loss family's spec (autograder/grading/families/losses.py): the inputs its checks
give a loss, from [kind_spec.loss] with the unit's [units.<name>.spec] over it."""
from __future__ import annotations

from dataclasses import dataclass

from ..fields import choice, field
from .common import Case, case, passes, spec_table

KIND = "loss"
# How a loss's inputs are drawn (losses.INPUTS), and its extreme cases (losses.EXTREMES;
# a stability case without values scales the ordinary ones).
LOSS_VALUES = ("regression", "probabilities", "logits", "classes")
LOSS_EXTREMES = ("saturated", "huge")
LOSS_SPEC_KEYS = {"values", "passes", "fd", "stability"}


@dataclass(frozen=True)
class LossSpec:
    values: str                 # how predictions and targets are drawn (LOSS_VALUES)
    passes: tuple[Case, ...]    # the prediction shapes compared with the reference
    fd: Case                    # the finite-difference point
    stability: Case | None = None   # extreme inputs (values: LOSS_EXTREMES or the unit's)
    stability_title: str = ""


def parse(defaults: dict, own, where: str) -> LossSpec:
    """A loss's spec: the kind's defaults with the unit's keys over them."""
    spec = spec_table(defaults, own, LOSS_SPEC_KEYS, ("values", "passes", "fd"), KIND, where)
    found = passes(spec, where)
    stability = spec.get("stability")
    return LossSpec(
        choice(field(spec, "values", str, where), LOSS_VALUES, f"{where}.values"),
        tuple(case(c, f"{where}.passes[{k}]", ()) for k, c in enumerate(found)),
        case(spec["fd"], f"{where}.fd", ()),
        case(stability, f"{where}.stability", LOSS_EXTREMES) if stability else None,
        field(stability, "title", str, f"{where}.stability") if stability else "")
