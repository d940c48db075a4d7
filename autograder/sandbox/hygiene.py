"""Process hygiene: which children are ours, sweeping what they leave, whom they run as."""

from __future__ import annotations

import os
import pwd
import select
import signal
import threading
import time


from .processes import processes




# ---------------------------------------------------------------- process hygiene

_lock = threading.Lock()
_active: set[int] = set()      # pids of running sandbox children
_sessions: set[int] = set()    # sessions of finished sandboxes, whose members are swept
REAP_WAIT = 0.5                # seconds a killed child of ours is given to die


def sweep() -> int:
    """Kill every process left over by a sandbox: members of a sandbox session, and
    orphans of other sessions re-parented to us.  Returns how many were killed."""
    me, my_session, killed = os.getpid(), os.getsid(0), 0
    for _ in range(100):
        with _lock:
            doomed = [p for p in processes()
                      if p.pid not in _active and p.pid != me
                      and (p.session in _sessions or (p.ppid == me and p.session != my_session))]
        if not doomed:
            return killed
        for p in doomed:
            try:
                os.kill(p.pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        gone = [_reap(p.pid, ours=p.ppid == me) for p in doomed]
        # Usually nothing is left; after a child started from scratch, its unit's PID
        # namespace's init, re-parented here, dead or dying.  A zombie could not have
        # forked, so then nothing is left to find; a live one may have forked before it
        # died: look again (at once when every doomed process is gone, else after a
        # moment for the kill to take effect).
        if all(gone) and all(p.state == "Z" for p in doomed):
            return killed
        if not all(gone):
            time.sleep(0.005)
    return killed


def _reap(pid: int, ours: bool) -> bool:
    """Reap ``pid`` once it has died, waiting up to REAP_WAIT seconds when it is our
    child (a killed process takes a moment to die); True when it is gone."""
    if ours and hasattr(os, "pidfd_open"):
        try:
            fd = os.pidfd_open(pid)
        except OSError:
            fd = None
        if fd is not None:
            try:
                select.select([fd], [], [], REAP_WAIT)  # readable once the process died
            finally:
                os.close(fd)
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    except ChildProcessError:
        return not os.path.exists(f"/proc/{pid}")


# ---------------------------------------------------------------- privileges



def drop_target():
    """The (uid, gid) children switch to when the grader runs as root, else None."""
    if os.getuid() != 0:
        return None
    try:
        entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return 65534, 65534
