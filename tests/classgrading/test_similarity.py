"""The similarity check: a disguised copy ranks first, honest students stay below the
threshold, what reaches the HTML is escaped, and both commands write their reports."""

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

copydetect = pytest.importorskip(
    "copydetect", reason="the similarity check needs copydetect (requirements.txt)"
)

from autograder.classroom import similarity  # noqa: E402
from autograder.grading.submissions import Submission, find_submissions  # noqa: E402
from classgrading_support import ROOT, solved  # noqa: E402
from tools import similarity_class  # noqa: E402

pytestmark = pytest.mark.xdist_group("similarity")  # one worker checks the class once

HONEST = 30
SEED = 7  # any seed: the measurements behind THRESHOLD cover seeds 0-3 and 10-17 (CLASSROOM.md)


def env_with_copydetect() -> dict:
    """The children import autograder from ROOT and copydetect from wherever this one did."""
    paths = [str(ROOT), str(Path(copydetect.__file__).resolve().parents[1])]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths))


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """A class of honest students, two who hand in the reference itself, one disguised
    copy; checked once for every test of the module."""
    class_dir = tmp_path_factory.mktemp("similarity") / "class"
    copied = similarity_class.make_class(class_dir, HONEST, SEED, copies=1)
    for name in ("s900-reference-a", "s901-reference-b"):  # reference-like to the letter
        solved(class_dir / name)
    outcome = similarity.check_class(find_submissions(class_dir), class_dir.parent / "work")
    return copied, outcome


def _is_copy(pair, copied) -> bool:
    return (
        copied.get(pair.a.student) == pair.b.student or copied.get(pair.b.student) == pair.a.student
    )


def test_the_disguised_copy_ranks_first_and_above_the_threshold(measured):
    copied, outcome = measured
    assert len(outcome.students) == HONEST + 3
    first = outcome.pairs[0]
    assert _is_copy(first, copied), [
        (p.a.student, p.b.student, round(p.score, 3)) for p in outcome.pairs[:3]
    ]
    assert first.score >= similarity.THRESHOLD


def test_honest_students_stay_below_the_threshold(measured):
    copied, outcome = measured
    honest = [p for p in outcome.pairs if not _is_copy(p, copied)]
    assert len(honest) > HONEST  # they do share code: the test would be empty otherwise
    closest = honest[0]
    assert closest.score < similarity.THRESHOLD, (
        closest.a.student,
        closest.b.student,
        closest.score,
    )
    assert outcome.flagged == [outcome.pairs[0]]


def test_the_reference_and_the_stubs_are_never_evidence(measured):
    _, outcome = measured
    by_name = {s.student: s for s in outcome.students}
    # Handing in the reference leaves no code of one's own, so nothing to share.
    assert by_name["s900-reference-a"].own == 0 and by_name["s901-reference-b"].own == 0
    assert not [
        p for p in outcome.pairs if p.a.student.startswith("s90") or p.b.student.startswith("s90")
    ]


def test_without_the_reference_as_boilerplate_reference_like_students_would_be_flagged(
    measured, tmp_path
):
    """Why the reference is boilerplate: with the stubs alone, the two students who
    wrote the reference's way share all their code."""
    subs = [Submission(name, tmp_path / name, False) for name in ("a", "b")]
    for sub in subs:
        solved(sub.path)
    stubs_only = similarity.check_class(subs, tmp_path / "work", given=(similarity.STUBS,))
    assert stubs_only.pairs and stubs_only.pairs[0].score > 0.99
    both = similarity.check_class(subs, tmp_path / "work2")
    assert both.pairs == []


def test_two_students_who_each_wrote_one_line_their_own_way_are_not_flagged(tmp_path):
    """All they wrote beyond the reference is the same short Softmax: 100 % of their own
    code, but a few lines are counted against MIN_OWN, not against themselves."""
    class_dir = tmp_path / "class"
    for name in ("a", "b"):
        similarity_class.write_student(class_dir / name, {("layers.py", "Softmax"): 1})
    outcome = similarity.check_class(find_submissions(class_dir), tmp_path / "work")
    (pair,) = outcome.pairs
    assert pair.shared_a == pair.a.own < similarity.MIN_OWN
    assert pair.score == pytest.approx(pair.a.own / similarity.MIN_OWN) and not outcome.flagged


def test_html_shows_matching_regions_escaped(tmp_path):
    """Text from submissions (code, comments, strings, names) reaches the page as text."""
    class_dir = tmp_path / "class"
    original = class_dir / "s1-author"
    similarity_class.write_student(original, {unit: 1 for unit in similarity_class.VARIANTS})
    layers = original / "nn100" / "layers.py"
    evil = (
        "\ndef _shown(X):\n    note = '<script>alert(1)</script>'\n"
        "    return [x * 2 + 1 for x in X if x] + [note]\n"
    )
    layers.write_text(layers.read_text() + evil)
    shutil.copytree(original, class_dir / "s2-<b>copier</b>")
    outcome = similarity.check_class(
        find_submissions(class_dir),
        tmp_path / "work",
        people={"s1-author": {"name": "<img src=x onerror=alert(2)>"}},
    )
    page = similarity.render_html(outcome)
    assert "<script>" not in page and "<img src=x" not in page and "<b>copier" not in page
    assert "&lt;script&gt;" in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert page.count('<div class="side">') == len(outcome.pairs[0].files) >= 1
    assert "<mark>" in page  # the shared regions are marked


def test_the_command_writes_the_page_and_the_csv(tmp_path):
    class_dir = tmp_path / "class"
    copied = similarity_class.make_class(class_dir, 6, 1, copies=1)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "similarity",
            str(class_dir),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env_with_copydetect(),
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    with open(tmp_path / "out" / "similarity.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ((copy, original),) = copied.items()
    assert {rows[0]["student_a"], rows[0]["student_b"]} == {copy, original}
    assert rows[0]["flagged"] == "yes" and all(r["flagged"] == "" for r in rows[1:])
    assert "similarity.html" in run.stdout
    assert (tmp_path / "out" / "similarity.html").is_file()


def test_the_command_refuses_a_threshold_outside_0_1(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "similarity",
            str(tmp_path),
            "--out",
            str(tmp_path),
            "--threshold",
            "85",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env_with_copydetect(),
    )
    assert run.returncode == 2 and "--threshold must lie in (0, 1], found 85" in run.stderr


def grade_all_with_similarity(source, gradebook, fake_grade_command, *options):
    """grade-all --similarity on ``source``: the run, and the most similar pair's CSV row."""
    run = subprocess.run(
        [sys.executable, "-m", "autograder", "grade-all", str(source), "--gradebook",
         str(gradebook), *options, "--grade-command", fake_grade_command, "--similarity"],
        capture_output=True, text=True, timeout=300, env=env_with_copydetect(), cwd=ROOT)
    assert run.returncode == 0, run.stderr
    with open(gradebook.parent / "similarity.csv", newline="") as handle:
        return run, next(csv.DictReader(handle))


def test_grade_all_similarity_writes_its_report_next_to_the_gradebook(tmp_path, fake_grade_command):
    class_dir = tmp_path / "class"
    copied = similarity_class.make_class(class_dir, 4, 2, copies=1)
    run, first = grade_all_with_similarity(class_dir, tmp_path / "out" / "gradebook.csv",
                                           fake_grade_command)
    assert {first["student_a"], first["student_b"]} == set(next(iter(copied.items())))
    assert "grade-all: similarity: 5 submissions" in run.stderr


# The copy inside a Canvas download (found among the unpacked zips, named by the roster,
# ids as the gradebook has them) is checked in the term's own run, against the gradebook,
# the exports, the reports and the history: test_term_regrades.py.
