"""A session's file and folder names are spelled in store/sessions.py only:
every other module asks SessionPaths (or the functions beside it).

The names are read from SessionPaths itself, so that a new file of the
session is checked as soon as it has a property there. Flagged outside
sessions.py: a path joined with one of the names (`/`, os.path.join,
joinpath, Path()) or with sessions.CONFIGURATION_FILE, a string that holds
one as a path segment ("../dbg/x") or begins as a comparison report's
name, a comparison or a startswith/endswith with one, and the file names
(configuration.json, 00_summary.txt ...) anywhere but in docstrings.
"""
from __future__ import annotations

import ast
from pathlib import Path, PurePosixPath

import pytest

import pytest_pyglet_media
from pytest_pyglet_media.store import sessions

PACKAGE = Path(pytest_pyglet_media.__file__).parent
SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if p != Path(sessions.__file__))

_PATHS = sessions.SessionPaths(Path("/samples"), "s")
_SAMPLE = "x.mp4"
_FILES = [_PATHS.configuration, _PATHS.playlist, _PATHS.versions, _PATHS.retry_state,
          _PATHS.samples_version, *(_PATHS.special_report(k) for k in sessions.SPECIAL_REPORTS)]
_FOLDERS = [_PATHS.dbg_dir, _PATHS.reports_dir, _PATHS.reference_dir, _PATHS.groups_dir]
#: every name a session folder holds, from SessionPaths
FILE_NAMES = {p.name for p in _FILES}
FOLDER_NAMES = {p.relative_to(_PATHS.session_dir).parts[0] for p in _FILES + _FOLDERS}
#: how the names of per-sample files end, and how comparison reports begin
SUFFIXES = {p.name[len(_SAMPLE):] for p in (_PATHS.recording(_SAMPLE), _PATHS.playing(_SAMPLE))}
PREFIXES = {sessions.comparison_file_name("<A>", "<B>").partition("<A>")[0]}
NAMES = FILE_NAMES | FOLDER_NAMES | SUFFIXES | PREFIXES
#: sessions.py's constants of a session's files, joined to a folder only there
CONSTANTS = {name for name, value in vars(sessions).items()
             if name.isupper() and isinstance(value, str) and value in FILE_NAMES}


def _texts(node: ast.AST) -> list[str]:
    """The literal text of a string constant or of an f-string's constant parts."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    return []


def _segments(text: str) -> set[str]:
    return set(PurePosixPath(text).parts) if "/" in text else {text}


def _name_of(node: ast.AST) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.body and isinstance(node.body[0], ast.Expr) and _texts(node.body[0].value):
                ids.add(id(node.body[0].value))
    return ids


def leaks(source: str) -> list[str]:
    """`line: what` of each place a session name is spelled out."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found = []

    def flag(node: ast.AST, why: str) -> None:
        found.append(f"{node.lineno}: {why}")

    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            for side in (node.left, node.right):
                for text in _texts(side):
                    if _segments(text) & NAMES:
                        flag(node, f"joins {text!r}")
                if _name_of(side) in CONSTANTS:
                    flag(node, f"joins {_name_of(side)}")
        elif isinstance(node, ast.Call):
            name = _name_of(node.func)
            if name in ("join", "joinpath", "Path", "PurePath", "PurePosixPath"):
                for arg in node.args:
                    for text in _texts(arg):
                        if _segments(text) & NAMES:
                            flag(node, f"{name}() with {text!r}")
            if name in ("startswith", "endswith"):
                for arg in node.args:
                    for text in _texts(arg):
                        if text in NAMES:
                            flag(node, f"{name}({text!r})")
        elif isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                for text in _texts(side):
                    if text in NAMES:
                        flag(node, f"compares with {text!r}")
        if id(node) in docstrings:
            continue
        for text in _texts(node) if isinstance(node, (ast.Constant, ast.JoinedStr)) else []:
            if text in FILE_NAMES:
                flag(node, f"names {text!r}")
            elif text.startswith(tuple(PREFIXES)):
                flag(node, f"begins with {text!r}")
            elif "/" in text and _segments(text) & FOLDER_NAMES:
                flag(node, f"a path through {text!r}")
    return sorted(set(found))


def test_the_names_come_from_session_paths():
    assert {"configuration.json", "_versions.json", "00_summary.txt", "index.html"} <= FILE_NAMES
    assert {"dbg", "reports", "reference", "groups"} <= FOLDER_NAMES
    assert {".dbg", ".playing"} <= SUFFIXES
    assert PREFIXES == {"comparison_"}
    assert CONSTANTS == {"CONFIGURATION_FILE"}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_spells_a_session_name(path):
    assert not leaks(path.read_text()), "ask store.sessions.SessionPaths instead"


@pytest.mark.parametrize("source", [
    'x = store_dir / name / "configuration.json"',
    'x = paths.session_dir / "dbg"',
    'x = os.path.join(folder, "reports", name)',
    'x = f"../dbg/{recording_file_name(sample)}"',
    'x = any(n.endswith(".playing") for n in names)',
    'x = parts[0] == "dbg"',
    'x = p.suffix == ".dbg"',
    'x = name.startswith("comparison_")',
    'x = ("00_summary.txt", "03_pyglet_info.txt")',
    'x = folder / f"comparison_{a}_{b}.txt"',
    'x = f"comparison_group{b}_group{a}.txt"',
    'x = (store_dir / name / store.CONFIGURATION_FILE).is_file()',
])
def test_the_checker_finds_a_leak(source):
    assert leaks(source), source


@pytest.mark.parametrize("source", [
    '"""Writes reports/00_summary.txt and dbg/<sample>.dbg."""',
    'EXCLUDED = {".dbg", ".txt"}',
    'TARGETS = {"reports": ("protect_reports",)}',
    'document = {"reference": data}',
    'print("see 00_summary.txt for why")',
])
def test_the_checker_leaves_other_words_alone(source):
    assert not leaks(source), leaks(source)
