"""--mp-order: samples are collected (so played, and handed out by xdist)
longest first, by stored duration, else by file size; or in playlist order."""
from __future__ import annotations

from pytest_pyglet_media.store import reference
from pytest_pyglet_media.store.reference import Reference

#: name -> size: the playlist (by name) is neither the size nor the duration order
SIZES = {"perfect_a.mp4": 100, "perfect_b.wav": 3000, "perfect_c.ogv": 10,
         "perfect_d.mp4": 3000, "perfect_e.webm": 500}
BY_SIZE = ["perfect_b.wav", "perfect_d.mp4", "perfect_e.webm", "perfect_a.mp4",
           "perfect_c.ogv"]


def _corpus(mp):
    for name, size in SIZES.items():
        mp.add(name, content=b"x" * size)


def _listed(run):
    return [line for line in run.out.splitlines() if "::" in line]


def test_collected_biggest_first_by_default_and_in_playlist_order_on_request(mp):
    _corpus(mp)
    run = mp.run("--collect-only", "-q")
    assert run.ret == 0, run.err
    assert _listed(run) == [mp.nodeid(s) for s in BY_SIZE]  # node ids unchanged
    run = mp.run("--collect-only", "-q", "--mp-order=playlist")
    assert _listed(run) == [mp.nodeid(s) for s in sorted(SIZES)]


def test_an_ini_setting_and_the_environment_choose_too(mp, inner_run_env):
    _corpus(mp)
    inner_run_env.setenv("PYTEST_MP_ORDER", "playlist")
    assert _listed(mp.run("--collect-only", "-q")) == [mp.nodeid(s) for s in sorted(SIZES)]
    mp.pytester.makeini("[pytest]\nmp_order = longest\n")
    assert _listed(mp.run("--collect-only", "-q")) == [mp.nodeid(s) for s in BY_SIZE]


def test_a_session_with_references_orders_by_duration(mp):
    _corpus(mp)
    run = mp.run("--mp-session=s")
    assert run.outcomes() == {"passed": 5}, run.out
    refs = mp.samples / "s" / "reference"
    refs.mkdir(exist_ok=True)
    durations = {"perfect_a.mp4": 40.0, "perfect_b.wav": 1.0, "perfect_c.ogv": 20.0,
                 "perfect_d.mp4": 1.0}
    # perfect_e.webm has no reference: its 500 bytes at the others' rate
    # (6110 bytes in 62 s) are ~5 s; equal durations keep name order

    for name, seconds in durations.items():
        reference.save(refs / f"{name}.json", Reference(seconds, 0.0, ()),
                       reference.file_key(mp.samples / name))
    expected = ["perfect_a.mp4", "perfect_c.ogv", "perfect_e.webm", "perfect_b.wav",
                "perfect_d.mp4"]
    run = mp.run("--collect-only", "-q", "--mp-session=s")
    assert _listed(run) == [mp.nodeid(s) for s in expected]
    # xdist: every worker collects the controller's order (one worker plays it
    # in order). The synthetic durations fail the doubles' short plays
    # (short_play): only the order matters here.
    run = mp.run("-v", "--mp-session=s", "-n", "1")
    assert list(run.statuses()) == [mp.nodeid(s) for s in expected], run.out
    run = mp.run("-v", "--mp-session=s", "-n", "2", "--dist", "loadscope")
    assert sum(run.outcomes().values()) == 5 and "INTERNALERROR" not in run.out, run.out
    assert sorted(run.statuses()) == sorted(mp.nodeid(s) for s in expected)


def test_explicit_node_ids_keep_the_order_given(mp):
    _corpus(mp)
    wanted = [mp.nodeid("perfect_c.ogv"), mp.nodeid("perfect_b.wav")]
    run = mp.run("--collect-only", "-q", *wanted)
    assert _listed(run) == wanted


def test_a_bad_order_is_a_usage_error_naming_its_source(mp, inner_run_env):
    _corpus(mp)
    run = mp.run("--mp-order=shortest")
    assert run.ret == 4
    assert "--mp-order: bad value 'shortest' from --mp-order on the command line" in run.err
    assert "choose one of longest, playlist" in run.err
    inner_run_env.setenv("PYTEST_MP_ORDER", "random")
    run = mp.run()
    assert run.ret == 4 and "from environment variable PYTEST_MP_ORDER" in run.err
