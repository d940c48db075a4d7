"""The Conv2D and CausalSelfAttention rows of `make bench`: each row's contenders compute the
same layer (their losses agree), and the report states the row's target."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench.py"


@pytest.mark.parametrize("only, key, contenders, target", [
    ("conv", "conv-b64", ["nn100 Conv2D (forward + backward)", "raw numpy, same im2col work"],
     "Conv2D forward + backward, batch 64: at most 1.2x raw numpy"),
    ("attention", "attention-64x32x64",
     ["nn100 CausalSelfAttention (forward + backward)", "raw numpy, same work"],
     "CausalSelfAttention forward + backward, (64, 32, 64): at most 1.2x raw numpy"),
])
def test_the_row_compares_contenders_that_did_the_same_work(tmp_path, only, key, contenders,
                                                             target):
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--rounds", "1", "--no-torch",
                           "--only", only, "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    comparison, = json.loads((tmp_path / "latest.json").read_text())["comparisons"]
    assert comparison["key"] == key and comparison["losses_agree"]
    assert [row["name"] for row in comparison["contenders"]] == contenders
    assert target in (tmp_path / "latest.md").read_text()


def test_the_gpt_row_times_a_training_step_that_trains(tmp_path):
    """The tiny GPT's row (PyTorch optional: without it nn100 is the only contender), and
    the step it times really trains: forward, loss, backward and AdamW lower the loss."""
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--rounds", "1", "--no-torch",
                           "--only", "gpt", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    comparison, = json.loads((tmp_path / "latest.json").read_text())["comparisons"]
    assert comparison["key"] == "gpt-b64" and comparison["steps"] == 5
    assert [row["name"] for row in comparison["contenders"]] == [
        "nn100 tiny GPT (forward + backward + AdamW)"]
    assert "## tiny GPT training step (dim 32, 4 heads, 2 blocks, batch 64 of 16 tokens" in \
        (tmp_path / "latest.md").read_text()

    sys.path[:0] = [str(BENCH.parent), str(BENCH.parents[1] / "solutions")]
    import tiny_gpt as gpt  # not "gpt": examples/gpt.py is imported by that name
    step = gpt.nn100_contender(gpt.batches(5) * 4)  # the same 5 batches, four times
    step.reset()
    losses = step.run()
    assert losses[-1] < losses[0] - 0.2, f"the timed step does not train: losses {losses}"
