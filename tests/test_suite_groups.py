"""The suite's own set-up: `make test` runs `pytest -n auto --dist loadgroup`, and the
tests that share one expensive fixture (the nbgrader sample class, the sandbox attacks,
the mutant groups) are sent to one worker by their ``xdist_group`` mark. When xdist stops
honouring the mark (pytest 9 with pytest-xdist 3.8 did, silently) each worker builds or
waits for the fixture on its own: this test makes that loud."""
import subprocess
import sys

import pytest


@pytest.mark.xdist_group("suite-groups")
def test_xdist_groups_are_honoured(request):
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("run without `--dist loadgroup` (make test uses it)")
    assert request.node.nodeid.endswith("@suite-groups"), (
        f"xdist ignored this test's xdist_group mark ({request.node.nodeid}): check the "
        "pytest and pytest-xdist versions in requirements.txt")


def test_nbformat_starts_without_compiling_an_iri_grammar():
    """The Makefile's notebook install removes rfc3987-syntax: jsonschema imports it, when
    it is there, for a format nothing here checks, and it then compiles a grammar for
    1.3 s in every process that imports nbformat (each nbgrader command, each worker)."""
    pytest.importorskip("nbformat", reason="needs requirements-notebooks.txt")
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, nbformat, jsonschema; "
                               "print(sorted(m for m in sys.modules if 'rfc3987' in m))"],
        capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]", f"importing nbformat loaded {loaded}: run `make test` (Makefile)"
