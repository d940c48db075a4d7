"""The numbered exercises, in the order students do them: the one table everything reads.

Each solution block in ``solutions/nn100`` is found by the function that encloses it
(``Linear.forward`` for the forward block, ``Linear.forward.backward`` for the block in
its nested closure) and gets its number here, not from its position in the file, so
moving code around never renumbers an exercise. The generator, the visible checks, the
status table of ``make check`` and the student guide all use this list.

This file ships with the student edition: it holds names and numbers, no answers.
"""
from typing import NamedTuple


class Exercise(NamedTuple):
    number: str    # "1.2": chapter.step
    module: str    # file in the nn100 package
    target: str    # qualified name of the function that encloses the solution block
    title: str     # what the stub's NotImplementedError names
    unit: str      # the unit the grader scores it under (its points are per unit)


CHAPTERS = {
    "1": "Layers as closures (the post's core)",
    "2": "The training loop",
    "3": "More layers",
    "4": "More losses",
    "5": "Better optimizers",
}

EXERCISES = [
    Exercise("1.1", "layers.py", "Linear.forward", "Linear.forward", "Linear"),
    Exercise("1.2", "layers.py", "Linear.forward.backward", "Linear.backward", "Linear"),
    Exercise("1.3", "layers.py", "ReLU.forward", "ReLU.forward", "ReLU"),
    Exercise("1.4", "layers.py", "ReLU.forward.backward", "ReLU.backward", "ReLU"),
    Exercise("1.5", "layers.py", "Sigmoid.forward", "Sigmoid.forward", "Sigmoid"),
    Exercise("1.6", "layers.py", "Sigmoid.forward.backward", "Sigmoid.backward", "Sigmoid"),
    Exercise("1.7", "layers.py", "Sequential.__init__", "Sequential.parameters", "Sequential"),
    Exercise("1.8", "layers.py", "Sequential.forward", "Sequential.forward", "Sequential"),
    Exercise("1.9", "layers.py", "Sequential.forward.backward", "Sequential.backward", "Sequential"),
    Exercise("2.1", "losses.py", "mse_loss", "mse_loss", "mse_loss"),
    Exercise("2.2", "optimizers.py", "SGDOptimizer.update", "SGDOptimizer.update", "SGDOptimizer"),
    Exercise("2.3", "learner.py", "Learner.fit_batch", "Learner.fit_batch", "Learner"),
    Exercise("2.4", "learner.py", "Learner.fit", "Learner.fit", "Learner"),
    Exercise("2.5", "learner.py", "Learner.predict", "Learner.predict", "Learner"),
    Exercise("3.1", "layers.py", "Tanh.forward", "Tanh.forward", "Tanh"),
    Exercise("3.2", "layers.py", "Tanh.forward.backward", "Tanh.backward", "Tanh"),
    Exercise("3.3", "layers.py", "LeakyReLU.forward", "LeakyReLU.forward", "LeakyReLU"),
    Exercise("3.4", "layers.py", "LeakyReLU.forward.backward", "LeakyReLU.backward", "LeakyReLU"),
    Exercise("3.5", "layers.py", "Softmax.forward", "Softmax.forward", "Softmax"),
    Exercise("3.6", "layers.py", "Softmax.forward.backward", "Softmax.backward", "Softmax"),
    Exercise("3.7", "layers.py", "Dropout.forward", "Dropout.forward", "Dropout"),
    Exercise("3.8", "layers.py", "Dropout.forward.backward", "Dropout.backward", "Dropout"),
    Exercise("4.1", "losses.py", "bce_loss", "bce_loss", "bce_loss"),
    Exercise("4.2", "losses.py", "bce_with_logits_loss", "bce_with_logits_loss",
             "bce_with_logits_loss"),
    Exercise("4.3", "losses.py", "softmax_cross_entropy_loss", "softmax_cross_entropy_loss",
             "softmax_cross_entropy_loss"),
    Exercise("5.1", "optimizers.py", "MomentumOptimizer.update", "MomentumOptimizer.update",
             "MomentumOptimizer"),
    Exercise("5.2", "optimizers.py", "AdamOptimizer.update", "AdamOptimizer.update",
             "AdamOptimizer"),
]

# End-to-end checks with no stub of their own: they pass once the exercises they need do.
# The grader's "Convergence" unit is of this kind (with other problems and bounds).
CHECKPOINTS = {
    "C.1": ("linear regression, end to end", "1.1-1.2, 2.1-2.4"),
    "C.2": ("digits: a 2-layer net gets 90%", "1.1-1.9, 2.1-2.5, 4.3, 5.2"),
}

BY_NUMBER = {exercise.number: exercise for exercise in EXERCISES}


def stub_message(exercise: Exercise) -> str:
    """What the stub raises, e.g. "Exercise 1.2: Linear.backward"."""
    return f"Exercise {exercise.number}: {exercise.title}"


def all_numbers() -> list[str]:
    """Every exercise number in order, then the checkpoints."""
    return [exercise.number for exercise in EXERCISES] + list(CHECKPOINTS)


def title_of(number: str) -> str:
    return BY_NUMBER[number].title if number in BY_NUMBER else CHECKPOINTS[number][0]


def matches(pattern: str | None, number: str) -> bool:
    """Whether ``number`` is selected by "1.2" (itself), "1" (its chapter) or None (all)."""
    return not pattern or pattern in (number, number.split(".")[0])


def select(pattern: str | None) -> list[str]:
    """The numbers matching ``pattern`` (see ``matches``), in order; ValueError if none."""
    wanted = [number for number in all_numbers() if matches(pattern, number)]
    if not wanted:
        known = ", ".join(all_numbers())
        raise ValueError(f"select: no exercise {pattern!r}; known: {known} "
                         "(or a chapter: 1, 2, 3, 4, 5, C)")
    return wanted
