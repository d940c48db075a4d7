"""Run a framework test module against a package root, in a process forked from one
that has imported pytest and numpy already: each of the 110-odd mutants then costs a
fork and its own tests, not an interpreter start and pytest's import (about 0.6 s)."""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARGS = ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:anyio",
        "-o", "addopts="]
TIMEOUT = 300  # seconds one module may take against one package root

# The parent (this file, as a script): each request line names a root and an output
# file; a forked child runs pytest there with NN100_ROOT set; the exit status goes back.
SERVER = """
import json, os, signal, sys
import numpy, pytest
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        out = os.open(request["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.environ["NN100_ROOT"] = request["root"]
        signal.alarm(request["timeout"])
        code = pytest.main(request["args"])
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(code))
    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""

_server = []


def run_module(module: str, root: Path) -> subprocess.CompletedProcess:
    """pytest over ``module`` (a file of tests/framework) with NN100_ROOT=``root``."""
    if not _server or _server[0].poll() is not None:
        _server[:] = [subprocess.Popen([sys.executable, "-c", SERVER], cwd=HERE,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       text=True)]
    server = _server[0]
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as out:
        server.stdin.write(json.dumps({"root": str(root), "out": out.name, "timeout": TIMEOUT,
                                       "args": [*ARGS, str(HERE / module)]}) + "\n")
        server.stdin.flush()
        status = server.stdout.readline()
        if not status.strip():
            raise RuntimeError(f"the forking pytest runner died running {module} on {root}")
        return subprocess.CompletedProcess([module, str(root)], int(status), out.read(), "")
