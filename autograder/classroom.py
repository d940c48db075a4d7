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
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)

from . import assignments, provenance, report_html, summary
from . import course as course_table
from . import gradebook as gb
from .grader_process import (RETRY_STATUSES, Context, become_subreaper, dumps_results, failure_result,
                             kill_running, reap_orphans, run_grader)
from .submissions import Submission, SubmissionError, digest, find_submissions, materialize

DEFAULT_STUDENT_TIMEOUT = 600.0  # seconds for one whole submission, like Gradescope's default


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(prog="python -m autograder grade-all", description=__doc__.splitlines()[0])
    parser.add_argument("dir", help="folder with one sub-folder or .zip per student")
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
    parser.add_argument("--course", default=None, help="the course table (default: autograder/course.toml)")
    parser.add_argument("--force", action="store_true", help="grade every student again")
    parser.add_argument("--regrade", nargs="+", default=[], metavar="STUDENT",
                        help="grade these students again (ids as in the gradebook)")
    # For tests and other graders: the command that grades one folder.
    parser.add_argument("--grade-command", default=None, help=argparse.SUPPRESS)
    return parser


def main(args: argparse.Namespace) -> int:
    """Entry point of ``grade-all``; ``args`` needs ``dir``, ``gradebook`` and ``jobs``."""
    class_dir = Path(args.dir)
    if not class_dir.is_dir():
        print(f"grade-all: expected a folder of submissions, found {str(class_dir)!r}", file=sys.stderr)
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
    except ValueError as error:  # CourseError included
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
    ctx.record = provenance.record(selection, table, options, ctx.grade_command)
    ctx.force = bool(getattr(args, "force", False))
    ctx.regrade = set(getattr(args, "regrade", None) or [])
    # Each grader runs its own sandboxed children in parallel: share the cores out
    # rather than run jobs x children processes on them.
    ctx.grade_args += ["--jobs", str(max(1, (os.cpu_count() or 1) // jobs))]
    return grade_class(class_dir, gradebook, ctx, jobs, shard)


def _parse_shard(text):
    """"K/N" -> (K, N); no shard is (0, 1); None when malformed."""
    if not text:
        return 0, 1
    try:
        index, count = (int(part) for part in str(text).split("/"))
    except ValueError:
        return None
    return (index, count) if 0 <= index < count else None


def grade_class(class_dir: Path, gradebook: Path, ctx: Context, jobs: int, shard=(0, 1)) -> int:
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
    ctx.subreaper = become_subreaper()

    submissions = find_submissions(class_dir)
    students = [s.student for s in submissions]
    unknown = sorted(getattr(ctx, "regrade", set()) - set(students))
    if unknown:
        print(f"grade-all: --regrade names {', '.join(unknown)}, not in {class_dir} "
              f"(students: {', '.join(students[:10])}{', ...' if len(students) > 10 else ''})", file=sys.stderr)
        return 2
    results: dict[str, dict] = {}
    todo, why, current = [], Counter(), 0
    for position, sub in enumerate(submissions):
        done = gb.load_result(ctx.out / sub.student / "results.json")
        reason = "new" if done is None else _why_grade_again(done, sub, ctx)
        if reason is None:
            results[sub.student] = done
            current += 1
            continue
        if done is not None:
            results[sub.student] = done  # shown until its new grade replaces it
        if position % shard[1] == shard[0]:
            todo.append(sub)
            if reason != "new":
                why[reason] += 1
    gb.atomic_write(gradebook, gb.render_csv(students, results))
    console.print(f"grade-all: {len(submissions)} submissions in {class_dir}, "
                  f"{current} already graded, "
                  f"{len(todo)} to grade with {jobs} jobs"
                  + (f" (shard {shard[0]}/{shard[1]})" if shard[1] > 1 else ""), markup=False)
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
    summary_path = gradebook.parent / "summary.html"
    summary.write_summary(summary_path, students, results, ctx.out, gradebook)
    errors = sum(gb.classroom(r).get("status") != gb.GRADED for r in results.values())
    console.print(f"grade-all: {len(students)} students ({errors} not gradable) in "
                  f"{time.monotonic() - started:.1f} s; gradebook {gradebook}, summary {summary_path}")
    retry = [s for s, r in results.items() if gb.classroom(r).get("status") in RETRY_STATUSES]
    if retry:
        console.print(f"grade-all: {len(retry)} students hit a grade-all error ({', '.join(retry[:5])}); "
                      "run it again to grade them", markup=False)
        return 1
    return 0


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
                gb.atomic_write(gradebook, gb.render_csv(students, results))
                info = gb.classroom(result)
                if info["status"] != gb.GRADED:
                    failed += 1
                    note = f"{info['status']}: {info['reason']}"
                else:
                    note = f"{gb._fmt(result.get('score'))} / {gb._fmt(result.get('max_score'))}"
                progress.console.print(f"  {sub.student}: {note} ({info['seconds']:.1f} s)", markup=False, highlight=False)
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
        result = failure_result("internal-error", f"grade-all failed on this submission: {type(error).__name__}: {error}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        reap_orphans(ctx)
    if ctx.stopping:  # its grader was killed by us, not by the submission: grade it next run
        return failure_result("internal-error", "grade-all was interrupted")
    info = gb.classroom(result)
    info.update(student=sub.student, source=sub.path.name, digest=fingerprint,
                record=ctx.record, grader=provenance.short(ctx.record),
                seconds=round(time.monotonic() - started, 3),
                graded_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    folder = ctx.out / sub.student
    try:
        report_html.write_report(folder / "report.html", sub.student, result)
    except Exception as error:  # a report is a courtesy; the grade must still be saved
        info["report_error"] = f"{type(error).__name__}: {error}"
    if info["status"] not in RETRY_STATUSES:
        gb.atomic_write(folder / "results.json", dumps_results(result))
    return result


def _why_grade_again(result: dict, sub: Submission, ctx: Context) -> str | None:
    """None when the stored result is current; else why it is graded again: a
    resubmission, a change in what grades (provenance), or the instructor's asking."""
    info = gb.classroom(result)
    if info.get("status") in RETRY_STATUSES:
        return "a grade-all error last time"
    if ctx.force:
        return "--force"
    if sub.student in ctx.regrade:
        return "--regrade"
    try:
        if info.get("digest") != digest(sub):
            return "the submission changed"
    except OSError:
        return "the submission could not be read"
    changed = provenance.changes(info.get("record"), ctx.record)
    if changed:
        return ", ".join(provenance.PARTS.get(part, part) for part in changed) + " changed"
    return None


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
