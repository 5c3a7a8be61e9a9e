"""baseline.py: load and validate, compare and judge, update and render."""
from __future__ import annotations

import json

import pytest

from pytest_pyglet_media.core.errors import MediaTestError
from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.judge import baseline as bl

PLAYED = bl.PLAYED


def doc(samples: dict, **top) -> bytes:
    document = {"format": bl.FORMAT, "version": bl.FORMAT_VERSION, "written_by": "me",
                "samples": samples, **top}
    return json.dumps(document).encode()


def played(**counts: int) -> bl.Entry:
    return bl.Entry(PLAYED, counts)


# -- load and validate ----------------------------------------------------------------


def test_parse_a_good_file(tmp_path):
    data = doc({"a.mp4": {"outcome": "played", "counts": {"discarded_late": 2, "no_image": 0}},
                "b.mp4": {"outcome": "played", "counts": {}},
                "c.mkv": {"outcome": "crashed"}})
    base = bl.parse(data, tmp_path / "b.json")
    assert base.entries == {"a.mp4": played(discarded_late=2), "b.mp4": played(),
                            "c.mkv": bl.Entry("crashed")}
    assert base.entries["a.mp4"].counts == {"discarded_late": 2}  # zeros dropped


BAD = [
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"[]", "expected a JSON object, found an array"),
    (doc({}, extra=1), "unknown key 'extra'"),
    (doc({}, format="other tool"), "not a baseline of this tool"),
    (doc({}, version=2), "format version 2"),
    (doc({}, version=True), "format version True"),
    (doc({}, written_by=3), "'written_by' must be a string"),
    (doc([]), "'samples' must be an object"),
    (doc({"a.mp4": []}), "sample 'a.mp4': expected an object, found an array"),
    (doc({"a.mp4": {"outcome": "fine"}}), "'outcome' is 'fine'"),
    (doc({"a.mp4": {"outcome": "played"}}), "needs 'counts'"),
    (doc({"a.mp4": {"outcome": "played", "counts": []}}), "needs 'counts'"),
    (doc({"a.mp4": {"outcome": "crashed", "counts": {"no_image": 1}}}), "only a played"),
    (doc({"a.mp4": {"outcome": "played", "counts": {}, "when": 1}}), "unknown key 'when'"),
    (doc({"a.mp4": {"outcome": "played", "counts": {"no_image": "2"}}}), "whole number"),
    (doc({"a.mp4": {"outcome": "played", "counts": {"no_image": 1.5}}}), "whole number"),
    (doc({"a.mp4": {"outcome": "played", "counts": {"no_image": True}}}), "whole number"),
    # a count that is no number at all is named as it was read
    (b'{"format": "pytest-pyglet-media baseline", "version": 1, "samples": {"a.mp4": '
     b'{"outcome": "played", "counts": {"no_image": 1e400}}}}', "found inf"),
    (b'{"format": "pytest-pyglet-media baseline", "version": 1, "samples": {"a.mp4": '
     b'{"outcome": "played", "counts": {"no_image": NaN}}}}', "found nan"),
    (doc({"a.mp4": {"outcome": "played", "counts": {"no_image": 1.5}}}), "found 1.5"),
    (doc({"a.mp4": {"outcome": "played", "counts": {"no_image": -1}}}), "outside 0.."),
    (doc({"a.mp4": {"outcome": "played", "counts": {"no_image": 10**30}}}), "outside 0.."),
    (b'{"samples": {"a.mp4": {"outcome": "played", "counts": {"no_image": 1' + b"0" * 5000
     + b"}}}}", "not a baseline"),
    (b"[" * 100_000, "not"),
    (doc({"a.mp4": {"outcome": "played", "counts": {"No Image!": 1}}}), "not a defect kind"),
    (doc({"../a.mp4": {"outcome": "crashed"}}), "is not a sample name"),
    (doc({".hidden": {"outcome": "crashed"}}), "is not a sample name"),
    (doc({"": {"outcome": "crashed"}}), "is not a sample name"),
    (doc({"notes.txt": {"outcome": "crashed"}}), "is not a sample name"),
    (doc({"a\nb.mp4": {"outcome": "crashed"}}), "is not a sample name"),
]


@pytest.mark.parametrize("data, problem", BAD, ids=range(len(BAD)))
def test_bad_files_are_refused_naming_file_and_problem(tmp_path, data, problem):
    path = tmp_path / "samples.baseline.json"
    path.write_bytes(data)
    with pytest.raises(bl.BaselineError) as info:
        bl.load(path)
    message = str(info.value)
    assert isinstance(info.value, MediaTestError)  # the plugin makes it a usage error
    assert message.startswith(f"{path}: ") and problem in message, message
    assert "\n" not in message and len(message) < 400


def test_huge_file_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(bl, "MAX_BYTES", 100)
    path = tmp_path / "b.json"
    path.write_bytes(doc({f"s{i}.mp4": {"outcome": "crashed"} for i in range(10)}))
    with pytest.raises(bl.BaselineError, match="larger than"):
        bl.load(path)


def test_unreadable_file(tmp_path):
    with pytest.raises(bl.BaselineError, match="cannot read the baseline"):
        bl.load(tmp_path)  # a folder


# -- compare and judge -------------------------------------------------------------------


def test_compare_counts():
    change = bl.compare(played(discarded_late=2, no_image=3),
                        played(discarded_late=4, no_image=1, scheduling_in_past=1))
    assert change.exceeds == ("discarded_late 2 -> 4", "scheduling_in_past 0 -> 1 (new kind)")
    assert change.better == ("no_image 3 -> 1",)
    assert bl.compare(played(no_image=1), played(no_image=1)) == bl.Change()


def test_compare_outcomes():
    assert bl.compare(played(), bl.Entry("crashed")).exceeds == (
        "crashed, where the baseline has none",)
    assert bl.compare(bl.Entry("crashed"), played(no_image=9)).better == (
        "played, where the baseline has crashed",)
    assert bl.compare(bl.Entry("timeout"), bl.Entry("timeout")) == bl.Change()


def judge(now, base, update=False):
    return bl.check_against(now, base, "samples.baseline.json", update=update)


def test_judge_within_worse_better():
    within = judge(played(no_image=2), played(no_image=2))
    assert within.passed and "within its baseline" in within.note
    worse = judge(played(no_image=4), played(no_image=2))
    assert not worse.passed
    assert worse.note == ("worse than its baseline: no_image 2 -> 4 "
                          "(baseline samples.baseline.json)")
    better = judge(played(no_image=1), played(no_image=2))
    assert better.passed
    assert better.note == "better than baseline: no_image 2 -> 1 (baseline samples.baseline.json)"
    perfect = judge(played(), played(no_image=2))
    assert perfect.passed and "better than baseline: no_image 2 -> 0" in perfect.note
    mixed = judge(played(no_image=1, discarded_late=1), played(no_image=2))
    assert not mixed.passed and "discarded_late 0 -> 1 (new kind)" in mixed.note


def test_judge_sample_not_in_baseline_as_without_one():
    assert not judge(played(no_image=1), None).passed
    assert "not in the baseline samples.baseline.json" in judge(played(no_image=1), None).note
    assert judge(played(), None).passed


def test_not_a_play_always_fails():
    for outcome in ("crashed", "timeout", "unplayable", "overloaded"):
        assert not judge(bl.Entry(outcome), played(no_image=1)).passed
        assert not judge(bl.Entry(outcome), bl.Entry(outcome)).passed
        assert not judge(bl.Entry(outcome), None, update=True).passed
    assert judge(bl.Entry("crashed"), bl.Entry("crashed")).note == (
        "crashed; the baseline samples.baseline.json has crashed, "
        "and a baseline excuses defect counts only")


def test_update_passes_plays():
    assert judge(played(no_image=40), played(no_image=2), update=True).passed
    assert judge(played(no_image=40), None, update=True).passed


def test_entry_of_outcomes():
    assert bl.entry_of(an.DEFECTS, {"no_image": 2, "x": 0}) == played(no_image=2)
    assert bl.entry_of(an.PERFECT, {}) == played()
    assert bl.entry_of(an.CRASHED, {"no_image": 2}) == bl.Entry("crashed")
    assert bl.entry_of(an.OVERLOADED, {"discarded_late": 2}) == bl.Entry("overloaded")


# -- update and render -----------------------------------------------------------------------


def test_render_is_stable_sorted_and_round_trips(tmp_path):
    path = tmp_path / "b.json"
    entries = {"z.mp4": played(no_image=1, discarded_late=2), "a.mp4": bl.Entry("timeout"),
               "é.mp4": played()}
    text = bl.render(bl.Baseline(path, entries))
    again = bl.render(bl.Baseline(path, dict(reversed(list(entries.items())))))
    assert text == again and text.endswith("}\n")
    assert text.index('"a.mp4"') < text.index('"z.mp4"') < text.index('"é.mp4"')
    assert text.index('"discarded_late"') < text.index('"no_image"')
    assert '"written_by": "pytest-pyglet-media ' in text and '"version": 1' in text
    assert '\n      "counts": {\n        "discarded_late": 2,\n' in text  # one line a kind
    assert bl.parse(text.encode(), path).entries == entries


def test_update_replaces_run_samples_keeps_others(tmp_path):
    path = tmp_path / "b.json"
    old = bl.Baseline(path, {"a.mp4": played(no_image=1), "b.mp4": bl.Entry("crashed")})
    new = bl.updated(old, path, {"b.mp4": played(), "c.mp4": played(discarded_late=1)})
    assert new.entries == {"a.mp4": played(no_image=1), "b.mp4": played(),
                           "c.mp4": played(discarded_late=1)}
    assert old.entries["b.mp4"] == bl.Entry("crashed")  # the old one is untouched
    bl.write(new)
    assert bl.load(path).entries == new.entries
    assert [p.name for p in tmp_path.iterdir()] == ["b.json"]  # no temporary left


def test_render_entry_and_describe():
    assert bl.render_entry(played(no_image=1, discarded_late=2)) == \
        "discarded_late=2, no_image=1"
    assert bl.render_entry(played()) == "none"
    assert bl.render_entry(bl.Entry("crashed")) == "crashed"
    assert bl.render_entry(None) == "not in baseline"
    assert bl.describe(played(no_image=1), played(no_image=1)) == "same"
    assert bl.describe(played(no_image=1), played(no_image=3, discarded_late=0)) == \
        "worse: no_image 1 -> 3"
    assert bl.describe(None, played()) == "not in baseline"


def test_summary_section_and_better_notes(tmp_path):
    base = bl.Baseline(tmp_path / "b.json", {"a.mp4": played(no_image=3),
                                              "b.mp4": played(no_image=1)}, "b.json")
    now = {"a.mp4": played(no_image=1), "b.mp4": played(no_image=2), "c.mp4": played()}
    text = bl.summary_section(base, now, updated_by_run=False)
    assert text.splitlines() == [
        "Baseline b.json", "sample: now | baseline | change",
        "\ta.mp4: no_image=1 | no_image=3 | better: no_image 3 -> 1",
        "\tb.mp4: no_image=2 | no_image=1 | worse: no_image 1 -> 2",
        "\tc.mp4: none | not in baseline | not in baseline"]
    assert bl.better_notes(base, now) == ["a.mp4: no_image 3 -> 1"]
    assert bl.better_notes(base, now, ignored=["a.mp4"]) == []


# -- where the plugin uses it ------------------------------------------------------------


def test_load_baseline_of_a_run(tmp_path):
    from pytest_pyglet_media import context
    from pytest_pyglet_media.core.errors import UsageError
    from pytest_pyglet_media.options import Settings

    default = tmp_path / bl.DEFAULT_NAME
    assert context.load_baseline(Settings(), tmp_path) == (None, default)
    with pytest.raises(UsageError, match="no such baseline file; write it with"):
        context.load_baseline(Settings(baseline=str(tmp_path / "b.json")), tmp_path)
    assert context.load_baseline(Settings(baseline=str(tmp_path / "b.json"),
                                          baseline_update=True), tmp_path)[0] is None
    with pytest.raises(UsageError, match="the folder .*nowhere does not exist"):
        context.load_baseline(Settings(baseline=str(tmp_path / "nowhere" / "b.json"),
                                       baseline_update=True), tmp_path)
    default.write_bytes(doc({"a.mp4": {"outcome": "timeout"}}))
    loaded, path = context.load_baseline(Settings(), tmp_path)
    assert path == default and loaded.entries == {"a.mp4": bl.Entry("timeout")}
    assert loaded.name == bl.DEFAULT_NAME  # beside the samples: named by its file name


def test_index_baseline_column_is_escaped_and_optional():
    from pytest_pyglet_media.judge import results
    from pytest_pyglet_media.report import index_page

    result = results.SampleResult("a<b>.mp4", an.Verdict(an.DEFECTS, {"no_image": 2}))
    totals = results.session_totals([result])
    with_column = index_page.render("s", "v", totals, {"a<b>.mp4": result}, [], "h",
                                    baseline={"a<b>.mp4": ("no_image=1", "worse: <x>")})
    assert "<th>baseline</th>" in with_column
    assert "<td>no_image=1<br><small>worse: &lt;x&gt;</small></td>" in with_column
    without = index_page.render("s", "v", totals, {"a<b>.mp4": result}, [], "h")
    assert "baseline" not in without


@pytest.mark.parametrize("outcome", ["crashed", "timeout", "overloaded", "unplayable", "missing",
                                     "unreadable", "interrupted", "playing"])
def test_an_entry_that_is_no_play_excuses_no_defect(outcome):
    check = bl.check_against(played(discarded_late=40, no_image=7), bl.Entry(outcome), "b.json",
                             update=False)
    assert not check.passed
    assert f"has {outcome}, not a play: a baseline excuses the defect counts of plays only" \
        in check.note
    # a perfect play passes whatever the entry
    assert bl.check_against(played(), bl.Entry(outcome), "b.json", update=False).passed


@pytest.mark.parametrize("outcome", ["crashed", "timeout", "overloaded", "interrupted"])
def test_an_update_never_records_a_non_play_over_a_recorded_play(tmp_path, outcome):
    path = tmp_path / "b.json"
    old = bl.Baseline(path, {"a.mp4": played(no_image=1), "b.mp4": bl.Entry("crashed")})
    run = {"a.mp4": bl.Entry(outcome), "b.mp4": bl.Entry(outcome), "c.mp4": bl.Entry(outcome)}
    assert bl.not_updatable(old, run) == {
        "a.mp4": f"{outcome} this time; its recorded play is kept"}
    new = bl.updated(old, path, run)
    assert new.entries == {"a.mp4": played(no_image=1), "b.mp4": bl.Entry(outcome),
                           "c.mp4": bl.Entry(outcome)}


def test_an_update_merges_into_the_file_as_it_is_when_its_turn_comes(tmp_path):
    """Two runs updating one baseline: the second to write keeps the first's
    entries (it used to write the file it had read at its start)."""
    path = tmp_path / "b.json"
    bl.write(bl.Baseline(path, {"x.mp4": played(no_image=1)}))
    # run B started meanwhile and wrote its own sample
    bl.update_file(path, {"b.mp4": played(discarded_late=2)})
    new, kept = bl.update_file(path, {"a.mp4": played()})
    assert kept == {}
    assert bl.load(path).entries == new.entries == {
        "x.mp4": played(no_image=1), "b.mp4": played(discarded_late=2), "a.mp4": played()}


def test_concurrent_updates_of_one_baseline_keep_every_run_s_entries(tmp_path):
    import threading

    path = tmp_path / "b.json"
    runs = [{f"s{i}.mp4": played(no_image=i)} for i in range(8)]
    threads = [threading.Thread(target=bl.update_file, args=(path, run)) for run in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(bl.load(path).entries) == {f"s{i}.mp4" for i in range(8)}
