"""A student's feedback page: one self-contained HTML file built from their results.json.

Sections, top to bottom: the score after any late penalty (or why the submission
could not be graded), when it was submitted against its due time and what that cost, a
table by unit, the loss curve of their Learner against the reference's, every failed
check with its message and hint, and the passed checks folded away.

Every string that came from a submission (check output, loss values, the student id)
is escaped: a submission that prints ``<script>`` shows it as text, and a control or
bidi character as its escape (safe_text.visible).
"""
from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import math
import threading
from pathlib import Path

from . import gradebook as gb
from ..sandbox.atomic import atomic_write
from ..sandbox.safe_text import visible

# pyplot keeps global state; grade-all renders from several threads.
PLOT_LOCK = threading.Lock()
MAX_POINTS = 5000  # a loss curve longer than this is cut (it is student data)
HUGE = 1e12
MAX_OUTPUT = 6000  # characters of one check's output shown

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; \
padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.full td { background: #eef8ee; } tr.partial td { background: #fff7e0; } \
tr.zero td { background: #fdecec; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; white-space: pre-wrap; }
.hint { background: #eef4ff; border-left: 4px solid #3a6fd8; padding: .4rem .6rem; \
margin: .3rem 0 1rem; }
.problem { background: #fdecec; border-left: 4px solid #c0392b; padding: .6rem; }
.check { margin: 1.2rem 0; } .lost { color: #c0392b; }
img { max-width: 100%; }
"""


def write_report(path: Path, student: str, result: dict) -> None:
    """Write the feedback page of ``student`` to ``path`` (atomically)."""
    atomic_write(Path(path), render_report(student, result))


def render_report(student: str, result: dict) -> str:
    info = gb.classroom(result)
    esc = html.escape
    parts = [f"<h1>Feedback for {esc(student)}</h1>"]
    if info.get("status", gb.GRADED) != gb.GRADED:
        parts.append(f'<p class="problem"><b>Not graded ({esc(str(info.get("status")))}):</b> '
                     f'{esc(str(info.get("reason", "")))}</p>'
                     '<p>Score: 0. Fix the submission and submit again.</p>')
        return page(f"Feedback: {student}", "\n".join(parts))
    score, out_of = gb.final_score(result), gb.number(result.get("max_score"))
    percent = f" ({100 * score / out_of:.0f} %)" if out_of else ""
    parts.append(f"<p><b>Score: {gb.fmt(score)} / {gb.fmt(out_of)}</b>{percent}</p>")
    parts.append(_lateness(result))
    if result.get("output"):  # the grader's notes: protections, seed, an import failure
        opened = " open" if score == 0 else ""
        parts.append(f"<details{opened}><summary>How this was graded</summary>"
                     f"<pre>{esc(str(result['output']))}</pre></details>")
    parts.append(_unit_table(result))
    parts.append(_loss_section(result))
    parts.append(_failed_checks(result))
    parts.append(_passed_checks(result))
    if info.get("graded_at"):
        parts.append(f"<p><small>Graded {esc(str(info['graded_at']))} in "
                     f"{gb.number(info.get('seconds')):.1f} s.</small></p>")
    return page(f"Feedback: {student}", "\n".join(parts))


def view_key(result: dict) -> str:
    """A digest of everything the report shows: when it changes, the page is rewritten."""
    info = gb.classroom(result)
    shown = {"score": result.get("score"), "max_score": result.get("max_score"),
             "tests": result.get("tests"), "output": result.get("output"),
             "curves": (result.get("extra_data") or {}).get("loss_curves"),
             "info": {k: info.get(k) for k in ("status", "reason", "submitted_at", "due",
                                               "extension", "days_late", "penalty_percent",
                                               "graded_at", "seconds")}}
    return hashlib.sha256(json.dumps(shown, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _lateness(result: dict) -> str:
    """When the submission came in against its due time, and what lateness cost: the
    figures the gradebook and the exports hold (class_settings.apply_late records them)."""
    info = gb.classroom(result)
    if info.get("days_late") in (None, ""):
        return ""
    esc = html.escape
    due = esc(str(info.get("due", ""))) + (" (your extension)" if info.get("extension") else "")
    penalty = gb.number(info.get("penalty_percent"))
    rows = [("Submitted at", esc(str(info.get("submitted_at", "")))), ("Due", due),
            ("Days late", esc(str(info.get("days_late")))),
            ("Late penalty", f"{gb.fmt(penalty)} % of the earned score"),
            ("Earned before the penalty",
             f"{gb.fmt(result.get('score'))} / {gb.fmt(result.get('max_score'))}"),
            ("Final score",
             f"{gb.fmt(gb.final_score(result))} / {gb.fmt(result.get('max_score'))}")]
    body = "".join(f'<tr><th>{label}</th><td>{value}</td></tr>' for label, value in rows)
    return f'<h2>Lateness</h2><table class="late">{body}</table>'


def page(title: str, body: str) -> str:
    """The whole page; control and bidi characters anywhere in it show as escapes."""
    title, body = visible(title), visible(body)
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n")


def _unit_table(result: dict) -> str:
    passed: dict[str, list[int]] = {}
    for test in result.get("tests") or []:
        count = passed.setdefault(gb.unit_of(test.get("name", "")), [0, 0])
        count[0] += check_passed(test)
        count[1] += 1
    rows = []
    for unit, (got, out_of) in gb.unit_points(result).items():
        kind = "full" if got >= out_of else ("zero" if got <= 0 else "partial")
        ok, total = passed[unit]
        rows.append(f'<tr class="{kind}"><td>{html.escape(unit)}</td>'
                    f'<td class="num">{gb.fmt(got)}</td><td class="num">{gb.fmt(out_of)}</td>'
                    f'<td class="num">{ok} / {total}</td></tr>')
    return ("<h2>By unit</h2><table><tr><th>Unit</th><th>Points</th><th>Out of</th>"
            "<th>Checks passed</th></tr>"
            + "".join(rows) + "</table>")


def check_passed(test: dict) -> bool:
    """Whether a results.json test passed: its status, else its score against its maximum."""
    if test.get("status") in ("passed", "failed"):
        return test["status"] == "passed"
    return gb.number(test.get("score")) >= gb.number(test.get("max_score"))


def _visible(test: dict) -> bool:
    return test.get("visibility") != "hidden"


def split_hint(output: str) -> tuple[str, str]:
    """The message and the hint of a check's output (the hint is its "Hint:" lines)."""
    message, hints = [], []
    for line in str(output or "").splitlines():
        stripped = line.strip()
        if stripped.lower().startswith("hint:"):
            hints.append(stripped[5:].strip())
        else:
            message.append(line)
    return "\n".join(message).strip(), " ".join(hints)


def _failed_checks(result: dict) -> str:
    failed = [t for t in result.get("tests") or [] if not check_passed(t)]
    if not failed:
        return "<h2>Failed checks</h2><p>None: every check passed.</p>"
    parts = [f"<h2>Failed checks ({len(failed)})</h2>"]
    for test in failed:
        lost = gb.number(test.get("max_score")) - gb.number(test.get("score"))
        parts.append(f'<div class="check"><h3>{html.escape(str(test.get("name", "")))} '
                     f'<span class="lost">(&minus;{gb.fmt(lost)})</span></h3>')
        if not _visible(test):
            parts.append("<p>The details of this check are hidden.</p></div>")
            continue
        message, hint = split_hint(str(test.get("output", ""))[:MAX_OUTPUT])
        if message:
            parts.append(f"<pre>{html.escape(message)}</pre>")
        if hint:
            parts.append(f'<div class="hint"><b>Hint:</b> {html.escape(hint)}</div>')
        parts.append("</div>")
    return "\n".join(parts)


def _passed_checks(result: dict) -> str:
    passed = [t for t in result.get("tests") or [] if check_passed(t)]
    if not passed:
        return ""
    items = "".join(f"<li>{html.escape(str(t.get('name', '')))} ({gb.fmt(t.get('score'))})</li>"
                    for t in passed)
    return f"<details><summary>Passed checks ({len(passed)})</summary><ul>{items}</ul></details>"


def _loss_section(result: dict) -> str:
    curves = (result.get("extra_data") or {}).get("loss_curves")
    if not isinstance(curves, dict) or not curves:
        return ""
    image = loss_figure(curves)
    notes = []
    for problem, pair in curves.items():
        student = _clean(pair.get("student") if isinstance(pair, dict) else None)
        bad = next((i for i, v in enumerate(student) if not math.isfinite(v)), None)
        if bad is not None:
            notes.append(f"<li>{html.escape(str(problem))}: your loss became NaN, infinite or "
                         f"huge at epoch {bad + 1}: training diverged.</li>")
    uses = sorted({str(u) for pair in curves.values() if isinstance(pair, dict)
                   for u in (pair.get("uses") or []) if isinstance(u, str)})
    made_of = (f" (your {', '.join(html.escape(u) for u in uses)} together)" if uses else "")
    return ("<h2>Training loss of your whole framework against the reference's</h2>"
            f"<p>The network is built and trained from your own units{made_of}, on the same "
            "problem, data, start and seed as the reference: the curves should fall "
            "together. A gap shows that some unit it uses is wrong, not which one: the "
            "failed checks above name the units that fail their own checks.</p>"
            + (f"<ul>{''.join(notes)}</ul>" if notes else "")
            + '<img alt="loss per epoch: yours against the reference" '
              f'src="data:image/png;base64,{image}">')


def _clean(values) -> list[float]:
    """Student-made numbers as plain floats (anything else becomes NaN), at most MAX_POINTS."""
    if not isinstance(values, (list, tuple)):
        return []
    cleaned = []
    for value in values[:MAX_POINTS]:
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            number = float("nan")
        # Past HUGE a curve has diverged; plotting it would only overflow the axes.
        cleaned.append(number if abs(number) <= HUGE else float("nan"))
    return cleaned


PROBLEM_TITLES = {"product_2layer": "y = x1*x2, 2-layer network: training loss"}


def loss_figure(curves: dict) -> str:
    """A PNG (base64) with one panel per problem: the student's curve and the reference's."""
    problems = list(curves)[:6]
    with PLOT_LOCK:
        from matplotlib.figure import Figure
        figure = Figure(figsize=(4.2 * len(problems), 3.2), layout="constrained")
        axes = figure.subplots(1, len(problems), squeeze=False)[0]
        for ax, problem in zip(axes, problems, strict=True):
            pair = curves[problem] if isinstance(curves[problem], dict) else {}
            plotted = []
            for label, style in (("reference", dict(color="#888", linestyle="--")),
                                 ("student", dict(color="#3a6fd8"))):
                values = _clean(pair.get(label))
                if values:
                    ax.plot(range(1, len(values) + 1), values,
                            label="yours" if label == "student" else label, **style)
                    plotted += [v for v in values if math.isfinite(v)]
            # A loss that falls over decades reads best on a log scale.
            if plotted and min(plotted) > 0:
                ax.set_yscale("log")
            ax.set_title(PROBLEM_TITLES.get(problem, str(problem)).replace("$", r"\$"))
            ax.set_xlabel("epoch")
            ax.set_ylabel("training loss")
            ax.legend()
        return figure_png(figure)


def figure_png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
