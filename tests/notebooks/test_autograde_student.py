"""`make autograde STUDENT=...` grades one student only, and nbgrader's per-cell
checksum warnings (every honest notebook triggers them: test cells hold hidden tests)
are folded into one explanation."""
import shutil

from .conftest import REPO, make


def test_the_class_log_folds_the_checksum_warnings(graded_class):
    log = (graded_class / "make-autograde.log").read_text()
    assert "Attribute 'checksum'" not in log
    assert "checksum warnings folded" in log and log.count("checksum warnings folded") == 1


def test_autograde_one_student(graded_class, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(graded_class, course, symlinks=True)
    ada = course / "autograded" / "ada" / "backprop" / "backprop.ipynb"
    bob = course / "autograded" / "bob" / "backprop" / "backprop.ipynb"
    before = {"ada": ada.stat().st_mtime_ns, "bob": bob.stat().st_mtime_ns}
    make(course, "autograde", "STUDENT=ada", "ASSIGNMENT=backprop", "TIMEOUT=15")
    assert ada.stat().st_mtime_ns != before["ada"]
    assert bob.stat().st_mtime_ns == before["bob"]
    assert REPO.is_dir()
