"""Build the student edition: what students get, and nothing that gives answers away.

    python -m tools.release dist/student          (make release)

It holds the stubbed package and the exercise table (both written by the generator from
solutions/ and the course table, so they cannot carry a solution body or a hint of the
table's), the student guide, the visible checks, the data, the release notebooks when
``make notebooks`` has built them, a Makefile (``make check``, ``make submit``), a CI
workflow running ``make check``, and the few tools those need. Never the solutions, the
autograder, the course table or the project's tests. The build refuses an edition in
which any file holds a solution line; ``tests/exercises/test_release.py`` also searches
it for every hidden test name.
"""
import argparse
import re
import shutil
import sys
from pathlib import Path

from autograder import course
from tools import make_exercises

ROOT = Path(__file__).resolve().parents[1]
TOOLS = Path(__file__).resolve().parent
STAMP = ".nn100-student-edition"  # marks a folder this tool may delete and rebuild
SKIPPED = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints", ".DS_Store"}
# Only what the visible checks need, with the project's own version ranges.
STUDENT_REQUIREMENTS = ("numpy", "pytest", "pytest-timeout")
# (source relative to the repo root, destination relative to the edition)
COPIED = [
    ("exercises/README.md", "exercises/README.md"),
    ("exercises/checks", "exercises/checks"),
    ("data/digits.npz", "data/digits.npz"),
    ("data/README.md", "data/README.md"),
    ("data/make_digits.py", "data/make_digits.py"),  # its README names it: provenance
    ("tools/__init__.py", "tools/__init__.py"),
    ("tools/check.py", "tools/check.py"),
    ("tools/student_exercises.py", "tools/student_exercises.py"),
    ("tools/student_submit.py", "tools/student_submit.py"),
    ("tools/student_Makefile", "Makefile"),
    ("tools/student_README.md", "README.md"),
    ("tools/student_gitignore", ".gitignore"),
    ("tools/student_check.yml", ".github/workflows/check.yml"),
]
# Solution lines too generic to prove a leak, each with the reason it may appear elsewhere.
GENERIC_LINES = {
    "return D": "the identity backward; the given Layer base and the checks' fake layers "
                "return D too",
    "backward(D)": "the closure contract's own notation, all over the docstrings and the guide",
    "def backward(D):": "the closure's signature, given in every other layer's stub (Flatten's "
                        "block holds its whole two-line forward, closure included)",
    "return X, lambda D: D": "the given Layer base class's identity forward (scaffolding)",
    "else:": "a bare keyword (BatchNorm's block has one): it tells nothing of any solution",
    "for layer in self.layers:": "the loop header of the given Sequential.train and .eval",
}


def student_requirements(requirements: Path) -> str:
    """The lines of the project's requirements.txt for STUDENT_REQUIREMENTS."""
    picked = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        name = re.split(r"[<>=!~\[;\s#]", line.strip(), maxsplit=1)[0].lower()
        if name in STUDENT_REQUIREMENTS:
            picked[name] = line.split("#")[0].strip()
    missing = [name for name in STUDENT_REQUIREMENTS if name not in picked]
    if missing:
        raise ValueError(f"student_requirements: {requirements} has no line for {missing}")
    return "".join(f"{picked[name]}\n" for name in STUDENT_REQUIREMENTS)


def copy(source: Path, destination: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, destination,
                        ignore=shutil.ignore_patterns(*SKIPPED, "*.pyc"))
    else:
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)


def prepare(out: Path) -> None:
    """An empty ``out``: a previous edition is removed, anything else is refused."""
    if out.exists():
        if not (out / STAMP).exists() and any(out.iterdir()):
            raise ValueError(f"release: {out} exists and is not a student edition; "
                             "choose an empty or new folder")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / STAMP).write_text("Built by `make release`; rebuilt from scratch each time.\n")


def build(out: Path, root: Path = ROOT, check_sync: bool = True) -> list[str]:
    """Write the student edition into ``out``; return what it holds, relative to ``out``.

    The package is written from the generator, so it is stubbed whatever exercises/ holds;
    ``check_sync`` also refuses to build while exercises/ is stale (the tests turn it off
    so that a stale tree fails one test, the sync test, instead of all of them).
    """
    table = course.read(root / "autograder" / "course" / "course.toml")
    stubs = make_exercises.generate(root / "solutions" / "nn100", table)
    exercise_table = make_exercises.student_table(table)
    stale = make_exercises.differences(stubs, root / "exercises" / "nn100")
    stale += make_exercises.table_difference(exercise_table, root / "exercises" / "exercises.json")
    if stale and check_sync:
        raise ValueError("release: exercises/ is not what the generator writes "
                         f"({stale[0]}); run `make exercises` first")
    prepare(out)
    for name, content in stubs.items():
        target = out / "exercises" / "nn100" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    (out / "exercises" / "exercises.json").write_bytes(exercise_table)
    for source, destination in COPIED:
        copy(root / source, out / destination)
    (out / "requirements.txt").write_text(student_requirements(root / "requirements.txt"))
    revealing = revealing_lines(root)
    leak = first_leak(out, revealing)
    if leak:  # a copied file (the guide, a check) quotes a solution: fix it at its source
        raise ValueError(f"release: the edition would give answers away: {leak}")
    notebooks = root / "assignments" / "release"
    if notebooks.is_dir():  # built by `make notebooks`; optional
        for assignment in sorted(p for p in notebooks.iterdir() if p.is_dir()):
            leak = first_leak(assignment, revealing)
            if leak:
                print(f"release: left out notebooks/{assignment.name}: {leak}", file=sys.stderr)
            else:
                copy(assignment, out / "notebooks" / assignment.name)
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def revealing_lines(root: Path) -> list[str]:
    """Solution lines that would give an answer away (alphanumeric, not generic)."""
    lines = make_exercises.solution_lines(root / "solutions" / "nn100")
    return [line for line in lines
            if line not in GENERIC_LINES and any(c.isalnum() for c in line)]


def first_leak(folder: Path, revealing: list[str]) -> str | None:
    """Why ``folder`` must not ship (a file holding solution lines), or None.

    Notebooks of later assignments may carry a toolbox with the reference bodies of
    earlier ones: fine for the notebook track alone, but in this edition it would hand
    over the answers to the package's exercises.
    """
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="replace").replace('\\"', '"')
        found = [line for line in revealing if line in text]
        if found:
            return (f"{path.relative_to(folder)} holds {len(found)} lines of the reference "
                    f"solution (e.g. {found[0]!r})")
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.release", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="folder to write, e.g. dist/student")
    args = parser.parse_args(argv)
    try:
        files = build(args.out)
    except (ValueError, make_exercises.MarkerError) as error:  # CourseError is a ValueError
        print(error, file=sys.stderr)
        return 1
    notebooks = sum(name.endswith(".ipynb") for name in files)
    print(f"release: wrote {len(files)} files to {args.out} ({notebooks} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
