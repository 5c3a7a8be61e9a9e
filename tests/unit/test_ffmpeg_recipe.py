"""A samples.toml recipe makes its own sample and nothing else (store/ffmpeg_recipe.py).

Each refused recipe here did, before the check, what its comment says when
the corpus builder ran it. With the real ffmpeg: tests/e2e/test_corpus_builder_ffmpeg.py.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from mp_support.corpus import write_manifest

from pytest_pyglet_media.cli.corpus_builder import build_corpus
from pytest_pyglet_media.core.errors import ManifestError
from pytest_pyglet_media.store import ffmpeg_recipe
from pytest_pyglet_media.store.manifest import read_manifest

REPOSITORY = Path(__file__).resolve().parents[2]
SINE = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000:duration=0.1"]


def _arguments(folder: Path, recipe: list[str], name: str = "a.wav") -> list[str]:
    manifest = write_manifest(folder, f'[samples."{name}"]\nffmpeg = {json.dumps(recipe)}\n')
    return ffmpeg_recipe.ffmpeg_arguments(manifest, manifest.samples[name])


def _refused(folder: Path, recipe: list[str], *words: str, name: str = "a.wav") -> str:
    with pytest.raises(ManifestError) as info:
        _arguments(folder, recipe, name)
    message = str(info.value)
    assert f"sample '{name}' key 'ffmpeg'" in message and "\n" not in message
    for word in words:
        assert word in message, message
    return message


def test_the_demo_corpus_recipes_are_allowed_unchanged():
    manifest = read_manifest(REPOSITORY / "samples.toml")
    recipes = [spec for spec in manifest.samples.values() if spec.ffmpeg is not None]
    assert len(recipes) > 10
    for spec in recipes:
        assert ffmpeg_recipe.ffmpeg_arguments(manifest, spec) == list(spec.ffmpeg)


def test_an_extra_output_is_refused_and_nothing_is_built(tmp_path):
    target = tmp_path / "venv" / "evil.pth"
    # ffmpeg takes every word that is no option's value for one more output
    manifest = write_manifest(tmp_path / "src", f'[samples."a.wav"]\nffmpeg = '
                              f'{json.dumps([*SINE, "-f", "wav", str(target)])}\n')
    with pytest.raises(ManifestError, match="would be one more output"):
        build_corpus(manifest, tmp_path / "dest", ffmpeg="no-such-ffmpeg")
    assert not (tmp_path / "dest").exists() and not target.parent.exists()


@pytest.mark.parametrize("recipe, words", [
    ([*SINE, "-"], ("one more output",)),                          # stdout
    ([*SINE, "-y", "-c:a", "pcm_s16le"], ("'-y'", "not one a recipe may use")),
    ([*SINE, "-report"], ("'-report'",)),                         # a log file in the cwd
    ([*SINE, "-vstats_file", "/tmp/x"], ("'-vstats_file'",)),
    ([*SINE, "-passlogfile", "/tmp/x"], ("'-passlogfile'",)),
    ([*SINE, "-x264-params", "stats=/tmp/x"], ("'-x264-params'",)),
    ([*SINE, "-flags", "+pass1"], ("'-flags'",)),                 # x264's stats in the cwd
    ([*SINE, "-attach", "/etc/passwd"], ("'-attach'",)),           # a file read into the sample
    ([*SINE, "-dump_attachment:t", "/tmp/x"], ("'-dump_attachment:t'",)),
    ([*SINE, "-/af", "/tmp/graph"], ("'-/af'",)),                 # an option read from a file
    ([*SINE, "-f", "tee"], ("output format 'tee'",)),              # tee writes anywhere
    ([*SINE, "-f", "hls"], ("output format 'hls'",)),
    ([*SINE, "-c:a", "pcm_s16le", "-c:a"], ("has no value",)),
])
def test_options_outside_the_list_and_outputs_are_refused(tmp_path, recipe, words):
    _refused(tmp_path, recipe, *words)


def test_a_sample_whose_muxer_writes_more_files_is_refused(tmp_path):
    _refused(tmp_path, SINE, "more files than the sample", name="a.m3u8")


@pytest.mark.parametrize("value, words", [
    ("/etc/passwd", ("outside the manifest's folder",)),
    ("../secret.wav", ("outside the manifest's folder",)),
    ("file:/etc/passwd", ("URL or protocol",)),
    ("http://example.invalid/a.wav", ("URL or protocol",)),
    ("concat:a.wav|/etc/passwd", ("URL or protocol",)),
    ("", ("URL or protocol",)),
])
def test_inputs_are_files_of_the_manifests_folder_only(tmp_path, value, words):
    _refused(tmp_path, ["-i", value, "-c:a", "pcm_s16le"], *words)


def test_a_link_out_of_the_manifests_folder_is_refused(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "in.wav").symlink_to("/etc/passwd")
    _refused(folder, ["-i", "in.wav"], "outside the manifest's folder")


def test_an_input_of_another_format_than_lavfi_is_refused(tmp_path):
    (tmp_path / "list.txt").write_text("file '/etc/passwd'\n")
    _refused(tmp_path, ["-f", "concat", "-safe", "0", "-i", "list.txt"], "'-safe'")
    _refused(tmp_path, ["-f", "concat", "-i", "list.txt"], "input of format 'concat'")


def test_an_own_file_is_read_through_the_file_protocol_by_media_demuxers_only(tmp_path):
    (tmp_path / "tone.wav").write_bytes(b"RIFF")
    arguments = _arguments(tmp_path, ["-i", "tone.wav", "-c:a", "flac"], name="a.flac")
    assert arguments[-6:] == ["-format_whitelist", ",".join(ffmpeg_recipe.INPUT_FORMATS),
                              "-i", f"file:{(tmp_path / 'tone.wav').resolve()}",
                              "-c:a", "flac"][-6:]
    assert arguments[:2] == ["-protocol_whitelist", "file"]
    assert "hls" not in ffmpeg_recipe.INPUT_FORMATS and "concat" not in ffmpeg_recipe.INPUT_FORMATS


@pytest.mark.parametrize("recipe, words", [
    (["-f", "lavfi", "-i", "amovie=/etc/passwd"], ("filter 'amovie'",)),
    (["-f", "lavfi", "-i", "sine,ametadata=mode=print:file=/tmp/x"], ("filter 'ametadata'",)),
    ([*SINE, "-af", "ametadata=mode=print:file=/tmp/x"], ("filter 'ametadata'",)),
    ([*SINE, "-filter:a", "volume=2,amovie=/etc/passwd"], ("filter 'amovie'",)),
    ([*SINE, "-filter_complex", "[0:a]anull[x];movie=/etc/passwd[y]"], ("filter 'movie'",)),
    # FFmpeg unquotes a filter's name: 'movie' is movie
    (["-f", "lavfi", "-i", "'movie'=/etc/passwd"], ("is not a filter name",)),
    (["-f", "lavfi", "-i", "mo\\vie=/etc/passwd"], ("is not a filter name",)),
    (["-f", "lavfi", "-i", "testsrc2,drawtext=textfile=/etc/passwd"], ("filter 'drawtext'",)),
    (["-f", "lavfi", "-i", "life=filename=/etc/passwd"], ("filter 'life'",)),
])
def test_filters_that_touch_files_are_refused(tmp_path, recipe, words):
    _refused(tmp_path, recipe, *words)


def test_filter_names_split_as_ffmpeg_splits_a_graph():
    assert ffmpeg_recipe.filter_names(
        "testsrc2=size=320x240:rate=30[v];sine=frequency=440,volume=0.5 [a]") == \
        ["testsrc2", "sine", "volume"]
    # quoted and escaped separators stay in a filter's arguments
    assert ffmpeg_recipe.filter_names("aevalsrc='sin(1),x;y':d=1,anull") == ["aevalsrc", "anull"]
    assert ffmpeg_recipe.filter_names("aevalsrc=sin(1)\\,movie=/x") == ["aevalsrc"]
    assert ffmpeg_recipe.filter_names("[in]scale=2:2[out]") == ["scale"]
    assert ffmpeg_recipe.filter_names("split@one[a][b]") == ["split@one"]


def test_allowed_recipes_keep_their_words_in_order(tmp_path):
    recipe = [*SINE, "-t", "0.1", "-c:a", "libvorbis", "-q:a", "3", "-map_metadata", "-1",
              "-metadata:s:a:0", "language=eng", "-af", "volume=0.5,aresample=8000",
              "-f", "ogg"]
    assert _arguments(tmp_path, recipe, name="a.ogg") == recipe


def test_a_remux_pass_reads_the_first_output_and_is_held_to_the_same_list(tmp_path):
    def remux(words: list[str]) -> list[str]:
        manifest = write_manifest(tmp_path, f'[samples."a.mp4"]\nffmpeg = {json.dumps(SINE)}\n'
                                            f"remux = {json.dumps(words)}\n")
        return ffmpeg_recipe.remux_arguments(manifest, manifest.samples["a.mp4"],
                                             tmp_path / ".a.part.mp4")

    assert remux(["-c", "copy", "-metadata:s:v:0", "rotate=90"]) == [
        "-protocol_whitelist", "file", "-i", f"file:{(tmp_path / '.a.part.mp4').resolve()}",
        "-c", "copy", "-metadata:s:v:0", "rotate=90"]
    for words, problem in ((["-i", "other.mp4"], "no input of its own"),
                           (["-c", "copy", "out.mp4"], "one more output"),
                           (["-dump_attachment:t", "x"], "not one a recipe may use")):
        with pytest.raises(ManifestError, match="key 'remux'") as info:
            remux(words)
        assert problem in str(info.value)
