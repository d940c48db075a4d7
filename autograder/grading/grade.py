"""Grade one submission: plan every unit's jobs and checks, run each unit in its own
sandboxed children (two at a time), judge the results here, and score them."""
from __future__ import annotations

import contextlib
import math
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from .. import course, sandbox
from ..sandbox import processes
from . import reference
from .checks import Outcome, blame, headline_first, judge_all
from . import families

DEFAULT_SEED = 20240601

def unit_builder(table: course.Course, name: str):
    """The check builder of unit ``name``: its own family, else its kind's (each family
    module declares which, see ``families``); the unit (its spec included) and the course
    come as values, never from a global."""
    unit = table.units[name]
    try:
        family = families.family_of(unit)
    except LookupError as error:
        raise course.CourseError(f"plan: {error}") from None
    return family.unit_builder(unit, table)


IMPORT_FAILED = "not run: importing nn100 failed (the first check says why)"


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
    job_seconds: dict = field(default_factory=dict)  # job id -> wall seconds, jobs that ran


def load_points(table: course.Course | None = None) -> dict:
    """Points per unit, as course.toml gives them (validated there: they add up to its total)."""
    return (course.load() if table is None else table).points()


# Plans already built: (id of a course, seed) -> (that course, {unit: UnitPlan}), the four
# latest pairs kept. Judges are pure functions of the results, so a plan can be reused.
_PLANS: dict = {}
_PLANS_LOCK = threading.Lock()


def unit_plan(table: course.Course, seed: int, unit: str) -> UnitPlan:
    """``unit``'s jobs and checks, its inputs drawn from ``seed`` and its name, each check's
    hint and visibility resolved from ``table``.  Safe to call from several threads (units
    are planned while others run); the reference must have been loaded first."""
    key = (id(table), seed)
    with _PLANS_LOCK:
        if key not in _PLANS or _PLANS[key][0] is not table:
            while len(_PLANS) >= 4:
                _PLANS.pop(next(iter(_PLANS)))
            _PLANS[key] = (table, {})
        built = _PLANS[key][1]
    if unit not in built:
        built[unit] = build_unit(unit, unit_builder(table, unit), seed, reference.load(), table)
    return built[unit]


def plan(table: course.Course, seed: int) -> list[UnitPlan]:
    """Every unit of ``table``, in the course's order (see ``unit_plan``)."""
    reference.load()
    return [unit_plan(table, seed, unit) for unit in table.units]


def build_unit(unit: str, builder, seed: int, ref, table: course.Course) -> UnitPlan:
    """One unit's plan, its inputs drawn from ``seed`` and its name."""
    rng = np.random.default_rng([seed, zlib.crc32(unit.encode())])
    built = builder(rng, ref)
    strays = sorted({c.unit for c in built[1]} - {unit})
    if strays:  # e.g. a second container given the family written for Sequential
        raise course.CourseError(f"plan: the checks built for {unit} are named for "
                                 f"{', '.join(strays)}: {unit} needs a family of its own "
                                 "(a family module declaring it in UNITS)")
    for check in built[1]:
        check.hint = table.hint(check.unit, check.family)
        check.visibility = table.visibility_of(check.unit, check.family)
    return UnitPlan(unit, *built)


@contextlib.contextmanager
def resolved_package(path):
    """The shared resolver (``submissions.resolved``), its refusals as UsageError."""
    from . import submissions
    try:
        with submissions.resolved(path) as root:
            yield root / "nn100"
    except submissions.SubmissionError as error:
        raise UsageError(f"grade: {path}: {error.reason}") from None


def grade(path, seed: int = DEFAULT_SEED, timeout: float = 5.0, jobs: int = 2,
          points: dict | None = None, units=None,
          budget: float | None = None, table: course.Course | None = None) -> Grade:
    """Grade the submission at ``path`` (any form ``submissions.resolved`` takes).
    ``units`` (names; None = all) restricts the plan; ``points``
    gives each graded unit its points (default: the points table). ``budget``: seconds
    for the whole submission (None: calibrated on this machine, see
    sandbox.calibration, which also sets each job's limit; math.inf: no budget and no
    calibrated job limits); units not reached within it fail as "not reached".
    ``table``: the course (None: course.toml as shipped), its specs, hints and
    visibility included."""
    table = course.load() if table is None else table
    job_seconds = {}
    # BLAS on one thread here too, as in the children: the reference's arrays are small, and
    # a second BLAS thread only spins against the children for the cores (the reference
    # graded from the CLI, medians of 6: 2.58 -> 2.29 s, 4.2 -> 3.7 CPU-seconds in all).
    with threadpool_limits(limits=1):
        if budget is None:  # measured before the clock starts: a one-off cost
            found = sandbox.calibration(lambda: reference_times(seed, timeout, jobs, table))
            budget, job_seconds = sandbox.whole_budget(found), sandbox.job_limits(found)
        with resolved_package(path) as package:
            return _grade(package, seed, timeout, jobs, points, units, budget,
                          job_seconds, table)


def selected_units(names, units) -> list[str]:
    """The ``names`` (in their order) that ``units`` asks for (None = all); unknown refused."""
    if units is not None:
        unknown = sorted(set(units) - set(names))
        if unknown:
            raise UsageError(f"grade: unknown units {unknown}; the units are {sorted(names)}")
    return [name for name in names if units is None or name in set(units)]


def selected(plans: list, units) -> list:
    """The plans of ``units`` (None = all)."""
    chosen = set(selected_units([p.unit for p in plans], units))
    return [p for p in plans if p.unit in chosen]


def _grade(package, seed, timeout, jobs, points, units, budget, job_seconds,
           table) -> Grade:
    started = time.monotonic()
    points = table.points() if points is None else points
    sandbox.check_tmpdir()
    processes.become_subreaper()
    limits = sandbox.Limits(timeout=timeout, job_seconds=job_seconds)
    names = selected_units(list(table.units), units)
    reference.load()  # once, before the workers plan units in parallel
    deadline = time.monotonic() + budget
    servers = sandbox.shared_pool(limits)  # kept for this process's next grading
    servers.start()  # one fork server for every worker, importing numpy while they plan
    probed = threading.Event()
    probe = None

    def plan_and_run(name):
        """Plan a unit (while the import probe and other units run), run its jobs, and
        judge them (while other units run: a judge is a pure function of the results)."""
        p = unit_plan(table, seed, name)
        probed.wait()
        if probe is None or not probe.import_ok:
            return p, None, None
        report = sandbox.run_jobs(package, p.jobs, limits, servers, deadline)
        return p, report, judge_unit(p, report, probe)

    # the longest units (training) first, so two workers finish together
    order = sorted(names, key=lambda name: table.units[name].kind != "convergence")
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {name: pool.submit(plan_and_run, name) for name in order}
        try:  # both probes from the first fork server, while the workers plan
            protections = sandbox.protections(limits, servers)
            probe = sandbox.run_jobs(package, [], limits, servers, deadline)
        finally:
            probed.set()
        done = {name: future.result() for name, future in futures.items()}
    plans = [done[name][0] for name in names]
    reports = {name: done[name][1] for name in names if done[name][1] is not None}
    sandbox.sweep()
    outcomes, unit_scores, extra_data = [], {}, {}
    for p in plans:
        report, judged = reports.get(p.unit), done[p.unit][2]
        # the unit's diagnosis first: the first failure a check established
        unit_outcomes = headline_first(judged if judged is not None else
                                       judge_unit(p, report, probe, first=not outcomes))
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
    blame(outcomes)  # a convergence failure names the units it uses that fail their checks
    score = sum(earned for earned, _ in unit_scores.values())
    max_score = sum(possible for _, possible in unit_scores.values())
    per_check = (f"{sandbox.JOB_FACTOR:g}x the reference's per check, between "
                 f"{sandbox.JOB_FLOOR:g} and {timeout:g} s" if job_seconds
                 else f"{timeout:g} s per check")
    notes = [f"seed {seed}", f"time limit {per_check}"
             + (f", {budget:.0f} s in all" if math.isfinite(budget) else "")]
    if not probe.import_ok:
        notes.append(f"importing nn100 failed: {probe.import_message}")
    return Grade(outcomes, unit_scores, score, max_score, time.monotonic() - started,
                 protections, extra_data, notes,
                 {job: r.seconds for report in reports.values() if report
                  for job, r in report.results.items()
                  if r.status in (sandbox.JobStatus.OK, sandbox.JobStatus.ERROR)})


def reference_times(seed, timeout, jobs, table=None) -> dict:
    """The reference's own grading time on this machine, in all and per job."""
    graded = grade(reference.SOLUTIONS.parent, seed, timeout, jobs, budget=math.inf, table=table)
    return {"total": graded.seconds, "jobs": graded.job_seconds}


def judge_unit(p: UnitPlan, report, probe, first: bool = False) -> list[Outcome]:
    if not probe.import_ok:  # said once, in the very first check
        message = f"importing nn100 failed, so nothing could be checked:\n{probe.import_message}"
        return [Outcome(c, False, message if first and not k else IMPORT_FAILED)
                for k, c in enumerate(p.checks)]
    if not report.import_ok:
        message = f"importing nn100 failed in this unit's process:\n{report.import_message}"
        return [Outcome(c, False, message if not k else IMPORT_FAILED)
                for k, c in enumerate(p.checks)]
    return judge_all(p.checks, report.results)
