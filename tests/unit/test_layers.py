"""The package's house: stages as folders, imports pointing down only.

Every import of the package's own modules is read from the source (imports
inside functions too: a lazy import is still a dependency) and checked
against the floors below. A new module goes in the folder of its stage; a
new folder needs a floor here.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pytest_pyglet_media

PACKAGE = Path(pytest_pyglet_media.__file__).parent
NAME = "pytest_pyglet_media"

#: floor of each folder ("" is the top: the pytest glue); an import may point
#: to a lower floor or within its folder, never up, nor across one floor
FLOORS = {"cli": 6, "": 5, "report": 4, "play": 4, "judge": 3, "store": 2, "core": 1}
#: what the player child and the fork server may import of the package: what
#: playing and saving need, nothing of the judge, the reports or pytest's options
CHILD = {f"{NAME}.play.player", f"{NAME}.play.forkserver"}
CHILD_MAY_IMPORT = {f"{NAME}.play.player", f"{NAME}.play.forkserver", f"{NAME}.play.procgroup",
                    f"{NAME}.play.cpu_waits", f"{NAME}.store.recording", f"{NAME}.core.atomic",
                    f"{NAME}.core.errors",
                    # when a play pyglet never ends is ended (plain arithmetic)
                    f"{NAME}.play.timeouts",
                    f"{NAME}.core.events", f"{NAME}.core.exits",
                    # keeping the pictures pyglet shows, and writing them
                    f"{NAME}.play.frame_keeper", f"{NAME}.store.pictures", f"{NAME}.core.names",
                    f"{NAME}.play.defaults"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str) -> set[str]:
    """The package's modules that `name` imports, anywhere in its code."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from X import Y`: Y is a module when X.Y is one
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in MODULES else module
                       for a in node.names]
        else:
            continue
        found.update(t for t in targets if t in MODULES and t != name)
    return found


GRAPH = {name: _imports(name) for name in MODULES}


def _folder(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in FLOORS) else ""


def test_every_folder_has_a_floor():
    folders = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert folders <= set(FLOORS), f"a folder without a floor: {sorted(folders - set(FLOORS))}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down(name):
    if name in (NAME, f"{NAME}.__main__"):
        return  # the package's face
    here = FLOORS[_folder(name)]
    upward = [target for target in GRAPH[name]
              if _folder(target) != _folder(name) and FLOORS[_folder(target)] >= here
              and target not in (NAME,)]
    assert not upward, f"{name} (floor {here}) imports {upward} on its floor or above"


def test_no_circle_of_imports():
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for target in sorted(GRAPH[name]):
            if target == NAME:
                continue
            if state.get(target) == 1:
                circle = stack[stack.index(target):] + [target]
                pytest.fail("a circle of imports: " + " -> ".join(circle))
            if target not in state:
                visit(target)
        stack.pop()
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)


def test_the_player_child_loads_only_what_playing_and_saving_need():
    seen: set[str] = set()
    todo = list(CHILD)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(t for t in GRAPH[name] if t != NAME and not t.endswith("__init__"))
    packages = {n for n in seen if MODULES[n].name == "__init__.py"}
    assert seen - packages <= CHILD_MAY_IMPORT, sorted(seen - packages - CHILD_MAY_IMPORT)


def test_the_checker_sees_imports_inside_functions():
    """The check reads lazy imports too (the layering would hide them otherwise)."""
    assert f"{NAME}.play.player" in GRAPH[f"{NAME}.play.forkserver"]
