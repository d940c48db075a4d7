"""Grade one submission: plan every unit's jobs and checks, run each unit in its own
sandboxed children (two at a time), judge the results here, and score them."""
from __future__ import annotations

import functools
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import (checks_convergence, checks_dropout, checks_layers, checks_learner, checks_losses,
               checks_optimizers, checks_sequential, reference, sandbox)
from .checks import Outcome, run_judge

DEFAULT_SEED = 20240601
POINTS = Path(__file__).resolve().parent / "points.toml"

UNITS = {
    **{name: checks_layers.unit_builder(name)
       for name in ("Linear", "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Softmax")},
    "Dropout": checks_dropout.build,
    "Sequential": checks_sequential.build,
    **{name: checks_losses.unit_builder(name)
       for name in ("mse_loss", "bce_loss", "bce_with_logits_loss", "softmax_cross_entropy_loss")},
    **{name: checks_optimizers.unit_builder(name)
       for name in ("SGDOptimizer", "MomentumOptimizer", "AdamOptimizer")},
    "Learner": checks_learner.build,
    "Convergence": checks_convergence.build,
}


class UsageError(Exception):
    """Bad arguments or a folder without an nn100 package (exit status 2)."""


@dataclass
class UnitPlan:
    unit: str
    jobs: list
    checks: list
    extra: object = None  # results -> extra_data, or None


@dataclass
class Grade:
    outcomes: list[Outcome]
    unit_scores: dict          # unit -> (earned, possible)
    score: float
    max_score: float
    seconds: float
    protections: list[str]
    extra_data: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def read_toml(path: Path) -> dict:
    """tomllib where it exists (3.11+); else the flat ``name = number`` subset we use."""
    try:
        import tomllib
    except ImportError:
        table = {}
        for line in Path(path).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                key, _, value = line.partition("=")
                table[key.strip()] = float(value)
        return table
    with open(path, "rb") as f:
        return tomllib.load(f)


def load_points(path: Path = POINTS) -> dict:
    table = read_toml(path)
    if set(table) != set(UNITS):
        raise ValueError(f"load_points: {path} must list exactly the units {sorted(UNITS)}; "
                         f"missing {sorted(set(UNITS) - set(table))}, "
                         f"unknown {sorted(set(table) - set(UNITS))}")
    for unit, value in table.items():
        if not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"load_points: points for {unit} must be a number >= 0, got {value!r}")
    return table


@functools.lru_cache(maxsize=4)
def plan(seed: int) -> list[UnitPlan]:
    """Every unit's jobs and checks; inputs drawn from ``seed`` and the unit's name.
    Cached: judges are pure functions of the results, so a plan can be reused."""
    ref = reference.load()
    plans = []
    for unit, builder in UNITS.items():
        rng = np.random.default_rng([seed, zlib.crc32(unit.encode())])
        built = builder(rng, ref)
        plans.append(UnitPlan(unit, *built))
    return plans


def find_package(path) -> Path:
    """PATH/nn100 when it is a package, else UsageError naming what was found."""
    root = Path(path)
    if not root.is_dir():
        raise UsageError(f"grade: expected a folder containing nn100/__init__.py, but {root} "
                         f"{'is a file' if root.exists() else 'does not exist'}")
    package = root / "nn100"
    if (package / "__init__.py").is_file() and not package.is_symlink():
        return package
    found = sorted(p.name + ("/" if p.is_dir() else "") for p in root.iterdir())[:12]
    hint = ""
    if root.name == "nn100" and (root / "__init__.py").is_file():
        hint = f" (this folder is the package itself: pass its parent, {root.parent})"
    raise UsageError(f"grade: expected {package}/__init__.py, found in {root}: "
                     f"{', '.join(found) or 'nothing'}{hint}")


def grade(path, seed: int = DEFAULT_SEED, timeout: float = 5.0, jobs: int = 2,
          points: dict | None = None, units=None) -> Grade:
    """Grade the nn100 package in ``path``; ``units`` (names; None = all) restricts the plan."""
    started = time.monotonic()
    package = find_package(path)
    points = load_points() if points is None else points
    sandbox.become_subreaper()
    limits = sandbox.Limits(timeout=timeout)
    plans = plan(seed)
    if units is not None:
        unknown = sorted(set(units) - {p.unit for p in plans})
        if unknown:
            raise UsageError(f"grade: unknown units {unknown}; the units are {sorted(UNITS)}")
        plans = [p for p in plans if p.unit in set(units)]
    protections = sandbox.protections(limits)
    servers = sandbox.ServerPool(limits)
    try:
        probe = sandbox.run_jobs(package, [], limits, servers)
        reports = {}
        if probe.import_ok:
            # the longest unit first, so two workers finish together
            order = sorted(plans, key=lambda p: p.unit != "Convergence")
            with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
                futures = {p.unit: pool.submit(sandbox.run_jobs, package, p.jobs, limits, servers)
                           for p in order}
                reports = {unit: future.result() for unit, future in futures.items()}
    finally:
        servers.close()
    sandbox.sweep()
    outcomes, unit_scores, extra_data = [], {}, {}
    for p in plans:
        report = reports.get(p.unit)
        unit_outcomes = judge_unit(p, report, probe)
        weights = sum(o.check.weight for o in unit_outcomes) or 1
        possible = float(points[p.unit])
        for o in unit_outcomes:
            o.max_points = possible * o.check.weight / weights
            o.points = o.max_points if o.passed else 0.0
        earned_weight = sum(o.check.weight for o in unit_outcomes if o.passed)
        unit_scores[p.unit] = (possible * earned_weight / weights, possible)
        outcomes += unit_outcomes
        if p.extra is not None:
            try:
                extra_data.setdefault("loss_curves", {}).update(p.extra(report.results if report
                                                                        else {}))
            except Exception as exc:  # the curves are a courtesy, never a reason to fail
                extra_data["loss_curves_error"] = f"{type(exc).__name__}: {exc}"
    score = sum(earned for earned, _ in unit_scores.values())
    max_score = sum(possible for _, possible in unit_scores.values())
    notes = [f"seed {seed}", f"time limit {timeout:g} s per check"]
    if not probe.import_ok:
        notes.append(f"importing nn100 failed: {probe.import_message}")
    return Grade(outcomes, unit_scores, score, max_score, time.monotonic() - started,
                 protections, extra_data, notes)


def judge_unit(p: UnitPlan, report, probe) -> list[Outcome]:
    if not probe.import_ok:
        message = f"importing nn100 failed, so nothing could be checked:\n{probe.import_message}"
        return [Outcome(c, False, message) for c in p.checks]
    if not report.import_ok:
        message = f"importing nn100 failed in this unit's process:\n{report.import_message}"
        return [Outcome(c, False, message) for c in p.checks]
    return [run_judge(c, report.results) for c in p.checks]
