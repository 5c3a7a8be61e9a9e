"""pytest imports the plugin in every run of its environment: a run that
plays no sample loads the options and nothing more (benchmarks/bench_idle.py
times it)."""
from __future__ import annotations

import json
import subprocess
import sys

#: what importing the entry point may load of the package
IDLE_MODULES = {"pytest_pyglet_media", "pytest_pyglet_media.plugin",
                "pytest_pyglet_media.options", "pytest_pyglet_media.shards",
                "pytest_pyglet_media.core", "pytest_pyglet_media.core.errors",
                "pytest_pyglet_media.core.setting_names",
                "pytest_pyglet_media.play", "pytest_pyglet_media.play.defaults",
                "pytest_pyglet_media.play.timeouts"}


def test_the_entry_point_loads_only_the_options():
    code = ("import json, sys, pytest, pytest_pyglet_media.plugin; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('pytest_pyglet'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    loaded = set(json.loads(out))
    assert loaded <= IDLE_MODULES, sorted(loaded - IDLE_MODULES)
    assert "pytest_pyglet_media.plugin" in loaded
