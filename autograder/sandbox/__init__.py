"""The sandbox: runs untrusted code in confined child processes and returns plain data.

It imports nothing from the grading, the course or the classroom (a test holds it to
that): what it knows of a check is a job's name, its inputs and its limits.

runner      the trusted side: children, jobs over FIFOs, budgets, the fork server
files       reading what a child wrote (strict .npy, capped JSON), its folders and disks
processes   the environment children get; killing what they leave
atomic      files written whole or not at all
child/      what runs inside the child: confinement, the harness, the job table
"""
from .files import GraderError, check_tmpdir, load_array
from .runner import (BUDGET_FACTOR, CALIBRATION, JOB_FACTOR, JOB_FLOOR, MESSAGE_CHARS,
                     MIN_BUDGET, NOT_REACHED, SANDBOX_PREFIX, ChildReport, ForkServer, Job,
                     JobResult, JobStatus, Limits, ServerPool, calibration, drop_target,
                     job_limits, protections, run_child, run_jobs, sweep, truncate,
                     whole_budget)

__all__ = ["BUDGET_FACTOR", "CALIBRATION", "JOB_FACTOR", "JOB_FLOOR", "MESSAGE_CHARS",
           "MIN_BUDGET", "NOT_REACHED", "SANDBOX_PREFIX", "ChildReport", "ForkServer", "GraderError",
           "Job", "JobResult", "check_tmpdir", "JobStatus", "Limits", "ServerPool", "calibration", "drop_target",
           "job_limits", "load_array", "protections", "run_child", "run_jobs", "sweep",
           "truncate", "whole_budget"]
