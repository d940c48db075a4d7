"""The course: its one table (course.toml) of units, points, specs, hints and policies.

registry     reads and checks course.toml into a Course value
fields       reading one value of the table, with errors naming where it is
specs/       the check families' specs (one module per family that has one)
assignments  an assignment's units, for grading one chapter at its own total

The course imports nothing from the grading, the sandbox or the classroom: it reaches
them as a value.
"""
from .fields import CourseError
from .registry import (COURSE_FILE, HINT_MODES, KINDS, VISIBILITIES, Assignment, Course,
                       Exercise, GuideRow, Hint, Notebook, Policy, PolicyError, Unit, load,
                       parse, policy_from, read, selector_unit, tomllib)
from .specs import SPECS, Case
from .specs.layer import SPEC_KEYS, VALUES, LayerSpec, Param
from .specs.loss import LOSS_EXTREMES, LOSS_SPEC_KEYS, LOSS_VALUES, LossSpec
from .specs.optimizer import OPTIMIZER_CASES, OptimizerSpec

__all__ = ["COURSE_FILE", "HINT_MODES", "KINDS", "LOSS_EXTREMES", "LOSS_SPEC_KEYS",
           "LOSS_VALUES", "OPTIMIZER_CASES", "SPEC_KEYS", "SPECS", "VALUES", "VISIBILITIES",
           "Assignment", "Case", "Course", "CourseError", "Exercise", "GuideRow", "Hint",
           "LayerSpec", "LossSpec", "Notebook", "OptimizerSpec", "Param", "Policy",
           "PolicyError", "Unit", "load", "parse", "policy_from", "read", "selector_unit",
           "tomllib"]
