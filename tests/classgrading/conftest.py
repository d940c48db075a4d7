"""Fixtures for the class-grading tests."""
import sys
from pathlib import Path

import pytest

from classgrading_support import FAKE_GRADE, solved, zipped


@pytest.fixture
def fake_grade_command() -> str:
    return f"{sys.executable} {FAKE_GRADE}"


@pytest.fixture
def fake_class(tmp_path) -> Path:
    """Seven students the fake grader scores predictably (see fake_grade.py)."""
    class_dir = tmp_path / "class"
    class_dir.mkdir()
    solved(class_dir / "alice")
    solved(class_dir / "bob", "FAKE_BUG")
    solved(class_dir / "carol", "FAKE_KILL")
    solved(class_dir / "dan", "raise NotImplementedError")
    (class_dir / "erin").mkdir()
    (class_dir / "frank.zip").write_bytes(b"PK\x03\x04 not really a zip")
    scratch = solved(tmp_path / "scratch-grace")
    zipped(scratch, class_dir / "grace.zip", prefix="homework/")
    return class_dir
