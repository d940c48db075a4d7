"""The CausalSelfAttention row of `make bench`: its contenders compute the same layer."""
import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench.py"


def test_the_attention_row_compares_contenders_that_did_the_same_work(tmp_path):
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--rounds", "1", "--no-torch",
                           "--only", "attention", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    comparison, = json.loads((tmp_path / "latest.json").read_text())["comparisons"]
    assert comparison["key"] == "attention-64x32x64" and comparison["losses_agree"]
    assert [row["name"] for row in comparison["contenders"]] == [
        "nn100 CausalSelfAttention (forward + backward)", "raw numpy, same work"]
    assert "CausalSelfAttention forward + backward, (64, 32, 64): at most 1.2x raw numpy" in \
        (tmp_path / "latest.md").read_text()
