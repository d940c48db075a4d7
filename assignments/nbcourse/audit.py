"""What the gradebook CSV cannot say: which submissions touched the test cells, lost
cell metadata, hit the time limit or were not graded at all.

    python -m nbcourse.audit [--out audit.csv]

Each submitted notebook is compared with the release notebook its student received
(test cells there are exactly what the student saw, hidden tests already removed, so
any difference is the student's doing, not checksum noise from hidden tests), and
its autograded copy is searched for time-outs and dead kernels.  One CSV row per
finding: student, assignment, notebook, cell, problem.
"""
import argparse
import os
import sys
from pathlib import Path

import nbformat

from .trusted import HEADER, KERNEL

ROOT = Path(__file__).resolve().parent.parent
KERNEL_FAILURES = {"CellTimeoutError": "time limit", "DeadKernelError": "kernel died"}


def nbgrader_cells(nb) -> dict:
    """grade_id -> cell, for the cells that carry nbgrader metadata."""
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nb.cells
            if "grade_id" in cell.metadata.get("nbgrader", {})}


def compare_cells(released, submitted) -> list:
    """(cell id, problem) for every test or solution cell the submission changed or lost."""
    found = []
    mine = nbgrader_cells(submitted)
    for grade_id, cell in nbgrader_cells(released).items():
        meta = cell.metadata["nbgrader"]
        if meta.get("grade") and not meta.get("solution"):
            if grade_id not in mine:
                found.append((grade_id, "test cell deleted (restored for grading)"))
            elif mine[grade_id].source != cell.source:
                found.append((grade_id, "test cell edited (restored for grading)"))
        elif meta.get("solution") and grade_id not in mine:
            found.append((grade_id, "solution cell deleted or retyped (metadata lost)"))
    return found


def kernel_failures(autograded) -> list:
    """Time-outs and dead kernels; in test cells the grader turned the kernel's errors
    into text starting with trusted.KERNEL; and any test cell without the grader's
    verdict (its score would be the kernel's: nbgrader did not run TrustedGrades)."""
    found = []
    for cell in autograded.cells:
        meta = cell.metadata.get("nbgrader", {})
        cell_id = meta.get("grade_id", "(unnamed cell)")
        texts = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") in KERNEL_FAILURES:
                found.append((cell_id, KERNEL_FAILURES[output["ename"]]))
            text = output.get("text", "") or output.get("evalue", "")
            texts.append(text)
            for ename, problem in KERNEL_FAILURES.items():
                if text.startswith(f"{KERNEL}{ename}"):
                    found.append((cell_id, problem))
        if meta.get("grade") and not meta.get("solution") and \
                not any(text.startswith(HEADER) for text in texts):
            found.append((cell_id, "no verdict of the grader: scored by the student's kernel"))
    return found


def audit(root: Path = ROOT) -> list:
    rows = []
    for path in sorted(root.glob("submitted/*/*/*.ipynb")):
        student, assignment, notebook = path.parts[-3], path.parts[-2], path.stem
        released = root / "release" / assignment / path.name
        findings = []
        if released.exists():
            findings += compare_cells(nbformat.read(released, as_version=4),
                                      nbformat.read(path, as_version=4))
        graded = root / "autograded" / student / assignment / path.name
        if graded.exists():
            findings += kernel_failures(nbformat.read(graded, as_version=4))
        else:
            findings.append(("", "not autograded"))
        rows += [{"student": student, "assignment": assignment, "notebook": notebook,
                  "cell": cell, "problem": problem} for cell, problem in findings]
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="flag tampered, crashed or ungraded submissions")
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--out", type=Path, default=None, help="CSV file (default: stdout)")
    args = parser.parse_args(argv)
    rows = audit(args.root)
    sys.path.insert(0, os.environ.get("NN100_REPO", str(ROOT.parent)))  # the one CSV writer
    from autograder.sandbox.safe_text import csv_text
    header = ["student", "assignment", "notebook", "cell", "problem"]
    out = open(args.out, "w", newline="") if args.out else sys.stdout
    out.write(csv_text([header, *([row[c] for c in header] for row in rows)]))
    if args.out:
        out.close()
        print(f"audit: {len(rows)} finding(s) in {args.out}")


if __name__ == "__main__":
    main()
