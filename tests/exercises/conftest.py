"""These tests import the reference nn100 (for the gradient checker) and the tools package."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "solutions"))
