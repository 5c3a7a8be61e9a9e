"""pyglet-mp report / compare / timeline / plot / summarize / bundle on synthetic sessions."""
from __future__ import annotations

import csv
import json
import pickle
import tarfile
from pathlib import Path

import pytest

from pytest_pyglet_media.report import text_reports
from pytest_pyglet_media.store import sessions


@pytest.fixture
def s1(samples, rec):
    """Active session s1: a.mp4 defects (2 late, 1 past), b.mp4 perfect, c.mp4 crashed,
    d.mp4 no recording."""
    return samples.session("s1", {"a.mp4": rec.play(30, sample="a.mp4", late=(3, 7),
                                                    past=(10,), none_audio=(4,)),
                                  "b.mp4": rec.play(30, sample="b.mp4"),
                                  "c.mp4": rec.placeholder("c.mp4"),
                                  "d.mp4": None}, activate=True)


# -- report ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(text_reports.AVAILABLE_REPORTS))
def test_report_writes_and_prints_its_path(mpcli, s1, name):
    r = mpcli("report", "a.mp4", name)
    target = r.printed_path()
    assert target == s1.reports_dir / f"a.mp4.{name}.txt"
    text = target.read_text()
    if name == "all":
        assert text.count("Enter update_texture") >= 30
    elif name == "anomalies":
        assert "Scheduling in the past" in text
        assert "Enter update_texture" not in text
    else:
        assert "   2 Discard video frame too old" in text
        assert "   1 Scheduling in the past" in text


def test_report_of_the_other_session(mpcli, samples, s1, rec):
    s2 = samples.session("s2", {"b.mp4": rec.play(30, sample="b.mp4", late=(1,))})
    r = mpcli("report", "b.mp4", "counter", "--session", "s2")
    assert r.printed_path() == s2.reports_dir / "b.mp4.counter.txt"
    assert not (s1.reports_dir / "b.mp4.counter.txt").exists()
    assert "No anomalies" not in r.printed_path().read_text()
    ok = mpcli("report", "b.mp4", "counter")  # the active session's: perfect
    assert "No anomalies detected." in ok.printed_path().read_text()


def test_report_of_a_crashed_play(mpcli, s1):
    r = mpcli("report", "c.mp4", "counter")
    assert "crashed" in r.printed_path().read_text()


def test_report_help_lists_the_reports(mpcli):
    r = mpcli("report", "--help")
    assert r.code == 0
    text = " ".join(r.out.split())
    for name, (_, description) in text_reports.AVAILABLE_REPORTS.items():
        assert name in text
        assert " ".join(description.split()) in text


def test_report_refusals(mpcli, s1, samples):
    mpcli("report", "zzz.mp4", "all").one_line_error("'zzz.mp4'", "playlist")
    mpcli("report", "d.mp4", "all").one_line_error("no recording", "d.mp4")
    r = mpcli("report", "a.mp4", "bogus")
    r.one_line_error("bogus")
    assert not list(s1.reports_dir.iterdir())
    sessions.update_configuration(s1, protect_reports=True)
    mpcli("report", "a.mp4", "all").one_line_error("protects its reports")
    assert not (s1.reports_dir / "a.mp4.all.txt").exists()
    mpcli("report", "a.mp4", "all", "--session", "nope").one_line_error("nope")


def test_report_of_an_unreadable_recording(mpcli, s1):
    path = s1.recording("b.mp4")
    path.chmod(0o644)
    path.write_bytes(b"garbage, not a pickle")
    mpcli("report", "b.mp4", "all").one_line_error("b.mp4")


# -- compare -------------------------------------------------------------------------


@pytest.fixture
def two(samples, rec):
    """base and new (active): every category of the comparison report."""
    base = samples.session("base", {
        "perfect.mp4": rec.play(30, sample="perfect.mp4"),
        "fixed.mp4": rec.play(30, sample="fixed.mp4", late=(2, 5, 8)),
        "regressed.mp4": rec.play(30, sample="regressed.mp4"),
        "crashes.mp4": rec.play(30, sample="crashes.mp4"),
        "both_crash.mp4": rec.placeholder("both_crash.mp4"),
        "changed.mp4": rec.play(30, sample="changed.mp4", late=(1, 2, 3)),
        "no_dbg_new.mp4": rec.play(30, sample="no_dbg_new.mp4"),
        "only_base.mp4": rec.play(30, sample="only_base.mp4")})
    new = samples.session("new", {
        "perfect.mp4": rec.play(30, sample="perfect.mp4"),
        "fixed.mp4": rec.play(30, sample="fixed.mp4"),
        "regressed.mp4": rec.play(30, sample="regressed.mp4", late=(4,)),
        "crashes.mp4": rec.placeholder("crashes.mp4"),
        "both_crash.mp4": rec.placeholder("both_crash.mp4"),
        "changed.mp4": rec.play(30, sample="changed.mp4", late=(1,)),
        "no_dbg_new.mp4": None,
        "only_new.mp4": rec.play(30, sample="only_new.mp4")}, activate=True)
    return base, new


def _section(text: str, title_start: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title_start))
    out = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        out.append(line.strip())
    return out


def test_compare_writes_the_report(mpcli, two):
    base, new = two
    r = mpcli("compare", "base")
    target = new.reports_dir / "comparison_new_base.txt"
    assert r.code == 0 and r.out.splitlines()[0] == str(target)
    assert "regressed: regressed.mp4: perfect -> discarded_late 1" in r.out
    assert "regressed: crashes.mp4: perfect -> crashed" in r.out
    text = target.read_text()
    lines = text.splitlines()
    assert "Comparison of session 'new' with session 'base'" in lines[0]
    # compared: perfect, fixed, regressed, changed -> new 0+0+1+1, base 0+3+0+3
    assert "      2 |              0.500 | new" in lines
    assert "      1 |              1.500 | base" in lines
    assert "Confidence guess, from 1(highest) to 0(lowest): 0.50" in lines
    assert _section(text, "Samples only on playlist session 'new'") == ["only_new.mp4"]
    assert _section(text, "Samples only on playlist session 'base'") == ["only_base.mp4"]
    assert _section(text, "Samples .dbg missing only on session 'new'") == ["no_dbg_new.mp4"]
    assert _section(text, "Samples crashed in both sessions") == ["both_crash.mp4"]
    assert _section(text, "Samples crashed only on session 'new'") == ["crashes.mp4"]
    assert _section(text, "Regressed in 'new'") == [
        "crashes.mp4: perfect -> crashed", "regressed.mp4: perfect -> discarded_late 1"]
    assert _section(text, "Fixed in 'new'") == ["fixed.mp4: discarded_late 3 -> perfect"]
    assert _section(text, "Defect counts changed") == [
        "changed.mp4: discarded_late 3 -> discarded_late 1"]
    assert "perfect.mp4" not in text


def test_compare_other_way_round_with_session(mpcli, two):
    base, new = two
    r = mpcli("compare", "new", "--session", "base")
    assert Path(r.out.splitlines()[0]) == base.reports_dir / "comparison_base_new.txt"
    text = (base.reports_dir / "comparison_base_new.txt").read_text()
    assert _section(text, "Fixed in 'base'") == ["crashes.mp4: crashed -> perfect",
                                                 "regressed.mp4: discarded_late 1 -> perfect"]
    assert _section(text, "Regressed in 'base'") == ["fixed.mp4: perfect -> discarded_late 3"]
    assert _section(text, "Defect counts changed") == [
        "changed.mp4: discarded_late 1 -> discarded_late 3"]
    assert r.out.splitlines()[1:] == ["regressed: fixed.mp4: perfect -> discarded_late 3"]
    assert _section(text, "Samples .dbg missing only on session 'new'") == ["no_dbg_new.mp4"]


def test_compare_reldir(mpcli, two, samples):
    r = mpcli("compare", "base", "--reldir", "cmp/out")
    target = samples.samples_dir / "cmp" / "out" / "comparison_new_base.txt"
    assert r.out.splitlines()[0] == str(target)
    assert target.is_file()
    assert not (two[1].reports_dir / "comparison_new_base.txt").exists()


@pytest.mark.parametrize("reldir", ["../escaped", "/tmp/abs", "a/../../b"])
def test_compare_reldir_escaping_is_refused(mpcli, two, samples, reldir):
    mpcli("compare", "base", "--reldir", reldir).one_line_error("--reldir")
    assert not (samples.samples_dir.parent / "escaped").exists()
    assert not list(samples.samples_dir.parent.rglob("comparison_*"))


def test_compare_reldir_through_links_is_refused(mpcli, two, samples, tmp_path):
    """Every output path is resolved before it is checked: a link inside the store
    carries no comparison into a protected session, nor out of the store."""
    base, new = two
    sessions.update_configuration(base, protect_reports=True)
    (samples.samples_dir / "to_base").symlink_to(base.reports_dir)
    outside = tmp_path / "outside"
    outside.mkdir()
    (samples.samples_dir / "to_outside").symlink_to(outside)
    mpcli("compare", "base", "--reldir", "to_base").one_line_error("protects its reports")
    mpcli("compare", "base", "--reldir", "to_outside/deeper").one_line_error(
        "leads out of the store")
    assert not list(base.reports_dir.glob("comparison_*"))
    assert not list(outside.rglob("*"))


def test_compare_refusals(mpcli, two):
    mpcli("compare", "nope").one_line_error("nope")
    mpcli("compare", "base", "--session", "nope").one_line_error("nope")


def test_compare_into_protected_reports_is_refused(mpcli, two):
    """As report/timeline/plot: a session protecting its reports gets none written."""
    base, new = two
    sessions.update_configuration(new, protect_reports=True)
    mpcli("compare", "base").one_line_error("protects its reports")
    assert not (new.reports_dir / "comparison_new_base.txt").exists()
    # outside the session's reports/, --reldir still works
    assert mpcli("compare", "base", "--reldir", "out").code == 0


# -- timeline / plot ------------------------------------------------------------------


def test_timeline_csv(mpcli, s1):
    r = mpcli("timeline", "a.mp4", "--format", "csv")
    target = r.printed_path()
    assert target == s1.reports_dir / "a.mp4.timeline.csv"
    rows = list(csv.reader(target.read_text().splitlines()))
    assert rows[0] == ["wall_time", "pyglet_time", "audio_time", "current_time", "frame_num",
                       "rescheduling_time"]
    assert len(rows) - 1 == 30  # 31 update_texture calls, the first row is dropped
    # audio_time None after frame 4's update_texture: empty cell, never 0
    assert rows[5][2] == ""
    assert all(cell != "" for cell in rows[6])


def test_timeline_json_and_pkl(mpcli, s1):
    data = json.loads(mpcli("timeline", "a.mp4", "--format", "json").printed_path().read_text())
    assert len(data) == 30 and data[4]["audio_time"] is None
    pkl = mpcli("timeline", "a.mp4", "--format", "pkl").printed_path()
    assert pkl == s1.reports_dir / "a.mp4.timeline.pkl"
    rows = pickle.loads(pkl.read_bytes())
    assert len(rows) == 30 and rows[4][2] is None and len(rows[0]) == 6
    default = mpcli("timeline", "b.mp4").printed_path()
    assert default.suffix == ".pkl"


def test_timeline_refusals(mpcli, s1):
    mpcli("timeline", "d.mp4", "--format", "csv").one_line_error("no recording")
    mpcli("timeline", "a.mp4", "--format", "xls").one_line_error("xls")
    sessions.update_configuration(s1, protect_reports=True)
    mpcli("timeline", "a.mp4", "--format", "csv").one_line_error("protects its reports")


def test_plot(mpcli, s1):
    import bokeh  # noqa: F401  (a test dependency: fail, never skip, without it)
    page = mpcli("plot", "a.mp4").printed_path()
    assert page == s1.reports_dir / "a.mp4.timeline.html"
    assert "<html" in page.read_text().lower()
    crashed = mpcli("plot", "c.mp4").printed_path().read_text()
    assert "No timeline" in crashed


# -- summarize -> index -------------------------------------------------------------------


def test_summarize_writes_the_index(mpcli, s1, index_page):
    r = mpcli("summarize")
    assert r.code == 0, r.err
    page = index_page(s1.reports_dir)
    rows = page.by_sample()
    assert set(rows) == {"a.mp4", "b.mp4", "c.mp4", "d.mp4"}
    assert rows["a.mp4"]["cells"][1] == "defects"
    assert "1" in rows["a.mp4"]["cells"][2] and "2" in rows["a.mp4"]["cells"][2]
    assert rows["b.mp4"]["cells"][1] == "perfect"
    assert rows["c.mp4"]["cells"][1] == "crashed"
    assert rows["d.mp4"]["cells"][1] == "missing"
    assert rows["d.mp4"]["hrefs"] == []
    assert sorted(rows["a.mp4"]["hrefs"]) == ["../dbg/a.mp4.dbg", "a.mp4.all.txt",
                                              "a.mp4.anomalies.txt"]
    assert rows["b.mp4"]["hrefs"] == ["../dbg/b.mp4.dbg"]
    assert "00_summary.txt" in page.hrefs
    assert not any("interrupted" in p for p in page.paragraphs)


# -- bundle / unbundle ------------------------------------------------------------------------


def test_bundle_round_trip(mpcli, s1, samples, tmp_path):
    r = mpcli("bundle")
    archive = r.printed_path()
    assert archive.is_file()
    other = tmp_path / "elsewhere"
    other.mkdir()
    r2 = mpcli("unbundle", archive, "--samples-dir", other)
    assert r2.code == 0, r2.err
    assert "restored session s1" in r2.out and str(other) in r2.out
    restored = other / "s1"
    for sample in ("a.mp4", "b.mp4", "c.mp4"):
        assert (restored / "dbg" / f"{sample}.dbg").read_bytes() == \
            s1.recording(sample).read_bytes()
    # a restored session reads as the original
    r3 = mpcli("report", "a.mp4", "counter", "--session", "s1", "--samples-dir", other)
    assert r3.printed_path().parent == restored / "reports"


def test_bundle_named_session_and_output(mpcli, s1, samples, rec, tmp_path):
    samples.session("s2", {"b.mp4": rec.play(30, sample="b.mp4")})
    out = tmp_path / "mine.mp-bundle.tar.gz"
    r = mpcli("bundle", "s2", "--output", out)
    assert r.printed_path() == out
    with tarfile.open(out) as tar:
        assert any(n.endswith("dbg/b.mp4.dbg") for n in tar.getnames())


def test_unbundle_tampered_archive(mpcli, s1, tmp_path):
    archive = mpcli("bundle").printed_path()
    tampered = tmp_path / "tampered.mp-bundle.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(tampered, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if data is not None and member.name.endswith("a.mp4.dbg"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            if data is not None:
                import io
                member.size = len(data)
                dst.addfile(member, io.BytesIO(data))
            else:
                dst.addfile(member)
    target = tmp_path / "restore"
    target.mkdir()
    mpcli("unbundle", tampered, "--samples-dir", target).one_line_error()
    assert not (target / "s1").exists()
    (tmp_path / "junk.mp-bundle.tar.gz").write_bytes(b"not an archive")
    mpcli("unbundle", tmp_path / "junk.mp-bundle.tar.gz", "--samples-dir", target) \
        .one_line_error()
