"""`make bench`: nn100's speed against raw numpy and PyTorch, and the grader's speed.

    python benchmarks/bench.py [--quick] [--only train,dtype,digits,conv,attention,gpt,grading]
                               [--no-torch] [--rounds N] [--class-size N] [--class-jobs 1,2]
                               [--out DIR]

Prints a Markdown report, writes it to benchmarks/results/latest.md with a JSON twin
latest.json, and, after a full run (no --quick, --only or --rounds), copies it into
benchmarks/RESULTS.md.  BLAS runs on one thread (threadpoolctl) and PyTorch too, so
the figures compare the work done, not how it is spread over cores.  Each comparison
runs its contenders interleaved in one process after a warm-up round; ratios are the
figures to quote, absolute times are context (this machine is shared and noisy).
"""
import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "solutions"))  # the reference nn100
sys.path.insert(1, str(ROOT))                # the autograder

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

import report  # noqa: E402
import training  # noqa: E402

SECTIONS = ("train", "dtype", "digits", "conv", "attention", "gpt", "grading")

# rounds (interleaved, after one warm-up) and steps per timed run
FULL = {"rounds": 31, "steps128": 40, "steps8": 200, "digits_epochs": 2, "digits_runs": 5,
        "grading_rounds": 3, "startup_rounds": 10, "conv_steps": 10, "gpt_steps": 10}
QUICK = {"rounds": 7, "steps128": 20, "steps8": 100, "digits_epochs": 1, "digits_runs": 2,
         "grading_rounds": 1, "startup_rounds": 5, "conv_steps": 5, "gpt_steps": 5}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer rounds and no class-sized grading (about a minute)")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections among {', '.join(SECTIONS)}")
    parser.add_argument("--no-torch", action="store_true",
                        help="leave PyTorch out even if installed")
    parser.add_argument("--rounds", type=int, default=None,
                        help="timed rounds per comparison (default: 31, or 7 with --quick)")
    parser.add_argument("--class-size", type=int, default=200,
                        help="submissions in the class-grading run (default 200; a smaller "
                             "class is scaled to 200)")
    parser.add_argument("--class-jobs", default="2",
                        help="comma-separated job counts for the class run (default 2, the "
                             "target's; 1,2 adds the serial run, about 9 minutes more)")
    parser.add_argument("--out", type=Path, default=HERE / "results",
                        help="folder for latest.md and latest.json")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {sorted(unknown)}; choose among {', '.join(SECTIONS)}")
    settings = dict(QUICK if args.quick else FULL)
    if args.rounds is not None:
        if args.rounds < 1:
            parser.error(f"--rounds must be at least 1, got {args.rounds}")
        settings["rounds"] = args.rounds

    use_torch = not args.no_torch and training.have_torch()  # import torch before pinning
    with threadpool_limits(limits=1):
        context = machine_context(use_torch, args.quick)
        arguments = sys.argv[1:] if argv is None else argv
        context["command"] = " ".join(["benchmarks/bench.py", *arguments])
        results = {"context": context, "comparisons": [],
                   "digits_time_to_accuracy": None, "grading": None}
        started = time.perf_counter()
        run_sections(sections, settings, use_torch, args, results)
        results["context"]["bench_seconds"] = time.perf_counter() - started
        results["context"]["load_average_1min_end"] = round(os.getloadavg()[0], 2)

    markdown = report.render(results)
    print(markdown)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.md").write_text(markdown)
    (args.out / "latest.json").write_text(json.dumps(results, indent=1) + "\n")
    full_run = not args.quick and args.rounds is None and sections == list(SECTIONS)
    if full_run and args.out == HERE / "results":
        (HERE / "RESULTS.md").write_text(report.results_page(results))
        print(f"wrote {args.out / 'latest.md'}, latest.json and {HERE / 'RESULTS.md'}")
    else:
        print(f"wrote {args.out / 'latest.md'} and latest.json (RESULTS.md is kept for full runs)")
    agree = all(c["losses_agree"] for c in results["comparisons"])
    if not agree:
        print("ERROR: some contenders computed different losses; their times are not comparable",
              file=sys.stderr)
    return 0 if agree else 1


def run_sections(sections, settings, use_torch, args, results) -> None:
    rounds = settings["rounds"]
    comparisons = results["comparisons"]
    if "train" in sections or "dtype" in sections:
        X, labels = training.synthetic_mnist()
    if "train" in sections:
        for bs, steps in ((128, settings["steps128"]), (8, settings["steps8"])):
            progress(f"training speed, batch {bs}")
            comparisons.append(training.mnist_speed(X, labels, bs, steps, rounds, use_torch))
    if "dtype" in sections:
        for bs, steps in ((128, settings["steps128"]), (8, settings["steps8"])):
            progress(f"float32 against float64, batch {bs}")
            comparisons.append(training.dtype_speed(X, labels, bs, steps, max(3, rounds // 2)))
    if "digits" in sections:
        progress("digits example")
        comparisons.append(training.digits_speed(settings["digits_epochs"], rounds, use_torch))
        results["digits_time_to_accuracy"] = training.digits_time_to_accuracy(
            settings["digits_runs"])
    if "conv" in sections:
        import conv2d

        progress("Conv2D")
        comparisons.append(conv2d.conv_speed(rounds, settings["conv_steps"], use_torch,
                                             training.compare))
    if "attention" in sections:
        import attention

        progress("CausalSelfAttention")
        comparisons.append(attention.attention_speed(rounds, settings["conv_steps"], use_torch,
                                                     training.compare))
    if "gpt" in sections:
        import tiny_gpt

        progress("tiny GPT training step")
        comparisons.append(tiny_gpt.gpt_speed(rounds, settings["gpt_steps"], use_torch,
                                         training.compare))
    if "grading" in sections:
        import grading

        progress("grading")
        results["grading"] = grading.measure(
            ROOT, rounds=settings["grading_rounds"], startup_rounds=settings["startup_rounds"],
            class_size=None if args.quick else args.class_size,
            class_jobs=[int(jobs) for jobs in args.class_jobs.split(",")])


def progress(message: str) -> None:
    print(f"bench: {message} ...", file=sys.stderr, flush=True)


def machine_context(use_torch: bool, quick: bool) -> dict:
    """What the figures depend on: versions, BLAS and its threads, the CPU, the load."""
    context = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": quick,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "threadpools": [{key: pool.get(key) for key in ("user_api", "internal_api", "prefix",
                                                        "version", "num_threads", "architecture")}
                        for pool in threadpool_info()],
        "torch": None,
    }
    if use_torch:
        import torch

        context["torch"] = {"version": torch.__version__, "threads": torch.get_num_threads()}
    return context


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
