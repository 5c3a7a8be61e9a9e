"""What a maintainer packaging the project needs.

The sdist's content is fixed by MANIFEST.in (setuptools); building it needs
a newer setuptools than the test environment's, so the rules are checked
here and `python -m build` was run by hand (see the README's Layout).
"""
from __future__ import annotations

import sys
from pathlib import Path

from _pytest.assertion.rewrite import AssertionRewriter

import pytest_pyglet_media

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_spdx_license_and_its_file():
    assert PROJECT["license"] == "BSD-3-Clause"
    assert PROJECT["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("BSD 3-Clause License")


def test_classifiers_name_status_os_and_python_versions():
    classifiers = PROJECT["classifiers"]
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    assert any(c.startswith("Operating System :: ") for c in classifiers)
    low = int(PROJECT["requires-python"].removeprefix(">=3."))
    for minor in range(low, 14):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers


def test_the_sdist_holds_what_its_tests_need():
    rules = (ROOT / "MANIFEST.in").read_text().splitlines()
    included = {word for line in rules if line.startswith("include ") for word in line.split()[1:]}
    assert {"LICENSE", "conftest.py", "samples.toml"} <= included
    assert "graft tests" in rules
    for name in included:
        assert (ROOT / name).exists(), name


def test_the_package_is_not_marked_for_assertion_rewriting():
    """pyglet-mp playmany imports the package, then runs pytest in-process:
    pytest warned it could not rewrite the already imported plugin."""
    assert AssertionRewriter.is_rewrite_disabled(pytest_pyglet_media.__doc__ or "")


def test_version_matches_the_metadata():
    assert pytest_pyglet_media.__version__ == PROJECT["version"]
