"""Child side: a seccomp filter denying the kernel services student code never needs.

Written with ctypes against the system's libseccomp (libseccomp.so.2) rather than a
Python binding: the child may import only the standard library and numpy, and a
binding would be one more package to trust and to allow through Landlock.

Landlock limits paths; these are the channels it does not see (GRADING.md): sockets
to other local or remote processes, SysV IPC, POSIX message queues, the user's key
rings, other processes' memory, new namespaces, and new processes or threads (which
would let a backward run forward where the grader's call counter does not look, or
leave a process behind).  Each call fails with EPERM instead of killing the process,
so the student sees an ordinary Python error.
"""
import ctypes
import ctypes.util
import errno

ALLOW = 0x7FFF0000
CMP_EQ = 4
AF_UNIX, AF_INET, AF_INET6 = 1, 2, 10

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
    # new processes and threads: nothing may run beside the job or outlive it
    "fork", "vfork", "clone", "clone3", "setsid", "setpgid",
    # kernel interfaces that bypass or widen the filter
    "io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "perf_event_open",
    "userfaultfd", "mount", "umount2", "chroot", "pivot_root", "personality",
)


class ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


def _library():
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    lib = ctypes.CDLL(name, use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                           ctypes.c_uint, ctypes.POINTER(ArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    return lib


def apply() -> list[str]:
    """Load the filter into this process (and what it could still start); return the
    protections in force, [] when libseccomp or the kernel refuses."""
    try:
        lib = _library()
    except OSError:
        return []
    deny = 0x00050000 | errno.EPERM  # SCMP_ACT_ERRNO(EPERM)
    ctx = lib.seccomp_init(ALLOW)
    if not ctx:
        return []
    try:
        for name in DENIED:
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number < 0:
                continue  # not on this architecture
            if lib.seccomp_rule_add_array(ctx, deny, number, 0, None) != 0:
                return []
        socket = lib.seccomp_syscall_resolve_name(b"socket")
        for family in (AF_UNIX, AF_INET, AF_INET6):
            cmp = ArgCmp(0, CMP_EQ, family, 0)
            if lib.seccomp_rule_add_array(ctx, deny, socket, 1, ctypes.byref(cmp)) != 0:
                return []
        if lib.seccomp_load(ctx) != 0:
            return []
    finally:
        lib.seccomp_release(ctx)
    return ["seccomp: no unix/IPv4/IPv6 sockets, SysV IPC, message queues, key rings, "
            "ptrace or process_vm_*, namespaces, new processes or threads"]
