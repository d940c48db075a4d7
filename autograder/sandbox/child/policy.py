"""The sandbox's policy: everything a confined process is told, in one value.

Built on the trusted side (``autograder.sandbox.policy`` for a unit's child,
``nbcourse.kernel`` for the notebook kernel), written into the child's task file as
JSON, read back here and applied by ``enforce.lock_down`` in a fixed order, one module
per mechanism (confine: rlimits, namespaces, the private root, Landlock, the user;
seccomp: the system-call filter).  The child holds no limit or path of its own.

Standard library only: the child imports it before numpy, from its harness folder.
"""
import json
from dataclasses import asdict, dataclass, field, fields

# When new processes are banned (``ban_processes``):
AT_ONCE = "at once"              # in the main seccomp filter (the notebook kernel)
BEFORE_IMPORT = "before import"  # by a second filter, just before the submission's import
NEVER = "never"                  # not banned (tests of the other walls only)

NAMESPACES = ("IPC", "PID", "network", "mount")


@dataclass(frozen=True)
class SandboxPolicy:
    # rlimits, soft and hard (None: the limit is left as it is)
    cpu_seconds: int | None = None
    memory_bytes: int | None = None
    file_bytes: int | None = None
    processes: int | None = None   # RLIMIT_NPROC, counted per user
    # files: what Landlock lets it read and write; what the private root shows
    read: tuple = ()
    write: tuple = ()
    view: tuple = ()               # read-only folders of the private root (mount namespace)
    hidden: tuple = ()             # folders of ``view`` shown empty
    work: str = ""                 # the unit's folder in the private root (out/, home/ writable)
    # mechanisms
    namespaces: tuple = NAMESPACES  # asked for, all first, then fewer (needs root)
    landlock: bool = True
    seccomp: bool = True
    threads: bool = False          # seccomp lets threads be created
    socket_pairs: bool = False     # seccomp lets socketpair() through (asyncio's loops)
    ban_processes: str = BEFORE_IMPORT
    kill_leftovers: bool = True    # kill(-1, SIGKILL) in the PID namespace after the import
    drop_to: tuple | None = None   # (uid, gid) to become when started as root
    env: dict = field(default_factory=dict)  # the whole environment

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "SandboxPolicy":
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"sandbox policy: unknown settings {sorted(unknown)}")
        for name, value in data.items():
            if isinstance(value, list):
                data[name] = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        return cls(**data)
