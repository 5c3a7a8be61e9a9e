"""Counts what a run reads and judges, per sample, in every process of the run.

Loaded into an inner pytest run with `-p mp_support.call_counts` (xdist
workers load it too: they get the same arguments). It wraps, at import,
the functions that read or judge a sample's data, and appends a line
"<what> <pid> <sample>" per call to the file named by MP_CALL_LOG:

- `reference.load`: a stored reference read (sample from its file name);
- `recording.load`: a recording read (sample from its file name);
- `judge`, `analyse`: a recording validated and judged (`judge` does not
  call `analyse`: the two together are every judgement);
- `file_checks.check`: a play checked against the file's reference.

The wrappers patch module attributes, which is where every caller looks
them up (`reference.load(...)`, never a name bound at import).
`counts(path)` reads the log back as {(what, sample): calls}, and
`counts_per_process(path)` as {(what, pid, sample): calls}.
"""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any, Callable

#: the environment variable naming the log file
LOG_ENV = "MP_CALL_LOG"

REFERENCE_LOAD = "reference.load"
RECORDING_LOAD = "recording.load"
ANALYSE = "analyse"
JUDGE = "judge"
FILE_CHECK = "file_checks.check"


def _log(what: str, sample: str) -> None:
    path = os.environ.get(LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"{what} {os.getpid()} {sample}\n")


def _sample_of_file(path: Any, suffix: str) -> str:
    name = Path(path).name
    return name[:-len(suffix)] if name.endswith(suffix) else name


def _sample_of_events(events: Any) -> str:
    """The sample a recording names (("mp.im", name) or a crash placeholder's)."""
    try:
        for event in events[:4]:
            if event[0] in ("mp.im", "crash"):
                return str(event[1])
    except (TypeError, IndexError, KeyError):
        pass
    return "?"


def _wrap(module: Any, name: str, what: str, sample_of: Callable[..., str]) -> None:
    original = getattr(module, name)
    if getattr(original, "_mp_counted", False):
        return

    def counted(*args: Any, **kwargs: Any) -> Any:
        _log(what, sample_of(*args))
        return original(*args, **kwargs)

    counted._mp_counted = True  # type: ignore[attr-defined]
    setattr(module, name, counted)


def install() -> None:
    from pytest_pyglet_media.judge import analysis, file_checks
    from pytest_pyglet_media.store import recording, reference

    _wrap(reference, "load", REFERENCE_LOAD, lambda path, *a: _sample_of_file(path, ".json"))
    _wrap(recording, "load", RECORDING_LOAD, lambda path, *a: _sample_of_file(path, ".dbg"))
    _wrap(analysis, "analyse", ANALYSE, lambda events, *a: _sample_of_events(events))
    _wrap(analysis, "judge", JUDGE, lambda events, *a: _sample_of_events(events))
    _wrap(file_checks, "check", FILE_CHECK, lambda events, *a: _sample_of_events(events))


def _lines(log: Path) -> list[tuple[str, str, str]]:
    if not log.exists():
        return []
    return [tuple(line.split(" ", 2))  # type: ignore[misc]
            for line in log.read_text(encoding="utf-8").splitlines() if line]


def counts(log: Path) -> Counter[tuple[str, str]]:
    """{(what, sample): calls}, all processes together, from a log written by the wrappers."""
    return Counter((what, sample) for what, _pid, sample in _lines(log))


def counts_per_process(log: Path) -> Counter[tuple[str, str, str]]:
    """{(what, pid, sample): calls} from a log written by the wrappers."""
    return Counter(_lines(log))


install()
