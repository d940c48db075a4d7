"""The grader's pieces: safe loading, the submission copy, paths, points, comparisons."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from autograder.grading import checks, families, grade, report
from autograder import course, sandbox
from grader_support import CONVERGENCE
from autograder.sandbox import unit


def test_load_array_refuses_pickles_and_lying_headers(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError):
        sandbox.load_array(tmp_path / "obj.npy")
    np.save(tmp_path / "ok.npy", np.arange(6.0).reshape(2, 3))
    data = (tmp_path / "ok.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[:-8])
    with pytest.raises(ValueError):
        sandbox.load_array(tmp_path / "cut.npy")
    loaded = sandbox.load_array(tmp_path / "ok.npy")
    assert type(loaded) is np.ndarray and loaded.shape == (2, 3)


def test_compare_sees_through_ndarray_subclasses():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return np.ones(self.shape, bool)

        def __sub__(self, other):
            return np.zeros(self.shape)

    forged = np.zeros(3).view(Liar)
    with pytest.raises(checks.Fail):
        checks.compare(forged, np.ones(3), "value")
    with pytest.raises(checks.Fail):
        checks.compare(np.array([1.0, np.nan, 1.0]), np.ones(3), "value")
    with pytest.raises(checks.Fail, match="shape"):
        checks.compare(np.ones((3, 1)), np.ones(3), "value")
    assert checks.compare(np.ones(3) + 1e-12, np.ones(3), "value") < 1e-9


def test_copy_leaves_symlinks_behind(tmp_path):
    package = tmp_path / "sub" / "nn100"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "leak.py").symlink_to(grade.reference.SOLUTIONS / "layers.py")
    (package / "linked_dir").symlink_to(grade.reference.SOLUTIONS)
    unit._copy_submission(package, tmp_path / "copy")
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == ["__init__.py", "__pycache__"]
    assert [p.name for p in (tmp_path / "copy" / "__pycache__").iterdir()] == [
        Path(importlib.util.cache_from_source("__init__.py")).name]


def test_the_copy_runs_its_source_never_bytecode_it_was_handed(tmp_path):
    """The grader compiles each copied source itself (once for every unit): bytecode the
    submission ships is left behind, and the grader's is used only while it matches."""
    package = tmp_path / "sub" / "nn100"
    (package / "__pycache__").mkdir(parents=True)
    (package / "value.py").write_text("VALUE = 'source'\n")
    forged = importlib._bootstrap_external._code_to_hash_pyc(
        compile("VALUE = 'forged'\n", "value.py", "exec"), b"\0" * 8, checked=False)
    (package / "__pycache__" / Path(importlib.util.cache_from_source("value.py")).name
     ).write_bytes(forged)
    copy = tmp_path / "copy"
    unit._copy_submission(package, copy)

    def load():
        spec = importlib.util.spec_from_file_location("value", copy / "value.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.VALUE, Path(spec.cached).read_bytes()

    value, cached = load()
    assert value == "source" and cached != forged
    (copy / "value.py").write_text("VALUE = 'edited'\n")  # bytecode no longer matches
    assert load()[0] == "edited"


def test_resolved_package_names_what_it_expected_and_found(tmp_path):
    (tmp_path / "notes.txt").write_text("my homework")
    with pytest.raises(grade.UsageError, match="no nn100 package found.*notes.txt"):
        with grade.resolved_package(tmp_path):
            pass
    (tmp_path / "nn100").mkdir()
    (tmp_path / "nn100" / "__init__.py").write_text("")
    with grade.resolved_package(tmp_path) as package:  # graded where it is, not copied
        assert package == tmp_path / "nn100"


def test_points_come_from_the_course_table_and_a_wrong_total_is_refused(tmp_path):
    text = course.COURSE_FILE.read_text()
    points = grade.load_points()
    assert list(points) == list(course.load().units) == list(course.load().units)
    assert sum(points.values()) == course.load().total
    # one more point for Linear without saying so in the total: refused, with both sums
    wrong = tmp_path / "course.toml"
    total = course.load().total
    wrong.write_text(text.replace("points = 10\n", "points = 11\n", 1))
    with pytest.raises(course.CourseError,
                       match=f"add up to {total + 1:g}, but .course..total says {total:g}"):
        course.read(wrong)
    # said in both places, it is accepted and the grader's points follow
    wrong.write_text(text.replace("points = 10\n", "points = 11\n", 1)
                     .replace(f"total = {total:g}\n", f"total = {total + 1:g}\n", 1))
    assert grade.load_points(course.read(wrong))["Linear"] == 11 == points["Linear"] + 1


def test_a_unit_given_another_units_check_family_is_refused():
    """A second container (a Residual, say) would get the family written for Sequential."""
    table = course.load()
    sequential_family = families.families()[0]["container"]
    builder = sequential_family.unit_builder(table.units["Residual"], table)
    with pytest.raises(course.CourseError, match="built for Residual are named for Sequential"):
        grade.build_unit("Residual", builder, 1, grade.reference.load(), table)
    assert grade.build_unit("Sequential", builder, 1, grade.reference.load(), table).checks


def test_results_written_atomically(tmp_path):
    target = tmp_path / "deep" / "results.json"
    report.write_atomically(target, {"score": 1})
    report.write_atomically(target, {"score": 2})
    assert target.read_text().strip().endswith("}")
    assert [p.name for p in target.parent.iterdir()] == ["results.json"]


def test_sandbox_reports_its_protections():
    found = " ".join(sandbox.protections(sandbox.Limits()))
    assert "rlimits" in found
    assert "landlock" in found or "NO filesystem confinement" in found


def test_missing_class_and_nan_get_clear_feedback(tmp_path):
    from hostile import apply_hostile
    init = (grade.reference.SOLUTIONS / "__init__.py").read_text()
    exported = next(line for line in init.splitlines() if "Softmax," in line)
    entry = ("bad", [("__init__.py", exported, exported.replace("Softmax,", "")),
                     ("layers.py", "Y = np.tanh(X)", "Y = np.tanh(X) * np.nan")])
    result = grade.grade(apply_hostile(entry, tmp_path), seed=2)
    texts = {}
    for o in result.outcomes:
        if not o.passed:
            texts[o.check.unit] = texts.get(o.check.unit, "") + o.text + "\n"
    assert "nn100 has no Softmax" in texts["Softmax"]
    assert "NaN" in texts["Tanh"]
    earned = {u: e for u, (e, p) in result.unit_scores.items() if e < p}
    assert set(earned) <= {"Softmax", "Tanh"} | CONVERGENCE


def test_visibility_and_hint_mode_come_from_the_course_table(monkeypatch):
    from autograder.course import tomllib  # tomli on Python 3.10

    from autograder import course
    with open(course.COURSE_FILE, "rb") as f:
        table = tomllib.load(f)
    table["course"] = dict(table["course"], hints="answer",
                           check_visibility={"float32": "after_due_date"})
    table["units"]["Linear"] = dict(table["units"]["Linear"], visibility="hidden",
                                    check_visibility={"fd": "visible"})
    custom = course.parse(table)
    assert custom.visibility_of("Linear", "fd") == "visible"        # the unit's family
    assert custom.visibility_of("Linear", "forward") == "hidden"    # the unit's
    assert custom.visibility_of("Tanh", "float32") == "after_due_date"  # the course's family
    assert custom.visibility_of("Tanh", "forward") == "visible"     # the course's
    assert "Answer:" in custom.hint("Tanh", "input")
    assert "Answer:" not in course.load().hint("Tanh", "input")
    linear = next(p for p in grade.plan(custom, 1) if p.unit == "Linear")
    outcomes = [checks.Outcome(c, True, "passed") for c in linear.checks]
    fake = grade.Grade(outcomes, {"Linear": (10, 10)}, 10, 10, 0.1, [], {}, [])
    seen = {t["name"].split(": ", 1)[1]: t["visibility"]
            for t in report.results_json(fake)["tests"]}
    assert seen["gradients match finite differences of your own forward"] == "visible"
    assert seen["float32 in, float32 out"] == "after_due_date"
    assert seen["input gradient matches the reference"] == "hidden"


def test_course_table_refuses_bad_hints_and_visibility():
    from autograder.course import tomllib  # tomli on Python 3.10

    from autograder import course
    with open(course.COURSE_FILE, "rb") as f:
        table = tomllib.load(f)
    bad = dict(table, units=dict(table["units"], Tanh=dict(table["units"]["Tanh"],
                                                           hints={"input": {"answr": "x"}})))
    with pytest.raises(course.CourseError, match=r"\[units.Tanh\].hints.input"):
        course.parse(bad)
    bad = dict(table, units=dict(table["units"], Tanh=dict(table["units"]["Tanh"],
                                                           check_visibility={"fd": "secret"})))
    with pytest.raises(course.CourseError, match="must be one of"):
        course.parse(bad)


@pytest.mark.parametrize("spec, message", [
    ({"passes": [{"input": [2, 3]}]}, r"Tanh\]\.spec\.passes needs at least 2"),
    ({"pases": []}, r"unknown keys \['pases'\]"),
    ({"fd": {"input": [3, 0]}}, r"Tanh\]\.spec\.fd\.input must be a list of positive sizes"),
    ({"fd": {"shape": [3, 4]}}, r"Tanh\]\.spec\.fd must be \{ input"),
    ({"values": "uniform"}, r"spec\.values must be one of"),
    ({"bound": 2.0}, r"spec\.bound must be in \(0, 1\)"),
    ({"state": {"running_mean": "normal"}}, "needs a `running` and an `eval` case"),
])
def test_course_table_refuses_a_bad_layer_spec(spec, message):
    from autograder.course import tomllib  # tomli on Python 3.10
    with open(course.COURSE_FILE, "rb") as f:
        table = tomllib.load(f)
    bad = dict(table, units=dict(table["units"], Tanh=dict(table["units"]["Tanh"], spec=spec)))
    with pytest.raises(course.CourseError, match=message):
        course.parse(bad)


def test_a_layer_spec_is_the_defaults_with_the_units_keys_over_them():
    table = course.load()
    tanh, conv = table.units["Tanh"].spec, table.units["Conv2D"].spec
    assert [case.input for case in tanh.passes] == [(1, 5), (7, 3), (16, 9), (2, 3, 5)]
    assert tanh.params == () and tanh.kink is None and tanh.bound == 1e-14
    assert [p.name for p in conv.params] == ["weights", "bias"] and conv.bound == 1e-12
    assert conv.large.input == (4, 512, 8, 8) and table.units["ReLU"].spec.kink == 0.0
    mse, softmax_ce = table.units["mse_loss"].spec, table.units["softmax_cross_entropy_loss"].spec
    assert mse.values == "regression" and mse.fd.input == (3, 2) and mse.stability is None
    assert softmax_ce.fd.input == (3, 4) and softmax_ce.stability.scale == 5000.0
    adam = table.units["AdamOptimizer"].spec
    assert adam.kwargs["hyper"]["beta1"] == 0.8 and "beta1" in adam.hyper_title
    assert table.units["Learner"].spec is None and table.units["Sequential"].spec is None


@pytest.mark.parametrize("spec, message", [
    ({"passes": [{"input": [2, 3]}]}, r"bce_loss\]\.spec\.passes needs at least 2"),
    ({"shapes": []}, r"unknown keys \['shapes'\]"),
    ({"values": "normal"}, r"bce_loss\]\.spec\.values must be one of"),
    ({"passes": [{"input": [2, 3], "values": "huge"}, {"input": [2, 3]}]},
     r"passes\[0\]\.values must be one of"),
    ({"stability": {"input": [4, 3], "values": "large", "title": "t"}},
     r"spec\.stability\.values must be one of"),
    ({"stability": {"input": [4, 3]}}, r"spec\.stability has no 'title'"),
])
def test_course_table_refuses_a_bad_loss_spec(spec, message):
    from autograder.course import tomllib  # tomli on Python 3.10
    with open(course.COURSE_FILE, "rb") as f:
        table = tomllib.load(f)
    own = dict(table["units"]["bce_loss"]["spec"], **spec)
    bad = dict(table, units=dict(table["units"], bce_loss=dict(table["units"]["bce_loss"],
                                                               spec=own)))
    with pytest.raises(course.CourseError, match=message):
        course.parse(bad)
    bad = dict(table, units=dict(table["units"], Learner=dict(
        table["units"]["Learner"], spec={"values": "regression"})))
    with pytest.raises(course.CourseError, match="spec is for layer, loss, optimizer, but "
                                                 "Learner is a learner"):
        course.parse(bad)


@pytest.mark.parametrize("edit, message", [
    (lambda s: s.pop("hyper"), r"SGDOptimizer\]\.spec has no 'hyper'"),
    (lambda s: s.update(lr=0.1), r"has unknown keys \['lr'\]"),
    (lambda s: s.update(steps=0.05), r"spec\.steps must be"),
    (lambda s: s.update(weight_decay={"lr": 0.1}), "weight_decay must set weight_decay"),
])
def test_course_table_refuses_a_bad_optimizer_spec(edit, message):
    from autograder.course import tomllib  # tomli on Python 3.10
    with open(course.COURSE_FILE, "rb") as f:
        table = tomllib.load(f)
    own = dict(table["units"]["SGDOptimizer"]["spec"])
    edit(own)
    bad = dict(table, units=dict(table["units"], SGDOptimizer=dict(
        table["units"]["SGDOptimizer"], spec=own)))
    with pytest.raises(course.CourseError, match=message):
        course.parse(bad)


def test_not_judged_names_the_first_failing_value_check():
    def fails(results):
        raise checks.Fail("dX wrong")

    chain = [checks.Check("U", "value", fails, "value"),
             checks.Check("U", "property", lambda r: "ok", "prop", needs=("value",)),
             checks.Check("U", "later", lambda r: "ok", "later", needs=("prop",))]
    value, prop, later = checks.judge_all(chain, {})
    assert not value.passed and value.text.startswith("dX wrong")
    assert prop.text == later.text == "not judged: 'value' fails first"
    assert not prop.passed and not later.passed


def test_worst_reports_every_wrong_quantity_at_its_worst():
    worst = checks.Worst(1e-9)
    worst.compare(np.ones(3) * 1.1, np.ones(3), "dX", "input 1x3")
    worst.compare(np.ones(3) * 2.0, np.ones(3), "dX", "input 7x3")
    worst.compare(np.ones(2), np.ones(2), "dW", "input 1x3")
    with pytest.raises(checks.Fail) as failure:
        worst.verdict()
    assert str(failure.value) == "dX for input 7x3: relative error 1.00e+00 exceeds the bound 1e-09"


def test_the_spec_vocabularies_are_the_check_families_own():
    """course.py (stdlib only) names the values a spec may take; the check families
    implement them: the two lists must be the same."""
    from autograder.grading.families import losses as checks_losses, optimizers as checks_optimizers
    assert set(course.LOSS_VALUES) == set(checks_losses.INPUTS)
    assert set(course.LOSS_EXTREMES) == set(checks_losses.EXTREMES)
    assert list(course.OPTIMIZER_CASES) == list(checks_optimizers.CASES)


def test_unknown_units_are_refused_naming_the_known_ones():
    table = course.load()
    with pytest.raises(grade.UsageError, match=r"unknown units \['Nope'\]; the units are \["):
        grade.selected_units(list(table.units), ["Nope", "Linear"])
    with pytest.raises(grade.UsageError,
                       match=r"unknown units \['Nope'\]; the units are \['Linear'\]"):
        grade.selected([grade.UnitPlan("Linear", [], [])], ["Nope"])
    assert grade.selected_units(list(table.units), ["Tanh", "Linear"]) == ["Linear", "Tanh"]


def test_the_grader_runs_blas_on_one_thread_while_it_grades(monkeypatch):
    """Its children run BLAS on one thread; the grader's own process too, while it grades
    (a second thread only spins against the children for the cores)."""
    from threadpoolctl import threadpool_info, threadpool_limits
    seen = []
    run_jobs = sandbox.run_jobs

    def recording(*args, **kwargs):
        seen.extend(pool["num_threads"] for pool in threadpool_info()
                    if pool["user_api"] == "blas")
        return run_jobs(*args, **kwargs)

    monkeypatch.setattr(sandbox, "run_jobs", recording)
    with threadpool_limits(limits=2, user_api="blas"):  # the suite itself runs on one
        grade.grade(Path(__file__).resolve().parents[2] / "solutions", seed=1,
                    units=["ReLU"], timeout=5.0)
        after = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert seen and set(seen) == {1}, seen
    assert set(after) == {2}, f"the grader left BLAS at {after} threads"
