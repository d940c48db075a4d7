"""Child side: lock this process down before any student code is imported.

Runs inside the sandboxed child only (the grader copies this file into the child's
temporary folder).  Standard library and ctypes only; it contains nothing graded.

Order matters and is fixed by ``confine()``:
  1. rlimits (memory, CPU, file size, processes, no core dumps);
  2. no_new_privs, so nothing exec'd later can gain privileges;
  3. Landlock: read-only access to the interpreter, numpy and system folders,
     read-write access to the child's own folder, nothing else (no repository,
     no solutions/, no hidden tests, no other site-packages), TCP denied and,
     from ABI 6, signals and abstract unix sockets scoped to this process tree;
  4. when started as root, drop to an unprivileged user.
It returns the list of protections that are actually in force, for the report.
"""
import ctypes
import os
import resource
import sys

# Landlock's system calls have the same numbers on every architecture Linux unified.
SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

# Filesystem rights, with the ABI version that introduced them.
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_ABI1 = (1 << 13) - 1          # execute .. make_sym
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FILE_ONLY = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
READ = EXECUTE | READ_FILE | READ_DIR
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1 << 0, 1 << 1


class RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64),
                ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 when Landlock is missing or disabled."""
    abi = libc.syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0),
                       ctypes.c_uint32(CREATE_RULESET_VERSION))
    return max(int(abi), 0)


def fs_rights(abi: int) -> int:
    rights = FS_ABI1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def apply_landlock(read_paths, write_paths) -> list[str]:
    """Allow only the given paths; return the protections applied ([] if none)."""
    abi = landlock_abi()
    if abi < 1:
        return []
    handled = fs_rights(abi)
    attr = RulesetAttr(handled, 0, 0)
    size = 8
    applied = [f"landlock ABI {abi}: filesystem limited to the interpreter, numpy, "
               "system folders and the child's own folder"]
    if abi >= 4:
        attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP  # no rule: all TCP denied
        size = 16
        applied.append("TCP bind/connect denied")
    if abi >= 6:
        attr.scoped = SCOPE_SIGNAL | SCOPE_ABSTRACT_UNIX
        size = 24
        applied.append("signals and abstract unix sockets scoped to the child's own processes")
    ruleset = libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
                           ctypes.c_uint32(0))
    if ruleset < 0:
        return []
    try:
        for path, access in [(p, READ) for p in read_paths] + [(p, handled) for p in write_paths]:
            _allow(ruleset, path, access)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return []
        if libc.syscall(SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            return []
    finally:
        os.close(ruleset)
    return applied


def _allow(ruleset: int, path: str, access: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # a folder this system does not have (e.g. /lib64)
    try:
        if not os.path.isdir(path):
            access &= FILE_ONLY
        rule = PathBeneathAttr(access, fd)
        libc.syscall(SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
                     ctypes.byref(rule), ctypes.c_uint32(0))
    finally:
        os.close(fd)


def set_limits(cpu_seconds: int, memory_bytes: int, file_bytes: int, processes: int) -> None:
    for limit, value in [(resource.RLIMIT_AS, memory_bytes), (resource.RLIMIT_CPU, cpu_seconds),
                         (resource.RLIMIT_FSIZE, file_bytes), (resource.RLIMIT_CORE, 0),
                         (resource.RLIMIT_NPROC, processes)]:
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):
            pass  # e.g. a hard limit already lower than ours: keep it


def drop_privileges(uid: int, gid: int) -> bool:
    """Become ``uid``/``gid`` for good (real, effective and saved IDs); True on success."""
    if os.getuid() != 0:
        return False
    try:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    except OSError:
        return False
    return os.getuid() == uid and os.geteuid() == uid


def system_read_paths() -> list[str]:
    """What a numpy-only child needs to read: the interpreter, the standard library,
    numpy's own folders, and the system folders; nothing else of site-packages."""
    import sysconfig
    import numpy

    numpy_dir = os.path.dirname(numpy.__file__)
    paths = {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib")}
    paths |= {os.path.realpath(p) for p in paths}
    paths |= {numpy_dir, numpy_dir + ".libs", os.path.realpath(sys.executable)}
    paths |= {"/usr", "/lib", "/lib32", "/lib64", "/etc", "/proc", "/dev"}
    return sorted(paths)


CLONE_NEWIPC, CLONE_NEWPID = 0x08000000, 0x20000000


def die_with_parent() -> None:
    """PR_SET_PDEATHSIG SIGKILL: die with the outer process.  The kernel clears it when
    the user changes, so the harness sets it again after the user switch.  (An outer
    process killed before this takes effect leaves an orphan the grader's sweep kills.)"""
    libc.prctl(1, 9, 0, 0, 0)


SIGNALLED = 160  # an init's exit status SIGNALLED + n: "the unit's process died of signal n"


def isolate() -> list[str]:
    """Give what follows a fresh IPC namespace (no SysV or POSIX IPC shared with any
    other child) and a PID namespace whose processes the kernel kills together when
    its first process dies.  Needs root (CAP_SYS_ADMIN).

    unshare(CLONE_NEWPID) only places the *next* child in the new namespace, so this
    forks twice: the caller's process stays outside and waits; the first child is the
    namespace's init (process 1, root, running no student code), which waits for the
    second; only the second returns, an ordinary process (process 1 would ignore the
    signals its own rlimits raise).  Statuses are passed back up, so the grader sees
    the unit's process's own exit.  Returns the protections in force ([] if none)."""
    if os.getuid() != 0:
        return []
    if libc.unshare(CLONE_NEWIPC | CLONE_NEWPID) != 0:
        if libc.unshare(CLONE_NEWIPC) != 0:
            return []
        return ["a fresh IPC namespace (no PID namespace here)"]
    init = os.fork()
    if init:
        # The outer process: killed with its session by the grader, which makes the
        # kernel kill the init (PR_SET_PDEATHSIG) and with it the whole namespace.
        code = _wait(init)
        if code >= SIGNALLED:  # die of the same signal, so the grader can tell what happened
            import signal
            number = code - SIGNALLED
            try:
                if number not in (signal.SIGKILL, signal.SIGSTOP):
                    signal.signal(number, signal.SIG_DFL)
                os.kill(os.getpid(), number)
            except (OSError, ValueError):
                pass
        os._exit(code)
    die_with_parent()
    os.setsid()  # the init's session and group are visible, and foreign, to the unit
    unit = os.fork()
    if unit:
        code = _wait(unit, reap_others=True)  # as init, orphans of the namespace come here
        os._exit(SIGNALLED - code if code < 0 else min(code, SIGNALLED - 1))
    die_with_parent()
    os.setsid()  # a session of its own: killing "its parent's group" cannot reach the init
    return ["a fresh IPC namespace", "a PID namespace per unit (its processes die together)"]


def _wait(pid: int, reap_others: bool = False) -> int:
    """Wait for ``pid`` (reaping any other child meanwhile); its exit code, or -signal."""
    while True:
        try:
            found, status = os.wait() if reap_others else os.waitpid(pid, 0)
        except InterruptedError:
            continue
        if found == pid:
            return os.waitstatus_to_exitcode(status)
