"""Feedback handed back through the learning platform: every student's report.html in
the zip the platform reads back.

    python -m autograder grade-all DOWNLOAD --gradebook FILE.csv --feedback-zip moodle FILE.zip
    python -m autograder grade-all DOWNLOAD --gradebook FILE.csv --feedback-zip canvas FILE.zip

Each platform names the entries its upload reads (``Platform.feedback`` in
platforms/canvas.py and platforms/moodle.py, where each layout is described).
Students without a report (not submitted) are left out and named.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from . import platforms
from ..sandbox.atomic import replacing


def write_zip(
    kind: str,
    path: Path,
    students: list[str],
    results: dict,
    reports: Path,
    people: dict | None = None,
) -> tuple[int, list]:
    """Write the feedback zip of platform ``kind`` ("moodle", "canvas"); return how many
    reports it holds and the students left out, with why."""
    platform = platforms.get(kind, "--feedback-zip")
    entries, left_out = platform.feedback(students, results, reports, people or {})
    with replacing(path) as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, report in sorted(entries.items()):
            archive.write(report, name)
    return len(entries), left_out
