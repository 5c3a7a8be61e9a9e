"""Reading recordings of REAL plays: one tiny clip played by pyglet, twice.

Verdicts depend on timing, so nothing here asserts perfect or defects: only
that every reading command gives consistent, well-formed output.
"""
from __future__ import annotations

import csv
import shutil

from pytest_pyglet_media.store import recording


def test_reading_real_recordings(plug, real_clip, mpcli, index_page):
    shutil.copy(real_clip, plug.samples / "clip.mp4")
    for name in ("r1", "r2"):
        run = plug.run(f"--mp-session={name}", "--mp-timeout=60", "--mp-retries=1",
                       "--mp-plots=all", player=None)
        assert run.ret in (0, 1), run.out
        assert (plug.samples / name / "dbg" / "clip.mp4.dbg").is_file()
    events = recording.load(plug.samples / "r2" / "dbg" / "clip.mp4.dbg")
    assert events[-1] == ("p.P.oe",), events[-5:]  # the play ended, no crash

    sd = ("--samples-dir", plug.samples)
    all_txt = mpcli("report", "clip.mp4", "all", "--session", "r2", *sd).printed_path()
    assert all_txt == plug.samples / "r2" / "reports" / "clip.mp4.all.txt"
    text = all_txt.read_text()
    assert text.count("Enter update_texture") >= 5
    counter = mpcli("report", "clip.mp4", "counter", "--session", "r2", *sd).printed_path()
    assert counter.read_text().strip()

    rows = list(csv.reader(mpcli("timeline", "clip.mp4", "--format", "csv", "--session", "r2",
                                 *sd).printed_path().read_text().splitlines()))
    assert rows[0][0] == "wall_time" and len(rows) > 5
    frame_nums = [int(r[4]) for r in rows[1:]]
    assert frame_nums == sorted(frame_nums) and frame_nums[-1] > 0

    r = mpcli("compare", "r1", "--session", "r2", *sd)
    assert r.code == 0, r.err
    comparison = (plug.samples / "r2" / "reports" / "comparison_r2_r1.txt").read_text()
    assert "Confidence guess, from 1(highest) to 0(lowest): 1.00" in comparison
    regressed = [line for line in r.out.splitlines() if line.startswith("regressed:")]
    assert f"Regressed in 'r2' (new defects, a crash or a timeout): {len(regressed)}" in comparison
    if not regressed:
        assert "perfect -> " not in comparison

    page = mpcli("plot", "clip.mp4", "--session", "r1", *sd).printed_path()
    assert "<html" in page.read_text().lower()

    assert mpcli("summarize", "--session", "r2", *sd).code == 0
    for name in ("r1", "r2"):
        reports = plug.samples / name / "reports"
        rows = index_page(reports).by_sample()
        row = rows["clip.mp4"]
        assert row["cells"][1] in ("perfect", "defects")
        assert "clip.mp4.timeline.html" in row["hrefs"]  # --mp-plots=all
        assert "../dbg/clip.mp4.dbg" in row["hrefs"]
