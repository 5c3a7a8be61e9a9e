"""How fast analysis.analyse() judges recordings (target: >= 2 M events/s on one core).

    python benchmarks/bench_analysis.py [--recordings 1000] [--seconds 120] [--fps 60]
                                        [--repeats 3] [--cpu N]

Builds synthetic recordings of `--seconds` of play at `--fps` (3 events per
frame, plus the header and the end of play), then times on one core, side by
side in the same run:

  (a) ours: pytest_pyglet_media.judge.analysis.analyse (validation + verdict);
  (b) baseline: a straightforward state iterator, written here the way
      pyglet's instrumentation.CountBads / MediaPlayerStateIterator did it
      (no pyglet import): one dict of state updated per event through the
      event table's field names, and counters read off each state.

Each side judges every recording once per repeat; the best repeat counts
(time.perf_counter). Recordings are NOT all distinct: four variants are
built once (a perfect play, one with defects, a crashed one, and one in
pyglet's own header-less form) and the same list objects are reused,
cyclically, `--recordings` times: 1000 distinct two-minute recordings would
take ~3 GB. The analysers keep no state between calls, so reuse changes no
verdict; it does keep the data warmer in the CPU caches than distinct
recordings read from disk would be, the same for both sides.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pytest_pyglet_media.core.events import EVENTS  # noqa: E402  (a plain table, no pyglet)
from pytest_pyglet_media.judge import analysis  # noqa: E402
from pytest_pyglet_media.judge.rules import EVENT_RULES  # noqa: E402

# -- synthetic recordings -------------------------------------------------------


def build_recording(seconds: float, fps: float, *, header: bool = True,
                    defects: bool = False, crashed: bool = False) -> list[tuple]:
    """What pyglet's original scripts recorded for one play: ("version", 1.1),
    ("mp.im", sample), then the Player's events (header=False: only those, as
    pyglet's BufferedLogger writes them)."""
    dt = 1.0 / fps
    n_frames = int(seconds * fps)
    events: list[tuple] = [("version", 1.1), ("mp.im", "sample.mp4")] if header else []
    events.append(("p.P._sp", 0.0))
    for i in range(n_frames):
        t = i * dt
        events.append(("p.P.ut.1.0", dt, t, t + 0.0005, t + 0.001))
        if defects and i % 997 == 500:
            events.append(("p.P.ut.1.5", t - dt))  # a late frame discarded
        if defects and i % 1499 == 700:
            events.append(("p.P.ut.1.8",))  # no image
        events.append(("p.P.ut.1.6", t))
        delay = -0.004 if defects and i % 1201 == 900 else dt  # scheduling in the past
        events.append(("p.P.ut.1.9", delay, t + dt))
    if crashed:
        return events[: len(events) * 2 // 3]
    t = n_frames * dt
    events += [("p.P.ut.1.0", dt, t, t, t + 0.001), ("p.P.ut.1.6", None),
               ("p.P.ut.1.7", 0.0333), ("p.P.oe",)]
    return events


def build_variants(seconds: float, fps: float) -> list[list[tuple]]:
    return [build_recording(seconds, fps),
            build_recording(seconds, fps, defects=True),
            build_recording(seconds, fps, crashed=True),
            build_recording(seconds, fps, header=False)]


# -- the baseline: pyglet's way ---------------------------------------------------

ANOMALIES = ("p.P.ut.1.5", "p.P.ut.1.7", "p.P.ut.1.8")
FIELDS = {name: spec.fields for name, spec in EVENTS.items()}
STATE = {"evname": None, "evnum": -1, "sample": None, "wall_time": None,
         "current_time": None, "audio_time": None, "seek_to_time": None, "pyglet_dt": None,
         "video_time": None, "rescheduling_time": None, "next_video_time": None,
         "pyglet_time": 0.0, "frame_num": 0}


def iter_states(events):
    """MediaPlayerStateIterator: the state after each event, one dict updated in place."""
    state = dict(STATE)
    for event in events:
        evname = event[0]
        state["evnum"] += 1
        state["evname"] = evname
        for name, value in zip(FIELDS[evname], event[1:]):
            state[name] = value
        if evname == "p.P.ut.1.0":
            if event[1] is not None:
                state["pyglet_time"] += event[1]
        elif evname in ("p.P.ut.1.5", "p.P.ut.1.9"):
            state["frame_num"] += 1
        yield state


def preprocessing(events):
    """CountBads.preprocessing: drop the 'video_time is None' noise at the end."""
    events = list(events)
    if (len(events) > 9 and events[-2][0] == "p.P.ut.1.7" and events[-6][0] == "p.P.ut.1.7"
            and events[-10][0] == "p.P.ut.1.7"):
        del events[-10], events[-6], events[-2]
    elif len(events) > 6 and events[-2][0] == "p.P.ut.1.7" and events[-6][0] == "p.P.ut.1.7":
        del events[-6], events[-2]
    elif len(events) > 2 and events[-2][0] == "p.P.ut.1.7":
        del events[-2]
    return events


def count_bads(events):
    """CountBads.count_bads. pyglet's condition for a scheduling in the past,
    `elif ("p.P.ut.1.9" and st["rescheduling_time"] ...)`, tested a constant
    string and so counted every event while the state held a negative time;
    this counts the p.P.ut.1.9 event itself, as was meant and as we do."""
    if events and events[0][0] == "version":
        events = events[1:]
    events = preprocessing(events)
    counters = {k: 0 for k in ANOMALIES}
    in_past = 0
    for st in iter_states(events):
        evname = st["evname"]
        if evname in counters:
            counters[evname] += 1
        elif (evname == "p.P.ut.1.9" and st["rescheduling_time"] is not None
              and st["rescheduling_time"] < 0):
            in_past += 1
    counters["scheduling_in_past"] = in_past
    return counters


def baseline_verdict(events):
    """(outcome, counts) in our terms: a play whose last event is not the end of
    play crashed (pyglet's scripts knew it from the 'crash' placeholder)."""
    counts = count_bads(events)
    named = {EVENT_RULES[k].kind if k in EVENT_RULES else k: n for k, n in counts.items() if n}
    if not events or events[-1][0] != "p.P.oe":
        return analysis.CRASHED, named
    return (analysis.DEFECTS if named else analysis.PERFECT), named


def ours_verdict(events):
    result = analysis.analyse(events)
    return result.outcome, dict(result.counts)


# -- timing -------------------------------------------------------------------------


def time_best(judge, recordings, repeats: int) -> tuple[float, list]:
    best = float("inf")
    verdicts: list = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        verdicts = [judge(events) for events in recordings]
        best = min(best, time.perf_counter() - start)
    return best, verdicts


def pin_to_one_core(cpu: int | None) -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity); single-threaded anyway"
    allowed = sorted(os.sched_getaffinity(0))
    target = allowed[-1] if cpu is None else cpu
    os.sched_setaffinity(0, {target})
    return f"pinned to CPU {target}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--fps", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: last)")
    args = parser.parse_args(argv)

    where = pin_to_one_core(args.cpu)
    variants = build_variants(args.seconds, args.fps)
    recordings = [variants[i % len(variants)] for i in range(args.recordings)]
    n_events = sum(map(len, recordings))
    print(f"Python {sys.version.split()[0]}, {where}")
    print(f"{args.recordings} recordings of {args.seconds:g} s at {args.fps:g} fps "
          f"({len(variants)} variants reused), {n_events:,} events, "
          f"best of {args.repeats}")

    t_ours, v_ours = time_best(ours_verdict, recordings, args.repeats)
    t_base, v_base = time_best(baseline_verdict, recordings, args.repeats)
    rate_ours, rate_base = n_events / t_ours, n_events / t_base
    agree = v_ours == v_base
    print(f"  ours      analysis.analyse : {rate_ours / 1e6:7.2f} M events/s ({t_ours:.2f} s)")
    print(f"  baseline  state iterator   : {rate_base / 1e6:7.2f} M events/s ({t_base:.2f} s)")
    print(f"  ratio ours/baseline        : {rate_ours / rate_base:7.2f}x")
    print(f"  verdicts agree             : {'yes' if agree else 'NO'}")
    if not agree:
        for i, (a, b) in enumerate(zip(v_ours, v_base)):
            if a != b:
                print(f"    recording {i}: ours {a}, baseline {b}")
                break
    target = 2e6
    print(f"  demand (>= {target / 1e6:g} M events/s): {'met' if rate_ours >= target else 'NOT met'}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
