"""The corpus builder, with the real ffmpeg on tiny clips (no pyglet)."""
from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_pyglet_media import corpus_builder
from pytest_pyglet_media.corpus_builder import build_corpus, main
from pytest_pyglet_media.errors import ManifestError, UsageError
from pytest_pyglet_media.manifest import MANIFEST_NAME, Manifest, read_manifest

#: fails (never skips) without the ffmpeg tool: see the `ffmpeg` fixture
needs_ffmpeg = pytest.mark.usefixtures("ffmpeg")

# A tenth of a second keeps every ffmpeg run well under 100 ms.
WAV = '["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000:duration=0.1", "-c:a", "pcm_s16le"]'
AVI = '["-f", "lavfi", "-i", "testsrc2=size=32x32:rate=5:duration=0.2", "-c:v", "mpeg4"]'


def write_manifest(folder: Path, body: str) -> Manifest:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MANIFEST_NAME
    path.write_text('[corpus]\nversion = "t1"\n' + textwrap.dedent(body), encoding="utf-8")
    return read_manifest(path)


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


def leftovers(folder: Path) -> list[str]:
    """Temporary files the builder failed to clean up."""
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


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
def test_ffmpeg_failure_names_sample_and_stderr_and_leaves_nothing(source: Path, dest: Path) -> None:
    manifest = write_manifest(
        source,
        """
        [samples."bad.mp4"]
        ffmpeg = ["-f", "lavfi", "-i", "no_such_filter_xyz"]
        """,
    )
    with pytest.raises(ManifestError) as info:
        build_corpus(manifest, dest)
    message = str(info.value)
    assert str(manifest.path) in message
    assert "'bad.mp4'" in message and "ffmpeg exited with status" in message
    assert "no_such_filter_xyz" in message  # from ffmpeg's own stderr
    assert "\n" not in message
    assert not (dest / "bad.mp4").exists()
    assert leftovers(dest) == []


# --- text, skipping, forcing ----------------------------------------------------------


def test_text_sample(source: Path, dest: Path) -> None:
    manifest = write_manifest(source, '[samples."junk.mp4"]\ntext = "not media\\n"\n')
    assert build_corpus(manifest, dest, ffmpeg="no-such-ffmpeg") == [
        dest / "junk.mp4",
        dest / MANIFEST_NAME,
    ]
    assert (dest / "junk.mp4").read_text(encoding="utf-8") == "not media\n"


def test_existing_files_are_kept_unless_force(source: Path, dest: Path) -> None:
    manifest = write_manifest(source, '[samples."a.mp4"]\ntext = "new"\n')
    dest.mkdir()
    (dest / "a.mp4").write_text("old", encoding="utf-8")
    assert build_corpus(manifest, dest) == [dest / MANIFEST_NAME]
    assert (dest / "a.mp4").read_text(encoding="utf-8") == "old"
    # The same manifest is not copied twice.
    assert build_corpus(manifest, dest) == []
    assert build_corpus(manifest, dest, force=True) == [dest / "a.mp4"]
    assert (dest / "a.mp4").read_text(encoding="utf-8") == "new"


def test_interrupted_build_leaves_no_half_file(
    source: Path, dest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = write_manifest(source, '[samples."a.mp4"]\nffmpeg = ["-i", "x"]\n')

    def half_then_interrupt(manifest: Manifest, spec: object, ffmpeg: str, output: Path) -> None:
        # What ffmpeg would have written so far, under the temporary name.
        assert output.parent == dest and output.name.startswith(".a.mp4.")
        assert output.suffix == ".mp4"  # ffmpeg picks the container from it
        output.write_bytes(b"\0" * 100)
        raise KeyboardInterrupt

    monkeypatch.setattr(corpus_builder, "find_ffmpeg", lambda program="ffmpeg": "/bin/false")
    monkeypatch.setattr(corpus_builder, "_run_ffmpeg", half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        build_corpus(manifest, dest)
    assert list(dest.iterdir()) == []


def test_failed_rebuild_keeps_the_old_file(
    source: Path, dest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = write_manifest(source, '[samples."a.mp4"]\nffmpeg = ["-i", "x"]\n')
    dest.mkdir()
    (dest / "a.mp4").write_text("old", encoding="utf-8")

    def fail(manifest: Manifest, spec: object, ffmpeg: str, output: Path) -> None:
        raise ManifestError(manifest.path, "sample 'a.mp4': ffmpeg exited with status 1")

    monkeypatch.setattr(corpus_builder, "find_ffmpeg", lambda program="ffmpeg": "/bin/false")
    monkeypatch.setattr(corpus_builder, "_run_ffmpeg", fail)
    with pytest.raises(ManifestError):
        build_corpus(manifest, dest, force=True)
    assert (dest / "a.mp4").read_text(encoding="utf-8") == "old"
    assert leftovers(dest) == []


# --- missing pieces ---------------------------------------------------------------------


def test_missing_ffmpeg_is_a_clear_error(source: Path, dest: Path) -> None:
    manifest = write_manifest(source, f'[samples."a.wav"]\nffmpeg = {WAV}\n')
    with pytest.raises(UsageError, match="cannot find the ffmpeg program 'no-such-ffmpeg'.*install FFmpeg"):
        build_corpus(manifest, dest, ffmpeg="no-such-ffmpeg")


def test_no_recipe_and_no_file(source: Path, dest: Path) -> None:
    manifest = write_manifest(source, '[samples."given.mp4"]\nexpect = "pass"\n')
    with pytest.raises(ManifestError, match="'given.mp4': no 'ffmpeg' or 'text' recipe"):
        build_corpus(manifest, dest)


def test_no_recipe_but_file_present_is_kept_even_with_force(source: Path, dest: Path) -> None:
    manifest = write_manifest(source, '[samples."given.mp4"]\nexpect = "pass"\n')
    dest.mkdir()
    (dest / "given.mp4").write_bytes(b"media")
    assert build_corpus(manifest, dest, force=True) == [dest / MANIFEST_NAME]
    assert (dest / "given.mp4").read_bytes() == b"media"


def test_manifest_in_dest_itself_is_not_copied(source: Path) -> None:
    manifest = write_manifest(source, '[samples."a.txt.mp4"]\ntext = "x"\n')
    assert build_corpus(manifest, source) == [source / "a.txt.mp4"]


def test_different_manifest_in_dest_needs_force(source: Path, dest: Path) -> None:
    manifest = write_manifest(source, '[samples."a.mp4"]\ntext = "x"\n')
    dest.mkdir()
    (dest / MANIFEST_NAME).write_text("# someone else's\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="differs from .*--force") as info:
        build_corpus(manifest, dest)
    assert info.value.path == dest / MANIFEST_NAME
    build_corpus(manifest, dest, force=True)
    assert (dest / MANIFEST_NAME).read_bytes() == manifest.path.read_bytes()


# --- command line --------------------------------------------------------------------------


def test_main_prints_one_line_per_file(source: Path, dest: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = write_manifest(source, '[samples."a.mp4"]\ntext = "x"\n[samples."b.mp4"]\ntext = "y"\n')
    assert main(["--manifest", str(manifest.path), str(dest)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == [f"wrote {dest / 'a.mp4'}", f"wrote {dest / 'b.mp4'}", f"wrote {dest / MANIFEST_NAME}"]
    assert "3 file(s) written, 0 sample(s) already present" in lines[3]
    assert main(["--manifest", str(manifest.path), str(dest)]) == 0
    assert "0 file(s) written, 2 sample(s) already present" in capsys.readouterr().out


def test_main_missing_manifest_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.toml"
    assert main(["--manifest", str(missing), str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {missing}: cannot read the manifest")
    assert err.count("\n") == 1


def test_main_bad_manifest_exits_2(source: Path, dest: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source.mkdir()
    path = source / MANIFEST_NAME
    path.write_text('[corpus]\nversion = "v"\n[samples."a.mp4"]\nexpect = "maybe"\n', encoding="utf-8")
    assert main(["--manifest", str(path), str(dest)]) == 2
    err = capsys.readouterr().err
    assert "'a.mp4'" in err and "'expect'" in err and err.count("\n") == 1


def test_main_unwritable_dest_exits_2(source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = write_manifest(source, '[samples."a.mp4"]\ntext = "x"\n')
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    assert main(["--manifest", str(manifest.path), str(blocker / "sub")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
