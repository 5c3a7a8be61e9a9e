"""How long one play, and one item, may take.

Plain arithmetic, no pytest: the item (items.py) and the play (playback.py)
both ask here.

- One play's limit follows the sample: `DURATION_FACTOR` times its duration
  (from the ffprobe reference, known before the play) plus `MARGIN`, never
  less than `MINIMUM`. Without a duration (no ffprobe, a file ffprobe cannot
  read) it is `DEFAULT`, the limit every play had before. `--mp-timeout`
  given anywhere (command line, ini, env) overrides it.
- A hung player is caught sooner by its progress: the player touches a
  heartbeat file while new events arrive (player.py); the runner kills it
  after `--mp-stall-timeout` seconds (default 10) without one.
- A play pyglet never ends (no end of stream: pyglet's PulseAudio driver
  waits forever on a source whose audio stops early) is ended by the player
  itself `end_grace` after the file's end was due, and recorded as the
  defect it is (mp.noeos), with the events before it: neither a timeout
  that loses them nor a minute per play.
- pytest-timeout's limit for a sample item covers every play and retry.
"""
from __future__ import annotations

#: the limit when the sample's duration is unknown (and the old fixed limit)
DEFAULT = 120.0
#: a play takes its duration in real time; twice that leaves room for a slow,
#: loaded machine (late frames are judged, not killed)
DURATION_FACTOR = 2.0
#: start-up (interpreter, pyglet, GL context, audio driver) and the end of
#: stream, which do not scale with the duration
MARGIN = 30.0
#: never less: a start-up on a loaded CI machine can take several seconds,
#: and a 1 s sample must not be killed for it
MINIMUM = 60.0
#: the default --mp-stall-timeout: a playing player logs events many times a
#: second, so 10 s without one is a hang, not a slow frame
STALL_TIMEOUT = 10.0
#: a play still running this long after the file's end was due never ends:
#: at least END_GRACE_MIN seconds (measured: pyglet's PulseAudio driver on a
#: null sink ends a play 0.1-0.4 s after the file's end, and its audio may
#: start up to 1.8 s late, which the end follows) ...
END_GRACE_MIN = 5.0
#: ... and this fraction of the file's duration for a long file (a drift of
#: that much is a defect of its own, judged before)
END_GRACE_FRACTION = 0.5
#: what an item spends besides its plays (probe, judging, a fork server's
#: start: forkserver.START_TIMEOUT) on top of the plays' limits under pytest-timeout
ITEM_MARGIN = 60.0


def play_limit(given: float | None, duration: float | None) -> float:
    """One play's limit: `given` (--mp-timeout) if set, else from `duration`."""
    if given is not None:
        return given
    if duration is None or not duration > 0 or duration == float("inf"):
        return DEFAULT
    return max(MINIMUM, duration * DURATION_FACTOR + MARGIN)


def end_grace(duration: float) -> float:
    """Seconds after a `duration` s file's end was due before its play is
    ended as one pyglet never ends."""
    return max(END_GRACE_MIN, END_GRACE_FRACTION * duration)


def describe(given: float | None, duration: float | None) -> str:
    """Where a play's limit comes from, for a timeout's message."""
    limit = play_limit(given, duration)
    if given is not None:
        return f"--mp-timeout {limit:g} s"
    if duration is None or not duration > 0:
        return f"default limit {limit:g} s (duration unknown)"
    return f"limit {limit:g} s for a {duration:.1f} s sample"


def item_limit(play: float, retries: int) -> float:
    """pytest-timeout's limit for one sample item: every play, then a margin."""
    return play * (retries + 1) + ITEM_MARGIN
