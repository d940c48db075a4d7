"""The specs of the check families: how course.toml's ``[kind_spec.<kind>]`` and
``[units.<name>.spec]`` tables drive a family's checks, one module per family that has one.

A spec is the family's schema, but it lives on the course's side: every reader of
course.toml (the grader, ``make exercises``, the notebooks' build, the release) validates
it the same way without importing the grading, and the family module names its spec
(``SPEC``) from here.  A family without a spec needs nothing here.

Each module gives ``KIND``, its spec dataclass and ``parse(defaults, own, where)``.
"""
from . import layer, loss, optimizer
from .common import Case

# kind -> the parser of its units' specs (the kinds whose checks a spec drives)
SPECS = {module.KIND: module.parse for module in (layer, loss, optimizer)}

__all__ = ["SPECS", "Case", "layer", "loss", "optimizer"]
