"""Helpers for the class-grading tests: correct submissions, zips, the fake grader."""
import shutil
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "nn100"
FAKE_GRADE = Path(__file__).with_name("fake_grade.py")


def solved(dest: Path, marker: str = "") -> Path:
    """A correct submission folder at ``dest`` (``marker`` appended to layers.py)."""
    shutil.copytree(SOLUTION, dest / "nn100", ignore=shutil.ignore_patterns("__pycache__"))
    if marker:
        layers = dest / "nn100" / "layers.py"
        layers.write_text(layers.read_text() + f"\n# {marker}\n")
    return dest


def zipped(folder: Path, zip_path: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(zip_path, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
    return zip_path


# What fake_grade.py gives each student of fake_class: (score, status).
FAKE_EXPECTED = {
    "alice": ("20", "graded"), "bob": ("15", "graded"), "carol": ("0", "grader-error"),
    "dan": ("0", "graded"), "erin": ("0", "empty"), "frank": ("0", "bad-zip"),
    "grace": ("20", "graded"),
}
