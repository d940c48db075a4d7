"""grade-all end to end with a fake grader: rows, statuses, reports, resume, kill -9."""
import csv
import json
import os
import signal
import subprocess
import sys
import time

from autograder.sandbox.processes import processes
from classgrading_support import FAKE_EXPECTED, ROOT, solved


def grade_all(class_dir, gradebook, command, *extra, env=None, cwd=ROOT):
    env = dict(env or os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "autograder.classroom.grade_all", str(class_dir),
                           "--gradebook", str(gradebook), "--grade-command", command, *extra],
                          cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


def rows(gradebook):
    with open(gradebook, newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_student_gets_one_row_with_score_and_reason(fake_class, fake_grade_command, tmp_path):
    gradebook = tmp_path / "out" / "gradebook.csv"
    run = grade_all(fake_class, gradebook, fake_grade_command, "--jobs", "2")
    assert run.returncode == 0, run.stderr
    table = rows(gradebook)
    assert [r["student"] for r in table] == sorted(FAKE_EXPECTED)
    for row in table:
        assert (row["score"], row["status"]) == FAKE_EXPECTED[row["student"]], row
        assert row["max_score"] == "20"
    by_student = {r["student"]: r for r in table}
    assert (by_student["bob"]["Linear"], by_student["bob"]["ReLU"],
            by_student["bob"]["Learner"]) == ("5", "5", "5")
    assert "killed by SIGKILL" in by_student["carol"]["reason"]
    assert "empty" in by_student["erin"]["reason"]
    assert "cannot be opened" in by_student["frank"]["reason"]
    reports = tmp_path / "out" / "reports"
    for student in FAKE_EXPECTED:
        assert (json.loads((reports / student / "results.json").read_text())
                ["extra_data"]["classroom"]["student"] == student)
        assert (reports / student / "report.html").stat().st_size > 500
    seen = [json.loads((reports / s / "results.json").read_text())["extra_data"].get("fake_seen")
            for s in FAKE_EXPECTED]
    seen = [entry for entry in seen if entry]
    assert len(seen) == 4  # alice, bob, dan, grace reached the grader
    for key in ("cwd", "path"):  # every student got its own working folder and copy
        assert len({entry[key] for entry in seen}) == len(seen)
        assert all(str(reports / ".work") in entry[key] for entry in seen)
    summary = (tmp_path / "out" / "summary.html").read_text()
    assert "Checks failed most often" in summary and "Linear: check 0" in summary
    assert not (reports / ".work").exists(), "working folders must be removed"


def test_second_run_grades_only_what_changed(fake_class, fake_grade_command, tmp_path):
    gradebook = tmp_path / "gradebook.csv"
    # relative paths, as `make grade-all` passes them
    first = grade_all(fake_class.relative_to(tmp_path), "gradebook.csv", fake_grade_command,
                      cwd=tmp_path)
    assert first.returncode == 0 and rows(gradebook)[0]["status"] == "graded", first.stderr
    alice = tmp_path / "reports" / "alice" / "results.json"
    before = {p.parent.name: p.stat().st_mtime_ns
              for p in (tmp_path / "reports").glob("*/results.json")}
    first_alice = alice.read_text()
    # alice resubmits with a bug; a new student arrives
    layers = fake_class / "alice" / "nn100" / "layers.py"
    layers.write_text(layers.read_text() + "\n# FAKE_BUG\n")
    solved(fake_class / "hank")
    run = grade_all(fake_class, gradebook, fake_grade_command)
    assert run.returncode == 0, run.stderr
    assert "6 already graded, 2 to grade" in run.stderr
    table = {r["student"]: r for r in rows(gradebook)}
    assert len(table) == len(FAKE_EXPECTED) + 1
    assert table["alice"]["score"] == "15" and table["hank"]["score"] == "20"
    assert alice.read_text() != first_alice
    for student in ("bob", "carol", "erin", "frank"):  # unchanged: not graded again
        assert ((tmp_path / "reports" / student / "results.json").stat().st_mtime_ns
                == before[student])


def _children_of_test(marker: str) -> list[int]:
    """Processes whose command line mentions ``marker`` (this test's own folder)."""
    return [p.pid for p in processes() if marker in p.cmdline() and "fake_grade" in p.cmdline()]


def test_kill_9_mid_run_then_resume_gives_one_row_per_student(tmp_path, fake_grade_command):
    class_dir = tmp_path / "class"
    class_dir.mkdir()
    students = [f"st{i:02d}" for i in range(10)]
    for i, student in enumerate(students):
        solved(class_dir / student, "FAKE_BUG" if i % 3 == 0 else "")
    gradebook = tmp_path / "gradebook.csv"
    env = dict(os.environ, FAKE_GRADE_DELAY="0.4")
    command = [sys.executable, "-m", "autograder.classroom.grade_all", str(class_dir),
               "--gradebook", str(gradebook), "--grade-command", fake_grade_command, "--jobs", "2"]
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    reports = tmp_path / "reports"
    deadline = time.monotonic() + 60
    while len(list(reports.glob("*/results.json"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    done_before = len(list(reports.glob("*/results.json")))
    assert 3 <= done_before < len(students), "the kill must land mid-run"
    # The graders it had started die with it instead of grading on as orphans.
    deadline = time.monotonic() + 10
    while _children_of_test(str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _children_of_test(str(tmp_path)) == []
    # The gradebook left behind is whole (rebuilt atomically after each student); it may
    # lag the results by the students whose result was saved just before the kill.
    partial = rows(gradebook)
    assert len(partial) == len(students)
    assert done_before - 2 <= sum(r["status"] == "graded" for r in partial) <= done_before

    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert f"{done_before} already graded, {len(students) - done_before} to grade" in second.stderr
    table = rows(gradebook)
    assert [r["student"] for r in table] == students
    for i, row in enumerate(table):
        assert row["status"] == "graded"
        assert row["score"] == ("15" if i % 3 == 0 else "20"), row


def test_a_second_run_on_the_same_gradebook_is_refused_while_one_runs(fake_class,
                                                                      fake_grade_command, tmp_path):
    gradebook = tmp_path / "gradebook.csv"
    env = dict(os.environ, FAKE_GRADE_DELAY="1")
    first = subprocess.Popen([sys.executable, "-m", "autograder.classroom.grade_all",
                              str(fake_class), "--gradebook", str(gradebook),
                              "--grade-command", fake_grade_command, "--jobs", "1"],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not gradebook.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        second = grade_all(fake_class, gradebook, fake_grade_command)
        assert second.returncode == 2 and "another grade-all" in second.stderr
    finally:
        first.kill()
        first.wait()


def test_a_hung_grader_is_stopped_at_the_student_timeout(tmp_path, fake_grade_command):
    class_dir = tmp_path / "class"
    solved(class_dir / "sleepy", "FAKE_SLEEP")
    solved(class_dir / "fine")
    gradebook = tmp_path / "gradebook.csv"
    started = time.monotonic()
    run = grade_all(class_dir, gradebook, fake_grade_command, "--student-timeout", "2")
    assert run.returncode == 0, run.stderr
    assert time.monotonic() - started < 30
    table = {r["student"]: r for r in rows(gradebook)}
    assert table["sleepy"]["status"] == "timeout" and "longer than 2 s" in table["sleepy"]["reason"]
    assert table["fine"]["score"] == "20"


def test_shards_graded_apart_merge_into_one_gradebook(fake_class, fake_grade_command, tmp_path):
    """Two machines grade alternate students; their reports copied together give the class."""
    import shutil
    for k in (0, 1):
        run = grade_all(fake_class, tmp_path / f"m{k}" / "gradebook.csv", fake_grade_command,
                        "--shard", f"{k}/2")
        assert run.returncode == 0, run.stderr
        statuses = [r["status"] for r in rows(tmp_path / f"m{k}" / "gradebook.csv")]
        assert statuses.count("pending") == (3 if k == 0 else 4)
    merged = tmp_path / "merged" / "reports"
    for k in (0, 1):
        shutil.copytree(tmp_path / f"m{k}" / "reports", merged, dirs_exist_ok=True)
    run = grade_all(fake_class, tmp_path / "merged" / "gradebook.csv", fake_grade_command)
    assert "7 already graded, 0 to grade" in run.stderr
    table = rows(tmp_path / "merged" / "gradebook.csv")
    assert {r["student"]: (r["score"], r["status"]) for r in table} == FAKE_EXPECTED


def test_processes_left_behind_by_a_dead_grader_are_killed(tmp_path, fake_grade_command):
    class_dir = tmp_path / "class"
    solved(class_dir / "orphaner", "FAKE_ORPHAN")
    run = grade_all(class_dir, tmp_path / "gradebook.csv", fake_grade_command)
    assert run.returncode == 0, run.stderr
    assert rows(tmp_path / "gradebook.csv")[0]["status"] == "grader-error"
    leftovers = [p.pid for p in processes()
                 if "orphan-of" in p.cmdline() and str(tmp_path) in p.cmdline()]
    assert leftovers == []
