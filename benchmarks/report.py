"""The benchmark's results as Markdown: targets first, then each comparison, then the machine."""
import attention
import conv2d
from training import MINIMAL, NN100, NN100_FULL, SAME, TORCH
from timing import paired_ratio

# (comparison, nn100 row, contender, bound on nn100 time / contender time, what the issue asks).
# Each nn100 row is set against the floor that does the same work: the default nn100
# (dX of every layer) against "same work"; nn100 with its first Linear on data
# (input_gradient=False) against "minimal" and PyTorch, which skip that dX too.
TRAINING_TARGETS = [
    ("train-b128", NN100_FULL, SAME, 1.15, "batch 128: nn100 at most 1.15x raw numpy, same work"),
    ("train-b128", NN100, MINIMAL, 1.15,
     "batch 128: nn100 (input_gradient=False) at most 1.15x raw numpy, minimal"),
    ("train-b128", NN100, TORCH, 1.0,
     "batch 128: nn100 (input_gradient=False) faster than PyTorch CPU"),
    ("train-b8", NN100_FULL, SAME, 1.3, "batch 8: nn100 at most 1.3x raw numpy, same work"),
    ("train-b8", NN100, MINIMAL, 1.3,
     "batch 8: nn100 (input_gradient=False) at most 1.3x raw numpy, minimal"),
    ("train-b8", NN100, TORCH, 1.0,
     "batch 8: nn100 (input_gradient=False) faster than PyTorch CPU"),
    ("conv-b64", conv2d.NN100, conv2d.SAME, 1.2,
     "Conv2D forward + backward, batch 64: at most 1.2x raw numpy, same im2col work"),
    ("attention-64x32x64", attention.NN100, attention.SAME, 1.2,
     "CausalSelfAttention forward + backward, (64, 32, 64): at most 1.2x raw numpy, same work"),
]

RESULTS_INTRO = """\
# Benchmarks

Produced by `make bench` (add `TORCH=1` to include PyTorch CPU; `python benchmarks/bench.py
--help` for the quick and per-section runs). The script pins BLAS and PyTorch to one thread,
runs the contenders of each comparison interleaved (A B C A B C ...) after a warm-up round,
and checks that they all computed the same losses. **Ratios are the figures**: they are
medians over rounds of the paired ratio (reference time / contender time in the same round),
so a machine that slows down for a while slows both sides. Absolute times are context.

"Same work" and "minimal" are the two raw-numpy floors. nn100's contract makes every
`backward` return `dX`, so the reference also computes the input gradient of its first
`Linear` (a matmul as large as that layer's forward: about 40% more arithmetic at batch 128);
"same work" computes it too and throws it away, "minimal" and PyTorch (whose data does not
require a gradient) skip it, as nn100 does when its first layer is built with
`Linear(..., input_gradient=False)`. Each nn100 row is held against the floor doing the
same work.

"""


def render(results, title="# nn100 benchmark results") -> str:
    """The report; its sections are one heading level below ``title``."""
    level = title.split(" ", 1)[0] + "#"
    lines = [title, "", context_line(results["context"]), ""]
    lines += targets_section(results)
    for comparison in results["comparisons"]:
        lines += comparison_section(comparison)
    if results["digits_time_to_accuracy"]:
        lines += digits_section(results["digits_time_to_accuracy"])
    if results["grading"]:
        lines += grading_section(results["grading"])
    lines += machine_section(results["context"])
    return "\n".join(line.replace("## ", level + " ", 1) if line.startswith("## ") else line
                     for line in lines) + "\n"


def results_page(results) -> str:
    """benchmarks/RESULTS.md: how the figures are made, then the latest report."""
    return RESULTS_INTRO + render(results, title="## Latest results")


def context_line(context) -> str:
    kind = "quick run" if context["quick"] else "full run"
    torch = (f"PyTorch {context['torch']['version']}" if context["torch"]
             else "PyTorch not installed")
    seconds = context.get("bench_seconds")
    took = f", took {seconds:.0f} s" if seconds is not None else ""
    end = context.get("load_average_1min_end")
    load = f"{context['load_average_1min']} at start" + (f", {end} at the end" if end else "")
    command = f" `{context['command']}`" if context.get("command") else ""
    return (f"{context['date']}, {kind}{command}{took}; numpy {context['numpy']}, {torch}; "
            f"one BLAS thread; 1-minute load average {load} ({context['cpus']} CPUs).")


def targets_section(results):
    by_key = {c["key"]: c for c in results["comparisons"]}
    rows = []
    for key, ours, name, bound, text in TRAINING_TARGETS:
        contender, nn100 = find(by_key.get(key), name), find(by_key.get(key), ours)
        if contender is None or nn100 is None:
            rows.append(f"| {text} | {bound:.2f} | not measured | - |")
            continue
        ratio = paired_ratio(nn100["samples_ms"], contender["samples_ms"])
        met = ratio < bound if name == TORCH else ratio <= bound
        rows.append(f"| {text} | {bound:.2f} | {ratio:.2f} | {'yes' if met else '**no**'} |")
    for target in (results["grading"] or {}).get("targets", []):
        rows.append(f"| {target['target']} | {target['bound']} | {target['measured']} | "
                    f"{target['met']} |")
    if not rows:
        return []
    return ["## Targets", "",
            "Ratios are nn100's time over the contender's (above 1: nn100 is slower).", "",
            "| target | bound | measured | met |", "|---|---:|---:|:-:|", *rows, ""]


def find(comparison, name):
    if comparison is None:
        return None
    return next((c for c in comparison["contenders"] if c["name"] == name), None)


def comparison_section(comparison):
    reference = comparison["reference"]
    agree = "yes" if comparison["losses_agree"] else "**NO: times not comparable**"
    lines = [f"## {comparison['title']}", "",
             f"{comparison['rounds']} interleaved rounds of {comparison['steps']} steps after a "
             f"warm-up round. Ratio: {reference} time / contender time, paired by round, "
             f"median. Losses of every step agree with the reference to "
             f"{comparison['loss_tolerance']:g}: {agree}.", "",
             "| contender | ms per step (median) | ratio | max abs loss difference |",
             "|---|---:|---:|---:|"]
    for row in comparison["contenders"]:
        lines.append(f"| {row['name']} | {row['median_ms']:.3f} | {row['reference_over_this']:.2f} "
                     f"| {row['max_loss_diff']:.1e} |")
    return lines + [""]


def digits_section(digits):
    runs = len(digits["samples_s"])
    return [f"## Digits example: time to {digits['target']:.0%} test accuracy", "",
            "nn100 as in `examples/digits.py` (64-128-10, Adam lr 1e-3, batch 32, float32), "
            "one `Learner.fit` epoch at a time; the test evaluation between epochs is not timed.",
            "", "| epochs | seconds of training (median) | runs | test accuracy reached |",
            "|---:|---:|---:|---:|",
            f"| {digits['epochs']} | {digits['median_s']:.3f} | {runs} | "
            f"{digits['accuracy']:.1%} |",
            ""]


def grading_section(grading):
    note = grading.get("note")
    lines = ["## Grading", "", *([note, ""] if note else []),
             "| measure | value | how |", "|---|---:|---|"]
    for row in grading["rows"]:
        lines.append(f"| {row['measure']} | {row['value']} | {row['how']} |")
    return lines + [""]


def machine_section(context):
    lines = ["## Machine", "", "| item | value |", "|---|---|",
             f"| CPU | {context['cpu']} ({context['cpus']} logical CPUs) |",
             f"| Python | {context['python']} |",
             f"| numpy | {context['numpy']} |"]
    for pool in context["threadpools"]:
        details = ", ".join(str(pool[key]) for key in ("version", "architecture", "prefix")
                            if pool.get(key))
        lines.append(f"| {pool['user_api']} threads | {pool['internal_api']} ({details}): "
                     f"{pool['num_threads']} thread(s) |")
    if context["torch"]:
        lines.append(f"| PyTorch | {context['torch']['version']}, "
                     f"{context['torch']['threads']} thread(s) |")
    else:
        lines.append("| PyTorch | not installed (`make bench TORCH=1` adds it) |")
    return lines + [""]
