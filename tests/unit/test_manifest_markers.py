"""manifest_markers.register: samples.toml's markers registered with pytest; a
marker registered nowhere refused under --strict-markers, naming the sample."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from pytest_pyglet_media import manifest_markers
from pytest_pyglet_media.core.errors import UsageError
from pytest_pyglet_media.store.manifest import parse_manifest

MANIFEST = '''[corpus]
version = "v1"
[markers]
slow = "samples longer than a minute"
[samples."a.mp4"]
markers = ["slow", "h264"]
[samples."b.mp4"]
expect = "broken"
reason = "cut"
'''


class FakeConfig:
    def __init__(self, strict: bool, markers: list[str]) -> None:
        self.ini = {"strict_markers": strict, "strict": False, "markers": list(markers)}
        self.option = SimpleNamespace(strict_markers=strict)

    def getini(self, name: str):
        return self.ini[name]

    def addinivalue_line(self, name: str, line: str) -> None:
        self.ini[name].append(line)


def test_declared_and_expectation_markers_are_registered():
    config = FakeConfig(strict=False, markers=[])
    manifest_markers.register(config, parse_manifest(MANIFEST, Path("samples.toml")))
    assert config.ini["markers"][0] == "slow: samples longer than a minute"
    assert any(line.startswith("broken: samples.toml") for line in config.ini["markers"])


def test_a_marker_registered_nowhere_is_refused_under_strict_markers():
    manifest = parse_manifest(MANIFEST, Path("samples.toml"))
    with pytest.raises(UsageError, match=r"sample 'a.mp4' has the marker 'h264'.*\[markers\]"):
        manifest_markers.register(FakeConfig(strict=True, markers=[]), manifest)
    # registered in pytest's markers ini (with its arguments shown): accepted
    manifest_markers.register(FakeConfig(strict=True, markers=["h264(profile): codec"]),
                              manifest)
