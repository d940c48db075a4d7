"""Generate a class of mixed submissions to exercise ``autograder grade-all``.

    python -m tools.make_class build/class/submissions [--students 50] [--seed 0]

Every kind a real class sends in appears: correct copies of solutions/nn100 (as
folders, as the zip the student edition's ``make submit`` writes, and as a zip of a
folder), partly wrong ones (one or two mutants), untouched and half-done stubs,
hostile ones, and the broken: a corrupt zip, an empty folder, a zip whose entries
climb out of their folder, a zip bomb, a folder without the package. A student's
name says what they are (``s007-mutant-linear-bias``), so a gradebook can be read
against it. Mutants and hostile submissions come from tests/grader/ when present.
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import random
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "nn100"

# (name, unit, file, old, new): used when tests/grader/mutants.py is not there.
OWN_MUTANTS = [
    ("linear-bias-mean", "Linear", "layers.py", "self.bias.gradient += D.sum(axis=0)",
     "self.bias.gradient += D.mean(axis=0)"),
    ("linear-overwrite", "Linear", "layers.py", "self.weights.gradient += X.T @ D",
     "self.weights.gradient = X.T @ D"),
    ("relu-no-mask", "ReLU", "layers.py", "return D * mask", "return D"),
    ("sigmoid-forgets-D", "Sigmoid", "layers.py", "return D * Y * (1 - Y)", "return Y * (1 - Y)"),
    ("tanh-derivative", "Tanh", "layers.py", "return D * (1 - Y * Y)", "return D * (1 - Y)"),
    ("mse-no-mean", "mse_loss", "losses.py", "2 * diff / diff.size", "2 * diff"),
    ("sgd-no-zero", "SGDOptimizer", "optimizers.py", "param.gradient.fill(0)", "pass"),
    ("learner-no-backward", "Learner", "learner.py", "backward(D)\n", "pass\n"),
]

# (name, file, code appended): used when tests/grader/hostile.py is not there.
OWN_HOSTILE = [
    ("kills-its-grader", "__init__.py",
     "import os as _os, signal as _signal\n_os.kill(_os.getppid(), _signal.SIGKILL)\n"),
    ("exits-zero", "__init__.py", "import os as _os\n_os._exit(0)\n"),
    ("patches-numpy", "__init__.py",
     "import numpy.testing as _t\n_t.assert_allclose = lambda *a, **k: None\n"),
    ("infinite-loop", "layers.py", "Linear.forward = lambda self, X: [0 for _ in iter(int, 1)]\n"),
    ("html-injection", "layers.py",
     "def _evil(self, X):\n"
     "    raise ValueError('<script>alert(1)</script><img src=x onerror=alert(2)>')\n"
     "ReLU.forward = _evil\n"),
]


def load_optional(relative: str, name: str):
    """``name`` from a module of the repository, or None when the file or name is missing."""
    path = ROOT / relative
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"_make_class_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ROOT))
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # someone else's module is broken: fall back, and say so
        print(f"make_class: ignoring {relative} ({type(error).__name__}: {error})", file=sys.stderr)
        return None
    finally:
        sys.path.remove(str(ROOT))
    return getattr(module, name, None)


def copy_solution(dest: Path) -> Path:
    shutil.copytree(SOLUTION, dest / "nn100", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest / "nn100"


def write_stub(dest: Path, keep: set[str] = frozenset()) -> None:
    """The stubbed package (as exercises/ has it), except the files in ``keep`` solved."""
    from tools.make_exercises import generate
    package = dest / "nn100"
    for name, content in generate(SOLUTION).items():
        target = package / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((SOLUTION / name).read_bytes() if name in keep else content)


def apply_own_mutant(mutant, dest: Path) -> None:
    name, _, filename, old, new = mutant[:5]
    path = dest / "nn100" / filename
    text = path.read_text()
    if old not in text:
        raise ValueError(f"make_class: mutant {name!r} expected {old!r} in {filename}, "
                         "found no such text")
    path.write_text(text.replace(old, new, 1))


def zip_folder(folder: Path, zip_path: Path, prefix: str = "") -> None:
    """Zip ``folder``'s content (``nn100/...`` at the root, as ``make submit`` does)."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, prefix + path.relative_to(folder).as_posix())


class ClassMaker:
    def __init__(self, out: Path, seed: int):
        self.out = out
        self.rng = random.Random(seed)
        self.count = 0
        # The grader's own test records have the same (name, unit, file, old, new) shape.
        self.mutants = load_optional("tests/grader/mutants.py", "MUTANTS") or OWN_MUTANTS
        hostile = load_optional("tests/grader/hostile.py", "HOSTILE")
        apply_hostile = load_optional("tests/grader/hostile.py", "apply_hostile")
        if hostile and apply_hostile:
            # apply_hostile copies the reference itself into an empty folder
            self.hostile = [(entry[0], lambda d, e=entry: apply_hostile(e, d)) for entry in hostile]
        else:
            self.hostile = [(h[0], lambda d, h=h: (copy_solution(d), self._append(d, h[1], h[2])))
                            for h in OWN_HOSTILE]

    @staticmethod
    def _append(dest: Path, filename: str, code: str) -> None:
        path = dest / "nn100" / filename
        path.write_text(path.read_text() + "\n" + code)

    def name(self, kind: str) -> str:
        self.count += 1
        return f"s{self.count:03d}-{kind}"

    def folder(self, kind: str, build) -> None:
        """A student handing in a folder built by ``build(folder)``."""
        dest = self.out / self.name(kind)
        dest.mkdir()
        build(dest)

    def zipped(self, kind: str, build, prefix: str = "") -> None:
        """A student handing in a zip of what ``build(folder)`` makes."""
        with tempfile.TemporaryDirectory() as scratch:
            build(Path(scratch))
            zip_folder(Path(scratch), self.out / f"{self.name(kind)}.zip", prefix)

    def broken(self) -> None:
        """One of each submission that cannot be graded, and the odd layouts that can."""
        (self.out / f"{self.name('corrupt-zip')}.zip").write_bytes(
            b"PK\x03\x04 this is not a zip at all")
        (self.out / self.name("empty-folder")).mkdir()
        with zipfile.ZipFile(self.out / f"{self.name('zip-slip')}.zip", "w") as archive:
            archive.writestr("nn100/__init__.py", "")
            archive.writestr("../../escaped.py", "print('outside')\n")
        bomb = self.out / f"{self.name('zip-bomb')}.zip"
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
            with archive.open("nn100/layers.py", "w", force_zip64=True) as member:
                block = b"\0" * (1 << 20)
                for _ in range(100):  # 100 MB of zeros in about 100 kB
                    member.write(block)
        self.folder("no-package", lambda d: (d / "notes.txt").write_text("I forgot the code\n"))
        self.zipped("zip-of-folder", copy_solution, prefix="my-homework/")

    def regular(self) -> None:
        """One student drawn from the usual mix."""
        roll = self.rng.random()
        as_zip = self.rng.random() < 0.5
        make = self.zipped if as_zip else self.folder
        if roll < 0.40:
            make("correct", copy_solution)
        elif roll < 0.70:
            picked = [self.rng.choice(self.mutants)]
            if self.rng.random() < 0.3:  # a second bug, in another unit so the edits cannot collide
                picked.append(self.rng.choice([m for m in self.mutants if m[1] != picked[0][1]]))
            def build(dest, picked=picked):
                copy_solution(dest)
                for mutant in picked:
                    apply_own_mutant(mutant, dest)
            make("mutant-" + "+".join(m[0].replace("_", "-") for m in picked), build)
        elif roll < 0.80:
            make("stub", write_stub)
        elif roll < 0.88:
            keep = {"layers.py", "losses.py"}
            make("half-done", lambda d: write_stub(d, keep))
        else:
            name, build = self.rng.choice(self.hostile)
            make("hostile-" + name.replace("_", "-"), build)


def make_class(out: Path, students: int = 50, seed: int = 0) -> list[Path]:
    """Write ``students`` submissions into the new folder ``out``; return them sorted."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"make_class: expected an empty or missing folder, found {str(out)!r} "
                         "with files in it")
    out.mkdir(parents=True, exist_ok=True)
    maker = ClassMaker(out, seed)
    if students >= 6:
        maker.broken()
    while maker.count < students:
        maker.regular()
    return sorted(out.iterdir())


# ---------------------------------------------------------------- as an LMS hands it over

FIRST = ["Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret",
         "Niklaus"]
LAST = ["Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus",
        "Hamilton", "Wirth"]


def people(count: int) -> list[dict]:
    """``count`` made-up students: full name, sortable name as Canvas writes it, ids, email."""
    made = []
    for i in range(count):
        first = FIRST[i % len(FIRST)]
        last = LAST[(i // len(FIRST)) % len(LAST)] + ("" if i < 100 else str(i // 100))
        made.append({"first": first, "last": last, "name": f"{first} {last}",
                     "sortable": (last + first).lower(), "canvas_id": str(10001 + i),
                     "moodle_id": str(70001 + i), "sis": f"S{2026000 + i}",
                     "login": f"{first[0]}{last}".lower(),
                     "email": f"{first}.{last}@example.edu".lower(),
                     "section": f"Section {1 + i % 2}"})
    return made


def _as_zip_bytes(entry: Path) -> bytes:
    if entry.is_file():
        return entry.read_bytes()
    with tempfile.TemporaryDirectory() as scratch:
        zip_folder(entry, Path(scratch) / "submission.zip")
        return (Path(scratch) / "submission.zip").read_bytes()


def as_canvas(class_dir: Path, out_zip: Path, roster: Path, times: list) -> list[dict]:
    """Canvas's "Download Submissions" zip of ``class_dir`` (student i sent its entry at
    ``times[i]``, a datetime; ``late`` marks it as Canvas does when later than due) and
    the roster as Canvas's gradebook export has it. Returns the people, in entry order."""
    entries = sorted(p for p in Path(class_dir).iterdir() if not p.name.startswith("."))
    folks = people(len(entries))
    with zipfile.ZipFile(out_zip, "w", zipfile.ZIP_DEFLATED) as archive:
        rows = zip(entries, folks, times, strict=True)
        for i, (entry, person, (when, is_late)) in enumerate(rows):
            name = (f"{person['sortable']}{'_LATE' if is_late else ''}_{person['canvas_id']}_"
                    f"{800001 + i}_submission.zip")
            archive.writestr(zipfile.ZipInfo(name, date_time=when.timetuple()[:6]),
                             _as_zip_bytes(entry))
    with open(roster, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section"])
        writer.writerow(["    Points Possible", "", "", "", ""])
        for person in folks:
            writer.writerow([f"{person['last']}, {person['first']}", person["canvas_id"],
                             person["sis"], person["login"], person["section"]])
    return folks


def as_moodle(class_dir: Path, out_dir: Path, roster: Path) -> list[dict]:
    """Moodle's "Download all submissions", unpacked (one folder per student holding
    the file sent), and the roster as Moodle's grading worksheet has it."""
    entries = sorted(p for p in Path(class_dir).iterdir() if not p.name.startswith("."))
    folks = people(len(entries))
    for entry, person in zip(entries, folks, strict=True):
        folder = Path(out_dir) / f"{person['name']}_{person['moodle_id']}_assignsubmission_file"
        folder.mkdir(parents=True)
        (folder / "submission.zip").write_bytes(_as_zip_bytes(entry))
    with open(roster, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Identifier", "Full name", "Email address", "Status", "Grade"])
        for person in folks:
            writer.writerow([f"Participant {person['moodle_id']}", person["name"], person["email"],
                             "Submitted for grading", ""])
    return folks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.make_class",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("out", help="folder to create, one entry per student")
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--as", dest="layout", choices=("canvas", "moodle"), default=None,
                        help="also write the class as that LMS's download (OUT.canvas.zip or "
                             "OUT.moodle/) and its roster (OUT.roster.csv); Canvas times: all on "
                             "time, 1 h before 2026-09-14T23:59Z")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if out.exists():
        print(f"make_class: {out} exists; remove it first to make a new class", file=sys.stderr)
        return 2
    # Built aside and renamed: an interrupted run never leaves half a class behind.
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        made = make_class(scratch / "class", args.students, args.seed)
        (scratch / "class").rename(out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"make_class: {len(made)} submissions in {out}")
    roster = out.with_name(out.name + ".roster.csv")
    if args.layout == "canvas":
        from datetime import datetime
        when = datetime(2026, 9, 14, 22, 59)
        as_canvas(out, out.with_name(out.name + ".canvas.zip"), roster, [(when, False)] * len(made))
        print(f"make_class: Canvas download {out.name}.canvas.zip, roster {roster.name}")
    elif args.layout == "moodle":
        as_moodle(out, out.with_name(out.name + ".moodle"), roster)
        print(f"make_class: Moodle download {out.name}.moodle/, roster {roster.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
