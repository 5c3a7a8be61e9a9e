"""A read-only samples folder plays with --mp-store.

Runs under setpriv, so that root obeys the permission bits."""
from __future__ import annotations

import os

from pytest_pyglet_media.store import sessions


def test_read_only_samples_folder_records_into_the_store(mp, setpriv, pyglet_mp):
    mp.add("perfect_a.mp4", "perfect_b.mp4")
    (mp.samples / "samples.toml").write_text('[corpus]\nversion = "ro-1"\n')
    before = sorted(p.name for p in mp.samples.iterdir())
    kept = mp.pytester.path / "kept"
    os.chmod(mp.samples, 0o555)
    try:
        run = mp.run("--mp-store=kept", "-n", "2", prefix=setpriv)
        assert run.ret == 0, run.out + run.err
        cli = pyglet_mp("--samples-dir=samples", "--store=kept", "new", "named", prefix=setpriv)
        assert cli.code == 0, cli.output
        cli = pyglet_mp("--samples-dir=samples", "--store=kept", "list", prefix=setpriv)
        assert cli.code == 0 and "* named" in cli.out, cli.output
    finally:
        os.chmod(mp.samples, 0o755)
    assert sorted(p.name for p in mp.samples.iterdir()) == before
    assert sessions.list_sessions(kept) == ["named", "testrun_00"]
    for sample in ("perfect_a.mp4", "perfect_b.mp4"):
        assert (kept / "testrun_00" / "dbg" / f"{sample}.dbg").is_file()
    assert (kept / "testrun_00" / "reports" / "00_summary.txt").is_file()
    assert sessions.active_session(kept) == "named"
