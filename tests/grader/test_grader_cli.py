"""The command line, end to end: exit codes, the table, results.json, forged output."""
import json
import subprocess
import sys

from autograder import course
from grader_support import REPO
from hostile import HOSTILE, apply_hostile

TOTAL = course.load().total  # what the course is out of


def run(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_reference_end_to_end(tmp_path):
    results = tmp_path / "out" / "results.json"
    done = run("grade", REPO / "solutions", "--results", results)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == f"Score: {TOTAL:g} / {TOTAL:g}"
    data = json.loads(results.read_text())
    assert data["score"] == data["max_score"] == TOTAL
    assert isinstance(data["execution_time"], float)
    # the table: a heading, a rule, then one row per unit of the course, in its order
    rows = done.stdout.splitlines()[2:2 + len(course.load().units)]
    assert [row.split()[0] for row in rows] == list(course.load().units)
    units = set(course.load().units)
    for test in data["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert test["name"].split(":")[0] in units
        assert test["status"] == "passed"
    curves = data["extra_data"]["loss_curves"]["product_2layer"]
    assert len(curves["student"]) == len(curves["reference"]) > 1
    assert list(tmp_path.joinpath("out").iterdir()) == [results]  # no temp file left


def test_missing_package_is_a_usage_error(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    done = run("grade", tmp_path)
    assert done.returncode == 2
    assert "nn100/__init__.py" in done.stderr and "notes.txt" in done.stderr
    assert run("grade", tmp_path / "absent").returncode == 2
    assert run("grade").returncode == 2
    assert run("grade", REPO / "solutions", "--timeout", "-1").returncode == 2


def test_syntax_error_gets_file_and_line(tmp_path):
    entry = ("syntax", [("losses.py", "import numpy as np", "import numpy as np\ndef broken(:")])
    root = apply_hostile(entry, tmp_path / "sub")
    results = tmp_path / "r.json"
    done = run("grade", root, "--results", results, "--timeout", "2")
    assert done.returncode == 0
    assert done.stdout.strip().splitlines()[-1] == f"Score: 0 / {TOTAL:g}"
    output = json.loads(results.read_text())["tests"][0]["output"]
    assert "SyntaxError" in output and "nn100/losses.py, line" in output


def test_forged_output_does_not_reach_the_report(tmp_path):
    entry = next(e for e in HOSTILE if e[0] == "forge_lines_on_every_fd")
    root = apply_hostile(entry, tmp_path / "sub")
    results = tmp_path / "r.json"
    done = run("grade", root, "--results", results, "--timeout", "2")
    assert done.returncode == 0
    scores = [line for line in done.stdout.splitlines() if line.startswith("Score:")]
    assert len(scores) == 1 and scores[0] != f"Score: {TOTAL:g} / {TOTAL:g}"
    assert json.loads(results.read_text())["score"] < TOTAL


def test_list_tests_names_every_hidden_test():
    done = run("list-tests")
    names = done.stdout.strip().splitlines()
    assert done.returncode == 0 and len(names) == len(set(names)) > 100
    from autograder import tests_catalog
    assert names == tests_catalog()
    assert {name.split(":")[0] for name in names} == set(course.load().units)


def test_a_course_file_given_with_course_changes_specs_hints_and_visibility(tmp_path):
    """--course FILE is honoured end to end: a Linear whose bias gradient is averaged, graded
    with the shipped course and with a copy that changes Linear's spec (its gradient
    bound), the course's hint mode and Linear's visibility, sees each of them change."""
    from mutants import MUTANTS, apply_mutant
    mutant = next(m for m in MUTANTS if m[0] == "linear_bias_grad_not_summed")
    submission = apply_mutant(mutant, tmp_path / "student")
    text = course.COURSE_FILE.read_text()
    changed = (text.replace('hints = "concept"', 'hints = "answer"', 1)
               .replace('bound = 1e-12\nparams = { weights', 'bound = 1e-11\nparams = { weights', 1)
               .replace('[units.Linear]\nkind = "layer"',
                        '[units.Linear]\nkind = "layer"\nvisibility = "after_due_date"', 1))
    assert changed.count("bound = 1e-11") == 1 and 'visibility = "after_due_date"' in changed
    modified = tmp_path / "course.toml"
    modified.write_text(changed)
    tests = {}
    for name, extra in (("shipped", []), ("modified", ["--course", modified])):
        results = tmp_path / f"{name}.json"
        done = run("grade", submission, "--assignment", 1, "--results", results, *extra)
        assert done.returncode == 0, done.stderr
        tests[name] = {t["name"]: t for t in json.loads(results.read_text())["tests"]}
    bias = "Linear: bias gradient matches the reference"
    assert "the bound 1e-12" in tests["shipped"][bias]["output"]
    assert "the bound 1e-11" in tests["modified"][bias]["output"]             # the spec
    assert "Answer:" not in tests["shipped"][bias]["output"]
    assert "Answer:" in tests["modified"][bias]["output"]                     # the hint mode
    assert {t["visibility"] for n, t in tests["shipped"].items() if n.startswith("Linear")} \
        == {"visible"}
    assert {t["visibility"] for n, t in tests["modified"].items() if n.startswith("Linear")} \
        == {"after_due_date"}                                                  # the visibility
