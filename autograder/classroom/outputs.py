"""What a class run leaves beside its gradebook once the results are in (a run's or a
merge's): the gradebook, summary.html, checks.csv and history.csv, the platforms'
exports and feedback zips, and every report brought up to what its result holds."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from . import (
    settings as class_settings,
    class_records,
    feedback_zip,
    platforms,
    report_html,
    summary,
)
from . import gradebook as gb
from ..sandbox.atomic import atomic_write
from .gradebook import Status
from .grader_process import RETRY_STATUSES, dumps_results, failure_result
from ..sandbox.safe_text import visible


def finish(
    students,
    results,
    gradebook: Path,
    out: Path,
    settings: class_settings.ClassSettings,
    console=None,
) -> int:
    """The gradebook, the summary and the exports from the results (a run's or a merge's)."""
    console = console or Console(stderr=True, soft_wrap=True)
    for student in settings.people:
        if student not in results:
            results[student] = failure_result(
                Status.NOT_SUBMITTED, "on the roster, but no submission was found"
            )
    students = sorted(set(students) | set(settings.people))
    for result in results.values():
        class_settings.apply_late(result, settings)
    rewritten = refresh_reports(results, out)
    if rewritten:
        console.print(
            f"grade-all: {rewritten} reports rewritten (what they show changed: lateness, "
            "points or feedback)",
            markup=False,
        )
    atomic_write(gradebook, gb.render_csv(students, results, settings.people))
    summary_path = gradebook.parent / "summary.html"
    summary.write_summary(summary_path, students, results, out, gradebook, settings)
    class_records.write(gradebook.parent, students, results, settings.people)
    rows = gb.table_rows(students, results, settings.people)
    maximum = gb.class_max(results) or 0
    refused = False
    for kind, path in settings.exports:
        platform = platforms.get(kind)
        strays = platforms.unmatched(rows, kind, settings.people)
        if strays and not settings.export_unmatched:
            console.print(
                f"grade-all: did not write {path}: {len(strays)} rows {platform.title} cannot "
                f"match to a student ({', '.join(strays[:8])}"
                f"{', ...' if len(strays) > 8 else ''}): "
                f"they are not on the --roster and not from a {platform.title} download. Give "
                "the roster, or --export-unmatched to write them anyway",
                markup=False,
            )
            refused = True
            continue
        options = settings.export_options.get(kind)
        atomic_write(path, platform.export(rows, maximum, options))
        console.print(f"grade-all: wrote the {platform.title} grade import {path}", markup=False)
    for kind, path in settings.feedback:
        held, left_out = feedback_zip.write_zip(kind, path, students, results, out, settings.people)
        named = ", ".join(f"{s} ({why})" for s, why in left_out[:5]) + (
            ", ..." if len(left_out) > 5 else ""
        )
        title = platforms.get(kind).title
        console.print(
            f"grade-all: wrote the {title} feedback zip {path} ({held} reports"
            + (f"; left out {named}" if left_out else "")
            + ")",
            markup=False,
        )
    late_rows = [r for r in rows if r["days_late"] not in ("", 0)]
    if late_rows:
        console.print(
            visible(
                f"grade-all: {len(late_rows)} late: "
                + ", ".join(
                    f"{r['student']} {r['days_late']} d -{gb.fmt(r['penalty_percent'])} %"
                    for r in late_rows[:10]
                )
            ),
            markup=False,
        )
    errors = sum(gb.classroom(r).get("status") != gb.GRADED for r in results.values())
    console.print(
        f"grade-all: {len(students)} students ({errors} not gradable); gradebook {gradebook}, "
        f"summary {summary_path}",
        markup=False,
    )
    retry = [s for s, r in results.items() if gb.classroom(r).get("status") in RETRY_STATUSES]
    if retry:
        console.print(
            visible(
                f"grade-all: {len(retry)} students hit a grade-all error "
                f"({', '.join(retry[:5])}); run it again to grade them"
            ),
            markup=False,
        )
    return 1 if retry or refused else 0


def write_report(folder: Path, student: str, result: dict) -> None:
    """The student's report.html, and the key of what it shows (report_html.view_key)."""
    info = gb.classroom(result)
    info.pop("report_error", None)
    try:
        report_html.write_report(folder / "report.html", student, result)
        info["report_key"] = report_html.view_key(result)
    except Exception as error:  # a report is a courtesy; the grade must still be saved
        info["report_error"] = f"{type(error).__name__}: {error}"
        info.pop("report_key", None)


def refresh_reports(results: dict[str, dict], out: Path) -> int:
    """Rewrite the report (and save the result) of every stored student whose page no
    longer shows what their result holds now: a changed due time, extension or late
    policy, a rescore, rebuilt feedback. The number rewritten."""
    rewritten = 0
    for student, result in results.items():
        folder = out / student
        info = gb.classroom(result)
        if (
            info.get("report_key") == report_html.view_key(result)
            or not (folder / "results.json").is_file()
        ):
            continue
        write_report(folder, student, result)
        atomic_write(folder / "results.json", dumps_results(result))
        rewritten += 1
    return rewritten
