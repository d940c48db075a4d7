"""Grade a whole class: ``python -m autograder grade-all DIR --gradebook FILE.csv [--jobs N]``.

Each student is graded by its own ``python -m autograder grade`` process, so a
submission that crashes, hangs or kills its grader costs only its own row. ``--jobs``
of those processes run at once; the threads here only start them and wait.

Everything lands next to the gradebook::

    gradebook.csv               one row per student, rebuilt after each student
    summary.html                the class view: histogram, checks failed most often
    reports/<student>/results.json, report.html
    reports/.work/              private working folders, removed as students finish

A student is done when ``reports/<student>/results.json`` exists and matches the
submission's content; a run started again grades only the others, so a run killed
at any point (``kill -9`` included) loses at most the students it was grading.
"""
from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import sys
import tempfile
import time
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)

from ..course import assignments
from . import (settings as class_settings, class_records, feedback_zip, from_git, late, platforms,
               merge, provenance, regrade, report_html, summary)
from ..sandbox import processes
from .. import course as course_table
from . import gradebook as gb
from ..sandbox.atomic import atomic_write
from .gradebook import Status
from .grader_process import (RETRY_STATUSES, Context, dumps_results, failure_result, kill_running,
                             reap_orphans, run_grader)
from ..grading.submissions import (Submission, SubmissionError, digest, find_submissions,
                                   materialize, submission_time)
from ..sandbox.safe_text import visible

DEFAULT_STUDENT_TIMEOUT = 600.0  # seconds for one whole submission, like Gradescope's default


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(prog="python -m autograder grade-all", description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", default=None,
                        help="folder with one sub-folder or .zip per student, or a Canvas or Moodle "
                             "download (the zip or its unpacked folder)")
    parser.add_argument("--gradebook", required=True, help="CSV to write; reports go next to it")
    parser.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: the number of cores)")
    parser.add_argument("--reports", default=None, help="folder for per-student reports (default: reports/ next to the gradebook)")
    parser.add_argument("--timeout", type=float, default=None, help="passed to `autograder grade --timeout`")
    parser.add_argument("--seed", type=int, default=None, help="passed to `autograder grade --seed`")
    parser.add_argument("--student-timeout", type=float, default=DEFAULT_STUDENT_TIMEOUT,
                        help=f"wall-clock seconds for one submission (default {DEFAULT_STUDENT_TIMEOUT:.0f})")
    parser.add_argument("--shard", default=None, metavar="K/N",
                        help="grade only every N-th student starting at K (0-based), to split a class across machines")
    parser.add_argument("--assignment", type=int, default=None,
                        help="grade only this assignment of course.toml, scaled to its total")
    parser.add_argument("--course", default=None, help="the course table (default: autograder/course/course.toml)")
    parser.add_argument("--force", action="store_true", help="grade every student again")
    parser.add_argument("--regrade", nargs="+", default=[], metavar="STUDENT",
                        help="grade these students again (ids as in the gradebook, or names)")
    parser.add_argument("--explain", action="store_true",
                        help="say for each student graded again or updated why (one line each)")
    parser.add_argument("--roster", default=None, metavar="FILE.csv",
                        help="names, emails, SIS ids by student id (id,name,email,...; or a Canvas "
                             "gradebook export, or a Moodle grading worksheet)")
    parser.add_argument("--due", default=None, metavar="TIME",
                        help="due time (ISO 8601, UTC unless a zone is given): late work loses "
                             "points as course.toml's [late] says")
    parser.add_argument("--export", nargs=2, action="append", default=[], metavar=("LMS", "FILE.csv"),
                        help=f"also write the grade-import CSV of {platforms.names()}")
    parser.add_argument("--from-git", default=None, metavar="LIST",
                        help="grade git repositories instead: LIST has one 'student,url' a line; "
                             "each is graded at its newest commit, late by its commit time")
    parser.add_argument("--git-at-due", action="store_true",
                        help="with --from-git: grade the last commit before the due time instead")
    parser.add_argument("--extensions", default=None, metavar="FILE.csv",
                        help="students with their own due time: columns student,due (or a 'due' "
                             "column in the roster)")
    parser.add_argument("--export-unmatched", action="store_true",
                        help="write export rows the platform cannot match (no roster entry) "
                             "instead of refusing them")
    parser.add_argument("--merge", nargs="+", default=None, metavar="DIR",
                        help="merge the reports of --shard runs (each DIR holds reports/) into one "
                             "gradebook, summary and export set; grades nothing")
    parser.add_argument("--feedback-zip", nargs=2, action="append", default=[], metavar=("LMS", "FILE.zip"),
                        help=f"also write every report.html in the zip {platforms.names()} reads "
                             "as feedback files (autograder/classroom/feedback_zip.py)")
    parser.add_argument("--similarity", action="store_true",
                        help="also compare the submissions with each other: similarity.html and "
                             ".csv next to the gradebook (see autograder/classroom/similarity.py)")
    platforms.add_options(parser)  # each platform's own (--export-column, --moodle-max)
    # For tests and other graders: the command that grades one folder.
    parser.add_argument("--grade-command", default=None, help=argparse.SUPPRESS)
    return parser


def main(args: argparse.Namespace) -> int:
    """Entry point of ``grade-all``; ``args`` needs ``dir``, ``gradebook`` and ``jobs``."""
    no_class_needed = getattr(args, "merge", None) or getattr(args, "from_git", None)
    if args.dir is None and not no_class_needed:
        print("grade-all: expected the class (a folder or an LMS download)", file=sys.stderr)
        return 2
    class_dir = Path(args.dir or ".")
    if not no_class_needed and not class_dir.is_dir() and not (class_dir.is_file() and zipfile.is_zipfile(class_dir)):
        print(f"grade-all: expected a folder of submissions or an LMS download zip, found {str(class_dir)!r}",
              file=sys.stderr)
        return 2
    jobs = getattr(args, "jobs", None) or os.cpu_count() or 1
    if jobs < 1:
        print(f"grade-all: --jobs must be at least 1, found {jobs}", file=sys.stderr)
        return 2
    gradebook = Path(args.gradebook)
    # Absolute: each grader runs from its own working folder.
    out = Path(getattr(args, "reports", None) or gradebook.parent / "reports").resolve()
    command = getattr(args, "grade_command", None)
    grade_args = []
    if getattr(args, "timeout", None) is not None:
        grade_args += ["--timeout", str(args.timeout)]
    if getattr(args, "seed", None) is not None:
        grade_args += ["--seed", str(args.seed)]
    shard = _parse_shard(getattr(args, "shard", None))
    if shard is None:
        print(f"grade-all: --shard expects K/N with 0 <= K < N, found {args.shard!r}", file=sys.stderr)
        return 2
    try:
        table = course_table.read(args.course) if getattr(args, "course", None) else course_table.load()
        selection = assignments.select(getattr(args, "assignment", None), table)
        settings = class_settings.from_args(args, table, selection)
    except (ValueError, OSError) as error:  # CourseError, PolicyError, ClassError included
        print(f"grade-all: {error}", file=sys.stderr)
        return 2
    grade_args += selection.options()
    if getattr(args, "course", None):
        grade_args += ["--course", str(Path(args.course).resolve())]
    ctx = Context(
        out=out,
        grade_command=command.split() if isinstance(command, str) else list(command or
                      [sys.executable, "-m", "autograder", "grade"]),
        grade_args=grade_args,
        student_timeout=float(getattr(args, "student_timeout", None) or DEFAULT_STUDENT_TIMEOUT),
    )
    options = {"seed": getattr(args, "seed", None), "timeout": getattr(args, "timeout", None),
               "student_timeout": ctx.student_timeout, "assignment": selection.number}
    ctx.record = provenance.record(selection, table, options, ctx.grade_command, getattr(args, "course", None))
    ctx.explain = bool(getattr(args, "explain", False))
    settings.course = table
    ctx.force = bool(getattr(args, "force", False))
    ctx.regrade = set(getattr(args, "regrade", None) or [])
    if getattr(args, "merge", None):
        return merge.main(args.merge, gradebook, out, settings, finish)
    # Each grader runs its own sandboxed children in parallel: share the cores out
    # rather than run jobs x children processes on them.
    ctx.grade_args += ["--jobs", str(max(1, (os.cpu_count() or 1) // jobs))]
    code = grade_class(class_dir, gradebook, ctx, jobs, shard, settings)
    if getattr(args, "similarity", False) and code in (0, 1):
        from . import similarity  # copydetect is needed only here
        similarity.run(out / ".git-class" if settings.git_list else class_dir, gradebook.parent,
                       settings.people, console=lambda text: print(f"grade-all: {text}", file=sys.stderr))
    return code


def _parse_shard(text):
    """"K/N" -> (K, N); no shard is (0, 1); None when malformed."""
    if not text:
        return 0, 1
    try:
        index, count = (int(part) for part in str(text).split("/"))
    except ValueError:
        return None
    return (index, count) if 0 <= index < count else None


def grade_class(class_dir: Path, gradebook: Path, ctx: Context, jobs: int, shard=(0, 1),
                settings: class_settings.ClassSettings | None = None) -> int:
    settings = settings or class_settings.ClassSettings()
    console = Console(stderr=True, soft_wrap=True)
    ctx.out.mkdir(parents=True, exist_ok=True)
    lock = _take_lock(ctx.out / ".grade-all.lock")
    if lock is None:
        print(f"grade-all: another grade-all is writing {ctx.out}; wait for it or stop it", file=sys.stderr)
        return 2
    # Holding the lock, nothing else uses these: leftovers of a killed run.
    shutil.rmtree(ctx.out / ".work", ignore_errors=True)
    for stale in ctx.out.glob("*/.*.tmp"):
        stale.unlink(missing_ok=True)
    (ctx.out / ".work").mkdir(mode=0o700)
    ctx.subreaper = processes.become_subreaper()

    try:
        submissions, failed = _read_class(class_dir, ctx, settings, console)
        ctx.regrade = class_settings.students_named(ctx.regrade, submissions, settings.people)
    except (ValueError, SubmissionError) as error:  # ClassError, GitError included
        print(f"grade-all: {getattr(error, 'reason', error)}", file=sys.stderr)
        return 2
    students = sorted({s.student for s in submissions} | set(settings.people) | set(failed))
    results: dict[str, dict] = {}
    todo, why, updated, current = [], Counter(), Counter(), 0
    explain = getattr(ctx, "explain", False)
    ctx.reasons = {}  # student -> why graded again, kept in results.json for history.csv
    for position, sub in enumerate(submissions):
        done = gb.load_result(ctx.out / sub.student / "results.json")
        action, reason = ("grade", "new") if done is None else _why_grade_again(done, sub, ctx)
        if action == regrade.UPDATE:
            action, reason = _bring_up_to_date(done, reason, ctx, settings)
            if action == regrade.UPDATE:
                updated[reason] += 1
                if explain:
                    console.print(f"  {sub.student}: updated from its stored results, nothing run: {reason}",
                                  markup=False, highlight=False)
        if action != regrade.GRADE:
            results[sub.student] = done
            current += 1
            continue
        if done is not None:
            results[sub.student] = done  # shown until its new grade replaces it
        if position % shard[1] == shard[0]:
            todo.append(sub)
            if reason != "new":
                why[reason] += 1
                ctx.reasons[sub.student] = reason
            if explain:
                console.print(f"  {sub.student}: graded again: {reason}", markup=False, highlight=False)
    for student in students:
        if student in failed:
            results[student] = failure_result(*failed[student])
        elif student not in results and student not in {sub.student for sub in submissions}:
            results[student] = failure_result(Status.NOT_SUBMITTED, "on the roster, but no submission was found")
    ctx.people, ctx.on_result = settings.people, lambda result: class_settings.apply_late(result, settings)
    for result in results.values():
        ctx.on_result(result)
    atomic_write(gradebook, gb.render_csv(students, results, settings.people))
    console.print(f"grade-all: {len(submissions)} submissions in {class_dir}, "
                  f"{current} already graded, "
                  f"{len(todo)} to grade with {jobs} jobs"
                  + (f" (shard {shard[0]}/{shard[1]})" if shard[1] > 1 else ""), markup=False)
    if updated:
        console.print(f"grade-all: {sum(updated.values())} brought up to date from their stored results, "
                      "nothing run, because " + "; ".join(f"{reason} ({n})" for reason, n in updated.most_common()),
                      markup=False)
    stale = sum(why.values())
    if stale:
        console.print(f"grade-all: {stale} graded before, graded again because "
                      + "; ".join(f"{reason} ({n})" for reason, n in why.most_common()), markup=False)
    started = time.monotonic()
    try:
        _run(todo, ctx, jobs, students, results, gradebook, console)
    except KeyboardInterrupt:
        console.print("grade-all: interrupted; run it again to grade the rest")
        return 130
    finally:
        shutil.rmtree(ctx.out / ".work", ignore_errors=True)
    console.print(f"grade-all: graded {len(todo)} in {time.monotonic() - started:.1f} s", markup=False)
    return finish(students, results, gradebook, ctx.out, settings, console)


def _read_class(class_dir: Path, ctx: Context, settings: class_settings.ClassSettings, console):
    """The class's submissions, and {student: why there is none} for git classes."""
    if settings.git_list:
        pairs = from_git.read_list(settings.git_list)
        submissions, failed = from_git.checkout_class(pairs, ctx.out / ".git-class", settings.due_for,
                                                      settings.git_at_due)
        console.print(f"grade-all: {len(pairs)} repositories, {len(submissions)} checked out"
                      + (f" at their last commit before {late.iso(settings.due)} (--git-at-due)"
                         if settings.git_at_due and settings.due else " at their newest commit"),
                      markup=False)
        for student, (status, reason) in sorted(failed.items()):
            console.print(f"  {student}: {status}: {reason}", markup=False, highlight=False)
        return submissions, failed
    platform, submissions, skipped = platforms.read_class(class_dir, ctx.out / ".lms")
    if platform is None:
        # grade-all's own output kept inside the class folder (reports/ beside a
        # gradebook there) is never a student.
        found = [sub for sub in find_submissions(class_dir) if not _holds_output(sub.path, ctx.out)]
        ours = sorted({sub.path.name for sub in find_submissions(class_dir)} - {sub.path.name for sub in found})
        if ours:
            console.print(visible(f"grade-all: skipped {', '.join(ours)} in {class_dir}: grade-all's "
                                  "own output, not a student"), markup=False)
        return found, {}
    console.print(visible(f"grade-all: {class_dir} is a {platform.title} download: "
                          f"{len(submissions)} students"
                          + (f"; skipped {', '.join(skipped[:5])}" if skipped else "")),
                  markup=False)
    return submissions, {}


def _holds_output(path: Path, out: Path) -> bool:
    """Whether ``path`` is this run's reports folder or holds it, or is (or holds) the
    reports folder of another run (its lock file marks it)."""
    try:
        return path.is_dir() and (out.resolve().is_relative_to(path.resolve())
                                  or (path / ".grade-all.lock").exists()
                                  or (path / "reports" / ".grade-all.lock").exists())
    except OSError:
        return False


def finish(students, results, gradebook: Path, out: Path, settings: class_settings.ClassSettings, console=None) -> int:
    """The gradebook, the summary and the exports from the results (a run's or a merge's)."""
    console = console or Console(stderr=True, soft_wrap=True)
    for student in settings.people:
        if student not in results:
            results[student] = failure_result(Status.NOT_SUBMITTED, "on the roster, but no submission was found")
    students = sorted(set(students) | set(settings.people))
    for result in results.values():
        class_settings.apply_late(result, settings)
    rewritten = refresh_reports(results, out)
    if rewritten:
        console.print(f"grade-all: {rewritten} reports rewritten (what they show changed: lateness, "
                      "points or feedback)", markup=False)
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
            console.print(f"grade-all: did not write {path}: {len(strays)} rows {platform.title} cannot "
                          f"match to a student ({', '.join(strays[:8])}{', ...' if len(strays) > 8 else ''}): "
                          f"they are not on the --roster and not from a {platform.title} download. Give "
                          "the roster, or --export-unmatched to write them anyway", markup=False)
            refused = True
            continue
        options = settings.export_options.get(kind)
        atomic_write(path, platform.export(rows, maximum, options))
        console.print(f"grade-all: wrote the {platform.title} grade import {path}", markup=False)
    for kind, path in settings.feedback:
        held, left_out = feedback_zip.write_zip(kind, path, students, results, out, settings.people)
        named = ", ".join(f"{s} ({why})" for s, why in left_out[:5]) + (", ..." if len(left_out) > 5 else "")
        title = platforms.get(kind).title
        console.print(f"grade-all: wrote the {title} feedback zip {path} ({held} reports"
                      + (f"; left out {named}" if left_out else "") + ")", markup=False)
    late_rows = [r for r in rows if r["days_late"] not in ("", 0)]
    if late_rows:
        console.print(visible(f"grade-all: {len(late_rows)} late: " + ", ".join(
            f"{r['student']} {r['days_late']} d -{gb.fmt(r['penalty_percent'])} %" for r in late_rows[:10])),
            markup=False)
    errors = sum(gb.classroom(r).get("status") != gb.GRADED for r in results.values())
    console.print(f"grade-all: {len(students)} students ({errors} not gradable); gradebook {gradebook}, "
                  f"summary {summary_path}", markup=False)
    retry = [s for s, r in results.items() if gb.classroom(r).get("status") in RETRY_STATUSES]
    if retry:
        console.print(visible(f"grade-all: {len(retry)} students hit a grade-all error "
                              f"({', '.join(retry[:5])}); run it again to grade them"), markup=False)
    return 1 if retry or refused else 0


def _run(todo, ctx, jobs, students, results, gradebook, console) -> None:
    columns = (TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[failed]} not gradable"), TimeElapsedColumn(),
               TextColumn("left"), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress, ThreadPoolExecutor(jobs) as pool:
        waiting = {sub.student for sub in todo}
        kept = {s: r for s, r in results.items() if s not in waiting}
        failed = sum(gb.classroom(r).get("status") != gb.GRADED for r in kept.values())
        task = progress.add_task("grading", total=len(kept) + len(todo), completed=len(kept), failed=failed)
        futures = {pool.submit(grade_student, sub, ctx): sub for sub in todo}
        try:
            for future in as_completed(futures):
                sub = futures[future]
                result = future.result()
                results[sub.student] = result
                ctx.on_result(result)
                atomic_write(gradebook, gb.render_csv(students, results, ctx.people))
                info = gb.classroom(result)
                if info["status"] != gb.GRADED:
                    failed += 1
                    note = f"{info['status']}: {info['reason']}"
                else:
                    note = f"{gb.fmt(result.get('score'))} / {gb.fmt(result.get('max_score'))}"
                progress.console.print(visible(f"  {sub.student}: {note} ({info['seconds']:.1f} s)"),
                                       markup=False, highlight=False)
                progress.update(task, advance=1, failed=failed)
        except BaseException:
            ctx.stopping = True
            for future in futures:
                future.cancel()
            kill_running(ctx)
            raise


def grade_student(sub: Submission, ctx: Context) -> dict:
    """Grade one submission in its own working folder; write its report and results."""
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="student-", dir=ctx.out / ".work"))
    fingerprint = ""
    try:
        fingerprint = digest(sub)
        root = materialize(sub, work / "submission")
        result = run_grader(root, work, ctx)
    except SubmissionError as error:
        result = failure_result(error.status, error.reason)
    except Exception as error:  # our bug: keep a row, and grade again next run
        result = failure_result(Status.INTERNAL_ERROR, f"grade-all failed on this submission: {type(error).__name__}: {error}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        reap_orphans(ctx)
    if ctx.stopping:  # its grader was killed by us, not by the submission: grade it next run
        return failure_result(Status.INTERNAL_ERROR, "grade-all was interrupted")
    info = gb.classroom(result)
    info.update(student=sub.student, name=sub.name, source=sub.path.name, digest=fingerprint,
                submitted_at=sub.submitted_at or submission_time(sub), lms=sub.lms,
                late_marked=sub.late_marked,
                regraded_because=getattr(ctx, "reasons", {}).get(sub.student, ""),
                record=ctx.record, grader=provenance.short(ctx.record),
                seconds=round(time.monotonic() - started, 3),
                graded_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    folder = ctx.out / sub.student
    ctx.on_result(result)  # the late penalty, which the report shows
    write_report(folder, sub.student, result)
    if info["status"] not in RETRY_STATUSES:
        atomic_write(folder / "results.json", dumps_results(result))
    return result


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
        if info.get("report_key") == report_html.view_key(result) or not (folder / "results.json").is_file():
            continue
        write_report(folder, student, result)
        atomic_write(folder / "results.json", dumps_results(result))
        rewritten += 1
    return rewritten


def _why_grade_again(result: dict, sub: Submission, ctx: Context) -> tuple[str | None, str]:
    """(action, why) for a stored result: (None, "") when it is current; GRADE for a
    resubmission, a change in what the checks' outcome depends on, or the instructor's
    asking; UPDATE when only the points or the feedback changed (regrade.plan)."""
    info = gb.classroom(result)
    if info.get("status") in RETRY_STATUSES:
        return regrade.GRADE, "a grade-all error last time"
    if ctx.force:
        return regrade.GRADE, "--force"
    if sub.student in ctx.regrade:
        return regrade.GRADE, "--regrade"
    try:
        if info.get("digest") != digest(sub):
            return regrade.GRADE, "the submission changed"
    except OSError:
        return regrade.GRADE, "the submission could not be read"
    action, _, why = regrade.plan(info.get("record"), ctx.record)
    return action, why


def _bring_up_to_date(result: dict, reason: str, ctx: Context, settings) -> tuple[str, str]:
    """Rescore or rebuild the feedback of a stored result, and save it with the current
    record; (UPDATE, reason), or (GRADE, why not) when its stored results cannot."""
    info = gb.classroom(result)
    stored = info.get("record") or {}
    _, parts, _ = regrade.plan(stored, ctx.record)
    why_not = regrade.update(result, parts, stored, ctx.record, settings.course or course_table.load())
    if why_not:
        return regrade.GRADE, f"{reason}, and {why_not}"
    info.update(record=ctx.record, grader=provenance.short(ctx.record),
                updated_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    atomic_write(ctx.out / info.get("student", "") / "results.json", dumps_results(result))
    return regrade.UPDATE, reason


def _take_lock(path: Path):
    """An exclusive lock on ``path`` for this run (released by the kernel if we die)."""
    handle = open(path, "a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


if __name__ == "__main__":
    sys.exit(main(build_parser().parse_args()))
