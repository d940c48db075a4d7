"""The student's kernel while autograding: ipykernel, confined before it runs a cell.

    python -m nbcourse.kernel -f CONNECTION_FILE     (the kernelspec nbgrader_config.py writes)

The kernel no longer decides a grade (nbcourse.preprocessor does), but it runs as the
grader's user in the course folder, where it could read the source notebooks, the
hidden tests, other students' work and gradebook.db, write a forged gradebook.db or
results, or signal nbgrader itself.  After ipykernel has bound its sockets, and before
the first cell, Landlock (as the grader's child uses it) limits it to:

- reading the system folders, the standard library and the virtual environment's
  packages (IPython, numpy, matplotlib), and the notebook's own folder;
- writing only the notebook's own folder (also its temporary folder) and /dev/null;
- no new TCP connection (its own sockets are already bound), no signal to a process
  outside the kernel's own tree.

Its resources are bounded too (rlimits, soft and hard): 4 GB of address space, files of
at most 256 MB, no core dumps, so that a memory or disk bomb in a cell fails that cell
(MemoryError, "File too large") instead of the machine that grades the class.

Without Landlock (older kernels) the kernel runs unconfined and says so in its log;
the grades stay the grader's either way.
"""
from __future__ import annotations

import os
import resource
import sys
import sysconfig
import tempfile

LIMITS = [  # (what the log says, rlimit, value): each far above what a notebook needs
    ("address space 4 GB", resource.RLIMIT_AS, 4 << 30),
    ("files up to 256 MB", resource.RLIMIT_FSIZE, 256 << 20),
    ("no core dumps", resource.RLIMIT_CORE, 0),
]


def allowed_paths(folder: str) -> tuple[list, list]:
    """(read, write) paths for a kernel working in ``folder``."""
    from autograder.sandbox.child.confine import system_read_paths
    packages = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    packages |= {os.path.realpath(p) for p in packages}
    read = system_read_paths() + sorted(packages) + [sys.prefix, os.path.realpath(sys.prefix)]
    for variable in ("IPYTHONDIR", "MPLCONFIGDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR"):
        if os.environ.get(variable):
            read.append(os.environ[variable])
    return read + [folder], [folder, "/dev/null"]


def confine(folder: str) -> list:
    """Apply the limits above to this process and its future children; returns what
    was applied ([] when the system offers no Landlock)."""
    from autograder.sandbox.child.confine import apply_landlock
    # Temporary files go to the notebook's own folder: nothing shared between students.
    os.environ["TMPDIR"] = folder
    tempfile.tempdir = folder
    read, write = allowed_paths(folder)
    return apply_landlock(read, write)


def set_limits() -> list:
    """Lower the soft and hard limits of LIMITS (never above a hard limit already set);
    returns what was applied. A hard limit cannot be raised again by the cells' code."""
    applied = []
    for description, limit, value in LIMITS:
        _, hard = resource.getrlimit(limit)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        try:
            resource.setrlimit(limit, (value, value))
            applied.append(description)
        except (ValueError, OSError):
            pass
    return applied


def main(argv=None) -> None:
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does; put back by IPython's init_path
    from ipykernel.kernelapp import IPKernelApp
    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:] if argv is None else argv)  # binds the kernel's sockets
    try:  # matplotlib's font cache is written once, before the kernel may no longer
        import matplotlib.font_manager  # noqa: F401
    except Exception:
        pass
    try:
        applied = confine(os.getcwd())
    except Exception as error:  # a kernel that cannot start would fail every notebook
        app.log.warning("nn100 kernel: confinement failed: %s", error)
        applied = []
    limits = set_limits()
    app.log.warning("nn100 kernel: %s; rlimits: %s",
                    "; ".join(applied) or "NOT confined (no Landlock)", ", ".join(limits) or "none")
    app.start()


if __name__ == "__main__":
    main()
