"""The project's own tests use pytester to run the plugin in isolated pytest runs.

tests/ goes on sys.path here, whatever the import mode, so that test modules
and conftests import the support package (tests/mp_support) and the test
doubles (tests/doubles: players, stand-ins) normally. Fixtures live in
tests/conftest.py and below.
"""
from __future__ import annotations

import sys
from pathlib import Path

pytest_plugins = ["pytester"]

TESTS_DIR = Path(__file__).resolve().parent / "tests"
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))
