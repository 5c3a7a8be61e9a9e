"""The sdist holds what its own `./run demo` and `./run test` read: built for
real with `python -m build --sdist` from a clean copy of this checkout's
tracked files (setuptools adds whatever an earlier build's egg-info lists, so
building in the checkout itself can hide a file MANIFEST.in leaves out)."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: files at the project's root that ./run reads: itself, the demo corpus's
#: manifest, the baseline ./run demo passes to --mp-baseline, the root conftest
RUN_NEEDS = ("run", "samples.toml", "samples.baseline.json", "conftest.py", "pyproject.toml")


def tracked_files(*under: str) -> list[str]:
    """The checkout's files git knows, relative to its root."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", *under],
                            capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    return [name for name in listed.stdout.split("\0") if name]


def clean_copy(dest: Path) -> Path:
    """The tracked files alone, as a fresh clone has them."""
    for name in tracked_files():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest / name)
    return dest


def build_sdist(source: Path, out: Path) -> Path:
    """The sdist of `source`, built in `out`."""
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--outdir", str(out), str(source)],
                   check=True, capture_output=True, text=True, timeout=300)
    (archive,) = out.glob("*.tar.gz")
    return archive


def members(archive: Path) -> dict[str, tarfile.TarInfo]:
    """The archive's members by path below its top folder."""
    with tarfile.open(archive) as tar:
        return {m.name.split("/", 1)[1]: m for m in tar.getmembers() if "/" in m.name}


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tarfile.TarInfo]:
    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip("not run from a source checkout")
    source = clean_copy(tmp_path_factory.mktemp("checkout"))
    return members(build_sdist(source, tmp_path_factory.mktemp("sdist")))


@pytest.mark.timeout(300)
def test_sdist_holds_what_run_demo_and_run_test_read(sdist: dict[str, tarfile.TarInfo]) -> None:
    missing = [name for name in RUN_NEEDS if name not in sdist]

    assert missing == []
    assert sdist["run"].mode & 0o111, "./run is not executable in the sdist"


@pytest.mark.timeout(300)
def test_sdist_holds_the_tests_and_the_benchmarks(sdist: dict[str, tarfile.TarInfo]) -> None:
    missing = [name for name in tracked_files("tests", "benchmarks") if name not in sdist]

    assert missing == []
