"""A tiny GPT that makes up first names, character by character (makemore style).

The 5,163 first names of the 1990 US Census (data/names.txt, public domain; see
data/README.md), split 90/10 into training and validation names, seeded. Each name is
read as ".name." (the dot starts and ends it) and the model predicts every next character
from the ones before it: Embedding(27, 48) -> PositionalEmbedding -> 2 TransformerBlocks
(4 heads) -> LayerNorm -> Linear(48, 27), float32, AdamW 3e-3 with clipping at 1, batch
64, BLAS on one thread. Reports the validation loss (nats per character) against the
bigram model (counts with add-one smoothing: what a lookup of the previous character
alone gives), training time, and a few sampled names.

    python examples/gpt.py [--seed 0] [--epochs 12]
"""
import argparse
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from _paths import ROOT
from nn100 import (AdamWOptimizer, Embedding, LayerNorm, Learner, Linear, PositionalEmbedding,
                   Sequential, TransformerBlock, generate, softmax_cross_entropy_loss)

NAMES = ROOT / "data" / "names.txt"
ALPHABET = ".abcdefghijklmnopqrstuvwxyz"   # id 0, the dot, starts and ends a name
IGNORE = -100
EPOCHS, BS, LR, DIM, HEADS, BLOCKS = 12, 64, 3e-3, 48, 4, 2


def load_names(path: Path = NAMES) -> list[str]:
    return path.read_text().split()


def encode(names: list[str], length: int):
    """X (n, length) ids of ".name" padded with dots; Y (n, length) the next character at
    every position ("name."), IGNORE past the end."""
    X = np.zeros((len(names), length), dtype=np.int64)
    Y = np.full((len(names), length), IGNORE, dtype=np.int64)
    for row, name in enumerate(names):
        ids = [ALPHABET.index(c) for c in name]
        X[row, 1:len(ids) + 1] = ids
        Y[row, :len(ids) + 1] = ids + [0]
    return X, Y


def bigram_loss(X_train, Y_train, X_val, Y_val) -> float:
    """Validation loss of the previous-character model, add-one smoothed."""
    counts = np.ones((len(ALPHABET), len(ALPHABET)))
    kept = Y_train != IGNORE
    np.add.at(counts, (X_train[kept], Y_train[kept]), 1)
    P = counts / counts.sum(axis=1, keepdims=True)
    kept = Y_val != IGNORE
    return float(-np.mean(np.log(P[X_val[kept], Y_val[kept]])))


def gpt(length: int, rng) -> Sequential:
    f32 = np.float32
    return Sequential(Embedding(len(ALPHABET), DIM, rng=rng, dtype=f32),
                      PositionalEmbedding(length, DIM, rng=rng, dtype=f32),
                      *[TransformerBlock(DIM, HEADS, rng=rng, dtype=f32) for _ in range(BLOCKS)],
                      LayerNorm(DIM, dtype=f32), Linear(DIM, len(ALPHABET), rng=rng, dtype=f32))


def loss(Z, labels):
    return softmax_cross_entropy_loss(Z, labels, ignore_index=IGNORE)


def sample(model, count: int, length: int, rng) -> list[str]:
    """Names drawn one character at a time from the dot, cut at the next dot."""
    ids = generate(model, np.zeros((count, 1), dtype=np.int64), length, rng=rng)
    return ["".join(ALPHABET[i] for i in row[1:]).split(".")[0] for row in ids]


def main(seed: int = 0, epochs: int = EPOCHS, samples: int = 10) -> dict:
    rng = np.random.default_rng(seed)
    names = load_names()
    order = rng.permutation(len(names))
    cut = int(0.9 * len(names))
    length = max(map(len, names)) + 1
    train = [names[i] for i in order[:cut]]
    val = [names[i] for i in order[cut:]]
    (X_train, Y_train), (X_val, Y_val) = encode(train, length), encode(val, length)
    model = gpt(length, rng)
    learner = Learner(model, loss, AdamWOptimizer(LR), clip_norm=1.0)
    with threadpool_limits(limits=1):
        start = time.process_time()
        losses = learner.fit(X_train, Y_train, epochs=epochs, bs=BS, rng=seed)
        seconds = time.process_time() - start
        val_loss = loss(learner.predict(X_val), Y_val)[0]
        made = sample(model, samples, length, rng)
    result = {"losses": losses, "val_loss": val_loss, "seconds": seconds,
              "bigram_val_loss": bigram_loss(X_train, Y_train, X_val, Y_val), "samples": made,
              "new": [n for n in made if n not in set(names)]}
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args()
    r = main(args.seed, args.epochs)
    print(f"training loss per epoch: {' '.join(f'{x:.3f}' for x in r['losses'])}")
    print(f"validation loss {r['val_loss']:.3f} nats per character (bigram model "
          f"{r['bigram_val_loss']:.3f}); {r['seconds']:.1f} CPU s of training")
    print(f"samples: {', '.join(r['samples'])} ({len(r['new'])} not in the census list)")
