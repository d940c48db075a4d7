"""A bounded grading: a stalling submission ends within the whole-submission budget
with the units it did not reach marked so; an import failure is said once, cut to a
bounded length, and results.json stays small; the budget is calibrated once."""
import json
import time

import hostile_sandbox as hs
from autograder import course
from autograder.grading import grade, report
from autograder import sandbox
from autograder.sandbox import calibrate
from hostile import SOLUTIONS, apply_hostile

BUDGET = 8.0
TIMEOUT = 3.0


def test_stalling_submission_ends_within_the_budget(tmp_path):
    root = apply_hostile(("stall", hs.STALL), tmp_path / "submission")
    started = time.monotonic()
    result = grade.grade(root, seed=7, timeout=TIMEOUT, budget=BUDGET)
    elapsed = time.monotonic() - started
    # the budget, plus one job's own limit the last check may still be using, plus slack
    assert elapsed < BUDGET + TIMEOUT + 6, f"took {elapsed:.1f} s for a {BUDGET:g} s budget"
    not_reached = [o for o in result.outcomes if sandbox.NOT_REACHED in o.text]
    assert not_reached, "no check was marked as not reached"
    assert not any(o.passed for o in not_reached)
    assert result.score < result.max_score
    data = json.dumps(report.results_json(result))
    assert "not reached: time budget spent" in data


def test_import_failure_said_once_and_results_bounded(tmp_path):
    root = apply_hostile(("flood", hs.IMPORT_FLOOD), tmp_path / "submission")
    result = grade.grade(root, seed=7, timeout=TIMEOUT, budget=60)
    assert result.score == 0
    mentions = [o for o in result.outcomes if "nn100 cannot start" in o.text]
    assert len(mentions) == 1, f"the import error appears in {len(mentions)} checks"
    assert len(mentions[0].text) < 2 * sandbox.MESSAGE_CHARS
    assert all(o.text == grade.IMPORT_FAILED for o in result.outcomes if o not in mentions)
    data = json.dumps(report.results_json(result))
    assert len(data) < 100_000, f"results.json is {len(data)} bytes"


def test_budget_is_measured_once_then_cached(tmp_path, monkeypatch):
    monkeypatch.setenv(sandbox.CALIBRATION, str(tmp_path / "calibration.json"))
    calls = []

    def measure():
        calls.append(1)
        return {"total": 4.0, "jobs": {"Linear/pass0": 0.01, "fit_digits/digits": 0.5}}

    for _ in range(2):
        found = sandbox.calibration(measure)
        assert sandbox.whole_budget(found) == sandbox.BUDGET_FACTOR * 4.0
        assert sandbox.job_limits(found) == {"Linear/pass0": sandbox.JOB_FACTOR * 0.01,
                                             "fit_digits/digits": sandbox.JOB_FACTOR * 0.5}
    assert calls == [1]
    # another version of the grader or the course (a copy) is remembered beside this one
    real = calibrate._fingerprint()
    for version in ["a copy", real, "a copy"]:
        monkeypatch.setattr(calibrate, "_fingerprint", lambda v=version: v)
        sandbox.calibration(measure)
    assert calls == [1, 1]
    for number in range(calibrate.CACHED_VERSIONS):  # the oldest are forgotten
        monkeypatch.setattr(calibrate, "_fingerprint", lambda n=number: f"version {n}")
        sandbox.calibration(measure)
    assert len(json.loads((tmp_path / "calibration.json").read_text())) \
        == calibrate.CACHED_VERSIONS
    monkeypatch.setattr(calibrate, "_fingerprint", lambda: real)
    (tmp_path / "calibration.json").write_text("{not json")
    found = sandbox.calibration(lambda: {"total": 0.1, "jobs": {}})  # measured again
    assert sandbox.whole_budget(found) == sandbox.MIN_BUDGET


def test_calibrated_job_limits_are_never_looser_than_the_timeout():
    limits = sandbox.Limits(timeout=5.0, job_seconds={"a": 0.3, "b": 60.0, "d": 4.0})
    floor = sandbox.JOB_FLOOR
    assert limits.job_limit(sandbox.Job("a", "layer", {})) == floor
    assert limits.job_limit(sandbox.Job("a", "layer", {}, budget=2.0)) == 2 * floor
    assert limits.job_limit(sandbox.Job("b", "layer", {}, budget=3.0)) == 15.0
    assert limits.job_limit(sandbox.Job("c", "layer", {})) == 5.0
    assert limits.job_limit(sandbox.Job("d", "layer", {})) == 4.0


def test_reference_grading_is_calibrated_per_job(tmp_path, monkeypatch):
    monkeypatch.setenv(sandbox.CALIBRATION, str(tmp_path / "calibration.json"))
    result = grade.grade(SOLUTIONS.parent, seed=7)
    assert result.score == result.max_score
    cached = json.loads((tmp_path / "calibration.json").read_text())
    (entry,) = cached.values()
    planned = {job.id for p in grade.plan(course.load(), 7) for job in p.jobs}
    assert set(entry["jobs"]) == planned and entry["total"] > 0
    assert "x the reference's" in " ".join(result.notes)
