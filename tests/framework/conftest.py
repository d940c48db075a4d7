"""The framework tests run against the reference in solutions/, or against the
package root named by NN100_ROOT (how test_mutants.py shows that they catch bugs).
"""
import os
import sys
from pathlib import Path

ROOT = os.environ.get("NN100_ROOT") or str(Path(__file__).resolve().parents[2] / "solutions")
sys.path.insert(0, ROOT)
