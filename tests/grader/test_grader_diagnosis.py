"""One bug, one diagnosis: a failed unit's headline (its first failing check, in the
terminal table and first among the unit's tests in results.json) names the quantity the
mistake broke, a crash names the student's file and line, and "backward uses the chain
rule" is not judged (never failed) while the unit's values are wrong.

Each mutant below is a realistic mistake (most from the grader's mutant suites, a few
written here) with the check that must head its unit.  They are graded a few units at a
time: every unit without a mutant keeps full marks (the convergence problems, which use every unit,
is not graded here).
"""
import re

import pytest

from autograder import course
from autograder.grading import grade, report
from grader_support import CONVERGENCE, SOLUTIONS, graded_once, unit_table
from mutants import MUTANTS, apply_mutants
from mutants_conv import MUTANTS as CHAPTER_MUTANTS

BIAS_PLUS_D = ("linear_bias_grad_plus_D", "Linear", "layers.py",
               "self.bias.gradient += D.sum(axis=0)", "self.bias.gradient += D")
HERE = [
    BIAS_PLUS_D,
    ("linear_bias_grad_keeps_the_batch_axis", "Linear", "layers.py",
     "self.bias.gradient += D.sum(axis=0)", "self.bias.gradient = self.bias.gradient + D"),
    ("tanh_forward_misspelt", "Tanh", "layers.py", "Y = np.tanh(X)", "Y = np.tanhh(X)"),
    ("maxpool_sends_D_to_every_element", "MaxPool2D", "conv.py",
     "np.add.at(dX, (n, c, i * s + best // k, j * s + best % k), D)",
     "dX += np.repeat(np.repeat(D, k, axis=2), k, axis=3)[:, :, :dX.shape[2], :dX.shape[3]]"),
]
EVERY = {m[0]: m for m in MUTANTS + CHAPTER_MUTANTS + HERE}

BIAS = "bias gradient matches the reference"
INPUT = "input gradient matches the reference"
BACKPROP = "backward uses the chain rule, not repeated forward calls"
# mutant -> the title of the check that must head its unit
HEADLINES = {
    # chapter 1: a bias gradient not summed over the batch, three ways
    "linear_bias_grad_plus_D": BIAS,
    "linear_bias_grad_keeps_the_batch_axis": BIAS,
    "linear_bias_grad_not_summed": BIAS,
    "linear_weight_grad_divided_by_batch": "weight gradient matches the reference",
    "sigmoid_derivative_of_input": INPUT,
    # chapter 2
    "mse_gradient_without_mean": "gradient matches the reference",
    "learner_never_shuffles": "fit shuffles each epoch, reproducibly from its rng",
    # chapter 3
    "tanh_forward_misspelt": "forward matches the reference (batch of 1, odd sizes)",
    "softmax_diagonal_jacobian": INPUT,
    # chapter 4
    "bce_without_clipping": "probabilities of exactly 0 and 1 give a finite loss and gradient",
    # chapter 5
    "adam_without_bias_correction": "one step matches the reference",
    "momentum_state_shared_between_parameters":
        "state is kept per parameter (two parameters, interleaved)",
    # chapter 6
    "layer_norm_gamma_gradient_without_x_hat": "gamma gradient matches the reference",
    "batch_norm_variance_term_dropped": INPUT,
    # chapter 7
    "conv_bias_gradient_averaged": BIAS,
    "maxpool_sends_D_to_every_element": INPUT,
    "flatten_backward_keeps_the_flat_shape": INPUT,
}


def groups() -> list[list]:
    """The mutants of HEADLINES, each submission holding at most one per unit."""
    packed: list[list] = []
    for name in HEADLINES:
        mutant = EVERY[name]
        free = [g for g in packed if mutant[1] not in {m[1] for m in g}]
        if not free:
            packed.append([])
            free = [packed[-1]]
        free[0].append(mutant)
    return packed


GROUPS = groups()
UNITS = [u for u in course.load().units if u not in CONVERGENCE]


def graded(index: int):
    return graded_once(("diagnosis", index), lambda root: apply_mutants(GROUPS[index], root),
                       seed=5, units=UNITS)


def of_unit(result, unit):
    return [o for o in result.outcomes if o.check.unit == unit]


def test_the_headlines_cover_every_chapter():
    table = course.load()
    chapters = {table.units[EVERY[name][1]].assignment for name in HEADLINES}
    assert chapters == {1, 2, 3, 4, 5, 6, 7}
    assert len(GROUPS) <= 4


@pytest.mark.parametrize("index", range(len(GROUPS)),
                         ids=["+".join(m[0] for m in g) for g in GROUPS])
def test_the_first_failing_check_names_what_the_mistake_broke(index):
    result = graded(index)
    points = grade.load_points()
    earned = unit_table(result)
    broken = {m[1] for m in GROUPS[index]}
    assert {u: e for u, e in earned.items() if u not in broken and e < points[u]} == {}
    order = {o.check.name: k for k, o in enumerate(result.outcomes)}
    lines = report.table(result).splitlines()
    for name, unit, *_ in GROUPS[index]:
        outcomes = of_unit(result, unit)
        failing = [o for o in outcomes if not o.passed]
        assert earned[unit] < points[unit] and failing, f"{name} was not caught"
        head = failing[0]
        assert head.check.title == HEADLINES[name], f"{name}: {head.check.title}: {head.text}"
        # first among the unit's tests in results.json, a failure it established, hinted
        assert min(order[o.check.name] for o in outcomes) == order[head.check.name]
        assert not head.text.startswith(("not judged", "not run")) and "Hint:" in head.text
        row = next(line for line in lines if line.startswith(unit + " "))
        assert f"{HEADLINES[name]} -- " in row, row
        # the chain-rule check is not judged, never failed, while the values are wrong
        cost = [o for o in outcomes if o.check.title == BACKPROP]
        if cost and head.check.title != BACKPROP:
            assert cost[0].text.startswith("not judged: '"), f"{name}: {cost[0].text}"


def test_a_bias_gradient_not_summed_is_diagnosed_in_the_bias_gradient():
    """The issue's example: `bias.gradient += D` raises in backward; the diagnosis is the
    bias gradient, both shapes, the concept of the bias's hint; dX is not judged."""
    index = next(k for k, g in enumerate(GROUPS) if BIAS_PLUS_D in g)
    outcomes = {o.check.title: o for o in of_unit(graded(index), "Linear")}
    text = outcomes[BIAS].text
    assert "db (bias.gradient)" in text and "shape (1, 4)" in text and "(4,)" in text, text
    assert course.load().hint("Linear", "bias") in text
    assert outcomes[INPUT].text == f"not judged: '{BIAS}' fails first (backward raised)"
    assert course.load().hint("Linear", "input") not in "".join(o.text for o in
                                                                 outcomes.values())


def line_of(mutant) -> int:
    """The line (1-based) of the mutant's new text in its mutated file."""
    text = (SOLUTIONS / mutant[2]).read_text().replace(mutant[3], mutant[4])
    return next(k for k, line in enumerate(text.splitlines(), 1) if mutant[4] in line)


@pytest.mark.parametrize("name, unit", [("linear_bias_grad_plus_D", "Linear"),
                                        ("tanh_forward_misspelt", "Tanh")])
def test_a_crash_names_the_students_file_and_line(name, unit):
    """In backward (Linear) and in forward (Tanh): the headline and the table's row say
    nn100/<file>, line N, where N is the mutated line; no path of the grader's."""
    mutant = EVERY[name]
    index = next(k for k, g in enumerate(GROUPS) if mutant in g)
    result = graded(index)
    line = line_of(mutant)
    where = f"(nn100/{mutant[2]}, line {line})"
    head = next(o for o in of_unit(result, unit) if not o.passed)
    assert re.search(r"your code raised \w+ " + re.escape(where), head.text), head.text
    row = next(r for r in report.table(result).splitlines() if r.startswith(unit + " "))
    assert where in row, row
    for text in (head.text, row):
        assert "autograder" not in text and "harness" not in text and "/tmp" not in text


def test_a_check_that_only_saw_a_crash_names_no_cause():
    """Momentum's state shared between parameters raises in the two-parameter case: the
    state check says so with its hint; the zeroing check, which saw the same exception and
    not its own property, shows it without the hint about zeroing gradients."""
    mutant = EVERY["momentum_state_shared_between_parameters"]
    index = next(k for k, g in enumerate(GROUPS) if mutant in g)
    outcomes = {o.check.title: o for o in of_unit(graded(index), "MomentumOptimizer")}
    zeroed = outcomes["the gradient is zeroed after each update"]
    assert not zeroed.passed and "your code raised ValueError (nn100/optimizers.py" in zeroed.text
    assert "Hint:" not in zeroed.text
