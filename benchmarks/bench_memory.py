"""Peak memory of the pytest process (the controller) from 10 to 1,000 samples.

    python benchmarks/bench_memory.py [--small 10] [--large 1000] [--workers 0]

For each size, a folder of that many tiny dummy samples is played by the
plugin in a pytest subprocess with a player test double
(`--mp-player=doubles.instant_player`, tests/doubles/: it writes a
perfect synthetic 2 s recording at once, no pyglet), so a thousand samples
take minutes. A tiny plugin loaded with `-p peak_memory` (benchmarks/) writes the
controller's VmHWM (/proc/self/status) and ru_maxrss at pytest_unconfigure,
after the session's reports are written. `--workers N` runs with `-n N`
(the controller then plays nothing itself; its memory is still the one
measured). Target: growth < 50 MB from --small to --large.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: the home of every test double, the benchmarks' player double among them
DOUBLES_PARENT = ROOT / "tests"
TARGET_MB = 50.0


def env_for(out: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("PYTEST_") or k in ("DISPLAY", "WAYLAND_DISPLAY"))}
    env.pop("PYTEST_MP_SAMPLES_DIR", None)
    env.pop("pyglet_mp_samples_dir", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(DOUBLES_PARENT), str(HERE), str(ROOT),
                                                      os.environ.get("PYTHONPATH")]))
    env["MP_PEAK_MEMORY_OUT"] = str(out)
    return env


def measure(n: int, workdir: Path, workers: int) -> dict[str, float]:
    samples = workdir / f"samples_{n}"
    samples.mkdir()
    for i in range(n):
        (samples / f"sample_{i:05d}.mp4").write_bytes(b"\0" * 64)
    out = workdir / f"peak_{n}.json"
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
            "-p", "peak_memory", f"--mp-samples-dir={samples}",
            "--mp-player=doubles.instant_player", "--mp-plots=none",
            f"--junitxml={workdir / f'junit_{n}.xml'}"]
    # one play at a time per process: this measures the pytest process's own
    # memory as the corpus grows (bench_throughput.py: players at once)
    argv += ["-n", str(workers), f"--mp-players={workers}"] if workers else \
        ["-p", "no:xdist", "--mp-players=1"]
    start = time.monotonic()
    done = subprocess.run(argv, cwd=workdir, env=env_for(out), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    wall = time.monotonic() - start
    text = done.stdout.decode("utf-8", "replace")
    if done.returncode != 0 or not out.exists():
        sys.stdout.write(text[-3000:])
        raise SystemExit(f"the run with {n} samples failed (status {done.returncode})")
    data = json.loads(out.read_text())
    last = text.strip().splitlines()[-1] if text.strip() else ""
    return {"n": n, "wall": wall, "hwm_mb": data["VmHWM"] / 1024,
            "maxrss_mb": data["ru_maxrss"] / 1024, "summary": last}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=0, help="xdist workers (0: none)")
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}; nproc {os.cpu_count()}; "
          f"player double doubles.instant_player; workers {args.workers or 'none'}")
    with tempfile.TemporaryDirectory(prefix="bench_memory_") as tmp:
        results = [measure(n, Path(tmp), args.workers) for n in (args.small, args.large)]
    for r in results:
        print(f"  {r['n']:>6} samples: controller peak VmHWM {r['hwm_mb']:7.1f} MB, "
              f"ru_maxrss {r['maxrss_mb']:7.1f} MB, wall {r['wall']:6.1f} s  [{r['summary']}]")
    growth = results[1]["hwm_mb"] - results[0]["hwm_mb"]
    per_sample_kb = growth * 1024 / max(1, results[1]["n"] - results[0]["n"])
    print(f"  growth {args.small} -> {args.large}: {growth:+.1f} MB "
          f"({per_sample_kb:+.1f} kB per sample)   target: < {TARGET_MB:.0f} MB -> "
          f"{'met' if growth < TARGET_MB else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
