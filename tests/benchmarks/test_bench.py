"""`make bench` keeps working, and its raw-numpy floor keeps computing nn100's mathematics.

The benchmark runs in a subprocess: it puts solutions/ on sys.path to import the
reference nn100, which must not leak into the other tests of this worker.  PyTorch
is never needed (--no-torch).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "bench.py"


def run_bench(tmp_path, *args):
    # without the suite's one-BLAS-thread variables (tests/conftest.py): the bench pins itself
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    return subprocess.run([sys.executable, str(BENCH), "--quick", "--rounds", "1", "--no-torch",
                           "--out", str(tmp_path), *args],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)


def test_bench_writes_a_report_whose_contenders_did_the_same_work(tmp_path):
    done = run_bench(tmp_path, "--only", "train,digits")
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((tmp_path / "latest.json").read_text())
    by_key = {c["key"]: c for c in results["comparisons"]}
    assert set(by_key) == {"train-b128", "train-b8", "digits"}
    for comparison in by_key.values():
        assert comparison["losses_agree"], comparison["title"]
        assert all(row["median_ms"] > 0 for row in comparison["contenders"])
    names = [row["name"] for row in by_key["train-b8"]["contenders"]]
    assert any("same work" in name for name in names) and any("minimal" in name for name in names)
    assert results["digits_time_to_accuracy"]["accuracy"] >= 0.97
    report = (tmp_path / "latest.md").read_text()
    assert "## Targets" in report and "| target | bound | measured | met |" in report
    assert results["context"]["threadpools"], "BLAS threads must be reported"
    assert all(pool["num_threads"] == 1 for pool in results["context"]["threadpools"])


def test_the_loss_check_catches_a_contender_that_does_different_work(tmp_path):
    # The floor with another learning rate trains differently: its losses must not agree.
    script = f"""
import sys
sys.path[:0] = [{str(ROOT / 'benchmarks')!r}, {str(ROOT / 'solutions')!r}]
import numpy as np, mlp, training
X, labels = training.synthetic_mnist(n=64)
batches = training.fixed_batches(X, labels, 8, 6)
start = mlp.initial_parameters(training.MNIST_SIZES, np.float32)
params = [p.copy() for p in start]
other = training.Contender("faster lr", lambda: [mlp.raw_sgd_step(params, Xb, yb, 0.5, True)
                                                 for Xb, yb in batches])
same = training.raw_sgd(training.SAME, start, batches, input_gradient=True)
agree = training.compare("k", "t", [training.nn100_sgd(training.NN100, start, batches), same],
                         rounds=1, steps=6)["losses_agree"]
differ = training.compare("k", "t", [training.nn100_sgd(training.NN100, start, batches), other],
                          rounds=1, steps=6)["losses_agree"]
print(agree, differ)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "False"]


def test_bad_section_is_a_usage_error(tmp_path):
    done = run_bench(tmp_path, "--only", "nonsense")
    assert done.returncode == 2
    assert "unknown section" in done.stderr


def test_recorded_results_hold_no_path_of_the_machine(tmp_path):
    """The grading section records the child's command lines: as <repo> and <tmp>."""
    code = ("import sys, tempfile; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
            "import grading; root = Path(sys.argv[2]); tmp = tempfile.gettempdir(); "
            "print(grading.portable({'count': 1, 'python': [str(root / '.venv/bin/python'), '-I'], "
            "'commands': [f'{root}/.venv/bin/python {tmp}/nn100-sandbox-1/harness.py']}, root))")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "benchmarks"), str(ROOT)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert str(ROOT) not in done.stdout and "<repo>/.venv/bin/python" in done.stdout
    assert "<tmp>/nn100-sandbox-1" in done.stdout
    for name in ("results/latest.json", "results/latest.md", "RESULTS.md"):
        text = (ROOT / "benchmarks" / name).read_text()
        assert str(ROOT) not in text, f"benchmarks/{name} names this machine's {ROOT}"
