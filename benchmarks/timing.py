"""Interleaved timing: every contender of a comparison runs once per round, in turn.

These machines are shared and noisy, so a comparison never times A for a while and
then B: each round runs A, B, C, ... back to back, and the figures are the median
time of each contender and the median over rounds of the paired ratio
(time of A in round r) / (time of B in round r), which cancels slow drifts of the
machine that hit both alike.
"""
import statistics
import time


class Contender:
    """Something to time: ``reset()`` (untimed) then ``run()`` (timed).

    ``run`` returns what the contender computed (e.g. its losses), so that the
    caller can check that all contenders did the same work.
    """

    def __init__(self, name: str, run, reset=lambda: None):
        self.name = name
        self.run = run
        self.reset = reset


def interleaved(contenders, rounds: int, warmup: int = 1, per_run: int = 1) -> dict:
    """Time each contender ``rounds`` times, interleaved, after ``warmup`` untimed rounds.

    ``per_run`` divides each time (e.g. the number of steps in one run), so the
    samples are seconds per step.  Returns {name: {"samples": [...], "output": ...}}
    where output is what the contender's last run returned.
    """
    results = {c.name: {"samples": [], "output": None} for c in contenders}
    for round_index in range(warmup + rounds):
        for contender in contenders:
            contender.reset()
            start = time.perf_counter()
            output = contender.run()
            seconds = (time.perf_counter() - start) / per_run
            results[contender.name]["output"] = output
            if round_index >= warmup:
                results[contender.name]["samples"].append(seconds)
    return results


def median(samples) -> float:
    return statistics.median(samples)


def paired_ratio(numerator, denominator) -> float:
    """Median over rounds of numerator[r] / denominator[r]."""
    if len(numerator) != len(denominator):
        raise ValueError(f"paired_ratio: {len(numerator)} and {len(denominator)} samples differ")
    return statistics.median(a / b for a, b in zip(numerator, denominator, strict=True))
