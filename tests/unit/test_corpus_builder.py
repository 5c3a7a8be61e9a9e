"""The corpus builder without running ffmpeg: text samples, skipping, forcing, errors, main.

Building with the real ffmpeg on tiny clips: tests/e2e/test_corpus_builder_ffmpeg.py.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from mp_support.corpus import WAV, leftovers, write_manifest

from pytest_pyglet_media.cli import corpus_builder
from pytest_pyglet_media.cli.corpus_builder import build_corpus, main
from pytest_pyglet_media.core.errors import ManifestError, UsageError
from pytest_pyglet_media.store.manifest import MANIFEST_NAME, Manifest


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return tmp_path / "src"


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "dest"


# --- text, skipping, forcing ----------------------------------------------------------


def test_text_sample(source: Path, dest: Path) -> None:
    manifest = write_manifest(source, '[samples."junk.mp4"]\ntext = "not media\\n"\n')
    assert build_corpus(manifest, dest, ffmpeg="no-such-ffmpeg") == [
        dest / "junk.mp4",
        dest / MANIFEST_NAME,
    ]
    assert (dest / "junk.mp4").read_text(encoding="utf-8") == "not media\n"


def test_a_sample_in_a_subfolder_is_made_there(source: Path, dest: Path) -> None:
    manifest = write_manifest(source, '[samples."live/junk.mp4"]\ntext = "not media\\n"\n')
    build_corpus(manifest, dest)
    assert (dest / "live" / "junk.mp4").read_text() == "not media\n"


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
