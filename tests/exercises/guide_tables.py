"""The student guide's two tables (exercises by chapter; points by unit), read back and
held against the course table. `make exercises` writes them (tools/make_exercises.py);
this reader is independent of that writer, so a generator bug or a hand edit of the
tables shows here as a named difference. Shared by test_guide.py and the test that adds
a unit."""
import re

from autograder import course

NUMBERS = re.compile(r"^\d+\.\d+(, \d+\.\d+)*$")  # "1.2", "3.1, 3.2", "10.12"


def key(number: str) -> tuple:
    """Numeric order: 2.10 comes after 2.9, 10.1 after 9.9."""
    return tuple(int(part) for part in number.split("."))


def rows(section: str) -> list[list[str]]:
    """The cells of each table row in ``section`` (header and rule rows included)."""
    return [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in section.splitlines() if line.startswith("|")]


def sections(guide: str) -> tuple[str, str]:
    """(the exercise table's section, the points section)."""
    start = guide.index("## The exercises, in order")
    points = guide.index("### Points", start)
    end = guide.index("\n## ", points)
    return guide[start:points], guide[points:end]


def problems(guide: str, table: course.Course) -> list[str]:
    """Everything in which the guide's tables differ from ``table``; [] when they agree."""
    exercise_section, points_section = sections(guide)
    found, chapter, by_number = [], None, {e.number: e for e in table.exercises}
    listed = []
    for cells in rows(exercise_section):
        bold = re.fullmatch(r"\*\*(\d+)\*\*", cells[0])
        if bold:
            chapter = int(bold.group(1))
            title = cells[1].strip("*")
            expected = table.assignments.get(chapter)
            if expected is None or expected.title != title:
                found.append(f"chapter {chapter}: the guide says {title!r}, the course "
                             f"{expected.title if expected else 'has no such assignment'!r}")
            continue
        if not NUMBERS.match(cells[0]):
            continue
        numbers = cells[0].split(", ")
        listed += numbers
        for number in numbers:
            exercise = by_number.get(number)
            if exercise is None:
                found.append(f"{number}: in the guide, not in the course")
                continue
            if exercise.unit != cells[-1]:
                found.append(f"{number}: unit {cells[-1]!r} in the guide, {exercise.unit!r} "
                             "in the course")
            if len(numbers) == 1 and exercise.title != cells[1]:
                found.append(f"{number}: title {cells[1]!r} in the guide, {exercise.title!r} "
                             "in the course")
            if chapter != key(number)[0]:
                found.append(f"{number}: listed under chapter {chapter}")
    expected_numbers = [e.number for e in table.exercises]
    if listed != expected_numbers:
        found.append(f"exercises: the guide lists {listed}, the course {expected_numbers}")
    if listed != sorted(listed, key=key):
        found.append("exercises: the guide's rows are not in numeric order")

    total = re.match(r"### Points \((\d+(?:\.\d+)?) in all\)", points_section)
    if not total or float(total.group(1)) != table.total:
        found.append(f"points: the heading says {total and total.group(1)} in all, the "
                     f"course's total is {table.total:g}")
    point_rows = [cells for cells in rows(points_section)[2:] if len(cells) == 3]
    units = [cells[0] for cells in point_rows]
    if units != list(table.units):
        found.append(f"points: the guide lists the units {units}, the course {list(table.units)}")
    for name, numbers, points in point_rows:
        unit = table.units.get(name)
        if unit is None:
            continue
        if float(points) != unit.points:
            found.append(f"{name}: {points} points in the guide, {unit.points:g} in the course")
        if unit.exercises and numbers != ", ".join(e.number for e in unit.exercises):
            found.append(f"{name}: exercises {numbers!r} in the guide, "
                         f"{', '.join(e.number for e in unit.exercises)!r} in the course")
    return found
