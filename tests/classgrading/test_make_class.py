"""tools/make_class.py: a class with every kind of submission, the same for the same seed."""
import zipfile

from tools.make_class import make_class, main


def test_a_class_has_every_kind_and_the_asked_size(tmp_path):
    made = make_class(tmp_path / "class", students=40, seed=3)
    names = [p.name for p in made]
    assert len(names) == 40 and len(set(n.removesuffix(".zip") for n in names)) == 40
    for kind in ("corrupt-zip", "empty-folder", "zip-slip", "zip-bomb", "no-package",
                 "zip-of-folder", "correct", "mutant-", "stub", "hostile-"):
        assert any(kind in name for name in names), f"no {kind} submission in {names}"
    assert any(n.endswith(".zip") and "correct" in n for n in names)
    assert any(not n.endswith(".zip") and "correct" in n for n in names)
    submit_zip = next(p for p in made if p.name.endswith("-correct.zip"))
    with zipfile.ZipFile(submit_zip) as archive:
        assert "nn100/__init__.py" in archive.namelist()  # as `make submit` writes it
    empty = next(p for p in made if "empty-folder" in p.name)
    assert list(empty.iterdir()) == []
    stub = next(p for p in made if p.name.removesuffix(".zip").endswith("-stub"))
    assert "NotImplementedError" in package_file(stub, "layers.py")
    from tools.make_class import SOLUTION
    for mutant in (p for p in made if "-mutant-" in p.name):
        assert [f.name for f in SOLUTION.glob("*.py")
                if package_file(mutant, f.name) != f.read_text()], \
            f"{mutant.name} must differ from the reference"


def package_file(submission, name):
    """nn100/<name> of a folder or zip submission, as text."""
    if submission.name.endswith(".zip"):
        with zipfile.ZipFile(submission) as archive:
            return archive.read(f"nn100/{name}").decode()
    return (submission / "nn100" / name).read_text()


def test_same_seed_same_class(tmp_path):
    first = [p.name for p in make_class(tmp_path / "a", students=20, seed=7)]
    second = [p.name for p in make_class(tmp_path / "b", students=20, seed=7)]
    assert first == second


def test_cli_refuses_to_overwrite(tmp_path):
    assert main([str(tmp_path / "c"), "--students", "8"]) == 0
    assert len(list((tmp_path / "c").iterdir())) == 8
    assert main([str(tmp_path / "c"), "--students", "8"]) == 2
