"""The fork server: a confined parent that imports the harness once and forks each
unit's child from itself."""

from __future__ import annotations

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
    """Fork servers shared by the grading threads: an idle one is reused, a broken one
    replaced, so a grade with two threads starts two servers in all."""

    def __init__(self, limits: Limits, start: int = 0):
        """``start`` servers are started at once (each takes a while to import numpy):
        started together, no thread waits for a server of its own later."""
        self.limits, self.idle, self.all = limits, [], []
        self.lock = threading.Lock()
        for _ in range(start):
            self.all.append(ForkServer(limits))
        self.idle = list(self.all)

    def get(self) -> ForkServer:
        with self.lock:
            while self.idle:
                server = self.idle.pop()
                if not server.broken and server.proc.poll() is None:
                    return server
        server = ForkServer(self.limits)
        with self.lock:
            self.all.append(server)
        return server

    def release(self, server: ForkServer) -> None:
        with self.lock:
            self.idle.append(server)

    def close(self) -> None:
        for server in self.all:
            server.close()
