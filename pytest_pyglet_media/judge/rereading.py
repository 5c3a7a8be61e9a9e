"""A recording the run judged already, read again for its events, not judged again.

The per-sample reports and the timeline page need a play's events; its
verdict the run has (results.SampleResult, from the worker that played it).
The events are read once more at the end of the run, but neither validated
nor judged again while the file is the version the verdict was judged from.

Why that is safe: recordings are written atomically (a new file renamed over
the old) and read-only, so one version of a recording never changes; its
stamp (device, inode, size, mtime; core/file_stamp.py), taken before the run
read it to judge it, names that version. The same stamp now: the same events,
which that judgement validated. Another stamp (another run played the sample
since, someone replaced the file) or no stamp (the run judged no file): the
file is judged afresh, as `analysis.read` would, from the one read.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..core.errors import UnreadableRecordingError
from ..core.file_stamp import FileStamp
from ..store import recording
from ..store.reference import Reference
from . import analysis as an


def read_judged(path: Path, verdict: an.Verdict, stamp: FileStamp | None,
                reference: Callable[[], Reference | None], *,
                no_reference: str = "") -> an.ValidRecording:
    """The recording at `path` with the run's `verdict`, which judged its
    version `stamp`; a file that is no longer that version is judged against
    `reference()` (asked only then; `no_reference` says why there is none).

    UnreadableRecordingError as analysis.read; for a version the run found
    unreadable, without reading it again, with the run's reason.
    """
    now = FileStamp.of(path)  # before the read: see file_stamp.py
    unchanged = stamp is not None and now == stamp
    if unchanged and verdict.outcome == an.UNREADABLE:
        raise UnreadableRecordingError(path, verdict.reason)  # as the run found it
    events = recording.load(path)
    if unchanged:
        return an.ValidRecording(events, verdict)
    try:
        return an.judge(events, reference(), no_reference=no_reference)
    except an.RecordingProblem as problem:
        raise UnreadableRecordingError(path, str(problem)) from None
