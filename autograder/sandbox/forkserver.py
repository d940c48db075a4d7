"""The fork server: a confined parent that imports the harness once and forks each
unit's child from itself."""

from __future__ import annotations

import atexit
import os
import select
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
            self.returncode = self.server.exit_status(0)
        return self.returncode

    def wait(self, timeout=None):
        if self.returncode is None:
            self.returncode = self.server.exit_status(timeout)
            if self.returncode is None:
                self.server.broken = True
                raise subprocess.TimeoutExpired("fork server", timeout)
        return self.returncode


class ForkServer:
    """One confined process with numpy loaded that forks a fresh child per unit:
    a child costs a fork instead of an interpreter start and a numpy import.  The
    server runs no student code; every forked child sets up its own session, files,
    CPU limit, namespaces, user, a nested Landlock domain and seccomp before
    importing the submission."""

    def __init__(self, limits: Limits):
        self.limits, self.broken, self.pending = limits, False, b""
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

    def _line(self, timeout):
        """The server's next line, or None after ``timeout`` seconds.  Reads the pipe
        unbuffered, so a line that arrived with the previous one is never missed."""
        deadline = time.monotonic() + (timeout or 0)
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            if not ready:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                self.broken = True
                return None
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return line.decode(errors="replace").strip()

    def usable(self) -> bool:
        """Alive, and never lost track of (a lost line makes it broken for good)."""
        return not self.broken and self.proc.poll() is None

    def fork(self, work: Path) -> Forked:
        self.proc.stdin.write(f"{work}\n".encode())
        self.proc.stdin.flush()
        line = self._line(self.limits.timeout * 2 + 10)
        if line is None or not line.isdigit():
            self.broken = True
            raise OSError("the fork server did not answer")
        pid = int(line)
        with _lock:
            _active.add(pid)
        return Forked(self, pid)

    def exit_status(self, timeout):
        line = self._line(timeout)
        if line is None or not line.startswith("exit "):
            return None
        return int(line.split()[1])

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
    """Fork servers shared by the grading threads and by the gradings of this process
    (``shared_pool``): an idle one is reused, a broken one closed and replaced, so
    grading with two threads starts two servers in all, once per process."""

    def __init__(self, limits: Limits):
        self.limits, self.idle, self.all = limits, [], []
        self.lock = threading.Lock()
        self.pid = os.getpid()  # a forked process never drives its parent's servers

    def start(self, count: int) -> None:
        """Start servers until ``count`` are alive (each takes a while to import numpy:
        started together, no grading thread waits for a server of its own later)."""
        for server in [s for s in list(self.idle) if not s.usable()]:
            self.retire(server)
        for _ in range(count - len(self.all)):
            server = ForkServer(self.limits)
            with self.lock:
                self.all.append(server)
                self.idle.append(server)

    def get(self) -> ForkServer:
        while True:
            with self.lock:
                server = self.idle.pop() if self.idle else None
            if server is None:
                break
            if server.usable():
                return server
            self.retire(server)
        server = ForkServer(self.limits)
        with self.lock:
            self.all.append(server)
        return server

    def release(self, server: ForkServer) -> None:
        if not server.usable():
            self.retire(server)
            return
        with self.lock:
            self.idle.append(server)

    def retire(self, server: ForkServer) -> None:
        """Close a broken or dead server now: its folder and process go at once."""
        with self.lock:
            if server in self.idle:
                self.idle.remove(server)
            if server not in self.all:
                return
            self.all.remove(server)
        server.close()

    def close(self) -> None:
        with self.lock:
            servers, self.all, self.idle = self.all, [], []
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
