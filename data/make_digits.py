"""Make data/digits.npz once from the copy of the UCI digits bundled in scikit-learn.

Run by hand (scikit-learn is needed only here):  python data/make_digits.py
The split is fixed: 1,437 training and 360 test images, stratified by class, seed 0.
"""
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

digits = load_digits()
images = digits.data.astype(np.uint8)          # (1797, 64), grey levels 0..16
labels = digits.target.astype(np.uint8)        # (1797,), classes 0..9
X_train, X_test, y_train, y_test = train_test_split(
    images, labels, test_size=360, stratify=labels, random_state=0)
out = Path(__file__).with_name("digits.npz")
np.savez_compressed(out, X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test)
print(f"wrote {out}: {len(X_train)} train, {len(X_test)} test, {out.stat().st_size} bytes")
