"""Recordings of admitted types whose values break readers.

Every reading command gives one line naming the recording (or judges it
unreadable), never a traceback, and the plugin's end of run still writes
the summary of this run.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from pytest_pyglet_media.store import sessions

GOOD = [("version", 1.1), ("mp.im", "a.mp4"), ("mp.src", 1.0, None, None), ("p.P._sp", 0.0),
        ("p.P.ut.1.0", 0.1, 0.0, 0.0, 0.0), ("p.P.ut.1.6", 0.0), ("p.P.ut.1.9", 0.1, 0.1),
        ("mp.end", 1.0), ("p.P.oe",)]


def _deep(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


CRAFTED = {
    "5000-digit int": lambda: [*GOOD[:4], ("p.P.ut.1.0", 10 ** 5000, 0.0, 0.0, 0.0), *GOOD[5:]],
    "5000-digit version": lambda: [("version", 10 ** 5000), *GOOD[1:]],
    "int event name": lambda: [GOOD[0], (10 ** 5000,), *GOOD[1:]],
    "None cpu": lambda: [*GOOD[:7], ("mp.cpu", None, None), *GOOD[7:]],
    "nested 200000": lambda: [*GOOD[:2], ("mp.src", 1.0, _deep(200_000), None), *GOOD[3:]],
    "lone surrogate": lambda: [*GOOD[:2], ("mp.err", "bad \udc80 text"), ("p.P.oe",)],
    "NaN times": lambda: [(e[0], *(float("nan") if isinstance(v, float) else v for v in e[1:]))
                          for e in GOOD],
}


def _write(path, events) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        data = pickle.dumps(events, protocol=4)
    except RecursionError:  # build the deep pickle by hand: pickle itself recurses
        data = b"\x80\x04]" + b"]" * 200_000 + b"."
    path.write_bytes(data)


@pytest.fixture
def crafted_session(tmp_path):
    samples = tmp_path / "samples"
    samples.mkdir()
    names = [f"{i}.mp4" for i in range(len(CRAFTED))]
    for name in names:
        (samples / name).write_bytes(b"x")
    paths = sessions.create_session(samples, "s", names, has_playlist=True,
                                 versions={"pyglet": "2.1.19"}, samples_version="t")
    other = sessions.create_session(samples, "o", names, has_playlist=True, versions={},
                                 samples_version="t")
    for name, make in zip(names, CRAFTED.values()):
        _write(paths.recording(name), make())
        _write(other.recording(name), GOOD)
    sessions.set_active_session(samples, "s")
    return paths, dict(zip(CRAFTED, names))


def test_summarize_judges_each_unreadable_and_writes_the_summary(crafted_session, mpcli):
    paths, names = crafted_session
    result = mpcli("summarize", "--samples-dir", paths.samples_dir)
    assert result.code == 0, result.output
    summary = paths.special_report("summary").read_text(encoding="utf-8")
    assert f"session: {paths.name}" in summary
    assert f"Samples with an unreadable recording: {len(names) - 1}" in summary
    # the None CPU wait is "not measured": the play itself is whole
    assert names["None cpu"] not in summary.split("Appendix, samples with an unreadable")[1]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("kind", sorted(CRAFTED))
@pytest.mark.parametrize("command", [("report", "SAMPLE", "all"), ("report", "SAMPLE", "counter"),
                                     ("timeline", "SAMPLE", "--format", "csv"),
                                     ("plot", "SAMPLE")])
def test_reading_commands_give_one_line(crafted_session, mpcli, kind, command):
    paths, names = crafted_session
    args = [names[kind] if a == "SAMPLE" else a for a in command]
    result = mpcli(*args, "--samples-dir", paths.samples_dir)
    if kind == "None cpu":
        assert result.code == 0, result.output
        return
    line = result.one_line_error(str(paths.recording(names[kind])))
    assert len(line) < 600


def test_compare_with_crafted_recordings(crafted_session, mpcli):
    paths, names = crafted_session
    result = mpcli("compare", "o", "--samples-dir", paths.samples_dir)
    assert result.code == 0, result.output
    text = Path(result.out.splitlines()[0]).read_text(encoding="utf-8")
    assert "Traceback" not in result.output
    assert "unreadable" in text or "regressed" in text
    assert f"{names['lone surrogate']}: perfect -> unreadable" in result.out


def test_the_plugins_end_of_run_writes_this_runs_summary(mp, _bokeh_before_pytester):
    """Crafted recordings of samples not played in this run (a -k run) are
    judged unreadable; the run's own summary replaces the old one."""
    mp.add("perfect_a.mp4", *(f"{i}.mp4" for i in range(len(CRAFTED))))
    first = mp.run("--mp-session=s", "--mp-plots=all")
    assert first.ret == 0, first.out
    dbg = mp.samples / "s" / "dbg"
    for i, make in enumerate(CRAFTED.values()):
        target = dbg / f"{i}.mp4.dbg"
        target.unlink()
        _write(target, make())
    old = (mp.samples / "s" / "reports" / "00_summary.txt").read_text()
    run = mp.run("--mp-session=s", "--mp-plots=all", "-k", "perfect_a")
    assert run.ret == 0, run.out + run.err
    assert "INTERNALERROR" not in run.out + run.err and "Traceback" not in run.out
    summary = run.summary("s")
    assert summary != old
    assert f"Samples with an unreadable recording: {len(CRAFTED) - 1}" in summary
