"""What the plugin costs a pytest run that plays no sample.

    python benchmarks/bench_idle.py [--pairs 15]

pytest imports every installed plugin in every run; a project with
pytest-pyglet-media in its environment pays for it in each of its test runs.
This times a plain test file of three tests, run by `python -m pytest -q
-p no:cacheprovider` in a temporary folder, with the plugin (A) and with
`-p no:pyglet_media` (B), in turn, A B A B ..., so both meet the same
machine; each run is one fresh interpreter timed from its start to its exit.

Printed: the median wall time of A and of B, the median of the pair-by-pair
differences A - B (target <= 0.050 s) and of the ratios A / B, and the
package modules A imported (from `-X importtime`). Exit 0 whatever the
numbers: this measures, the tests judge correctness.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 0.050
TESTS = """
def test_one():
    assert 1 + 1 == 2


def test_two():
    assert "a".upper() == "A"


def test_three():
    assert sorted([3, 1, 2]) == [1, 2, 3]
"""


def env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    clean["PYTHONDONTWRITEBYTECODE"] = "1"
    return clean


def timed(argv: list[str], cwd: Path) -> float:
    start = time.monotonic()
    done = subprocess.run(argv, cwd=cwd, env=env(), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wall = time.monotonic() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout.decode()[-2000:]}")
    return wall


def imported_modules(cwd: Path) -> list[str]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "pytest", "-q",
                           "-p", "no:cacheprovider"], cwd=cwd, env=env(),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True)
    return sorted({line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
                   if "pytest_pyglet_media" in line})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_idle_") as tmp:
        folder = Path(tmp)
        (folder / "test_plain.py").write_text(TESTS)
        (folder / "pytest.ini").write_text("[pytest]\n")
        with_plugin = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        without = [*with_plugin, "-p", "no:pyglet_media"]
        timed(with_plugin, folder)  # warm the file system caches
        timed(without, folder)
        a, b = [], []
        for _ in range(max(1, args.pairs)):
            a.append(timed(with_plugin, folder))
            b.append(timed(without, folder))
        modules = imported_modules(folder)
    diff = statistics.median(x - y for x, y in zip(a, b))
    ratio = statistics.median(x / y for x, y in zip(a, b))
    print(f"{len(a)} pairs; plain pytest run of 3 tests: with the plugin {statistics.median(a):.3f} s, "
          f"without {statistics.median(b):.3f} s (medians)")
    print(f"the plugin's cost: {diff * 1000:+.1f} ms a run (median of pair differences; target "
          f"<= {TARGET_SECONDS * 1000:.0f} ms: {'met' if diff <= TARGET_SECONDS else 'NOT met'}), "
          f"ratio {ratio:.2f}")
    print(f"package modules imported by the idle run: {len(modules)}: {', '.join(modules)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
