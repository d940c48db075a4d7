"""``grade-all --merge DIR...``: one gradebook from the shards of a class.

Each DIR is what one ``grade-all --shard K/N`` run left: a folder holding
``reports/<student>/`` (or the reports folder itself). Every student's folder is
copied into the merged reports folder; a student found in two shards keeps the
result graded last. Then the gradebook, the summary and any export are written as a
single run would write them.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from . import gradebook as gb


def result_folders(folder: Path) -> dict[str, Path]:
    """student -> folder holding their results.json, in one shard's output."""
    reports = folder / "reports" if (folder / "reports").is_dir() else folder
    return {p.parent.name: p.parent for p in sorted(reports.glob("*/results.json"))
            if not p.parent.name.startswith(".")}


def merge(shards: list[Path], out: Path) -> tuple[list[str], dict[str, dict], list[str]]:
    """Copy every shard's results into ``out``; (students, results, notes)."""
    chosen: dict[str, tuple[str, Path]] = {}
    notes = []
    for shard in shards:
        if not shard.is_dir():
            raise ValueError(f"--merge: {shard} is not a folder")
        found = result_folders(shard)
        if not found:
            notes.append(f"{shard}: no results found")
        for student, folder in found.items():
            result = gb.load_result(folder / "results.json")
            if result is None:
                notes.append(f"{shard}: {student}'s results.json is unreadable, left out")
                continue
            stamp = gb.classroom(result).get("graded_at", "")
            if student in chosen:
                notes.append(f"{student} is in several shards: the one graded last is kept")
                if stamp <= chosen[student][0]:
                    continue
            chosen[student] = (stamp, folder)
    out.mkdir(parents=True, exist_ok=True)
    results = {}
    for student, (_, folder) in sorted(chosen.items()):
        target = out / student
        if target.resolve() != folder.resolve():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(folder, target)
        results[student] = gb.load_result(target / "results.json")
    return sorted(results), results, notes


def main(shards, gradebook: Path, out: Path, settings, finish) -> int:
    """Merge ``shards`` into ``out`` and write the gradebook through ``finish``."""
    try:
        students, results, notes = merge([Path(s) for s in shards], out)
    except ValueError as error:
        print(f"grade-all: {error}", file=sys.stderr)
        return 2
    for note in notes:
        print(f"grade-all --merge: {note}", file=sys.stderr)
    print(f"grade-all --merge: {len(students)} students from {len(shards)} shards", file=sys.stderr)
    return finish(students, results, gradebook, out, settings)
