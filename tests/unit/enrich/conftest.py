"""Test setup for the enrich unit tests: make the repository importable."""

import sys
from pathlib import Path

# Without a project-level pytest `pythonpath` setting, pytest only puts this folder on sys.path.
_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
