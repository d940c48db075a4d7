"""Process hygiene: which children are ours, sweeping what they leave, whom they run as."""

from __future__ import annotations

import os
import pwd
import signal
import threading
import time


from .processes import processes




# ---------------------------------------------------------------- process hygiene

_lock = threading.Lock()
_active: set[int] = set()      # pids of running sandbox children
_sessions: set[int] = set()    # sessions of finished sandboxes, whose members are swept


def sweep() -> int:
    """Kill every process left over by a sandbox: members of a sandbox session, and
    orphans of other sessions re-parented to us.  Returns how many were killed."""
    me, my_session, killed = os.getpid(), os.getsid(0), 0
    for _ in range(100):
        with _lock:
            doomed = [p.pid for p in processes()
                      if p.pid not in _active and p.pid != me
                      and (p.session in _sessions or (p.ppid == me and p.session != my_session))]
        if not doomed:
            return killed
        for pid in doomed:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        for pid in doomed:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        time.sleep(0.005)
    return killed


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
