"""The check families chapters 8 and 9 added each catch a wrong submission of their own:
causality (attention), Embedding's returned None, every check of clip_grad_norm, and where
the Learner clips (clip_norm).
Each case grades one unit of a mutated reference and names the checks that must fail."""
import pytest

from autograder.grading import grade
from mutants import apply_mutant
from mutants_gpt import MUTANTS

GPT_MUTANTS = {m[0]: m for m in MUTANTS}  # the chapters' mutants, shared with the others

CASES = [
    # (mutant, the checks that must fail: "Unit: start of the title"); the mutants of
    # mutants_gpt by name, and this file's own where no chapter mutant breaks the check
    (GPT_MUTANTS["attention_wrong_triangle"],
     ["CausalSelfAttention: no position sees a later one"]),
    (GPT_MUTANTS["attention_mask_after_softmax"],
     ["CausalSelfAttention: no position sees a later one"]),
    (("embedding_returns_d", "Embedding", "attention.py",
      "            # nothing returned: the caller receives None", "            return D"),
     ["Embedding: backward returns None"]),
    (GPT_MUTANTS["embedding_gradient_by_assignment"],
     ["Embedding: weight gradient matches", "Embedding: the weight gradient matches finite"]),
    (GPT_MUTANTS["clip_returns_the_clipped_norm"],
     ["clip_grad_norm: returns the global norm"]),
    (GPT_MUTANTS["clip_per_parameter"],
     ["clip_grad_norm: gradients above max_norm"]),
    (GPT_MUTANTS["clip_scales_small_gradients_up"],
     ["clip_grad_norm: gradients within max_norm"]),
    (("clip_new_float64_arrays", "clip_grad_norm", "optimizers.py",
      "        for g in gradients:\n            g *= factor\n",
      "        for p in distinct(parameters):\n"
      "            p.gradient = p.gradient * np.float64(factor)\n"),
     ["clip_grad_norm: float32 gradients stay float32"]),
    # Learner(clip_norm=...): the given step clips; a fit_batch that skips it, or clips
    # after the update, trains unclipped
    (("learner_ignores_clip_norm", "Learner", "learner.py",
      "backward(D)\n        self.step()", "backward(D)\n        self.model.update(self.optimizer)"),
     ["Learner: with clip_norm, the gradients are clipped"]),
    (("learner_clips_after_the_update", "Learner", "learner.py",
      "backward(D)\n        self.step()",
      "backward(D)\n        self.model.update(self.optimizer)\n"
      "        if self.clip_norm is not None:\n"
      "            clip_grad_norm(self.model.parameters, self.clip_norm)"),
     ["Learner: with clip_norm, the gradients are clipped"]),
    (GPT_MUTANTS["adamw_coupled_decay"],
     ["AdamWOptimizer: decoupled weight decay", "AdamWOptimizer: one step"]),
]


@pytest.mark.parametrize("mutant, failing", CASES, ids=[c[0][0] for c in CASES])
def test_the_new_check_catches_its_mutant(mutant, failing, tmp_path):
    result = grade.grade(apply_mutant(mutant, tmp_path), units=[mutant[1]], seed=3)
    failed = [o.check.name for o in result.outcomes if not o.passed]
    for start in failing:
        assert any(name.startswith(start) for name in failed), (start, failed)
    assert result.unit_scores[mutant[1]][0] < result.unit_scores[mutant[1]][1]


def test_the_recall_problem_needs_attention_that_looks_back(tmp_path):
    """The hidden recall problem: attention masking the past instead of the future (each
    position then sees itself and later ones, so the last sees only itself) trains a model
    that cannot find the pair: the problem fails (the reference passes it on 20 seeds in
    test_grader_reference)."""
    mutant = next(case[0] for case in CASES if case[0][0] == "attention_wrong_triangle")
    result = grade.grade(apply_mutant(mutant, tmp_path), units=["fit_recall"], seed=3)
    [outcome] = result.outcomes
    assert not outcome.passed and "of new sequences answered" in outcome.text, outcome.text
