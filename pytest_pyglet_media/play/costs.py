"""What one play costs the machine: the share of one CPU its player uses.

The scheduler (ahead.py) starts plays while their costs fit the CPU budget,
so that no player waits for a CPU (a waiting player shows frames late, and
its verdict would blame the sample). A sample's cost comes from its last
play in the session when there is one (`from_recording`: the CPU our player
records, `mp.cpu`), else from ffprobe's reference (`from_reference`: the
picture size times the frame rate).

Measured on the project's 2-core machine (pyglet 2.1, FFmpeg 5.1, H.264
with AAC, headless, silent audio), the player's main thread (where pyglet
decodes video) used 0.044 of a CPU at 640x360, 0.086 at 1280x720 and 0.14
at 1920x1080, all at 30 fps; an audio-only play 0.011. A straight line
through them: VIDEO_BASE + CPU_PER_MEGAPIXEL_PER_SECOND x width x height x
frame rate. Other codecs cost more or less; SAFETY covers the spread, and
the play's own measure replaces the estimate from then on.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..store.reference import Reference

#: a video play's cost besides its pixels (demuxing, audio, the event loop)
VIDEO_BASE = 0.03
#: the cost of decoding and showing a million pixels a second
CPU_PER_MEGAPIXEL_PER_SECOND = 0.0019
#: an audio-only play
AUDIO_ONLY = 0.015
#: a file ffprobe cannot describe: assume a large video (between 720p and
#: 1080p), yet below the scheduler's HEAVY_COST (ahead.py) once SAFETY is
#: applied: most such files are broken and end at once, and a heavy play
#: starts alone, so a folder of them would start one every 0.3 s. The
#: play's own measure replaces the guess from then on.
UNKNOWN = 0.13
#: the share of the player's CPU its main thread uses (`mp.cpu` measures the
#: main thread; FFmpeg's and the audio driver's threads add the rest)
MAIN_THREAD_SHARE = 0.75
#: estimates are rough: an estimate is multiplied by this before it is used
SAFETY = 1.5
#: a measured play shorter than this says little about its cost per second
MIN_MEASURED_SECONDS = 0.5
#: no single player uses more than one CPU for its main thread; never
#: estimate more than the whole machine either
MAX_COST = 1.0


def _clamp(cost: float) -> float:
    return min(MAX_COST, max(0.0, cost))


def from_reference(ref: Reference | None) -> float:
    """A play's expected cost from what ffprobe says of the file."""
    if ref is None:
        return _clamp(UNKNOWN * SAFETY)
    video = ref.video
    if video is None:
        return _clamp(AUDIO_ONLY * SAFETY)
    if not (video.width and video.height):
        return _clamp(UNKNOWN * SAFETY)
    rate = frame_rate(ref)
    megapixels_per_second = video.width * video.height * rate / 1e6
    return _clamp((VIDEO_BASE + CPU_PER_MEGAPIXEL_PER_SECOND * megapixels_per_second) * SAFETY)


def frame_rate(ref: Reference) -> float:
    """Frames a second over the video's frames (30 when they do not say)."""
    times = ref.frame_times
    if len(times) >= 2 and times[-1] > times[0]:
        return (len(times) - 1) / (times[-1] - times[0])
    return 30.0


def from_recording(events: Sequence[Any]) -> float | None:
    """A play's cost as our player measured it (None: not measured, or too
    short to tell): its main thread's CPU over the play's wall time."""
    cpu = wall = None
    for event in events[-4:]:  # mp.cpu, mp.end, p.P.oe close a recording
        if not isinstance(event, (tuple, list)) or not event:
            continue
        if event[0] == "mp.cpu" and len(event) >= 2 and _number(event[1]):
            cpu = float(event[1])
        elif event[0] == "mp.end" and len(event) >= 2 and _number(event[1]):
            wall = float(event[1])
    if cpu is None or wall is None or wall < MIN_MEASURED_SECONDS:
        return None
    return _clamp(cpu / wall / MAIN_THREAD_SHARE * SAFETY)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 \
        and value == value and value != float("inf")
