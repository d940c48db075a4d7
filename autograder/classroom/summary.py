"""The instructor's page for a class: how scores spread and what to teach again.

Every score is the one the gradebook holds: after the late penalty.
Sections: the class in numbers, the score histogram, each unit's average, the checks
failed by most students, the submissions that could not be graded and why, and every
student with a link to their report.
"""
from __future__ import annotations

import html
import os
import statistics
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from . import gradebook as gb
from ..sandbox.atomic import atomic_write
from ..grading.checks import NOT_JUDGED
from .report_html import PLOT_LOCK, check_passed, figure_png, page

TOP_CHECKS = 20  # the rest of the failed checks are folded away


def write_summary(path: Path, students: list[str], results: dict[str, dict], reports: Path, gradebook: Path) -> None:
    atomic_write(Path(path), render_summary(Path(path).parent, students, results, reports, gradebook))


def render_summary(here: Path, students: list[str], results: dict[str, dict], reports: Path, gradebook: Path) -> str:
    graded = {s: results[s] for s in students if s in results and gb.classroom(results[s]).get("status") == gb.GRADED}
    maximum = gb.class_max(results) or 0
    # After the late penalty, as the gradebook and the exports hold them.
    percents = [100 * gb.final_score(r) / maximum if maximum else 0.0 for r in graded.values()]
    late = [s for s, r in graded.items() if gb.number(gb.classroom(r).get("penalty_percent")) > 0]
    not_gradable = [s for s in students if s in results and s not in graded]
    pending = [s for s in students if s not in results]
    esc = html.escape
    parts = ["<h1>Class summary</h1>",
             f"<p>Gradebook: <a href=\"{_link(here, gradebook)}\">{esc(gradebook.name)}</a></p>",
             "<h2>The class in numbers</h2><table>",
             _row("Students", len(students)), _row("Graded", len(graded)),
             _row("Not gradable (score 0)", len(not_gradable))]
    if pending:
        parts.append(_row("Not graded yet", len(pending)))
    if percents:
        parts += [_row("Maximum score", gb.fmt(maximum)),
                  _row("Mean of graded", f"{statistics.mean(percents):.1f} %"),
                  _row("Median of graded", f"{statistics.median(percents):.1f} %"),
                  _row("Full marks", sum(p >= 99.999 for p in percents)),
                  _row("Late, with a penalty", len(late))]
    parts.append("</table>")
    if percents or not_gradable:
        parts.append("<h2>Score distribution</h2>")
        parts.append(f'<img alt="histogram of scores" src="data:image/png;base64,{_histogram(percents, len(not_gradable))}">')
    parts.append(_units(graded))
    parts.append(_failed_most(graded))
    if not_gradable:
        rows = "".join(f"<tr><td>{_student_link(here, reports, s)}</td><td>{esc(str(gb.classroom(results[s]).get('status')))}</td>"
                       f"<td>{esc(str(gb.classroom(results[s]).get('reason', '')))}</td></tr>" for s in not_gradable)
        parts.append(f"<h2>Not gradable ({len(not_gradable)})</h2><table><tr><th>Student</th><th>Status</th><th>Reason</th></tr>{rows}</table>")
    rows = []
    for s in students:
        r = results.get(s)
        status = gb.classroom(r).get("status", "") if r else "pending"
        score = gb.fmt(gb.final_score(r)) if r else ""
        rows.append(f'<tr><td>{_student_link(here, reports, s)}</td><td class="num">{score}</td><td>{esc(str(status))}</td></tr>')
    parts.append(f"<h2>Students ({len(students)})</h2><table><tr><th>Student</th><th>Score</th><th>Status</th></tr>{''.join(rows)}</table>")
    return page("Class summary", "\n".join(parts))


def _row(label: str, value) -> str:
    return f'<tr><th>{html.escape(label)}</th><td class="num">{html.escape(str(value))}</td></tr>'


def _link(here: Path, target: Path) -> str:
    return html.escape(quote(os.path.relpath(target, here).replace(os.sep, "/")), quote=True)


def _student_link(here: Path, reports: Path, student: str) -> str:
    return f'<a href="{_link(here, reports / student / "report.html")}">{html.escape(student)}</a>'


def _histogram(percents: list[float], not_gradable: int) -> str:
    with PLOT_LOCK:
        from matplotlib.figure import Figure
        figure = Figure(figsize=(7, 3.2), layout="constrained")
        ax = figure.subplots()
        bins = [10 * i for i in range(11)]
        ax.hist(percents, bins=bins, color="#3a6fd8", edgecolor="white", label="graded")
        if not_gradable:
            ax.bar([-6], [not_gradable], width=8, color="#c0392b", label="not gradable")
        ax.set_xlabel("score (% of the maximum)")
        ax.set_ylabel("students")
        ax.set_xticks(bins)
        ax.legend()
        return figure_png(figure)


def _units(graded: dict[str, dict]) -> str:
    totals: dict[str, list[float]] = {}
    for result in graded.values():
        for unit, (got, out_of) in gb.unit_points(result).items():
            entry = totals.setdefault(unit, [0.0, 0.0, 0])
            entry[0] += got
            entry[1] += out_of
            entry[2] += got >= out_of
    if not totals:
        return ""
    rows = "".join(f'<tr><td>{html.escape(u)}</td><td class="num">{100 * got / out_of if out_of else 0:.0f} %</td>'
                   f'<td class="num">{full} / {len(graded)}</td></tr>' for u, (got, out_of, full) in totals.items())
    return f"<h2>By unit</h2><table><tr><th>Unit</th><th>Average</th><th>Students with full marks</th></tr>{rows}</table>"


def failed_counts(graded: dict[str, dict]) -> Counter:
    """How many students failed each check (a check counts once per student).  A check
    left "not judged" because one it stands on fails first is not a failure of its own:
    counting it would rank a whole chain above the one check the students got wrong."""
    counts: Counter = Counter()
    for result in graded.values():
        counts.update({str(t.get("name", "")) for t in result.get("tests") or []
                       if not check_passed(t) and not str(t.get("output", "")).startswith(NOT_JUDGED)})
    return counts


def _failed_most(graded: dict[str, dict]) -> str:
    # Students who scored 0 handed in stubs or code that does not import: they fail
    # every check alike and would drown out what the others got wrong.
    tried = {s: r for s, r in graded.items() if gb.number(r.get("score")) > 0}
    counts = failed_counts(tried)
    if not counts:
        return "<h2>Checks failed most often</h2><p>No check failed.</p>"
    ranked = counts.most_common()
    rows = [f'<tr><td>{html.escape(name)}</td><td class="num">{n}</td><td class="num">{100 * n / len(tried):.0f} %</td></tr>'
            for name, n in ranked]
    head = "<tr><th>Check</th><th>Students who failed it</th><th>Share</th></tr>"
    left_out = len(graded) - len(tried)
    text = (f"<h2>Checks failed most often</h2><p>What to teach again: each check with the number of the "
            f"{len(tried)} students who scored above 0 and failed it"
            + (f" ({left_out} who scored 0 are left out: they fail every check)" if left_out else "")
            + f".</p><table>{head}{''.join(rows[:TOP_CHECKS])}</table>")
    if len(rows) > TOP_CHECKS:
        text += f"<details><summary>{len(rows) - TOP_CHECKS} more</summary><table>{head}{''.join(rows[TOP_CHECKS:])}</table></details>"
    return text
