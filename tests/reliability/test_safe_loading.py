"""Recordings that are not what they claim: refused, reported, never run.

A session's recordings may come from someone else (a bug report, a bundle):
a pickle that would run code is refused with a message naming the file, and
malformed recordings are reported as unreadable, never as perfect plays,
never with a traceback. Checked through the plugin's summary and through
`pyglet-mp summarize` and `pyglet-mp report`, not only at the unit level.
"""
from __future__ import annotations

import os
import pickle

from pytest_pyglet_media.cli import main as cli
from pytest_pyglet_media.store import recording as rec


class _Evil:
    """Unpickling this runs `touch MARKER` (os.system) with a trusting loader."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch '{self.marker}'",)


def _replace(path, data: bytes) -> None:
    """Put bytes where a (read-only) recording is, as a copied-in file would be."""
    path.unlink(missing_ok=True)
    path.write_bytes(data)
    os.chmod(path, rec.RECORDING_MODE)


def test_code_running_recording_is_refused_and_nothing_runs(mp, pyglet_mp, no_internal_error):
    marker = mp.pytester.path / "CODE-RAN"
    mp.add("perfect_a.mp4", "perfect_b.mp4")
    assert mp.run("--mp-session=s").ret == 0
    evil = mp.samples / "s" / "dbg" / "perfect_b.mp4.dbg"
    # a valid-looking play whose last element unpickles into os.system(...)
    _replace(evil, pickle.dumps([("version", 1.1), ("mp.im", "perfect_b.mp4"), _Evil(marker)]))

    # 1. the plugin: a run playing only perfect_a summarizes perfect_b from disk
    run = mp.run("--mp-session=s", "-k", "perfect_a")
    no_internal_error(run.out + run.err)
    assert run.outcomes() == {"passed": 1, "deselected": 1}
    assert "1 unreadable" in run.out
    summary = run.summary("s")
    assert "Samples with an unreadable recording: 1" in summary
    assert "Appendix, samples with an unreadable recording\n\tperfect_b.mp4\n" in summary
    assert "Relevant samples with perfect play: 1 / 1" in summary
    report = (mp.samples / "s" / "reports" / "perfect_b.mp4.all.txt").read_text()
    assert str(evil) in report and "system" in report and "builtin data" in report

    # 2. pyglet-mp summarize: the same, from the recordings only
    (mp.samples / "s" / "reports" / "00_summary.txt").unlink()
    summarized = pyglet_mp("summarize", "--samples-dir=samples", "--session=s")
    assert summarized.code == 0, summarized.output
    no_internal_error(summarized.output)
    assert "Samples with an unreadable recording: 1" in run.summary("s")
    assert "Relevant samples with perfect play: 1 / 1" in run.summary("s")

    # 3. pyglet-mp report: refused in one line naming the file
    reported = pyglet_mp("report", "perfect_b.mp4", "all", "--samples-dir=samples", "--session=s")
    assert reported.code == 2
    no_internal_error(reported.output)
    assert len(reported.err.strip().splitlines()) == 1
    assert str(evil) in reported.err and "system" in reported.err

    assert not marker.exists(), "loading a recording ran its code"


def _events(name, *extra):
    return [("version", 1.1), ("mp.im", name), ("p.P._sp", 0.0), *extra, ("p.P.oe",)]


GOOD = _events("good.mp4", ("p.P.ut.1.0", 0.04, 0.0, 0.0, 0.0), ("p.P.ut.1.6", 0.0),
               ("p.P.ut.1.9", 0.04, 0.04))
#: sample -> (its recording's bytes, words the reason holds)
MALFORMED = {
    "empty.mp4": (b"", "empty"),
    "truncated.mp4": (rec.dumps(GOOD)[:-9], "not a recording"),
    "other_version.mp4": (rec.dumps([("version", 2.0), *GOOD[1:]]), "version"),
    "unknown_event.mp4": (rec.dumps(_events("unknown_event.mp4", ("p.P.zz", 1.0))),
                          "unknown name"),
    "too_many_fields.mp4": (rec.dumps(_events("too_many_fields.mp4", ("p.P.ut.1.6", 0.0, 1.0))),
                            "fields, expected 1"),
    "too_few_fields.mp4": (rec.dumps(_events("too_few_fields.mp4", ("p.P.ut.1.9", 0.1))),
                           "fields, expected 2"),
    "wrong_type.mp4": (rec.dumps(_events("wrong_type.mp4", ("p.P.ut.1.6", "late"))), "str"),
    "not_a_list.mp4": (rec.dumps({"events": GOOD}), "not a list"),
    "not_a_pickle.mp4": (b"plain text, not a pickle\n", "not a recording"),
}


def test_malformed_recordings_are_unreadable_in_the_summary(mp, pyglet_mp, no_internal_error,
                                                             capsys):
    mp.add("good.mp4", *MALFORMED)
    assert mp.run("--mp-session=s", player="perfect").ret == 0
    dbg = mp.samples / "s" / "dbg"
    _replace(dbg / "good.mp4.dbg", rec.dumps(GOOD))
    for sample, (data, _) in MALFORMED.items():
        _replace(dbg / f"{sample}.dbg", data)

    summarized = pyglet_mp("summarize", "--samples-dir=samples", "--session=s")
    assert summarized.code == 0, summarized.output
    no_internal_error(summarized.output)
    summary = (mp.samples / "s" / "reports" / "00_summary.txt").read_text()
    assert f"Samples with an unreadable recording: {len(MALFORMED)}" in summary
    assert "Appendix, samples with an unreadable recording\n" + \
        "".join(f"\t{s}\n" for s in sorted(MALFORMED)) in summary
    # never counted as perfect (nor as crashed)
    assert "Relevant samples with perfect play: 1 / 1" in summary
    assert "No sample crashed the player." in summary
    for sample, (_, words) in MALFORMED.items():
        text = (mp.samples / "s" / "reports" / f"{sample}.all.txt").read_text()
        assert words in text, (sample, text)
        no_internal_error(text)

    # each sample's report command: one line naming the file, exit 2
    for sample, (_, words) in MALFORMED.items():
        code = cli.main(["report", sample, "anomalies", f"--samples-dir={mp.samples}",
                         "--session=s"])
        out, err = capsys.readouterr()
        assert code == 2, (sample, out, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in out + err
        assert str(dbg / f"{sample}.dbg") in err and words in err, (sample, err)


def test_unreadable_recording_fails_cleanly(mp):
    # the double writes junk where the recording goes: judged unreadable, not retried
    mp.add("a.mp4")
    double = mp.pytester.path / "junk_player.py"
    double.write_text(
        "import sys\n"
        "if '--info' in sys.argv: print('{}'); sys.exit(0)\n"
        "open(sys.argv[2], 'wb').write(b'cos\\nsystem\\n(S\"true\"\\ntR.')\n")
    # a module in the rootdir (pytester puts it on PYTHONPATH)
    run = mp.run("--mp-retries=3", "--mp-player=junk_player", player=None)
    assert run.outcomes() == {"failed": 1}
    text = run.section("a.mp4")
    assert "is unreadable" in text and "os.system" in text
    assert os.path.exists(run.recording("a.mp4"))
