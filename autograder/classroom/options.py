"""grade-all's command line, and the one place its parsed options become the run's
values: where the class and its outputs are, how many at once, the course and the
selection, the class settings (roster, due times, exports) and the grader processes'
``Context``."""

from __future__ import annotations

import argparse
import os
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .. import course as course_table
from ..course import assignments
from . import platforms, provenance, settings as class_settings
from .grader_process import Context

DEFAULT_STUDENT_TIMEOUT = 600.0  # seconds for one whole submission, like Gradescope's default
DESCRIPTION = (
    "Grade a whole class: ``python -m autograder grade-all DIR --gradebook FILE.csv [--jobs N]``."
)


class UsageError(ValueError):
    """Options that cannot be run: grade-all says why and exits with status 2."""


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(
        prog="python -m autograder grade-all", description=DESCRIPTION
    )
    parser.add_argument(
        "dir",
        nargs="?",
        default=None,
        help="folder with one sub-folder or .zip per student, or a Canvas or Moodle "
        "download (the zip or its unpacked folder)",
    )
    parser.add_argument("--gradebook", required=True, help="CSV to write; reports go next to it")
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="submissions graded at once (default: the number of cores)",
    )
    parser.add_argument(
        "--reports",
        default=None,
        help="folder for per-student reports (default: reports/ next to the gradebook)",
    )
    parser.add_argument(
        "--timeout", type=float, default=None, help="passed to `autograder grade --timeout`"
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="passed to `autograder grade --seed`"
    )
    parser.add_argument(
        "--student-timeout",
        type=float,
        default=DEFAULT_STUDENT_TIMEOUT,
        help=f"wall-clock seconds for one submission (default {DEFAULT_STUDENT_TIMEOUT:.0f})",
    )
    parser.add_argument(
        "--shard",
        default=None,
        metavar="K/N",
        help="grade only every N-th student starting at K (0-based), to split a class "
        "across machines",
    )
    parser.add_argument(
        "--assignment",
        type=int,
        default=None,
        help="grade only this assignment of course.toml, scaled to its total",
    )
    parser.add_argument(
        "--course", default=None, help="the course table (default: autograder/course/course.toml)"
    )
    parser.add_argument("--force", action="store_true", help="grade every student again")
    parser.add_argument(
        "--regrade",
        nargs="+",
        default=[],
        metavar="STUDENT",
        help="grade these students again (ids as in the gradebook, or names)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="say for each student graded again or updated why (one line each)",
    )
    parser.add_argument(
        "--roster",
        default=None,
        metavar="FILE.csv",
        help="names, emails, SIS ids by student id (id,name,email,...; or a Canvas "
        "gradebook export, or a Moodle grading worksheet)",
    )
    parser.add_argument(
        "--due",
        default=None,
        metavar="TIME",
        help="due time (ISO 8601, UTC unless a zone is given): late work loses "
        "points as course.toml's [late] says",
    )
    parser.add_argument(
        "--export",
        nargs=2,
        action="append",
        default=[],
        metavar=("LMS", "FILE.csv"),
        help=f"also write the grade-import CSV of {platforms.names()}",
    )
    parser.add_argument(
        "--from-git",
        default=None,
        metavar="LIST",
        help="grade git repositories instead: LIST has one 'student,url' a line; "
        "each is graded at its newest commit, late by its commit time",
    )
    parser.add_argument(
        "--git-at-due",
        action="store_true",
        help="with --from-git: grade the last commit before the due time instead",
    )
    parser.add_argument(
        "--extensions",
        default=None,
        metavar="FILE.csv",
        help="students with their own due time: columns student,due (or a 'due' "
        "column in the roster)",
    )
    parser.add_argument(
        "--export-unmatched",
        action="store_true",
        help="write export rows the platform cannot match (no roster entry) "
        "instead of refusing them",
    )
    parser.add_argument(
        "--merge",
        nargs="+",
        default=None,
        metavar="DIR",
        help="merge the reports of --shard runs (each DIR holds reports/) into one "
        "gradebook, summary and export set; grades nothing",
    )
    parser.add_argument(
        "--feedback-zip",
        nargs=2,
        action="append",
        default=[],
        metavar=("LMS", "FILE.zip"),
        help=f"also write every report.html in the zip {platforms.names()} reads "
        "as feedback files (autograder/classroom/feedback_zip.py)",
    )
    parser.add_argument(
        "--similarity",
        action="store_true",
        help="also compare the submissions with each other: similarity.html and "
        ".csv next to the gradebook (see autograder/classroom/similarity.py)",
    )
    platforms.add_options(parser)  # each platform's own (--export-column, --moodle-max)
    # For tests and other graders: the command that grades one folder.
    parser.add_argument("--grade-command", default=None, help=argparse.SUPPRESS)
    return parser


@dataclass
class ClassRun:
    """Everything a grade-all run is told, resolved once from its options."""

    class_dir: Path
    gradebook: Path
    jobs: int
    shard: tuple[int, int]
    settings: class_settings.ClassSettings
    ctx: Context
    merge: list | None = None  # --merge DIR...: merge shards instead of grading
    similarity: bool = False  # --similarity


def from_args(args: argparse.Namespace) -> ClassRun:
    """The run ``args`` (grade-all's parsed options) asks for; UsageError when it cannot be."""
    no_class_needed = args.merge or args.from_git
    if args.dir is None and not no_class_needed:
        raise UsageError("expected the class (a folder or an LMS download)")
    class_dir = Path(args.dir or ".")
    if (
        not no_class_needed
        and not class_dir.is_dir()
        and not (class_dir.is_file() and zipfile.is_zipfile(class_dir))
    ):
        raise UsageError(
            f"expected a folder of submissions or an LMS download zip, found {str(class_dir)!r}"
        )
    jobs = args.jobs or os.cpu_count() or 1
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, found {jobs}")
    shard = parse_shard(args.shard)
    if shard is None:
        raise UsageError(f"--shard expects K/N with 0 <= K < N, found {args.shard!r}")
    try:
        table = course_table.read(args.course) if args.course else course_table.load()
        selection = assignments.select(args.assignment, table)
        settings = class_settings.from_args(args, table, selection)
    except (ValueError, OSError) as error:  # CourseError, PolicyError, ClassError included
        raise UsageError(str(error)) from error
    gradebook = Path(args.gradebook)
    command = args.grade_command
    command = command.split() if command else [sys.executable, "-m", "autograder", "grade"]
    grade_args = [
        *(["--timeout", str(args.timeout)] if args.timeout is not None else []),
        *(["--seed", str(args.seed)] if args.seed is not None else []),
        *selection.options(),
        *(["--course", str(Path(args.course).resolve())] if args.course else []),
        # Each grader runs its own sandboxed children in parallel: share the
        # cores out rather than run jobs x children processes on them.
        "--jobs",
        str(max(1, (os.cpu_count() or 1) // jobs)),
    ]
    student_timeout = float(args.student_timeout or DEFAULT_STUDENT_TIMEOUT)
    options = {
        "seed": args.seed,
        "timeout": args.timeout,
        "student_timeout": student_timeout,
        "assignment": selection.number,
    }
    ctx = Context(
        # Absolute: each grader runs from its own working folder.
        out=Path(args.reports or gradebook.parent / "reports").resolve(),
        grade_command=command,
        grade_args=grade_args,
        student_timeout=student_timeout,
        record=provenance.record(selection, table, options, command, args.course),
        explain=args.explain,
        force=args.force,
        regrade=set(args.regrade),
        people=settings.people,
        on_result=lambda result: class_settings.apply_late(result, settings),
    )
    return ClassRun(
        class_dir,
        gradebook,
        jobs,
        shard,
        settings,
        ctx,
        merge=args.merge,
        similarity=args.similarity,
    )


def parse_shard(text):
    """ "K/N" -> (K, N); no shard is (0, 1); None when malformed."""
    if not text:
        return 0, 1
    try:
        index, count = (int(part) for part in str(text).split("/"))
    except ValueError:
        return None
    return (index, count) if 0 <= index < count else None
