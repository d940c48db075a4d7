"""Let the examples import the reference nn100 from solutions/ when run as scripts."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES = Path(__file__).resolve().parent / "figures"
sys.path.insert(0, str(ROOT / "solutions"))
