"""Feedback must not show hidden tests.  ClearHiddenTests removes them from the cell
source; this preprocessor removes them from the outputs, where a failed cell's
traceback quotes the code around the failing line and its message may carry values."""
import re

from nbconvert.preprocessors import Preprocessor

HIDDEN_MARK = "BEGIN HIDDEN TESTS"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
CELL_FRAME = re.compile(r"Cell In\s*\[\d*\],? line (\d+)")
WITHHELD = ("a hidden test in this cell failed: it checks the same unit as the visible "
            "tests above, on other inputs (details withheld)")


def failing_line(traceback) -> int | None:
    """The line of the cell where the error surfaced, from IPython's traceback."""
    for entry in traceback:
        match = CELL_FRAME.search(ANSI.sub("", entry))
        if match:
            return int(match.group(1))
    return None


class RedactHiddenTracebacks(Preprocessor):
    """In every cell holding hidden tests, cut each error down to one line: the
    exception and its message when a visible test failed (the student may see those),
    the exception and a fixed text when the failure lies in the hidden part.  Either
    way the quoted code (the traceback) goes, since it shows the lines around the failure.

    An nbconvert preprocessor only runs when ``enabled`` is true (set in the config).
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or HIDDEN_MARK not in cell.source:
            return cell, resources
        hidden_from = next(number for number, line in enumerate(cell.source.splitlines(), 1)
                           if HIDDEN_MARK in line)
        for output in cell.get("outputs", []):
            if output.output_type != "error" or output.ename == "CellTimeoutError":
                continue
            line = failing_line(output.get("traceback", []))
            if line is None or line >= hidden_from:
                output.evalue = WITHHELD
            output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
