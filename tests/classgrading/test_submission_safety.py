"""Finding students and laying out their submissions without trusting the zips."""
import stat
import zipfile

import pytest

from autograder.grading import submissions as subs
from autograder.grading.submissions import (Submission, SubmissionError, find_package_root,
                                            find_submissions, materialize)
from classgrading_support import solved, zipped


def make_zip(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return path


def extract_error(tmp_path, zip_path) -> SubmissionError:
    with pytest.raises(SubmissionError) as caught:
        materialize(Submission("x", zip_path, True), tmp_path / "dest")
    return caught.value


def test_the_make_submit_zip_is_accepted_as_it_is(tmp_path):
    zip_path = zipped(solved(tmp_path / "src"), tmp_path / "alice.zip")
    root = materialize(Submission("alice", zip_path, True), tmp_path / "dest")
    assert root == tmp_path / "dest"
    assert ((root / "nn100" / "layers.py").read_bytes()
            == (tmp_path / "src" / "nn100" / "layers.py").read_bytes())


def test_a_zip_of_a_folder_is_found_one_level_down(tmp_path):
    zip_path = zipped(solved(tmp_path / "src"), tmp_path / "bob.zip", prefix="bob-homework/")
    root = materialize(Submission("bob", zip_path, True), tmp_path / "dest")
    assert root == tmp_path / "dest" / "bob-homework"


def test_a_zip_of_the_package_contents_is_graded_as_nn100(tmp_path):
    zip_path = zipped(solved(tmp_path / "src") / "nn100", tmp_path / "carl.zip")
    root = materialize(Submission("carl", zip_path, True), tmp_path / "dest")
    assert (root / "nn100" / "__init__.py").is_file()


@pytest.mark.parametrize("name", ["../evil.py", "nn100/../../evil.py", "/etc/evil.py",
                                  "..\\evil.py", "C:/evil.py"])
def test_entries_that_leave_the_folder_are_refused(tmp_path, name):
    error = extract_error(tmp_path, make_zip(tmp_path / "s.zip",
                                             {"nn100/__init__.py": "", name: "x = 1"}))
    assert error.status == "bad-zip" and name.replace("\\", "/") in error.reason
    assert not list(tmp_path.rglob("evil.py"))


def test_a_symlink_entry_is_refused(tmp_path):
    zip_path = tmp_path / "s.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        link = zipfile.ZipInfo("nn100/layers.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    assert "link" in extract_error(tmp_path, zip_path).reason


def test_a_zip_bomb_is_refused_before_it_fills_the_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(subs, "MAX_FILE_BYTES", 1 << 20)
    monkeypatch.setattr(subs, "MAX_TOTAL_BYTES", 2 << 20)
    zip_path = make_zip(tmp_path / "bomb.zip",
                        {f"nn100/f{i}.py": b"\0" * (900 << 10) for i in range(4)})
    assert zip_path.stat().st_size < 100_000
    error = extract_error(tmp_path, zip_path)
    assert "zip bomb" in error.reason
    written = sum(p.stat().st_size for p in (tmp_path / "dest").rglob("*") if p.is_file())
    assert written <= 2 << 20


def test_a_header_that_understates_the_size_is_caught_while_extracting(tmp_path, monkeypatch):
    monkeypatch.setattr(subs, "MAX_FILE_BYTES", 1 << 20)
    zip_path = make_zip(tmp_path / "liar.zip", {"nn100/big.py": b"\0" * (3 << 20)})
    with zipfile.ZipFile(zip_path) as archive:
        info = archive.getinfo("nn100/big.py")
        info.file_size = 10  # what a crafted header would claim
        real_infolist = archive.infolist()
    monkeypatch.setattr(zipfile.ZipFile, "infolist", lambda self: real_infolist)
    with pytest.raises(SubmissionError) as caught:
        subs.safe_extract(zip_path, tmp_path / "dest")
    assert "zip bomb" in caught.value.reason or "cannot be read" in caught.value.reason
    assert (tmp_path / "dest" / "nn100" / "big.py").stat().st_size <= (1 << 20) + (1 << 16)


def test_corrupt_zip_empty_folder_and_missing_package_say_why(tmp_path):
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    assert extract_error(tmp_path, tmp_path / "bad.zip").status == "bad-zip"
    (tmp_path / "empty").mkdir()
    with pytest.raises(SubmissionError, match="empty"):
        materialize(Submission("e", tmp_path / "empty", False), tmp_path / "d1")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("hi")
    with pytest.raises(SubmissionError, match="no nn100 package found.*readme.txt"):
        materialize(Submission("n", tmp_path / "notes", False), tmp_path / "d2")


def test_two_packages_are_ambiguous(tmp_path):
    solved(tmp_path / "sub" / "a")
    solved(tmp_path / "sub" / "b")
    with pytest.raises(SubmissionError, match="several nn100"):
        find_package_root(tmp_path / "sub")


def test_folder_copies_skip_links_out_of_the_submission(tmp_path):
    solved(tmp_path / "s")
    (tmp_path / "secret.txt").write_text("answers")
    (tmp_path / "s" / "nn100" / "answers.txt").symlink_to(tmp_path / "secret.txt")
    root = materialize(Submission("s", tmp_path / "s", False), tmp_path / "dest")
    assert not (root / "nn100" / "answers.txt").exists()


def test_students_are_folders_and_zips_with_unique_ids(tmp_path):
    for name in ("bo", "al", ".hidden", "__MACOSX"):
        (tmp_path / name).mkdir()
    (tmp_path / "cy.zip").write_bytes(b"")
    (tmp_path / "bo.zip").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("")
    found = find_submissions(tmp_path)
    assert [(s.student, s.is_zip) for s in found] == [("al", False), ("bo", False),
                                                      ("bo.zip", True), ("cy", True)]
