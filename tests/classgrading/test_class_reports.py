"""Feedback pages and the class summary: content, escaping, figures; the CSV."""
import base64
import csv
import io
import re
from pathlib import Path

from autograder.classroom import gradebook as gb
from autograder.grading.checks import Check, Fail, judge_all
from autograder.classroom.report_html import render_report, split_hint
from autograder.classroom.summary import failed_counts, render_summary

OUT = Path("out")  # where the summary page would sit; only relative links are made
EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def result(score, tests, status="graded", curves=None, reason=""):
    return {"score": score, "max_score": sum(t["max_score"] for t in tests) or 10, "tests": tests,
            "extra_data": {"classroom": {"status": status, "reason": reason},
                           **({"loss_curves": curves} if curves else {})}}


def check(name, score, max_score, output="", visibility="visible"):
    return {"name": name, "score": score, "max_score": max_score, "output": output,
            "visibility": visibility,
            "status": "passed" if score >= max_score else "failed"}


def pngs(page):
    return [base64.b64decode(data)
            for data in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


def test_student_report_has_units_failed_checks_hints_and_loss_figure():
    tests = [check("Linear: bias gradient", 0, 4,
                   "bias gradient off by 3.2e-1 (bound 1e-8)\n"
                   "Hint: the bias gradient sums over the batch"),
             check("Linear: forward", 2, 2), check("SGD: step", 3, 3)]
    page = render_report("alice", result(5, tests, curves={"xor": {"student": [1.0, 0.6, 0.3],
                                                                   "reference": [1.0, 0.5, 0.2]}}))
    assert "Score: 5 / 9" in page
    assert re.search(r"<td>Linear</td><td class=\"num\">2</td><td class=\"num\">6</td>"
                     r"<td class=\"num\">1 / 2</td>", page)
    assert "bias gradient off by 3.2e-1" in page
    assert '<div class="hint"><b>Hint:</b> the bias gradient sums over the batch</div>' in page
    assert "Failed checks (1)" in page and "Passed checks (2)" in page
    images = pngs(page)
    assert len(images) == 1 and images[0].startswith(b"\x89PNG")


def test_student_controlled_text_is_escaped_everywhere():
    tests = [check(f"Linear: {EVIL}", 0, 1, f"raised {EVIL}\nHint: {EVIL}")]
    curves = {"xor": {"student": [EVIL, float("nan"), 1e308, "1"],
                      "reference": [1.0, 0.5, 0.2, 0.1]}}
    page = render_report(EVIL, result(0, tests, curves=curves) | {"output": EVIL})
    assert "<script>" not in page and "<img src=x" not in page
    assert page.count("&lt;script&gt;") >= 4
    assert "diverged" in page  # the NaN in the student's curve is reported, not plotted blindly
    failure = render_report("bob", result(0, [], status="bad-zip", reason=EVIL))
    assert "<script>" not in failure and "Not graded (bad-zip)" in failure
    summary = render_summary(OUT, [EVIL, "bob"],
                             {EVIL: result(0, tests), "bob": result(0, [], "bad-zip", reason=EVIL)},
                             OUT / "reports", OUT / "gradebook.csv")
    # The one script is the page's own (sorting); the student's text is escaped.
    assert summary.count("<script>") == 1 and EVIL not in summary and "<img src=x" not in summary


def test_hidden_checks_show_their_name_but_not_their_output():
    page = render_report("a", result(0, [check("Adam: hidden state", 0, 2, "secret detail",
                                               visibility="hidden")]))
    assert "Adam: hidden state" in page and "secret detail" not in page


def test_split_hint():
    assert split_hint("measured 3\n  Hint: sum over the batch\nbound 1") == ("measured 3\nbound 1",
                                                                             "sum over the batch")
    assert split_hint("") == ("", "")


def test_summary_counts_each_failed_check_once_per_student_and_ranks_them():
    a = result(1, [check("ReLU: mask", 0, 1), check("Linear: bias", 0, 1),
                   check("SGD: step", 1, 1)])
    b = result(1, [check("ReLU: mask", 0, 1), check("Linear: bias", 1, 1)])
    c = result(2, [check("ReLU: mask", 0, 1), check("ReLU: mask", 0, 1),
                   check("Linear: bias", 1, 1)])
    counts = failed_counts({"a": a, "b": b, "c": c})
    assert counts == {"ReLU: mask": 3, "Linear: bias": 1}
    # a stub: left out of the ranking
    zero = result(0, [check("ReLU: mask", 0, 1), check("Adam: step", 0, 1)])
    page = render_summary(OUT, ["a", "b", "c", "d", "z"],
                          {"a": a, "b": b, "c": c, "d": result(0, [], "empty", reason="empty"),
                           "z": zero},
                          OUT / "reports", OUT / "gradebook.csv")
    assert "Adam: step" not in page and "1 who scored 0 are left out" in page
    assert page.index("ReLU: mask") < page.index("Linear: bias")
    assert "<td>ReLU: mask</td><td class=\"num\">3</td><td class=\"num\">100 %</td>" in page
    # d's report is not on disk here: its id is shown without a link to a missing page.
    assert '<a href="reports/d/report.html">' not in page and "<td>d</td>" in page
    assert len(pngs(page)) == 1  # the histogram


def test_summary_leaves_checks_that_were_not_judged_out_of_the_failures():
    """A dependent check the grader did not judge (its value check fails first) is not
    a failure of its own: only the value check counts, in the ranking and the page."""
    def fails(results):
        raise Fail("bias gradient wrong")
    value = Check("Linear", "bias gradient", fails, family="bias")
    dependent = Check("Linear", "accumulates", lambda results: "", family="accumulate",
                      needs=("bias",))
    chain = {o.check.name: o.text for o in judge_all([value, dependent], {})}
    a = result(1, [check(name, 0, 1, output=text) for name, text in chain.items()]
               + [check("SGD: step", 1, 1)])
    b = result(1, [check("Linear: accumulates", 0, 1, output="accumulated twice"),
                   check("SGD: step", 1, 1)])
    assert failed_counts({"a": a, "b": b}) == {"Linear: bias gradient": 1, "Linear: accumulates": 1}
    assert failed_counts({"a": a}) == {"Linear: bias gradient": 1}
    page = render_summary(OUT, ["a"], {"a": a}, OUT / "reports", OUT / "gradebook.csv")
    assert "<td>Linear: bias gradient</td>" in page and "<td>Linear: accumulates</td>" not in page


def test_csv_has_one_row_per_student_units_and_no_formulas():
    results = {"=HYPERLINK(1)": result(3, [check("Linear: a", 1, 2), check("ReLU: b", 2, 2)]),
               "zed": result(0, [], "empty", reason="the submission is empty\nsecond line")}
    text = gb.render_csv(["=HYPERLINK(1)", "zed", "later"], results)
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["student"] for r in table] == ["'=HYPERLINK(1)", "zed", "later"]
    assert (table[0]["Linear"], table[0]["ReLU"], table[0]["max_score"]) == ("1", "2", "4")
    assert (table[1]["score"], table[1]["max_score"], table[1]["status"]) == ("0", "4", "empty")
    assert table[1]["reason"] == "the submission is empty second line"
    assert table[2]["status"] == "pending"
