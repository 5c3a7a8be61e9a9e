"""The plugin's end of run: --mp-compare, --mp-plots, reports/index.html (player doubles)."""
from __future__ import annotations

import html

import pytest

from pytest_pyglet_media.store import sessions

USAGE_ERROR = int(pytest.ExitCode.USAGE_ERROR)


def _known_defect(plug, sample):
    (plug.samples / "samples.toml").write_text(
        f'[corpus]\nversion = "t-1"\n\n[samples."{sample}"]\nexpect = "defect"\nreason = "known"\n')




@pytest.fixture
def base_perfect(plug):
    plug.add("a.mp4", "b.mp4")
    run = plug.run("--mp-session=base", player="perfect")
    assert run.ret == 0, run.out
    return plug


def test_regression_fails_a_run_that_otherwise_passes(base_perfect):
    plug = base_perfect
    _known_defect(plug, "a.mp4")
    (plug.samples / "playlist.txt").write_text("a.mp4\n")
    run = plug.run("--mp-session=new", "--mp-playlist=samples/playlist.txt",
                   "--mp-compare=base", player="defects")
    assert "1 xfailed" in run.out
    assert run.ret == 1, run.out
    assert "compared with base: 1 regressed, 0 fixed, 0 changed" in run.out
    assert "regressed: a.mp4: perfect -> " in run.out
    report = plug.samples / "new" / "reports" / "comparison_new_base.txt"
    text = report.read_text()
    assert "Regressed in 'new' (new defects, a crash or a timeout): 1" in text
    assert "only on playlist session 'base'" in text and "\tb.mp4" in text
    # the index, written last, links to the comparison
    assert "comparison_new_base.txt" in (report.parent / "index.html").read_text()


def test_defects_and_crash_both_reported(base_perfect):
    plug = base_perfect
    plug.add("segfault_c.mp4")
    run = plug.run("--mp-session=new", "--mp-compare=base", player="by_name")
    # a.mp4, b.mp4 perfect again (by_name), segfault_c only in new: nothing regressed
    assert "compared with base: 0 regressed" in run.out
    assert run.ret == 1  # segfault_c.mp4 itself fails
    text = (plug.samples / "new" / "reports" / "comparison_new_base.txt").read_text()
    assert "only on playlist session 'new'" in text and "\tsegfault_c.mp4" in text


def test_no_regression_exits_zero_even_when_others_changed(plug):
    plug.add("defects_a.mp4", "perfect_b.mp4")
    assert plug.run("--mp-session=base").ret == 1  # defects_a fails
    run = plug.run("--mp-session=new", "--mp-compare=base", player="perfect")
    assert run.ret == 0, run.out
    assert "compared with base: 0 regressed, 1 fixed, 0 changed" in run.out
    assert "regressed:" not in run.out
    text = (plug.samples / "new" / "reports" / "comparison_new_base.txt").read_text()
    assert "Fixed in 'new' (defects gone): 1" in text
    assert "\tdefects_a.mp4: discarded_late 3" in text


def test_unknown_compare_session_is_a_usage_error_before_playing(plug):
    plug.add("perfect_a.mp4")
    run = plug.run("--mp-session=new", "--mp-compare=nosuch")
    assert run.ret == USAGE_ERROR
    assert "nosuch" in run.result.stderr.str()
    assert not (plug.samples / "new").exists()
    assert "::play" not in run.out


def test_compare_honours_protected_reports(base_perfect):
    """The run's session protects its reports: no comparison file is written into
    them, but a regression still fails the run."""
    plug = base_perfect
    assert plug.run("--mp-session=new", player="perfect").ret == 0
    paths = sessions.SessionPaths(plug.samples, "new")
    sessions.update_configuration(paths, protect_reports=True)
    before = sorted(p.name for p in paths.reports_dir.iterdir())
    run = plug.run("--mp-session=new", "--mp-compare=base", player="defects")
    assert run.ret == 1
    assert "regressed: a.mp4: perfect -> " in run.out
    assert sorted(p.name for p in paths.reports_dir.iterdir()) == before


# -- plots --------------------------------------------------------------------------------


@pytest.mark.parametrize("which, expected", [
    (None, {"defects_a.mp4", "segfault_c.mp4"}),
    ("failed", {"defects_a.mp4", "segfault_c.mp4"}),
    ("all", {"defects_a.mp4", "perfect_b.mp4", "segfault_c.mp4"}),
    ("none", set()),
])
def test_plots(plug, which, expected):
    import bokeh  # noqa: F401  (a test dependency: fail, never skip, without it)
    plug.add("defects_a.mp4", "perfect_b.mp4", "segfault_c.mp4")
    args = [] if which is None else [f"--mp-plots={which}"]
    run = plug.run("--mp-session=s", *args)
    assert run.ret == 1
    reports = run.reports("s")
    pages = {p.name.removesuffix(".timeline.html") for p in reports.glob("*.timeline.html")}
    assert pages == expected
    if "defects_a.mp4" in expected:
        page = (reports / "defects_a.mp4.timeline.html").read_text()
        assert "bokeh" in page.lower() and "no-timeline" not in page
    if "segfault_c.mp4" in expected:  # a crash: a page saying there is no timeline
        assert "No timeline" in (reports / "segfault_c.mp4.timeline.html").read_text()
    index = (reports / "index.html").read_text()
    for sample in ("defects_a.mp4", "perfect_b.mp4"):
        assert (f'href="{sample}.timeline.html"' in index) == (sample in expected)


def test_bad_plots_value_is_a_usage_error(plug):
    plug.add("perfect_a.mp4")
    run = plug.run("--mp-plots=some")
    assert run.ret == USAGE_ERROR
    assert run.result.stderr.str().count("\n") <= 2


# -- index.html ----------------------------------------------------------------------------


ODD = "defects_a<b>&'\".mp4"


def test_index_lists_every_sample_and_links_only_to_existing_files(plug, index_page):
    plug.add(ODD, "perfect_b.mp4", "segfault_c.mp4", "no_recording_d.mp4", "flaky_e.mp4")
    run = plug.run("--mp-session=s", "--mp-retries=2", "--mp-plots=failed")
    reports = run.reports("s")
    page = index_page(reports)  # every href resolves
    rows = page.by_sample()
    assert set(rows) == {ODD, "perfect_b.mp4", "segfault_c.mp4", "no_recording_d.mp4",
                         "flaky_e.mp4"}
    odd = rows[ODD]
    assert odd["cells"][1] == "defects"
    assert "3" in odd["cells"][2] and "1" in odd["cells"][2]
    assert odd["cells"][3] == "0"
    assert len(odd["hrefs"]) == 4  # all, anomalies, timeline, recording
    assert rows["perfect_b.mp4"]["cells"][1] == "perfect"
    assert rows["perfect_b.mp4"]["hrefs"] == ["../dbg/perfect_b.mp4.dbg"]
    # retried twice, each retry's reason beside the count
    assert rows["segfault_c.mp4"]["cells"][3] == \
        "2" + "crashed: the player was killed by SIGSEGV" * 2
    assert rows["flaky_e.mp4"]["cells"][1] == "perfect"
    assert rows["flaky_e.mp4"]["cells"][3] == \
        "2" + "crashed: the player exited with status 1" * 2  # crashed twice, then played
    text = (reports / "index.html").read_text()
    assert ODD not in text and html.escape(ODD) in text
    assert "<b>" not in text
    assert not any("interrupted" in p for p in page.paragraphs)


def test_index_marks_an_interrupted_run(plug, index_page):
    plug.add("defects_a.mp4", "perfect_b.mp4")
    run = plug.run("--mp-session=s", "-x", "-p", "no:randomly", "--mp-players=1")
    assert run.ret == 1
    page = index_page(run.reports("s"))
    assert any("interrupted" in p for p in page.paragraphs)
    rows = page.by_sample()
    assert rows["perfect_b.mp4"]["cells"][1] == "missing"
    assert rows["perfect_b.mp4"]["hrefs"] == []
