"""Set for the whole suite, before any test module imports numpy: BLAS on one thread in
every process the suite starts (the workers, `make check`'s pytest, the notebook kernels,
nbgrader, grade-all). `make test` runs two workers on two cores; a BLAS thread per core in
each process spins against the other worker. Measured beside one busy core: `make check`
on the reference, 4.8 s and 6.2 CPU-seconds with the default threads, 2.3 s and 2.2 with
one. Tests of a tool's own pinning run it without these (tests/benchmarks/test_bench.py)."""
import os

ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
for name, value in ONE_BLAS_THREAD.items():
    os.environ.setdefault(name, value)
