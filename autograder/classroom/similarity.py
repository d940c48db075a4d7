"""Which students handed in code too alike to have been written apart.

    python -m autograder similarity DIR --out FOLDER [--roster FILE.csv] [--threshold X]
    python -m autograder grade-all DIR --gradebook FILE.csv --similarity

Built on copydetect, a winnowing fingerprinter of MOSS's family: each file is tokenized
(names become one letter, comments and whitespace go, strings become one letter) and
every run of ``NOISE`` characters of what remains is a fingerprint. Fingerprints of the
given code, the stubs of exercises/nn100, are boilerplate and never count; nor do those
of the reference solution: a two-line exercise has one obvious answer, and sharing it is
no evidence of copying. What a student wrote beyond both is their **own code**.

For a pair of students, each one's share is the part of their own code also found in the
other's (file by file: layers.py against layers.py); the pair's **score** is the larger
share, with a student's own code counted as at least ``MIN_OWN`` characters, so that two
students who each wrote a line of their own cannot reach 100 % by sharing that line. The
report lists the pairs by score, the regions they share side by side, and marks those at
or above the threshold. A high score asks for a human look, never a verdict.
"""

from __future__ import annotations

import argparse
import html
import io
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..grading.submissions import Submission, SubmissionError, find_submissions, materialize
from ..sandbox.atomic import atomic_write
from ..sandbox.safe_text import csv_text

ROOT = Path(__file__).resolve().parents[2]  # the repository
STUBS = ROOT / "exercises" / "nn100"
REFERENCE = ROOT / "solutions" / "nn100"
NOISE = 25  # copydetect's noise threshold k: matches shorter than this (filtered) never count
MIN_OWN = (
    500  # the smallest amount of own code a share is taken of (filtered characters, ~30 lines)
)
THRESHOLD = 0.85  # chosen from measurements: see CLASSROOM.md, "Similarity"
TOP = 30  # pairs shown in full in the HTML report
CSV_ROWS = 5000  # pairs in the CSV, most similar first (a class of 100 has 4950 pairs)


@dataclass
class Student:
    student: str
    label: str  # "id (name)" when a name is known
    files: dict = field(default_factory=dict)  # relative name -> copydetect CodeFingerprint
    own: int = 0  # characters of own code (filtered), all files
    problem: str = ""  # why nothing could be read


@dataclass
class Pair:
    a: Student
    b: Student
    shared_a: int  # characters of a's own code found in b's
    shared_b: int
    files: list  # (name, slices in a, slices in b), the files that share something

    @property
    def share_a(self) -> float:
        return self.shared_a / max(self.a.own, MIN_OWN)

    @property
    def share_b(self) -> float:
        return self.shared_b / max(self.b.own, MIN_OWN)

    @property
    def score(self) -> float:
        return max(self.share_a, self.share_b)


def _fingerprint(text: str, name: str, boilerplate, window: int = 1):
    from copydetect.detector import CodeFingerprint

    # window 1 keeps every k-gram: scores are the same on every run (winnowing's choice
    # of window minima follows Python's per-process string hashes).
    return CodeFingerprint(name, NOISE, window, boilerplate, fp=io.StringIO(text))


def boilerplate(folders=(STUBS, REFERENCE)):
    """The fingerprints of the given code (and the reference's): never evidence."""
    import numpy as np

    hashes = [
        np.array(sorted(_fingerprint(path.read_text(encoding="utf-8"), path.name, None).hashes))
        for folder in folders
        for path in sorted(Path(folder).rglob("*.py"))
    ]
    return np.unique(np.concatenate(hashes)) if hashes else np.array([])


def read_code(root: Path) -> dict[str, str]:
    """Relative name -> text of every Python file of the package under ``root``."""
    package = root / "nn100"
    code = {}
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        try:
            code[path.relative_to(package).as_posix()] = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # not text: nothing to compare
    return code


def load_student(sub: Submission, base, scratch: Path, label: str = "") -> Student:
    """A submission's own code, fingerprinted (the submission laid out as for grading)."""
    student = Student(sub.student, label or sub.student)
    work = Path(tempfile.mkdtemp(prefix="similarity-", dir=scratch))
    try:
        code = read_code(materialize(sub, work / "submission"))
    except (SubmissionError, OSError) as error:
        student.problem = getattr(error, "reason", str(error))
        return student
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name, text in code.items():
        fingerprint = _fingerprint(text, name, base)
        student.files[name] = fingerprint
        student.own += int(fingerprint.token_coverage)
    return student


def compare(a: Student, b: Student) -> Pair:
    from copydetect.detector import compare_files

    pair = Pair(a, b, 0, 0, [])
    for name in sorted(set(a.files) & set(b.files)):
        fa, fb = a.files[name], b.files[name]
        if not fa.hashes & fb.hashes:
            continue
        _, (share_a, share_b), (slices_a, slices_b) = compare_files(fa, fb)
        if len(slices_a) == 0 or slices_a.shape[1] == 0:
            continue
        # copydetect's shares are of each file's own code (its token coverage).
        pair.shared_a += round(share_a * fa.token_coverage)
        pair.shared_b += round(share_b * fb.token_coverage)
        pair.files.append((name, slices_a, slices_b))
    return pair


def compare_class(students: list[Student]) -> list[Pair]:
    """Every pair of students that shares any own code, highest score first."""
    readable = [s for s in students if s.files]
    pairs = []
    for i, a in enumerate(readable):
        for b in readable[i + 1 :]:
            pair = compare(a, b)
            if pair.files:
                pairs.append(pair)
    pairs.sort(key=lambda p: (-p.score, p.a.student, p.b.student))
    return pairs


# ---------------------------------------------------------------- the class


def read_class(class_dir: Path, staging: Path) -> list[Submission]:
    """The submissions of a class folder or of a Canvas or Moodle download."""
    from . import platforms

    platform, submissions, _ = platforms.read_class(Path(class_dir), staging)
    return find_submissions(Path(class_dir)) if platform is None else submissions


def label(sub: Submission, people: dict) -> str:
    name = people.get(sub.student, {}).get("name") or sub.name
    return f"{sub.student} ({name})" if name and name != sub.student else sub.student


@dataclass
class Outcome:
    pairs: list
    students: list
    threshold: float
    seconds: float

    @property
    def flagged(self) -> list:
        return [p for p in self.pairs if p.score >= self.threshold - 1e-12]


def check_class(
    submissions: list[Submission],
    scratch: Path,
    people: dict | None = None,
    threshold: float = THRESHOLD,
    given=(STUBS, REFERENCE),
) -> Outcome:
    """Fingerprint every submission and compare every pair."""
    started = time.monotonic()
    people = people or {}
    base = boilerplate(given)
    scratch.mkdir(parents=True, exist_ok=True)
    students = [load_student(sub, base, scratch, label(sub, people)) for sub in submissions]
    return Outcome(compare_class(students), students, threshold, time.monotonic() - started)


def write_reports(outcome: Outcome, folder: Path, top: int = TOP) -> tuple[Path, Path]:
    """similarity.html and similarity.csv in ``folder``."""
    page_path, csv_path = Path(folder) / "similarity.html", Path(folder) / "similarity.csv"
    atomic_write(csv_path, render_csv(outcome))
    atomic_write(page_path, render_html(outcome, top))
    return page_path, csv_path


def render_csv(outcome: Outcome) -> str:
    """One row per pair that shares any own code, highest score first (at most
    CSV_ROWS, and never fewer than the pairs at or above the threshold)."""
    rows = [["rank", "student_a", "student_b", "score", "share_a", "share_b", "shared_a",
             "shared_b", "own_a", "own_b", "files", "flagged"]]
    for rank, p in enumerate(outcome.pairs[: max(CSV_ROWS, len(outcome.flagged))], 1):
        rows.append([rank, p.a.label, p.b.label, f"{p.score:.3f}", f"{p.share_a:.3f}",
                     f"{p.share_b:.3f}", p.shared_a, p.shared_b, p.a.own, p.b.own,
                     " ".join(name for name, _, _ in p.files),
                     "yes" if p.score >= outcome.threshold - 1e-12 else ""])
    return csv_text(rows)


SIDE_STYLE = """
.pair { margin: 2rem 0; } .side { display: grid; grid-template-columns: 1fr 1fr; gap: .6rem; }
.side > div { min-width: 0; }
.side pre { font-size: .8rem; max-height: 30rem; overflow: auto; white-space: pre; }
mark { background: #ffd36b; } tr.flagged td { background: #fdecec; }
body { max-width: 90rem; }
"""


def render_html(outcome: Outcome, top: int = TOP) -> str:
    from .report_html import page

    esc = html.escape
    readable = [s for s in outcome.students if s.files]
    parts = [
        f"<style>{SIDE_STYLE}</style><h1>Similarity of submissions</h1>",
        f"<p>{len(readable)} submissions compared ({len(outcome.pairs)} pairs share some code of "
        f"their own) in {outcome.seconds:.1f} s. Each file is compared with the same file of the "
        "other student after names, comments and spacing are set aside; the given stubs and the "
        "reference solution are boilerplate: code equal to theirs never counts. A student's "
        f"<b>share</b> is the part of their own code (at least {MIN_OWN} characters counted) "
        "that the other student's also holds; a pair's <b>score</b> is the larger share. "
        f"Pairs at or above <b>{outcome.threshold:.0%}</b> are marked: look at them, "
        "and at what they share below, before drawing any conclusion.</p>",
    ]
    unreadable = [s for s in outcome.students if not s.files]
    if unreadable:
        items = "".join(
            f"<li>{esc(s.label)}: {esc(s.problem or 'no Python file in nn100/')}</li>"
            for s in unreadable
        )
        parts.append(
            f"<details><summary>{len(unreadable)} not compared</summary><ul>{items}</ul></details>"
        )
    rows = []
    for rank, p in enumerate(outcome.pairs[: max(top, len(outcome.flagged))], 1):
        flagged = p.score >= outcome.threshold - 1e-12
        rows.append(
            f'<tr class="{"flagged" if flagged else ""}"><td class="num">{rank}</td>'
            f'<td><a href="#pair-{rank}">{esc(p.a.label)}</a></td><td>{esc(p.b.label)}</td>'
            f'<td class="num">{p.score:.0%}</td><td class="num">{p.share_a:.0%}</td>'
            f'<td class="num">{p.share_b:.0%}</td>'
            f'<td class="num">{max(p.shared_a, p.shared_b)}</td>'
            f"<td>{esc(' '.join(name for name, _, _ in p.files))}</td></tr>"
        )
    if rows:
        parts.append(
            "<h2>Most similar pairs</h2><table><tr><th>#</th><th>Student A</th><th>Student B</th>"
            "<th>Score</th><th>A's share</th><th>B's share</th><th>Characters shared</th>"
            f"<th>Files</th></tr>{''.join(rows)}</table>"
        )
    else:
        parts.append("<p>No two submissions share any code of their own.</p>")
    for rank, p in enumerate(outcome.pairs[: max(top, len(outcome.flagged))], 1):
        parts.append(_pair_section(rank, p))
    return page("Similarity of submissions", "\n".join(parts))


def _pair_section(rank: int, pair: Pair) -> str:
    from copydetect.utils import highlight_overlap

    esc = html.escape
    parts = [
        f'<div class="pair" id="pair-{rank}">'
        f"<h2>{rank}. {esc(pair.a.label)} and {esc(pair.b.label)}: "
        f"{pair.score:.0%}</h2>"
    ]
    for name, slices_a, slices_b in pair.files:
        # highlight_overlap escapes the code itself (escape_html): only our marks are markup.
        left, _ = highlight_overlap(
            pair.a.files[name].raw_code, slices_a, "<mark>", "</mark>", truncate=3, escape_html=True
        )
        right, _ = highlight_overlap(
            pair.b.files[name].raw_code, slices_b, "<mark>", "</mark>", truncate=3, escape_html=True
        )
        parts.append(
            f'<h3>{esc(name)}</h3><div class="side"><div><b>{esc(pair.a.label)}</b>'
            f"<pre>{left}</pre></div><div><b>{esc(pair.b.label)}</b><pre>{right}</pre></div></div>"
        )
    parts.append("</div>")
    return "\n".join(parts)


# ---------------------------------------------------------------- commands


def run(
    class_dir: Path,
    out: Path,
    people: dict | None = None,
    threshold: float = THRESHOLD,
    top: int = TOP,
    console=print,
) -> Outcome:
    """Check a class and write its reports into ``out``; say where and what was found."""
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="nn100-similarity-") as scratch:
        submissions = read_class(class_dir, Path(scratch) / "download")
        outcome = check_class(submissions, Path(scratch) / "work", people, threshold)
        page_path, csv_path = write_reports(outcome, out, top)
    best = outcome.pairs[0] if outcome.pairs else None
    console(
        f"similarity: {len(submissions)} submissions, {len(outcome.flagged)} pairs at or above "
        f"{threshold:.0%}"
        + (f" (highest {best.a.student} and {best.b.student}, {best.score:.0%})" if best else "")
        + f" in {outcome.seconds:.1f} s; report {page_path}, {csv_path}"
    )
    return outcome


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograder similarity", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "dir", help="the class: one folder or zip per student, or a Canvas or Moodle download"
    )
    parser.add_argument(
        "--out", required=True, help="folder for similarity.html and similarity.csv"
    )
    parser.add_argument("--roster", default=None, help="names by student id (as for grade-all)")
    parser.add_argument(
        "--threshold",
        type=float,
        default=THRESHOLD,
        help=f"mark pairs whose score reaches this (0 to 1, default {THRESHOLD})",
    )
    parser.add_argument(
        "--top", type=int, default=TOP, help=f"pairs shown side by side (default {TOP})"
    )
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from . import platforms

    if not 0 < args.threshold <= 1:
        print(
            f"similarity: --threshold must lie in (0, 1], found {args.threshold}", file=sys.stderr
        )
        return 2
    try:
        people = platforms.read_roster(Path(args.roster)) if args.roster else {}
        run(Path(args.dir), Path(args.out), people, args.threshold, args.top)
    except (ValueError, OSError, SubmissionError) as error:
        print(f"similarity: {getattr(error, 'reason', error)}", file=sys.stderr)
        return 2
    except ImportError as error:
        print(
            f"similarity: needs copydetect (pip install -r requirements.txt): {error}",
            file=sys.stderr,
        )
        return 2
    return 0
