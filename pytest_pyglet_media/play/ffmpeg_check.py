"""Is FFmpeg there? Checked on the controller before anything plays.

pyglet plays media through FFmpeg's shared libraries, loaded with ctypes
(pyglet/media/codecs/ffmpeg_lib/lib*.py). Without them every play failed as
"cannot be played" and counted against the files; the run is refused up
front instead, with one line naming the libraries and the install command.

The check finds the libraries the way pyglet does on Linux (ctypes.util.
find_library, then the LD_LIBRARY_PATH folders) and on macOS (also
Homebrew's and conda's lib folders), without loading them. On Windows
pyglet also loads DLLs from places no search can know (its own folder, the
application's): nothing is checked there.
"""
from __future__ import annotations

import ctypes.util
import os
import sys
from pathlib import Path

from ..core.errors import UsageError

#: what pyglet's FFmpeg codec loads, in the order it loads them
LIBRARIES = ("avutil", "swresample", "swscale", "avcodec", "avformat")

INSTALL_HINT = "install FFmpeg: apt-get install ffmpeg (Debian, Ubuntu) or " \
               "brew install ffmpeg (macOS)"


def _folders() -> list[str]:
    folders = os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep)
    if sys.platform == "darwin":
        folders += os.environ.get("DYLD_LIBRARY_PATH", "").split(os.pathsep)
        folders += [os.path.join(os.environ.get("HOMEBREW_PREFIX", "/opt/homebrew"), "lib"),
                    "/opt/homebrew/lib", "/usr/local/lib"]
    if os.environ.get("CONDA_PREFIX"):
        folders.append(os.path.join(os.environ["CONDA_PREFIX"], "lib"))
    return [f for f in folders if f]


def locate(name: str) -> str | None:
    """Where library `name` (e.g. "avcodec") would be loaded from, or None."""
    found = ctypes.util.find_library(name)
    if found:
        return found
    suffix = ".dylib" if sys.platform == "darwin" else ".so"
    for folder in _folders():
        try:
            for entry in Path(folder).iterdir():
                if entry.name.startswith(f"lib{name}.") and suffix in entry.name:
                    return str(entry)
        except OSError:
            continue
    return None


def missing_libraries() -> list[str]:
    """FFmpeg libraries pyglet needs and cannot find (never any on Windows)."""
    if sys.platform.startswith("win") or sys.platform == "cygwin":
        return []
    return [name for name in LIBRARIES if locate(name) is None]


def require_ffmpeg() -> None:
    """UsageError with one line when FFmpeg's libraries are missing."""
    missing = missing_libraries()
    if missing:
        names = ", ".join(f"lib{name}" for name in missing)
        raise UsageError(f"FFmpeg's shared libraries are missing ({names}): pyglet cannot "
                         f"play any sample without them; {INSTALL_HINT}")
