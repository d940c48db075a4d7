"""The course: its one table (course.toml) of units, points, specs, hints and policies.

registry     reads and checks course.toml into a Course value
assignments  an assignment's units, for grading one chapter at its own total

The course imports nothing from the grading, the sandbox or the classroom: it reaches
them as a value.
"""
from .registry import (COURSE_FILE, HINT_MODES, KINDS, LOSS_EXTREMES, LOSS_SPEC_KEYS,
                       LOSS_VALUES, OPTIMIZER_CASES, SPEC_KEYS, SPECS, VALUES, VISIBILITIES,
                       Assignment, Case, Course, CourseError, Exercise, GuideRow, Hint,
                       LayerSpec, LossSpec, Notebook, OptimizerSpec, Param, Policy,
                       PolicyError, Unit, load, parse, policy_from, read, selector_unit,
                       tomllib)

__all__ = ["COURSE_FILE", "HINT_MODES", "KINDS", "LOSS_EXTREMES", "LOSS_SPEC_KEYS",
           "LOSS_VALUES", "OPTIMIZER_CASES", "SPEC_KEYS", "SPECS", "VALUES", "VISIBILITIES",
           "Assignment", "Case", "Course", "CourseError", "Exercise", "GuideRow", "Hint",
           "LayerSpec", "LossSpec", "Notebook", "OptimizerSpec", "Param", "Policy",
           "PolicyError", "Unit", "load", "parse", "policy_from", "read", "selector_unit",
           "tomllib"]
