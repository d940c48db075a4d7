"""The notebooks teach as the package guide does: ideas, never a derivative formula.

The text sources (assignments/text/*.py) are searched as students see them, hidden tests
left out: the formula patterns that guard the stubs' docstrings and the grader's feedback
(tests/grader/test_grader_honesty.py) over everything, and, over the prose (markdown
cells, comments, strings), the ways the notebooks used to write a derivative.
Fast: no nbgrader, no jupytext.
"""
import io
import re
import sys
import tokenize
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEXTS = REPO / "assignments" / "text"
sys.path.insert(0, str(REPO / "tests" / "grader"))
from test_grader_honesty import FORMULAS  # noqa: E402  (one list of formula patterns)

from autograder import course  # noqa: E402

HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS\n.*?^[ \t]*### END HIDDEN TESTS\n",
                    re.M | re.S)
# How prose states a derivative: a gradient as an equation (dX = ..., dL/dYp = ...; not
# a value, dYp = [[1], [-2]]), a transposed factor (Xᵀ @ D), a slope as a product of the
# output (Y (1 - Y)), d f(x)/dx.
PROSE = [r"\bd(?:[A-Z]\w*|b|L/d\w+)\s*=\s*[^=\s\[\d-]", r"\wᵀ", r"\bY\s*\(\s*1\s*-\s*Y\s*\)",
         r"1\s*-\s*tanh\(\w*\)\s*(?:²|\*\*\s*2)", r"\bd\s*\w+\(\w+\)\s*/\s*d\w+\b",
         r"\bf'\("]


def prose(source: str) -> str:
    """The comments (markdown cells are comments in the percent format) and strings."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return "\n".join(token.string for token in tokens
                     if token.type in (tokenize.COMMENT, tokenize.STRING))


def formulas_in(source: str) -> list[str]:
    """Each pattern found in what students see of a text source, with the line."""
    visible = HIDDEN.sub("", source)
    found = [(pattern, visible) for pattern in FORMULAS] + [
        (pattern, prose(visible)) for pattern in PROSE]
    return [f"{pattern!r}: {line.strip()}" for pattern, text in found
            for line in text.splitlines() if re.search(pattern, line)]


def test_the_notebooks_state_no_derivative():
    texts = sorted(TEXTS.glob("*.py"))
    assert [t.stem for t in texts] == sorted(course.load().notebooks), "a text per notebook"
    for text in texts:
        assert formulas_in(text.read_text(encoding="utf-8")) == [], text.name


def test_the_search_finds_the_formulas_the_notebooks_used_to_give():
    """Lines of the notebooks before they were rewritten, each planted in a copy of
    backprop.py: in markdown, in a comment, in a test's message; and not in hidden tests."""
    source = (TEXTS / "backprop.py").read_text(encoding="utf-8")
    for planted in ["# * `dW = Xᵀ @ D` — each weight collects input × upstream gradient",
                    "# * `db = D.sum(axis=0)` — the bias touches every row",
                    "# * `dX = D @ Wᵀ` — each input feeds every output, weighted by `W`.",
                    "#   `Sigmoid`: `Y = 1 / (1 + e^-X)`; its derivative is `Y (1 - Y)`",
                    "# elementwise product: `dX = D * f'(X)`.",
                    "# with the output alone: `d tanh(x)/dx = 1 - tanh(x)²`.",
                    "# `dL/dYp = 2 (Yp - Yt) / Yp.size`.",
                    "#     m_hat = m / (1 - beta1**t);   v_hat = v / (1 - beta2**t)",
                    'assert True, f"dZ = (softmax(Z) - onehot) / N; got {dZ}"']:
        edited = source.replace("# ## Task 1: the linear layer\n",
                                f"# ## Task 1: the linear layer\n{planted}\n", 1)
        assert edited != source and formulas_in(edited), planted
    hidden = source.replace("### END HIDDEN TESTS\n",
                            "assert np.allclose(dX, D @ W.T)\n### END HIDDEN TESTS\n", 1)
    assert hidden != source and formulas_in(hidden) == []
