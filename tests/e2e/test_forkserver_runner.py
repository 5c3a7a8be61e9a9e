"""The fork server (forkserver.py) through runner.run: real clips, real pyglet.

pyglet runs only in the server and its forked players, never in this
process (the `no_pyglet_imported` check, as in the unit suite). No timing
assertions: a play counts as perfect when its verdict is, and audio clips are
used where a perfect verdict is required (a busy machine can make a video
play drop a late frame; see test_e2e_play.py). The fork server's pure checks
are in tests/unit/test_forkserver_unit.py, the runner's end of the protocol
against a fake server in tests/process/test_forkserver_fake_server.py.

The last tests play several samples at once, as a scheduler does: threads
of this process call runner.run together and share the one fork server.
Their overlap is seen in the server's children (/proc), never in durations.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest
from mp_support.threads import in_threads

from pytest_pyglet_media.core import exits
from pytest_pyglet_media.judge import analysis
from pytest_pyglet_media.play import forkserver, procgroup, runner
from pytest_pyglet_media.store import recording

# the fork server is Linux-only (elsewhere the runner uses fresh interpreters,
# which the fallback tests cover); the ffmpeg tool and pyglet must be there
pytestmark = [pytest.mark.skipif(not sys.platform.startswith("linux"),
                                 reason="the fork server runs on Linux only"),
              pytest.mark.usefixtures("ffmpeg", "no_pyglet_imported")]

FFMPEG = ("ffmpeg", "-v", "error", "-y", "-nostdin")
TIMING_DEFECTS = {"discarded_late", "scheduling_in_past"}


def _ffmpeg(*args: str) -> None:
    subprocess.run([*FFMPEG, *args], check=True, timeout=60, stdin=subprocess.DEVNULL,
                   capture_output=True)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("forkserver_clips")
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=0.3",
            "-c:a", "pcm_s16le", str(folder / "short.wav"))
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=1",
            "-c:a", "pcm_s16le", str(folder / "long.wav"))
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=0.4",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=0.4",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-t", "0.4", str(folder / "clip.mp4"))
    (folder / "not_media.mp4").write_text("this is not media\n")
    return folder


@pytest.fixture
def servers(inner_run_env: pytest.MonkeyPatch):
    """A fresh fork-server slot for this test, stopped at its end."""
    slot = runner._Servers()
    inner_run_env.setattr(runner, "SERVERS", slot)
    yield slot
    slot.close()


@pytest.fixture
def killed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids whose process group the runner killed."""
    pids: list[int] = []
    real = procgroup.kill_group

    def spy(pid: int) -> None:
        pids.append(pid)
        real(pid)

    monkeypatch.setattr(procgroup, "kill_group", spy)
    return pids


def play(clips: Path, tmp_path: Path, sample: str, rec: Path | None = None,
         **kw) -> tuple[runner.RunResult, Path]:
    rec = rec or tmp_path / f"{sample}.{len(list(tmp_path.iterdir()))}.dbg"
    request = runner.PlayRequest(sample_path=clips / sample, recording_path=rec,
                                 name=sample, **kw)
    return runner.run(request), rec


def verdict(rec: Path) -> analysis.Verdict:
    return analysis.analyse(recording.load(rec))


def alive(pid: int) -> bool:
    """True while /proc holds the pid (a zombie counts: nobody reaped it)."""
    return Path(f"/proc/{pid}").exists()


def dead(pid: int, timeout: float = 30.0) -> bool:
    """True once the pid runs no more: gone, or a zombie left to init to reap."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state in ("Z", "X") or time.monotonic() > deadline:
            return state in ("Z", "X")
        time.sleep(0.02)


def children(pid: int, running: bool = False) -> list[int]:
    """The children of `pid`; with `running`, not those that are zombies."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid and not (running and stat[0] in ("Z", "X")):
                found.append(int(entry.name))
    return found


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""  # gone meanwhile


def first_child(server_pid: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = children(server_pid)
        if kids:
            return kids[0]
        time.sleep(0.01)
    raise AssertionError("the fork server forked no player")


def test_plays_in_a_forked_child_and_reuses_the_server(servers, clips, tmp_path):
    first, rec = play(clips, tmp_path, "short.wav")
    assert (first.spawn, first.returncode, first.timed_out) == ("fork", 0, False), first
    assert verdict(rec).outcome == analysis.PERFECT
    server = servers.server
    assert server is not None and server.alive
    second, rec2 = play(clips, tmp_path, "short.wav")
    assert second.spawn == "fork" and servers.server is server  # one server per process
    assert verdict(rec2).outcome == analysis.PERFECT
    assert children(server.pid) == []  # every player reaped
    assert "pyglet" not in sys.modules


def test_unplayable_file_keeps_its_exit_status(servers, clips, tmp_path):
    result, rec = play(clips, tmp_path, "not_media.mp4")
    assert result.spawn == "fork" and result.returncode == exits.EXIT_UNPLAYABLE
    assert verdict(rec).outcome == analysis.UNPLAYABLE


def test_timeout_kills_and_reaps_the_player(servers, clips, tmp_path, killed):
    result, rec = play(clips, tmp_path, "long.wav", timeout=0.2)
    assert result.spawn == "fork" and result.timed_out and result.returncode is None
    assert killed, "the runner killed no process group"
    assert not any(alive(pid) for pid in killed)  # killed, and reaped by the server
    assert children(servers.server.pid) == []
    # the server still serves
    again, rec2 = play(clips, tmp_path, "short.wav")
    assert again.spawn == "fork" and verdict(rec2).outcome == analysis.PERFECT


def test_a_player_killed_by_a_signal_reports_it(servers, clips, tmp_path):
    play(clips, tmp_path, "short.wav")  # the server is up
    server_pid = servers.server.pid

    def segfault_the_player() -> None:
        pid = first_child(server_pid)
        # wait until the player is playing (its crash placeholder is written
        # after its output goes to the log): a signal sent earlier would
        # print faulthandler's stack to the server's stderr instead
        deadline = time.monotonic() + 30
        while not list(tmp_path.glob("long.wav.*.dbg")) and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(pid, signal.SIGSEGV)

    killer = threading.Thread(target=segfault_the_player)
    killer.start()
    result, rec = play(clips, tmp_path, "long.wav")
    killer.join()
    assert result.spawn == "fork"
    assert result.returncode == -signal.SIGSEGV and result.signal_name == "SIGSEGV"
    assert verdict(rec).outcome == analysis.CRASHED
    assert "Fatal Python error" in result.stderr_tail  # faulthandler, as in a fresh one


def test_interrupt_kills_the_player_and_the_server_serves_on(servers, clips, tmp_path,
                                                             killed):
    play(clips, tmp_path, "short.wav")
    server_pid = servers.server.pid
    main = threading.main_thread().ident

    def interrupt() -> None:
        first_child(server_pid)
        signal.pthread_kill(main, signal.SIGINT)

    killer = threading.Thread(target=interrupt)
    killer.start()
    with pytest.raises(KeyboardInterrupt):
        play(clips, tmp_path, "long.wav")
    killer.join()
    interrupted = killed[-1]
    # the interrupted play's report is stale: the next play must not read it
    result, rec = play(clips, tmp_path, "short.wav")
    assert result.spawn == "fork" and result.returncode == 0 and not result.timed_out
    assert verdict(rec).outcome == analysis.PERFECT
    assert not alive(interrupted)  # killed, and reaped by the server before this play


def test_falls_back_to_a_fresh_interpreter_when_the_server_cannot_start(servers, clips,
                                                                        tmp_path):
    servers.argv = [sys.executable, "-c", "import sys; sys.exit(7)"]
    result, rec = play(clips, tmp_path, "short.wav")
    assert result.spawn == "fresh" and result.returncode == 0
    assert verdict(rec).outcome == analysis.PERFECT
    assert result.stderr_tail.startswith(runner.FALLBACK_NOTE)
    assert "fork server did not start" in result.stderr_tail and "status 7" in result.stderr_tail
    # not tried again for every play
    again, _ = play(clips, tmp_path, "short.wav")
    assert again.spawn == "fresh" and runner.FALLBACK_NOTE in again.stderr_tail


def test_server_whose_pyglet_import_fails_says_why(clips, tmp_path, inner_run_env):
    fake = tmp_path / "fake"
    (fake / "pyglet").mkdir(parents=True)
    (fake / "pyglet" / "__init__.py").write_text("raise ImportError('no pyglet here')\n")
    env = runner.child_environment()
    env["PYTHONPATH"] = os.pathsep.join([str(fake), env.get("PYTHONPATH", "")])
    server = forkserver.ForkServer(env)
    with pytest.raises(forkserver.Unavailable, match="ImportError: no pyglet here"):
        server.start()
    assert server.proc is None and server.sock is None


def test_server_killed_between_plays_is_started_again(servers, clips, tmp_path):
    play(clips, tmp_path, "short.wav")
    old = servers.server.pid
    os.kill(old, signal.SIGKILL)
    servers.server.proc.wait()
    result, rec = play(clips, tmp_path, "short.wav")
    assert result.spawn == "fork" and servers.server.pid != old
    assert verdict(rec).outcome == analysis.PERFECT


def test_server_dying_during_a_play_falls_back(servers, clips, tmp_path):
    play(clips, tmp_path, "short.wav")
    server_pid = servers.server.pid
    player: list[int] = []

    def kill_server() -> None:
        player.append(first_child(server_pid))
        os.kill(server_pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_server)
    killer.start()
    result, rec = play(clips, tmp_path, "long.wav")
    killer.join()
    assert result.spawn == "fresh" and result.returncode == 0
    assert "fork server failed" in result.stderr_tail
    assert verdict(rec).outcome == analysis.PERFECT  # played again, to the end
    assert dead(player[0])  # the forked player died with its server (init reaps it)


def test_server_started_by_a_thread_that_ended_serves_on(servers, clips, tmp_path):
    # PR_SET_PDEATHSIG fires when the *thread* that started a process ends:
    # the server must not die with a play's thread
    starter = threading.Thread(target=play, args=(clips, tmp_path, "short.wav"))
    starter.start()
    starter.join()
    first = servers.server
    assert first is not None
    result, rec = play(clips, tmp_path, "short.wav")
    assert result.spawn == "fork" and servers.server is first and servers.restarts == 0
    assert verdict(rec).outcome == analysis.PERFECT


def test_server_exits_when_its_runner_dies_though_a_copy_holds_the_socket(tmp_path):
    # a runner that starts a server, forks a copy of itself (which keeps the
    # runner's end of the socket open) and dies: no EOF, yet the server goes
    script = tmp_path / "runner.py"
    script.write_text(textwrap.dedent("""
        import os, sys, time
        from pytest_pyglet_media.play import forkserver, runner
        server = forkserver.ForkServer(runner.child_environment())
        server.start()
        copy = os.fork()
        if copy == 0:  # not the test's pipe: the test waits for the runner only
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            time.sleep(60)
            os._exit(0)
        print(server.pid, copy, flush=True)
        os._exit(0)
    """))
    env = runner.child_environment()
    env["PYTHONPATH"] = os.pathsep.join([*sys.path, env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                         text=True, timeout=120, check=True).stdout
    server_pid, copy = map(int, out.split())
    try:
        assert dead(server_pid), "the fork server outlived its runner"
    finally:
        os.kill(copy, signal.SIGKILL)


def test_player_doubles_and_fresh_spawn_use_a_fresh_interpreter(servers, clips, tmp_path):
    double, rec = play(clips, tmp_path, "short.wav", player_module="doubles.perfect")
    assert double.spawn == "fresh" and double.returncode == 0
    fresh, rec2 = play(clips, tmp_path, "short.wav", spawn="fresh")
    assert fresh.spawn == "fresh" and fresh.stderr_tail == ""  # a choice: no note
    assert verdict(rec2).outcome == analysis.PERFECT
    assert servers.server is None  # never started


@pytest.mark.parametrize("sample", ["short.wav", "clip.mp4", "not_media.mp4"])
def test_verdict_parity_fork_and_fresh(servers, clips, tmp_path, sample):
    forked, rec_fork = play(clips, tmp_path, sample, spawn="fork")
    fresh, rec_fresh = play(clips, tmp_path, sample, spawn="fresh")
    assert (forked.spawn, fresh.spawn) == ("fork", "fresh")
    assert forked.returncode == fresh.returncode
    a, b = verdict(rec_fork), verdict(rec_fresh)
    if sample == "clip.mp4":  # video: the machine's timing may drop a late frame
        assert {a.outcome, b.outcome} <= {analysis.PERFECT, analysis.DEFECTS}
        assert set(a.counts) | set(b.counts) <= TIMING_DEFECTS
    else:
        assert a.outcome == b.outcome
        assert a.outcome == (analysis.PERFECT if sample.endswith(".wav")
                             else analysis.UNPLAYABLE)
    ev_fork, ev_fresh = recording.load(rec_fork), recording.load(rec_fresh)
    src = [next((e for e in ev if e[0] == "mp.src"), None) for ev in (ev_fork, ev_fresh)]
    assert src[0] == src[1]  # same source seen: duration and formats


# -- several plays at once (threads of one process, one fork server) -------------------


class Watcher(threading.Thread):
    """Looks at the fork server's children while plays run: which ran, the most at once."""

    def __init__(self, servers: runner._Servers) -> None:
        super().__init__(daemon=True)
        self.servers = servers
        self.seen: set[int] = set()
        self.most = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            server = self.servers.server
            if server is not None and server.pid is not None:
                running = children(server.pid, running=True)
                self.seen.update(running)
                self.most = max(self.most, len(running))
            time.sleep(0.005)

    def __enter__(self) -> "Watcher":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.join()


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Each call in its own thread, all released together; their results in order
    (an exception raised in a thread is raised here)."""
    results = in_threads(*calls, timeout=180)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch) -> list[forkserver.ForkServer]:
    """The fork servers started during the test."""
    started: list[forkserver.ForkServer] = []
    real = forkserver.ForkServer.start

    def spy(self: forkserver.ForkServer) -> None:
        real(self)
        started.append(self)

    monkeypatch.setattr(forkserver.ForkServer, "start", spy)
    return started


def test_plays_started_together_share_one_server_and_overlap(servers, clips, tmp_path,
                                                             starts):
    # four threads start their plays at once, before any server runs: one starts
    # it, the others wait for it, and all four play in children of that server
    recs = [tmp_path / f"together.{i}.dbg" for i in range(4)]
    with Watcher(servers) as watcher:
        results = at_once(*(lambda rec=rec: play(clips, tmp_path, "long.wav", rec=rec)[0]
                            for rec in recs))
    for result, rec in zip(results, recs):
        assert (result.spawn, result.returncode, result.timed_out) == ("fork", 0, False), result
        assert verdict(rec).outcome == analysis.PERFECT, rec
    assert len(starts) == 1 and servers.server is starts[0] and servers.restarts == 0
    server_pid = servers.server.pid
    assert len(watcher.seen) == 4  # one child per play, all forked by that server
    assert watcher.most >= 2, "the plays ran one after the other"
    assert children(server_pid) == []  # every player reaped


def test_one_of_several_plays_times_out_the_others_finish(servers, clips, tmp_path,
                                                          killed):
    play(clips, tmp_path, "short.wav")  # the server is up
    server = servers.server
    recs = [tmp_path / f"mixed.{i}.dbg" for i in range(3)]
    hung, *fine = at_once(
        lambda: play(clips, tmp_path, "long.wav", rec=recs[0], timeout=0.2)[0],
        lambda: play(clips, tmp_path, "long.wav", rec=recs[1])[0],
        lambda: play(clips, tmp_path, "short.wav", rec=recs[2])[0])
    assert (hung.spawn, hung.timed_out, hung.returncode) == ("fork", True, None), hung
    for result, rec in zip(fine, recs[1:]):
        assert (result.spawn, result.returncode, result.timed_out) == ("fork", 0, False), result
        assert verdict(rec).outcome == analysis.PERFECT, rec
    assert not any(alive(pid) for pid in killed)  # killed, and reaped by the server
    assert servers.server is server and server.alive and children(server.pid) == []


def test_server_killed_during_two_plays_both_fall_back(servers, clips, tmp_path):
    play(clips, tmp_path, "short.wav")  # the server is up
    server = servers.server
    players: list[int] = []

    def kill_server_when_both_play() -> None:
        deadline = time.monotonic() + 30
        while len(children(server.pid, running=True)) < 2 and time.monotonic() < deadline:
            time.sleep(0.005)
        players.extend(children(server.pid))
        os.kill(server.pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_server_when_both_play)
    killer.start()
    recs = [tmp_path / f"lost.{i}.dbg" for i in range(2)]
    results = at_once(*(lambda rec=rec: play(clips, tmp_path, "long.wav", rec=rec)[0]
                        for rec in recs))
    killer.join()
    assert len(players) == 2, "the two plays never ran together"
    for result, rec in zip(results, recs):
        assert result.spawn == "fresh" and result.returncode == 0, result
        assert "fork server failed" in result.stderr_tail
        assert verdict(rec).outcome == analysis.PERFECT  # played again, to the end
    assert servers.restarts == 1  # one death, though two plays saw it
    # the forked players died with their server (PR_SET_PDEATHSIG; the runner
    # kills their groups too, when the server said `started` before it died)
    assert all(dead(pid) for pid in players)
    fresh = [pid for pid in children(os.getpid(), running=True)
             if b"pytest_pyglet_media.play.player" in cmdline(pid)]
    assert fresh == []  # the fresh players that played again are reaped


def test_interrupt_of_one_play_leaves_the_others_playing(servers, clips, tmp_path, killed):
    play(clips, tmp_path, "short.wav")  # the server is up
    server = servers.server
    main = threading.main_thread().ident
    other: list[runner.RunResult] = []
    rec = tmp_path / "other.dbg"
    background = threading.Thread(
        target=lambda: other.append(play(clips, tmp_path, "long.wav", rec=rec)[0]))

    def interrupt_when_both_play() -> None:
        deadline = time.monotonic() + 30
        while len(children(server.pid, running=True)) < 2 and time.monotonic() < deadline:
            time.sleep(0.005)
        signal.pthread_kill(main, signal.SIGINT)

    interrupter = threading.Thread(target=interrupt_when_both_play)
    background.start()
    interrupter.start()
    with pytest.raises(KeyboardInterrupt):
        play(clips, tmp_path, "long.wav")
    interrupter.join()
    background.join(timeout=120)
    assert not background.is_alive()
    (result,) = other
    assert (result.spawn, result.returncode, result.timed_out) == ("fork", 0, False), result
    assert verdict(rec).outcome == analysis.PERFECT
    # the warm-up's, the interrupted play's and the other play's groups: killed, and
    # every player reaped by the server
    assert len(killed) == 3 and not any(alive(pid) for pid in killed)
    assert servers.server is server and server.alive and children(server.pid) == []


def test_the_fork_servers_preload_maps_the_gl_driver_and_starts_no_thread():
    # each forked player then finds Mesa's driver loaded (20 ms of CPU a play)
    code = textwrap.dedent("""
        import os
        from pytest_pyglet_media.play import player
        player.preload(headless=True)
        with open("/proc/self/maps") as maps:
            mapped = any("_dri.so" in line for line in maps)
        print(mapped, len(os.listdir("/proc/self/task")))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout.split()
    assert out == ["True", "1"]
