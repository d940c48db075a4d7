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
import csv
import html
import io
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import atomic_write
from .submissions import Submission, SubmissionError, find_submissions, materialize

ROOT = Path(__file__).resolve().parents[1]
STUBS = ROOT / "exercises" / "nn100"
REFERENCE = ROOT / "solutions" / "nn100"
NOISE = 25       # copydetect's noise threshold k: matches shorter than this (filtered) never count
MIN_OWN = 400    # the smallest amount of own code a share is taken of (filtered characters)
THRESHOLD = 0.5  # chosen from measurements, see CLASSROOM.md "Similarity"
TOP = 30         # pairs shown in full in the HTML report (the CSV has every pair above 0)


@dataclass
class Student:
    student: str
    label: str                       # "id (name)" when a name is known
    files: dict = field(default_factory=dict)  # relative name -> copydetect CodeFingerprint
    own: int = 0                     # characters of own code (filtered), all files
    problem: str = ""                # why nothing could be read


@dataclass
class Pair:
    a: Student
    b: Student
    shared_a: int   # characters of a's own code found in b's
    shared_b: int
    files: list     # (name, slices in a, slices in b), the files that share something

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
    hashes = [np.array(sorted(_fingerprint(path.read_text(encoding="utf-8"), path.name, None).hashes))
              for folder in folders for path in sorted(Path(folder).rglob("*.py"))]
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
    try:
        work = Path(tempfile.mkdtemp(prefix="similarity-", dir=scratch))
        code = read_code(materialize(sub, work / "submission"))
    except (SubmissionError, OSError) as error:
        student.problem = getattr(error, "reason", str(error))
        return student
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
        for b in readable[i + 1:]:
            pair = compare(a, b)
            if pair.files:
                pairs.append(pair)
    pairs.sort(key=lambda p: (-p.score, p.a.student, p.b.student))
    return pairs
