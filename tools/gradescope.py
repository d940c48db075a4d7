"""Build the Gradescope autograder zip: ``python -m tools.gradescope dist/autograder.zip``.

``--assignment N`` builds the zip of one assignment (``dist/autograder-N.zip`` by
default): the same content plus ``assignment.json``, which makes the runner grade
only that assignment's units, scaled to its total (course.toml). ``--all`` builds
one zip per assignment.

The zip holds, at its root, what Gradescope expects (``setup.sh``, ``run_autograder``)
and what they run: the grader package with its hidden checks (``autograder/``), the
reference (``solutions/nn100``), the data and the requirements. Entries carry fixed
dates, so the same sources always make the same zip.
"""
from __future__ import annotations

import argparse
import json
import sys
import zipfile
from pathlib import Path

from autograder.sandbox.atomic import replacing

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "gradescope"
# (path in the repository, path in the zip): folders are taken whole.
CONTENT = [
    (TEMPLATES / "setup.sh", "setup.sh"),
    (TEMPLATES / "run_autograder", "run_autograder"),
    (TEMPLATES / "run_submission.py", "run_submission.py"),
    (ROOT / "requirements.txt", "requirements.txt"),
    (ROOT / "autograder", "autograder"),
    (ROOT / "solutions" / "nn100", "solutions/nn100"),
    (ROOT / "data", "data"),
]
EXECUTABLE = {"setup.sh", "run_autograder"}
SKIPPED = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"}


def entries() -> list[tuple[Path, str]]:
    """Every file of the zip as (source, name in the zip), sorted by name."""
    files = []
    for source, name in CONTENT:
        if source.is_file():
            files.append((source, name))
        elif source.is_dir():
            for path in source.rglob("*"):
                relative = path.relative_to(source)
                if path.is_file() and not SKIPPED & set(relative.parts) and path.suffix != ".pyc":
                    files.append((path, f"{name}/{relative.as_posix()}"))
        else:
            raise ValueError(f"gradescope: expected {source} in the repository, found nothing")
    return sorted(files, key=lambda item: item[1])


def build(zip_path: Path, assignment: int | None = None) -> Path:
    """Write the autograder zip to ``zip_path`` (atomically) and return it; with
    ``assignment``, the zip grades that assignment only."""
    if assignment is not None:
        from autograder import course
        known = course.load().assignments
        if assignment not in known:
            raise ValueError(f"gradescope: the course has assignments {sorted(known)}, "
                             f"not {assignment}")
    zip_path = Path(zip_path)
    # 0600: the zip holds the reference solution and the hidden checks.
    with (replacing(zip_path, mode=0o600) as out,
          zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive):
        for source, name in entries():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100755 if name in EXECUTABLE else 0o100644) << 16
            archive.writestr(info, source.read_bytes())
        if assignment is not None:
            info = zipfile.ZipInfo("assignment.json", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o100644 << 16
            archive.writestr(info, json.dumps({"assignment": assignment}) + "\n")
    return zip_path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.gradescope",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("zip", nargs="?", default=None,
                        help="default: dist/autograder.zip, "
                             "or dist/autograder-N.zip for --assignment N")
    parser.add_argument("--assignment", type=int, default=None, help="grade only this assignment")
    parser.add_argument("--all", action="store_true", help="one zip per assignment, in dist/")
    args = parser.parse_args(argv)
    if args.all:
        from autograder import course
        numbers = list(course.load().assignments)
    else:
        numbers = [args.assignment]
    for number in numbers:
        default = "dist/autograder.zip" if number is None else f"dist/autograder-{number}.zip"
        path = build(Path(args.zip if args.zip and not args.all else default), number)
        print(f"gradescope: wrote {path} ({path.stat().st_size // 1024} kB)"
              + (f", assignment {number}" if number is not None else ", the whole course"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
