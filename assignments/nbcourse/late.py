"""The course's late policy inside nbgrader: its ``LateSubmissionPlugin``, configured in
nbgrader_config.py (``c.AssignLatePenalties.plugin_class``).

nbgrader decides *how late* a notebook is: the assignment's due date in gradebook.db
(``make due``), plus a student's extension if nbgrader holds one, against the
submission's ``timestamp.txt``. This plugin decides *what that costs*, from
course.toml's ``[late]`` table, the same policy grade-all applies to the package track
(``autograder.course.Policy``: whole days late after the grace period, a percent of the
earned score per day, capped). nbgrader stores the penalty with each notebook in
gradebook.db, and its ``score`` in ``grades.csv`` is after it.
"""
from datetime import datetime, timedelta, timezone

from nbgrader.plugins import LateSubmissionPlugin

from autograder import course


def penalty_percent(seconds_late: float) -> tuple[int, float]:
    """(days late, percent of the earned score taken) for a submission this late."""
    policy = course.load().late or course.Policy()
    due = datetime(2000, 1, 1, tzinfo=timezone.utc)  # any time: only the difference counts
    days = policy.days_late(due + timedelta(seconds=seconds_late), due)
    return days, policy.penalty(days)


class CoursePolicy(LateSubmissionPlugin):
    """course.toml's ``[late]`` policy, per notebook: the penalty is that percent of the
    notebook's score (the assignment's penalty is the sum over its notebooks)."""

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        days, percent = penalty_percent(total_seconds_late)
        self.log.warning("%s: %d day(s) late after the grace period: course.toml's [late] "
                         "takes %g %% of %g", student_id, days, percent, score)
        return score * percent / 100 if percent else None
