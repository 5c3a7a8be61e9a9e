"""sound_servers with the real pulseaudio: the private daemon answers, pyglet
children get the real drivers, and the daemon ends and its folder goes
however its run ends (stop(), SIGKILL of the run, SIGKILL of the watcher).

pyglet runs only in children. Each test starts its own daemon in a short
folder of its own (unix socket paths are short), and leaves none behind.
The pure parts are in tests/unit/test_sound_servers_unit.py.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Iterator

import pytest
from mp_support.inner_runs import eventually

from pytest_pyglet_media.play import runner, sound_servers
from pytest_pyglet_media.play.sound_servers import PulseAddress

pytestmark = [pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PulseAudio on Linux"),
              pytest.mark.usefixtures("no_pyglet_imported")]

#: which driver pyglet creates for the preference given as argv[1]
DRIVER_PROBE = textwrap.dedent("""
    import sys
    import pyglet
    pyglet.options["headless"] = True
    pyglet.options["audio"] = tuple(sys.argv[1].split(","))
    import pyglet.media
    print(type(pyglet.media.get_audio_driver()).__name__)
""")
#: the run that starts a daemon, says where, and waits to be killed
OWNER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from pytest_pyglet_media.play import sound_servers
    server = sound_servers.start_private_pulse(Path(sys.argv[1]))
    print(server.folder, server.daemon_pid, server.watcher.pid, flush=True)
    time.sleep(60)
""")
#: seconds the daemon gets to be gone after its run
GONE_WITHIN = 5.0


@pytest.fixture
def base_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="mp-t-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def private(base_dir: Path) -> Iterator[sound_servers.PrivatePulse]:
    server = sound_servers.start_private_pulse(base_dir)
    yield server
    server.stop()


def _pulseaudio_pids() -> set[int]:
    out = subprocess.run(["pgrep", "-x", "pulseaudio"], capture_output=True, text=True).stdout
    return {int(pid) for pid in out.split()}


def _running(pid: int) -> bool:
    return sound_servers.process_running(pid)


def _driver(audio: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", DRIVER_PROBE, audio], env=env,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_the_private_daemon_answers_and_stop_leaves_nothing(private):
    daemon = private.daemon_pid
    assert daemon in _pulseaudio_pids()
    assert sound_servers.answers(PulseAddress("unix", path=str(private.socket)))
    assert re.fullmatch(rf"PulseAudio \d[\d.]*, private null sink {sound_servers.SINK_NAME}",
                        private.description), private.description
    if shutil.which("pactl"):  # pulseaudio depends on it on Debian
        sinks = subprocess.run(["pactl", "list", "short", "sinks"], capture_output=True,
                               text=True, timeout=10, env={**os.environ, **private.environment})
        assert sound_servers.SINK_NAME in sinks.stdout
    private.stop()
    assert daemon not in _pulseaudio_pids()
    assert not private.folder.exists()
    private.stop()  # twice is fine


def test_a_pyglet_child_gets_the_pulseaudio_driver(private):
    env = {**os.environ, **private.environment}
    assert _driver("pulse", env) == "PulseAudioDriver"


def test_a_pyglet_child_gets_the_openal_driver_with_the_null_backend():
    env = {k: v for k, v in os.environ.items() if k != "ALSOFT_DRIVERS"}
    env.update(sound_servers.openal_environment(env))
    assert env.get("ALSOFT_DRIVERS") == "null"  # no sound card here
    assert _driver("openal", env) == "OpenALDriver"


def test_the_player_plays_on_the_private_server(private, monkeypatch, tmp_path, ffmpeg):
    # 1 s: on pyglet 2.1.19's PulseAudio driver a 0.3 s tone never ends (no
    # end of stream), a matter for the player's verdicts, not for the server
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=1",
           "-c:a", "pcm_s16le", str(tmp_path / "tone.wav"))
    for name, value in private.environment.items():
        monkeypatch.setenv(name, value)
    # a fresh interpreter: this process's fork server may have started before
    # the server's variables were set, and a fork server keeps its environment
    result = runner.run(runner.PlayRequest(tmp_path / "tone.wav", tmp_path / "tone.dbg", "tone.wav",
                                           audio=("pulse",), spawn="fresh", timeout=30))
    assert result.returncode == 0, result.stderr_tail


def test_a_worker_uses_the_runs_server_and_a_users_server_is_used_as_it_is(private):
    before = _pulseaudio_pids()
    worker = sound_servers.provide_pulse({**os.environ, **private.environment})
    assert worker.description == private.description and worker.private is None
    # the same server, seen as a user's own (PULSE_SERVER without our mark)
    users = sound_servers.provide_pulse({**os.environ, "PULSE_SERVER": f"unix:{private.socket}"})
    assert users.private is None and users.environment == {}
    assert users.description.endswith(f"at unix:{private.socket} (the user's own)")
    assert _pulseaudio_pids() == before  # no second daemon


def test_sigkill_of_the_run_ends_the_daemon_and_removes_its_folder(base_dir):
    owner = subprocess.Popen([sys.executable, "-c", OWNER, str(base_dir)], stdout=subprocess.PIPE,
                             text=True, stdin=subprocess.DEVNULL)
    try:
        folder, daemon, _watcher = owner.stdout.readline().split()
        assert int(daemon) in _pulseaudio_pids()
    finally:
        owner.kill()
        owner.wait()
    assert eventually(lambda: not _running(int(daemon)) and not Path(folder).exists(),
                      GONE_WITHIN), \
        f"daemon {daemon} running: {_running(int(daemon))}, folder left: {Path(folder).exists()}"


def test_a_watcher_killed_outright_takes_its_daemon_and_the_next_run_removes_its_folder(base_dir):
    owner = subprocess.Popen([sys.executable, "-c", OWNER, str(base_dir)], stdout=subprocess.PIPE,
                             text=True, stdin=subprocess.DEVNULL)
    try:
        folder, daemon, watcher = owner.stdout.readline().split()
        os.kill(int(watcher), signal.SIGKILL)
        assert eventually(lambda: not _running(int(daemon)), GONE_WITHIN)  # PR_SET_PDEATHSIG
    finally:
        owner.kill()
        owner.wait()
    assert Path(folder).exists()  # nobody left to remove it
    with sound_servers.start_private_pulse(base_dir) as server:
        assert not Path(folder).exists()
        assert server.folder.exists()
    assert not server.folder.exists()


def test_a_daemon_that_fails_at_start_is_explained_with_its_log(base_dir, tmp_path):
    fake = tmp_path / "bin" / "pulseaudio"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'E: [pulseaudio] main.c: Daemon startup failed.' >&2\nexit 1\n")
    fake.chmod(0o755)
    environ = {**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}"}
    with pytest.raises(sound_servers.SoundServerError,
                       match=r"exited at start \(status 1\).*Daemon startup failed"):
        sound_servers.start_private_pulse(base_dir, environ=environ)
    assert list(base_dir.iterdir()) == []  # its folder is gone too
