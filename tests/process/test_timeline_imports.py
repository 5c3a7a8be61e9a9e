"""report.timeline imports neither bokeh nor pyglet: checked in a fresh interpreter,
where nothing else has imported them yet (this process may have)."""
from __future__ import annotations

import subprocess
import sys


def test_importing_timeline_imports_neither_bokeh_nor_pyglet():
    code = ("import sys, pytest_pyglet_media.report.timeline; "
            "print(sorted(m for m in ('bokeh', 'pyglet') if m in sys.modules))")

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)

    assert result.stdout.strip() == "[]"
