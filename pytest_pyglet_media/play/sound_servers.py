"""Sound servers for the players: pyglet's real audio drivers without a sound card.

pyglet's Linux drivers are pulse, openal and silent, and it falls back to
silent without a word when the others cannot open a device. On a machine
without a sound card, a run provides them:

- PulseAudio: the user's own server when there is one (PULSE_SERVER, or the
  socket of their session, answering), used as it is and never touched;
  else a private daemon with a null sink, which consumes audio in real time
  (`start_private_pulse`). Players find it through PULSE_SERVER (and
  PULSE_COOKIE, so that no client writes a cookie into the user's home).
- OpenAL Soft: its null backend (ALSOFT_DRIVERS=null) mixes in real time into
  no device, unless the user has a real one (`openal_environment`).

One private daemon serves a whole run. The process that starts it (the
xdist controller, or a run without xdist) puts `environment` into its own
os.environ before any worker or player starts; they inherit PULSE_SERVER,
PULSE_COOKIE and PRIVATE_PULSE_ENV, and `provide_pulse` in a worker finds
the run's server there instead of starting another (`run_private_pulse`).

Why a watcher process: pulseaudio --daemonize forks twice, so neither
PR_SET_PDEATHSIG nor a process group reaches the daemon from the run. We
start it in the foreground instead, under a small watcher (pulse_watcher.py)
that holds a pipe from the run: end of file (stop(), a normal end, Ctrl-C,
or the run killed by SIGKILL: the kernel closes a dead process's pipes)
makes the watcher end the daemon and remove its runtime folder. The
daemon's PR_SET_PDEATHSIG alone (no watcher) would end the daemon with the
run but leave its folder, and it ties the daemon to the thread that started
it, not to the process. The watcher costs one small Python process per run
(measured: 0.12-0.17 s of the 0.25-0.5 s a start takes). A watcher killed
outright takes the daemon with it (PR_SET_PDEATHSIG) but leaves the folder:
the next run removes the folders whose owner is gone (`stale_folders`).
The run's end of the pipe is not inherited by the processes it starts
(close-on-exec); a bare os.fork() of the run would hold it, and the daemon
would then live until that copy ends too.

Standard library only: no pytest, no pyglet.
"""
from __future__ import annotations

import os
import re
import select
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from . import procgroup
from .pulse_watcher import DAEMON_LOG

#: set (to its description) beside PULSE_SERVER when the server is the run's
#: private daemon: a worker uses it and does not start another
PRIVATE_PULSE_ENV = "PYTEST_MP_PRIVATE_PULSE"
#: the module watching a private daemon (a process's main)
WATCHER_MODULE = "pytest_pyglet_media.play.pulse_watcher"
#: runtime folders of private daemons: PREFIX + owner's pid + "-" + random
FOLDER_PREFIX = "mp-pulse-"
SINK_NAME = "mp_null"
#: seconds a private daemon gets to answer on its socket
START_TIMEOUT = 10.0
#: seconds stop() waits for the watcher to end the daemon and remove the folder
STOP_TIMEOUT = 5.0
#: seconds a connection to a server gets to be accepted
CONNECT_TIMEOUT = 1.0
#: a unix socket path holds at most 107 bytes (108 with its final NUL)
SOCKET_PATH_MAX = 107
#: PulseAudio's port when PULSE_SERVER names a host without one
PULSE_TCP_PORT = 4713
#: lines of the daemon's log an error shows
LOG_TAIL_LINES = 6

#: the daemon: no default script (only the modules we load), in the
#: foreground (the watcher's child), never exiting on its own while the run
#: lasts, no real-time scheduling to ask for (nor rtkit over D-Bus)
PULSE_ARGS = ("-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit",
              "--use-pid-file=yes", "--realtime=no", "--high-priority=no",
              "--log-target=stderr")


class SoundServerError(Exception):
    """A sound server could not be provided; the message says what and how to fix it."""


# --- what PULSE_SERVER and the usual places name --------------------------------------

@dataclass(frozen=True)
class PulseAddress:
    """One server a PulseAudio client would try: a unix socket or a TCP host."""
    kind: str  # "unix" or "tcp"
    path: str = ""
    host: str = ""
    port: int = PULSE_TCP_PORT

    def __str__(self) -> str:
        return f"unix:{self.path}" if self.kind == "unix" else f"tcp:{self.host}:{self.port}"


def parse_pulse_server(value: str) -> list[PulseAddress]:
    """The servers a PULSE_SERVER value names, in order (PulseAudio's syntax:
    space separated; `{machine-id}` prefixes; unix:PATH, /PATH, tcp:HOST[:PORT],
    tcp4:/tcp6:, HOST[:PORT], [IPv6][:PORT])."""
    found = []
    for entry in value.split():
        entry = re.sub(r"^\{[^}]*\}", "", entry)
        if entry.startswith("unix:"):
            found.append(PulseAddress("unix", path=entry[len("unix:"):]))
        elif entry.startswith("/"):
            found.append(PulseAddress("unix", path=entry))
        elif entry:
            entry = re.sub(r"^tcp[46]?:", "", entry)
            match = re.fullmatch(r"\[([^]]+)\](?::(\d+))?|([^:]+)(?::(\d+))?", entry)
            if match is None:
                continue  # a bare IPv6 address or a typo: the client would not use it either
            host = match.group(1) or match.group(3)
            port = match.group(2) or match.group(4)
            found.append(PulseAddress("tcp", host=host, port=int(port) if port else PULSE_TCP_PORT))
    return found


def session_socket_paths(environ: Mapping[str, str], home: Path | None = None,
                         machine_id: str | None = None) -> list[Path]:
    """Where a user's PulseAudio (or PipeWire's) listens when PULSE_SERVER is
    unset: the session's runtime folder, the runtime link PulseAudio makes in
    the home without one, and the system-wide server."""
    paths = []
    if environ.get("XDG_RUNTIME_DIR"):
        paths.append(Path(environ["XDG_RUNTIME_DIR"]) / "pulse" / "native")
    elif home is not None and machine_id:
        paths.append(home / ".config" / "pulse" / f"{machine_id}-runtime" / "native")
    paths.append(Path("/run/pulse/native"))
    return paths


def _machine_id() -> str | None:
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            return Path(path).read_text().strip() or None
        except OSError:
            continue
    return None


def _home(environ: Mapping[str, str]) -> Path | None:
    return Path(environ["HOME"]) if environ.get("HOME") else None


def answers(address: PulseAddress, timeout: float = CONNECT_TIMEOUT) -> bool:
    """True when something accepts a connection at `address`."""
    try:
        if address.kind == "unix":
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect(address.path)
        else:
            socket.create_connection((address.host, address.port), timeout=timeout).close()
        return True
    except (OSError, ValueError):  # ValueError: a path too long or with a NUL
        return False


# --- the server a run uses ------------------------------------------------------------

@dataclass(frozen=True)
class PulseServer:
    """A PulseAudio server the players use."""
    #: for the run's summary: "PulseAudio 16.1, private null sink mp_null"
    description: str
    #: the variables to put in os.environ so that workers and players use it
    #: (empty: they find it already)
    environment: dict[str, str] = field(default_factory=dict)
    #: the run's own daemon, to stop at its end; None: not ours to stop
    private: "PrivatePulse | None" = None


def run_private_pulse(environ: Mapping[str, str]) -> PulseServer | None:
    """The run's private daemon, when the process that started it put it in
    the environment (an xdist worker's case). One that does not answer is an
    error: a worker starting its own would break one server per run."""
    description = environ.get(PRIVATE_PULSE_ENV)
    if not description or not environ.get("PULSE_SERVER"):
        return None
    if not any(answers(address) for address in parse_pulse_server(environ["PULSE_SERVER"])):
        raise SoundServerError(
            f"{PRIVATE_PULSE_ENV} says the run's private PulseAudio is at PULSE_SERVER="
            f"{environ['PULSE_SERVER']}, which does not answer (its run ended?); "
            f"unset {PRIVATE_PULSE_ENV} and PULSE_SERVER")
    return PulseServer(description)


def user_pulse(environ: Mapping[str, str]) -> PulseServer | None:
    """The user's own PulseAudio server, answering, or None.

    PULSE_SERVER is the user's choice: when none of the servers it names
    answers, that is an error, not a reason to start another behind it.
    """
    if environ.get(PRIVATE_PULSE_ENV):
        return None  # the run's own, not the user's
    if environ.get("PULSE_SERVER"):
        named = parse_pulse_server(environ["PULSE_SERVER"])
        for address in named:
            if answers(address):
                return PulseServer(_describe_user_server(environ, address))
        raise SoundServerError(
            f"PULSE_SERVER={environ['PULSE_SERVER']!r} names no PulseAudio server that "
            "answers; start it, or unset PULSE_SERVER to let the run start a private one")
    for path in session_socket_paths(environ, _home(environ), _machine_id()):
        address = PulseAddress("unix", path=str(path))
        if answers(address):
            return PulseServer(_describe_user_server(environ, address))
    return None


def _describe_user_server(environ: Mapping[str, str], address: PulseAddress) -> str:
    name = _pactl_server_name({**environ, "PULSE_SERVER": str(address)})
    return f"{name or 'PulseAudio server'} at {address} (the user's own)"


def _pactl_server_name(environ: Mapping[str, str]) -> str | None:
    """"PulseAudio 16.1" (or "PulseAudio (on PipeWire 0.3.65) 15.0.0") from
    `pactl info`, when pactl is installed and answers."""
    pactl = shutil.which("pactl", path=environ.get("PATH"))
    if pactl is None:
        return None
    try:
        out = subprocess.run([pactl, "info"], env=dict(environ), capture_output=True,
                             text=True, timeout=3, stdin=subprocess.DEVNULL).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    fields = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    name, version = fields.get("Server Name"), fields.get("Server Version")
    if not name:
        return None
    name = "PulseAudio" if name == "pulseaudio" else name
    return f"{name} {version}" if version else name


def provide_pulse(environ: Mapping[str, str] | None = None,
                  base_dir: Path | None = None) -> PulseServer:
    """The PulseAudio server a run's players use: the run's own (a worker),
    the user's, or a private daemon started now (`private` is then set: the
    caller stops it at the run's end)."""
    environ = os.environ if environ is None else environ
    found = run_private_pulse(environ) or user_pulse(environ)
    if found is not None:
        return found
    private = start_private_pulse(base_dir, environ=environ)
    return PulseServer(private.description, private.environment, private)


# --- OpenAL Soft ----------------------------------------------------------------------

def alsa_playback_devices(dev_snd: Path = Path("/dev/snd")) -> list[str]:
    """The ALSA playback devices (/dev/snd/pcmC0D0p ...): a real sound card."""
    try:
        names = os.listdir(dev_snd)
    except OSError:
        return []
    return sorted(n for n in names if re.fullmatch(r"pcmC\d+D\d+p", n))


def real_sound_device(environ: Mapping[str, str], dev_snd: Path = Path("/dev/snd")) -> str | None:
    """What OpenAL Soft would play on by itself (a user's PulseAudio server, a
    sound card), or None. Cheap: looks for files, connects to nothing."""
    if environ.get("PULSE_SERVER") and not environ.get(PRIVATE_PULSE_ENV):
        return f"PulseAudio server PULSE_SERVER={environ['PULSE_SERVER']}"
    if not environ.get("PULSE_SERVER"):
        for path in session_socket_paths(environ, _home(environ), None):
            if _is_socket(path):
                return f"PulseAudio server at unix:{path}"
    devices = alsa_playback_devices(dev_snd)
    if devices:
        return f"ALSA playback device {dev_snd / devices[0]}"
    return None


def _is_socket(path: Path) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


def openal_environment(environ: Mapping[str, str],
                       device: Callable[[Mapping[str, str]], str | None] = real_sound_device,
                       platform: str = sys.platform) -> dict[str, str]:
    """The variables a player needs for OpenAL Soft: its null backend, which
    mixes in real time into no device, unless the user chose the backends
    (ALSOFT_DRIVERS) or has a real device that OpenAL Soft would use. Only on
    Linux, where the device check looks: elsewhere OpenAL plays on the
    system's own device, as the user set it up."""
    if not platform.startswith("linux") or "ALSOFT_DRIVERS" in environ \
            or device(environ) is not None:
        return {}
    return {"ALSOFT_DRIVERS": "null"}


# --- the private daemon ---------------------------------------------------------------

def owner_pid(folder: Path) -> int | None:
    """The pid of the run that made a private daemon's folder, from its name."""
    match = re.fullmatch(re.escape(FOLDER_PREFIX) + r"(\d+)-\w+", folder.name)
    return int(match.group(1)) if match else None


def process_running(pid: int) -> bool:
    """True while `pid` runs; a zombie (dead, not yet reaped by its parent) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def stale_folders(base_dir: Path, alive: Callable[[int], bool] = process_running) -> list[Path]:
    """Private daemons' folders in `base_dir` whose run is gone: their watcher was
    killed outright (its daemon died with it, the folder stayed). Only this
    user's folders; a folder whose daemon (pid file) still lives is left alone."""
    try:
        entries = list(base_dir.iterdir())
    except OSError:
        return []
    stale = []
    for folder in entries:
        pid = owner_pid(folder)
        if pid is None or alive(pid):
            continue
        try:
            info = folder.lstat()
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        daemon = _pid_in(folder / "pulse" / "pid")
        if daemon is not None and alive(daemon):
            continue
        stale.append(folder)
    return stale


def _pid_in(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def default_base_dir() -> Path:
    """The temporary folder, or /tmp when its path leaves too little room for
    the socket's (unix socket paths are short)."""
    base = Path(tempfile.gettempdir())
    if len(str(base)) > 60 and Path("/tmp").is_dir():
        return Path("/tmp")
    return base


def socket_path(folder: Path) -> Path:
    return folder / "pulse" / "native"


def daemon_environment(environ: Mapping[str, str], folder: Path) -> dict[str, str]:
    """The daemon's environment: its runtime folder is `folder`, and so are its
    home and configuration, so that nothing of it lands in the user's home;
    it does not see the user's server, nor a display or session bus (with a
    display, D-Bus would autolaunch a bus daemon for it that outlives it)."""
    env = {k: v for k, v in environ.items()
           if k not in ("PULSE_SERVER", "PULSE_COOKIE", "PULSE_RUNTIME_PATH", "PULSE_STATE_PATH",
                        "PULSE_CONFIG_PATH", PRIVATE_PULSE_ENV, "DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
    env.update(XDG_RUNTIME_DIR=str(folder), HOME=str(folder),
               XDG_CONFIG_HOME=str(folder / "config"))
    return env


def pulse_command(pulseaudio: str, folder: Path, sink: str = SINK_NAME) -> list[str]:
    """The daemon's command: the socket is loaded last, so that it answers
    once the sink is there; the daemon and its clients share the cookie in
    `folder`."""
    cookie = folder / "cookie"
    return [pulseaudio, *PULSE_ARGS,
            f"--load=module-null-sink sink_name={sink}",
            "--load=module-always-sink",
            f"--load=module-native-protocol-unix auth-cookie={cookie}"]


def player_environment(folder: Path, description: str) -> dict[str, str]:
    """What the workers and players need to use the private daemon in `folder`."""
    return {"PULSE_SERVER": f"unix:{socket_path(folder)}",
            "PULSE_COOKIE": str(folder / "cookie"),
            PRIVATE_PULSE_ENV: description}


def _pulseaudio_version(pulseaudio: str) -> str:
    try:
        out = subprocess.run([pulseaudio, "--version"], capture_output=True, text=True,
                             timeout=5, stdin=subprocess.DEVNULL).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    match = re.search(r"pulseaudio\s+(\S+)", out)
    return match.group(1) if match else ""


class PrivatePulse:
    """A run's private PulseAudio daemon with a null sink (start_private_pulse)."""

    def __init__(self, folder: Path, watcher: "subprocess.Popen[bytes]",
                 description: str) -> None:
        self.folder = folder
        self.watcher = watcher
        self.description = description
        self.daemon_pid: int | None = None
        self._pending = b""  # the watcher's last line, not whole yet
        #: what workers and players need (put it in os.environ)
        self.environment = player_environment(folder, description)

    @property
    def socket(self) -> Path:
        return socket_path(self.folder)

    @property
    def alive(self) -> bool:
        return self.watcher.poll() is None and answers(PulseAddress("unix", path=str(self.socket)))

    def wait_until_answering(self, timeout: float) -> None:
        """Return when the daemon accepts connections; raise SoundServerError
        (with its log's tail) when it failed or stayed silent."""
        deadline = time.monotonic() + timeout
        address = PulseAddress("unix", path=str(self.socket))
        wait = 0.0
        while True:
            for line in self._watcher_news(wait):
                self._read_news(line)
            if self.daemon_pid is not None and answers(address):
                return
            if self.watcher.poll() is not None:
                raise SoundServerError(
                    f"the pulseaudio watcher exited at start (status {self.watcher.returncode})"
                    f"{self._log_tail()}")
            if time.monotonic() > deadline:
                raise SoundServerError(
                    f"the private pulseaudio did not answer on {self.socket} within "
                    f"{timeout:g} s{self._log_tail()}")
            wait = 0.02  # a short nap, cut short by the watcher's news

    def _read_news(self, line: str) -> None:
        if line.startswith("started "):
            self.daemon_pid = int(line.split()[1])
        elif line.startswith("failed: "):
            raise SoundServerError(f"could not start pulseaudio ({line[len('failed: '):]}); "
                                   "install it: apt-get install pulseaudio")
        elif line.startswith("exited "):
            raise SoundServerError(f"the private pulseaudio exited at start "
                                   f"(status {line.split()[1]}){self._log_tail()}")

    def _watcher_news(self, wait: float) -> list[str]:
        """The whole lines the watcher wrote (pulse_watcher's protocol), waiting
        up to `wait` seconds for some."""
        stdout = self.watcher.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], wait)
        if not ready:
            return []
        self._pending += os.read(stdout.fileno(), 65536)
        *lines, self._pending = self._pending.split(b"\n")
        return [line.decode("utf-8", "replace") for line in lines]

    def _log_tail(self) -> str:
        try:
            lines = (self.folder / DAEMON_LOG).read_text(errors="replace").splitlines()
        except OSError:
            return ""
        # the warning about running as root says nothing about the failure
        lines = [line for line in lines if "not intended to be run as root" not in line]
        return "; its log ends: " + " | ".join(lines[-LOG_TAIL_LINES:]) if lines else ""

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """End the daemon and remove its folder; wait until both are done.
        Calling it again does nothing."""
        if self.watcher.stdin is not None and not self.watcher.stdin.closed:
            self.watcher.stdin.close()  # end of file: the watcher cleans up
        try:
            self.watcher.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            procgroup.kill_and_reap(self.watcher)
            if self.daemon_pid is not None:  # its own group (pulse_watcher)
                procgroup.kill_group(self.daemon_pid)
        if self.watcher.stdout is not None:
            self.watcher.stdout.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "PrivatePulse":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_private_pulse(base_dir: Path | None = None, timeout: float = START_TIMEOUT,
                        environ: Mapping[str, str] | None = None) -> PrivatePulse:
    """Start a private PulseAudio daemon with a null sink, in a fresh runtime
    folder in `base_dir`, and wait until it answers. It ends by itself when
    this process ends (see the module's doc); stop() ends it sooner."""
    environ = os.environ if environ is None else environ
    pulseaudio = shutil.which("pulseaudio", path=environ.get("PATH"))
    if pulseaudio is None:
        raise SoundServerError("pulseaudio is not installed (a private PulseAudio server "
                               "needs it): apt-get install pulseaudio")
    base_dir = default_base_dir() if base_dir is None else Path(base_dir)
    for stale in stale_folders(base_dir):
        shutil.rmtree(stale, ignore_errors=True)
    try:
        folder = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-", dir=base_dir))
    except OSError as exc:
        raise SoundServerError(f"cannot make the private PulseAudio's folder in {base_dir}: "
                               f"{exc.strerror or exc}") from None
    server: PrivatePulse | None = None
    try:
        if len(str(socket_path(folder)).encode()) > SOCKET_PATH_MAX:
            raise SoundServerError(
                f"the private PulseAudio's socket path {socket_path(folder)} is longer than "
                f"{SOCKET_PATH_MAX} bytes; give a shorter folder (TMPDIR)")
        fd = os.open(folder / "cookie", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as cookie:
            cookie.write(os.urandom(256))  # PulseAudio's cookie size
        version = _pulseaudio_version(pulseaudio)
        description = f"PulseAudio {version or '(version unknown)'}, private null sink {SINK_NAME}"
        # the watcher's own errors go to the daemon's log, which errors quote;
        # a Ctrl-C during Popen is held until `server` is ours to stop
        with open(folder / DAEMON_LOG, "ab") as log, procgroup.interrupts_deferred():
            server = PrivatePulse(folder, subprocess.Popen(
                [sys.executable, "-m", WATCHER_MODULE, str(folder), "--",
                 *pulse_command(pulseaudio, folder)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                env=daemon_environment(environ, folder), start_new_session=True), description)
        server.wait_until_answering(timeout)
    except BaseException:
        if server is not None:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return server
