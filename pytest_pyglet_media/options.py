"""Options: declared once, readable from the command line, ini and environment.

Settings are resolved once into a frozen `Settings`, kept (inside the run's
context) in `config.stash`; each xdist worker resolves the same options it
was started with. Precedence, as pytest-timeout does it:
command line, then ini file, then environment variable, then default. A bad
value is a usage error naming the option and where the value came from.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from . import shards
from .core.errors import UsageError
from .play.defaults import (DEFAULT_PICTURES, DEFAULT_PLAYER, DEFAULT_SPAWN, PICTURE_MODES,
                            SPAWN_METHODS)
from .play.timeouts import STALL_TIMEOUT
from .core.setting_names import AUDIO_DRIVERS, DEPRECATED_ENV, SAMPLES_DIR_ENV, STORE_DIR_ENV

KNOWN_AUDIO_DRIVERS = AUDIO_DRIVERS
#: the drivers pyglet has on each platform (pyglet.media.drivers): asking for
#: another can only end in pyglet's silent fallback, so it is refused first
PLATFORM_AUDIO_DRIVERS = {"linux": ("silent", "openal", "pulse"),
                          "win32": ("silent", "openal", "xaudio2", "directsound"),
                          "darwin": ("silent", "openal")}


@dataclass(frozen=True)
class Settings:
    samples_dir: str | None = None
    #: the folder of the sessions and activation.json (None: the samples folder)
    store: str | None = None
    session: str | None = None
    playlist: str | None = None
    #: one play's limit; None: automatic, from the sample's duration (timeouts.py)
    timeout: float | None = None
    #: seconds a player may go without progress before it is killed as hung
    stall_timeout: float = STALL_TIMEOUT
    retries: int = 5
    audio: tuple[str, ...] = ("silent",)
    #: --mp-drivers: one item per sample and driver, each played with that
    #: driver alone; () plays one item per sample with `audio`
    drivers: tuple[str, ...] = ()
    player: str = DEFAULT_PLAYER
    compare: str | None = None
    plots: str = "failed"
    spawn: str = DEFAULT_SPAWN
    #: which pictures pyglet shows the player keeps, to compare with FFmpeg's
    #: (play/frame_keeper.py): sample, all or off
    pictures: str = DEFAULT_PICTURES
    #: the baseline file (None: samples.baseline.json in the samples folder)
    baseline: str | None = None
    baseline_update: bool = False
    #: --mp-store-durations: merge each played sample's play time into the
    #: samples folder's durations file (store/durations.py), which shards weigh by
    store_durations: bool = False
    #: the collection (so play) order: longest first, or the playlist's (order.py)
    order: str = "longest"
    #: (K, N): play only shard K of N of the playlist (shards.py); None: all of it
    shard: tuple[int, int] | None = None
    #: players at once, at most (--mp-players); None: as the CPU allows (ahead.py)
    players: int | None = None
    #: globs on sample names forced into / out of the implicit playlist
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    #: search the samples folder's subfolders too (sample names `live/concert.mkv`)
    recursive: bool = False

    @property
    def active(self) -> bool:
        return self.samples_dir is not None


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("it is empty")
    return value


#: the longest limit a time option takes: a week. Beyond it a deadline no
#: longer fits a timestamp (pytest-timeout's timer, the runner's clock)
MAX_SECONDS = 7 * 24 * 3600.0


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError("it is not a number of seconds") from None
    if not seconds > 0 or seconds != seconds or seconds == float("inf"):
        raise ValueError("it must be a positive number of seconds")
    if seconds > MAX_SECONDS:
        raise ValueError(f"it must be at most {MAX_SECONDS:.0f} seconds (a week)")
    return seconds


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError("it is not a whole number") from None
    if number < 0:
        raise ValueError("it cannot be negative")
    return number


def _players(value: str) -> int | None:
    if value.strip().lower() == "auto":
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValueError("say auto or a whole number of players") from None
    if number < 1:
        raise ValueError("at least one player must play")
    return number


PLOT_CHOICES = ("failed", "all", "none")
#: --mp-order: longest first (order.py) or as the playlist lists them
ORDER_CHOICES = ("longest", "playlist")


def _plots(value: str) -> str:
    if value not in PLOT_CHOICES:
        raise ValueError(f"choose one of {', '.join(PLOT_CHOICES)}")
    return value


def _audio(value: str) -> tuple[str, ...]:
    drivers = tuple(d.strip() for d in value.split(",") if d.strip())
    if not drivers:
        raise ValueError("name at least one audio driver, such as silent or openal")
    unknown = [d for d in drivers if d not in KNOWN_AUDIO_DRIVERS]
    if unknown:
        raise ValueError(f"unknown audio driver {unknown[0]!r}; pyglet knows "
                         f"{', '.join(KNOWN_AUDIO_DRIVERS)}")
    return drivers


def _drivers(value: str) -> tuple[str, ...]:
    drivers = _audio(value)
    repeated = sorted({d for d in drivers if drivers.count(d) > 1})
    if repeated:
        raise ValueError(f"{repeated[0]!r} is named twice; each driver is played once")
    return drivers


def platform_drivers(platform: str | None = None) -> tuple[str, ...]:
    """The audio drivers pyglet has on `platform` (sys.platform by default)."""
    platform = sys.platform if platform is None else platform
    for prefix, drivers in PLATFORM_AUDIO_DRIVERS.items():
        if platform.startswith(prefix):
            return drivers
    return ("silent", "openal")  # other Unixes: pyglet tries OpenAL, else silence


def _patterns(value: str) -> tuple[str, ...]:
    # imported here: every pytest run of the environment reads these options
    from .store.sample_selection import parse_patterns

    patterns = parse_patterns(value)
    if not patterns:
        raise ValueError("name at least one pattern, such as *.mp4")
    return patterns


def _flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("say true or false")


def _order(value: str) -> str:
    if value not in ORDER_CHOICES:
        raise ValueError(f"choose one of {', '.join(ORDER_CHOICES)}")
    return value


def _pictures(value: str) -> str:
    if value not in PICTURE_MODES:
        raise ValueError(f"choose one of {', '.join(PICTURE_MODES)}")
    return value


def _spawn(value: str) -> str:
    if value not in SPAWN_METHODS:
        raise ValueError(f"choose one of {', '.join(SPAWN_METHODS)}")
    return value


@dataclass(frozen=True)
class OptionSpec:
    field: str
    flag: str
    help: str
    parse: Callable[[str], Any]
    env: str | None = None
    metavar: str = "VALUE"
    #: a switch (store_true) rather than an option taking a value
    is_flag: bool = False
    #: read from the command line only (no ini key, no env var)
    cli_only: bool = False
    #: what a command-line-only switch would do if left on in PYTEST_ADDOPTS
    #: or an ini addopts line ("rewrite the baseline ..."), for its refusal
    left_on_would: str = ""
    #: a former name of `env`, still read (after it) with a warning for a release
    old_env: str | None = None

    @property
    def ini(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec("samples_dir", "--mp-samples-dir",
               "folder of media samples; turns the plugin on (one test per sample)",
               _text, env=SAMPLES_DIR_ENV, metavar="DIR"),
    OptionSpec("store", "--mp-store",
               "folder the sessions and activation.json are kept in (created when missing; "
               "default: the samples folder), so a read-only or shared samples folder works",
               _text, env=STORE_DIR_ENV, metavar="DIR",
               old_env=DEPRECATED_ENV[STORE_DIR_ENV]),
    OptionSpec("session", "--mp-session",
               "session to record into (created when new); default: the active "
               "session, else a new testrun_NN", _text, metavar="NAME"),
    OptionSpec("playlist", "--mp-playlist",
               "playlist file (one sample a line) for a session created by this run",
               _text, metavar="FILE"),
    OptionSpec("timeout", "--mp-timeout", "seconds one play may take before it is "
               "killed (default: automatic, from the sample's duration: 2x + 30 s, at "
               "least 60 s; 120 s when ffprobe cannot tell)", _seconds,
               env="PYTEST_MP_TIMEOUT", metavar="SECONDS"),
    OptionSpec("stall_timeout", "--mp-stall-timeout", "seconds a player may go without "
               "progress (no new event) before it is killed as hung (default 10)", _seconds,
               env="PYTEST_MP_STALL_TIMEOUT", metavar="SECONDS"),
    OptionSpec("retries", "--mp-retries", "times a crashed, timed out or overloaded play "
               "is retried (default 5)", _count, env="PYTEST_MP_RETRIES", metavar="N"),
    OptionSpec("audio", "--mp-audio", "pyglet audio drivers to try, comma separated "
               "(default silent; openal plays through OpenAL Soft's null device when "
               "headless)", _audio, env="PYTEST_MP_AUDIO", metavar="DRIVERS"),
    OptionSpec("drivers", "--mp-drivers", "play every sample once per audio driver, comma "
               "separated (silent,openal,pulse): one item each, `clip.mp4::play[pulse]`, "
               "that fails when pyglet used another driver; not with --mp-audio",
               _drivers, env="PYTEST_MP_DRIVERS", metavar="DRIVERS"),
    OptionSpec("compare", "--mp-compare", "compare with session OTHER at the end; fail the "
               "run when a sample that played perfectly there now has defects or crashes",
               _text, metavar="OTHER"),
    OptionSpec("plots", "--mp-plots", "timeline pages to write at the end: failed (default), "
               "all or none (needs bokeh)", _plots, metavar="WHICH"),
    OptionSpec("player", "--mp-player", "python module run as the player (for testing "
               "this tool; default pytest_pyglet_media.play.player)", _text, metavar="MODULE"),
    OptionSpec("spawn", "--mp-spawn", "how each play's process starts: fork (from a fork "
               "server that imported pyglet once; default on Linux) or fresh (a new "
               "interpreter per play); --mp-player doubles always run fresh", _spawn,
               env="PYTEST_MP_SPAWN", metavar="HOW"),
    OptionSpec("pictures", "--mp-pictures", "pictures pyglet shows that are compared with "
               "FFmpeg's decode of the same frames: sample (default: the first, the last "
               "and one a second), all, or off", _pictures, env="PYTEST_MP_PICTURES",
               metavar="WHICH"),
    OptionSpec("players", "--mp-players", "samples played at once, at most: auto (default: "
               "as many as the CPUs can play without a player waiting for one, judged by "
               "each sample's cost) or N (1: one after another)", _players,
               env="PYTEST_MP_PLAYERS", metavar="N"),
    OptionSpec("order", "--mp-order", "order samples are collected and played in: longest "
               "(default; the session's stored durations, else file sizes) or playlist",
               _order, env="PYTEST_MP_ORDER", metavar="HOW"),
    OptionSpec("baseline", "--mp-baseline", "baseline file of known defect counts per sample "
               "(default samples.baseline.json in the samples folder); a sample fails only "
               "where it is worse than its entry", _text, env="PYTEST_MP_BASELINE",
               metavar="FILE"),
    OptionSpec("shard", "--mp-shard", "play only shard K of N of the playlist (K counted "
               "from 1), balanced by expected play time (samples.durations.json, else file "
               "size), the same split on every machine; default: "
               "GitLab's CI_NODE_INDEX/CI_NODE_TOTAL when both are set", shards.parse,
               env="PYTEST_MP_SHARD", metavar="K/N"),
    OptionSpec("include", "--mp-include", "file name patterns (comma or space separated, "
               "as python_files) played even when the sniff of their first bytes says they "
               "are not media; new sessions without a playlist", _patterns,
               env="PYTEST_MP_INCLUDE", metavar="GLOBS"),
    OptionSpec("exclude", "--mp-exclude", "file name patterns (comma or space separated) "
               "never played, media or not (they win over --mp-include); new sessions "
               "without a playlist", _patterns, env="PYTEST_MP_EXCLUDE", metavar="GLOBS"),
    OptionSpec("recursive", "--mp-recursive", "search the samples folder's subfolders too "
               "(samples named live/concert.mkv); without it each subfolder is listed as not "
               "searched; new sessions without a playlist", _flag, env="PYTEST_MP_RECURSIVE",
               is_flag=True),
    # Command line only: left on in an ini file or a CI environment, it would
    # pass every regression and rewrite the baseline on every run.
    OptionSpec("baseline_update", "--mp-baseline-update", "write the defect counts of every "
               "sample played to the baseline file (other samples' entries are kept); its "
               "plays pass, crashes and timeouts still fail", _flag, is_flag=True,
               cli_only=True,
               left_on_would="rewrite the baseline and pass every regression on every run"),
    # Command line only: left on in CI, every job would rewrite the committed
    # file with its own times on every run, and the shards would follow them.
    OptionSpec("store_durations", "--mp-store-durations", "write the play time of every "
               "sample played to samples.durations.json in the samples folder (other "
               "samples' entries are kept); commit it: --mp-shard balances by it",
               _flag, is_flag=True, cli_only=True,
               left_on_would="rewrite the durations file, and so the shards, on every run"),
)

#: the options read from an ini file
INI_OPTIONS: tuple[OptionSpec, ...] = tuple(spec for spec in OPTIONS if not spec.cli_only)


def add_options(parser: Any) -> None:
    """Declare every option in one --help group and as an ini setting."""
    group = parser.getgroup("pyglet-media", "pyglet media samples")
    for spec in OPTIONS:
        env_note = f" [env {spec.env}]" if spec.env else ""
        if spec.is_flag:
            group.addoption(spec.flag, dest=f"mp_{spec.field}", default=None,
                            action="store_true", help=spec.help + env_note)
        else:
            group.addoption(spec.flag, dest=f"mp_{spec.field}", default=None,
                            metavar=spec.metavar, help=spec.help + env_note)
        if not spec.cli_only:
            parser.addini(spec.ini, help=spec.help, default=None)


def resolve(option_values: Mapping[str, Any], ini_values: Mapping[str, Any],
            environ: Mapping[str, str] | None = None, inifile: str | None = None) -> Settings:
    """Resolve every option by precedence; raise UsageError naming the source."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    given: dict[str, str] = {}  # field -> where its value came from
    for spec in OPTIONS:
        candidates = [
            (option_values.get(f"mp_{spec.field}"), f"{spec.flag} on the command line"),
            (None if spec.cli_only else ini_values.get(spec.ini),
             f"{spec.ini} in {inifile or 'the ini file'}"),
            (environ.get(spec.env) if spec.env else None, f"environment variable {spec.env}"),
            (environ.get(spec.old_env) if spec.old_env else None,
             f"environment variable {spec.old_env}"),
        ]
        for raw, source in candidates:
            if raw is None or (isinstance(raw, str) and raw == "" and "command" not in source):
                continue
            try:
                values[spec.field] = spec.parse(str(raw))
            except ValueError as exc:
                raise UsageError(f"{spec.flag}: bad value {str(raw)!r} from {source}: {exc}") \
                    from None
            given[spec.field] = source
            break
    if "shard" not in values and all(environ.get(name) for name in shards.CI_ENV_VARS):
        raw = f"{environ[shards.CI_NODE_INDEX]}/{environ[shards.CI_NODE_TOTAL]}"
        try:
            values["shard"] = shards.parse(raw)
        except ValueError as exc:
            raise UsageError(f"--mp-shard: bad value {raw!r} from environment variables "
                             f"{shards.CI_NODE_INDEX} and {shards.CI_NODE_TOTAL}: {exc}") from None
    _check_drivers(values, given)
    for field in ("samples_dir", "store"):
        if values.get(field) is not None:
            values[field] = str(Path(values[field]).expanduser())
    return Settings(**values)


def from_environment(field: str, environ: Mapping[str, str] | None = None) -> Any:
    """One setting as its environment variable gives it (None: not set), for
    `pyglet-mp`, which reads the same variables as the plugin."""
    spec = next(spec for spec in OPTIONS if spec.field == field)
    raw = (os.environ if environ is None else environ).get(spec.env or "")
    if not raw:
        return None
    try:
        return spec.parse(raw)
    except ValueError as exc:
        raise UsageError(f"bad value {raw!r} from environment variable {spec.env}: {exc}") \
            from None


def deprecated_names_in(environ: Mapping[str, str]) -> list[str]:
    """A warning for each former variable name set in `environ` (old_env).

    The samples folder's former `pyglet_mp_samples_dir` is never read by
    pytest: set for the CLI, it would turn every pytest run into a media run.
    """
    notes = []
    for spec in OPTIONS:
        if spec.old_env and environ.get(spec.old_env):
            notes.append(f"{spec.old_env} is ignored: {spec.env} is set too"
                         if environ.get(spec.env) else
                         f"{spec.old_env} is deprecated and will not be read after the next "
                         f"release; set {spec.env} instead (pyglet-mp reads it too)")
    return notes


def _check_drivers(values: Mapping[str, Any], given: Mapping[str, str],
                   platform: str | None = None) -> None:
    """--mp-drivers and --mp-audio say two different things (one item per
    driver; pyglet's preference list): both at once is a usage error. A
    driver this platform's pyglet does not have is refused before anything
    plays, not found as a silent fallback in every recording."""
    if "drivers" in values and "audio" in given:
        raise UsageError(f"--mp-drivers ({given['drivers']}) and --mp-audio "
                         f"({given['audio']}) cannot be used together: --mp-drivers plays "
                         "each sample once per driver, --mp-audio is pyglet's preference "
                         "list for one play; keep one")
    here = platform_drivers(platform)
    for field, flag in (("drivers", "--mp-drivers"), ("audio", "--mp-audio")):
        missing = [d for d in values.get(field, ()) if d not in here]
        if missing:
            raise UsageError(f"{flag}: pyglet has no {missing[0]!r} audio driver on "
                             f"{platform or sys.platform} (from {given[field]}); it has "
                             f"{', '.join(here)} here")


def require_command_line_only(settings: Settings, command_line: Sequence[str]) -> None:
    """A command-line-only switch that is on must be on the command line itself.

    pytest puts PYTEST_ADDOPTS and an ini file's addopts in front of the
    arguments before they are parsed, so the parsed value cannot tell where
    it came from; the arguments as invoked can. --mp-baseline-update left
    on there would pass every regression and rewrite the baseline on every run;
    --mp-store-durations would rewrite the committed durations file.
    """
    for spec in OPTIONS:
        if spec.cli_only and getattr(settings, spec.field) and spec.flag not in command_line:
            raise UsageError(f"{spec.flag} is read from the command line only: it was given "
                             "through PYTEST_ADDOPTS or an ini addopts line, where it would "
                             f"{spec.left_on_would or 'be on for every run'}")
