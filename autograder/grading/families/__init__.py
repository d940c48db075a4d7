"""One module per check family, each building a unit's jobs and judging its checks.

A family module declares, at its top:

- ``KIND``: the kind of unit in course.toml it grades (``[units.X].kind``);
- ``UNITS``: the units it grades instead of their kind's family (e.g. Dropout, a layer
  judged statistically); absent or empty: it is the family of every unit of its kind;
- ``SPEC``: its spec dataclass (``autograder/course/specs/``), or None;
- ``OPERATION``: the child's operation its jobs run (``sandbox/child/protocol.py``,
  implemented in ``sandbox/child/jobs.py``);
- ``unit_builder(unit, table)``: the unit's builder, ``builder(rng, ref) -> (jobs, checks)``
  or ``(jobs, checks, extra)``, where ``extra(results)`` adds to results.json's extra_data.

The grader finds the families here (``families()``): adding one is adding its module.
"""
from __future__ import annotations

import functools
import importlib
import pkgutil


@functools.lru_cache(maxsize=1)
def families() -> tuple[dict, dict]:
    """(kind -> family module, unit name -> family module), from every module here."""
    by_kind, by_unit = {}, {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if not hasattr(module, "KIND"):
            continue  # a helper module, not a family
        for name in getattr(module, "UNITS", ()):
            if name in by_unit:
                raise RuntimeError(f"families: unit {name} is claimed by both "
                                   f"{by_unit[name].__name__} and {module.__name__}")
            by_unit[name] = module
        if not getattr(module, "UNITS", ()):
            if module.KIND in by_kind:
                raise RuntimeError(f"families: kind {module.KIND} has two families, "
                                   f"{by_kind[module.KIND].__name__} and {module.__name__}")
            by_kind[module.KIND] = module
    return by_kind, by_unit


def family_of(unit) -> object:
    """The family module of a course unit: its own, else its kind's."""
    by_kind, by_unit = families()
    found = by_unit.get(unit.name) or by_kind.get(unit.kind)
    if found is None:
        raise LookupError(f"no check family grades unit {unit.name} (kind {unit.kind!r}): "
                          f"the families grade the kinds {sorted(by_kind)} and the units "
                          f"{sorted(by_unit)}")
    return found
