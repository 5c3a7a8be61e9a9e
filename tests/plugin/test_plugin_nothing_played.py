"""A run that plays no sample leaves no new session behind."""
from __future__ import annotations


def test_a_new_session_with_nothing_played_is_not_kept(mp):
    mp.add("a.mp4", "b.webm")
    run = mp.run("-k", "no_such_sample", player="perfect")
    assert run.ret == 5  # pytest: no tests ran
    assert run.sessions() == []
    assert "pyglet media session" not in run.out  # no media section either


def test_an_existing_session_is_kept_when_nothing_plays(mp):
    mp.add("a.mp4", "b.webm")
    first = mp.run("--mp-session=keep", player="perfect")
    assert first.ret == 0
    recording = first.recording("a.mp4", session="keep").read_bytes()
    again = mp.run("--mp-session=keep", "-k", "no_such_sample", player="perfect")
    assert again.ret == 5
    assert again.sessions() == ["keep"]
    assert again.recording("a.mp4", session="keep").read_bytes() == recording
    assert "pyglet media session" not in again.out


def test_a_new_session_that_played_is_kept(mp):
    mp.add("a.mp4", "b.webm")
    run = mp.run("-k", "a.mp4", player="perfect")
    assert run.ret == 0
    assert run.sessions() == ["testrun_00"]
    assert run.recording("a.mp4").exists() and not run.recording("b.webm").exists()
