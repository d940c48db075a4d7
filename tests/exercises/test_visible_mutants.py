"""The visible checks see the mistakes the grader sees: every mutant of the grader's own
suites (tests/grader/mutants.py, mutants_conv.py, mutants_gpt.py), applied to a copy of
the reference, must make some visible check of its unit's exercises fail, except the few named in
visible_mutants.HIDDEN_ONLY with the reason only the grader can see them; so must every
mistake of visible_mutants.VISIBLE_EXTRA (the wrong submissions of checks added beyond
the grader's suites).

Each suite is measured in one child process (visible_mutants.py re-imports the checks
for every copy; a child keeps those imports out of this test process).
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import visible_mutants  # noqa: E402

FLOOR = 0.9  # of the mutants the grader catches (all of them: test_grader_mutants.py)


def measured(suite: str) -> dict[str, str | None]:
    result = subprocess.run([sys.executable, str(HERE / "visible_mutants.py"), "--json", suite],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("suite", sorted(visible_mutants.SUITES))
def test_the_visible_checks_flag_the_graders_mutants(suite):
    found = measured(suite)
    names = [mutant[0] for mutant in visible_mutants.SUITES[suite]]
    assert sorted(found) == sorted(names)
    figures = ", ".join(f"chapter {chapter}: {flagged}/{total}" for chapter, (flagged, total)
                        in visible_mutants.per_chapter(found).items())
    crashes = [line for line in found.values() if line and "collection error" in line]
    assert not crashes, \
        f"a check module did not import, which flags a mutant at no merit: {crashes}"
    missed = sorted(name for name, line in found.items() if line is None)
    assert len(names) - len(missed) >= FLOOR * len(names), f"{figures}; missed {missed}"
    hidden_only = sorted(set(visible_mutants.HIDDEN_ONLY) & set(names))
    assert missed == hidden_only, (f"{figures}; passing every visible check: {missed}; "
                                   f"expected exactly those of HIDDEN_ONLY: {hidden_only}")


def test_an_unchanged_copy_is_flagged_by_nothing():
    """The control: the measurement can report a miss."""
    assert measured("control") == {"unchanged_copy": None}
