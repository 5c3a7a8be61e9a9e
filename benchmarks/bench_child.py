"""What the player child loads of this package: import time and memory, side by side.

    python benchmarks/bench_child.py [--runs 15]

A player (and the fork server it is forked from) imports
`pytest_pyglet_media.play.player`, then pyglet. Only what playing and saving
need belongs there: the judge (defect rules, the checks against the file,
ffprobe's reference) is the parent's work. This benchmark starts fresh
interpreters in turn, pair by pair, and measures in each:

  (a) child:       import pytest_pyglet_media.play.player
  (b) with judge:  the same, plus the judge, which the child does not need
                   (judge.analysis, which brings judge.file_checks and
                   store.reference): a child that loads the judge itself

and prints the median import time, the modules loaded and the peak resident
memory (ru_maxrss) of each, with the ratio child / with judge. pyglet itself
is not imported: its cost is the same on both sides and dwarfs the rest.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = r"""
import json, resource, sys, time
before = set(sys.modules)
start = time.perf_counter()
import pytest_pyglet_media.play.player
if sys.argv[1] == "judge":
    import pytest_pyglet_media.judge.analysis
seconds = time.perf_counter() - start
ours = sorted(m for m in set(sys.modules) - before if m.startswith("pytest_pyglet_media."))
print(json.dumps({"seconds": seconds, "modules": len(set(sys.modules) - before),
                  "ours": ours,
                  "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(side: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, side], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {"child": [], "judge": []}
    for _ in range(args.runs):  # in turn, so that the machine's mood hits both alike
        for side in runs:
            runs[side].append(measure(side))
    summary = {}
    for side, label in (("child", "child      (play.player)"),
                        ("judge", "with judge (+ judge.analysis)")):
        time_ms = 1000 * statistics.median(r["seconds"] for r in runs[side])
        rss = statistics.median(r["maxrss_mib"] for r in runs[side])
        modules = runs[side][0]["modules"]
        summary[side] = (time_ms, rss)
        print(f"{label:32s} import {time_ms:6.1f} ms  {modules:3d} modules  "
              f"peak {rss:5.1f} MiB  package modules: {len(runs[side][0]['ours'])}")
    print(f"ratio child / with judge: import time {summary['child'][0] / summary['judge'][0]:.2f}, "
          f"peak memory {summary['child'][1] / summary['judge'][1]:.2f}")
    print("child loads:", " ".join(runs["child"][0]["ours"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
