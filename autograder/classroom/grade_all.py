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

from . import (settings as class_settings, from_git, late, merge, options, platforms,
               provenance, regrade)
from ..sandbox import processes
from .. import course as course_table
from . import gradebook as gb
from ..sandbox.atomic import atomic_write
from .gradebook import Status
from .outputs import finish, write_report
from .grader_process import (RETRY_STATUSES, Context, dumps_results, failure_result, kill_running,
                             reap_orphans, run_grader)
from ..grading.submissions import (Submission, SubmissionError, digest, find_submissions,
                                   materialize, submission_time)
from ..sandbox.safe_text import visible

build_parser = options.build_parser  # `autograder grade-all` parses with it


def main(args: argparse.Namespace) -> int:
    """Entry point of ``grade-all``; ``args`` as ``build_parser`` parses them."""
    try:
        run = options.from_args(args)
    except options.UsageError as error:
        print(f"grade-all: {error}", file=sys.stderr)
        return 2
    if run.merge:
        return merge.main(run.merge, run.gradebook, run.ctx.out, run.settings, finish)
    code = grade_class(run.class_dir, run.gradebook, run.ctx, run.jobs, run.shard, run.settings)
    if run.similarity and code in (0, 1):
        from . import similarity  # copydetect is needed only here
        settings = run.settings
        similarity.run(run.ctx.out / ".git-class" if settings.git_list else run.class_dir,
                       run.gradebook.parent, settings.people,
                       console=lambda text: print(f"grade-all: {text}", file=sys.stderr))
    return code


def grade_class(class_dir: Path, gradebook: Path, ctx: Context, jobs: int, shard=(0, 1),
                settings: class_settings.ClassSettings | None = None) -> int:
    settings = settings or class_settings.ClassSettings()
    console = Console(stderr=True, soft_wrap=True)
    ctx.out.mkdir(parents=True, exist_ok=True)
    lock = _take_lock(ctx.out / ".grade-all.lock")
    if lock is None:
        print(f"grade-all: another grade-all is writing {ctx.out}; wait for it or stop it",
              file=sys.stderr)
        return 2
    # Holding the lock, nothing else uses these: leftovers of a killed run.
    shutil.rmtree(ctx.out / ".work", ignore_errors=True)
    for stale in ctx.out.glob("*/.*.tmp"):
        stale.unlink(missing_ok=True)
    (ctx.out / ".work").mkdir(mode=0o700)
    ctx.subreaper = processes.become_subreaper()

    try:
        submissions, failed = _read_class(class_dir, ctx, settings, console)
        again = class_settings.students_named(ctx.regrade, submissions, settings.people)
    except (ValueError, SubmissionError) as error:  # ClassError, GitError included
        print(f"grade-all: {getattr(error, 'reason', error)}", file=sys.stderr)
        return 2
    students = sorted({s.student for s in submissions} | set(settings.people) | set(failed))
    results: dict[str, dict] = {}
    todo, why, updated, current = [], Counter(), Counter(), 0
    explain = ctx.explain
    for position, sub in enumerate(submissions):
        done = gb.load_result(ctx.out / sub.student / "results.json")
        action, reason = (("grade", "new") if done is None
                          else _why_grade_again(done, sub, ctx, again))
        if action == regrade.UPDATE:
            action, reason = _bring_up_to_date(done, reason, ctx, settings)
            if action == regrade.UPDATE:
                updated[reason] += 1
                if explain:
                    console.print(f"  {sub.student}: updated from its stored results, "
                                  f"nothing run: {reason}",
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
                console.print(f"  {sub.student}: graded again: {reason}", markup=False,
                              highlight=False)
    for student in students:
        if student in failed:
            results[student] = failure_result(*failed[student])
        elif student not in results and student not in {sub.student for sub in submissions}:
            results[student] = failure_result(Status.NOT_SUBMITTED,
                                              "on the roster, but no submission was found")
    for result in results.values():
        ctx.on_result(result)
    atomic_write(gradebook, gb.render_csv(students, results, settings.people))
    console.print(f"grade-all: {len(submissions)} submissions in {class_dir}, "
                  f"{current} already graded, "
                  f"{len(todo)} to grade with {jobs} jobs"
                  + (f" (shard {shard[0]}/{shard[1]})" if shard[1] > 1 else ""), markup=False)
    if updated:
        console.print(f"grade-all: {sum(updated.values())} brought up to date from their stored "
                      "results, nothing run, because "
                      + "; ".join(f"{reason} ({n})" for reason, n in updated.most_common()),
                      markup=False)
    stale = sum(why.values())
    if stale:
        console.print(f"grade-all: {stale} graded before, graded again because "
                      + "; ".join(f"{reason} ({n})" for reason, n in why.most_common()),
                      markup=False)
    started = time.monotonic()
    try:
        _run(todo, ctx, jobs, students, results, gradebook, console)
    except KeyboardInterrupt:
        console.print("grade-all: interrupted; run it again to grade the rest")
        return 130
    finally:
        shutil.rmtree(ctx.out / ".work", ignore_errors=True)
    console.print(f"grade-all: graded {len(todo)} in {time.monotonic() - started:.1f} s",
                  markup=False)
    return finish(students, results, gradebook, ctx.out, settings, console)


def _read_class(class_dir: Path, ctx: Context, settings: class_settings.ClassSettings, console):
    """The class's submissions, and {student: why there is none} for git classes."""
    if settings.git_list:
        pairs = from_git.read_list(settings.git_list)
        submissions, failed = from_git.checkout_class(pairs, ctx.out / ".git-class",
                                                      settings.due_for, settings.git_at_due)
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
        ours = sorted({sub.path.name for sub in find_submissions(class_dir)}
                      - {sub.path.name for sub in found})
        if ours:
            console.print(visible(f"grade-all: skipped {', '.join(ours)} in {class_dir}: "
                                  "grade-all's own output, not a student"), markup=False)
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


def _run(todo, ctx, jobs, students, results, gradebook, console) -> None:
    columns = (TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[failed]} not gradable"), TimeElapsedColumn(),
               TextColumn("left"), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress, ThreadPoolExecutor(jobs) as pool:
        waiting = {sub.student for sub in todo}
        kept = {s: r for s, r in results.items() if s not in waiting}
        failed = sum(gb.classroom(r).get("status") != gb.GRADED for r in kept.values())
        task = progress.add_task("grading", total=len(kept) + len(todo), completed=len(kept),
                                 failed=failed)
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
                progress.console.print(
                    visible(f"  {sub.student}: {note} ({info['seconds']:.1f} s)"),
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
        result = failure_result(Status.INTERNAL_ERROR, "grade-all failed on this submission: "
                                                       f"{type(error).__name__}: {error}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        reap_orphans(ctx)
    if ctx.stopping:  # its grader was killed by us, not by the submission: grade it next run
        return failure_result(Status.INTERNAL_ERROR, "grade-all was interrupted")
    info = gb.classroom(result)
    info.update(student=sub.student, name=sub.name, source=sub.path.name, digest=fingerprint,
                submitted_at=sub.submitted_at or submission_time(sub), lms=sub.lms,
                late_marked=sub.late_marked,
                regraded_because=ctx.reasons.get(sub.student, ""),
                record=ctx.record, grader=provenance.short(ctx.record),
                seconds=round(time.monotonic() - started, 3),
                graded_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    folder = ctx.out / sub.student
    ctx.on_result(result)  # the late penalty, which the report shows
    write_report(folder, sub.student, result)
    if info["status"] not in RETRY_STATUSES:
        atomic_write(folder / "results.json", dumps_results(result))
    return result


def _why_grade_again(result: dict, sub: Submission, ctx: Context, again: set
                     ) -> tuple[str | None, str]:
    """(action, why) for a stored result: (None, "") when it is current; GRADE for a
    resubmission, a change in what the checks' outcome depends on, or the instructor's
    asking; UPDATE when only the points or the feedback changed (regrade.plan)."""
    info = gb.classroom(result)
    if info.get("status") in RETRY_STATUSES:
        return regrade.GRADE, "a grade-all error last time"
    if ctx.force:
        return regrade.GRADE, "--force"
    if sub.student in again:  # --regrade's students
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
    why_not = regrade.update(result, parts, stored, ctx.record,
                             settings.course or course_table.load())
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
