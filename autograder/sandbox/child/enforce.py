"""Child side: apply a SandboxPolicy to this process, each mechanism in a fixed order.

One order for both callers, a unit's child (harness.py) and the notebook kernel
(nbcourse.kernel), each handing its own policy (policy.py):

  1. namespaces (as root): IPC, PID, network, mount, those the policy names and the
     kernel grants; in a mount namespace the private root (confine.isolate);
  2. no_new_privs, then Landlock (after the mounts: Landlock forbids mounting);
  3. as root, the user switch;
  4. the seccomp filter (last: the steps before it need mount, unshare, setresuid).

rlimits come earlier still, as soon as the policy is read (``limits``): the child
sets them before it imports numpy.  Each step reports what it achieved, so the report
says what is in force and nothing more.
"""
import os

try:  # the grader's side (nbcourse.kernel) imports the package; the child its folder
    from . import confine, seccomp
    from .policy import AT_ONCE
except ImportError:
    import confine
    import seccomp
    from policy import AT_ONCE


def limits(policy) -> list:
    """The policy's rlimits on this process: what was set."""
    return confine.set_limits(policy.cpu_seconds, policy.memory_bytes, policy.file_bytes,
                              policy.processes)


def lock_down(policy) -> tuple[list, bool]:
    """Steps 1-4 above; returns (the protections in force, whether this process is in a
    PID namespace of its own)."""
    found = []
    isolated = confine.isolate(policy.work or os.getcwd(), list(policy.view),
                               list(policy.hidden), policy.namespaces) if policy.namespaces else []
    found.extend(isolated)
    in_pid_namespace = any(p.startswith("a PID namespace") for p in isolated)
    if policy.landlock:
        found[:0] = confine.apply_landlock(list(policy.read), list(policy.write))
    if policy.drop_to and confine.drop_privileges(*policy.drop_to):
        found.append(f"running as uid {os.getuid()} (unprivileged)")
        if in_pid_namespace:
            confine.die_with_parent()  # the user switch cleared it
    if policy.seccomp:
        found.extend(seccomp.apply(threads=policy.threads,
                                   processes=policy.ban_processes != AT_ONCE,
                                   every_thread=policy.threads,
                                   socket_pairs=policy.socket_pairs))
    return found, in_pid_namespace
