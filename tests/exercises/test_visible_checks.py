"""The visible checks and `make check`: all pass on the reference, all "not started" on the
stubs, and they do catch a wrong body."""
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tools.student_exercises import CHECKPOINTS, EXERCISES, all_numbers

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # nothing written into the source tree


def run_check(*arguments, cwd=ROOT):
    result = subprocess.run([sys.executable, "-m", "tools.check", *arguments], cwd=cwd,
                            capture_output=True, text=True, env=ENV, timeout=300)
    return result.returncode, result.stdout + result.stderr


def statuses(output: str) -> dict[str, str]:
    """{number: status} from the table tools.check prints."""
    found = {}
    for line in output.splitlines():
        match = re.match(r"\s+((?:\d+|C)\.\d+)\s+.*?\s{2}"
                         r"(passing|FAILING|not judged|not started|not yet|no checks)\b", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_every_visible_check_passes_on_the_reference():
    # make check's speed is a figure, not an assertion here (a loaded machine would fail it)
    code, output = run_check("--root", "solutions")
    assert code == 0, output
    assert statuses(output) == {number: "passing" for number in all_numbers()}, output


def test_the_untouched_stubs_are_all_not_started_and_nothing_fails():
    code, output = run_check()
    assert code == 0, output
    found = statuses(output)
    assert {found[e.number] for e in EXERCISES} == {"not started"}, output
    assert {found[number] for number in CHECKPOINTS} == {"not yet"}, output
    assert "Traceback" not in output and "ERROR" not in output, output


def student_copy(tmp_path, bodies: dict[str, str]) -> Path:
    """exercises/nn100 copied into tmp_path, each stub named in ``bodies`` replaced by its
    body (at the stub's indentation)."""
    shutil.copytree(ROOT / "exercises" / "nn100", tmp_path / "nn100")
    for path in (tmp_path / "nn100").glob("*.py"):
        lines = path.read_text().splitlines(keepends=True)
        for index, line in enumerate(lines):
            for stub, body in bodies.items():
                if f'NotImplementedError("Exercise {stub}' in line:
                    indent = line[:len(line) - len(line.lstrip())]
                    lines[index] = "".join(indent + part + "\n" for part in body.splitlines())
        path.write_text("".join(lines))
    return tmp_path


# Typical slips, each in a different exercise, checked in one run (the run is the slow part).
WRONG_BODIES = {
    "1.5": ("Y = 1 / (1 + np.exp(X))", "Sigmoid.forward: got"),
    "2.1": ("diff = Yp - Yt\nreturn float(np.mean(diff * diff)), diff / diff.size",
            "mse_loss: gradient"),
    "2.2": ("param.tensor = param.tensor - self.lr * param.gradient", "should be zeroed"),
    # backward that overwrites the gradients instead of adding to them
    "1.2": ("self.weights.gradient[...] = X.T @ D\nself.bias.gradient[...] = D.sum(axis=0)\n"
            "return D @ self.weights.tensor.T", "should double"),
}


def test_wrong_bodies_are_reported_failing_with_their_reason(tmp_path):
    bodies = {number: body for number, (body, _) in WRONG_BODIES.items()}
    bodies["1.1"] = "Y = X @ self.weights.tensor + self.bias.tensor"  # right, so 1.2 can run
    code, output = run_check("--root", str(student_copy(tmp_path, bodies)))
    assert code == 1, output
    found = statuses(output)
    assert found["1.1"] == "passing", output
    for number, (_, reason) in WRONG_BODIES.items():
        row = next(line for line in output.splitlines() if line.startswith(f"  {number} "))
        assert found[number] == "FAILING" and reason in row, row
    # one diagnosis per bug: the rest of a unit with a failing exercise is not judged
    broken_units = {e.unit for e in EXERCISES if e.number in WRONG_BODIES}
    for exercise in EXERCISES:
        if exercise.number not in bodies:
            expected = "not judged" if exercise.unit in broken_units else "not started"
            assert found[exercise.number] == expected, (exercise.number, output)


def test_one_exercise_at_a_time_shows_its_details(tmp_path):
    root = student_copy(tmp_path, {"2.1": WRONG_BODIES["2.1"][0]})
    code, output = run_check("--root", str(root), "--exercise", "2.1")
    assert code == 1 and statuses(output) == {"2.1": "FAILING"}, output
    assert "test_mse_by_hand" in output and "Traceback" not in output, output


def test_a_package_that_does_not_import_is_reported_once(tmp_path):
    root = student_copy(tmp_path, {"2.1": "return ("})
    code, output = run_check("--root", str(root))
    assert code == 1
    assert "does not import" in output and "SyntaxError" in output, output


def test_unknown_exercise_is_a_usage_error():
    code, output = run_check("--exercise", "9.9")
    assert code == 2 and "no exercise '9.9'" in output


def checks_with_time_limit(tmp_path, seconds: int) -> Path:
    """A copy of the visible checks whose pytest.ini stops a check after ``seconds``."""
    checks = tmp_path / "checks"
    shutil.copytree(ROOT / "exercises" / "checks", checks,
                    ignore=shutil.ignore_patterns("__pycache__"))
    ini = checks / "pytest.ini"
    text, count = re.subn(r"(?m)^timeout = \d+$", f"timeout = {seconds}", ini.read_text())
    assert count == 1, "exercises/checks/pytest.ini should set one timeout"
    ini.write_text(text)
    return checks


def test_a_check_stops_after_ten_seconds():
    ini = (ROOT / "exercises" / "checks" / "pytest.ini").read_text()
    assert re.search(r"(?m)^timeout = 10$", ini), ini


def test_an_infinite_loop_is_named_with_its_line_and_the_rest_of_the_unit_not_judged(tmp_path):
    root = student_copy(tmp_path / "student", {"2.4": "while True:\n    pass"})
    checks = checks_with_time_limit(tmp_path, 2)
    process = subprocess.Popen([sys.executable, "-m", "tools.check", "--root", str(root),
                                "--checks", str(checks)], cwd=ROOT, env=ENV, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []
    for line in process.stdout:  # the rows come as the checks run, not all at the end
        lines.append(line)
        if line.startswith("  2.3 "):
            assert process.poll() is None, "the 2.3 row came only when everything had run"
    output = "".join(lines)
    assert process.wait(timeout=60) == 1, output
    row = next(line for line in lines if line.startswith("  2.4 "))
    assert "FAILING" in row and "did not finish within 2 s: an infinite loop?" in row, row
    assert re.search(r"nn100/learner\.py, line \d+", row), row
    found = statuses(output)
    assert found["2.5"] == "not judged" and "(2.4 fails first)" in output, output
    assert {found[number] for number in CHECKPOINTS} == {"not judged"}, output


def test_a_crash_names_the_line_of_the_package_where_it_happened(tmp_path):
    root = student_copy(tmp_path, {"1.1": "Y = X @ self.weights.tensor.T + self.bias.tensor"})
    code, output = run_check("--root", str(root), "--exercise", "1.1")
    row = next(line for line in output.splitlines() if line.startswith("  1.1 "))
    assert code == 1 and "FAILING" in row and "ValueError" in row, output
    line = next(number for number, text in enumerate(
        (root / "nn100" / "layers.py").read_text().splitlines(), 1)
        if "Y = X @ self.weights.tensor.T" in text)
    assert row.endswith(f"(raised at nn100/layers.py, line {line})"), row


def test_a_later_exercise_of_a_failing_unit_is_not_judged_unless_run_alone(tmp_path):
    """im2col (7.1) flattening each patch channel last: col2im (7.3), of the same unit,
    is right, but reads "not judged" in the chapter's run and "passing" alone."""
    shutil.copytree(ROOT / "solutions" / "nn100", tmp_path / "nn100",
                    ignore=shutil.ignore_patterns("__pycache__"))
    conv = tmp_path / "nn100" / "conv.py"
    text = conv.read_text()
    assert text.count(".transpose(0, 2, 3, 1, 4, 5)") == 1
    conv.write_text(text.replace(".transpose(0, 2, 3, 1, 4, 5)", ".transpose(0, 2, 3, 4, 5, 1)"))
    code, output = run_check("--root", str(tmp_path), "--exercise", "7")
    found = statuses(output)
    assert code == 1 and found["7.1"] == "FAILING" and "2-channel" in output, output
    assert found["7.3"] == "not judged" and "(7.1 fails first)" in output, output
    code, output = run_check("--root", str(tmp_path), "--exercise", "7.3")
    assert code == 0 and statuses(output) == {"7.3": "passing"}, output


def test_a_loop_that_swallows_the_interruption_still_ends_the_run(tmp_path):
    """A bare `except:` in the loop catches the time limit's interruption; the watchdog
    then ends make check after twice the limit, with the row and the line."""
    # the inner loop, where the interruption lands, lies wholly inside the try
    body = ("while True:\n    try:\n        while True:\n            pass\n"
            "    except:\n        continue")
    root = student_copy(tmp_path / "student", {"2.4": body})
    checks = checks_with_time_limit(tmp_path, 1)
    start = time.monotonic()
    code, output = run_check("--root", str(root), "--checks", str(checks))
    assert code == 1 and time.monotonic() - start < 60, output
    row = next(line for line in output.splitlines() if line.startswith("  2.4 "))
    assert "FAILING" in row and "even when interrupted at 1 s" in row, row
    assert re.search(r"nn100/learner\.py, line \d+", row), row
    assert "make check stopped there" in output, output
