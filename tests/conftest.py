"""Set for the whole suite, before any test module imports numpy: BLAS on one thread in
every process the suite starts (the workers, `make check`'s pytest, the notebook kernels,
nbgrader, grade-all). `make test` runs two workers on two cores; a BLAS thread per core in
each process spins against the other worker. Measured beside one busy core: `make check`
on the reference, 4.8 s and 6.2 CPU-seconds with the default threads, 2.3 s and 2.2 with
one. Tests of a tool's own pinning run it without these (tests/benchmarks/test_bench.py)."""
import os

# autograder/sandbox/processes.py's ONE_BLAS_THREAD, written out: importing the grader here
# would load numpy (and BLAS) before these are set.
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
for name, value in ONE_BLAS_THREAD.items():
    os.environ.setdefault(name, value)


def pytest_collection_modifyitems(config, items):
    """The nbgrader sample class's tests first (a stable sort: the rest keep their order).
    pytest-xdist hands out work in collection order, and that group, the longest (about
    150 worker-seconds, one worker), came late: the other worker ran out of work first."""
    def later(item):
        group = item.get_closest_marker("xdist_group")
        return not (group and group.args and group.args[0] == "nbgrader-course")
    items.sort(key=later)
