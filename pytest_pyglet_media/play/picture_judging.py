"""After a play: the pictures the player kept, judged against FFmpeg's.

The player child keeps pictures (frame_keeper.py); the judge compares them
(judge/pictures.py) but runs no process. This module, of the play stage,
does what lies between: reads the kept pictures, has FFmpeg decode the same
file frames (store/picture_reference.py, cached beside the reference), asks
the judge, and deletes the kept pictures: full pictures live only while
they are judged; the verdict keeps the numbers.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from ..core.errors import ProbeFailed, ProbeUnavailable, UnreadableRecordingError
from ..judge import analysis as an
from ..judge import pictures as judge_pictures
from ..store import picture_reference, pictures, png
from ..store.reference import Reference

def forget(path: Path) -> None:
    """Remove what a previous play left (kept pictures, the numbers of their
    comparison), before a new play writes its own."""
    for leftover in (path, pictures.partial(path)):
        try:
            os.unlink(leftover)
        except FileNotFoundError:
            pass


def judged(verdict: an.Verdict, sample_path: Path, recording_path: Path,
           ref: Reference | None, frames_path: Path | None,
           preview_path: Callable[[int], Path] | None = None,
           shared_frames: Path | None = None) -> an.Verdict:
    """`verdict` (of the recording) with the kept pictures judged, when there
    are any to judge; their numbers are kept beside the recording, for
    whoever reads it again (analysis.read), here or where it is copied, and
    a preview of the first differing pictures at `preview_path(n)`, n = 1, 2...
    FFmpeg's pictures come from `frames_path` (the session's), else
    `shared_frames` (the store's cache), else FFmpeg decodes them.

    Only finished plays that were checked against the file; audio-only
    samples and cover art keep no pictures (no video stream to compare).
    """
    pictures_path = pictures.pictures_beside(recording_path)
    checks_path = pictures.checks_beside(recording_path)
    forget(checks_path)
    for number in range(1, judge_pictures.MAX_PREVIEWS + 1):
        if preview_path is not None:
            forget(preview_path(number))
    try:
        if not pictures_path.exists():
            return verdict  # none kept (or a crash left only a partial file)
        if verdict.outcome not in (an.PERFECT, an.DEFECTS) or verdict.checked is not True \
                or ref is None or not ref.has_video or ref.video_index is None:
            return verdict
        try:
            kept = pictures.load(pictures_path)
        except UnreadableRecordingError as exc:
            return _noted(verdict, f"pictures not compared: {exc.problem}")
        times = [t for t in judge_pictures.file_times(kept, ref) if t is not None]
        try:
            decoded = picture_reference.reference_pictures(sample_path, ref.video_index, times,
                                                           frames_path, ref.video, shared_frames)
        except (ProbeUnavailable, ProbeFailed, OSError) as exc:
            return _noted(verdict, f"pictures not compared: {exc}")
        checks = judge_pictures.check(kept, ref, decoded)
        digest = pictures.recording_digest(recording_path)
        if digest is not None:
            try:
                pictures.save_checks(checks_path, digest, checks.to_builtins())
            except OSError:
                pass  # the run's verdict has them; a later reading will not
        if preview_path is not None:
            _previews(checks, kept, ref, decoded, preview_path)
        return an.with_pictures(verdict, checks)
    finally:
        forget(pictures_path)


def _previews(checks: judge_pictures.PictureChecks, kept: list[pictures.Picture],
              ref: Reference, decoded: picture_reference.Decoded,
              preview_path: Callable[[int], Path]) -> None:
    """PNG previews of the first MAX_PREVIEWS differing pictures, in the
    order checks.differing lists them (the pages number them so)."""
    by_time = dict(zip(judge_pictures.file_times(kept, ref), kept))
    for number, bad in enumerate(checks.differing[:judge_pictures.MAX_PREVIEWS], start=1):
        picture, frame = by_time.get(bad.file_time), decoded.frame(bad.file_time)
        if picture is None or frame is None:
            continue
        try:
            png.save(preview_path(number), *judge_pictures.preview(picture, frame))
        except OSError:
            return  # numbers without pictures: the pages say the preview is missing


def _noted(verdict: an.Verdict, note: str) -> an.Verdict:
    return an.with_pictures(verdict, judge_pictures.PictureChecks(note=note))
