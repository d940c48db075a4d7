"""The student edition with the notebooks, as `make release` builds it after `make
notebooks`: all six notebooks, stubbed, with the students' toolbox.py, and no line of a
reference solution, of a hidden test, nor any grader test name anywhere in it.

It reads the release of the sample class (conftest.py), so it costs no nbgrader run of
its own; the package part of the edition is tested in tests/exercises/test_release.py,
whose leak searches it reuses.
"""
import shutil
import sys
from pathlib import Path

import pytest

from autograder import course
from tools import release

from .test_nbgrader_course import HIDDEN, SOLUTION, notebook, regions

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "exercises"))
import test_release  # noqa: E402  (solution_leaks, searchable_texts, hidden_test_names)

pytestmark = [pytest.mark.xdist_group("nbgrader-course"), pytest.mark.timeout(1800)]
NOTEBOOKS = list(course.load().notebooks)


@pytest.fixture(scope="module")
def edition(graded_class, tmp_path_factory):
    out = tmp_path_factory.mktemp("edition") / "student"
    files = release.build(out, check_sync=False, notebooks=graded_class / "release")
    print(f"student edition: {len(files)} files, "
          f"{sum(f.endswith('.ipynb') for f in files)} notebooks")
    return out


def test_the_edition_holds_every_notebook_as_released_and_stubbed(edition, graded_class):
    assert len(NOTEBOOKS) == 6
    for name in NOTEBOOKS:
        shipped = edition / "notebooks" / name / f"{name}.ipynb"
        released = graded_class / "release" / name / f"{name}.ipynb"
        assert shipped.read_bytes() == released.read_bytes(), name
        text = "\n".join(cell.source for cell in notebook(edition, "notebooks", name).cells)
        assert "raise NotImplementedError()" in text, f"{name}: no stubbed solution"
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, name
    for name in NOTEBOOKS[1:]:  # the students' toolbox, not the grader's copy
        toolbox = (edition / "notebooks" / name / "toolbox.py").read_text()
        assert "_EARLIER = [" in toolbox and "class Linear" not in toolbox, name
        assert toolbox != (graded_class / "source" / name / "toolbox.py").read_text()
    # the guides name only files this edition has (the package part checks the rest)
    for guide in ["README.md", "exercises/README.md"]:
        assert test_release.files_named_but_missing((edition / guide).read_text(), edition) == []


def test_no_line_of_a_reference_solution_reaches_the_edition(edition, graded_class):
    assert test_release.solution_leaks(edition) == []
    texts = test_release.searchable_texts(edition)
    for name in NOTEBOOKS:  # also as pasted into the source notebooks
        answers = [line for line in regions(notebook(graded_class, "source", name), SOLUTION)
                   if line not in test_release.GENERIC_LINES]  # each with its reason
        assert len(answers) > 5, f"{name}: too few solution lines to check"
        leaks = [(line, file) for line in answers for file, text in texts.items()
                 if line in text]
        assert not leaks, f"{name}: solution lines in the edition: {leaks[:3]}"


def test_no_hidden_test_reaches_the_edition(edition, graded_class):
    """No line of a notebook's hidden tests in any notebook folder (some, such as
    ``def update(self, param):``, are in the package's visible checks too), and no name
    of a grader test anywhere."""
    texts = test_release.searchable_texts(edition / "notebooks")
    for name in NOTEBOOKS:
        hidden = regions(notebook(graded_class, "source", name), HIDDEN)
        assert len(hidden) > 5, f"{name}: too few hidden test lines to check"
        leaks = [(line, file) for line in hidden for file, text in texts.items()
                 if line in text]
        assert not leaks, f"{name}: hidden test lines in the edition: {leaks[:3]}"
    names = test_release.hidden_test_names()
    leaks = [(name, file) for name in names
             for file, text in test_release.searchable_texts(edition).items() if name in text]
    assert not leaks, f"grader test names in the edition: {leaks[:3]}"


def test_a_release_holding_the_graders_toolbox_is_refused(graded_class, tmp_path):
    """What `nbgrader generate_assignment` alone releases: the grader's toolbox.py, with
    the answers of the earlier assignments."""
    notebooks = tmp_path / "release"
    shutil.copytree(graded_class / "release", notebooks)
    shutil.copy(graded_class / "source" / "training" / "toolbox.py",
                notebooks / "training" / "toolbox.py")
    with pytest.raises(ValueError, match="answers away: notebooks/training/toolbox.py holds"):
        release.build(tmp_path / "student", check_sync=False, notebooks=notebooks)
