"""The grader's side of the sandbox's files: capped reads that never follow a link nor
block, strict .npy parsing, cleanup of any depth, a checked TMPDIR, a unit disk of
its own, and the grader's own write failures reported as the grader's."""
import errno
import os
import stat
import tempfile
from pathlib import Path

import numpy as np
import pytest

from autograder.sandbox import files as io
from autograder.sandbox.child import npy as exchange


def npy(header: str, payload: bytes = b"") -> bytes:
    text = header.ljust(117) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode() + payload


@pytest.mark.parametrize("header, payload", [
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (True,), }", bytes(8)),
    ("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", bytes(8)),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }", bytes(8)),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }", bytes(8)),
    ("{'descr': '<f8', 'fortran_order': 0, 'shape': (1,), }", bytes(8)),
    ("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", bytes(8)),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}", bytes(16)),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", bytes(8)),  # truncated
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", bytes(16)),  # too long
    ("{'descr': '<f8', 'fortran_order': False, 'shape': [1], }", bytes(8)),
    ("__import__('os').system('true')", b""),
    ("[" * 2000, b""),
])
def test_lying_npy_headers_are_refused_never_raised(header, payload):
    with pytest.raises(io.ChildFileError):
        io.parse_npy(npy(header, payload))


@pytest.mark.parametrize("value", [np.arange(6.0).reshape(2, 3), np.float32(1.5),
                                   np.array([True, False]), np.arange(4, dtype=np.int32),
                                   np.asfortranarray(np.ones((2, 3))), np.zeros((0, 3))])
def test_honest_arrays_round_trip(tmp_path, value):
    np.save(tmp_path / "a.npy", value, allow_pickle=False)
    loaded = io.load_array(tmp_path / "a.npy")
    assert type(loaded) is np.ndarray and loaded.dtype == np.asarray(value).dtype
    assert np.array_equal(loaded, value)


EXCHANGED = [np.arange(6.0).reshape(2, 3), np.float32(1.5), np.array([True, False]),
             np.arange(4, dtype=np.int32), np.zeros((0, 3)), np.ones(3, dtype=np.float16),
             np.asfortranarray(np.arange(6.0).reshape(2, 3)), np.arange(12.0).reshape(3, 4)[:, ::2],
             np.arange(3, dtype=">f8"), np.arange(3, dtype=np.complex128)]


@pytest.mark.parametrize("value", EXCHANGED)
def test_the_exchange_format_is_numpys_both_ways(tmp_path, value):
    """Files exchange.encode makes are what numpy.save makes (numpy.load reads them, byte for
    byte the same for C-ordered plain numbers); exchange.decode, as the child uses it,
    gives what numpy.load gives: values, dtype, order, and an array the child may write
    to."""
    value = np.asarray(value)
    (tmp_path / "ours.npy").write_bytes(exchange.encode(value))
    np.save(tmp_path / "numpys.npy", value, allow_pickle=False)
    theirs = np.load(tmp_path / "ours.npy")
    assert theirs.dtype == value.dtype and np.array_equal(theirs, value)
    if value.flags.c_contiguous and value.dtype.str in exchange.DTYPES:
        assert (tmp_path / "ours.npy").read_bytes() == (tmp_path / "numpys.npy").read_bytes()
    if value.dtype.str not in exchange.DTYPES:
        return  # written by numpy, and never read back as plain numbers
    ours = exchange.decode(memoryview((tmp_path / "numpys.npy").read_bytes()), order="K")
    expected = np.load(tmp_path / "numpys.npy")
    assert ours.dtype == expected.dtype and np.array_equal(ours, expected)
    assert ours.flags.f_contiguous == expected.flags.f_contiguous and ours.flags.writeable


def test_the_exchange_format_refuses_object_arrays():
    with pytest.raises(ValueError, match="allow_pickle"):
        exchange.encode(np.array([{"a": 1}], dtype=object))


def test_a_run_of_arrays_splits_by_its_listing_and_only_as_listed():
    arrays = {"X": np.arange(6.0).reshape(2, 3), "ids": np.arange(4), "empty": np.zeros(0)}
    listing, data = exchange.pack(arrays)
    assert [name for name, _ in listing] == list(arrays)
    back = exchange.unpack(listing, data)
    assert all(np.array_equal(exchange.decode(back[n]), arrays[n]) for n in arrays)
    assert set(exchange.unpack(listing, data, wanted={"ids", "other"})) == {"ids"}
    for bad in (listing[:-2], [*listing, ["more", 1]], "X", [["X"]], [["X", -1]],
                [["X", True]], [[1, 2]]):
        with pytest.raises(exchange.FormatError):
            exchange.unpack(bad, data)


def test_reads_refuse_links_fifos_devices_and_big_files(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (tmp_path / "ok.json").write_text("{}")
    os.symlink(secret, tmp_path / "link.json")
    os.symlink("/dev/zero", tmp_path / "zero.npy")
    os.mkfifo(tmp_path / "fifo.json")
    os.link(secret, tmp_path / "hard.json")
    (tmp_path / "big.json").write_bytes(b"x" * 5000)
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert io.read_capped(fd, "ok.json", 100) == b"{}"
        for name in ("link.json", "zero.npy", "fifo.json", "hard.json", "big.json"):
            with pytest.raises(io.ChildFileError):
                io.read_capped(fd, name, 1000)  # the FIFO must not block
        with pytest.raises(FileNotFoundError):
            io.read_capped(fd, "missing.json", 100)
    finally:
        os.close(fd)


def deep_locked_tree(top) -> None:
    """A unit folder as a hostile child may leave it: 3,000 levels deep (far deeper than
    PATH_MAX allows as one path), the deepest folder and the top chmod'ed to 000, a link
    out."""
    top.mkdir()
    fd = os.open(top, os.O_RDONLY)
    for _ in range(3000):
        os.mkdir("dd", dir_fd=fd)
        inner = os.open("dd", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    with open(os.open("f", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd), "w") as f:
        f.write("x")
    os.fchmod(fd, 0)
    os.close(fd)
    os.symlink("/etc", top / "link")
    os.chmod(top, 0)


def test_cleanup_of_any_depth_and_mode(tmp_path):
    top = tmp_path / "unit"
    deep_locked_tree(top)
    io.remove_tree(top)
    assert not top.exists()
    assert os.path.isdir("/etc")


@pytest.mark.skipif(os.getuid() != 0, reason="the test above runs without root already")
def test_cleanup_without_root():
    """Root may open and move a folder of mode 000; the grader's user (a grader not run as
    root, whose children run as itself) may not, until it opens the folder up."""
    folder = tempfile.mkdtemp(dir="/tmp")  # pytest's own folders are root's alone
    os.chown(folder, 65534, 65534)
    pid = os.fork()
    if pid == 0:  # the same interpreter as an unprivileged user: no exec needed
        code = 1
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            top = Path(folder) / "unit"
            deep_locked_tree(top)
            io.remove_tree(top)
            code = 0 if not os.path.lexists(top) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    io.remove_tree(Path(folder))
    assert os.waitstatus_to_exitcode(status) == 0, "the tree was left behind"


def test_tmpdir_is_checked(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    with pytest.raises(io.GraderError, match="TMPDIR"):
        io.check_tmpdir()
    open_folder = tmp_path / "open"
    open_folder.mkdir()
    os.chmod(open_folder, 0o777)  # world-writable, no sticky bit
    monkeypatch.setattr(tempfile, "tempdir", str(open_folder))
    with pytest.raises(io.GraderError, match="sticky"):
        io.check_tmpdir()


@pytest.mark.skipif(os.getuid() != 0, reason="mounting a tmpfs needs root")
def test_a_full_tmpdir_is_the_graders_error_and_a_unit_disk_is_its_own(monkeypatch, tmp_path):
    small = tmp_path / "small"
    small.mkdir()
    assert io.mount_tmpfs(small, 1 << 20, 64)
    try:
        monkeypatch.setattr(tempfile, "tempdir", str(small))
        with pytest.raises(io.GraderError, match="nearly full"):
            io.check_tmpdir()
        path, on_tmpfs = io.make_folder(small, "unit-")
        assert on_tmpfs
        room = os.statvfs(path)
        assert room.f_blocks * room.f_frsize == io.UNIT_DISK_BYTES
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o755
        io.remove_folder(path, [path])
        assert not path.exists()
    finally:
        io.unmount(small)


def test_grader_write_failures_are_the_graders():
    def full():
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(io.GraderError, match="the grader could not write the inputs: its disk "
                                             "is full"):
        io.grader_write("the inputs", full)


def test_without_a_tmpfs_grading_degrades_and_says_so(monkeypatch):
    """Where mounting is refused (not root, a container), units share TMPDIR, are
    removed without recursion, and the Sandbox line says so."""
    from autograder.grading import grade
    from autograder import sandbox
    from autograder.sandbox import calibrate
    from hostile import SOLUTIONS

    monkeypatch.setattr(io, "mount_tmpfs", lambda *a: False)
    monkeypatch.setattr(calibrate, "_calibration", None)  # measure again, without tmpfs
    sandbox.close_shared()  # fork servers of earlier gradings have a tmpfs: start anew
    result = grade.grade(SOLUTIONS.parent, seed=3, budget=300)
    assert result.score == result.max_score
    assert any(p.startswith("NO disk of its own") for p in result.protections)
    sandbox.close_shared()  # its fork servers' folders too (made without a tmpfs here)
    ours = f"{sandbox.SANDBOX_PREFIX}{os.getpid()}-"
    assert [p for p in os.listdir(tempfile.gettempdir()) if p.startswith(ours)] == []
