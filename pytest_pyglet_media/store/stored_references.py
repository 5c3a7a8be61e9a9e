"""A run's reads of the session's stored references: each file read once.

A run asks for a sample's stored reference (reference.py) several times:
the collection order wants its duration, the play-ahead its cost, the
pytest-timeout limit and the progress line its duration, the play the whole
reference to judge against, the end of the run the same for the timeline
page. One `StoredReferences` per run and process answers them all from one
read of each file.

What it holds is checked against the file at every request, by its stamp
(core/file_stamp.py), a stat and no read: references are written atomically,
so a reference rewritten since (the sample changed and was probed again, by
this process or by an xdist worker) is another file version, and is read
again. A missing or unusable file is remembered too, with the same check.

The references a play is judged against come from elsewhere: the run's
ReferenceCache (reference_cache.py, `cache` here), which only probing
fills; what is read here is shown as it came (order, progress, reports).

Memory: a reference holds one float per video frame of its sample. Beyond
MAX_HELD_FRAMES frame times held in all, further references are read and
handed out but not kept, so a session of very long samples costs reads, as
before, not memory.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..core.errors import BadReferenceError
from ..core.file_stamp import FileStamp
from . import reference
from .reference import Reference
from .reference_cache import ReferenceCache

#: frame times held in all (about 32 bytes each): ~16 MB; the demo corpus's
#: 1.2 s clips hold 36 each, a 10 s clip at 30 fps 300
MAX_HELD_FRAMES = 500_000

Stored = tuple[dict[str, Any], Reference]


@dataclass(frozen=True)
class _Held:
    #: the file's stamp before it was read (None: there was no file)
    stamp: FileStamp | None
    found: Stored | BadReferenceError

    @property
    def frames(self) -> int:
        return 0 if isinstance(self.found, BadReferenceError) else len(self.found[1].frame_times)


class StoredReferences:
    """reference.load and reference.save of one run, each file read once.

    Thread-safe: plays started ahead ask from their own threads.
    """

    def __init__(self, max_frames: int = MAX_HELD_FRAMES, cache_dir: Path | None = None) -> None:
        #: the run's trusted references (memory only until use_cache_in)
        self.cache = ReferenceCache(cache_dir)
        self._held: dict[Path, _Held] = {}
        self._frames = 0
        self._max_frames = max_frames
        # held while reading, so that threads asking for one file at once read it once
        self._lock = threading.Lock()

    def use_cache_in(self, folder: Path) -> None:
        """Keep the probed references in the store's cache folder `folder`
        (sessions.reference_cache_dir), from now on."""
        if self.cache.folder != folder:
            self.cache = ReferenceCache(folder)

    def load(self, path: Path) -> Stored:
        """(key, Reference) as reference.load gives them; BadReferenceError alike."""
        path = Path(path)
        with self._lock:
            stamp = FileStamp.of(path)
            held = self._held.get(path)
            if held is None or held.stamp != stamp:
                try:
                    found: Stored | BadReferenceError = reference.load(path)
                except BadReferenceError as exc:
                    found = exc
                held = self._hold(path, _Held(stamp, found))
        if isinstance(held.found, BadReferenceError):
            raise BadReferenceError(held.found.path, held.found.problem)
        return held.found

    def save(self, path: Path, ref: Reference, key: Mapping[str, Any]) -> None:
        """reference.save, and hold what was written: the next load needs no read.

        The stamp is taken right after the write, of the file just written:
        its content is `ref`.
        """
        path = Path(path)
        reference.save(path, ref, key)
        stamp = FileStamp.of(path)
        with self._lock:
            self._hold(path, _Held(stamp, (dict(key), ref)))

    def _hold(self, path: Path, held: _Held) -> _Held:
        old = self._held.pop(path, None)
        if old is not None:
            self._frames -= old.frames
        if self._frames + held.frames <= self._max_frames:
            self._held[path] = held
            self._frames += held.frames
        return held
