"""Time grade-all on a generated class:
``python -m tools.bench_class [--students 200] [--jobs 1 2]``.

Generates one class with tools/make_class.py (correct, partly wrong, stubbed, hostile
and broken submissions), grades it from scratch once per ``--jobs`` value into its
own folder, and prints one JSON object: for each job count the wall time, the
seconds per submission, and the class's make-up. ``measure()`` returns the same
figures to a caller such as benchmarks/bench.py.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


KINDS = ("correct", "mutant", "stub", "half-done", "hostile", "corrupt-zip", "empty-folder",
         "zip-slip", "zip-bomb", "no-package", "zip-of-folder")


def kind_of(name: str) -> str:
    """"s012-mutant-relu-no-mask.zip" -> "mutant" (tools/make_class.py's names)."""
    rest = name.removesuffix(".zip").partition("-")[2]
    return next((kind for kind in KINDS if rest == kind or rest.startswith(kind + "-")), rest)


def measure(students: int = 200, jobs=(1, 2), seed: int = 0, workdir: Path | None = None,
            extra_args=()) -> dict:
    """Grade a generated class of ``students`` once per job count; the figures as a dict."""
    from tools.make_class import make_class
    with tempfile.TemporaryDirectory(prefix="bench-class-", dir=workdir) as scratch:
        scratch = Path(scratch)
        made = make_class(scratch / "submissions", students, seed)
        figures = {"students": len(made), "mix": dict(Counter(kind_of(p.name) for p in made)),
                   "cores": os.cpu_count(), "runs": []}
        for count in jobs:
            gradebook = scratch / f"jobs{count}" / "gradebook.csv"
            started = time.perf_counter()
            run = subprocess.run([sys.executable, "-m", "autograder.classroom.grade_all",
                                  str(scratch / "submissions"), "--gradebook", str(gradebook),
                                  "--jobs", str(count), *extra_args],
                                 cwd=ROOT, capture_output=True, text=True)
            wall = time.perf_counter() - started
            if run.returncode != 0:
                raise RuntimeError(f"bench_class: grade-all --jobs {count} failed: "
                                   f"{run.stderr[-2000:]}")
            with open(gradebook, newline="") as handle:
                rows = list(csv.DictReader(handle))
            per_student = [json.loads((gradebook.parent / "reports" / r["student"]
                                       / "results.json").read_text())
                           ["extra_data"]["classroom"]["seconds"] for r in rows]
            figures["runs"].append({
                "jobs": count, "wall_seconds": round(wall, 2),
                "seconds_per_submission": round(wall / len(rows), 3),
                "mean_grading_seconds_per_submission":
                    round(sum(per_student) / len(per_student), 3),
                "slowest_submission_seconds": round(max(per_student), 2),
                "statuses": dict(Counter(r["status"] for r in rows)),
            })
    return figures


def main(argv=None) -> int:
    # the first paragraph: help re-flows its two lines into one
    parser = argparse.ArgumentParser(prog="python -m tools.bench_class",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.students, args.jobs, args.seed), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
