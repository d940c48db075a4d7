"""Settings for the visible checks.

``import nn100`` resolves to ``<root>/nn100``, where root is ``--nn100-root`` (default:
the folder above this one, i.e. your ``exercises/``). ``--exercise 1.2`` keeps the checks
of one exercise, ``--exercise 1`` those of a chapter, ``--exercise 1.1,1.2`` several.
"""
import sys
from pathlib import Path

import pytest


def pytest_addoption(parser):
    parser.addoption("--nn100-root", default=str(Path(__file__).resolve().parents[1]),
                     help="folder holding the nn100 package to check")
    parser.addoption("--exercise", default=None,
                     help="run only the checks of this exercise (1.2) or chapter (1); "
                          "several separated by commas")


def pytest_configure(config):
    # Registered here as well as in pytest.ini, for runs that pick up another ini file.
    config.addinivalue_line("markers", "exercise(number): the exercise a check belongs to")
    root = Path(config.getoption("--nn100-root")).resolve()
    if not (root / "nn100" / "__init__.py").is_file():
        raise pytest.UsageError(f"--nn100-root: no nn100 package in {root}")
    sys.path.insert(0, str(root))
    # An nn100 imported from elsewhere before us would shadow the one under test.
    for name in [name for name in sys.modules if name == "nn100" or name.startswith("nn100.")]:
        del sys.modules[name]


def exercise_of(item) -> str | None:
    marker = item.get_closest_marker("exercise")
    return str(marker.args[0]) if marker else None


def pytest_collection_modifyitems(config, items):
    option = config.getoption("--exercise")
    if not option:
        return
    wanted = set(option.split(","))
    keep, drop = [], []
    for item in items:
        number = exercise_of(item) or ""
        (keep if wanted & {number, number.split(".")[0]} else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
