"""Child side: a seccomp filter denying the kernel services student code never needs.

Written with ctypes against the system's libseccomp (libseccomp.so.2) rather than a
Python binding: the child may import only the standard library and numpy, and a
binding would be one more package to trust and to allow through Landlock.

Landlock limits paths; these are the channels it does not see (GRADING.md): sockets
of every family (unix, IP, netlink, vsock...) and socket pairs, SysV IPC, POSIX
message queues, memory files, the user's key rings, other processes' memory, new
namespaces, the page cache (evicting a file's pages or asking which are cached would
let two children time each other's reads), and threads (which would let a backward
run forward where the grader's call counter does not look).  Each call fails with
EPERM instead of killing the process, so the student sees an ordinary Python error.
A second filter (``forbid_processes``), loaded before the submission is imported,
denies new processes and sessions: nothing the submission starts lives beside a check.
"""
import ctypes
import ctypes.util
import errno

ALLOW = 0x7FFF0000
CMP_EQ, CMP_MASKED_EQ = 4, 7
CLONE_THREAD = 0x00010000
CLONE_NAMESPACES = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000,
                    0x40000000)  # NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET

DENIED = (
    # SysV IPC and POSIX message queues: shared by every process of a user
    "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
    "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend",
    "mq_timedreceive", "mq_notify", "mq_getsetattr",
    # key rings (per user, outlive the process)
    "add_key", "request_key", "keyctl",
    # other processes and namespaces
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_open", "pidfd_getfd",
    "pidfd_send_signal", "kcmp", "unshare", "setns",
    # kernel interfaces that bypass or widen the filter
    "io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "perf_event_open",
    "userfaultfd", "mount", "umount2", "chroot", "pivot_root", "personality",
    # sockets of every family, and socket pairs: a child needs none (the grader speaks
    # to it through FIFOs it opened before); memory files (nothing here needs one)
    "socket", "socketpair", "memfd_create", "memfd_secret",
    # the page cache: evicting pages, reading ahead, asking what is cached
    "fadvise64", "fadvise64_64", "readahead", "mincore", "cachestat", "process_madvise",
)
# madvise advice that reclaims or deactivates a file's pages (MADV_REMOVE, MADV_COLD,
# MADV_PAGEOUT); the rest (DONTNEED on the child's own memory, used by malloc) stays.
EVICTING_ADVICE = (9, 20, 21)
RWF_NOWAIT = 0x8  # preadv2 flag: fails when the data is not cached, a residency oracle


class ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


_LIBRARY = []  # the loaded library, once: the private root no longer shows the system's


def _library():
    if not _LIBRARY:
        _LIBRARY.append(_open_library())
    return _LIBRARY[0]


def preload() -> None:
    """Load libseccomp now, while the system's library folders are still visible."""
    try:
        _library()
    except OSError:
        pass  # apply() reports the missing filter


def _open_library():
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    lib = ctypes.CDLL(name, use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                           ctypes.c_uint, ctypes.POINTER(ArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    return lib


PROCESSES = ("fork", "vfork", "clone", "clone3", "setsid", "setpgid")


def errno_action(code: int) -> int:
    return 0x00050000 | code  # SCMP_ACT_ERRNO(code)


TSYNC = 4  # SCMP_FLTATR_CTL_TSYNC: the filter applies to every thread of the process


def _load(rules, every_thread: bool = False) -> bool:
    """One filter: ``rules`` is a list of (syscall name, errno, [(arg, op, a, b)]);
    ``every_thread``: on the threads already running too, not only the caller's."""
    try:
        lib = _library()
    except OSError:
        return False
    ctx = lib.seccomp_init(ALLOW)
    if not ctx:
        return False
    try:
        if every_thread and lib.seccomp_attr_set(ctx, TSYNC, 1) != 0:
            return False
        for name, code, conditions in rules:
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number < 0:
                continue  # not on this architecture
            array = (ArgCmp * max(1, len(conditions)))(*[ArgCmp(*c) for c in conditions])
            if lib.seccomp_rule_add_array(ctx, errno_action(code), number, len(conditions),
                                          array if conditions else None) != 0:
                return False
        return lib.seccomp_load(ctx) == 0
    finally:
        lib.seccomp_release(ctx)


def apply(threads: bool = False, processes: bool = True, every_thread: bool = False,
          socket_pairs: bool = False) -> list:
    """Load the main filter into this process (and what it may still fork); return
    the protections in force, [] when libseccomp or the kernel refuses.  ``threads``:
    new threads allowed (the notebook kernel's); ``processes``: new processes allowed
    (until ``forbid_processes``); ``every_thread``: filter the threads already running;
    ``socket_pairs``: socketpair() allowed (a pair is connected to itself only)."""
    rules = [(name, errno.EPERM, []) for name in DENIED
             if not (socket_pairs and name == "socketpair")]
    rules += [("madvise", errno.EPERM, [(2, CMP_EQ, advice, 0)]) for advice in EVICTING_ADVICE]
    rules += [(name, errno.EPERM, [(5, CMP_MASKED_EQ, RWF_NOWAIT, RWF_NOWAIT)])
              for name in ("preadv2", "pwritev2")]
    # clone3 passes its flags in memory a filter cannot read: refuse it as missing, and
    # glibc falls back to clone, whose flags it can.
    rules += [("clone3", errno.ENOSYS, [])]
    if not threads:
        rules += [("clone", errno.EPERM, [(0, CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)])]
    if not processes:  # every clone that is not a thread, and fork, vfork, setsid...
        rules += [("clone", errno.EPERM, [(0, CMP_MASKED_EQ, CLONE_THREAD, 0)])]
        rules += [(name, errno.EPERM, []) for name in PROCESSES if name not in ("clone", "clone3")]
    rules += [("clone", errno.EPERM, [(0, CMP_MASKED_EQ, flag, flag)])
              for flag in CLONE_NAMESPACES]
    if not _load(rules, every_thread):
        return []
    return ["seccomp: no socket of any family" + ("" if socket_pairs else ", socket pair")
            + " or memory file, no SysV IPC, "
            "message queues, key rings, ptrace or process_vm_*, namespaces"
            + ("" if threads else " or threads") + ("" if processes else " or new processes"),
            "seccomp: no page-cache eviction or residency query (fadvise, readahead, mincore, "
            "cachestat, evicting madvise, RWF_NOWAIT reads)"]


def forbid_processes() -> list[str]:
    """A second filter, before the submission is imported: no new processes or
    sessions, from the import to the last check."""
    if not _load([(name, errno.EPERM, []) for name in PROCESSES]):
        return []
    return ["seccomp: no new processes from the import on"]
