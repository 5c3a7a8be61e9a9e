"""Two runs on two sessions of one samples folder at the same time.

The plugin never consults or writes activation.json when --mp-session is
given, so concurrent runs cannot disturb each other.
"""
from __future__ import annotations

import subprocess
import sys

from pytest_pyglet_media.store import sessions


def test_two_sessions_play_at_the_same_time(mp):
    mp.add("a.mp4", "b.webm")
    sessions.set_active_session(mp.samples, None)
    base = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
            f"--mp-samples-dir={mp.samples}", "--mp-player=doubles.rendezvous",
            "--mp-retries=0"]
    runs = [subprocess.Popen(base + [f"--mp-session={name}"], cwd=mp.pytester.path,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            for name in ("left", "right")]
    outputs = [run.communicate(timeout=180)[0].decode() for run in runs]
    for run, output in zip(runs, outputs):
        assert run.returncode == 0, output
        assert "2 passed" in output, output
    for name in ("left", "right"):
        paths = sessions.SessionPaths(mp.samples, name)
        assert sessions.session_playlist(paths) == ["a.mp4", "b.webm"]
        assert paths.recording("a.mp4").exists() and paths.recording("b.webm").exists()
        assert "Relevant samples with perfect play: 2 / 2" in \
            paths.special_report("summary").read_text()
    assert not (mp.samples / sessions.ACTIVATION_FILE).exists()
    # hidden folders are the store's own (its reference cache), not sessions
    assert sorted(p.name for p in mp.samples.iterdir()
                  if p.is_dir() and not p.name.startswith(".")) == ["left", "right"]
