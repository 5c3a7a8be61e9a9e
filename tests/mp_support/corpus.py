"""Manifests for the corpus builder tests (unit and e2e)."""
from __future__ import annotations

import textwrap
from pathlib import Path

from pytest_pyglet_media.store.manifest import MANIFEST_NAME, Manifest, read_manifest

# A tenth of a second keeps every ffmpeg run well under 100 ms.
WAV = '["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000:duration=0.1", "-c:a", "pcm_s16le"]'
AVI = '["-f", "lavfi", "-i", "testsrc2=size=32x32:rate=5:duration=0.2", "-c:v", "mpeg4"]'


def write_manifest(folder: Path, body: str) -> Manifest:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MANIFEST_NAME
    path.write_text('[corpus]\nversion = "t1"\n' + textwrap.dedent(body), encoding="utf-8")
    return read_manifest(path)


def leftovers(folder: Path) -> list[str]:
    """Temporary files the builder failed to clean up."""
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))
