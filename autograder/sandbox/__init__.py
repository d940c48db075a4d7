"""The sandbox: runs untrusted code in confined child processes and returns plain data.

It imports nothing from the grading, the course or the classroom (a test holds it to
that): what it knows of a check is a job's name, its inputs and its limits.

policy       every limit; the SandboxPolicy a child is handed (child/policy.py)
job          what a job is and what became of it (plain data)
runner       running one unit's jobs in a child, restarting it after a crash or a timeout
unit         one unit's child: its folder, the FIFOs its jobs go over, reading back
forkserver   a confined parent that forks each unit's child; one pool of them per process
calibrate    what is enforced on this machine (a probe child), budgets from the reference
hygiene      which processes are ours, sweeping what they leave, whom children run as
files        reading what a child wrote (strict .npy, capped JSON), its folders and disks
safe_text    text from a child shown, never obeyed; the one CSV writer
processes    the environment children get; /proc
atomic       files written whole or not at all
child/       what runs inside the child: confinement, the harness, the job table
"""
from .calibrate import (BUDGET_FACTOR, CALIBRATION, MIN_BUDGET, calibration, job_limits,
                          protections, whole_budget)
from .files import GraderError, check_tmpdir, load_array
from .forkserver import ForkServer, ServerPool, close_shared, server_pids, shared_pool
from .hygiene import drop_target, sweep
from .job import NOT_REACHED, SANDBOX_PREFIX, ChildReport, Job, JobResult, JobStatus
from .policy import JOB_FACTOR, JOB_FLOOR, MESSAGE_CHARS, Limits, SandboxPolicy, unit_policy
from .runner import run_child, run_jobs
from .unit import truncate

__all__ = ["BUDGET_FACTOR", "CALIBRATION", "JOB_FACTOR", "JOB_FLOOR", "MESSAGE_CHARS",
           "MIN_BUDGET", "NOT_REACHED", "SANDBOX_PREFIX", "ChildReport", "ForkServer",
           "GraderError", "Job", "JobResult", "JobStatus", "Limits", "SandboxPolicy",
           "ServerPool", "calibration", "check_tmpdir", "close_shared", "drop_target",
           "job_limits", "load_array", "protections", "run_child", "run_jobs", "server_pids",
           "shared_pool", "sweep", "truncate", "unit_policy", "whole_budget"]
