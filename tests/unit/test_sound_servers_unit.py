"""sound_servers without processes: what PULSE_SERVER names, where a user's
server listens, the environments of the daemon, the players and OpenAL Soft,
and which private daemons' folders a run may remove."""
from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from pytest_pyglet_media.play import sound_servers as ss
from pytest_pyglet_media.play.sound_servers import PulseAddress


@pytest.mark.parametrize("value, expected", [
    ("unix:/run/user/1000/pulse/native", [PulseAddress("unix", path="/run/user/1000/pulse/native")]),
    ("/tmp/p/native", [PulseAddress("unix", path="/tmp/p/native")]),
    ("{3d12ab}unix:/x/native", [PulseAddress("unix", path="/x/native")]),
    ("tcp:media-box:4000", [PulseAddress("tcp", host="media-box", port=4000)]),
    ("tcp6:[::1]", [PulseAddress("tcp", host="::1", port=4713)]),
    ("localhost", [PulseAddress("tcp", host="localhost", port=4713)]),
    ("unix:/a tcp:b", [PulseAddress("unix", path="/a"), PulseAddress("tcp", host="b")]),
    ("   ", []),
])
def test_pulse_server_values_are_read_as_pulseaudio_does(value, expected):
    assert ss.parse_pulse_server(value) == expected


def test_an_address_reads_back_as_a_pulse_server_value():
    assert str(PulseAddress("unix", path="/a/native")) == "unix:/a/native"
    assert str(PulseAddress("tcp", host="h", port=1)) == "tcp:h:1"


def test_the_session_socket_comes_from_xdg_runtime_dir():
    paths = ss.session_socket_paths({"XDG_RUNTIME_DIR": "/run/user/7"}, Path("/home/u"), "abc")
    assert paths == [Path("/run/user/7/pulse/native"), Path("/run/pulse/native")]


def test_without_a_runtime_dir_the_session_socket_is_behind_the_home_link():
    paths = ss.session_socket_paths({}, Path("/home/u"), "abc")
    assert paths[0] == Path("/home/u/.config/pulse/abc-runtime/native")


def test_the_run_private_server_is_found_by_a_worker_and_is_not_the_users(tmp_path):
    environ = {"PULSE_SERVER": f"unix:{tmp_path}/native",
               ss.PRIVATE_PULSE_ENV: "PulseAudio 16.1, private null sink mp_null"}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(tmp_path / "native"))
        server.listen(1)
        shared = ss.run_private_pulse(environ)
        assert shared is not None and shared.description == environ[ss.PRIVATE_PULSE_ENV]
        assert shared.private is None and shared.environment == {}  # not the worker's to stop
        assert ss.provide_pulse(environ) == shared  # no second daemon
        assert ss.user_pulse(environ) is None
    assert ss.run_private_pulse({"PULSE_SERVER": "unix:/x"}) is None


def test_a_worker_whose_run_server_is_gone_says_so(tmp_path):
    environ = {"PULSE_SERVER": f"unix:{tmp_path}/gone", ss.PRIVATE_PULSE_ENV: "PulseAudio 16.1"}
    with pytest.raises(ss.SoundServerError, match=r"PYTEST_MP_PRIVATE_PULSE says .* does not answer"):
        ss.run_private_pulse(environ)


def test_a_pulse_server_the_user_names_that_does_not_answer_is_an_error(tmp_path):
    with pytest.raises(ss.SoundServerError, match=r"PULSE_SERVER=.*unset PULSE_SERVER"):
        ss.user_pulse({"PULSE_SERVER": f"unix:{tmp_path}/nothing"})


def test_a_listening_unix_socket_answers_and_a_missing_one_does_not(tmp_path):
    path = tmp_path / "native"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(1)
        assert ss.answers(PulseAddress("unix", path=str(path)))
    assert not ss.answers(PulseAddress("unix", path=str(tmp_path / "gone")))
    assert not ss.answers(PulseAddress("unix", path="/" + "x" * 200))  # too long for a socket


def test_the_daemon_lives_in_its_folder_and_does_not_see_the_users_server(tmp_path):
    environ = {"PATH": "/usr/bin", "HOME": "/home/u", "PULSE_SERVER": "unix:/theirs",
               "PULSE_COOKIE": "/home/u/c", ss.PRIVATE_PULSE_ENV: "old"}
    env = ss.daemon_environment(environ, tmp_path)
    assert env["XDG_RUNTIME_DIR"] == env["HOME"] == str(tmp_path)
    assert env["XDG_CONFIG_HOME"] == str(tmp_path / "config")
    assert "PULSE_SERVER" not in env and "PULSE_COOKIE" not in env
    assert ss.PRIVATE_PULSE_ENV not in env and env["PATH"] == "/usr/bin"


def test_the_daemon_command_opens_its_socket_after_its_sink(tmp_path):
    command = ss.pulse_command("/usr/bin/pulseaudio", tmp_path)
    loads = [a for a in command if a.startswith("--load=")]
    assert loads[0] == f"--load=module-null-sink sink_name={ss.SINK_NAME}"
    assert loads[-1] == f"--load=module-native-protocol-unix auth-cookie={tmp_path / 'cookie'}"
    assert "--daemonize=no" in command  # in the foreground: the watcher's child


def test_players_reach_the_private_daemon_through_pulse_server(tmp_path):
    env = ss.player_environment(tmp_path, "PulseAudio 16.1, private null sink mp_null")
    assert env == {"PULSE_SERVER": f"unix:{tmp_path}/pulse/native",
                   "PULSE_COOKIE": str(tmp_path / "cookie"),
                   ss.PRIVATE_PULSE_ENV: "PulseAudio 16.1, private null sink mp_null"}


def test_the_default_folder_leaves_room_for_the_socket_path(monkeypatch):
    monkeypatch.setattr(ss.tempfile, "gettempdir", lambda: "/very/" + "long/" * 20)
    assert ss.default_base_dir() == Path("/tmp")
    monkeypatch.setattr(ss.tempfile, "gettempdir", lambda: "/var/tmp")
    assert ss.default_base_dir() == Path("/var/tmp")


def test_openal_gets_its_null_backend_without_a_device():
    assert ss.openal_environment({}, device=lambda env: None) == {"ALSOFT_DRIVERS": "null"}


def test_openal_is_left_as_set_up_outside_linux():
    for platform in ("win32", "darwin"):
        assert ss.openal_environment({}, device=lambda env: None, platform=platform) == {}


def test_outside_linux_the_run_starts_no_daemon_and_says_so(monkeypatch):
    import sys

    from pytest_pyglet_media import sound
    from pytest_pyglet_media.core.errors import UsageError

    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(ss, "user_pulse", lambda environ: None)
    monkeypatch.setattr(ss, "start_private_pulse", lambda *a, **k: pytest.fail("started"))
    with pytest.raises(UsageError, match="private one on Linux only .not on darwin."):
        sound.provide(object(), ["pulse"])  # type: ignore[arg-type]


def test_openal_is_left_to_the_users_choice_and_to_a_real_device():
    assert ss.openal_environment({"ALSOFT_DRIVERS": "alsa"}, device=lambda env: None) == {}
    assert ss.openal_environment({}, device=lambda env: "ALSA playback device") == {}


def test_a_sound_card_is_a_playback_pcm_device(tmp_path):
    (tmp_path / "controlC0").touch()
    (tmp_path / "pcmC0D0c").touch()  # capture only: nothing to play on
    assert ss.real_sound_device({}, dev_snd=tmp_path) is None
    (tmp_path / "pcmC0D0p").touch()
    assert ss.real_sound_device({}, dev_snd=tmp_path) == f"ALSA playback device {tmp_path}/pcmC0D0p"
    assert ss.real_sound_device({}, dev_snd=tmp_path / "missing") is None


def test_a_users_pulse_server_is_a_real_device_and_the_runs_private_one_is_not(tmp_path):
    nothing = tmp_path / "no-snd"
    assert ss.real_sound_device({"PULSE_SERVER": "unix:/theirs"}, dev_snd=nothing)
    assert ss.real_sound_device({"PULSE_SERVER": "unix:/ours", ss.PRIVATE_PULSE_ENV: "ours"},
                                dev_snd=nothing) is None


def test_a_session_socket_is_a_real_device(tmp_path):
    (tmp_path / "pulse").mkdir()
    environ = {"XDG_RUNTIME_DIR": str(tmp_path)}
    assert ss.real_sound_device(environ, dev_snd=tmp_path / "no-snd") is None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(tmp_path / "pulse" / "native"))
        assert ss.real_sound_device(environ, dev_snd=tmp_path / "no-snd") == \
            f"PulseAudio server at unix:{tmp_path}/pulse/native"


def test_a_folder_names_its_owner():
    assert ss.owner_pid(Path("/tmp/mp-pulse-4242-ab_c9")) == 4242
    assert ss.owner_pid(Path("/tmp/mp-pulse-x-abc")) is None
    assert ss.owner_pid(Path("/tmp/pulse-PKdhtXMmr18n")) is None


def _folder(base: Path, owner: int, daemon: int | None = None) -> Path:
    folder = base / f"mp-pulse-{owner}-k3y"
    (folder / "pulse").mkdir(parents=True)
    if daemon is not None:
        (folder / "pulse" / "pid").write_text(f"{daemon}\n")
    return folder


def test_stale_folders_are_those_whose_run_and_daemon_are_gone(tmp_path):
    living = {10, 21}
    gone_run = _folder(tmp_path, 11)
    gone_both = _folder(tmp_path, 12, daemon=13)
    _folder(tmp_path, 10)  # its run still lives
    _folder(tmp_path, 14, daemon=21)  # its daemon still lives: left alone
    (tmp_path / "mp-pulse-15-file").write_text("")  # not a folder
    (tmp_path / "pulse-abc").mkdir()  # someone else's
    stale = ss.stale_folders(tmp_path, alive=lambda pid: pid in living)
    assert sorted(stale) == sorted([gone_run, gone_both])


def test_stale_folders_of_a_missing_base_are_none(tmp_path):
    assert ss.stale_folders(tmp_path / "missing", alive=lambda pid: False) == []


def test_this_process_is_alive():
    assert ss.process_running(os.getpid())


def test_without_pulseaudio_the_error_says_how_to_install_it(tmp_path):
    with pytest.raises(ss.SoundServerError, match=r"pulseaudio is not installed.*apt-get install pulseaudio"):
        ss.start_private_pulse(tmp_path, environ={"PATH": str(tmp_path)})
    assert list(tmp_path.iterdir()) == []
