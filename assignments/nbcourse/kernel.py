"""The student's kernel while autograding: ipykernel, confined before it runs a cell.

    python -m nbcourse.kernel -f CONNECTION_FILE     (the kernelspec nbgrader_config.py writes)

The kernel no longer decides a grade (nbcourse.preprocessor does), but it runs the
student's cells, and nbgrader restores the hidden test cells into it: unconfined, it
could read the source notebooks, the hidden tests, other students' work and
gradebook.db, forge results, or send what it sees to another process on the machine.
So after ipykernel has bound its sockets, and before the first cell, it is confined by
the package track's own code (autograder/sandbox/child/enforce.py) through a
``SandboxPolicy`` of its own (``kernel_policy``):

- rlimits: 4 GB of address space, files of at most 256 MB, no core dumps (a memory or
  disk bomb fails its cell, not the machine);
- as root, fresh IPC and network namespaces for the thread that runs the cells: no
  SysV segment or message queue shared with anything else (and none outlives the
  kernel), no interface but a loopback that is down.  ZMQ's sockets were bound before,
  in the namespace they were created in, and keep working;
- Landlock: reading the system folders, the standard library, the virtual
  environment's packages and the notebook's own folder; writing only that folder and
  /dev/null; no TCP bind or connect; signals and abstract unix sockets scoped to the
  kernel's own processes;
- of /etc, every entry but the secrets (``ETC_SECRETS``: shadow files, sudoers, ssh and
  ssl keys), so that /etc/shadow stays closed even to a kernel that keeps root;
- as root, the unprivileged user (nobody), which owns the notebook's folder for the
  run (its files stay root's) -- when nobody may read the interpreter, the standard
  library and the packages (an interpreter installed under root's home is readable by
  root alone: the kernel then keeps the grader's user, and its log says why);
- seccomp on every thread (ZMQ's and ipykernel's included): no socket of any family,
  no socket pair, SysV IPC, memory files, ptrace, namespaces or page-cache eviction,
  and no new process.  Two exceptions, both needed by ipykernel once it runs: threads
  (ipykernel and ZMQ start them; nothing here counts calls, as the package track's
  checks do) and socketpair() (asyncio's event loop in each of those threads wakes
  itself through one: a pair is connected only to itself, reaches no listener, and
  could leave the process only through a socket or a child, both denied).

A PID namespace is not used: unshare(CLONE_NEWPID) only places a process's future
children, and the kernel may start none (seccomp); the kernel itself must keep the
pid jupyter_client signals to interrupt or stop it.

Without root there are no namespaces and no user switch; without Landlock or
libseccomp those walls are missing.  The kernel's log says what is in force; the
grades stay the grader's either way.
"""
from __future__ import annotations

import os
import sys
import sysconfig
import tempfile

MEMORY_BYTES = 4 << 30   # each far above what a notebook needs
FILE_BYTES = 256 << 20


# Entries of /etc a kernel never reads: Landlock grants /etc entry by entry without these.
ETC_SECRETS = {"shadow", "shadow-", "gshadow", "gshadow-", "sudoers", "sudoers.d", "ssh",
               "ssl", "security", "krb5.keytab", "credstore", "credstore.encrypted"}


def etc_entries() -> list[str]:
    """Every entry of /etc but the secrets, each as a path of its own."""
    try:
        names = sorted(os.listdir("/etc"))
    except OSError:
        return []
    return [os.path.join("/etc", name) for name in names if name not in ETC_SECRETS]


def allowed_paths(folder: str) -> tuple[list, list]:
    """(read, write) paths for a kernel working in ``folder``."""
    from autograder.sandbox.child.confine import system_read_paths
    packages = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    packages |= {os.path.realpath(p) for p in packages}
    system = [p for p in system_read_paths() if p != "/etc"] + etc_entries()
    read = system + sorted(packages) + [sys.prefix, os.path.realpath(sys.prefix)]
    for variable in ("IPYTHONDIR", "MPLCONFIGDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR"):
        if os.environ.get(variable):
            read.append(os.environ[variable])
    return read + [folder], [folder, "/dev/null"]


def kernel_policy(folder: str):
    """The kernel's SandboxPolicy: the unit child's mechanisms, with the kernel's paths,
    limits and exceptions (threads; no PID or mount namespace; processes banned at once)."""
    from autograder.sandbox import drop_target
    from autograder.sandbox.child.policy import AT_ONCE, SandboxPolicy
    read, write = allowed_paths(folder)
    target = drop_target()
    if target and not readable_as(target, interpreter_files()):
        target = None
    return SandboxPolicy(memory_bytes=MEMORY_BYTES, file_bytes=FILE_BYTES,
                         read=tuple(read), write=tuple(write), work=folder,
                         namespaces=("IPC", "network"), threads=True, socket_pairs=True,
                         ban_processes=AT_ONCE,
                         kill_leftovers=False, drop_to=target)


def interpreter_files() -> list[str]:
    """A file of each tree the kernel imports from: the standard library, its compiled
    modules, the packages (numpy)."""
    import numpy
    return [os.__file__, sysconfig.get_config_var("DESTSHARED") or os.__file__,
            numpy.__file__]


def readable_as(target: tuple, paths: list[str]) -> bool:
    """Whether user ``target`` (uid, gid) may read every one of ``paths``, asked with the
    effective ids switched for the question only."""
    uid, gid = target
    os.setegid(gid)
    os.seteuid(uid)
    try:
        return all(os.access(path, os.R_OK, effective_ids=True) for path in paths)
    finally:
        os.seteuid(0)
        os.setegid(0)


def confine(folder: str) -> list:
    """Apply ``kernel_policy(folder)`` to this process and every thread it runs; returns
    what is in force."""
    from autograder.sandbox.child import enforce
    # Temporary files go to the notebook's own folder: nothing shared between students.
    os.environ["TMPDIR"] = folder
    tempfile.tempdir = folder
    policy = kernel_policy(folder)
    applied = enforce.limits(policy)
    if policy.drop_to:  # the folder is the run's: the kernel writes there as nobody
        os.chown(folder, *policy.drop_to)
    found, _ = enforce.lock_down(policy)
    if os.getuid() == 0 and not policy.drop_to:
        found.append("kept the grader's user: nobody cannot read the interpreter "
                     f"({os.path.dirname(os.__file__)})")
    return [f"rlimits: {', '.join(applied)}"] + found


def main(argv=None) -> None:
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does; put back by IPython's init_path
    from ipykernel.kernelapp import IPKernelApp
    app = IPKernelApp.instance()
    # History in memory: its database would live outside the folder the kernel may write.
    argv = (sys.argv[1:] if argv is None else argv) + ["--HistoryManager.hist_file=:memory:"]
    app.initialize(argv)  # binds the kernel's sockets
    try:  # matplotlib's font cache is written once, before the kernel may no longer
        import matplotlib.font_manager  # noqa: F401
    except Exception:
        pass
    try:
        applied = confine(os.getcwd())
    except Exception as error:  # a kernel that cannot start would fail every notebook
        app.log.warning("nn100 kernel: confinement failed: %s", error)
        applied = []
    app.log.warning("nn100 kernel: %s", "; ".join(applied) or "NOT confined")
    app.start()


if __name__ == "__main__":
    main()
