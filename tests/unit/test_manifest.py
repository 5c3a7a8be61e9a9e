"""samples.toml parsing and validation (no pyglet, no ffmpeg)."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_pyglet_media.core.errors import ManifestError
from pytest_pyglet_media.store.manifest import (
    MANIFEST_NAME,
    SAMPLE_KEYS,
    Manifest,
    SampleSpec,
    load_manifest,
    parse_manifest,
    read_manifest,
    sample_markers,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
PATH = Path("/corpus/samples.toml")
HEADER = '[corpus]\nversion = "v1"\n'


def parse(body: str) -> Manifest:
    return parse_manifest(HEADER + textwrap.dedent(body), PATH)


def parse_error(text: str) -> str:
    """The message of the ManifestError that parsing `text` raises."""
    with pytest.raises(ManifestError) as info:
        parse_manifest(textwrap.dedent(text), PATH)
    assert info.value.path == PATH
    message = str(info.value)
    assert message.startswith(f"{PATH}: ")
    return message


def sample_error(body: str) -> str:
    return parse_error(HEADER + textwrap.dedent(body))


# --- what a good manifest gives ---------------------------------------------------


def test_full_entry_is_parsed() -> None:
    manifest = parse_manifest(
        textwrap.dedent(
            """
            [corpus]
            version = "demo-1"
            description = "a corpus"

            [samples."a.mp4"]
            ffmpeg = ["-f", "lavfi", "-i", "testsrc2"]
            truncate = 0.5
            expect = "defect"
            reason = "frames discarded"
            strict = true
            description = "one line"
            """
        ),
        PATH,
    )
    assert manifest.path == PATH
    assert manifest.version == "demo-1"
    assert manifest.description == "a corpus"
    assert manifest.samples == {
        "a.mp4": SampleSpec(
            name="a.mp4",
            expect="defect",
            reason="frames discarded",
            strict=True,
            description="one line",
            ffmpeg=("-f", "lavfi", "-i", "testsrc2"),
            text=None,
            truncate=0.5,
        )
    }


def test_defaults() -> None:
    spec = parse('[samples."b.wav"]\ntext = "x"\n').samples["b.wav"]
    assert (spec.expect, spec.reason, spec.strict, spec.description) == ("pass", "", False, "")
    assert (spec.ffmpeg, spec.text, spec.truncate) == (None, "x", None)


def test_entry_without_recipe_is_allowed_at_parse_time() -> None:
    # The file may already sit in the samples folder; the builder complains.
    spec = parse('[samples."c.mp4"]\nexpect = "pass"\n').samples["c.mp4"]
    assert spec.ffmpeg is None and spec.text is None


def test_no_samples_table_means_no_samples() -> None:
    assert parse("").samples == {}


def test_expectation_lookup() -> None:
    manifest = parse('[samples."a.mp4"]\nexpect = "broken"\nreason = "r"\n')
    spec = manifest.expectation("a.mp4")
    assert spec is not None and spec.expect == "broken"
    assert manifest.expectation("other.mp4") is None


def test_truncate_float_is_kept() -> None:
    spec = parse('[samples."a.mp4"]\nffmpeg = ["-x"]\ntruncate = 0.1\n').samples["a.mp4"]
    assert spec.truncate == pytest.approx(0.1)


# --- load_manifest / read_manifest ----------------------------------------------------


def test_remux_is_a_second_pass_of_an_ffmpeg_recipe() -> None:
    spec = parse('[samples."a.mp4"]\nffmpeg = ["-x"]\nremux = ["-c", "copy"]\n').samples["a.mp4"]
    assert spec.remux == ("-c", "copy")
    assert parse('[samples."a.mp4"]\nffmpeg = ["-x"]\n').samples["a.mp4"].remux is None
    assert "key 'remux': only applies to an 'ffmpeg' recipe" in sample_error(
        '[samples."a.mp4"]\ntext = "x"\nremux = ["-c", "copy"]\n')
    assert "key 'remux': expected an array of strings" in sample_error(
        '[samples."a.mp4"]\nffmpeg = ["-x"]\nremux = "-c copy"\n')


def test_the_demo_corpus_has_a_bt709_hd_clip_and_a_rotated_one() -> None:
    manifest = load_manifest(REPO_ROOT)
    assert manifest is not None
    hd, rotated = manifest.samples["h264_bt709_hd.mp4"], manifest.samples["h264_rotate90.mp4"]
    assert "bt709" in hd.ffmpeg and "size=1280x720" in " ".join(hd.ffmpeg)
    assert rotated.remux == ("-c", "copy", "-metadata:s:v:0", "rotate=90")
    assert hd.expect == rotated.expect == "defect"


def test_load_manifest_none_without_file(tmp_path: Path) -> None:
    assert load_manifest(tmp_path) is None


def test_load_manifest_reads_folder(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_NAME).write_text(HEADER + '[samples."a.ogg"]\ntext = "t"\n', encoding="utf-8")
    manifest = load_manifest(tmp_path)
    assert manifest is not None
    assert manifest.path == tmp_path / MANIFEST_NAME
    assert list(manifest.samples) == ["a.ogg"]


def test_read_manifest_names_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ManifestError, match="cannot read the manifest") as info:
        read_manifest(missing)
    assert info.value.path == missing


def test_read_manifest_rejects_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / MANIFEST_NAME
    path.write_bytes(HEADER.encode() + b'# \xff\n')
    with pytest.raises(ManifestError, match="not UTF-8"):
        read_manifest(path)


# --- the repository's own manifest -------------------------------------------------


def test_repository_manifest_parses() -> None:
    manifest = load_manifest(REPO_ROOT)
    assert manifest is not None
    assert manifest.version
    assert len(manifest.samples) >= 14
    for spec in manifest.samples.values():
        # The builder needs a recipe for every demo sample: the repo ships no media.
        assert (spec.ffmpeg is None) != (spec.text is None), spec.name
    expects = {spec.expect for spec in manifest.samples.values()}
    assert {"pass", "broken"} <= expects
    broken = [spec for spec in manifest.samples.values() if spec.expect == "broken"]
    assert any(spec.truncate for spec in broken)
    assert any(spec.text is not None for spec in broken)


def test_repository_manifest_covers_the_formats() -> None:
    manifest = load_manifest(REPO_ROOT)
    assert manifest is not None
    suffixes = {Path(name).suffix for name in manifest.samples}
    assert {".mp4", ".webm", ".ogv", ".mkv", ".flv", ".3gp", ".avi", ".mov"} <= suffixes
    assert {".mp3", ".ogg", ".flac", ".wav"} <= suffixes


# --- syntax and structure ---------------------------------------------------------


def test_toml_syntax_error_gives_line_and_column() -> None:
    message = parse_error('[corpus]\nversion = "v1"\nbroken = [\n')
    assert "TOML syntax error" in message
    assert "line" in message or "end of document" in message


def test_toml_syntax_error_line() -> None:
    message = parse_error('[corpus]\nversion = v1\n')
    assert "line 2" in message


def test_unknown_top_level_table() -> None:
    message = parse_error(HEADER + "[sample]\nx = 1\n")
    assert "'sample'" in message and "corpus, markers, samples" in message


def test_missing_corpus_table() -> None:
    assert "[corpus]" in parse_error('[samples."a.mp4"]\ntext = "x"\n')


def test_missing_version() -> None:
    assert "version" in parse_error('[corpus]\ndescription = "d"\n')


def test_empty_version() -> None:
    assert "must not be empty" in parse_error('[corpus]\nversion = " "\n')


def test_unknown_corpus_key() -> None:
    message = parse_error('[corpus]\nversion = "v"\nname = "x"\n')
    assert "'name'" in message and "version, description" in message


def test_corpus_version_wrong_type() -> None:
    message = parse_error("[corpus]\nversion = 3\n")
    assert "'version'" in message and "expected string, got integer" in message


def test_samples_must_be_tables() -> None:
    # A top-level key must come before the first table header.
    message = parse_error('samples = { "a.mp4" = 1 }\n' + HEADER)
    assert "'a.mp4'" in message and "expected a table" in message and "integer" in message


# --- entries ------------------------------------------------------------------------


def test_unknown_key_names_sample_key_and_allowed_keys() -> None:
    message = sample_error('[samples."a.mp4"]\ntext = "x"\nexpected = "pass"\n')
    assert "'a.mp4'" in message and "'expected'" in message
    assert ", ".join(SAMPLE_KEYS) in message


def test_unquoted_dotted_name_gets_a_hint() -> None:
    message = sample_error('[samples.a.mp4]\ntext = "x"\n')
    assert "'mp4'" in message and '[samples."a.mp4"]' in message


@pytest.mark.parametrize(
    ("line", "key", "expected", "got"),
    [
        ("ffmpeg = '-i x'", "ffmpeg", "array of strings", "string"),
        ("text = 3", "text", "string", "integer"),
        ("expect = true", "expect", "string", "boolean"),
        ("reason = ['r']", "reason", "string", "array"),
        ("strict = 'yes'", "strict", "boolean", "string"),
        ("strict = 1", "strict", "boolean", "integer"),
        ("description = 1.5", "description", "string", "float"),
        ("truncate = '0.5'", "truncate", "float", "string"),
        ("truncate = true", "truncate", "float", "boolean"),
    ],
)
def test_wrong_type(line: str, key: str, expected: str, got: str) -> None:
    message = sample_error(f'[samples."a.mp4"]\n{line}\n')
    assert "'a.mp4'" in message and f"'{key}'" in message
    assert expected in message and f"got {got}" in message


def test_ffmpeg_items_must_be_strings() -> None:
    message = sample_error('[samples."a.mp4"]\nffmpeg = ["-t", 1.2]\n')
    assert "'a.mp4'" in message and "'ffmpeg'" in message and "item 1" in message and "float" in message


def test_ffmpeg_must_not_be_empty() -> None:
    assert "empty" in sample_error('[samples."a.mp4"]\nffmpeg = []\n')


def test_bad_expect_value() -> None:
    message = sample_error('[samples."a.mp4"]\ntext = "x"\nexpect = "xfail"\n')
    assert "'a.mp4'" in message and "'expect'" in message and "'xfail'" in message
    assert "'pass', 'defect', 'broken'" in message


@pytest.mark.parametrize("expect", ["defect", "broken"])
def test_reason_required_unless_pass(expect: str) -> None:
    message = sample_error(f'[samples."a.mp4"]\ntext = "x"\nexpect = "{expect}"\n')
    assert "'a.mp4'" in message and "'reason'" in message


def test_blank_reason_is_missing() -> None:
    assert "'reason'" in sample_error('[samples."a.mp4"]\ntext = "x"\nexpect = "defect"\nreason = " "\n')


def test_both_ffmpeg_and_text() -> None:
    message = sample_error('[samples."a.mp4"]\ntext = "x"\nffmpeg = ["-i", "y"]\n')
    assert "'a.mp4'" in message and "'ffmpeg'" in message and "'text'" in message


@pytest.mark.parametrize("value", ["0", "0.0", "1", "1.0", "1.5", "-0.2"])
def test_truncate_outside_open_interval(value: str) -> None:
    message = sample_error(f'[samples."a.mp4"]\nffmpeg = ["-x"]\ntruncate = {value}\n')
    assert "'a.mp4'" in message and "'truncate'" in message and "(0, 1)" in message


def test_truncate_needs_ffmpeg() -> None:
    message = sample_error('[samples."a.mp4"]\ntext = "x"\ntruncate = 0.5\n')
    assert "'truncate'" in message and "'ffmpeg'" in message


def test_description_single_line() -> None:
    message = sample_error('[samples."a.mp4"]\ntext = "x"\ndescription = "a\\nb"\n')
    assert "'description'" in message and "single line" in message


@pytest.mark.parametrize(
    "name", ["/a.mp4", "sub/../a.mp4", "sub\\\\a.mp4", "..", "a..mp4", ".hidden.mp4", "",
             MANIFEST_NAME]
)
def test_bad_sample_names(name: str) -> None:
    message = sample_error(f'[samples."{name}"]\ntext = "x"\n')
    assert "sample name" in message
    assert repr(name.replace("\\\\", "\\")) in message


def test_markers_of_a_sample_and_the_markers_table() -> None:
    manifest = parse_manifest(HEADER + '[markers]\nslow = "long ones"\n'
                              '[samples."a.mp4"]\nmarkers = ["slow", "h264", "slow"]\n'
                              'expect = "broken"\nreason = "cut"\n', Path("samples.toml"))
    assert manifest.markers == {"slow": "long ones"}
    assert sample_markers(manifest.samples["a.mp4"]) == ("broken", "slow", "h264")


@pytest.mark.parametrize("body, fragment", [
    ('[samples."a.mp4"]\nmarkers = "slow"\n', "array"),
    ('[samples."a.mp4"]\nmarkers = ["not slow"]\n', "not a marker name"),
    ('[samples."a.mp4"]\nmarkers = ["skip"]\n', "pytest's own markers"),
    ('[markers]\nxfail = "x"\n', "pytest's own markers"),
    ('[markers]\nslow = 1\n', "expected string"),
])
def test_bad_markers(body: str, fragment: str) -> None:
    assert fragment in parse_error(HEADER + body)
