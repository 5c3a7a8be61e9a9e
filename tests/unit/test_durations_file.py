"""store/durations.py: the samples' play times beside them, read strictly, merged on write."""
from __future__ import annotations

import json
import re

import pytest

from pytest_pyglet_media.store import durations


def write_doc(path, samples, **top):
    document = {"format": durations.FORMAT, "version": durations.FORMAT_VERSION,
                "samples": samples, **top}
    path.write_text(json.dumps(document))
    return path


def test_updates_merge_round_and_keep_other_samples(tmp_path):
    path = durations.path_in(tmp_path)
    assert path.name == "samples.durations.json" and durations.load_if_present(path) is None
    durations.update_file(path, {"b.mp4": 1.23456, "a.ogv": 2.0})
    new = durations.update_file(path, {"b.mp4": 0.5, "c.wav": 3.999})  # a shard's run
    assert dict(new.seconds) == {"a.ogv": 2.0, "b.mp4": 0.5, "c.wav": 4.0}
    assert durations.load(path) == new
    text = path.read_text()
    # sorted, one sample a line: the committed file's diffs review well
    assert text.index('"a.ogv": 2.0') < text.index('"b.mp4": 0.5') < text.index('"c.wav"')
    assert text.endswith("}\n") and not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("data, problem", [
    (b"{", "not valid JSON (Expecting property name"),
    (b"\xff\xfe", "not UTF-8 text (byte 0)"),
    (b"[]", "expected a JSON object, found an array"),
    (b'{"format": "pytest-pyglet-media baseline", "version": 1, "samples": {}}',
     "'format' is 'pytest-pyglet-media baseline', not 'pytest-pyglet-media durations'"),
    (b'{"format": "pytest-pyglet-media durations", "version": 2, "samples": {}}',
     "durations format version 2; this tool reads version 1"),
    (b'{"format": "pytest-pyglet-media durations", "version": 1, "samples": []}',
     "'samples' must be an object of sample names and seconds, found an array"),
    (b'{"format": "pytest-pyglet-media durations", "version": 1, "samples": {}, "x": 1}',
     "unknown key 'x'"),
])
def test_a_bad_file_is_one_line_naming_it_and_the_problem(tmp_path, data, problem):
    path = tmp_path / durations.DEFAULT_NAME
    path.write_bytes(data)
    with pytest.raises(durations.DurationsError) as info:
        durations.load(path)
    assert str(info.value).startswith(f"{path}: {problem}")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name, value, problem", [
    ("a.mp4", "1.2", "sample 'a.mp4': its play time must be a number of seconds, found a string"),
    ("a.mp4", True, "sample 'a.mp4': its play time must be a number of seconds, found a boolean"),
    ("a.mp4", -1, "sample 'a.mp4': play time -1 is outside 0..604800 seconds"),
    ("a.mp4", float("nan"), "sample 'a.mp4': play time nan is outside"),
    ("a.mp4", 10 ** 400, "sample 'a.mp4': play time a 401-digit number is outside"),
    ("../a.mp4", 1.0, "'../a.mp4' is not a sample name: it leads out of its folder"),
], ids=["string", "boolean", "negative", "nan", "huge", "path"])
def test_bad_entries_are_refused(tmp_path, name, value, problem):
    path = write_doc(tmp_path / durations.DEFAULT_NAME, {name: value})
    with pytest.raises(durations.DurationsError, match="^" + re.escape(f"{path}: {problem}")):
        durations.load(path)


def test_an_update_is_refused_up_front_on_a_bad_file_or_a_read_only_folder(tmp_path,
                                                                           monkeypatch):
    path = durations.path_in(tmp_path)
    durations.require_updatable(path)  # no file yet: fine
    path.write_text("not json")
    with pytest.raises(durations.DurationsError, match="not valid JSON"):
        durations.require_updatable(path)
    path.unlink()
    monkeypatch.setattr(durations.os, "access", lambda *args: False)  # root writes anyway
    with pytest.raises(durations.DurationsError, match="the folder .* is read-only"):
        durations.require_updatable(path)


def test_a_sample_s_time_is_one_play_per_item_its_drivers_added_up():
    from types import SimpleNamespace

    from pytest_pyglet_media.judge import analysis as an
    from pytest_pyglet_media.judge import results as res
    from pytest_pyglet_media.reporter import SessionReporter

    reporter = SessionReporter(ctx=None)  # type: ignore[arg-type]  # logreport needs none
    for sample, driver, attempts, seconds in (("a.mp4", "silent", 1, 1.5),
                                              ("a.mp4", "pulse", 3, 6.0),  # two retries
                                              ("b.mp4", None, 1, 0.25)):
        result = res.SampleResult(sample, an.Verdict(an.PERFECT), attempts=attempts)
        reporter.pytest_runtest_logreport(SimpleNamespace(  # type: ignore[arg-type]
            when="call", mp_result=result.to_builtins(), mp_driver=driver, failed=False,
            duration=seconds))
    assert reporter.play_seconds == {"a.mp4": 3.5, "b.mp4": 0.25}


def test_the_shards_name_the_durations_file_as_the_store_does():
    from pytest_pyglet_media import shards
    from pytest_pyglet_media.store import durations

    assert shards.DURATIONS_NAME == durations.DEFAULT_NAME
