"""The player child and its parent agree on exit statuses and environment
names through core/exits.py alone: no module defines them again."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pytest_pyglet_media
from pytest_pyglet_media.core import exits
from pytest_pyglet_media.play import forkserver, player, runner

PACKAGE = Path(pytest_pyglet_media.__file__).parent
SHARED = {name: value for name, value in vars(exits).items() if name.isupper()}
SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if p != Path(exits.__file__))


def test_the_child_and_its_parent_read_one_definition():
    assert player.EXIT_UNPLAYABLE is exits.EXIT_UNPLAYABLE
    assert player.HEARTBEAT_ENV is runner.HEARTBEAT_ENV is exits.HEARTBEAT_ENV
    assert forkserver.EXIT_CRASHED is player.EXIT_CRASHED is exits.EXIT_CRASHED


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_defines_a_shared_name_again(path):
    tree = ast.parse(path.read_text(), str(path))
    assigned = {target.id for node in ast.walk(tree) if isinstance(node, (ast.Assign, ast.AnnAssign))
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                if isinstance(target, ast.Name)}
    assert not assigned & set(SHARED), f"defined again: {sorted(assigned & set(SHARED))}"
    names = {v for v in SHARED.values() if isinstance(v, str)}
    literals = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
    assert not literals & names, f"spelled out again: {sorted(literals & names)}"
