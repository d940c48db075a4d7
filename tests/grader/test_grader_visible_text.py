"""Text from a child reaches no reader as control: a submission whose messages carry terminal
escapes and bidi overrides is shown, on the terminal table, in results.json, in the
report.html page and in the class's feedback and gradebook, as visible escapes."""
import csv
import io
import json

from autograder.classroom import gradebook as gb
from autograder.grading import grade, report
from autograder.classroom import report_html
from autograder.classroom.grader_process import dumps_results
from hostile import RELU_BACKWARD, apply_hostile

# Erase the line, go to its start, print a score, hide what follows; then a right-to-left
# override, an isolate, a bell, DEL and a C1 control sequence introducer.
EVIL = ("\x1b[2K\x1b[GScore: 136 / 136\x1b[8m \u202egnp.exe\u202c \u2066x\u2069 \x07\x7f\x9b"
        "\rScore: 136 / 136")
OBEYED = ["\x1b", "\u202e", "\u202c", "\u2066", "\u2069", "\x07", "\x7f", "\x9b", "\r"]
LINEAR_FORWARD = "Y = X @ self.weights.tensor + self.bias.tensor"

CONTROL_TALK = [
    # an exception whose message is the attack: "your code raised ValueError: ..."
    ("layers.py", LINEAR_FORWARD, f"raise ValueError({EVIL!r})"),
    # the attack on stderr, then a crash: the message quotes stderr's last lines
    ("layers.py", RELU_BACKWARD, f"import os, sys; sys.stderr.write({EVIL!r}); "
                                 "sys.stderr.flush(); os._exit(3)"),
]


def obeyed(text: str) -> list[str]:
    return [repr(char) for char in OBEYED if char in text]


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def test_a_childs_control_characters_reach_every_reader_as_escapes(tmp_path):
    root = apply_hostile(("control_talk", CONTROL_TALK), tmp_path / "submission")
    result = grade.grade(root, seed=3, units=["Linear", "ReLU"])
    failing = [o.text for o in result.outcomes if not o.passed]
    assert any("Score: 136 / 136" in text and "raised ValueError" in text for text in failing)
    assert any("Score: 136 / 136" in text and "stderr" in text for text in failing)

    table = report.table(result, details=True)
    assert obeyed(table) == [], table
    assert "\\x1b[2K\\x1b[GScore: 136 / 136\\x1b[8m" in table  # shown, not dropped
    assert "\\u202egnp.exe" in table

    data = json.loads(json.dumps(report.results_json(result)))
    assert [s for s in strings(data) if obeyed(s)] == []
    assert any("\\x1b[2K" in s for s in strings(data))

    data["extra_data"]["classroom"] = {"status": "graded", "name": EVIL, "reason": EVIL}
    page = report_html.render_report(EVIL, data)
    assert obeyed(page) == [] and "\\u202egnp.exe" in page
    stored = dumps_results(data)  # the class's reports/<id>/results.json, and Gradescope's
    assert [s for s in strings(json.loads(stored)) if obeyed(s)] == []
    sheet = gb.render_csv([EVIL], {EVIL: data})
    assert obeyed(sheet) == []
    assert [row[0] for row in csv.reader(io.StringIO(sheet))][1].startswith("\\x1b[2K")


def test_visible_keeps_text_and_escapes_controls():
    from autograder.sandbox.safe_text import one_line, visible
    assert (visible("dX: shape (3, 4)\n\tHint: café, 数, naïve")
            == "dX: shape (3, 4)\n\tHint: café, 数, naïve")
    assert visible("a\x1b[8mb\u202ec\x00d\r\ne") == "a\\x1b[8mb\\u202ec\\x00d\ne"
    assert visible("tag\U000e0041") == "tag\\U000e0041"
    assert visible(visible(EVIL)) == visible(EVIL)
    assert one_line("two\nlines\x1b") == "two lines\\x1b"


def test_csv_cells_are_never_formulas():
    from autograder.sandbox.safe_text import csv_cell
    for attack in ('=HYPERLINK("http://x","x")', "+1+1", "-1+cmd|' /C calc'!A0", "@SUM(A1)",
                   "\t=1+1", "\r=1+1", " =1+1"):
        cell = csv_cell(attack)
        assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), (attack, cell)
    assert [csv_cell(v) for v in ("12.5", "-3", "0", "-", "", None, 7)] == \
        ["12.5", "-3", "0", "-", "", "", "7"]
