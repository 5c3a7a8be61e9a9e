"""The corpus builder, with the real ffmpeg on tiny clips (no pyglet)."""
from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from mp_support.corpus import AVI, WAV, leftovers, write_manifest

from pytest_pyglet_media.cli.corpus_builder import build_corpus
from pytest_pyglet_media.core.errors import ManifestError
from pytest_pyglet_media.store.manifest import MANIFEST_NAME

#: fails (never skips) without the ffmpeg tool: see the `ffmpeg` fixture
needs_ffmpeg = pytest.mark.usefixtures("ffmpeg")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return tmp_path / "src"


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "dest"


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


# --- building with ffmpeg -------------------------------------------------------------


@needs_ffmpeg
def test_builds_two_samples_and_copies_manifest(source: Path, dest: Path, umask_022: None) -> None:
    manifest = write_manifest(
        source,
        f"""
        [samples."tone.wav"]
        ffmpeg = {WAV}
        [samples."bars.avi"]
        ffmpeg = {AVI}
        """,
    )
    built = build_corpus(manifest, dest)
    assert built == [dest / "tone.wav", dest / "bars.avi", dest / MANIFEST_NAME]
    assert (dest / "tone.wav").read_bytes()[:4] == b"RIFF"
    assert (dest / "bars.avi").read_bytes()[8:11] == b"AVI"
    assert (dest / MANIFEST_NAME).read_bytes() == manifest.path.read_bytes()
    # Samples are meant to be shared: the umask applies, not mkstemp's 0600.
    assert (dest / "tone.wav").stat().st_mode & 0o777 == 0o644
    assert leftovers(dest) == []


@needs_ffmpeg
def test_truncate_keeps_the_fraction(source: Path, dest: Path) -> None:
    manifest = write_manifest(
        source,
        f"""
        [samples."full.wav"]
        ffmpeg = {WAV}
        [samples."half.wav"]
        ffmpeg = {WAV}
        truncate = 0.5
        expect = "broken"
        reason = "truncated"
        """,
    )
    build_corpus(manifest, dest)
    full = (dest / "full.wav").stat().st_size
    assert (dest / "half.wav").stat().st_size == int(full * 0.5)


@needs_ffmpeg
def test_remux_is_a_second_pass_writing_the_display_matrix(source: Path, dest: Path) -> None:
    manifest = write_manifest(
        source,
        """
        [samples."turned.mp4"]
        ffmpeg = ["-f", "lavfi", "-i", "testsrc2=size=32x16:rate=5:duration=0.2",
                  "-c:v", "libx264", "-preset", "ultrafast"]
        remux = ["-c", "copy", "-metadata:s:v:0", "rotate=90"]
        """,
    )
    build_corpus(manifest, dest)
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream_side_data=rotation", "-of", "csv=p=0",
                            str(dest / "turned.mp4")], capture_output=True, text=True, check=True)
    assert probe.stdout.split() == ["90"]
    assert leftovers(dest) == []


@needs_ffmpeg
def test_ffmpeg_failure_names_sample_and_stderr_and_leaves_nothing(source: Path, dest: Path) -> None:
    manifest = write_manifest(
        source,
        """
        [samples."bad.mp4"]
        ffmpeg = ["-f", "lavfi", "-i", "testsrc2=no_such_option_xyz=1"]
        """,
    )
    with pytest.raises(ManifestError) as info:
        build_corpus(manifest, dest)
    message = str(info.value)
    assert str(manifest.path) in message
    assert "'bad.mp4'" in message and "ffmpeg exited with status" in message
    assert "no_such_option_xyz" in message  # from ffmpeg's own stderr
    assert "\n" not in message
    assert not (dest / "bad.mp4").exists()
    assert leftovers(dest) == []


@needs_ffmpeg
def test_a_recipe_reads_its_own_file_and_writes_only_its_sample(tmp_path: Path) -> None:
    """An input file of the manifest's folder is read (through the file
    protocol, by a media demuxer), into a folder whose name holds a ':'
    that ffmpeg would otherwise take for a protocol."""
    source = tmp_path / "src"
    first = write_manifest(source, f'[samples."tone.wav"]\nffmpeg = {WAV}\n')
    build_corpus(first, source)
    dest = tmp_path / "a:b"
    manifest = write_manifest(source, '[samples."tone.flac"]\n'
                                      'ffmpeg = ["-i", "tone.wav", "-c:a", "flac"]\n')
    assert build_corpus(manifest, dest) == [dest / "tone.flac", dest / MANIFEST_NAME]
    assert (dest / "tone.flac").read_bytes()[:4] == b"fLaC"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a:b", "src"]
