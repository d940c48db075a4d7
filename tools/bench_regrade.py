"""Time each kind of regrade on a generated class:
``python -m tools.bench_regrade [--students 30] [--jobs 2] [--assignment 1]``.

Makes a class with tools/make_class.py laid out as a Canvas download, grades it once,
then changes one thing of a private copy of course.toml at a time and runs the same
grade-all command again, timing each run: nothing changed, the late policy, a hint, a
unit's points, a unit of another assignment, and what a unit's checks read (the only
one that grades the class again). Prints one JSON object: the seconds of each case and
what the log said.

``--replicate K`` measures how the cases that run nothing grow with the class: after the
first grading, every submission and its stored result are copied K times under new
Canvas ids (same content, so the copies are as current as the originals), and the cases
run on that class of K x students. Timing the same cases at two sizes separates the
fixed cost of a run (starting Python, the summary's histogram) from the per-student
cost, which is what a class of 1,000 multiplies.
"""
from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (case, [(text after which to edit or None, old, new, points added to the course total)]),
# applied in turn to course.toml's copy.
CASES = [
    ("nothing changed", []),
    ("late policy", [(None, "penalty_per_day = 10", "penalty_per_day = 5", 0)]),
    ("a hint", [("[units.Linear.hints]", 'forward = { concept = "',
                 'forward = { concept = "(edited) ', 0)]),
    ("a unit's points", [("[units.Linear]", "points = 10", "points = 12", 2)]),
    ("another assignment's unit", [("[units.Tanh]", "points = 4", "points = 5", 1)]),
    ("a unit's checks (spec)", [("[units.Linear.spec]", "bound = 1e-12", "bound = 1e-11", 0)]),
]


def _edit(course: Path, after: str | None, old: str, new: str, added: int) -> None:
    text = course.read_text()
    start = text.index(after) if after else 0
    if old not in text[start:]:
        raise SystemExit(f"bench_regrade: {old!r} not found in course.toml")
    text = text[:start] + text[start:].replace(old, new, 1)
    total = int(re.search(r"\ntotal = (\d+)", text).group(1))
    course.write_text(text.replace(f"\ntotal = {total}", f"\ntotal = {total + added}", 1))


def _children_cpu() -> float:
    """CPU seconds of the finished child processes (grade-all and its graders): unlike
    the wall time, it does not grow with what else the machine is running."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def replicate(download: Path, reports: Path, copies: int, out_zip: Path) -> int:
    """``copies`` of every student of a Canvas download, with their stored results."""
    from autograder.classroom.platforms.canvas import NAME as CANVAS
    count = 0
    with (zipfile.ZipFile(download) as source,
          zipfile.ZipFile(out_zip, "w", zipfile.ZIP_STORED) as target):
        for info in source.infolist():
            match = CANVAS.match(info.filename)
            data = source.read(info)
            for k in range(copies):
                user = match["user"] if k == 0 else f"{k}{int(match['user']):06d}"
                name = (f"{match['name']}{k or ''}{match['late'] or ''}_{user}_"
                        f"{match['submission']}{k}_{match['file']}")
                target.writestr(zipfile.ZipInfo(name, date_time=info.date_time), data)
                count += 1
                stored = reports / match["user"] / "results.json"
                if k and stored.is_file():
                    result = json.loads(stored.read_text())
                    result["extra_data"]["classroom"]["student"] = user
                    (reports / user).mkdir(exist_ok=True)
                    (reports / user / "results.json").write_text(json.dumps(result))
    return count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench_regrade",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--assignment", type=int, default=1)
    parser.add_argument("--replicate", type=int, default=1, metavar="K",
                        help="time the cases on K copies of the class (see above)")
    parser.add_argument("--keep", default=None, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    scratch = Path(args.keep or tempfile.mkdtemp(prefix="bench-regrade-"))
    scratch.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "tools.make_class", str(scratch / "class"), "--students",
                    str(args.students), "--as", "canvas"],
                   cwd=ROOT, check=True, capture_output=True)
    course = scratch / "course.toml"
    shutil.copyfile(ROOT / "autograder" / "course" / "course.toml", course)
    command = [sys.executable, "-m", "autograder", "grade-all", str(scratch / "class.canvas.zip"),
               "--assignment", str(args.assignment), "--course", str(course), "--roster",
               str(scratch / "class.roster.csv"), "--due", "2026-09-14T23:59Z",
               "--jobs", str(args.jobs),
               "--gradebook", str(scratch / "out" / "gradebook.csv"),
               "--export", "canvas", str(scratch / "out" / "canvas.csv")]
    figures = {"students": args.students, "jobs": args.jobs, "assignment": args.assignment,
               "cases": []}
    students = args.students
    for case, edits in [("first grading", [])] + CASES:
        if case == "nothing changed" and args.replicate > 1:
            students = replicate(scratch / "class.canvas.zip", scratch / "out" / "reports",
                                 args.replicate, scratch / "class-x.canvas.zip")
            command[command.index(str(scratch / "class.canvas.zip"))] = str(
                scratch / "class-x.canvas.zip")
            # the copies are not on the roster
            command[command.index("--roster"):command.index("--roster") + 2] = []
            figures["replicated_students"] = students
        if case == "a unit's checks (spec)" and args.replicate > 1:
            continue  # grades every copy again: time it without --replicate
        for edit in edits:
            _edit(course, *edit)
        started, cpu = time.perf_counter(), _children_cpu()
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        wall, cpu = time.perf_counter() - started, _children_cpu() - cpu
        if run.returncode not in (0, 1):
            raise SystemExit(f"bench_regrade: {case}: grade-all failed: {run.stderr[-2000:]}")
        said = [line for line in run.stderr.splitlines()
                if "already graded" in line or "brought up to date" in line
                or "graded again" in line or "reports rewritten" in line]
        figures["cases"].append({"case": case, "students": students, "seconds": round(wall, 1),
                                 "cpu_seconds": round(cpu, 1),
                                 "log": said})
        print(f"{case}: {wall:.1f} s, {cpu:.1f} s CPU", file=sys.stderr)
    print(json.dumps(figures, indent=1))
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
