"""The suite's own set-up: `make test` runs `pytest -n auto --dist loadgroup`, and the
tests that share one expensive fixture (the nbgrader sample class, the sandbox attacks,
the mutant groups) are sent to one worker by their ``xdist_group`` mark. When xdist stops
honouring the mark (pytest 9 with pytest-xdist 3.8 did, silently) each worker builds or
waits for the fixture on its own: this test makes that loud."""
import pytest


@pytest.mark.xdist_group("suite-groups")
def test_xdist_groups_are_honoured(request):
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("run without `--dist loadgroup` (make test uses it)")
    assert request.node.nodeid.endswith("@suite-groups"), (
        f"xdist ignored this test's xdist_group mark ({request.node.nodeid}): check the "
        "pytest and pytest-xdist versions in requirements.txt")
