"""A term end to end, as the issue's "done means" puts it: a Canvas download with one
late student, one extension and one disguised copy of another student (found by the
similarity check of the same run), then three regrades that each change one thing of
course.toml — the late policy, a hint, a unit's points — none of which runs the grader
again (the fake grader in its course mode logs every run). After every step the
gradebook, the Canvas and Moodle exports, the Moodle comments, the summary and each
student's report and results.json are checked against each other; the similarity
report's pair against the gradebook, the exports, the reports and the history."""
import csv
import html
import json
import re

from autograder.classroom import similarity
from autograder.grading.report import fmt
from term_support import LINEAR_FORWARD, Term

LATE_BY_TWO_DAYS = "2026-09-16T12:00:00Z"
EXTENDED = "2026-09-17T12:00:00Z"


def text(path):
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", path.read_text()).split()))


def consistent(term):
    """Every place a score is shown agrees with the stored result and the late figures;
    returns {student: (earned, penalty percent, final)} as the results hold them."""
    book = term.book()
    with open(term.out / "canvas.csv", newline="") as handle:
        canvas = {line[1]: line[-1] for line in list(csv.reader(handle))[2:]}
    with open(term.out / "moodle.csv", newline="") as handle:
        moodle = {row["Identifier"].removeprefix("Participant "): row
                  for row in csv.DictReader(handle)}
    summary = text(term.out / "summary.html")
    figures = {}
    for student in term.ids:
        result = json.loads((term.out / "reports" / student / "results.json").read_text())
        info = result["extra_data"]["classroom"]
        earned, penalty = result["score"], info.get("penalty_percent", 0)
        final = fmt(earned * (1 - penalty / 100))
        assert (book[student]["score"] == canvas[student] == moodle[student]["Grade"]
                == final), student
        assert (book[student]["penalty_percent"] == fmt(penalty)
                and book[student]["due"] == info["due"])
        # the students' table: id, name, final score, out of, percent, status
        assert re.search(rf"\b{student} .*? {re.escape(final)} [\d.]+ [\d.]+ % graded", summary)
        report = text(term.out / "reports" / student / "report.html")
        assert f"Score: {final} / {fmt(result['max_score'])}" in report
        assert f"Final score {final} / {fmt(result['max_score'])}" in report
        assert f"Late penalty {fmt(penalty)} %" in report and f"Due {info['due']}" in report
        comment = moodle[student]["Feedback comments"]
        if penalty:
            assert (f"-{fmt(penalty)} % gives {final} / {fmt(result['max_score'])}"
                    in comment), comment
        else:
            assert comment.startswith(f"{fmt(earned)} / {fmt(result['max_score'])}, on time"), \
                comment
        for test in result["tests"]:  # the hints the report shows are the results'
            hint = test["output"].partition("\nHint: ")[2]
            if hint and test["visibility"] != "hidden":
                assert f"Hint: {hint}" in report
        figures[student] = (earned, penalty, final)
    return figures


def copied_pair(term, first):
    """The similarity report's most similar pair is the copy and its original, flagged,
    named as the gradebook names them; both are graded and paid alike everywhere."""
    original, copy = term.ids[0], term.ids[4]
    with open(term.out / "similarity.csv", newline="") as handle:
        pairs = list(csv.DictReader(handle))
    book = term.book()
    labels = {s: f"{s} ({book[s]['name']})" for s in term.ids}
    top = pairs[0]
    assert {top["student_a"], top["student_b"]} == {labels[original], labels[copy]}, pairs[:3]
    assert top["flagged"] == "yes" and float(top["score"]) >= similarity.THRESHOLD
    assert all(row["flagged"] == "" for row in pairs[1:]), pairs[1:]  # no honest pair flagged
    page = text(term.out / "similarity.html")
    assert f"1. {labels[original]} and {labels[copy]}" in page or \
        f"1. {labels[copy]} and {labels[original]}" in page
    # what the copy earns, it earns in every place a grade is shown (consistent() holds
    # the places to each other): the original's full marks, on time
    assert first[copy] == first[original] and first[copy][1] == 0
    assert book[copy]["status"] == book[original]["status"] == "graded"
    with open(term.out / "history.csv", newline="") as handle:
        history = [row for row in csv.DictReader(handle) if row["student"] in (original, copy)]
    assert sorted((r["student"], r["new_score"], r["why"]) for r in history) == sorted(
        (s, first[s][2], "first graded") for s in (original, copy))


def test_a_term_of_regrades_that_run_nothing(tmp_path):
    times = ["on time", LATE_BY_TWO_DAYS, LATE_BY_TWO_DAYS, "on time", "on time"]
    term = Term(tmp_path, times=times, disguised_copy=True)
    ontime, late, extended, stub, copy = term.ids
    (tmp_path / "extensions.csv").write_text(f"student,due\n{extended},{EXTENDED}\n")
    options = ("--extensions", tmp_path / "extensions.csv",
               "--export", "canvas", term.out / "canvas.csv")
    log, runs = term.grade(*options, "--similarity")
    assert runs == 5, log
    first = consistent(term)
    copied_pair(term, first)
    assert first[late][1] == 20 and first[extended][1] == 0 and first[ontime][1] == 0
    assert first[late][0] < first[ontime][0]  # the late one is also the FAKE_BUG one
    assert "(your extension)" in text(term.out / "reports" / extended / "report.html")

    # 1. only the late policy: penalties recomputed, nothing run
    term.edit("penalty_per_day = 10", "penalty_per_day = 15")
    log, runs = term.grade(*options)
    assert runs == 0 and "5 already graded, 0 to grade" in log and "1 reports rewritten" in log, log
    second = consistent(term)
    assert second[late] == (first[late][0], 30, fmt(first[late][0] * 0.7))
    assert {s: second[s] for s in (ontime, extended, stub, copy)} == {
        s: first[s] for s in (ontime, extended, stub, copy)}

    # 2. only a hint: the feedback rebuilt from the stored results, nothing run
    term.edit("forward = { concept = \"", "forward = { concept = \"(this term) ",
              after="[units.Linear.hints]")
    log, runs = term.grade(*options)
    assert runs == 0 and "because the hints or visibilities changed (5)" in log, log
    assert consistent(term) == second
    assert f"Hint: (this term) {LINEAR_FORWARD}" in text(
        term.out / "reports" / late / "report.html")

    # 3. only a unit's points: rescored from the stored results, nothing run
    total = re.search(r"\ntotal = (\d+)", term.course.read_text()).group(1)
    term.edit("points = 10", "points = 20", after="[units.Linear]")
    term.edit(f"\ntotal = {total}", f"\ntotal = {int(total) + 10}")
    log, runs = term.grade(*options)
    assert runs == 0 and "because the points changed (5)" in log, log
    third = consistent(term)
    assert third[late][0] != second[late][0] and third[late][1] == 30
    assert third[ontime] == second[ontime]  # full marks stay full marks
    assert third[copy] == third[ontime]  # and so do the copy's
    assert f"Hint: (this term) {LINEAR_FORWARD}" in text(
        term.out / "reports" / late / "report.html")

    # and nothing left stale: the same command again does nothing at all
    log, runs = term.grade(*options)
    assert runs == 0 and "already graded, 0 to grade" in log and "rewritten" not in log, log
    assert "brought up to date" not in log
