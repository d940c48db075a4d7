"""A class to try the similarity check on: honest students and one disguised copy.

    python -m tools.similarity_class build/similarity/submissions [--students 30] [--seed 0]

Every honest student starts from the stubs and fills each unit in one of a few ways:
the reference's own (what most students write for a two-line exercise) or one of the
correct alternatives below, chosen at random unit by unit. A student's ``reference
share`` says how often they write the reference's way: reference-like students share
most of their code with each other, as a real class does. One more student hands in a
**disguised copy** of an honest student who wrote much of their own code: local
variables renamed, functions and methods reordered, comments replaced. Names say what
each is (``s004-honest-own``, ``s031-copy-of-s004``) so a similarity report can be read
against them.
"""

from __future__ import annotations

import argparse
import ast
import io
import random
import re
import shutil
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "nn100"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"

# The reference's first line of each block the variants replace, by a short name.
FIRST_LINES = {
    "Linear.1": "Y = X @ self.weights.tensor + self.bias.tensor",
    "Linear.2": "self.weights.gradient += X.T @ D",
    "ReLU.1": "mask = X > 0",
    "ReLU.2": "return D * mask",
    "Sigmoid.1": "Y = np.exp(-np.logaddexp(0.0, -X))  # 1 / (1 + e^-X) without overflow warnings",
    "Sigmoid.2": "return D * Y * (1 - Y)",
    "Tanh": "return D * (1 - Y * Y)",
    "LeakyReLU.1": "factor = np.where(X > 0, 1.0, self.slope).astype(X.dtype)",
    "LeakyReLU.2": "return D * factor",
    "Softmax.1": "E = np.exp(X - X.max(axis=1, keepdims=True))",
    "Softmax.2": "return Y * (D - (D * Y).sum(axis=1, keepdims=True))",
    "Dropout.1": "if not self.training or self.p == 0:",
    "Dropout.2": "return D * keep",
    "Sequential.__init__": (
        "self.parameters = distinct(p for layer in layers for p in layer.parameters)"
    ),
    "Sequential.forward.1": "backwards = []",
    "Sequential.forward.2": "for layer_backward in reversed(backwards):",
    "Flatten": "Y = X.reshape(len(X), -1)",
    "Residual.1": "Y = X + inner",
    "Residual.2": "return D + inner_backward(D)",
    "Learner.fit_batch": "prediction, backward = self.model.forward(X)",
    "Learner.fit": "losses = []",
    "Learner.predict": "self.model.eval()",
    "mse_loss": "diff = Yp - Yt",
    "bce_loss": "eps = np.finfo(P.dtype).eps",
    "bce_with_logits_loss": (
        "loss = np.mean(np.maximum(Z, 0) - Yt * Z + np.log1p(np.exp(-np.abs(Z))))"
    ),
    "softmax_cross_entropy_loss": "rows = np.arange(len(labels))",
    "SGDOptimizer": "if self.weight_decay:",
    "MomentumOptimizer": "g = param.gradient#0",
    "AdamOptimizer": "g = param.gradient#1",
}

# {(file, unit): [variant, ...]}; a variant gives the body of each of the unit's solution
# blocks, by the short name of the block's first line in the reference (FIRST_LINES; a
# changed reference is an error, never a silent mismatch). A unit's blocks share local
# names (a forward's mask read by its backward), so one variant is chosen per unit.
VARIANTS: dict[tuple[str, str], list[dict[str, str]]] = {
    ("layers.py", "Linear"): [
        {
            "Linear.1": "Y = np.dot(X, self.weights.tensor) + self.bias.tensor",
            "Linear.2": (
                "W = self.weights.tensor\n"
                "self.weights.gradient += np.dot(X.T, D)\n"
                "self.bias.gradient += np.sum(D, axis=0)\n"
                "if not self.input_gradient:\n"
                "    return None\n"
                "return np.dot(D, W.T)"
            ),
        },
        {
            "Linear.1": (
                "W, b = self.weights.tensor, self.bias.tensor\nY = X.dot(W) + b[np.newaxis, :]"
            ),
            "Linear.2": (
                'dW = np.einsum("ni,no->io", X, D)\n'
                "db = D.sum(0)\n"
                "self.weights.gradient += dW\n"
                "self.bias.gradient += db\n"
                "return D.dot(W.T) if self.input_gradient else None"
            ),
        },
    ],
    ("layers.py", "ReLU"): [
        {
            "ReLU.1": "Y = np.maximum(X, 0)",
            "ReLU.2": "return np.where(X > 0, D, 0)",
        },
        {
            "ReLU.1": ("positive = (X > 0).astype(X.dtype)\nY = positive * X"),
            "ReLU.2": ("dX = positive * D\nreturn dX"),
        },
    ],
    ("layers.py", "Sigmoid"): [
        {
            "Sigmoid.1": (
                "e = np.exp(-np.abs(X))  # never overflows\n"
                "Y = np.where(X >= 0, 1 / (1 + e), e / (1 + e))"
            ),
            "Sigmoid.2": "return D * (Y - Y * Y)",
        },
        {
            "Sigmoid.1": (
                "Y = np.empty_like(X)\n"
                "pos = X >= 0\n"
                "Y[pos] = 1.0 / (1.0 + np.exp(-X[pos]))\n"
                "ez = np.exp(X[~pos])\n"
                "Y[~pos] = ez / (1.0 + ez)"
            ),
            "Sigmoid.2": ("local = Y * (1.0 - Y)\nreturn local * D"),
        },
    ],
    ("layers.py", "Tanh"): [
        {
            "Tanh": "return D * (1 - np.square(Y))",
        },
        {
            "Tanh": ("slope = 1.0 - Y ** 2\nreturn slope * D"),
        },
    ],
    ("layers.py", "LeakyReLU"): [
        {
            "LeakyReLU.1": "Y = np.where(X > 0, X, self.slope * X)",
            "LeakyReLU.2": "return np.where(X > 0, D, self.slope * D)",
        },
        {
            "LeakyReLU.1": ("negative = X <= 0\nY = X.copy()\nY[negative] *= self.slope"),
            "LeakyReLU.2": ("dX = D.copy()\ndX[negative] *= self.slope\nreturn dX"),
        },
    ],
    ("layers.py", "Softmax"): [
        {
            "Softmax.1": (
                "shifted = X - np.max(X, axis=1, keepdims=True)\n"
                "exps = np.exp(shifted)\n"
                "Y = exps / np.sum(exps, axis=1, keepdims=True)"
            ),
            "Softmax.2": ("inner = np.sum(D * Y, axis=1, keepdims=True)\nreturn Y * D - Y * inner"),
        },
        {
            "Softmax.1": ("Z = X - X.max(1)[:, None]\nY = np.exp(Z)\nY /= Y.sum(1)[:, None]"),
            "Softmax.2": ('dot = np.einsum("ij,ij->i", D, Y)[:, None]\nreturn Y * (D - dot)'),
        },
    ],
    ("layers.py", "Dropout"): [
        {
            "Dropout.1": (
                "if self.training and self.p > 0:\n"
                "    scale = (self.rng.random(X.shape) >= self.p) / (1 - self.p)\n"
                "    Y = (X * scale).astype(X.dtype)\n"
                "else:\n"
                "    return X, lambda D: D"
            ),
            "Dropout.2": "return (D * scale).astype(D.dtype)",
        },
        {
            "Dropout.1": (
                "if self.p == 0 or not self.training:\n"
                "    return X, lambda D: D\n"
                "kept = self.rng.random(X.shape) >= self.p\n"
                "Y = np.where(kept, X / (1 - self.p), 0).astype(X.dtype)"
            ),
            "Dropout.2": "return np.where(kept, D / (1 - self.p), 0).astype(D.dtype)",
        },
    ],
    ("layers.py", "Sequential.__init__"): [
        {
            "Sequential.__init__": (
                "collected = []\n"
                "for layer in layers:\n"
                "    collected.extend(layer.parameters)\n"
                "self.parameters = distinct(collected)"
            ),
        },
        {
            "Sequential.__init__": (
                "self.parameters = []\n"
                "for layer in layers:\n"
                "    for p in layer.parameters:\n"
                "        if p not in self.parameters:\n"
                "            self.parameters.append(p)"
            ),
        },
    ],
    ("layers.py", "Sequential.forward"): [
        {
            "Sequential.forward.1": (
                "closures = []\n"
                "for layer in self.layers:\n"
                "    X, back = layer.forward(X)\n"
                "    closures.insert(0, back)"
            ),
            "Sequential.forward.2": ("for back in closures:\n    D = back(D)\nreturn D"),
        },
        {
            "Sequential.forward.1": (
                "backwards = [None] * len(self.layers)\n"
                "for i, layer in enumerate(self.layers):\n"
                "    X, backwards[i] = layer.forward(X)"
            ),
            "Sequential.forward.2": (
                "for i in range(len(backwards) - 1, -1, -1):\n    D = backwards[i](D)\nreturn D"
            ),
        },
    ],
    ("conv.py", "Flatten"): [
        {
            "Flatten": (
                "Y = X.reshape(X.shape[0], -1)\n"
                "shape = X.shape\n"
                "\n"
                "def backward(D):\n"
                "    return D.reshape(shape)"
            ),
        },
        {
            "Flatten": (
                "N = X.shape[0]\n"
                "Y = np.reshape(X, (N, int(np.prod(X.shape[1:]))))\n"
                "\n"
                "def backward(D):\n"
                "    return np.reshape(D, X.shape)"
            ),
        },
    ],
    ("conv.py", "Residual"): [
        {
            "Residual.1": "Y = inner + X",
            "Residual.2": ("dX = inner_backward(D)\nreturn dX + D"),
        },
        {
            "Residual.1": "Y = np.add(X, inner)",
            "Residual.2": "return np.add(D, inner_backward(D))",
        },
    ],
    ("learner.py", "Learner.fit_batch"): [
        {
            "Learner.fit_batch": (
                "Yp, backward = self.model.forward(X)\n"
                "loss_value, dYp = self.loss(Yp, Y)\n"
                "_ = backward(dYp)\n"
                "self.model.update(self.optimizer)\n"
                "return float(loss_value)"
            ),
        },
        {
            "Learner.fit_batch": (
                "result = self.model.forward(X)\n"
                "loss, D = self.loss(result[0], Y)\n"
                "result[1](D)\n"
                "self.model.update(self.optimizer)\n"
                'return loss.item() if hasattr(loss, "item") else float(loss)'
            ),
        },
    ],
    ("learner.py", "Learner.fit"): [
        {
            "Learner.fit": (
                "history = []\n"
                "N = len(X)\n"
                "for epoch in range(epochs):\n"
                "    perm = rng.permutation(N)\n"
                "    epoch_loss = 0.0\n"
                "    i = 0\n"
                "    while i < N:\n"
                "        idx = perm[i:i + bs]\n"
                "        epoch_loss += len(idx) * self.fit_batch(X[idx], Y[idx])\n"
                "        i += bs\n"
                "    history.append(epoch_loss / N)\n"
                "return history"
            ),
        },
        {
            "Learner.fit": (
                "history = []\n"
                "for _ in range(epochs):\n"
                "    batches = np.array_split(rng.permutation(len(X)), "
                "list(range(bs, len(X), bs)))\n"
                "    weighted = [self.fit_batch(X[b], Y[b]) * len(b) for b in batches]\n"
                "    history.append(sum(weighted) / len(X))\n"
                "return history"
            ),
        },
    ],
    ("learner.py", "Learner.predict"): [
        {
            "Learner.predict": ("self.model.eval()\nreturn self.model.forward(X)[0]"),
        },
        {
            "Learner.predict": ("model = self.model.eval()\nY, _ = model.forward(X)\nreturn Y"),
        },
    ],
    ("losses.py", "mse_loss"): [
        {
            "mse_loss": (
                "loss = np.mean((Yp - Yt) ** 2)\n"
                "grad = 2.0 * (Yp - Yt) / Yp.size\n"
                "return float(loss), grad.astype(Yp.dtype)"
            ),
        },
        {
            "mse_loss": (
                "n = Yp.size\n"
                "residual = Yp - Yt\n"
                "loss = np.sum(residual ** 2) / n\n"
                "return float(loss), (2 / n) * residual"
            ),
        },
    ],
    ("losses.py", "bce_loss"): [
        {
            "bce_loss": (
                "eps = np.finfo(P.dtype).eps\n"
                "Pc = np.clip(P, eps, 1 - eps)\n"
                "n = P.size\n"
                "loss = -np.sum(Yt * np.log(Pc) + (1 - Yt) * np.log(1 - Pc)) / n\n"
                "grad = (-(Yt / Pc) + (1 - Yt) / (1 - Pc)) / n\n"
                "return float(loss), grad"
            ),
        },
        {
            "bce_loss": (
                "tiny = np.finfo(P.dtype).eps\n"
                "P = np.minimum(np.maximum(P, tiny), 1 - tiny)\n"
                "terms = Yt * np.log(P) + (1 - Yt) * np.log1p(-P)\n"
                "return float(-terms.mean()), (P - Yt) / (P * (1 - P) * P.size)"
            ),
        },
    ],
    ("losses.py", "bce_with_logits_loss"): [
        {
            "bce_with_logits_loss": (
                "softplus = np.logaddexp(0, Z)\n"
                "loss = np.mean(softplus - Yt * Z)\n"
                "prob = np.exp(Z - softplus)\n"
                "return float(loss), (prob - Yt) / Z.size"
            ),
        },
        {
            "bce_with_logits_loss": (
                "e = np.exp(-np.abs(Z))\n"
                "loss = (np.clip(Z, 0, None) - Z * Yt + np.log1p(e)).mean()\n"
                "sig = np.where(Z >= 0, 1 / (1 + e), e / (1 + e))\n"
                "return float(loss), (sig - Yt) / Z.size"
            ),
        },
    ],
    ("losses.py", "softmax_cross_entropy_loss"): [
        {
            "softmax_cross_entropy_loss": (
                "N = Z.shape[0]\n"
                "Zs = Z - np.max(Z, axis=1, keepdims=True)\n"
                "log_probs = Zs - np.log(np.sum(np.exp(Zs), axis=1, keepdims=True))\n"
                "loss = -log_probs[np.arange(N), labels].mean()\n"
                "grad = np.exp(log_probs)\n"
                "grad[np.arange(N), labels] -= 1.0\n"
                "return float(loss), grad / N"
            ),
        },
        {
            "softmax_cross_entropy_loss": (
                "onehot = np.zeros_like(Z)\n"
                "onehot[np.arange(Z.shape[0]), labels] = 1\n"
                "m = Z.max(axis=1, keepdims=True)\n"
                "lse = m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True))\n"
                "loss = np.mean(np.sum(onehot * (lse - Z), axis=1))\n"
                "probs = np.exp(Z - lse)\n"
                "return float(loss), (probs - onehot) / Z.shape[0]"
            ),
        },
    ],
    ("optimizers.py", "SGDOptimizer"): [
        {
            "SGDOptimizer": (
                "step = param.gradient + self.weight_decay * param.tensor\n"
                "param.tensor -= self.lr * step\n"
                "param.gradient[...] = 0"
            ),
        },
        {
            "SGDOptimizer": (
                "g = param.gradient\n"
                "if self.weight_decay != 0:\n"
                "    g = g + self.weight_decay * param.tensor\n"
                "param.tensor[...] = param.tensor - self.lr * g\n"
                "param.gradient *= 0"
            ),
        },
    ],
    ("optimizers.py", "MomentumOptimizer"): [
        {
            "MomentumOptimizer": (
                "grad = param.gradient + self.weight_decay * param.tensor\n"
                "vel = self.velocity.get(param)\n"
                "if vel is None:\n"
                "    vel = self.velocity[param] = np.zeros_like(param.tensor)\n"
                "vel[...] = self.momentum * vel + grad\n"
                "if self.nesterov:\n"
                "    param.tensor -= self.lr * (grad + self.momentum * vel)\n"
                "else:\n"
                "    param.tensor -= self.lr * vel\n"
                "param.gradient.fill(0)"
            ),
        },
    ],
    ("optimizers.py", "AdamOptimizer"): [
        {
            "AdamOptimizer": (
                "grad = param.gradient + self.weight_decay * param.tensor\n"
                "if param not in self.state:\n"
                "    self.state[param] = [0, np.zeros_like(param.tensor), "
                "np.zeros_like(param.tensor)]\n"
                "s = self.state[param]\n"
                "s[0] = s[0] + 1\n"
                "s[1][...] = self.beta1 * s[1] + (1 - self.beta1) * grad\n"
                "s[2][...] = self.beta2 * s[2] + (1 - self.beta2) * grad ** 2\n"
                "m_hat = s[1] / (1 - self.beta1 ** s[0])\n"
                "v_hat = s[2] / (1 - self.beta2 ** s[0])\n"
                "param.tensor -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)\n"
                "param.gradient.fill(0)"
            ),
        },
    ],
}


def _blocks(text: str):
    """[(begin, end, key)] of the solution blocks (0-based line indexes of the markers);
    the key is the block's first code line, with ``#n`` when it opens several blocks."""
    lines, found, seen, begin = text.splitlines(), [], {}, None
    for index, line in enumerate(lines):
        if line.strip() == BEGIN:
            begin = index
        elif line.strip() == END and begin is not None:
            first = next(x.strip() for x in lines[begin + 1 : index] if x.strip())
            count = seen.get(first, 0)
            seen[first] = count + 1
            found.append((begin, index, first, count))
            begin = None
    repeated = {first for first, n in seen.items() if n > 1}
    return [(b, e, f"{first}#{n}" if first in repeated else first) for b, e, first, n in found]


def write_student(
    dest: Path, choices: dict[tuple[str, str], int], rng: random.Random | None = None
) -> None:
    """The package ``dest/nn100`` as a student who filled every block: the unit's
    variant ``choices[unit]`` (1-based), or the reference's way when 0 or absent, each
    block restyled at random with ``rng`` (as written when None). The solution markers
    are dropped (students edit the stubs, which have none)."""
    package = dest / "nn100"
    shutil.copytree(SOLUTION, package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    by_file: dict[str, dict[str, str]] = {}
    for (filename, unit), variants in VARIANTS.items():
        pick = choices.get((filename, unit), 0)
        if pick:
            by_file.setdefault(filename, {}).update(
                {FIRST_LINES[short]: body for short, body in variants[pick - 1].items()}
            )
    for path in sorted(package.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        bodies = dict(by_file.get(path.name, {}))
        lines = text.splitlines()
        out, last = [], 0
        for begin, end, key in _blocks(text):
            out += lines[last:begin]
            indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
            body = bodies.pop(key, None)
            if body is None:  # the reference's way, dedented
                body = "\n".join(line[len(indent) :] for line in lines[begin + 1 : end])
            if rng is not None:
                body = restyle(body, rng)
            out += [indent + line if line else "" for line in body.splitlines()]
            last = end + 1
        out += lines[last:]
        if bodies:
            raise ValueError(
                f"similarity_class: no solution block of {path.name} begins with "
                f"{', '.join(map(repr, bodies))}; update VARIANTS"
            )
        path.write_text("\n".join(out) + "\n", encoding="utf-8")


# Small rewrites that keep what the code does, the habits that make two students' versions
# of the same idea differ: (pattern, replacement), each tried on a block with STYLE_RATE.
STYLE = [
    (
        re.compile(r"^return (?!.*lambda)(.+)$", re.MULTILINE),  # one-line returns only
        lambda m: f"answer = {m[1]}\nreturn answer" if _balanced(m[1]) else m[0],
    ),
    (re.compile(r"\b([A-Za-z_][\w.]*)\.(sum|mean)\(axis="), r"np.\2(\1, axis="),
    (re.compile(r"\(1 - "), "(1.0 - "),
    (re.compile(r"^return ([A-Za-z_]\w*) \* ([A-Za-z_]\w*)$", re.MULTILINE), r"return \2 * \1"),
    (re.compile(r"keepdims=True"), "keepdims=1"),
]
STYLE_RATE = 0.35


def _balanced(expression: str) -> bool:
    return all(expression.count(a) == expression.count(b) for a, b in ("()", "[]", "{}"))


def restyle(body: str, rng: random.Random) -> str:
    """``body`` with some of STYLE's rewrites, each applied with STYLE_RATE."""
    for pattern, replacement in STYLE:
        if rng.random() < STYLE_RATE:
            body = pattern.sub(replacement, body)
    return body


def honest_choices(rng: random.Random, reference_share: float) -> dict[tuple[str, str], int]:
    """One student's way with each unit: the reference's with ``reference_share``, else
    one of the alternatives."""
    return {
        unit: 0 if rng.random() < reference_share else rng.randrange(len(variants)) + 1
        for unit, variants in VARIANTS.items()
    }


# ---------------------------------------------------------------- the disguise

RENAMES = [
    "alpha",
    "beta_",
    "gamma_",
    "delta",
    "eta",
    "theta",
    "kappa",
    "lam",
    "mu",
    "nu",
    "xi",
    "rho",
    "sigma_",
    "tau",
    "phi",
    "chi",
    "psi",
    "omega",
]


def _local_names(source: str) -> set[str]:
    """Names assigned inside functions (locals and loop variables), never parameters,
    attributes or module names: renaming these cannot change what the code does."""
    tree = ast.parse(source)
    module_names = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    } - _function_stores(tree)
    names = _function_stores(tree) - module_names
    params = {
        a.arg
        for f in ast.walk(tree)
        if isinstance(f, (ast.FunctionDef, ast.Lambda))
        for a in f.args.args + f.args.kwonlyargs
    }
    return {n for n in names - params if n not in ("self", "_")}


def _function_stores(tree) -> set[str]:
    stores = set()
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef):
            stores |= {
                n.id
                for n in ast.walk(function)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }
    return stores


def disguise(source: str, rng: random.Random) -> str:
    """``source`` as a copier hides it: local variables renamed, comments replaced,
    top-level functions and each class's methods in another order."""
    # A name inside an f-string is not a token of its own before Python 3.12: keep those.
    in_strings = {
        word
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.STRING
        for word in re.findall(r"[A-Za-z_]\w*", tok.string)
    }
    names = sorted(_local_names(source) - in_strings)
    new_names = {name: f"{rng.choice(RENAMES)}_{i}" for i, name in enumerate(names)}
    tokens, previous = [], None
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME and tok.string in new_names and previous != ".":
            tok = tok._replace(string=new_names[tok.string])
        elif tok.type == tokenize.COMMENT:
            tok = tok._replace(
                string="# "
                + rng.choice(["step", "compute", "see notes", "todo", "works", "from lecture"])
            )
        if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            previous = tok.string
        tokens.append(tok)
    return _reorder(tokenize.untokenize(tokens), rng)


def _reorder(source: str, rng: random.Random) -> str:
    """Methods of each class shuffled; top-level functions moved after the classes."""
    tree = ast.parse(source)
    lines = source.splitlines()

    def span(node):
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        return start, node.end_lineno

    # Innermost first (classes' methods), then top-level functions to the end.
    edits = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            methods = [m for m in node.body if isinstance(m, ast.FunctionDef)]
            if len(methods) > 1 and all(
                isinstance(m, ast.FunctionDef) or m is node.body[0] for m in node.body
            ):
                first, last = span(methods[0])[0], span(methods[-1])[1]
                chunks = ["\n".join(lines[slice(*span(m))]) for m in methods]
                rng.shuffle(chunks)
                edits.append((first, last, "\n\n".join(chunks).splitlines()))
    for first, last, new in sorted(edits, reverse=True):
        lines[first:last] = new
    tree = ast.parse("\n".join(lines))
    lines = "\n".join(lines).splitlines()
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    moved = []
    for node in reversed(functions):
        start, end = span(node)
        moved.append("\n".join(lines[start:end]))
        del lines[start:end]
    rng.shuffle(moved)
    text = re.sub(r"\n{3,}", "\n\n\n", "\n".join(lines)).rstrip() + "\n"
    return text + "".join("\n\n" + chunk + "\n" for chunk in moved)


def write_copy(source_package: Path, dest: Path, rng: random.Random) -> None:
    """``dest/nn100``: ``source_package`` disguised file by file."""
    package = dest / "nn100"
    package.mkdir(parents=True)
    for path in sorted(source_package.glob("*.py")):
        (package / path.name).write_text(
            disguise(path.read_text(encoding="utf-8"), rng), encoding="utf-8"
        )


# ---------------------------------------------------------------- the class


def make_class(out: Path, students: int = 30, seed: int = 0, copies: int = 1) -> dict[str, str]:
    """Write ``students`` honest students and ``copies`` disguised copies into ``out``;
    return {copy: the student it copies}. Half the honest students are reference-like
    (each unit written the reference's way with probability 0.85), the others write
    their own way more often (0.35); the copied students are among the latter."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    own = []
    for i in range(1, students + 1):
        share = 0.85 if i % 2 else 0.35
        name = f"s{i:03d}-honest-{'ref' if share > 0.5 else 'own'}"
        write_student(out / name, honest_choices(rng, share), rng)
        if share < 0.5:
            own.append(name)
    copied = {}
    for n, original in enumerate(rng.sample(own, min(copies, len(own)))):
        name = f"s{students + n + 1:03d}-copy-of-{original[:4]}"
        write_copy(out / original / "nn100", out / name, rng)
        copied[name] = original
    return copied


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.similarity_class", description=__doc__.splitlines()[0]
    )
    parser.add_argument("out", help="folder to create, one sub-folder per student")
    parser.add_argument("--students", type=int, default=30, help="honest students")
    parser.add_argument("--copies", type=int, default=1, help="disguised copies")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out = Path(args.out)
    if out.exists():
        print(f"similarity_class: {out} exists; remove it first", file=sys.stderr)
        return 2
    copied = make_class(out, args.students, args.seed, args.copies)
    print(
        f"similarity_class: {args.students} honest students and {len(copied)} copies in {out}: "
        + ", ".join(f"{c} copies {o}" for c, o in copied.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
