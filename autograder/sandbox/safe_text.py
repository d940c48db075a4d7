"""Text from outside the grader, made safe to show: one sanitiser and one CSV writer.

A child's messages and stderr, the names of submission files and LMS folders are written
by students.  Before any of it reaches the terminal, an HTML page, a CSV file,
results.json or feedback, ``visible`` replaces every character that a terminal or a
viewer would obey instead of showing: C0 controls (ESC, BEL, CR, backspace...) but newline
and tab, DEL, C1 controls, and Unicode's format and separator characters (bidi overrides
and isolates U+202A-U+202E, U+2066-U+2069, zero-width joiners, tags).  Each becomes an
escape the reader sees, such as ``\\x1b`` or ``\\u202e``, so
``ESC[2K ESC[G Score: 136 / 136`` cannot erase a line and print a score: it reads as the
escape sequence it is.  Escaping is idempotent (an escape is plain printable text).

``csv_text`` is the one CSV writer of the project (gradebook, LMS exports): every cell is
one line of visible text, and a cell a spreadsheet would run as a formula (leading
``= + - @``, or a tab or CR before one) is prefixed with ``'``.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata

KEEP = "\n\t"  # what a multi-line message may keep
# Categories shown as escapes: controls, format characters (bidi, zero-width, tags),
# surrogates, private use, unassigned, line and paragraph separators.
HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
CELL_CHARS = 300  # a CSV cell is cut here (a reason, a name)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?\Z|-\Z")  # a score, a day count, Moodle's "-"


def escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text, keep: str = KEEP) -> str:
    """``text`` (any object, as str) with every hidden character as a visible escape;
    ``keep`` lists the ones left as they are (newline and tab by default)."""
    text = str(text).replace("\r\n", "\n")
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() or char in keep
                   or unicodedata.category(char) not in HIDDEN else escape(char)
                   for char in text)


def one_line(text) -> str:
    """``text`` as one visible line: runs of whitespace (newlines too) become one space."""
    return visible(" ".join(str(text).split()), keep="")


def visible_tree(value):
    """``value`` (parsed JSON) with every string in it, keys too, made visible."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {visible(k) if isinstance(k, str) else k: visible_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [visible_tree(v) for v in value]
    return value


def csv_cell(value) -> str:
    """One cell: one visible line, at most CELL_CHARS, never a formula ("" for None)."""
    if value is None:
        return ""
    text = one_line(value)[:CELL_CHARS]
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def csv_text(rows) -> str:
    """The CSV of ``rows`` (lists of cells), every cell through ``csv_cell``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue()
