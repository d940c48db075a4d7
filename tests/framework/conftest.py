"""The framework tests run against the reference in solutions/."""
import sys
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"
sys.path.insert(0, str(SOLUTIONS))
