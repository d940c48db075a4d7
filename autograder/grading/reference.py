"""Trusted side: the reference implementation, loaded under a private module name.

The grader imports ``<repo>/solutions/nn100`` as ``_nn100_reference`` so that it can
never be confused with (or shadowed by) a package called ``nn100``.  Student code
never runs in this process.
"""
import importlib.util
import sys
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions" / "nn100"
MODULE = "_nn100_reference"


def load():
    """The reference package (loaded once per process)."""
    if MODULE in sys.modules:
        return sys.modules[MODULE]
    init = SOLUTIONS / "__init__.py"
    if not init.is_file():
        raise FileNotFoundError(f"reference: expected the reference package at {SOLUTIONS}")
    spec = importlib.util.spec_from_file_location(MODULE, init,
                                                  submodule_search_locations=[str(SOLUTIONS)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[MODULE]
        raise
    importlib.import_module(MODULE + ".data")
    # The one numerics module (central differences, the norm-based relative error),
    # shared with nn100.gradcheck, the visible checks and the notebooks: ref.gradcheck.
    importlib.import_module(MODULE + ".gradcheck")
    return module
