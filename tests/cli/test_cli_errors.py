"""Exit statuses, --help everywhere, and one-line errors.

Mostly in-process; a few runs of the real console script and of
`python -m pytest_pyglet_media` check what a shell sees.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mp_support.env import subprocess_env

from pytest_pyglet_media.cli import main as cli
from pytest_pyglet_media.store import sessions

COMMANDS = ("new", "activate", "deactivate", "protect", "status", "list", "help",
            "playmany", "retry-crashed", "summarize", "run-test-suite")


def test_every_issue_command_exists():
    assert set(COMMANDS) <= set(cli.COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(mp, command):
    r = mp(command, "--help")
    assert r.code == 0
    assert r.out.startswith(f"usage: pyglet-mp {command}")
    assert "--samples-dir" in r.out or command == "help"
    assert r.err == ""


def test_top_level_help(mp):
    r = mp("--help")
    assert r.code == 0
    assert "PYTEST_MP_SAMPLES_DIR" in r.out
    for command in COMMANDS:
        assert command in r.out


def test_no_command_prints_help_and_exits_2(mp):
    r = mp()
    assert r.code == 2
    assert "usage: pyglet-mp" in r.out and "PYTEST_MP_SAMPLES_DIR" in r.out


@pytest.mark.parametrize("argv,fragment", [
    (["frobnicate"], "frobnicate"),
    (["new"], "SESSION"),
    (["activate"], "SESSION"),
    (["new", "a", "b", "c"], "unrecognized"),
    (["list", "--bogus"], "--bogus"),
    (["status", "extra"], "extra"),
    (["--samples-dir"], "--samples-dir"),
])
def test_usage_errors_exit_2_with_one_line(mp, samples_dir, argv, fragment):
    r = mp(*argv)
    assert r.code == 2
    r.assert_one_line_error("pyglet-mp", fragment)
    assert r.out == ""


NEEDS_SAMPLES_DIR = [["new", "s"], ["activate", "s"], ["deactivate"], ["protect"], ["status"],
                     ["list"], ["playmany"], ["retry-crashed"], ["summarize"],
                     ["run-test-suite"]]


@pytest.mark.parametrize("argv", NEEDS_SAMPLES_DIR, ids=lambda a: a[0])
def test_no_samples_dir_exit_2_naming_the_variable(mp, argv, fake_versions):
    assert sessions.SAMPLES_DIR_ENV not in os.environ
    r = mp(*argv)
    assert r.code == 2
    r.assert_one_line_error(argv[0], "PYTEST_MP_SAMPLES_DIR")
    assert fake_versions == []


@pytest.mark.parametrize("argv", NEEDS_SAMPLES_DIR, ids=lambda a: a[0])
def test_samples_dir_that_is_a_file(mp, tmp_path, argv, monkeypatch):
    not_a_folder = tmp_path / "file.mp4"
    not_a_folder.write_bytes(b"x")
    monkeypatch.setenv(sessions.SAMPLES_DIR_ENV, str(not_a_folder))
    r = mp(*argv)
    assert r.code == 2
    r.assert_one_line_error("file.mp4", "not a folder")


ACTIVE_ONLY = [["protect"], ["status"], ["playmany"], ["retry-crashed"], ["summarize"],
               ["run-test-suite"]]


@pytest.mark.parametrize("argv", ACTIVE_ONLY, ids=lambda a: a[0])
def test_no_active_session_exit_2(mp, samples_dir, argv):
    r = mp(*argv)
    assert r.code == 2
    r.assert_one_line_error("no session is active", "pyglet-mp new")


@pytest.mark.parametrize("argv", ACTIVE_ONLY, ids=lambda a: a[0])
def test_active_session_missing_exit_2(mp, samples_dir, argv):
    sessions.set_active_session(samples_dir, "ghost")
    r = mp(*argv)
    assert r.code == 2
    r.assert_one_line_error("'ghost'")


@pytest.mark.parametrize("argv", ACTIVE_ONLY, ids=lambda a: a[0])
def test_active_session_with_bad_name_exit_2(mp, samples_dir, argv):
    sessions.set_active_session(samples_dir, "../elsewhere")
    r = mp(*argv)
    assert r.code == 2
    r.assert_one_line_error("session name", "'..'")


# -- the real console script --------------------------------------------------------


def _run(argv, env_extra=None, cwd=None):
    env = subprocess_env(**(env_extra or {}))  # tests/ on PYTHONPATH: the doubles
    return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_module_help_exit_0():
    done = _run([sys.executable, "-m", "pytest_pyglet_media", "--help"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: pyglet-mp")
    assert "PYTEST_MP_SAMPLES_DIR" in done.stdout


def test_console_script_without_samples_dir_exit_2(tmp_path):
    script = Path(sys.executable).with_name("pyglet-mp")
    if not script.exists():
        pytest.fail(f"no pyglet-mp console script beside {sys.executable}: "
                    "install the package (pip install -e .)")
    done = _run([str(script), "list"], cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "PYTEST_MP_SAMPLES_DIR" in lines[0]
    assert done.stdout == ""


def test_module_exit_1_when_a_sample_crashes(tmp_path, h):
    """The whole path a shell sees: new, then playmany with the crash double."""
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / "boom.mp4").write_bytes(b"x")
    env = {sessions.SAMPLES_DIR_ENV: str(samples)}
    # `new` captures the real versions here (the player's --info, well under 1 s)
    done = _run([sys.executable, "-m", "pytest_pyglet_media", "new", "s1"], env)
    assert done.returncode == 0, done.stderr
    done = _run([sys.executable, "-m", "pytest_pyglet_media", "playmany", "--", "-q",
                 f"--mp-player={h.CRASH}", "--mp-retries=0"], env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "boom.mp4" in done.stdout
    done = _run([sys.executable, "-m", "pytest_pyglet_media", "run-test-suite", "--", "-q",
                 f"--mp-player={h.PERFECT}"], env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "already has recordings" in done.stderr
