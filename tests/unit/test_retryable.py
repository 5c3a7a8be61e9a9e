""""Crashed or timed out" is one definition (analysis.RETRYABLE) that every
reader uses: retries, the summary, comparisons, `retry-crashed`, reports."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pytest_pyglet_media
from pytest_pyglet_media.judge import analysis as an

PACKAGE = Path(pytest_pyglet_media.__file__).parent
SOURCES = sorted(PACKAGE.rglob("*.py"))
OUTCOME_NAMES = {"CRASHED": an.CRASHED, "TIMEOUT": an.TIMEOUT}


def _outcome(node: ast.expr) -> str | None:
    """The outcome an element of a collection names: `an.CRASHED`, `CRASHED`, "crashed"."""
    if isinstance(node, ast.Attribute):
        return OUTCOME_NAMES.get(node.attr)
    if isinstance(node, ast.Name):
        return OUTCOME_NAMES.get(node.id)
    if isinstance(node, ast.Constant) and node.value in OUTCOME_NAMES.values():
        return node.value
    return None


def _collections_of_both(path: Path) -> list[int]:
    """Lines of tuples, lists and sets that hold both a crash and a timeout."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            named = {_outcome(element) for element in node.elts}
            if {an.CRASHED, an.TIMEOUT} <= named:
                lines.append(node.lineno)
    return sorted(lines)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_crashed_or_timed_out_is_spelled_out_once(path):
    found = _collections_of_both(path)
    if path == Path(an.__file__):
        assert len(found) == 1, f"analysis.py: RETRYABLE and nothing else, found lines {found}"
    else:
        assert not found, f"use analysis.RETRYABLE (lines {found})"


def test_the_checker_finds_a_second_definition(tmp_path):
    source = tmp_path / "copy.py"
    source.write_text("BAD = frozenset({an.CRASHED, an.TIMEOUT})\nOTHER = ('crashed', 'timeout')\n")
    assert _collections_of_both(source) == [1, 2]


def test_what_is_retried_is_what_is_not_relevant_for_a_crash():
    assert an.RETRYABLE == {an.CRASHED, an.TIMEOUT}
    assert an.RETRYABLE <= an.NOT_RELEVANT
