"""--mp-drivers, the pieces: the option, the play keys, the junit row names,
the driver_not_used defect, baseline entries per driver, the groups'
differences listed first, and the driver groups of a session."""
from __future__ import annotations

import json

import pytest

from pytest_pyglet_media import concurrency, junit, options
from pytest_pyglet_media.core.errors import SessionError, UsageError
from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.judge import baseline as bl
from pytest_pyglet_media.judge import drivers, groups
from pytest_pyglet_media.judge import results as res
from pytest_pyglet_media.store import driver_groups, sessions


def test_drivers_option_from_every_source_and_its_refusals():
    assert options.resolve({}, {}, {"PYTEST_MP_DRIVERS": "silent,openal"}).drivers == \
        ("silent", "openal")
    assert options.resolve({}, {"mp_drivers": "pulse"}, {}).drivers == ("pulse",)
    assert options.resolve({}, {}, {}).drivers == ()
    with pytest.raises(UsageError, match="'openal' is named twice"):
        options.resolve({"mp_drivers": "openal,silent,openal"}, {}, {})
    with pytest.raises(UsageError, match="cannot be used together"):
        options.resolve({"mp_drivers": "silent"}, {}, {"PYTEST_MP_AUDIO": "openal"})


@pytest.mark.parametrize("platform, driver, refused", [
    ("linux", "pulse", False), ("linux", "directsound", True), ("darwin", "pulse", True),
    ("darwin", "openal", False), ("win32", "xaudio2", False), ("win32", "pulse", True)])
def test_a_driver_the_platform_has_not_is_refused_for_both_options(platform, driver, refused):
    for field in ("drivers", "audio"):
        check = lambda: options._check_drivers({field: (driver,)}, {field: "the test"},  # noqa
                                               platform=platform)
        if refused:
            with pytest.raises(UsageError, match=f"no {driver!r} audio driver on {platform}"):
                check()
        else:
            check()


def test_play_keys_round_trip_and_name_the_driver():
    assert concurrency.play_key("clip.mp4", None) == "clip.mp4"
    key = concurrency.play_key("a::b.mp4", "pulse")
    assert key == "a::b.mp4::play[pulse]"
    assert concurrency.split_key(key) == ("a::b.mp4", "pulse")
    assert concurrency.split_key("clip.mp4") == ("clip.mp4", None)


def test_junit_rows_of_driver_items_carry_the_driver():
    assert junit.split_nodeid("s/clip.mp4::play[pulse]", "play") == ("s", "clip.mp4[pulse]")
    assert junit.split_nodeid("s/clip.mp4::play", "play") == ("s", "clip.mp4")
    assert junit.split_nodeid("s/clip.mp4::other", "play") is None


def _verdict(outcome=an.PERFECT, driver=("silent", "", "pulse: refused"), counts=None):
    return an.Verdict(outcome, counts=counts or {}, audio_driver=driver)


def test_a_play_that_got_another_driver_is_one_defect_naming_both():
    judged = drivers.judged_for("pulse", _verdict())
    assert judged.outcome == an.DEFECTS and judged.counts == {"driver_not_used": 1}
    assert "asked for pulse, pyglet used silent: pulse: refused" in judged.reason
    assert drivers.judged_for("pulse", judged) == judged  # judged once, not twice
    # the driver asked for, no driver asked for, nothing recorded: unchanged
    for asked, verdict in (("silent", _verdict()), (None, _verdict()),
                           ("pulse", _verdict(driver=None)),
                           ("pulse", _verdict(outcome=an.CRASHED))):
        assert drivers.judged_for(asked, verdict) == verdict


def test_baseline_entries_per_driver_win_over_the_samples():
    base = bl.Baseline(None, {"a.mp4": bl.Entry(bl.PLAYED, {"stall": 1}),
                              "a.mp4[pulse]": bl.Entry(bl.PLAYED, {"stall": 3})})
    assert bl.entry_for(base, "a.mp4", "pulse").counts == {"stall": 3}
    assert bl.entry_for(base, "a.mp4", "openal").counts == {"stall": 1}
    assert bl.entry_for(base, "a.mp4", None).counts == {"stall": 1}
    assert bl.for_driver(base, "pulse", ["a.mp4", "b.mp4"]).entries == \
        {"a.mp4": bl.Entry(bl.PLAYED, {"stall": 3})}


def _result(sample, outcome=an.PERFECT, counts=None):
    return res.SampleResult(sample, an.Verdict(outcome, counts=counts or {}))


def test_differences_list_what_one_group_alone_plays_badly_first():
    rows = [("audio silent", {"a": _result("a"), "b": _result("b"), "c": _result("c")}),
            ("audio pulse", {"a": _result("a", an.DEFECTS, {"stall": 2}), "b": _result("b"),
                             "c": _result("c", an.DEFECTS, {"stall": 1})}),
            ("audio openal", {"a": _result("a"), "b": _result("b"),
                              "c": _result("c", an.DEFECTS, {"stall": 1})})]
    text = groups.differences(rows)
    assert text.index("one group only") < text.index("Played differently")
    assert "\ta: audio pulse: defects (stall 2); perfect in the others" in text
    assert "\tc: audio pulse: defects (stall 1); audio openal: defects (stall 1)" in text
    assert "\tb:" not in text
    assert "agree" in groups.differences(rows[:1] + [("x", {"a": _result("a")})])


def test_driver_groups_are_found_again_in_any_order_and_merges_refused(tmp_path):
    samples = tmp_path / "s"
    samples.mkdir()
    paths = sessions.create_session(samples, "run", ["a.mp4"], has_playlist=False,
                                    versions={"pyglet": "x"}, samples_version="1")
    made = driver_groups.ensure_groups(paths, ["silent", "pulse"], {"pyglet": "x"})
    assert [g.name for g in made.values()] == ["01", "02"]
    again = driver_groups.ensure_groups(paths, ["openal", "pulse"], {"pyglet": "x"})
    assert {d: g.name for d, g in again.items()} == {"openal": "03", "pulse": "02"}
    assert json.loads(paths.versions.read_text())["drivers"] == ["silent", "pulse", "openal"]
    assert driver_groups.is_drivers_session(paths)
    # the top level takes each sample's play of the first driver that has one
    made["pulse"].recording("a.mp4").write_bytes(b"pulse play")
    assert driver_groups.fill_top_level(paths, ["silent", "pulse"], ["a.mp4"]) == \
        {"a.mp4": "pulse"}
    assert paths.recording("a.mp4").read_bytes() == b"pulse play"
    merged = sessions.create_session(samples, "merged", ["a.mp4"], has_playlist=False,
                                     versions={}, samples_version="1")
    merged.groups_dir.mkdir()
    sessions.create_session(samples, "01", ["a.mp4"], has_playlist=False,
                            versions={"audio": "silent"}, samples_version="1",
                            store_dir=merged.groups_dir)
    with pytest.raises(SessionError, match="merged from other places"):
        driver_groups.ensure_groups(merged, ["silent"], {})


def test_a_samples_toml_expectation_may_name_its_drivers(tmp_path):
    from pytest_pyglet_media.core.errors import ManifestError
    from pytest_pyglet_media.store import manifest

    path = tmp_path / "samples.toml"
    path.write_text('[corpus]\nversion = "1"\n[samples."a.mp4"]\nexpect = "defect"\n'
                    'reason = "late under pulse"\ndrivers = ["pulse"]\n')
    read = manifest.read_manifest(path)
    assert read.expectation("a.mp4", "pulse").expect == "defect"
    assert read.expectation("a.mp4", "silent") is None
    assert read.expectation("a.mp4") is not None  # no driver asked: the entry
    assert manifest.expected_failures(read, "openal") == {}
    for bad, why in (('drivers = ["alsa"]', "'alsa' is not an audio driver"),
                     ('drivers = "pulse"', "expected an array of driver names")):
        path.write_text(f'[corpus]\nversion = "1"\n[samples."a.mp4"]\nexpect = "defect"\n'
                        f'reason = "r"\n{bad}\n')
        with pytest.raises(ManifestError, match=why):
            manifest.read_manifest(path)
    path.write_text('[corpus]\nversion = "1"\n[samples."a.mp4"]\ndrivers = ["pulse"]\n')
    with pytest.raises(ManifestError, match="give the sample an 'expect' too"):
        manifest.read_manifest(path)
