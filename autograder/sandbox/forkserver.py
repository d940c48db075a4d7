"""The fork server: a confined parent that imports the harness once and forks each
unit's child from itself."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path


from .hygiene import _active, _lock, sweep
from .policy import SERVER_CPU_SECONDS, Limits
from .unit import _Unit




# ---------------------------------------------------------------- fork server

class Forked:
    """A unit child forked by a ForkServer, with the parts of Popen that run_child uses."""

    def __init__(self, server, pid: int):
        self.server, self.pid, self.returncode = server, pid, None

    def poll(self):
        if self.returncode is None:
            self.returncode = self.server.exit_status(self.pid, 0)
        return self.returncode

    def wait(self, timeout=None):
        if self.returncode is None:
            self.returncode = self.server.exit_status(self.pid, timeout)
            if self.returncode is None:
                self.server.broken = True
                raise subprocess.TimeoutExpired("fork server", timeout)
        return self.returncode


class ForkServer:
    """One confined process with numpy loaded that forks a fresh child per unit, for
    every grading thread at once: a child costs a fork instead of an interpreter start
    and a numpy import.  The server runs no student code; as root it forks each child
    into a PID namespace of its own, whose init the child becomes; every child sets up
    its own session, files, CPU limit, other namespaces, user, a nested Landlock domain
    and seccomp before importing the submission.  A thread reads the server's lines as
    they come and hands each to the grading thread waiting for it: the pid a fork
    request was answered with, or a child's exit status."""

    def __init__(self, limits: Limits):
        self.limits, self.broken = limits, False
        self.home = _Unit(None, [], limits)
        self.root = self.home.path
        # the server's own CPU limit; each child sets its own from its unit's policy
        self.home.policy = replace(self.home.policy, cpu_seconds=SERVER_CPU_SECONDS)
        self.home.write_task()
        with _lock:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-B", str(self.root / "harness" / "harness.py"),
                 str(self.root), "--serve"],
                cwd=self.root, env=self.home.policy.env, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.home.fds["stderr.txt"], start_new_session=True, close_fds=True)
            _active.add(self.proc.pid)
        self.requests = threading.Lock()    # one fork request at a time
        self.heard = threading.Condition()  # guards what the reader thread fills in:
        self.forked, self.exits = [], {}    # pids answered, in order; pid -> exit status
        threading.Thread(target=self._read, daemon=True, name="fork-server-reader").start()

    def _read(self) -> None:
        """Every line of the server until it closes its end (then it is broken)."""
        fd, pending = self.proc.stdout.fileno(), b""
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                break
            *lines, pending = (pending + chunk).split(b"\n")
            with self.heard:
                for words in (line.decode(errors="replace").split() for line in lines):
                    if len(words) == 1 and words[0].isdigit():
                        self.forked.append(int(words[0]))
                    elif len(words) == 3 and words[0] == "exit" and words[1].isdigit():
                        self.exits[int(words[1])] = int(words[2])
                    else:  # a line it never writes: nothing it says can be trusted now
                        self.broken = True
                self.heard.notify_all()
        with self.heard:
            self.broken = True
            self.heard.notify_all()

    def _heard(self, ready, timeout) -> bool:
        """Wait until ``ready()`` holds (True), or ``timeout`` seconds pass or the server
        breaks (False)."""
        deadline = time.monotonic() + (timeout or 0)
        with self.heard:
            while not ready():
                left = deadline - time.monotonic()
                if left <= 0 or self.broken:
                    return False
                self.heard.wait(left)
            return True

    def usable(self) -> bool:
        """Alive, and never lost track of (a lost line makes it broken for good)."""
        return not self.broken and self.proc.poll() is None

    def fork(self, work: Path) -> Forked:
        with self.requests:
            try:
                self.proc.stdin.write(f"{work}\n".encode())
                self.proc.stdin.flush()
            except OSError:
                self.broken = True
                raise
            if not self._heard(lambda: self.forked, self.limits.timeout * 2 + 10):
                self.broken = True
                raise OSError("the fork server did not answer")
            with self.heard:
                pid = self.forked.pop(0)
        with _lock:
            _active.add(pid)
        return Forked(self, pid)

    def exit_status(self, pid: int, timeout):
        """Child ``pid``'s exit status, or None when it is not known within ``timeout``."""
        if not self._heard(lambda: pid in self.exits, timeout):
            return None
        with self.heard:
            return self.exits.pop(pid)

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()
        with _lock:
            _active.discard(self.proc.pid)
        sweep()
        self.home.remove()


class ServerPool:
    """The fork server shared by the grading threads and by the gradings of this process
    (``shared_pool``): one serves every thread, and a broken one is closed and replaced,
    so grading starts one server in all, once per process."""

    def __init__(self, limits: Limits):
        self.limits, self.all = limits, []
        self.lock = threading.Lock()
        self.pid = os.getpid()  # a forked process never drives its parent's servers

    def start(self) -> None:
        """Start the server now, so that it imports numpy while the units are planned."""
        self.get()

    def get(self) -> ForkServer:
        with self.lock:
            broken = [s for s in self.all if not s.usable()]
            self.all = [s for s in self.all if s.usable()]
            if not self.all:
                self.all.append(ForkServer(self.limits))
            server = self.all[0]
        for old in broken:
            old.close()
        return server

    def release(self, server: ForkServer) -> None:
        if not server.usable():
            self.retire(server)

    def retire(self, server: ForkServer) -> None:
        """Close a broken or dead server now: its folder and process go at once."""
        with self.lock:
            if server not in self.all:
                return
            self.all.remove(server)
        server.close()

    def close(self) -> None:
        with self.lock:
            servers, self.all = self.all, []
        for server in servers:
            server.close()


# ---------------------------------------------------------------- one pool per process

_shared: dict = {}   # (timeout, memory, file size, processes) -> ServerPool of this process
_shared_lock = threading.Lock()


def shared_pool(limits: Limits) -> ServerPool:
    """This process's fork servers for gradings with these limits, kept from one grading
    to the next (a server runs no student code, and each unit is forked afresh): a
    grading after the first starts no interpreter.  Closed at exit (``close_shared``)."""
    key = (limits.timeout, limits.memory_bytes, limits.file_bytes, limits.processes)
    with _shared_lock:
        if any(pool.pid != os.getpid() for pool in _shared.values()):
            _shared.clear()  # forked: those are the parent's servers, not ours to use
        if key not in _shared:
            _shared[key] = ServerPool(replace(limits, job_seconds={}))
        return _shared[key]


def close_shared() -> None:
    """Close this process's shared servers (at exit; tests that count what is left)."""
    with _shared_lock:
        pools = [pool for pool in _shared.values() if pool.pid == os.getpid()]
        _shared.clear()
    for pool in pools:
        pool.close()


atexit.register(close_shared)


def server_pids() -> set[int]:
    """The processes of this process's shared fork servers."""
    with _shared_lock:
        pools = [pool for pool in _shared.values() if pool.pid == os.getpid()]
    return {server.proc.pid for pool in pools for server in list(pool.all)}
