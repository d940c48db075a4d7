"""Item analysis and history: the students x checks CSV, the regrade history, and the
summary page (titles, names, late columns, percentages, links, sorting in a browser)."""

import csv
import io
import os
import re
import shutil
import subprocess
import sys

import pytest

from autograder.classroom import class_records
from autograder.classroom.settings import ClassSettings
from autograder.classroom.summary import write_summary
from classgrading_support import ROOT

EVIL = '<script>alert("x")</script>'


def check(name, score, max_score):
    return {
        "name": name,
        "score": score,
        "max_score": max_score,
        "status": "passed" if score >= max_score else "failed",
    }


def result(tests, status="graded", **info):
    return {
        "score": sum(t["score"] for t in tests),
        "max_score": sum(t["max_score"] for t in tests) or 10,
        "tests": tests,
        "extra_data": {"classroom": {"status": status, **info}},
    }


CHECKS = [("Linear: forward", 2), ("Linear: bias gradient", 4), ("ReLU: backward", 3)]


def scored(*points, **info):
    return result(
        [check(name, got, out_of) for (name, out_of), got in zip(CHECKS, points, strict=True)],
        **info,
    )


def table(text):
    return list(csv.reader(io.StringIO(text)))


def test_checks_csv_has_a_column_per_check_and_blanks_for_the_ungraded():
    results = {
        "alice": scored(2, 4, 3),
        "bob": scored(2, 0, 1.5),
        "carol": result([], status="bad-zip"),
    }
    rows = table(
        class_records.render_checks(
            ["alice", "bob", "carol", "dan"], results, {"bob": {"name": "Bob Liskov"}}
        )
    )
    assert rows[0] == [
        "student",
        "name",
        "status",
        "Linear: forward",
        "Linear: bias gradient",
        "ReLU: backward",
    ]
    assert rows[1] == ["points possible", "", "", "2", "4", "3"]
    assert rows[2] == ["alice", "", "graded", "2", "4", "3"]
    assert rows[3] == ["bob", "Bob Liskov", "graded", "2", "0", "1.5"]
    # Not gradable or not graded yet: no points to analyse, not zeros on every check.
    assert rows[4] == ["carol", "", "bad-zip", "", "", ""]
    assert rows[5] == ["dan", "", "pending", "", "", ""]


def test_history_records_first_grades_regrades_and_penalty_changes_with_why(tmp_path):
    path = tmp_path / "history.csv"
    first = {
        "alice": scored(2, 4, 3, graded_at="T1", digest="aaaa"),
        "bob": scored(2, 0, 1, graded_at="T1", digest="bbbb"),
    }
    added = class_records.update_history(
        path, ["alice", "bob"], first, {"alice": {"name": "Alice Hopper"}}
    )
    assert [(r["student"], r["old_score"], r["new_score"], r["why"]) for r in added] == [
        ("alice", "", "9", "first graded"),
        ("bob", "", "3", "first graded"),
    ]
    assert class_records.update_history(path, ["alice", "bob"], first, {}) == []  # nothing changed

    second = {
        "alice": scored(2, 4, 3, graded_at="T1", digest="aaaa", penalty_percent=10),
        "bob": scored(
            2, 4, 3, graded_at="T2", digest="cccc", regraded_because="the submission changed"
        ),
    }
    added = class_records.update_history(path, ["alice", "bob"], second, {})
    assert [(r["student"], r["old_score"], r["new_score"], r["why"]) for r in added] == [
        ("alice", "9", "8.1", "late penalty recomputed (0 % before, 10 % now)"),
        ("bob", "3", "9", "the submission changed"),
    ]
    third = {
        "alice": second["alice"],
        "bob": scored(
            2, 4, 3, graded_at="T3", digest="cccc", regraded_because="the reference changed"
        ),
    }
    class_records.update_history(path, ["alice", "bob"], third, {})
    bob = class_records.history_of(path, "bob")
    assert [(r["old_score"], r["new_score"], r["why"]) for r in bob] == [
        ("", "3", "first graded"),
        ("3", "9", "the submission changed"),
        ("9", "9", "the reference changed"),
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["when"]) for r in bob)
    assert class_records.history_of(path, "alice")[0]["name"] == "Alice Hopper"


def summary_page(tmp_path, people=None):
    out = tmp_path / "out"
    (out / "reports" / "s1").mkdir(parents=True)
    (out / "reports" / "s1" / "report.html").write_text("report")
    (out / "reports" / "s2").mkdir()
    (out / "reports" / "s2" / "report.html").write_text("report")
    results = {
        "s1": scored(2, 4, 3, submitted_at="2026-09-14T22:00:00Z"),
        "s2": scored(2, 0, 3, submitted_at="2026-09-16T10:00:00Z", days_late=2, penalty_percent=20),
        "s3": result(
            [], status="not-submitted", reason="on the roster, but no submission was found"
        ),
    }
    settings = ClassSettings(
        people=people
        if people is not None
        else {"s1": {"name": "Ada Lovelace"}, "s2": {"name": EVIL}, "s3": {"name": "Alan Turing"}},
        course_title="nn100",
        assignment_title="Assignment 2: Activations",
    )
    write_summary(
        out / "summary.html",
        ["s1", "s2", "s3"],
        results,
        out / "reports",
        out / "gradebook.csv",
        settings,
    )
    return out / "summary.html"


def students_rows(page: str) -> list[list[str]]:
    body = page.split('<table id="students"', 1)[1].split("</table>", 1)[0]
    return [
        re.findall(r"<td[^>]*>(.*?)</td>", row)
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.split("<tbody>")[1])
    ]


def test_summary_has_titles_names_late_columns_percentages_and_links_only_to_reports(tmp_path):
    page = summary_page(tmp_path).read_text()
    assert "<title>nn100: Assignment 2: Activations</title>" in page
    assert "<h1>nn100: Assignment 2: Activations</h1>" in page
    assert re.findall(r'<th data-type="\w+"[^>]*>(.*?)</th>', page) == [
        "Student",
        "Name",
        "Score",
        "Out of",
        "%",
        "Status",
        "Submitted at",
        "Days late",
        "Penalty %",
    ]
    rows = students_rows(page)
    assert rows[0] == [
        '<a href="reports/s1/report.html">s1</a>',
        "Ada Lovelace",
        "9",
        "9",
        "100.0 %",
        "graded",
        "2026-09-14T22:00:00Z",
        "",
        "",
    ]
    # s2's final score is after its 20 % penalty, out of the same 9 points.
    assert rows[1] == [
        '<a href="reports/s2/report.html">s2</a>',
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;",
        "4",
        "9",
        "44.4 %",
        "graded",
        "2026-09-16T10:00:00Z",
        "2",
        "20",
    ]
    # Nothing submitted, no report: no link to a page that does not exist.
    assert rows[2][:2] == ["s3", "Alan Turing"] and rows[2][5] == "not-submitted"
    assert "<script>alert" not in page


def _browser():
    return (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium, from the distribution's packages. Missing, it is installed
    when NN100_INSTALL_BROWSER=1 (CI: apt-get install -y chromium, as root or through
    sudo); otherwise the browser tests are skipped, saying how to get it."""
    found = _browser()
    if not found and os.environ.get("NN100_INSTALL_BROWSER") == "1":
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run(
            [*sudo, "apt-get", "install", "-y", "--no-install-recommends", "chromium"],
            check=False,
            capture_output=True,
            timeout=900,
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
        )
        found = _browser()
    if not found and os.environ.get("CI"):  # CI installs it (make test): never a silent skip
        pytest.fail("no headless Chromium in CI: `make browser` should have installed it")
    if not found:
        pytest.skip(
            "no headless Chromium: apt-get install chromium (or run with NN100_INSTALL_BROWSER=1)"
        )
    return found


def headless(browser, *args, timeout=120):
    flags = [
        browser,
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        "--disable-dev-shm-usage",
        *(["--no-sandbox"] if os.geteuid() == 0 else []),
        *args,
    ]
    return subprocess.run(flags, capture_output=True, text=True, timeout=timeout)


def test_the_students_table_sorts_in_a_real_browser(tmp_path, browser):
    page = summary_page(
        tmp_path,
        {
            "s1": {"name": "Ada Lovelace"},
            "s2": {"name": "Grace Hopper"},
            "s3": {"name": "Alan Turing"},
        },
    )
    # Click "Score" once (ascending), then "Name" twice (descending), as a reader would.
    clicked = page.with_name("clicked.html")
    clicker = (
        "<script>var th = document.querySelectorAll('#students th');"
        "th[2].click(); window.byScore = "
        "Array.from(document.querySelectorAll('#students tbody tr'))"
        ".map(r => r.cells[0].textContent).join(',');"
        "th[1].click(); th[1].click(); document.title = window.byScore + '|' + "
        "Array.from(document.querySelectorAll('#students tbody tr'))"
        ".map(r => r.cells[0].textContent).join(',');"
        "</script>"
    )
    clicked.write_text(page.read_text().replace("</body>", clicker + "</body>"))
    run = headless(browser, "--dump-dom", clicked.as_uri())
    title = re.search(r"<title>(.*?)</title>", run.stdout)
    assert title, run.stderr[-2000:]
    by_score, by_name = title.group(1).split("|")
    # s3 submitted nothing (0 points), s2 has 4 after its penalty, s1 9.
    assert by_score == "s3,s2,s1"
    assert by_name == "s2,s3,s1"  # Grace Hopper, Alan Turing, Ada Lovelace
    shot = tmp_path / "summary.png"
    headless(browser, f"--screenshot={shot}", "--window-size=1200,900", page.as_uri())
    assert shot.is_file() and shot.read_bytes()[:4] == b"\x89PNG"


def test_grade_all_keeps_checks_csv_and_the_history_beside_the_gradebook(
    fake_class, fake_grade_command, tmp_path
):
    """Two runs of grade-all: the history says who was graded first, and why bob's
    score changed when he resubmitted; nobody else gains a row."""

    def run():
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "autograder",
                "grade-all",
                str(fake_class),
                "--gradebook",
                str(tmp_path / "out" / "gradebook.csv"),
                "--grade-command",
                fake_grade_command,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
        )
        assert done.returncode == 0, done.stderr

    run()
    history = tmp_path / "out" / "history.csv"
    first = class_records.read_history(history)
    assert {r["student"]: (r["new_score"], r["why"]) for r in first}["bob"] == (
        "15",
        "first graded",
    )
    layers = fake_class / "bob" / "nn100" / "layers.py"
    layers.write_text(layers.read_text().replace("FAKE_BUG", "fixed"))
    run()
    added = class_records.read_history(history)[len(first) :]
    assert [(r["student"], r["old_score"], r["new_score"], r["why"]) for r in added] == [
        ("bob", "15", "20", "the submission changed")
    ]
    with open(tmp_path / "out" / "checks.csv", newline="") as handle:
        rows = {row[0]: row for row in csv.reader(handle)}
    assert (
        rows["points possible"][:3] == ["points possible", "", ""] and rows["alice"][2] == "graded"
    )
