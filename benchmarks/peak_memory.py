"""pytest plugin for benchmarks: the controller's peak memory, written at the very end.

    PYTHONPATH=benchmarks MP_PEAK_MEMORY_OUT=FILE pytest -p peak_memory ...

At pytest_unconfigure (after the session's reports are written) it writes a
JSON line to FILE: VmHWM and VmRSS from /proc/self/status (kB) and
ru_maxrss of RUSAGE_SELF (kB on Linux). Only the controller writes: xdist
workers have `workerinput`.
"""
from __future__ import annotations

import json
import os
import resource
from typing import Any


def _status() -> dict[str, int]:
    found = {}
    try:
        with open("/proc/self/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    found[key] = int(value.split()[0])
    except OSError:
        pass
    return found


def pytest_unconfigure(config: Any) -> None:
    out = os.environ.get("MP_PEAK_MEMORY_OUT")
    if not out or hasattr(config, "workerinput"):
        return
    data: dict[str, Any] = _status()
    data["ru_maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with open(out, "w") as f:
        f.write(json.dumps(data) + "\n")
