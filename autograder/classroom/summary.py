"""The instructor's page for a class: how scores spread and what to teach again.

Every score is the one the gradebook holds: after the late penalty.
Sections: the class in numbers, the score histogram, each unit's average, the checks
failed by most students, the submissions that could not be graded and why, and every
student with a link to their report: name (from the roster), final score and
percentage, status, submission time, days late and penalty, as the gradebook holds
them. The students' table sorts by any column on a click (a few lines of plain
JavaScript in the page: it opens from the disk, no server).
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


def write_summary(path: Path, students: list[str], results: dict[str, dict], reports: Path,
                  gradebook: Path, settings=None) -> None:
    atomic_write(Path(path), render_summary(Path(path).parent, students, results, reports,
                                            gradebook, settings))


def render_summary(here: Path, students: list[str], results: dict[str, dict], reports: Path,
                   gradebook: Path, settings=None) -> str:
    """``settings`` (class_settings.ClassSettings) gives the titles and the roster."""
    people = getattr(settings, "people", None) or {}
    course, assignment = (getattr(settings, "course_title", ""),
                          getattr(settings, "assignment_title", ""))
    title = ": ".join(part for part in (course, assignment) if part) or "Class summary"
    graded = {s: results[s] for s in students
              if s in results and gb.classroom(results[s]).get("status") == gb.GRADED}
    maximum = gb.class_max(results) or 0
    # After the late penalty, as the gradebook and the exports hold them.
    percents = [100 * gb.final_score(r) / maximum if maximum else 0.0 for r in graded.values()]
    late = [s for s, r in graded.items() if gb.number(gb.classroom(r).get("penalty_percent")) > 0]
    not_gradable = [s for s in students if s in results and s not in graded]
    pending = [s for s in students if s not in results]
    esc = html.escape
    subtitle = "<p>Class summary</p>" if title != "Class summary" else ""
    parts = [f"<h1>{esc(title)}</h1>{subtitle}",
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
        parts.append('<img alt="histogram of scores" '
                     f'src="data:image/png;base64,{_histogram(percents, len(not_gradable))}">')
    parts.append(_units(graded))
    parts.append(_failed_most(graded))
    if not_gradable:
        rows = "".join(f"<tr><td>{_student_link(here, reports, s)}</td>"
                       f"<td>{esc(str(gb.classroom(results[s]).get('status')))}</td>"
                       f"<td>{esc(str(gb.classroom(results[s]).get('reason', '')))}</td></tr>"
                       for s in not_gradable)
        parts.append(f"<h2>Not gradable ({len(not_gradable)})</h2><table><tr><th>Student</th>"
                     f"<th>Status</th><th>Reason</th></tr>{rows}</table>")
    parts.append(_students_table(here, reports, students, results, people))
    return page(title, "\n".join(parts) + SORT_SCRIPT)


STUDENT_COLUMNS = [("Student", "text"), ("Name", "text"), ("Score", "num"), ("Out of", "num"),
                   ("%", "num"), ("Status", "text"), ("Submitted at", "text"), ("Days late", "num"),
                   ("Penalty %", "num")]


def _students_table(here: Path, reports: Path, students: list[str], results: dict,
                    people: dict) -> str:
    """Every student as the gradebook has them; each cell carries its sort key."""
    esc = html.escape
    head = "".join(f'<th data-type="{kind}" title="sort by {esc(name)}">{esc(name)}</th>'
                   for name, kind in STUDENT_COLUMNS)
    rows = []
    for row in gb.table_rows(students, results, people):
        pending = row["score"] is None
        out_of = gb.number(row["max_score"])
        percent = "" if pending or not out_of else f"{100 * row['score'] / out_of:.1f}"
        cells = [(_student_link(here, reports, row["student"]), row["student"]),
                 (esc(str(row["name"])), row["name"]),
                 ("" if pending else gb.fmt(row["score"]),
                  "" if pending else f"{row['score']:.6g}"),
                 (gb.fmt(row["max_score"]), gb.fmt(row["max_score"])),
                 (percent and f"{percent} %", percent),
                 (esc(str(row["status"])), row["status"]),
                 (esc(str(row["submitted_at"])), row["submitted_at"]),
                 (esc(str(row["days_late"])), row["days_late"]),
                 ("" if row["penalty_percent"] in ("", None) else gb.fmt(row["penalty_percent"]),
                  row["penalty_percent"])]
        late = row["days_late"] not in ("", None, 0)
        tds = "".join(f'<td class="{kind}" data-sort="{esc(str(key), quote=True)}">{shown}</td>'
                      for (shown, key), (_, kind) in zip(cells, STUDENT_COLUMNS, strict=True))
        rows.append(f'<tr class="{"late" if late else ""}">{tds}</tr>')
    return (f"<h2>Students ({len(students)})</h2><p>Click a column's title to sort by it (again to "
            "reverse). Scores are after any late penalty.</p>"
            '<table id="students" class="sortable">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


# Sorts the students' table by the clicked column: numbers as numbers (empty cells
# last), text in the reader's collation; a second click reverses.
SORT_SCRIPT = """
<style>
table.sortable th { cursor: pointer; } table.sortable td { white-space: nowrap; }
table.sortable th[aria-sort]::after { content: " \\25B4"; }
table.sortable th[aria-sort=descending]::after { content: " \\25BE"; }
tr.late td { background: #fff7e0; }
</style>
<script>
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, column) {
    th.addEventListener("click", function () {
      var up = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      var numeric = th.dataset.type === "num", body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column].dataset.sort, y = b.cells[column].dataset.sort;
        if (numeric) {
          if (x === "" || y === "") { return (x === "") - (y === ""); }
          return up ? x - y : y - x;
        }
        return up ? x.localeCompare(y) : y.localeCompare(x);
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
</script>
"""


def _row(label: str, value) -> str:
    return f'<tr><th>{html.escape(label)}</th><td class="num">{html.escape(str(value))}</td></tr>'


def _link(here: Path, target: Path) -> str:
    return html.escape(quote(os.path.relpath(target, here).replace(os.sep, "/")), quote=True)


def _student_link(here: Path, reports: Path, student: str) -> str:
    """The student's id, a link to their report when there is one (none for a student
    on the roster who submitted nothing)."""
    report = reports / student / "report.html"
    if not report.is_file():
        return html.escape(student)
    return f'<a href="{_link(here, report)}">{html.escape(student)}</a>'


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
    rows = "".join(f'<tr><td>{html.escape(u)}</td>'
                   f'<td class="num">{100 * got / out_of if out_of else 0:.0f} %</td>'
                   f'<td class="num">{full} / {len(graded)}</td></tr>'
                   for u, (got, out_of, full) in totals.items())
    return ("<h2>By unit</h2><table><tr><th>Unit</th><th>Average</th>"
            f"<th>Students with full marks</th></tr>{rows}</table>")


def failed_counts(graded: dict[str, dict]) -> Counter:
    """How many students failed each check (a check counts once per student).  A check
    left "not judged" because one it stands on fails first is not a failure of its own:
    counting it would rank a whole chain above the one check the students got wrong."""
    counts: Counter = Counter()
    for result in graded.values():
        counts.update({str(t.get("name", "")) for t in result.get("tests") or []
                       if not check_passed(t)
                       and not str(t.get("output", "")).startswith(NOT_JUDGED)})
    return counts


def _failed_most(graded: dict[str, dict]) -> str:
    # Students who scored 0 handed in stubs or code that does not import: they fail
    # every check alike and would drown out what the others got wrong.
    tried = {s: r for s, r in graded.items() if gb.number(r.get("score")) > 0}
    counts = failed_counts(tried)
    if not counts:
        return "<h2>Checks failed most often</h2><p>No check failed.</p>"
    ranked = counts.most_common()
    rows = [f'<tr><td>{html.escape(name)}</td><td class="num">{n}</td>'
            f'<td class="num">{100 * n / len(tried):.0f} %</td></tr>'
            for name, n in ranked]
    head = "<tr><th>Check</th><th>Students who failed it</th><th>Share</th></tr>"
    left_out = len(graded) - len(tried)
    text = ("<h2>Checks failed most often</h2><p>What to teach again: each check with the "
            f"number of the {len(tried)} students who scored above 0 and failed it"
            + (f" ({left_out} who scored 0 are left out: they fail every check)" if left_out
               else "")
            + f".</p><table>{head}{''.join(rows[:TOP_CHECKS])}</table>")
    if len(rows) > TOP_CHECKS:
        text += (f"<details><summary>{len(rows) - TOP_CHECKS} more</summary>"
                 f"<table>{head}{''.join(rows[TOP_CHECKS:])}</table></details>")
    return text
