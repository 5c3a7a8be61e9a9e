"""Several samples play at once in one pytest process (ahead.py,
concurrency.py), items stay ordinary items. The `room` double proves overlap
by meeting other players; no assertion here depends on how fast the machine is
(only on the order of events, or lower bounds)."""
from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest


@pytest.fixture
def room(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "room"
    folder.mkdir()
    monkeypatch.setenv("MP_DOUBLE_ROOM", str(folder))
    return folder


def _intervals(room: Path) -> dict[str, tuple[float, float]]:
    """sample -> (start, end) of its last play, from the double's logs."""
    spans = {}
    for log in room.glob("*.log"):
        times = dict(line.split() for line in log.read_text().splitlines())
        spans[log.name[:-len(".log")]] = (float(times["start"]), float(times["end"]))
    return spans


def _most_at_once(spans: dict[str, tuple[float, float]]) -> int:
    edges = sorted([(s, 1) for s, _ in spans.values()] + [(e, -1) for _, e in spans.values()])
    most = now = 0
    for _, step in edges:  # an end sorts before a start at the same instant
        now += step
        most = max(most, now)
    return most


def test_samples_play_at_once_without_xdist(mp, room, monkeypatch):
    """Four players that each wait for the other three: they pass only together."""
    monkeypatch.setenv("MP_DOUBLE_TOGETHER", "4")
    samples = [f"together_{c}.mp4" for c in "abcd"]
    mp.add(*samples)
    # --mp-players given: the machine's idle CPUs are not looked at (a busy
    # CI runner would hold plays back, and these wait for one another)
    run = mp.run("-p", "no:xdist", "-v", "--mp-players=4", player="room")
    assert run.statuses() == {mp.nodeid(s): "PASSED" for s in samples}, run.out
    assert _most_at_once(_intervals(room)) == 4


def test_one_player_at_a_time_with_mp_players_1(mp, room):
    samples = [f"slow_{c}.mp4" for c in "abc"]
    mp.add(*samples)
    run = mp.run("-p", "no:xdist", "--mp-players=1", player="room")
    assert run.outcomes() == {"passed": 3}
    spans = _intervals(room)
    assert sorted(spans) == samples
    assert _most_at_once(spans) == 1


def test_mp_players_caps_players_at_once(mp, room, monkeypatch):
    monkeypatch.setenv("MP_DOUBLE_SECONDS", "0.3")
    samples = [f"slow_{c}.mp4" for c in "abcdef"]
    mp.add(*samples)
    run = mp.run("-p", "no:xdist", "--mp-players=2", player="room")
    assert run.outcomes() == {"passed": 6}
    assert 1 <= _most_at_once(_intervals(room)) <= 2


def test_each_item_reports_its_own_play_time(mp, room, monkeypatch, tmp_path):
    """A play that started ahead of its item: junit's time is the play's own
    (at least the double's 1 s), not the item's short wait for it."""
    monkeypatch.setenv("MP_DOUBLE_SECONDS", "1.0")
    samples = [f"slow_{c}.mp4" for c in "abcd"]
    mp.add(*samples)
    xml = tmp_path / "out.xml"
    run = mp.run("-p", "no:xdist", f"--junitxml={xml}", "--durations=0", "-vv",
                 player="room")
    assert run.outcomes() == {"passed": 4}
    times = {case.get("name"): float(case.get("time"))
             for case in ET.parse(xml).getroot().iter("testcase")}
    assert len(times) == 4 and all(t >= 1.0 for t in times.values()), times
    assert _most_at_once(_intervals(room)) >= 1
    for sample in samples:  # --durations shows the same play times
        assert re.search(rf"^\d+\.\d+s call\s+samples/{re.escape(sample)}::play$",
                         run.out, re.M), run.out


def test_overloaded_plays_are_replayed_among_the_others_within_a_budget(mp, room, monkeypatch,
                                                                      tmp_path):
    """overloaded2_a is overloaded (late frames where its player waited):
    played again at once among the others (waiting_b plays on until it
    is), not alone,
    and only once: 3 samples allow one replay (one per ten samples). Why
    it was played again is in every report. busydefects_c's late frames came
    where its player did not wait: its defects, never played again."""
    mp.add("overloaded2_a.mp4", "waiting_b.mp4", "busydefects_c.mp4")
    xml = tmp_path / "out.xml"
    run = mp.run("-p", "no:xdist", "--mp-order=playlist", "--mp-retries=2", "--mp-players=16",
                 f"--junitxml={xml}", "-o", "junit_family=xunit1", player="room")
    assert run.outcomes() == {"passed": 1, "failed": 2, "rerun": 1}, run.out
    assert re.search(r"^samples/overloaded2_a\.mp4 RF\s", run.out, re.M), run.out
    assert re.search(r"^samples/busydefects_c\.mp4 F\s", run.out, re.M), run.out
    assert (room / "overloaded2_a.mp4.attempts").read_text().strip() == "2"
    assert "waiting_b.mp4" in (room / "overloaded2_a.mp4.saw-2").read_text()
    assert not (room / "busydefects_c.mp4.attempts").exists()
    why = "overloaded: waited 0.24 s of a 0.48 s play"
    section = run.section("overloaded2_a.mp4")
    assert f"played again after play 1: {why}" in section, section
    assert "not played again: the run replayed 1 overloaded play already" in section
    assert f"RERUN overloaded2_a.mp4: {why}" in run.out
    summary = run.summary()
    assert "Retries in this run: 1 (1 overload retry)" in summary, summary
    assert f"Why samples were played again (each retry)\n\toverloaded2_a.mp4: {why}" in summary
    assert "No sample crashed the player." in summary
    index = (run.reports() / "index.html").read_text()
    assert f"<small>{why}</small>" in index and "1 overload retry" in index
    props = mp.junit_cases(xml)
    assert props["overloaded2_a.mp4"]["mp_retry_reasons"] == why
    assert props["busydefects_c.mp4"]["mp_verdict"] == "defects"
    assert "mp_retry_reasons" not in props["busydefects_c.mp4"]


def test_x_stops_the_plays_started_ahead(mp, monkeypatch):
    """-x after the first sample fails: the hanging plays started beside it
    are killed (no player left), and the summary says they were interrupted,
    not crashed."""
    marker = f"mp-ahead-{uuid.uuid4().hex}"
    monkeypatch.setenv("MP_DOUBLE_MARKER", marker)
    mp.add("defects_a.mp4", "hang_b.mp4", "hang_c.mp4", "perfect_d.mp4")
    run = mp.run("-p", "no:xdist", "-x", "--mp-order=playlist", "--mp-timeout=100",
                 "--mp-stall-timeout=100", "--mp-players=16")
    assert run.outcomes() == {"failed": 1}, run.out
    # counted as pytest counted: perfect_d, when it played ahead (to its end,
    # the double is instant), was judged by no item: interrupted, not perfect
    assert "session testrun_00: 4 samples, 0 perfect, 1 with defects, " in run.out, run.out
    assert mp.live_processes_with(marker) == []
    assert mp.live_processes_with(str(mp.samples / "hang_b.mp4")) == []
    summary = run.summary()
    assert "Samples that always crashed" not in summary
    assert re.search("Samples interrupted or being played, without a verdict: [23] ",
                     summary), summary
