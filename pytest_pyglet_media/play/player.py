"""The child process that plays one sample with pyglet and records its events.

This is the only module that imports pyglet. It runs in its own interpreter
(or process group), so a segfault or hang in pyglet or FFmpeg costs one
sample, never the test run.

    python -m pytest_pyglet_media.play.player SAMPLE RECORDING [--name NAME] [--audio silent]
    python -m pytest_pyglet_media.play.player --info

The fork server (forkserver.py) runs the same `play()` in a process forked
from a server that called `preload()` once: pyglet, pyglet.media and the
FFmpeg codec imported, but no GL context, no audio driver and no thread, so
that forking is safe. `play()` then finishes the set-up a fresh interpreter
does at import (`_finish_setup`): the audio driver and the shadow window.

Exit status (core/exits.py): EXIT_PLAYED, played to the end (or ended by
us, recorded as such, when pyglet never ended it: _watch_the_end);
EXIT_UNPLAYABLE, the source cannot be opened (the recording says why);
anything else is a crash (the pre-written crash recording stays in place).
"""
from __future__ import annotations

import argparse
import ctypes
import importlib
import json
import os
import platform
import sys
import types
from pathlib import Path
from typing import Any, Sequence

from ..core.events import NO_END_OF_STREAM, VERSION
from ..core.exits import EXIT_CRASHED, EXIT_PLAYED, EXIT_UNPLAYABLE, HEARTBEAT_ENV
from ..store import recording
from ..store.pictures import pictures_beside
from . import cpu_waits, timeouts
from .frame_keeper import DEFAULT_MODE as PICTURES_DEFAULT, MODES as PICTURE_MODES, FrameKeeper

#: seconds between two looks for progress; the runner's stall timeout is many of these
HEARTBEAT_INTERVAL = 0.5
#: FFmpeg error codes pyglet reports as bare numbers, in words
FFMPEG_ERRORS = {
    -1094995529: "invalid data: FFmpeg does not recognise it as media",  # AVERROR_INVALIDDATA
    -1414092869: "end of file reached too early",  # AVERROR_EOF
    -13: "permission denied",
    -2: "no such file",
}


def configure_pyglet(audio: Sequence[str], headless: bool) -> Any:
    """Set pyglet's options; must run before anything imports pyglet.media."""
    import pyglet

    # Without a display, pyglet must make its GL context with EGL, or importing
    # pyglet.media (which imports pyglet.gl) fails with NoSuchDisplayException.
    pyglet.options["headless"] = headless
    pyglet.options["audio"] = tuple(audio)
    pyglet.options["debug_media"] = False
    return pyglet


#: pyglet's module that creates the audio driver (and its thread) when imported
_DRIVERS = "pyglet.media.drivers"


def _deferred_drivers(pyglet: Any) -> types.ModuleType:
    """A stand-in for pyglet.media.drivers that creates no driver until asked.

    pyglet.media imports `get_audio_driver` from it; that function loads the
    real module (creating the driver chosen by pyglet.options['audio']) at
    its first call, or when `_finish_setup` activates it in the forked child.
    """
    stub = types.ModuleType(_DRIVERS, "pyglet.media.drivers, deferred by pytest-pyglet-media")
    # submodules (drivers.base, ...) still import from the real folder
    stub.__path__ = [os.path.join(os.path.dirname(pyglet.__file__), "media", "drivers")]
    stub.__package__ = _DRIVERS
    stub._mp_deferred = True  # type: ignore[attr-defined]

    def get_audio_driver() -> Any:
        return _activate_drivers().get_audio_driver()

    stub.get_audio_driver = get_audio_driver  # type: ignore[attr-defined]
    return stub


def _activate_drivers() -> types.ModuleType:
    """The real pyglet.media.drivers, imported now if it was deferred."""
    module = sys.modules.get(_DRIVERS)
    if module is not None and getattr(module, "_mp_deferred", False):
        del sys.modules[_DRIVERS]
        module = importlib.import_module(_DRIVERS)  # creates the audio driver
        setattr(sys.modules["pyglet.media"], "drivers", module)
    return module if module is not None else importlib.import_module(_DRIVERS)


def preload(headless: bool) -> None:
    """Import what every play needs, for a fork server to fork from.

    Creates no GL context (no shadow window), no audio driver, no thread and
    no decoder: forking a process that holds any of those is unsafe.
    """
    import pyglet

    pyglet.options["headless"] = headless
    pyglet.options["shadow_window"] = False
    pyglet.options["debug_media"] = False
    if _DRIVERS not in sys.modules:
        sys.modules[_DRIVERS] = _deferred_drivers(pyglet)
    import pyglet.image  # noqa: F401  (imported by the first video texture: ~0.06 s)
    import pyglet.media  # noqa: F401  (imports pyglet.gl: no context without the shadow window)
    import pyglet.media.buffered_logger  # noqa: F401
    import pyglet.window  # noqa: F401  (the shadow window's class; no window yet)
    from pyglet.media.codecs import ffmpeg  # noqa: F401

    # the drivers' modules (and their libraries), not the drivers themselves
    for driver in ("silent", "openal"):
        try:
            importlib.import_module(f"{_DRIVERS}.{driver}")
        except Exception:  # noqa: BLE001  (a missing library: the play will say so)
            pass
    if headless:
        _preload_gl_driver()


#: Mesa's software GL driver, which EGL loads for a headless context on a
#: machine without a GPU (one "megadriver" file: every *_dri.so name of a
#: Mesa install is the same library, so this also serves a GPU's driver name)
_DRI_NAMES = ("swrast_dri.so", "kms_swrast_dri.so")


def _dri_folders() -> list[str]:
    """Where Mesa looks for its DRI drivers: LIBGL_DRIVERS_PATH, else the
    distributions' folders (Debian's multiarch one first)."""
    import sysconfig

    given = [f for f in os.environ.get("LIBGL_DRIVERS_PATH", "").split(":") if f]
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    usual = [f"/usr/lib/{multiarch}/dri" if multiarch else "", "/usr/lib64/dri", "/usr/lib/dri"]
    return given + [f for f in usual if f]


def _preload_gl_driver() -> None:
    """Load Mesa's DRI driver (and LLVM, which it links) into the fork
    server, so that each forked player finds it mapped and relocated.

    EGL loads it at each player's first context: 20 ms of CPU a play,
    measured on 2 CPUs (a 0.4 s VP8 clip's whole play from 0.071 to 0.049 s
    of CPU, median of 8). Loading starts no thread (forking stays safe; the
    fork server checks). Nothing found or loadable: players load it as before.
    """
    for folder in _dri_folders():
        for name in _DRI_NAMES:
            path = os.path.join(folder, name)
            if os.path.exists(path):
                try:
                    ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
                except OSError:
                    continue
                return


def _finish_setup(pyglet: Any) -> None:
    """What importing pyglet.media did not do after `preload`: audio driver, GL context."""
    _activate_drivers()
    import pyglet.gl

    if pyglet.gl.current_context is None and not pyglet.options["shadow_window"]:
        pyglet.options["shadow_window"] = True
        pyglet.gl._create_shadow_window()  # noqa: SLF001  (as importing pyglet.window does)


#: pyglet's driver classes, by the name pyglet.options['audio'] gives them
DRIVER_NAMES = {"PulseAudioDriver": "pulse", "OpenALDriver": "openal", "SilentDriver": "silent",
                "XAudio2Driver": "xaudio2", "DirectSoundDriver": "directsound"}
#: the drivers pyglet tries only on Windows (its loop skips them elsewhere, without a word)
_WINDOWS_ONLY = ("xaudio2", "directsound")


def _watch_driver_failures(asked: Sequence[str]) -> dict[str, str]:
    """Why each driver asked for could not be created, filled in as pyglet tries them.

    pyglet tries its drivers in the order asked and falls back to the next,
    finally to silent, printing the reason only when `debug_media` is on.
    Wrapping each driver module's `create_audio_driver` (imported here,
    through the deferred package, before pyglet's loop runs) keeps the
    reason without the debug output. A driver whose module does not import
    (its library missing) is a failure too.
    """
    failures: dict[str, str] = {}
    for name in dict.fromkeys(asked):
        if name in _WINDOWS_ONLY and not sys.platform.startswith(("win32", "cygwin")):
            failures[name] = "a Windows driver; pyglet does not try it on this platform"
            continue
        try:
            module = importlib.import_module(f"{_DRIVERS}.{name}")
        except Exception as exc:  # noqa: BLE001  (pyglet skips it for any reason)
            failures[name] = _one_line(exc)
            continue
        create = getattr(module, "create_audio_driver", None)
        if create is None:
            continue

        def create_and_note(*args: Any, _create: Any = create, _name: str = name,
                            **kwargs: Any) -> Any:
            try:
                return _create(*args, **kwargs)
            except Exception as exc:
                failures[_name] = _one_line(exc)
                raise

        module.create_audio_driver = create_and_note  # type: ignore[attr-defined]
    return failures


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    kind = type(exc).__name__
    while text.startswith(f"{kind}: "):  # pyglet's exceptions repeat their own name
        text = text[len(kind) + 2:]
    return f"{kind}: {text}"[:300] if text else kind


def driver_used(driver: Any) -> tuple[str, str]:
    """The driver pyglet created, by its option name, and where it plays:
    the PulseAudio server, or the OpenAL device."""
    name = DRIVER_NAMES.get(type(driver).__name__, type(driver).__name__)
    detail = ""
    try:
        if name == "pulse":
            detail = f"server {driver.context.server}"
        elif name == "openal":
            from pyglet.media.drivers.openal import lib_alc as alc

            device = alc.alcGetString(driver.device._al_device,  # noqa: SLF001
                                      alc.ALC_DEVICE_SPECIFIER)
            text = ctypes.cast(device, ctypes.c_char_p).value if device else None
            detail = f"device {text.decode('utf-8', 'replace')}" if text else ""
    except Exception as exc:  # noqa: BLE001  (a detail; the driver itself is known)
        detail = f"(not known: {_one_line(exc)})"
    return name, detail[:300]


def default_headless() -> bool:
    return sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _make_logger(base: type, outfile: str) -> Any:
    """pyglet's BufferedLogger, saving atomically and marking the end of stream."""

    class RecordingLogger(base):  # type: ignore[misc, valid-type]
        closed = False

        cpu_at_start: tuple[float, float] | None = None
        #: called at the end of play, before our closing events (cpu_waits)
        on_end: Any = None

        def init_wall_time(self) -> None:
            super().init_wall_time()
            self.cpu_at_start = _cpu_use()

        def log(self, *args: Any) -> None:
            if args and args[0] == "p.P.oe" and self.start_wall_time is not None:
                # our own events, before the end of play so that a finished
                # recording still ends with p.P.oe, as pyglet's tools expect
                self._log_cpu()
                self.log_entries.append(("mp.end", self.rebased_wall_time()))
            self.log_entries.append(args)

        def _log_cpu(self) -> None:
            if self.on_end is not None:
                self.on_end()
            cpu_now = _cpu_use()
            if cpu_now is not None and self.cpu_at_start is not None:
                self.log_entries.append(("mp.cpu", cpu_now[0] - self.cpu_at_start[0],
                                         cpu_now[1] - self.cpu_at_start[1]))

        def end_without_eos(self, end_due: float) -> None:
            """Close a play pyglet never ended: the events so far, then ours,
            the last saying when the end was due (wall time of the play)."""
            self._log_cpu()
            self.log_entries.append((NO_END_OF_STREAM, self.rebased_wall_time(), end_due))
            self.save_log_entries_as_pickle()

        def save_log_entries_as_pickle(self) -> None:
            recording.save(Path(self.outfile), list(self.log_entries))
            self.closed = True

    return RecordingLogger(outfile)


def _cpu_use() -> tuple[float, float] | None:
    """(CPU time, time spent waiting for a CPU) of this thread, in seconds.

    The wait (the kernel's run-queue delay) tells an overloaded machine
    from a slow sample: late frames with a long wait are the machine's fault.
    Linux only; None elsewhere.
    """
    try:
        with open("/proc/thread-self/schedstat") as stats:
            cpu_ns, wait_ns = stats.read().split()[:2]
    except (OSError, ValueError):
        return None
    return int(cpu_ns) / 1e9, int(wait_ns) / 1e9


def _video_format(source: Any) -> tuple | None:
    vf = source.video_format
    if vf is None:
        return None
    return (vf.width, vf.height, float(vf.sample_aspect or 0.0), float(vf.frame_rate or 0.0))


def _audio_format(source: Any) -> tuple | None:
    af = source.audio_format
    if af is None:
        return None
    return (af.channels, af.sample_size, af.sample_rate)


def _touch(path: str) -> None:
    try:
        os.utime(path)
    except OSError:
        pass  # the runner then sees no progress: at worst a hang reported


def _schedule_heartbeat(pyglet: Any, path: str, logger: Any, player: Any) -> None:
    """Touch `path` whenever the play progressed (new events, or the player's
    clock moved) since the last look; the runner kills a player whose
    heartbeat stops (runner._Progress)."""
    seen: list[Any] = [None]

    def beat(dt: float) -> None:
        now = (len(logger.log_entries), player.time)
        if now != seen[0]:
            seen[0] = now
            _touch(path)

    pyglet.clock.schedule_interval(beat, HEARTBEAT_INTERVAL)


def _watch_the_end(pyglet: Any, logger: Any, source: Any) -> None:
    """End the play ourselves when pyglet has not ended it (no on_eos)
    timeouts.end_grace() after the file's end was due, and the source gave
    no audio or picture for as long, keeping its events.

    pyglet's PulseAudio driver waits forever for the end of a stream whose
    audio stopped early; the runner's limit would kill it a minute later
    with nothing recorded. A source still giving data is still playing,
    whatever its duration said (a VBR MP3 without a seek table, a header
    duration too short): that play is left to the runner's limit. The wall
    time counts from the play's start (p.P._sp starts the logger's clock)."""
    duration = source.duration
    if not duration or not 0 < duration < float("inf"):
        return  # no end is due
    due = float(duration)
    grace = timeouts.end_grace(due)
    last_data = [0.0]  # the play's wall time the source last gave data

    def stamped(get: Any) -> Any:
        def get_and_stamp(*args: Any, **kwargs: Any) -> Any:
            data = get(*args, **kwargs)
            if data is not None and logger.start_wall_time is not None:
                last_data[0] = logger.rebased_wall_time()
            return data
        return get_and_stamp

    for name in ("get_audio_data", "get_next_video_frame"):
        if callable(getattr(source, name, None)):
            setattr(source, name, stamped(getattr(source, name)))

    def look(dt: float) -> None:
        if logger.closed:
            pyglet.clock.unschedule(look)
            return
        if logger.start_wall_time is None:
            return
        now = logger.rebased_wall_time()
        if now >= due + grace and now >= last_data[0] + grace:
            pyglet.clock.unschedule(look)
            logger.end_without_eos(due)
            pyglet.app.exit()

    pyglet.clock.schedule_interval(look, HEARTBEAT_INTERVAL)


def play(sample_path: str, outfile: str, name: str, audio: Sequence[str],
         headless: bool, heartbeat: str | None = None,
         pictures: str = PICTURES_DEFAULT) -> int:
    # Written first: if anything below kills the process, this stays and
    # reads as a crash.
    recording.save(Path(outfile), recording.crash_placeholder(name))
    pyglet = configure_pyglet(audio, headless)
    if _DRIVERS not in sys.modules:  # a fresh interpreter: importing pyglet.media
        sys.modules[_DRIVERS] = _deferred_drivers(pyglet)  # must not pick the driver yet
    failures = _watch_driver_failures(audio)
    import pyglet.media  # noqa: F811 (loads the submodule; the name stays pyglet)
    from pyglet.media import buffered_logger

    _finish_setup(pyglet)  # creates the audio driver and the GL context

    logger = _make_logger(buffered_logger.BufferedLogger, outfile)
    buffered_logger.logger = logger
    logger.log("version", VERSION)
    logger.log("mp.im", name)
    used, detail = driver_used(pyglet.media.get_audio_driver())
    logger.log("mp.drv", used, detail,
               "; ".join(f"{driver}: {why}" for driver, why in failures.items()))
    try:
        source = pyglet.media.load(sample_path)
    except Exception as exc:  # any failure to open is the source's verdict
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        detail = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
        for code, words in FFMPEG_ERRORS.items():
            if f"Error code: {code}" in message:
                detail = f"{words}; {detail}"
        logger.log("mp.err", f"pyglet could not open it ({detail})"[:500])
        logger.save_log_entries_as_pickle()
        return EXIT_UNPLAYABLE
    logger.log("mp.src", source.duration, _video_format(source), _audio_format(source))

    keeper = None
    if pictures != "off" and source.video_format is not None:
        keeper = FrameKeeper(pictures_beside(Path(outfile)), pictures, source.duration)
        keeper.watch(source, logger)
    player = pyglet.media.Player()
    logger.on_end = cpu_waits.start(
        pyglet, logger, cpu_waits.sound_server_pid(os.environ) if used == "pulse" else None)
    _watch_the_end(pyglet, logger, source)  # wraps the source: before the player reads it
    player.queue(source)
    player.push_handlers(on_eos=lambda: pyglet.app.exit())
    if heartbeat:
        _touch(heartbeat)  # opened: progress
        _schedule_heartbeat(pyglet, heartbeat, logger, player)
    player.play()
    pyglet.app.run()
    if keeper is not None and logger.closed:
        keeper.save()  # after the play: its time is not the play's
    # on_eos closes the logger; a loop that ended any other way is a crash
    return EXIT_PLAYED if logger.closed else EXIT_CRASHED


def versions() -> dict[str, Any]:
    """What was under test: pyglet, FFmpeg, Python, OS (for 03_pyglet_info.txt)."""
    info: dict[str, Any] = {
        "python": sys.version.replace("\n", " "),
        "python_executable": sys.executable,
        "platform": platform.platform(),
        "machine": platform.machine(),
    }
    try:
        pyglet = configure_pyglet(("silent",), default_headless())
        info["pyglet"] = pyglet.version
        info["pyglet_path"] = os.path.dirname(pyglet.__file__)
        from pyglet.media.codecs import ffmpeg

        info["ffmpeg"] = ffmpeg.get_version()
        from pyglet.media.codecs.ffmpeg_lib import libavcodec, libavformat, libavutil

        info["ffmpeg_libraries"] = {
            "avformat": libavformat.avformat_version,
            "avcodec": libavcodec.avcodec_version,
            "avutil": libavutil.avutil_version,
        }
    except Exception as exc:  # still report what we know
        info["error"] = f"{type(exc).__name__}: {exc}"
    return info


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pytest_pyglet_media.play.player")
    parser.add_argument("sample", nargs="?")
    parser.add_argument("recording", nargs="?")
    parser.add_argument("--name", help="sample name recorded in the events")
    parser.add_argument("--audio", default="silent", help="comma separated pyglet audio drivers")
    parser.add_argument("--headless", choices=("auto", "yes", "no"), default="auto")
    parser.add_argument("--info", action="store_true", help="print versions as JSON")
    parser.add_argument("--pictures", choices=PICTURE_MODES, default=PICTURES_DEFAULT,
                        help="which pictures pyglet shows to keep beside the recording")
    args = parser.parse_args(argv)
    if args.info:
        print(json.dumps(versions()))
        return 0
    if not args.sample or not args.recording:
        parser.error("SAMPLE and RECORDING are required")
    headless = default_headless() if args.headless == "auto" else args.headless == "yes"
    audio = tuple(a for a in args.audio.split(",") if a)
    name = args.name or os.path.basename(args.sample)
    return play(args.sample, args.recording, name, audio, headless,
                heartbeat=os.environ.get(HEARTBEAT_ENV) or None, pictures=args.pictures)


if __name__ == "__main__":
    sys.exit(main())
