"""A stand-in for `python -m autograder grade`, fast and predictable, for grade-all's own tests.

It never imports the submission: it reads nn100/layers.py and decides from markers in
the text. Markers: NotImplementedError -> 0 points; FAKE_KILL -> the process kills
itself with SIGKILL; FAKE_ORPHAN -> it starts a process in a new session first;
FAKE_SLEEP -> sleeps a long time; FAKE_BUG -> loses Linear points.
With FAKE_GRADE_COURSE=1 in the environment, the checks are the selection's units with
course.toml's points, hints and visibilities (for the regrading tests).
"""
import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("path")
parser.add_argument("--results", required=True)
parser.add_argument("--timeout", default=None)
parser.add_argument("--seed", default=None)
parser.add_argument("--jobs", default=None)
parser.add_argument("--assignment", default=None)
parser.add_argument("--course", default=None)
args = parser.parse_args()
layers = Path(args.path, "nn100", "layers.py")
if not layers.is_file():
    print("no nn100 package", file=sys.stderr)
    sys.exit(2)
text = layers.read_text()
if os.environ.get("FAKE_GRADE_LOG"):  # one line per run: the tests count what was graded
    with open(os.environ["FAKE_GRADE_LOG"], "a") as log:
        log.write(args.path + "\n")
delay = float(os.environ.get("FAKE_GRADE_DELAY", "0"))
time.sleep(delay)
if "FAKE_ORPHAN" in text:  # leave a process behind in its own session, then die
    import subprocess
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "orphan-of", args.path],
                     start_new_session=True)
    os.kill(os.getpid(), signal.SIGKILL)
if "FAKE_KILL" in text:
    os.kill(os.getpid(), signal.SIGKILL)
if "FAKE_SLEEP" in text:
    time.sleep(3600)
stub = "NotImplementedError" in text
bug = "FAKE_BUG" in text
tests, checks = [], []
if os.environ.get("FAKE_GRADE_COURSE"):
    # The selection's units and points, as the grader takes them from the course table,
    # two equal checks each (families forward and fd), with course.toml's hints and
    # visibilities and what grade-all needs to rebuild them (extra_data.checks).
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from autograder.course import assignments
    from autograder import course
    table = course.read(Path(args.course)) if args.course else course.load()
    selection = assignments.select(int(args.assignment) if args.assignment else None, table)
    points = selection.points or {name: unit.points for name, unit in table.units.items()}
    for unit in selection.units or table.units:
        for i, family in enumerate(("forward", "fd")):
            ok = not stub and not (bug and unit == "Linear" and i == 0)
            hint = "" if ok else table.hint(unit, family)
            share = round(points[unit] / 2, 4)
            tests.append({"name": f"{unit}: check {i}", "score": share if ok else 0,
                          "max_score": share, "status": "passed" if ok else "failed",
                          "visibility": table.visibility_of(unit, family),
                          "output": "" if ok else (f"{unit} check {i} failed"
                                                   + (f"\nHint: {hint}" if hint else ""))})
            checks.append({"unit": unit, "family": family, "hint": hint, "hint_allowed": not ok})
    out_of = round(sum(t["max_score"] for t in tests), 4)
else:
    for unit, count in (("Linear", 2), ("ReLU", 1), ("Learner", 1)):
        for i in range(count):
            ok = not stub and not (bug and unit == "Linear" and i == 0)
            tests.append({"name": f"{unit}: check {i}", "score": 5 if ok else 0, "max_score": 5,
                          "status": "passed" if ok else "failed", "visibility": "visible",
                          "output": "" if ok else f"{unit} check {i} failed <b>bold</b>\n"
                                                  f"Hint: read the {unit} docstring"})
    out_of = 20
result = {"score": round(sum(t["score"] for t in tests), 4), "max_score": out_of,
          "execution_time": delay, "tests": tests,
          "extra_data": {"loss_curves": {"xor": {"student": [1.0, 0.5, 0.25],
                                                 "reference": [1.0, 0.4, 0.1]}},
                         "fake_seen": {"cwd": os.getcwd(), "path": os.path.abspath(args.path)},
                         **({"checks": checks} if checks else {})}}
tmp = args.results + ".tmp"
Path(tmp).write_text(json.dumps(result))
os.replace(tmp, args.results)
print(f"Score: {result['score']} / {out_of}")
