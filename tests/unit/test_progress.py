"""Progress of long plays on a terminal: the text, when it shows, what it writes."""
from __future__ import annotations

import os

import pytest

from pytest_pyglet_media import progress


def test_text_with_and_without_a_duration():
    assert progress.text("clip.mp4", 12.34, 60.0) == "clip.mp4 12.3/60.0 s"
    assert progress.text("clip.mp4", 3.0, None) == "clip.mp4 3.0 s"
    assert progress.text("clip.mp4", 3.0, 0.0) == "clip.mp4 3.0 s"
    long = progress.text("x" * 100 + ".mp4", 1.0, 2.0)
    assert long == "x" * (progress.MAX_NAME - 1) + "… 1.0/2.0 s"


@pytest.mark.parametrize("isatty, hasmarkup, worker, verbosity, shown", [
    (True, True, False, 0, True),
    (True, True, False, 2, True),
    (True, True, False, -1, True),
    (True, True, False, -2, False),   # -qq: as quiet as it gets
    (False, True, False, 0, False),   # a file, a pipe, a CI log
    (True, False, False, 0, False),   # --color=no, TERM=dumb
    (True, True, True, 0, False),     # an xdist worker
])
def test_shown_only_on_a_terminal_of_the_playing_process(isatty, hasmarkup, worker,
                                                         verbosity, shown):
    assert progress.wanted(isatty=isatty, hasmarkup=hasmarkup, worker=worker,
                           verbosity=verbosity) is shown


def _read_all(fd):
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks).decode()


def _shown_once(duration, **options) -> str:
    """What a play shows once: the item begins at 100 s, every later reading
    of the clock is 112.3 s."""
    read, write = os.pipe()
    times = iter([100.0])
    with progress.Progress(write, "clip.mp4", duration, delay=0.0, interval=0.01,
                           clock=lambda: next(times, 112.3), **options) as shown:
        while not shown.shown:
            pass
    os.close(write)
    out = _read_all(read)
    os.close(read)
    return out


def test_a_long_play_writes_its_progress_then_erases_it():
    ticks = []

    def duration():
        ticks.append(1)
        return 60.0

    out = _shown_once(duration)
    assert "\x1b7\x1b[K clip.mp4 12.3/60.0 s\x1b8" in out
    assert out.endswith("\x1b[K")
    assert len(ticks) == 1  # the duration is read once it is known


def test_a_play_started_ahead_counts_from_its_own_start():
    """The item began at 100 s, its play (ahead.py) at 95 s: 17.3 s played."""
    out = _shown_once(lambda: 60.0, began=lambda: 95.0)
    assert "clip.mp4 17.3/60.0 s" in out


def test_a_short_play_writes_nothing():
    read, write = os.pipe()
    with progress.Progress(write, "clip.mp4", lambda: None, delay=30.0):
        pass
    os.close(write)
    assert _read_all(read) == ""
    os.close(read)


def test_duration_from_a_missing_or_bad_reference(tmp_path):
    assert progress.duration_from(None) is None
    assert progress.duration_from(tmp_path / "none.json") is None
    (tmp_path / "bad.json").write_text("{oops")
    assert progress.duration_from(tmp_path / "bad.json") is None
