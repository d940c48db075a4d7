"""What the sandbox enforces on this machine, measured by a probe child, and the time
budgets calibrated on the reference's own grading."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


from .atomic import atomic_write
from .child import protocol
from .hygiene import drop_target
from .policy import JOB_FACTOR, Limits
from .runner import _finish, _start
from .unit import _Unit


_calibration: dict | None = None


# What the probe reports when a protection is in force, and what the Sandbox line says
# when it is not.
MISSING = (
    ("IPC namespace", "NO IPC namespace (needs root): children of the same user could "
                      "share SysV IPC unless seccomp denies it"),
    ("PID namespace", "NO PID namespace (needs root): processes are killed by session "
                      "and by a sweep instead"),
    ("network namespace", "NO network namespace (needs root): only seccomp keeps a child "
                          "from sockets (netlink, vsock, UDP...) shared with other children"),
    ("a private root", "NO private root (needs root and a mount namespace): the child sees "
                       "the machine's files Landlock lets it read, and reading one stamps "
                       "an access time another child can see"),
    ("seccomp", "NO seccomp filter: sockets to other local processes (UDP, unix), "
                "SysV IPC, threads and new processes are allowed"),
)


def protections(limits: Limits, servers=None) -> list[str]:
    """What the sandbox enforces on this machine, measured once by a child confined
    like a unit's that runs no student code (so the answer can be trusted), forked
    from one of ``servers`` (a ServerPool) as units are, else started afresh."""
    global _calibration
    if _calibration is None:
        record, on_tmpfs = {}, False
        server = servers.get() if servers else None
        unit = _Unit(None, [], limits, calibrate=True, parent=server.root if server else None)
        try:
            on_tmpfs = unit.on_tmpfs
            try:
                proc = server.fork(unit.path) if server else _start(unit, limits)
            except OSError:  # a broken fork server: start the probe the slow way
                proc = _start(unit, limits)
            try:
                unit.wait_for(protocol.PROBE, 30, proc)
            finally:
                _finish(proc)
            record = unit.read_json(protocol.RESULT_FILE.format(protocol.PROBE)) or {}
        finally:
            unit.remove()
            if server:
                servers.release(server)
        found = [str(p)[:200] for p in record.get("protections", [])][:20]
        joined = " ".join(found)
        if not any(p.startswith("landlock") for p in found):
            found.append("NO filesystem confinement (Landlock unavailable): the child could "
                         "read any file its user can")
        found += [missing for word, missing in MISSING if word not in joined]
        probe = record.get("probe") if isinstance(record.get("probe"), dict) else {}
        for what, words in (("udp", "UDP sockets"), ("netlink", "netlink sockets"),
                            ("fadvise", "page-cache eviction"),
                            ("nowait", "page-cache residency reads (RWF_NOWAIT)"),
                            ("thread", "threads"), ("fork", "new processes during checks")):
            if not str(probe.get(what, "")).startswith("denied"):
                found.append(f"NO denial of {words} (a probe child could use them)")
        found.append("a size- and inode-limited tmpfs per unit" if on_tmpfs else
                     "NO disk of its own (tmpfs needs root): units share the temporary folder")
        if drop_target() is None:
            found.append("grader not running as root: children run as the grader's user")
        _calibration = {"protections": found}
    return list(_calibration["protections"])


# ---------------------------------------------------------------- the whole grading's budget

BUDGET_FACTOR = 15     # a submission may take this many times the reference's own time
MIN_BUDGET = 30.0      # seconds: never less, however fast the reference was
CALIBRATION = "NN100_CALIBRATION"  # environment variable: where the measurement is cached
# Versions of the grader and courses remembered side by side (a term's copy and the next
# one's, a modified course): grading with one no longer measures the other's again.
CACHED_VERSIONS = 8


def calibration(measure) -> dict:
    """How long the reference takes on this machine: {"total": seconds of its whole
    grading, "jobs": {job id: seconds}}.  ``measure()`` grades the reference and
    returns that; the answer is cached per machine and grader version, so only the
    first grading pays for it."""
    key = _fingerprint()
    path = Path(os.environ.get(CALIBRATION) or
                Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                / "nn100" / "calibration.json")
    try:
        entries = json.loads(path.read_text())
        entries = entries if isinstance(entries, dict) else {}
    except (OSError, ValueError):
        entries = {}
    try:
        cached = entries[key]
        found = {"total": float(cached["total"]),
                 "jobs": {str(k): float(v) for k, v in dict(cached["jobs"]).items()}}
    except (KeyError, ValueError, TypeError, AttributeError):
        found = measure()
        entries.pop(key, None)
        entries[key] = found  # the newest last; the oldest forgotten beyond CACHED_VERSIONS
        try:
            atomic_write(path, json.dumps(dict(list(entries.items())[-CACHED_VERSIONS:])))
        except OSError:
            pass  # no cache: the next grading measures again
    return found


def whole_budget(found: dict) -> float:
    """Seconds the whole grading of one submission may take (at least MIN_BUDGET)."""
    return max(MIN_BUDGET, BUDGET_FACTOR * found["total"])


def job_limits(found: dict) -> dict:
    """Each job's calibrated wall-time limit (Limits.job_limit adds the floor)."""
    return {job: JOB_FACTOR * seconds for job, seconds in found["jobs"].items()}


def _fingerprint() -> str:
    """This machine and this version of the grader and the reference."""
    import hashlib
    digest = hashlib.sha256(f"{os.uname().nodename} {os.cpu_count()} {sys.version}".encode())
    grader = Path(__file__).resolve().parents[1]   # autograder/
    for path in sorted([*grader.rglob("*.py"), *grader.rglob("*.toml"),
                        *(grader.parent / "solutions" / "nn100").glob("*.py")]):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]
