"""How many of the grader's own mutants the visible checks flag (`make check` says FAILING).

    python tests/exercises/visible_mutants.py             # the table, per chapter, every line
    python tests/exercises/visible_mutants.py --json conv # {mutant: line or null}, one suite

Every mutant of tests/grader/mutants.py, mutants_conv.py and mutants_gpt.py (each one
realistic mistake, all caught by the grader: tests/grader/test_grader_mutants.py) is
applied to a copy of the reference, and the visible checks of its unit's exercises run on
it, in this one process (the check modules are re-imported for each copy), as `make check`
runs them.
test_visible_mutants.py holds the figure above its floor and the misses to the list
in HIDDEN_ONLY, each with the reason only the grader can see it. VISIBLE_EXTRA adds
mistakes the grader's suites lack, each the wrong submission of a visible check.
"""
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "grader")]

from mutants import MUTANTS, apply_mutant  # noqa: E402
from mutants_conv import MUTANTS as CHAPTER_MUTANTS  # noqa: E402
from mutants_gpt import MUTANTS as GPT_MUTANTS  # noqa: E402

from tools.check import CHECKS, run_checks, status  # noqa: E402
from tools.student_exercises import EXERCISES  # noqa: E402

# Mistakes beyond the grader's suites that the visible checks were written to see, in the
# same format: each is the wrong submission of a check added for it.
VISIBLE_EXTRA = [
    ("linear_bias_gradient_not_summed", "Linear", "layers.py",
     "self.bias.gradient += D.sum(axis=0)", "self.bias.gradient += D"),
    ("learner_shuffles_once_for_all_epochs", "Learner", "learner.py",
     "for _ in range(epochs):\n            order = rng.permutation(len(X))",
     "order = rng.permutation(len(X))\n        for _ in range(epochs):"),
    ("adam_one_step_count_for_all_parameters", "AdamOptimizer", "optimizers.py",
     "state[0] += 1\n        t, m, v = state",
     "self.t = getattr(self, 't', 0) + 1\n        _, m, v = state\n        t = self.t"),
    ("batch_norm_without_eps", "BatchNorm", "norm.py",
     "inv_std = 1 / np.sqrt(var + self.eps)", "inv_std = 1 / np.sqrt(var)"),
    ("batch_norm_without_eps_in_evaluation", "BatchNorm", "norm.py",
     "inv_std = 1 / np.sqrt(var + self.eps)",
     "inv_std = 1 / np.sqrt(var + (self.eps if training else 0.0))"),
    ("conv_pads_with_edge_values", "Conv2D", "conv.py",
     "Xpad = np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)))",
     "Xpad = np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)), mode='edge')"),
    ("col2im_ignores_the_stride", "Conv2D", "conv.py",
     "image[:, :, a:a + stride * rows:stride, b:b + stride * columns:stride] += patches",
     "image[:, :, a:a + rows, b:b + columns] += patches"),
    ("maxpool_gradient_to_every_element", "MaxPool2D", "conv.py",
     "np.add.at(dX, (n, c, i * s + best // k, j * s + best % k), D)",
     "for a in range(k * k):\n"
     "                np.add.at(dX, (n, c, i * s + a // k, j * s + a % k), D)"),
]
NUMBERS_OF_UNIT: dict[str, list[str]] = defaultdict(list)
for _exercise in EXERCISES:
    NUMBERS_OF_UNIT[_exercise.unit].append(_exercise.number)
# TransformerBlock is given code (no exercise, so no visible check of its own): its
# mutants are the framework tests' (tests/framework/test_mutants_gpt.py), not a student's.
GPT = [mutant for mutant in GPT_MUTANTS if mutant[1] in NUMBERS_OF_UNIT]
SUITES = {"layers": MUTANTS, "conv": CHAPTER_MUTANTS, "gpt": GPT, "extra": VISIBLE_EXTRA}
EVERY_MUTANT = MUTANTS + CHAPTER_MUTANTS + GPT  # the grader's: the figure is of these
# The control: an unchanged copy, which no visible check may flag.
CONTROL = [("unchanged_copy", "Linear", "layers.py", "import numpy as np", "import numpy as np")]

# The mutants the visible checks let through on purpose, and why only the grader sees them
# ({name: reason}, e.g. a check that would need the reference's values). None today: each
# of the 103 (80 of chapters 1-7, 23 of chapters 8-9) fails a hand-written check of its unit.
HIDDEN_ONLY: dict[str, str] = {}


def chapter_of(unit: str) -> str:
    return NUMBERS_OF_UNIT[unit][0].split(".")[0]


def forget_the_checked_package() -> None:
    """Drop nn100 and the check modules from sys.modules, so the next run imports the
    next copy's package (the checks import nn100 at module level)."""
    for name in list(sys.modules):
        if (name == "nn100" or name.startswith("nn100.") or name == "check_helpers"
                or name == "conftest" or (name.startswith("test_")
                                          and name + ".py" in CHECK_MODULES)):
            del sys.modules[name]


CHECK_MODULES = {path.name for path in CHECKS.glob("test_*.py")}


def first_failure(root: Path, unit: str) -> str | None:
    """The first FAILING line of the unit's exercises on the package in root, or None."""
    forget_the_checked_package()
    numbers = NUMBERS_OF_UNIT[unit]
    collector = run_checks(root, CHECKS, ",".join(numbers), verbose=False)
    if collector.errors:
        return f"collection error: {collector.errors[0]}"
    for number in numbers:
        state, detail = status(number, collector.outcomes.get(number, []))
        if state in ("FAILING", "no checks"):
            return f"{number} {state}: {detail}"
    return None


def measure(mutants=EVERY_MUTANT) -> dict[str, str | None]:
    """{mutant name: the first failing line, or None when every visible check passed}."""
    found = {}
    with tempfile.TemporaryDirectory() as scratch:
        for mutant in mutants:
            root = apply_mutant(mutant, Path(scratch) / mutant[0])
            found[mutant[0]] = first_failure(root, mutant[1])
    forget_the_checked_package()
    return found


def per_chapter(found: dict[str, str | None]) -> dict[str, tuple[int, int]]:
    """{chapter: (flagged, total)}."""
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for name, unit, *_ in [mutant for suite in SUITES.values() for mutant in suite]:
        if name in found:
            table[chapter_of(unit)][0] += found[name] is not None
            table[chapter_of(unit)][1] += 1
    return {chapter: tuple(table[chapter]) for chapter in sorted(table)}


def main(argv: list[str]) -> int:
    if argv[:1] == ["--json"] and len(argv) == 2 and argv[1] in {*SUITES, "control"}:
        print(json.dumps(measure(SUITES.get(argv[1], CONTROL))))
        return 0
    if argv:
        print(f"usage: visible_mutants.py [--json {'|'.join([*SUITES, 'control'])}]",
              file=sys.stderr)
        return 2
    found = measure()
    for chapter, (flagged, total) in per_chapter(found).items():
        print(f"chapter {chapter}: {flagged}/{total}")
    flagged = sum(line is not None for line in found.values())
    print(f"all: {flagged}/{len(found)} ({flagged / len(found):.0%})")
    for name, line in found.items():
        print(f"  {name:48} {line or 'passes every visible check'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
