"""Grading speed: one submission, a class, and what starting child processes costs.

Everything runs the project's own commands as subprocesses, the way an instructor
does: ``python -m autograder grade PATH --results FILE`` and ``grade-all``.  The
number of interpreters one grading starts is counted by running the grader under a
small wrapper that counts its ``subprocess.Popen`` calls (processes forked from those,
such as the children of a fork server, are not new interpreters and are not counted).
"""
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import median

ONE_SUBMISSION_BOUND_S = 10.0
CLASS_BOUND_S = 600.0
# tools/make_class.py: corrupt zip, empty folder, zip slip, zip bomb, no package
UNGRADABLE_FIRST = 5

# Runs the grader in this process after wrapping Popen; writes the command lines it saw.
COUNTING_WRAPPER = """\
import atexit, json, runpy, subprocess, sys
log, sys.argv = sys.argv[1], ["autograder", *sys.argv[2:]]
seen = []
original = subprocess.Popen.__init__
def counting(self, args, *rest, **kwargs):
    seen.append([str(a) for a in args] if isinstance(args, (list, tuple)) else [str(args)])
    original(self, args, *rest, **kwargs)
subprocess.Popen.__init__ = counting
atexit.register(lambda: open(log, "w").write(json.dumps(seen)))
runpy.run_module("autograder", run_name="__main__", alter_sys=True)
"""


def measure(root: Path, rounds: int, startup_rounds: int, class_size,
            class_jobs=(1, 2)) -> dict:
    rows, targets = [], []
    result = {"note": "Wall times in seconds: unlike the ratios above, they move with the "
                      "machine's load (see the load averages in the header).",
              "rows": rows, "targets": targets}
    if not (root / "autograder" / "__main__.py").exists():
        result["note"] = "Not measured: `python -m autograder` does not exist yet."
        return result
    with tempfile.TemporaryDirectory(prefix="nn100-bench-") as scratch:
        scratch = Path(scratch)
        one = grade_one_each(root, scratch, rounds)
        for label, data in one.items():
            rows.append({"measure": f"grade `{label}` (score {data['score']})",
                         "value": f"{data['median_s']:.2f} s",
                         "how": f"`python -m autograder grade`, median of {rounds}, interleaved; "
                                f"{data['median_cpu_s']:.1f} s of CPU"})
        for label in ("solutions", "exercises"):
            seconds = one[label]["median_s"]
            targets.append({"target": f"grading `{label}/` takes under 10 s",
                            "bound": f"{ONE_SUBMISSION_BOUND_S:.0f} s",
                            "measured": f"{seconds:.2f} s",
                            "met": "yes" if seconds < ONE_SUBMISSION_BOUND_S else "**no**"})
        children = count_children(root, scratch)
        startup = startup_seconds(children["python"], startup_rounds)
        serial_s = one["solutions, one child at a time"]["median_s"]
        share = children["count"] * startup / serial_s
        rows.append({"measure": "interpreters started per grading",
                     "value": str(children["count"]),
                     "how": "Popen calls while grading `solutions/` one child at a time; children "
                            "forked from an already started one (a fork server) are not new "
                            "interpreters and not counted"})
        rows.append({
            "measure": "start of one child (python + import numpy)",
            "value": f"{1e3 * startup:.0f} ms",
            "how": f"`{' '.join([Path(children['python'][0]).name, *children['python'][1:]])}"
                   f" -c 'import numpy'`, median of {startup_rounds}"})
        rows.append({"measure": "share of grading spent starting interpreters",
                     "value": f"{share:.0%}",
                     "how": "interpreters x start time / time to grade `solutions/` one child "
                            "at a time"})
        result.update(one=one, children=portable(children, root), startup_s=startup,
                      startup_share=share)
        result["class"] = grade_class(class_size, class_jobs, rows, targets)
    return result


def grade_command(path: Path, results: Path, *extra):
    return [sys.executable, "-m", "autograder", "grade", str(path), "--results", str(results),
            *extra]


# (label, folder, extra arguments): the reference and the stubs as graded by default, and
# the reference with one child at a time, whose wall time the start-up share refers to
GRADINGS = [("solutions", "solutions", ()), ("exercises", "exercises", ()),
            ("solutions, one child at a time", "solutions", ("--jobs", "1"))]


def grade_one_each(root: Path, scratch: Path, rounds: int) -> dict:
    """Grade the reference and the untouched stubs, interleaved, ``rounds`` times each."""
    out = {label: {"samples_s": [], "cpu_s": [], "score": None} for label, _, _ in GRADINGS}
    for _ in range(rounds):
        for label, folder, extra in GRADINGS:
            results = scratch / "results.json"
            start, cpu = time.perf_counter(), children_cpu_seconds()
            subprocess.run(grade_command(root / folder, results, *extra), cwd=root, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            out[label]["samples_s"].append(time.perf_counter() - start)
            out[label]["cpu_s"].append(children_cpu_seconds() - cpu)
            graded = json.loads(results.read_text())
            out[label]["score"] = f"{graded['score']:g} / {graded.get('max_score', '?'):g}"
    for data in out.values():
        data["median_s"] = median(data["samples_s"])
        data["median_cpu_s"] = median(data["cpu_s"])
    return out


def children_cpu_seconds() -> float:
    """CPU time (user + system) of every finished child process of this one, and theirs.

    Unlike wall time it hardly moves when other work shares the machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def count_children(root: Path, scratch: Path) -> dict:
    log = scratch / "children.json"
    command = [sys.executable, "-c", COUNTING_WRAPPER, str(log), "grade", str(root / "solutions"),
               "--results", str(scratch / "counted.json"), "--jobs", "1"]
    subprocess.run(command, cwd=root, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    seen = json.loads(log.read_text())
    pythons = [args for args in seen if "python" in Path(args[0]).name]
    first = pythons[0] if pythons else [sys.executable]
    flags = [arg for arg in first[1:] if arg in STARTUP_FLAGS]
    return {"count": len(seen), "python": [first[0], *flags],
            "commands": [" ".join(args)[:160] for args in seen[:3]]}


def portable(children: dict, root: Path) -> dict:
    """``children`` as the results files keep it: no path of this machine, the repository
    said as <repo> and the temporary folder as <tmp>."""
    def clean(text: str) -> str:
        return text.replace(str(root), "<repo>").replace(tempfile.gettempdir(), "<tmp>")
    return dict(children, python=[clean(arg) for arg in children["python"]],
                commands=[clean(command) for command in children["commands"]])


STARTUP_FLAGS = ("-I", "-B", "-E", "-s", "-S")  # interpreter flags that change its start-up


def startup_seconds(python, rounds: int) -> float:
    """Median wall time of ``python -c 'import numpy'`` with the children's interpreter flags."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run([*python, "-c", "import numpy"], check=True)
        samples.append(time.perf_counter() - start)
    return median(samples)


def grade_class(class_size, class_jobs, rows, targets):
    """grade-all over a generated class of mixed submissions (tools/bench_class.py), once
    per job count.  A class smaller than 200 is scaled to 200, and says so."""
    if class_size is None:
        rows.append({"measure": "a class with 1 and 2 jobs", "value": "not measured",
                     "how": "skipped by --quick"})
        return None
    try:
        from tools.bench_class import measure as measure_class
    except ImportError:
        rows.append({"measure": "a class with 1 and 2 jobs", "value": "not measured",
                     "how": "no class generator (tools/bench_class.py) in this checkout"})
        return None
    figures = {"runs": []}
    for jobs in class_jobs:  # one class per run, so that each gets its own CPU time
        cpu = children_cpu_seconds()
        measured = measure_class(students=class_size, jobs=(jobs,))
        measured["runs"][0]["cpu_seconds"] = children_cpu_seconds() - cpu
        figures["runs"] += measured["runs"]
        figures.update(students=measured["students"], mix=measured["mix"])
    students = figures["students"]
    for run in figures["runs"]:
        rows.append({"measure": f"a class of {students}, {run['jobs']} job(s)",
                     "value": f"{run['wall_seconds']:.0f} s",
                     "how": f"`grade-all --jobs {run['jobs']}` on tools/make_class.py's mix, one "
                            f"run: {run['seconds_per_submission']:.2f} s per submission, slowest "
                            f"{run['slowest_submission_seconds']:.1f} s; "
                            f"{run['cpu_seconds']:.0f} s of CPU"})
    two_jobs = [run for run in figures["runs"] if run["jobs"] == 2]
    if not two_jobs:
        return figures
    # make_class writes its ungradable submissions first (rejected in about a second
    # each), so a small class is scaled on the others, which it under-represents.
    regular = max(1, students - UNGRADABLE_FIRST)
    scale = (200 - UNGRADABLE_FIRST) / regular
    class_200 = two_jobs[0]["wall_seconds"] * scale
    measured = f"{class_200:.0f} s" + ("" if students == 200 else f" (scaled from {students})")
    if students != 200:
        rows.append({"measure": "a class of 200, 2 jobs (scaled)", "value": f"{class_200:.0f} s",
                     "how": f"the {students}-student time x {200 - UNGRADABLE_FIRST} / {regular}: "
                            f"scaled on the gradable submissions (the first "
                            f"{UNGRADABLE_FIRST} are not)"})
    # With the machine to itself, 2 jobs keep both cores busy at best: CPU time / 2.
    rows.append({"measure": "a class of 200, 2 jobs, machine to itself (best case)",
                 "value": f"{two_jobs[0]['cpu_seconds'] * scale / 2:.0f} s",
                 "how": "CPU time of the 2-job run" + (" scaled to 200" if students != 200 else "")
                        + " / 2 cores: a figure the load of others does not inflate"})
    targets.append({"target": "a class of 200 graded in under 10 minutes with 2 jobs",
                    "bound": f"{CLASS_BOUND_S:.0f} s", "measured": measured,
                    "met": "yes" if class_200 < CLASS_BOUND_S else "**no**"})
    return figures
