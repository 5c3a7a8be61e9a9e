"""In the player child: keep a few of the pictures pyglet shows, exactly.

Which picture: the image pyglet uploads into the player's texture, as
`source.get_next_video_frame()` returns it right after update_texture logs
the frame it is about to show (p.P.ut.1.6). That is the screen's picture
without the screen: pyglet's texture is that image as uploaded (flipped
back at drawing time), and reading the texture back gives the same bytes
(measured, pyglet 2.1.19) at a far higher cost: glGetTexImage takes 5 ms for
a 1080p frame, pyglet's conversion of it to RGB 6 s, where keeping the
image costs nothing in the play's thread (below).

Which ones (MODES): "sample", the default, keeps the first picture shown,
then one a second of video time (for a play longer than MAX_SAMPLED seconds,
one every duration / MAX_SAMPLED seconds: the pictures stay few), and the
last one shown; "all" keeps every picture shown; "off" keeps none.

Cost: pyglet decodes every frame into a buffer of its own, so keeping one
is holding a reference to that buffer, not a copy. A thread writes it, raw
(store/pictures.py says why not compressed), and lets it go; the file is
renamed into place after the play (benchmarks/bench_pictures.py measures it).
"""
from __future__ import annotations

import math
import os
import queue
import sys
import threading
from pathlib import Path
from typing import Any

from ..store import pictures
from .defaults import DEFAULT_PICTURES, PICTURE_MODES

MODES = PICTURE_MODES
DEFAULT_MODE = DEFAULT_PICTURES
#: seconds of video time between two kept pictures in "sample" mode ...
EVERY_SECONDS = 1.0
#: ... but no more than about this many in one play (8 MB each at 1080p, while they are judged)
MAX_SAMPLED = 30
#: pyglet's event that names the frame update_texture is about to show
SHOWING = "p.P.ut.1.6"


class FrameKeeper:
    """Keeps the pictures one play shows, and writes them after the play."""

    def __init__(self, path: Path, mode: str = DEFAULT_MODE,
                 duration: float | None = None) -> None:
        self.path = Path(path)
        self.mode = mode
        self.every = max(EVERY_SECONDS, (duration or 0.0) / MAX_SAMPLED)
        self._file: Any = None
        self._failed = ""
        self._todo: queue.Queue[tuple[float, int, int, Any] | None] = queue.Queue()
        self._worker = threading.Thread(target=self._write, name="mp-frame-keeper",
                                        daemon=True)
        self._worker.start()
        self._last_slot: float | None = None
        self._last_kept: float | None = None
        #: the last picture shown, held (not copied) until the next one
        self._last: tuple[float, int, int, Any] | None = None

    def watch(self, source: Any, logger: Any) -> None:
        """Wrap the source's get_next_video_frame: a frame returned right
        after pyglet logged SHOWING is the one it uploads to the texture.

        Not after the recording closed: at the end of stream pyglet seeks the
        source back to 0 and shows its first frame again, after the play."""
        original = source.get_next_video_frame
        log_entries = logger.log_entries

        def get_next_video_frame(*args: Any, **kwargs: Any) -> Any:
            image = original(*args, **kwargs)
            if image is not None and log_entries and log_entries[-1][0] == SHOWING \
                    and log_entries[-1][1] is not None and not getattr(logger, "closed", False):
                self.shown(log_entries[-1][1], image)
            return image

        source.get_next_video_frame = get_next_video_frame

    def shown(self, video_time: float, image: Any) -> None:
        """pyglet is about to upload `image`, the frame at `video_time`."""
        width, height = image.width, image.height
        data = image.get_bytes("RGBA", width * 4)  # pyglet's own buffer: no copy
        frame = (float(video_time), width, height, memoryview(data).cast("B")[:width * height * 4])
        self._last = frame
        slot = math.floor(video_time / self.every)
        if self.mode == "all" or self._last_slot is None or slot > self._last_slot:
            self._last_slot = slot
            self._keep(frame)

    def _keep(self, frame: tuple[float, int, int, Any]) -> None:
        self._last_kept = frame[0]
        self._todo.put(frame)

    def _write(self) -> None:
        """The worker: each kept picture written as it comes (os.write releases the GIL)."""
        while True:
            frame = self._todo.get()
            if frame is None:
                return
            if self._failed:
                continue
            try:
                if self._file is None:
                    self._file = open(pictures.partial(self.path), "wb")
                    self._file.write(pictures.MAGIC)
                self._file.write(pictures.header(*frame[:3]))
                self._file.write(frame[3])
            except OSError as exc:
                self._failed = str(exc)

    def save(self) -> None:
        """After the play: keep the last picture shown too, and put the file in place."""
        if self._last is not None and self._last[0] != self._last_kept:
            self._keep(self._last)
        self._last = None
        self._todo.put(None)
        self._worker.join()
        if self._file is None:
            return
        try:
            self._file.close()
            if self._failed:
                raise OSError(self._failed)
            os.replace(pictures.partial(self.path), self.path)
        except OSError as exc:
            # no pictures: the play is judged without them
            print(f"pytest-pyglet-media: kept pictures not written: {exc}", file=sys.stderr)
