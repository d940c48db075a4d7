"""The layer family's spec (autograder/grading/families/layers.py): the inputs its generic
checks give a layer, from [kind_spec.layer] with the unit's [units.<name>.spec] over it."""
from __future__ import annotations

from dataclasses import dataclass, field as default

from ..fields import CourseError, choice, field
from .common import Case, case, passes, spec_table

KIND = "layer"
VALUES = ("signed", "normal", "ties", "positive")
SPEC_KEYS = {"passes", "accumulate", "fd", "large", "values", "scale", "bound", "params",
             "float32_kwargs", "kink", "stability", "state", "running", "eval", "causal"}


@dataclass(frozen=True)
class Param:
    """A parameter attribute of a layer; its shape is the reference's for the case."""
    name: str
    title: str    # "<title> matches the reference"
    what: str     # how feedback names its gradient
    weight: int


@dataclass(frozen=True)
class LayerSpec:
    """The input specification the generic layer checks read."""
    passes: tuple[Case, ...]
    accumulate: Case
    fd: Case
    large: Case
    values: str
    scale: float
    bound: float
    params: tuple[Param, ...] = ()
    float32_kwargs: dict = default(default_factory=dict)
    kink: float | None = None
    stability: Case | None = None
    stability_title: str = ""
    state: dict = default(default_factory=dict)   # attribute -> values drawn for "eval"
    running: Case | None = None
    batches: int = 3
    eval: Case | None = None
    causal: Case | None = None   # sequences (N, T, ...): no output sees a later position


def parse(defaults: dict, own, where: str) -> LayerSpec:
    """A layer's spec: the kind's defaults with the unit's keys over them."""
    spec = spec_table(defaults, own, SPEC_KEYS, ("passes", "accumulate", "fd", "large"),
                      KIND, where)
    found = passes(spec, where)
    params = []
    for name, entry in field(spec, "params", dict, where, {}).items():
        entry = field({"p": entry}, "p", dict, f"{where}.params.{name}")
        params.append(Param(name, field(entry, "title", str, where, f"{name} gradient"),
                            field(entry, "what", str, where, f"{name}.gradient"),
                            field(entry, "weight", int, where, 1)))
    bound = field(spec, "bound", float, where)
    if not 0 < bound < 1:
        raise CourseError(f"course.toml: {where}.bound must be in (0, 1), found {bound:g}")
    state = field(spec, "state", dict, where, {})
    for attr, values in state.items():
        choice(values, VALUES, f"{where}.state.{attr}")
    optional = {key: case(spec[key], f"{where}.{key}", VALUES) if key in spec else None
                for key in ("stability", "running", "eval", "causal")}
    if state and not (optional["running"] and optional["eval"]):
        raise CourseError(f"course.toml: {where} has state {sorted(state)}: it needs a "
                          "`running` and an `eval` case too")
    stability = spec.get("stability", {})
    return LayerSpec(
        tuple(case(p, f"{where}.passes[{k}]", VALUES) for k, p in enumerate(found)),
        case(spec["accumulate"], f"{where}.accumulate", VALUES),
        case(spec["fd"], f"{where}.fd", VALUES),
        case(spec["large"], f"{where}.large", VALUES),
        choice(field(spec, "values", str, where), VALUES, f"{where}.values"),
        field(spec, "scale", float, where, 1.0), bound, tuple(params),
        field(spec, "float32_kwargs", dict, where, {}),
        field(spec, "kink", float, where) if "kink" in spec else None,
        optional["stability"], stability.get("title", "") if optional["stability"] else "",
        state, optional["running"],
        field(spec.get("running", {}), "batches", int, f"{where}.running", 3),
        optional["eval"], optional["causal"])
