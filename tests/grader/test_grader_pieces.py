"""The grader's pieces: safe loading, the submission copy, paths, points, comparisons."""
import numpy as np
import pytest

from autograder import checks, grade, report, sandbox


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
    sandbox._copy_submission(package, tmp_path / "copy")
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == ["__init__.py"]


def test_resolved_package_names_what_it_expected_and_found(tmp_path):
    (tmp_path / "notes.txt").write_text("my homework")
    with pytest.raises(grade.UsageError, match="no nn100 package found.*notes.txt"):
        with grade.resolved_package(tmp_path):
            pass
    (tmp_path / "nn100").mkdir()
    (tmp_path / "nn100" / "__init__.py").write_text("")
    with grade.resolved_package(tmp_path) as package:  # graded where it is, not copied
        assert package == tmp_path / "nn100"


def test_points_table_is_validated(tmp_path):
    table = tmp_path / "points.toml"
    table.write_text("Linear = 10\n")
    with pytest.raises(ValueError, match="missing"):
        grade.load_points(table)
    points = grade.load_points()
    assert set(points) == set(grade.UNITS) and sum(points.values()) == 100


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
    texts = {o.check.unit: o.text for o in result.outcomes if not o.passed}
    assert "nn100 has no Softmax" in texts["Softmax"]
    assert "NaN" in texts["Tanh"]
    earned = {u: e for u, (e, p) in result.unit_scores.items() if e < p}
    assert set(earned) <= {"Softmax", "Tanh", "Convergence"}
