"""Bundles carry the session's references: the receiver, who may not have the
sample files, judges the recordings against the file as the run did."""
from __future__ import annotations

from mp_support import recordings

from pytest_pyglet_media.report import session_writer
from pytest_pyglet_media.store import bundle, recording
from pytest_pyglet_media.store import reference as r
from pytest_pyglet_media.store.reference import Reference, Stream


def test_a_bundle_carries_the_references(made_session, dst_dir, no_fsync):
    paths = made_session
    # 12 frames shown; the file has 14
    recording.save(paths.recording("a.mp4"), recordings.play(
        12, sample="a.mp4", dt=0.04, duration=0.56, wall_offset=0.0, end_wall=0.56))
    ref = Reference(duration=0.56, start=0.0,
                    streams=(Stream(0, "video", "h264", 0.0, 0.56),),
                    video_index=0, frame_times=tuple(round(i * 0.04, 6) for i in range(14)))
    paths.reference_dir.mkdir()
    r.save(paths.reference("a.mp4"), ref, r.file_key(paths.sample("a.mp4")))
    restored = bundle.extract_bundle(bundle.create_bundle(paths), dst_dir)
    assert r.load(restored.reference("a.mp4"))[1] == ref
    assert not restored.sample("a.mp4").exists()  # the receiver has no sample file
    result = session_writer.session_results(restored)["a.mp4"]
    assert result.verdict.counts == {"frames_not_shown": 2}
    assert result.verdict.checks.missing_frames == (0.48, 0.52)
