"""The nn100 autograder: hidden tests run against a submission in a sandbox, judged here.

Entry points: ``python -m autograder grade PATH`` (see __main__.py) and
``autograder.tests_catalog()``, the names of the hidden tests.  See README.md.
"""


def tests_catalog() -> list[str]:
    """Every hidden test's name, "Unit: what is checked", one per check."""
    from .grading.catalog import tests_catalog as names
    return names()
