"""groups.py: where a merged session's samples were played, and its side by side."""
from __future__ import annotations

from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.judge import groups
from pytest_pyglet_media.judge import results as res
from pytest_pyglet_media.report import index_page

LINUX = {"pyglet": "2.1.19", "ffmpeg": "5.1", "python": "3.11.2 (main, Mar 13 2023) [GCC]",
         "platform": "Linux-6.1.0-18-amd64-x86_64-with-glibc2.36", "machine": "x86_64",
         "audio": "silent"}
WINDOWS = {**LINUX, "platform": "Windows-10-10.0.19045-SP0", "machine": "AMD64"}


def test_where_keeps_the_os_not_the_kernel_build_and_python_major_minor():
    assert groups.where(LINUX) == {"pyglet": "2.1.19", "ffmpeg": "5.1", "os": "Linux",
                                   "machine": "x86_64", "python": "3.11", "audio": "silent"}
    other_kernel = {**LINUX, "platform": "Linux-6.5.0-1-azure-x86_64-with-glibc2.35"}
    assert groups.key(groups.where(other_kernel)) == groups.key(groups.where(LINUX))
    assert groups.where({"audio": ["openal", "silent"]})["audio"] == "openal,silent"


def test_labels_name_only_the_parts_that_differ():
    linux, windows = groups.key(groups.where(LINUX)), groups.key(groups.where(WINDOWS))
    assert groups.labels([linux, windows]) == {linux: "Linux, x86_64",
                                               windows: "Windows, AMD64"}
    openal = groups.key(groups.where({**LINUX, "audio": "openal"}))
    assert groups.labels([linux, openal])[openal] == "audio openal"
    old = groups.key(groups.where({**LINUX, "pyglet": "2.0.10"}))
    assert groups.labels([linux, old])[old] == "pyglet 2.0.10"
    assert groups.labels([linux]) == {linux: groups.full_label(groups.where(LINUX))}
    assert groups.full_label(groups.where(LINUX)) == \
        "pyglet 2.1.19, FFmpeg 5.1, Linux, x86_64, Python 3.11, audio silent"
    # an older merge recorded pyglet and FFmpeg only: the rest is unknown
    assert groups.labels([groups.key({"pyglet": "1"}), groups.key({"pyglet": "2"})]) == \
        {groups.key({"pyglet": "1"}): "pyglet 1", groups.key({"pyglet": "2"}): "pyglet 2"}


def _mixed(**per_sample):
    return {"pyglet": "2.1.19", "mixed_versions": {
        s: {**groups.where(v), "source": "x"} for s, v in per_sample.items()}}


def test_sample_groups_only_for_a_session_played_in_two_groups_or_more():
    assert groups.sample_groups(_mixed(**{"a.mp4": LINUX, "b.mp4": WINDOWS})) == \
        {"a.mp4": "Linux, x86_64", "b.mp4": "Windows, AMD64"}
    assert groups.sample_groups(_mixed(**{"a.mp4": LINUX, "b.mp4": LINUX})) == {}
    assert groups.sample_groups({"pyglet": "2.1.19"}) == {}
    assert groups.sample_groups({"mixed_versions": ["hostile"]}) == {}


def _result(sample, outcome, counts=None):
    return res.SampleResult(sample, an.Verdict(outcome, counts or {}))


def test_side_by_side_counts_each_group_and_the_samples_no_one_played():
    results = {"a.mp4": _result("a.mp4", an.PERFECT),
               "b.mp4": _result("b.mp4", an.DEFECTS, {"no_image": 3}),
               "c.mp4": _result("c.mp4", an.CRASHED), "d.mp4": _result("d.mp4", an.PERFECT),
               "e.mp4": None}
    rows = [("Linux", {s: results[s] for s in ("a.mp4", "b.mp4")}),
            ("Windows", {s: results[s] for s in ("c.mp4", "d.mp4")})]
    table = groups.side_by_side(rows, list(results))
    lines = table.splitlines()
    assert lines[0].startswith("*** Side by side")
    assert lines[1].split() == ["group", "samples", "perfect", "defects", "crashed",
                                "unplayable", "other", "defects/sample"]
    assert lines[2].split() == ["Linux", "2", "1", "1", "0", "0", "0", "1.500"]
    assert lines[3].split() == ["Windows", "2", "1", "0", "1", "0", "0", "0.000"]
    assert lines[4].split() == ["(not", "played)", "1", "0", "0", "0", "0", "1", "-"]
    assert groups.side_by_side([], list(results)) == ""


def test_a_sample_played_in_two_places_counts_in_each_group():
    linux = {"a.mp4": _result("a.mp4", an.PERFECT), "b.mp4": _result("b.mp4", an.PERFECT)}
    windows = {"a.mp4": _result("a.mp4", an.DEFECTS, {"frames_not_shown": 2}),
               "b.mp4": _result("b.mp4", an.PERFECT)}
    rows = [("Linux", linux), ("Windows", windows)]
    lines = groups.side_by_side(rows, ["a.mp4", "b.mp4"]).splitlines()
    assert [line.split()[:4] for line in lines[2:]] == [["Linux", "2", "2", "0"],
                                                      ["Windows", "2", "1", "1"]]
    assert groups.played_by(rows) == {"a.mp4": "Linux: perfect; Windows: defects",
                                      "b.mp4": "Linux: perfect; Windows: perfect"}
    assert groups.played_by([("Linux", {"a.mp4": linux["a.mp4"]})]) == {"a.mp4": "Linux"}
    against = groups.against_first(rows)
    assert "\t2 Windows: 2 in common, 1 regressed, 0 fixed, 0 changed" in against
    assert "regressed: a.mp4: perfect -> frames_not_shown 2" in against
    assert groups.against_first(rows[:1]) == ""


def test_rows_of_a_session_merged_before_groups_had_sessions():
    results = {"a.mp4": _result("a.mp4", an.PERFECT), "b.mp4": None}
    versions = _mixed(**{"a.mp4": LINUX, "b.mp4": WINDOWS})
    assert groups.rows_of_mixed_versions(versions, results) == [
        ("Linux, x86_64", {"a.mp4": results["a.mp4"]}), ("Windows, AMD64", {"b.mp4": None})]
    assert groups.rows_of_mixed_versions({"pyglet": "2"}, results) == []


def test_index_played_by_column_only_for_a_mixed_session():
    result = _result("a.mp4", an.PERFECT)
    totals = res.session_totals([result], ["a.mp4", "b.mp4"])
    page = index_page.render("s", "v", totals, {"a.mp4": result}, [], "h",
                             played_by={"a.mp4": "Windows <AMD64>"})
    assert "<th>played by</th>" in page
    assert "<td>a.mp4</td><td>Windows &lt;AMD64&gt;</td>" in page
    assert "<td>b.mp4</td><td>not played</td>" in page
    assert "played by" not in index_page.render("s", "v", totals, {"a.mp4": result}, [], "h")


def test_a_session_the_plugin_creates_records_the_runs_audio_drivers(tmp_path, monkeypatch):
    from pytest_pyglet_media import context
    from pytest_pyglet_media.store import sessions

    monkeypatch.setattr(context.versions, "capture", lambda player: {"pyglet": "test"})
    (tmp_path / "a.mp4").write_bytes(b"media")
    paths = context.create_session(tmp_path, "s", ["a.mp4"], False, None, "x",
                                   audio=("openal", "silent"))
    assert sessions.load_versions(paths)["audio"] == "openal,silent"
    bare = context.create_session(tmp_path, "t", ["a.mp4"], False, None, "x")
    assert "audio" not in sessions.load_versions(bare)  # pyglet-mp new: no run yet


def test_the_mixed_versions_section_lists_groups_or_each_sample():
    from pytest_pyglet_media.report import session_writer

    versions = _mixed(**{"a.mp4": LINUX, "b.mp4": WINDOWS})
    places = [("Linux, x86_64", {**LINUX, groups.SOURCES_KEY: ["l-1", "l-2"]}, 2),
              ("Windows, AMD64", {**WINDOWS, groups.SOURCES_KEY: ["w-1"]}, 1)]
    text = session_writer.mixed_versions_section(versions, places)
    assert "\t1 Linux, x86_64: pyglet 2.1.19, FFmpeg 5.1, Linux, x86_64, Python 3.11, " \
        "audio silent; 2 samples played; from l-1, l-2" in text
    assert "for the samples group 1 did not play: b.mp4." in text
    # a session merged before groups had sessions of their own: each sample's place
    old = session_writer.mixed_versions_section(versions)
    assert "\tb.mp4: pyglet 2.1.19, FFmpeg 5.1, Windows, AMD64, Python 3.11, audio silent (x)" \
        in old
    assert session_writer.mixed_versions_section({"pyglet": "2"}, places) == ""
