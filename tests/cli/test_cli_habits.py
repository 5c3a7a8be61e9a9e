"""pyglet-mp as other command line tools: --version, global options before the command."""
from __future__ import annotations

from pytest_pyglet_media import __version__
from pytest_pyglet_media.store import sessions


def test_version(mp):
    r = mp("--version")
    assert r.code == 0
    assert r.out.strip() == f"pyglet-mp {__version__}"


def test_samples_dir_before_the_command(mp, samples_dir, monkeypatch):
    monkeypatch.delenv(sessions.SAMPLES_DIR_ENV)
    assert mp("--samples-dir", str(samples_dir), "new", "s1").code == 0
    r = mp("--samples-dir", str(samples_dir), "list")
    assert r.code == 0 and "* s1" in r.out
    # after the command, as before
    assert "* s1" in mp("list", "--samples-dir", str(samples_dir)).out


def test_the_commands_own_samples_dir_wins(mp, samples_dir, tmp_path, monkeypatch):
    monkeypatch.delenv(sessions.SAMPLES_DIR_ENV)
    assert mp("new", "s1", "--samples-dir", str(samples_dir)).code == 0
    r = mp("--samples-dir", str(tmp_path / "nowhere"), "list", "--samples-dir", str(samples_dir))
    assert r.code == 0 and "* s1" in r.out


def test_playmany_after_a_global_option_takes_pytest_args(mp, samples_dir, h, monkeypatch):
    monkeypatch.delenv(sessions.SAMPLES_DIR_ENV)
    assert mp("--samples-dir", str(samples_dir), "new", "s1").code == 0
    r = mp("--samples-dir", str(samples_dir), "playmany", "--", "-q", f"--mp-player={h.PERFECT}")
    assert r.code == 0, r.output
    assert "3 passed" in r.out
    assert "PytestAssertRewriteWarning" not in r.output
