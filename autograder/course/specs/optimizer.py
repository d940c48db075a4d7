"""The optimizer family's spec (autograder/grading/families/optimizers.py): the constructor
arguments of each of its cases, and the titles of the checks of its own hyperparameters."""
from __future__ import annotations

from dataclasses import dataclass

from ..fields import CourseError, field
from .common import spec_table

KIND = "optimizer"
OPTIMIZER_CASES = ("one_step", "steps", "two_params", "hyper", "weight_decay", "float32")


@dataclass(frozen=True)
class OptimizerSpec:
    kwargs: dict          # case -> constructor keyword arguments
    hyper_title: str
    weight_decay_title: str = "weight decay (L2) is applied as the reference does"


def parse(defaults: dict, own, where: str) -> OptimizerSpec:
    """An optimizer's spec: every case's constructor arguments, and the hyperparameter
    check's title."""
    required = (*OPTIMIZER_CASES, "hyper_title")
    spec = spec_table(defaults, own, {*required, "weight_decay_title"}, required, KIND, where)
    kwargs = {case: field(spec, case, dict, where) for case in OPTIMIZER_CASES}
    if "weight_decay" not in kwargs["weight_decay"]:
        raise CourseError(f"course.toml: {where}.weight_decay must set weight_decay")
    title = field(spec, "weight_decay_title", str, where, OptimizerSpec.weight_decay_title)
    return OptimizerSpec(kwargs, field(spec, "hyper_title", str, where), title)
