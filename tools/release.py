"""Build the student edition: what students get, and nothing that gives answers away.

    python -m tools.release dist/student          (make release)

It holds the stubbed package and the exercise table (both written by the generator from
solutions/ and the course table, so they cannot carry a solution body or a hint of the
table's), the student guide, the visible checks, the data, the course notebooks as
``make notebooks`` releases them (solutions stubbed, hidden tests removed, and a
``toolbox.py`` that takes the earlier units from the student's own notebooks), a Makefile
(``make check``, ``make submit``), a CI workflow running ``make check``, and the few tools
those need. Never the solutions, the autograder, the course table or the project's tests.

    python -m tools.release dist/student --no-notebooks   (the package track only)

The build refuses an edition in which any file holds a line of a reference solution or
of a notebook's hidden tests; ``tests/exercises/test_release.py`` and
``tests/notebooks/test_student_edition.py`` also search it for every hidden test name.
"""
import argparse
import json
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
NOTEBOOKS = ROOT / "assignments" / "release"  # written by `make notebooks`
NOTEBOOKS_README = ("tools/student_notebooks_README.md", "notebooks/README.md")
HIDDEN_TESTS = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
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


def build(out: Path, root: Path = ROOT, check_sync: bool = True,
          notebooks: Path | None = None) -> list[str]:
    """Write the student edition into ``out``; return what it holds, relative to ``out``.

    The package is written from the generator, so it is stubbed whatever exercises/ holds;
    ``check_sync`` also refuses to build while exercises/ is stale (the tests turn it off
    so that a stale tree fails one test, the sync test, instead of all of them).
    ``notebooks`` is the folder of release notebooks (``make notebooks`` writes
    assignments/release), one folder per notebook of the course; None leaves them out.
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
    if notebooks is not None:
        for name in notebook_names(notebooks, table):
            copy(notebooks / name, out / "notebooks" / name)
        copy(root / NOTEBOOKS_README[0], out / NOTEBOOKS_README[1])
    leak = first_leak(out, revealing_lines(root))
    if notebooks is not None and not leak:
        leak = first_leak(out / "notebooks", hidden_test_lines(root / "assignments" / "text"),
                          "of the notebooks' hidden tests", "notebooks/")
    if leak:  # a copied file (the guide, a check, a notebook) gives an answer away
        raise ValueError(f"release: the edition would give answers away: {leak}; fix it "
                         "at its source (a notebook: run `make notebooks` again)")
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def notebook_names(notebooks: Path, table) -> list[str]:
    """The course's notebooks, each of which must have its folder in ``notebooks``."""
    names = [notebook.name for notebook in table.notebooks.values()]
    missing = [name for name in names if not (notebooks / name / f"{name}.ipynb").is_file()]
    if missing:
        raise ValueError(f"release: {notebooks} has no release notebook for {missing}; run "
                         "`make notebooks` first (`make release` does), or leave the "
                         "notebooks out with --no-notebooks")
    return names


def hidden_test_lines(texts: Path) -> list[str]:
    """The lines of the notebooks' hidden tests (text/*.py) that appear nowhere else in
    them: a visible test may share a line such as ``assert np.allclose(Y, 0)``."""
    inside, outside = set(), set()
    for text in sorted(texts.glob("*.py")):
        source = text.read_text(encoding="utf-8")
        for region in HIDDEN_TESTS.findall(source):
            inside |= {line.strip() for line in region.splitlines()}
        outside |= {line.strip() for line in HIDDEN_TESTS.sub("", source).splitlines()}
    return sorted(line for line in inside - outside
                  if line not in GENERIC_LINES and any(c.isalnum() for c in line))


def revealing_lines(root: Path) -> list[str]:
    """Solution lines that would give an answer away (alphanumeric, not generic)."""
    lines = make_exercises.solution_lines(root / "solutions" / "nn100")
    return [line for line in lines
            if line not in GENERIC_LINES and any(c.isalnum() for c in line)]


def first_leak(folder: Path, revealing: list[str], what: str = "of the reference solution",
               prefix: str = "") -> str | None:
    """Why ``folder`` must not ship (a file holding revealing lines), or None.

    The grader's toolbox.py of a later notebook holds the reference bodies of earlier
    ones: a release built by hand with `nbgrader generate_assignment` alone would ship it.
    """
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="replace").replace('\\"', '"')
        if path.suffix == ".ipynb":  # also its cells as students see them, JSON escapes undone
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
            text += "\n".join("".join(cell.get("source", [])) for cell in cells)
        found = [line for line in revealing if line in text]
        if found:
            return (f"{prefix}{path.relative_to(folder).as_posix()} holds {len(found)} lines "
                    f"{what} (e.g. {found[0]!r})")
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.release", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="folder to write, e.g. dist/student")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS,
                        help="the release notebooks (default: assignments/release, written "
                             "by `make notebooks`)")
    parser.add_argument("--no-notebooks", action="store_true",
                        help="leave the notebooks out (the package track only)")
    args = parser.parse_args(argv)
    try:
        files = build(args.out, notebooks=None if args.no_notebooks else args.notebooks)
    except (ValueError, make_exercises.MarkerError) as error:  # CourseError is a ValueError
        print(error, file=sys.stderr)
        return 1
    notebooks = sum(name.endswith(".ipynb") for name in files)
    print(f"release: wrote {len(files)} files to {args.out} ({notebooks} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
