"""The player ends a play pyglet never ends (no on_eos) a grace after the
file's end was due, keeping its events (play/player.py, play/timeouts.py).
Exercised with a stand-in for pyglet's clock and app: the real case (pyglet's
PulseAudio driver on a file whose audio stops early) plays for seconds."""
from __future__ import annotations

import types

from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.play import player, timeouts
from pytest_pyglet_media.store import recording


class FakePyglet:
    def __init__(self) -> None:
        self.scheduled: list = []
        self.exited = 0
        self.clock = types.SimpleNamespace(schedule_interval=self._schedule,
                                           unschedule=self.scheduled.remove)
        self.app = types.SimpleNamespace(exit=self._exit)

    def _schedule(self, fn, interval) -> None:
        self.scheduled.append(fn)

    def _exit(self) -> None:
        self.exited += 1

    def tick(self) -> None:
        for fn in list(self.scheduled):
            fn(0.5)


class Source:
    def __init__(self, duration) -> None:
        self.duration = duration
        self.audio = b"pcm"

    def get_audio_data(self, *args):
        return self.audio


class BufferedLogger:  # pyglet's, as far as the player's logger uses it
    def __init__(self, outfile: str) -> None:
        self.outfile, self.log_entries, self.start_wall_time = outfile, [], None
        self.now = 0.0

    def init_wall_time(self) -> None:
        self.start_wall_time = 0.0

    def rebased_wall_time(self) -> float:
        return self.now


def test_a_play_still_running_after_its_grace_is_ended_and_recorded(tmp_path):
    out = tmp_path / "clip.dbg"
    logger = player._make_logger(BufferedLogger, str(out))
    fake = FakePyglet()
    logger.init_wall_time()
    logger.log("version", 1.1)
    logger.log("mp.src", 1.2, None, (1, 16, 48000))
    logger.log("p.P._sp", 0.0)
    source = Source(1.2)
    player._watch_the_end(fake, logger, source)
    logger.now = 0.1
    assert source.get_audio_data() == b"pcm"  # the last data the source gives
    source.audio = None
    limit = 1.2 + timeouts.end_grace(1.2)
    logger.now = limit - 0.1
    fake.tick()
    assert fake.exited == 0 and not out.exists()  # not yet
    logger.now = limit
    fake.tick()
    assert fake.exited == 1 and fake.scheduled == [] and logger.closed
    events = recording.load(out)
    assert events[-1] == ("mp.noeos", limit, 1.2)
    verdict = an.analyse(events)
    assert verdict.outcome == an.DEFECTS and verdict.counts == {"no_end_of_stream": 1}


def test_a_play_that_ended_or_has_no_end_due_is_left_alone(tmp_path):
    logger = player._make_logger(BufferedLogger, str(tmp_path / "a.dbg"))
    fake = FakePyglet()
    player._watch_the_end(fake, logger, Source(None))  # no duration: no end is due
    player._watch_the_end(fake, logger, Source(float("inf")))
    assert fake.scheduled == []
    player._watch_the_end(fake, logger, Source(1.0))
    logger.init_wall_time()
    logger.closed = True  # pyglet ended it (on_eos saved the recording)
    logger.now = 60.0
    fake.tick()
    assert fake.scheduled == [] and fake.exited == 0


def test_a_source_still_giving_data_after_its_duration_plays_on(tmp_path):
    # its duration said 1 s (a VBR MP3 without a seek table): it is not hung
    logger = player._make_logger(BufferedLogger, str(tmp_path / "a.dbg"))
    fake = FakePyglet()
    source = Source(1.0)
    player._watch_the_end(fake, logger, source)
    logger.init_wall_time()
    logger.now = 1.0 + timeouts.end_grace(1.0) + 1.0
    source.get_audio_data()
    fake.tick()
    assert fake.exited == 0 and not logger.closed
    logger.now += timeouts.end_grace(1.0)  # then nothing for a grace: ended
    fake.tick()
    assert fake.exited == 1 and logger.closed


def test_the_grace_grows_with_long_files():
    assert timeouts.end_grace(1.0) == timeouts.END_GRACE_MIN
    assert timeouts.end_grace(60.0) == 30.0
