"""Write exercises/nn100 from solutions/nn100: every solution block becomes a stub.

    python -m tools.make_exercises            # (re)write exercises/nn100 and its table
    python -m tools.make_exercises --check    # exit 1, naming the files, if either is stale

A solution block is the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION``. It is
replaced, at its own indentation, by ``raise NotImplementedError("Exercise 1.2: ...")``;
the number comes from the course table (``autograder/course.toml``), looked up by the
function that encloses the block. Everything else (signatures, docstrings, scaffolding,
non-Python files) is copied unchanged, so the stubbed package imports like the reference.

It also writes ``exercises/exercises.json``, the students' copy of the exercise table
(numbers, titles, targets, chapters, checkpoints; nothing else of course.toml, which
holds answer hints), read by ``tools/student_exercises.py`` and ``make check``.
"""
import argparse
import ast
import json
import sys
from pathlib import Path

from autograder import course

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "solutions" / "nn100"
OUTPUT = ROOT / "exercises" / "nn100"
TABLE = ROOT / "exercises" / "exercises.json"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def stub_message(exercise) -> str:
    """What the stub raises, e.g. "Exercise 1.2: Linear.backward" (tools/check.py reads it)."""
    return f"Exercise {exercise.number}: {exercise.title}"


class MarkerError(ValueError):
    """A solution marker that is unbalanced, nested or in the wrong place."""


def find_blocks(text: str, name: str) -> list[tuple[int, int]]:
    """(begin, end) line indexes (0-based, inclusive) of every solution block in ``text``.

    Raises MarkerError naming ``name`` and the 1-based line for a nested BEGIN, an END
    without BEGIN, a BEGIN never closed, or an END indented differently from its BEGIN.
    """
    blocks, begin = [], None
    lines = text.splitlines()
    for index, line in enumerate(lines):
        marker = line.strip()
        if marker == BEGIN:
            if begin is not None:
                raise MarkerError(f"{name}:{index + 1}: '{BEGIN}' inside the block opened "
                                  f"at line {begin + 1}; blocks cannot nest")
            begin = index
        elif marker == END:
            if begin is None:
                raise MarkerError(f"{name}:{index + 1}: '{END}' without a '{BEGIN}' before it")
            if indent_of(line) != indent_of(lines[begin]):
                raise MarkerError(f"{name}:{index + 1}: '{END}' is indented differently from "
                                  f"its '{BEGIN}' at line {begin + 1}")
            blocks.append((begin, index))
            begin = None
        elif BEGIN in line or END in line:
            raise MarkerError(f"{name}:{index + 1}: a solution marker must be alone on its line")
    if begin is not None:
        raise MarkerError(f"{name}:{begin + 1}: '{BEGIN}' is never closed by '{END}'")
    return blocks


def indent_of(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


def enclosing_functions(text: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function, 1-based, e.g. Linear.forward.backward."""
    found = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    found.append((child.lineno, child.end_lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(text), "")
    return found


def target_of(functions, line: int, name: str) -> str:
    """The innermost function whose body holds 1-based ``line``."""
    holding = [(first, qualname) for first, last, qualname in functions if first < line <= last]
    if not holding:
        raise MarkerError(f"{name}:{line}: a solution block must sit inside a function")
    return max(holding)[1]


def stub_module(text: str, name: str, exercises=None) -> tuple[str, list[str]]:
    """The module with every block stubbed, and the targets of its blocks in file order."""
    exercises = course.load().exercises if exercises is None else exercises
    lookup = {(e.module, e.target): e for e in exercises}
    lines = text.splitlines(keepends=True)
    functions = enclosing_functions(text)
    out, targets, position = [], [], 0
    for begin, end in find_blocks(text, name):
        target = target_of(functions, begin + 1, name)
        exercise = lookup.get((Path(name).name, target))
        if exercise is None:
            raise MarkerError(f"{name}:{begin + 1}: the block in {target} has no exercise "
                              "number; add it to its unit's exercises in autograder/course.toml")
        if target in targets:
            raise MarkerError(f"{name}:{begin + 1}: {target} holds two solution blocks; "
                              "merge them or split the function")
        targets.append(target)
        out.extend(lines[position:begin])
        out.append(f'{indent_of(lines[begin])}raise NotImplementedError("{stub_message(exercise)}")\n')
        position = end + 1
    out.extend(lines[position:])
    return "".join(out), targets


def solution_lines(source: Path = SOURCE) -> dict[str, str]:
    """Every stripped, non-blank line inside a solution block under ``source`` -> file:line."""
    lines = {}
    for path in sorted(source.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        all_lines = text.splitlines()
        for begin, end in find_blocks(text, str(path)):
            for index in range(begin + 1, end):
                line = all_lines[index].strip()
                if line:
                    lines.setdefault(line, f"{path.name}:{index + 1}")
    return lines


def generate(source: Path = SOURCE, table: course.Course | None = None) -> dict[str, bytes]:
    """Relative path -> content of every file the exercises package should hold."""
    exercises = (course.load() if table is None else table).exercises
    files, seen = {}, set()
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_dir() or "__pycache__" in relative.parts or path.suffix == ".pyc":
            continue
        if path.suffix == ".py":
            text, targets = stub_module(path.read_text(encoding="utf-8"), str(path), exercises)
            files[relative.as_posix()] = text.encode("utf-8")
            seen.update((path.name, target) for target in targets)
        else:
            files[relative.as_posix()] = path.read_bytes()
    missing = [e for e in exercises if (e.module, e.target) not in seen]
    if missing:
        listed = ", ".join(f"{e.number} ({e.module}: {e.target})" for e in missing)
        raise MarkerError(f"generate: exercises with no solution block in {source}: {listed}")
    return files


def student_table(table: course.Course | None = None) -> bytes:
    """The content of exercises/exercises.json: what students may see of the course table."""
    table = course.load() if table is None else table
    data = {
        "about": "The exercise table, generated from the course table by `make exercises`: "
                 "do not edit.",
        "chapters": {str(number): a.title for number, a in table.assignments.items()},
        "exercises": [{"number": e.number, "module": e.module, "target": e.target,
                       "title": e.title, "unit": e.unit} for e in table.exercises],
        "checkpoints": {number: {"title": title, "needs": needs}
                        for number, (title, needs) in table.checkpoints.items()},
    }
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def table_difference(expected: bytes, path: Path = TABLE) -> list[str]:
    """["exercises.json: ..."] when the file at ``path`` is not ``expected``, else []."""
    if not path.is_file():
        return [f"{path.name}: missing"]
    if path.read_bytes() != expected:
        return [f"{path.name}: differs from what the generator writes now"]
    return []


def differences(expected: dict[str, bytes], output: Path) -> list[str]:
    """Files (relative to output) that are missing, extra or different."""
    present = {p.relative_to(output).as_posix() for p in output.rglob("*")
               if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"} \
        if output.is_dir() else set()
    problems = [f"{name}: missing" for name in sorted(set(expected) - present)]
    problems += [f"{name}: not generated from solutions (extra file)"
                 for name in sorted(present - set(expected))]
    problems += [f"{name}: differs from what the generator writes now"
                 for name in sorted(present & set(expected))
                 if (output / name).read_bytes() != expected[name]]
    return problems


def write(expected: dict[str, bytes], output: Path) -> None:
    """Make ``output`` hold exactly ``expected`` (stale generated files are removed)."""
    for problem in differences(expected, output):
        name = problem.split(":")[0]
        if name not in expected:
            (output / name).unlink()
    for name, content in expected.items():
        target = output / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != content:
            target.write_bytes(content)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.make_exercises", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, default=SOURCE, help="the reference package")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the package to write")
    parser.add_argument("--table", type=Path, default=TABLE, help="the exercise table to write")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if OUTPUT differs from what would be written")
    args = parser.parse_args(argv)
    try:
        table = course.load()
        expected = generate(args.source, table)
    except (MarkerError, SyntaxError, course.CourseError) as error:
        print(f"make_exercises: {error}", file=sys.stderr)
        return 1
    exercise_table = student_table(table)
    if args.check:
        problems = [f"{args.output}/{problem}" for problem in differences(expected, args.output)]
        problems += [f"{args.table.parent}/{problem}"
                     for problem in table_difference(exercise_table, args.table)]
        for problem in problems:
            print(f"make_exercises: {problem}", file=sys.stderr)
        if problems:
            print("make_exercises: run `make exercises` to regenerate", file=sys.stderr)
        return 1 if problems else 0
    write(expected, args.output)
    if table_difference(exercise_table, args.table):
        args.table.parent.mkdir(parents=True, exist_ok=True)
        args.table.write_bytes(exercise_table)
    print(f"make_exercises: wrote {len(expected)} files to {args.output} and the table of "
          f"{len(table.exercises)} exercises to {args.table}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
