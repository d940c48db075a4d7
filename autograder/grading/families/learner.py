"""Checks for the Learner, driven with a recording model, loss and optimizer made in the child.

The recording model computes 2 * X and logs each call; column 0 of the inputs and of
the targets holds each sample's index, so the log tells which samples went into each
batch, whether inputs stayed with their targets, and in which order forward, loss,
backward and update happened.  The recording loss returns mean(target[:, 1]) and a
constant gradient, so the expected per-epoch losses are worked out here.
"""
from __future__ import annotations

import numpy as np

from ..checks import Check, Fail, array, compare, need
from ...sandbox.child import protocol
from ...sandbox import Job

KIND = "learner"
SPEC = None
OPERATION = protocol.LEARNER

UNIT = "Learner"
NPARAMS = 2  # parameters of the recording model
FITS = {"fit": (23, 5, 3, 7), "fit_again": (23, 5, 3, 7), "fit_even": (20, 4, 2, 11),
        "fit_one_batch": (9, 50, 2, 3)}  # N, bs, epochs, seed
# Learner(..., clip_norm=CLIP_NORM): one fit_batch (0 epochs) and one fit; the child records
# the call the given ``step`` makes to clip_grad_norm (a stand-in: the clipping itself is
# clip_grad_norm's unit), so this checks only where the Learner clips.
CLIPPED = {"clip_fit_batch": (6, 6, 0, 0), "clip_fit": (10, 4, 2, 5)}
CLIP_NORM = 0.5


def data(rng, n):
    X = np.column_stack([np.arange(n), rng.standard_normal((n, 2))])
    Y = np.column_stack([np.arange(n), rng.uniform(0, 10, n)])
    return X, Y


class LearnerUnit:
    """The Learner's checks: the recording jobs added here, each check judged by a method
    on what the model, loss and optimizer logged."""

    def __init__(self, rng, ref):
        self.jobs, self.given = [], {}
        X, Y = data(rng, 6)
        self.jobs.append(Job(f"{UNIT}/fit_batch", protocol.LEARNER, {"action": "fit_batch"},
                             {"X": X, "Y": Y}))
        self.given["fit_batch"] = (X, Y)
        for job_id, (n, bs, epochs, seed) in FITS.items():
            X, Y = data(rng, n) if job_id != "fit_again" else self.given["fit"]
            self.jobs.append(Job(f"{UNIT}/{job_id}", protocol.LEARNER,
                                 {"action": "fit", "epochs": epochs, "bs": bs, "seed": seed},
                                 {"X": X, "Y": Y}))
            self.given[job_id] = (X, Y)
        for job_id, (n, bs, epochs, seed) in CLIPPED.items():  # Learner(clip_norm=CLIP_NORM)
            X, Y = data(rng, n)
            action = {"action": "fit", "epochs": epochs, "bs": bs, "seed": seed} if epochs \
                else {"action": "fit_batch"}
            self.jobs.append(Job(f"{UNIT}/{job_id}", protocol.LEARNER,
                                 dict(action, kwargs={"clip_norm": CLIP_NORM}), {"X": X, "Y": Y}))
        X, _ = data(rng, 4)
        self.jobs.append(Job(f"{UNIT}/predict", protocol.LEARNER, {"action": "predict"},
                             {"X": X}))
        self.given["predict"] = (X, None)

    def log(self, results, job_id):
        r = need(results, f"{UNIT}/{job_id}")
        entries = r.info.get(protocol.LOG)
        if not isinstance(entries, list):
            raise Fail("the grader could not read what the Learner did")
        return r, entries

    def batches(self, entries):
        """Split the log into batches, each starting at a forward call."""
        out = []
        for entry in entries:
            if entry[0] == "forward":
                out.append([])
            if not out:
                raise Fail(f"the Learner called {entry[0]} before the model's forward")
            out[-1].append(entry)
        return out

    def batch_pattern(self, batch):
        return [entry[0] if entry[0] != "update" else f"update {entry[1]}" for entry in batch]

    def epochs_of(self, job_id, entries):
        n, bs, epochs, _ = FITS[job_id]
        per_epoch = -(-n // bs)
        all_batches = self.batches(entries)
        if len(all_batches) != per_epoch * epochs:
            sizes = [len(b[0][1]) for b in all_batches]
            raise Fail(f"N={n}, bs={bs}, {epochs} epochs: expected {per_epoch * epochs} batches "
                       f"({per_epoch} per epoch), the model saw {len(all_batches)} of sizes "
                       f"{sizes}")
        return [all_batches[e * per_epoch:(e + 1) * per_epoch] for e in range(epochs)]

    def fit_batch(self, results):
        r, entries = self.log(results, "fit_batch")
        want = ["forward", "loss", "backward"] + [f"update {i}" for i in range(NPARAMS)]
        got = self.batch_pattern(entries)
        if got != want:
            raise Fail(f"fit_batch made the calls {got}, expected {want}")
        X, Y = self.given["fit_batch"]
        if entries[0][1] != list(range(len(X))) or entries[1][1] != entries[1][2] or \
                entries[1][1] != list(range(len(X))):
            raise Fail("the loss must receive the model's prediction for X and the targets Y")
        if not entries[2][2]:
            raise Fail("backward must receive the gradient the loss returned")
        returned = array(r, protocol.RETURNED, "fit_batch's return value")
        compare(returned, np.mean(Y[:, 1]), "fit_batch's return value (the batch loss)")
        return "forward, loss, backward, one update per parameter, loss returned"

    def every_sample(self, results):
        for job_id in ("fit", "fit_even", "fit_one_batch"):
            n = FITS[job_id][0]
            _, entries = self.log(results, job_id)
            for e, epoch in enumerate(self.epochs_of(job_id, entries)):
                seen = sorted(i for batch in epoch for i in batch[0][1])
                if seen != list(range(n)):
                    missing = sorted(set(range(n)) - set(seen))
                    raise Fail(f"epoch {e + 1} of N={n}: samples missing {missing[:10]}, "
                               f"{len(seen) - len(set(seen))} repeated")
        return "each sample exactly once per epoch"

    def paired(self, results):
        for job_id in ("fit", "fit_even"):
            _, entries = self.log(results, job_id)
            for entry in entries:
                if entry[0] == "loss" and entry[1] != entry[2]:
                    raise Fail("inputs and targets were shuffled differently: row i of X must "
                               "stay with row i of Y")
        return "inputs stay with their targets"

    def sizes(self, results):
        for job_id in ("fit", "fit_even", "fit_one_batch"):
            n, bs, _, _ = FITS[job_id]
            want = [bs] * (n // bs) + ([n % bs] if n % bs else [])
            _, entries = self.log(results, job_id)
            for epoch in self.epochs_of(job_id, entries):
                got = [len(batch[0][1]) for batch in epoch]
                if got != want:
                    raise Fail(f"N={n}, bs={bs}: batch sizes {got}, expected {want}")
        return "batches of bs, the last one partial"

    def shuffles(self, results):
        _, first = self.log(results, "fit")
        _, again = self.log(results, "fit_again")
        orders = [[i for batch in epoch for i in batch[0][1]]
                  for epoch in self.epochs_of("fit", first)]
        if all(order == orders[0] for order in orders) or orders[0] == sorted(orders[0]):
            raise Fail("the samples came in the same order every epoch (or unshuffled)")
        again_orders = [[i for batch in epoch for i in batch[0][1]]
                        for epoch in self.epochs_of("fit", again)]
        if again_orders != orders:
            raise Fail("two fits with the same rng seed visited the samples in different "
                       "orders: shuffle with the rng argument (np.random.default_rng(rng))")
        return "a new order each epoch, reproducible from rng"

    def order(self, results):
        want = ["forward", "loss", "backward"] + [f"update {i}" for i in range(NPARAMS)]
        for job_id in ("fit", "fit_even"):
            _, entries = self.log(results, job_id)
            for k, batch in enumerate(self.batches(entries)):
                if self.batch_pattern(batch) != want:
                    raise Fail(f"batch {k + 1}: calls {self.batch_pattern(batch)}, expected {want}")
                if not batch[2][2]:
                    raise Fail("backward must receive the gradient the loss returned")
        return "forward, loss, backward, then one update per parameter, every batch"

    def losses(self, results):
        for job_id in ("fit", "fit_even", "fit_one_batch"):
            n, bs, epochs, _ = FITS[job_id]
            r, entries = self.log(results, job_id)
            _, Y = self.given[job_id]
            want = []
            for epoch in self.epochs_of(job_id, entries):
                if any(len(batch) < 2 or batch[1][0] != "loss" for batch in epoch):
                    raise Fail("every batch must call the loss right after forward")
                total = sum(np.mean(Y[batch[1][2], 1]) * len(batch[1][2]) for batch in epoch)
                want.append(total / n)
            returned = array(r, protocol.RETURNED, "fit's return value")
            if returned.shape != (epochs,):
                raise Fail(f"fit returned {returned.shape[0] if returned.ndim else 'a scalar'} "
                           f"values for {epochs} epochs: expected one mean loss per epoch")
            compare(returned, np.array(want), "the per-epoch losses fit returned", 1e-12)
        return "mean loss per epoch, weighted by batch size"

    def predict(self, results):
        r, entries = self.log(results, "predict")
        forwards = [e for e in entries if e[0] == "forward"]
        if len(forwards) != 1 or forwards[0][2] is not False:
            raise Fail("predict must call model.eval() and then forward once")
        X, _ = self.given["predict"]
        compare(array(r, protocol.PREDICTED, "predict's return value"), 2 * X,
                "predict's return value (the model's output)")
        return "eval mode, model output returned"

    def clipped(self, results):
        want = (["forward", "loss", "backward", ["clip", list(range(NPARAMS)), CLIP_NORM]]
                + [f"update {i}" for i in range(NPARAMS)])
        for job_id in CLIPPED:
            _, entries = self.log(results, job_id)
            for k, batch in enumerate(self.batches(entries)):
                got = [entry if entry[0] == "clip" else self.batch_pattern([entry])[0]
                       for entry in batch]
                if got != want:
                    raise Fail(f"with clip_norm={CLIP_NORM}, batch {k + 1} of "
                               f"{job_id.replace('clip_', '')} made the calls "
                               f"{self.calls(got)}, expected {self.calls(want)}")
        return "gradients clipped between backward and the updates, every batch"

    @staticmethod
    def calls(entries) -> list:
        """A batch's calls as feedback shows them (clip_grad_norm with its arguments)."""
        return [f"clip_grad_norm(parameters {e[1]}, {e[2]:g})" if isinstance(e, list) else e
                for e in entries]

    def checks(self) -> list[Check]:
        work = ("every_sample",)  # what a fit that never trains cannot pass
        return [
            Check(UNIT, "fit_batch runs forward, loss, backward, then updates; returns the "
                        "loss", self.fit_batch, "fit_batch", 2),
            Check(UNIT, "fit visits every sample exactly once per epoch", self.every_sample,
                  "every_sample", 2),
            Check(UNIT, "fit keeps each input row with its target", self.paired, "paired", 1,
                  needs=work),
            Check(UNIT, "fit uses batches of bs rows, the last one partial", self.sizes,
                  "sizes", 1, needs=work),
            Check(UNIT, "fit shuffles each epoch, reproducibly from its rng", self.shuffles,
                  "shuffles", 1, needs=work),
            Check(UNIT, "fit: backward before update, one update per parameter per batch",
                  self.order, "order", 1, needs=work),
            Check(UNIT, "fit returns the mean loss of each epoch, weighted by batch size",
                  self.losses, "losses", 2, needs=work),
            Check(UNIT, "predict evaluates in eval mode and returns the model's output",
                  self.predict, "predict", 1),
            Check(UNIT, "with clip_norm, the gradients are clipped after backward, before the "
                        "updates", self.clipped, "clip", 1, needs=("fit_batch",)),
        ]

    def build(self):
        return self.jobs, self.checks()


def unit_builder(unit, table):
    """The Learner's builder (it needs nothing from the course but its name)."""
    return lambda rng, ref: LearnerUnit(rng, ref).build()
