"""Child side: lock this process down before any student code is imported.

Runs inside the sandboxed child only (the grader copies this file into the child's
temporary folder).  Standard library and ctypes only; it contains nothing graded.

Order matters and is fixed by the harness's ``lock_down()``:
  1. rlimits (memory, CPU, file size, processes, no core dumps);
  2. as root, ``isolate()``: fresh IPC, PID, network and mount namespaces, and in the
     mount namespace a private root holding only the standard library, numpy and the
     unit's own folder, read-only (the unit's out/ and home/ excepted) and noatime;
  3. no_new_privs, then Landlock (after the mounts: Landlock forbids mounting):
     read-only access to the same folders, read-write access to the child's own
     out/ and home/, nothing else, TCP denied and, from ABI 6, signals and abstract
     unix sockets scoped to this process tree;
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
    applied = [f"landlock ABI {abi}: reading limited to the folders the child needs "
               "(numpy, the standard library...), writing to its own"]
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


def set_limits(cpu_seconds=None, memory_bytes=None, file_bytes=None, processes=None) -> list:
    """Soft and hard limits (None: left as it is; never above a hard limit already
    set), no core dumps; returns what was set."""
    applied = []
    for name, limit, value in [("CPU time", resource.RLIMIT_CPU, cpu_seconds),
                               ("address space", resource.RLIMIT_AS, memory_bytes),
                               ("file size", resource.RLIMIT_FSIZE, file_bytes),
                               ("no core dumps", resource.RLIMIT_CORE, 0),
                               ("processes", resource.RLIMIT_NPROC, processes)]:
        if value is None:
            continue
        try:
            hard = resource.getrlimit(limit)[1]
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(limit, (value, value))
            applied.append(name)
        except (ValueError, OSError):
            pass  # a limit this system does not let us set: keep it
    return applied


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
    """What a numpy-only process needs to read: the interpreter, the standard library,
    numpy's own folders, and the system folders (the notebook kernel's list)."""
    return sorted(set(view_paths()) | {os.path.realpath(sys.executable), "/usr", "/lib",
                                       "/lib32", "/lib64", "/etc", "/proc", "/dev"})


def view_paths() -> list[str]:
    """What a unit's child reads once it runs student code: the standard library (with
    its compiled modules) and numpy's folders, under the names they are imported by
    and under their real paths; nothing else of site-packages, and no folder that is
    already beneath another one."""
    import sysconfig
    import numpy

    numpy_dir = os.path.dirname(numpy.__file__)
    found = {sysconfig.get_paths()["stdlib"], os.path.dirname(os.__file__),
             sysconfig.get_config_var("DESTSHARED") or "", numpy_dir, numpy_dir + ".libs"}
    found |= {os.path.realpath(p) for p in found if p}
    found = sorted(p for p in found if p and os.path.exists(p))
    return [p for p in found if not any(p.startswith(q + os.sep) for q in found)]


# Folders of the standard library and numpy a unit never imports from (test suites, GUI,
# build and packaging tools): empty in the private root, so that what a child can read
# is small enough to be brought into the page cache beforehand (``warm``).
HIDDEN = {"test", "tests", "idlelib", "tkinter", "turtledemo", "lib2to3", "ensurepip",
          "distutils", "f2py", "pydoc_data", "site-packages"}


def hidden_folders(view: list[str]) -> list[str]:
    """The folders under ``view`` that the private root shows empty (outermost only)."""
    found = []
    for top in view:
        if not os.path.isdir(top):
            continue
        for folder, subs, _ in os.walk(top):
            for sub in [s for s in subs if s in HIDDEN or s.startswith("config-")]:
                found.append(os.path.join(folder, sub))
                subs.remove(sub)
    return found


def warm(view: list[str], hidden: list[str]) -> int:
    """Bring every file a unit's child can read into the page cache (the kernel reads
    what is missing, a file that is cached costs a lookup): a child can then neither
    find a cold file to load (one bit another child could time) nor evict one
    (seccomp).  Returns the number of files."""
    total, skip = 0, set(hidden)
    for top in view:
        walk = os.walk(top) if os.path.isdir(top) else [(os.path.dirname(top), [], [top])]
        for folder, subs, files in walk:
            subs[:] = [s for s in subs if os.path.join(folder, s) not in skip]
            for name in files:
                try:
                    fd = os.open(os.path.join(folder, name), os.O_RDONLY | os.O_NOFOLLOW)
                except OSError:
                    continue
                try:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
                    total += 1
                except OSError:
                    pass
                finally:
                    os.close(fd)
    return total


FLAGS = {"IPC": 0x08000000, "PID": 0x20000000, "network": 0x40000000, "mount": 0x00020000}


def _asked(wanted) -> list:
    """The namespace sets isolate() asks for, best first: all of ``wanted``, then
    fewer from its end, when the kernel or a container refuses."""
    wanted = [name for name in wanted if name in FLAGS]
    return [wanted[:n] for n in range(len(wanted), 0, -1)]


def die_with_parent() -> None:
    """PR_SET_PDEATHSIG SIGKILL: die with the outer process.  The kernel clears it when
    the user changes, so the harness sets it again after the user switch.  (An outer
    process killed before this takes effect leaves an orphan the grader's sweep kills.)"""
    libc.prctl(1, 9, 0, 0, 0)


SIGNALLED = 160  # an init's exit status SIGNALLED + n: "the unit's process died of signal n"


def unit_status(code: int) -> int:
    """An init's exit code as the unit's process's own: -n when it died of signal n."""
    return SIGNALLED - code if code >= SIGNALLED else code


def isolate(work: str, view: list[str], hidden: list[str] = (),
            wanted=("IPC", "PID", "network", "mount")) -> list[str]:
    """Give what follows fresh IPC, PID, network and mount namespaces (those of
    ``wanted``, as many as the kernel grants, dropped from the end): no SysV or POSIX
    IPC, no socket, no netlink group and no file but ``view`` and ``work`` shared with
    any other child,
    and a PID namespace whose processes the kernel kills together when its first
    process dies.  Needs root (CAP_SYS_ADMIN).

    unshare(CLONE_NEWPID) only places the *next* child in the new namespace, so this
    forks twice: the caller's process stays outside and waits; the first child is the
    namespace's init (process 1, root, running no student code), which waits for the
    second; only the second returns, an ordinary process (process 1 would ignore the
    signals its own rlimits raise), after building its private root (``private_root``).
    A caller that is already process 1 (the fork server made its PID namespace) is the
    init itself and forks once.  Statuses are passed back up (``unit_status``), so the
    grader sees the unit's process's own exit.  Returns the protections in force."""
    if os.getuid() != 0:
        return []
    first = os.getpid() == 1
    names = next((names for names in _asked([n for n in wanted if not (first and n == "PID")])
                  if libc.unshare(sum(FLAGS[name] for name in names)) == 0), [] if first else None)
    if names is None:
        return []
    names = [*names, "PID"] if first else names
    found = ["a fresh IPC namespace"] if "IPC" in names else []
    if "network" in names:
        found.append("a network namespace per unit (loopback only, down: no network, no "
                     "netlink or abstract socket shared with another child)")
    if "PID" not in names:
        return found
    init = 0 if first else os.fork()
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
    if not first:  # (the fork server's child has its session, and outlives a dead server)
        die_with_parent()
        os.setsid()  # the init's session and group are visible, and foreign, to the unit
    unit = os.fork()
    if unit:
        code = _wait(unit, reap_others=True)  # as init, orphans of the namespace come here
        os._exit(SIGNALLED - code if code < 0 else min(code, SIGNALLED - 1))
    die_with_parent()
    os.setsid()  # a session of its own: killing "its parent's group" cannot reach the init
    found.append("a PID namespace per unit (its processes die together)")
    if "mount" in names and view:
        try:
            private_root(work, view, hidden)
            found.append("a private root per unit: only the standard library, numpy and the "
                         "unit's folder, read-only (out/ and home/ excepted) and noatime")
        except OSError as exc:
            os.chdir(work)  # wherever the attempt stopped, the unit works in its folder
            found.append(f"NO private root ({exc})")
    return found


MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_BIND, MS_REC, MS_PRIVATE = 1024, 4096, 16384, 1 << 18
READ_ONLY = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOATIME
DEVICES = ["/dev/null", "/dev/zero", "/dev/urandom", "/dev/random"]
VIEW = ".view"  # the unit folder's mount point of the private root while it is built


def _mount(source, target, fstype, flags, data=None) -> None:
    if libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(),
                  ctypes.c_ulong(flags), data and data.encode()) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"mount {target}: {os.strerror(number)}")


def _bind(source: str, root: str, flags: int, recursive: bool = False) -> None:
    """Bind ``source`` at the same path under ``root``, then remount it with ``flags``."""
    target = root + source
    if os.path.isdir(source):
        os.makedirs(target, mode=0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o644))
    _mount(source, target, None, MS_BIND | (MS_REC if recursive else 0))
    _mount(None, target, None, MS_REMOUNT | MS_BIND | flags)


def private_root(work: str, view: list[str], hidden: list[str] = ()) -> None:
    """Make this mount namespace's root a fresh tmpfs holding only ``view`` (read-only,
    the ``hidden`` folders in it empty),
    ``work`` (the unit's folder: its top read-only, out/ and home/ writable),
    four devices and a /proc of this PID namespace's processes only, every mount
    ``noatime``: reading a file stamps no access time anyone else can see, and
    nothing else of /usr, /etc or /home exists.  Paths keep their names, so the
    interpreter, numpy and the harness find everything where they left it."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing below propagates to the host
    root = os.path.join(work, VIEW)
    os.mkdir(root, 0o755)
    _mount("nn100-view", root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOATIME,
           "size=1m,nr_inodes=1024,mode=0755")
    for path in view:
        _bind(path, root, READ_ONLY)
    for path in hidden:
        _mount("nn100-hidden", root + path, "tmpfs", READ_ONLY | MS_NOEXEC,
               "size=4k,nr_inodes=4,mode=0555")
    _bind(work, root, READ_ONLY | MS_NOEXEC)  # its top and harness/ are the grader's
    for sub in ("out", "home"):
        _bind(os.path.join(work, sub), root, MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME)
    for device in DEVICES:
        if os.path.exists(device):
            _bind(device, root, MS_NOSUID | MS_NOEXEC | MS_NOATIME)
    os.makedirs(root + "/proc", mode=0o555)
    try:  # this namespace's processes only, none of the machine's counters (load, memory)
        _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
               "subset=pid,hidepid=invisible")
    except OSError:
        pass  # an older kernel: no /proc at all
    os.chdir(root)
    if libc.pivot_root(b".", b".") != 0:  # the old root now sits on top of the new one
        number = ctypes.get_errno()
        raise OSError(number, f"pivot_root: {os.strerror(number)}")
    if libc.umount2(b".", 2) != 0:  # MNT_DETACH: the host's tree leaves this namespace
        raise OSError(ctypes.get_errno(), "umount of the old root")
    os.chdir("/")
    _mount(None, "/", None, MS_REMOUNT | READ_ONLY)
    os.chdir(work)


def _wait(pid: int, reap_others: bool = False) -> int:
    """Wait for ``pid`` (reaping any other child meanwhile); its exit code, or -signal."""
    while True:
        try:
            found, status = os.wait() if reap_others else os.waitpid(pid, 0)
        except InterruptedError:
            continue
        if found == pid:
            return os.waitstatus_to_exitcode(status)
