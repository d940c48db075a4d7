"""Feedback must not show hidden tests.  ClearHiddenTests removes them from the cell
source; this preprocessor removes them from the outputs, where a failed cell's
traceback quotes the code around the failing line and its message may carry values."""
import re

from nbconvert.preprocessors import Preprocessor

HIDDEN_MARK = "BEGIN HIDDEN TESTS"
HIDDEN_REGION = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
VERDICT = "GraderVerdict"  # the grader's own verdict (nbcourse.trusted): shown as it is
SHORTEST_SECRET = 12       # hidden lines shorter than this ("assert ok") prove nothing
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

    def preprocess(self, nb, resources):
        # A kernel sees every cell it runs, hidden tests included, and may print them
        # into any output (an IPython pre_run_cell hook does it): drop those lines.
        self.secrets = {line.strip() for cell in nb.cells if cell.cell_type == "code"
                        for region in HIDDEN_REGION.findall(cell.source)
                        for line in region.splitlines() if len(line.strip()) >= SHORTEST_SECRET}
        return super().preprocess(nb, resources)

    def scrub(self, text):
        if isinstance(text, list):
            text = "".join(text)
        kept = [line for line in text.splitlines(keepends=True)
                if not any(secret in line for secret in self.secrets)]
        return "".join(kept) if len(kept) == len(text.splitlines()) else \
            "".join(kept) + "(lines of hidden tests removed)\n"

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        for output in cell.get("outputs", []):
            if "text" in output:
                output.text = self.scrub(output.text)
            for key, value in output.get("data", {}).items():
                if key.startswith("text/"):
                    output.data[key] = self.scrub(value)
            if output.output_type == "error" and output.ename != VERDICT:
                output.evalue = self.scrub(output.evalue)
                output.traceback = [self.scrub(line) for line in output.traceback]
        if HIDDEN_MARK not in cell.source:
            return cell, resources
        hidden_from = next(number for number, line in enumerate(cell.source.splitlines(), 1)
                           if HIDDEN_MARK in line)
        for output in cell.get("outputs", []):
            if output.output_type != "error" or output.ename in ("CellTimeoutError", VERDICT):
                continue
            line = failing_line(output.get("traceback", []))
            if line is None or line >= hidden_from:
                output.evalue = WITHHELD
            output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
