"""The session store: samples folder, session folders, configuration, activation.

Layout (from the manual of pyglet's original scripts):

    samples_dir/
        <samples>            the implicit playlist
        activation.json      the active session's name
        <session>/           (the store's: see below)
            configuration.json
            dbg/             <sample>.dbg, _session_playlist.txt, ...
                             <sample>.pictures while they are judged,
                             <sample>.pictures.json: the numbers of the comparison
            reference/       <sample>.json: what ffprobe says the sample holds
                             <sample>.frames: FFmpeg's pictures of compared frames
            reports/         00_summary.txt, ...

The sessions and activation.json live in the *store* folder, which is the
samples folder unless --mp-store / `pyglet-mp --store` names another one
(a read-only or shared corpus): samples are read from the samples folder,
everything written goes to the store. A store serves one samples folder;
sessions name their samples by their path in it (`clip.mp4`, or
`live/concert.mkv` under --mp-recursive), so two samples folders sharing one
store would mix their sessions. A sample's files in a session keep one flat
name each (names.store_stem), never a subfolder of the session.

The plugin and the `pyglet-mp` command share this module. Every name of a
session's files and folders is spelled here, and only here: others ask
SessionPaths (or the functions beside it) for them.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from dataclasses import asdict, dataclass, replace
from pathlib import Path, PurePath
from typing import Any, Iterable, Iterator, Mapping, Sequence

from ..core import atomic
from ..core.errors import (
    BadFileError,
    PlaylistError,
    ProtectedSessionError,
    SessionError,
    SessionExistsError,
    UsageError,
)
from ..core.names import (
    BUNDLE_SUFFIX,
    EXCLUDED_EXTENSIONS,
    FOLDER_SEPARATOR,
    MANIFEST_NAME,
    fit_file_name,
    sample_name_problem,
)
from . import sample_folders, sample_selection
# the samples folder and the store folder: one environment variable each,
# read by the plugin (options.py) and by `pyglet-mp` alike
from ..core.setting_names import DEPRECATED_ENV, SAMPLES_DIR_ENV, STORE_DIR_ENV  # noqa: F401
from .picture_reference import frames_beside
from .pictures import checks_beside, pictures_beside

ACTIVATION_FILE = "activation.json"
CONFIGURATION_FILE = "configuration.json"
SAMPLES_VERSION_FILE = "_version.txt"
TESTRUN_PREFIX = "testrun_"
#: ends the name of a play-in-progress marker (play_marker.py) in dbg/
PLAYING_SUFFIX = ".playing"
#: ends the name of a recording in dbg/
RECORDING_SUFFIX = ".dbg"
#: ends the name of a recording moved aside because the play after it could
#: not be recorded (not a ".dbg": no reader takes it for the sample's result)
SUPERSEDED_SUFFIX = ".dbg.superseded"
# the folders of a session
_DBG_DIR = "dbg"
_REPORTS_DIR = "reports"
_REFERENCE_DIR = "reference"
_GROUPS_DIR = "groups"
#: the store's reference cache (reference_cache.py): hidden, so that no
#: session can take its name (session names never start with '.')
_REFERENCE_CACHE_DIR = ".reference-cache"
#: begins the name of a comparison report (comparison_file_name)
_COMPARISON_PREFIX = "comparison_"

# Characters no folder name may hold on Windows, macOS or Linux.
_FORBIDDEN_NAME_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Configuration:
    protect_raw_data: bool = False
    protect_reports: bool = False
    dev_debug: bool = False
    has_playlist: bool = False
    config_vs: str = "1.0"
    #: when the session was created, ISO 8601 in UTC (created_at reads it);
    #: "" in a session made before it was recorded
    created: str = ""

    @property
    def raw_data_writable(self) -> bool:
        return self.dev_debug or not self.protect_raw_data

    @property
    def reports_writable(self) -> bool:
        return self.dev_debug or not self.protect_reports


@dataclass(frozen=True)
class SessionPaths:
    samples_dir: Path
    name: str
    #: the folder holding the session (None: the samples folder)
    store_dir: Path | None = None
    #: the session folder when it is not `store/name`: a session being written
    #: in a hidden folder (staged_session), named as it will be
    staging_dir: Path | None = None

    @property
    def store(self) -> Path:
        """The folder of the session folders and activation.json."""
        return self.samples_dir if self.store_dir is None else self.store_dir

    @property
    def session_dir(self) -> Path:
        return self.store / self.name if self.staging_dir is None else self.staging_dir

    @property
    def dbg_dir(self) -> Path:
        return self.session_dir / _DBG_DIR

    @property
    def reports_dir(self) -> Path:
        return self.session_dir / _REPORTS_DIR

    @property
    def configuration(self) -> Path:
        return self.session_dir / CONFIGURATION_FILE

    @property
    def playlist(self) -> Path:
        return self.dbg_dir / "_session_playlist.txt"

    @property
    def versions(self) -> Path:
        return self.dbg_dir / "_versions.json"

    @property
    def owner(self) -> Path:
        """Who plays into the session now (session_owner.py): pid, host, since."""
        return self.dbg_dir / "_owner.json"

    @property
    def retry_state(self) -> Path:
        """Per sample, the attempts and crashes of its latest play."""
        return self.dbg_dir / "_crash_retries.json"

    @property
    def samples_version(self) -> Path:
        return self.dbg_dir / "_samples_version.txt"

    @property
    def baseline_used(self) -> Path:
        """Which baseline file the session's latest run was judged against
        (save_baseline_used), so that `pyglet-mp summarize` shows it again."""
        return self.dbg_dir / "_baseline_used.json"

    @property
    def skipped_files(self) -> Path:
        """Files of the samples folder the implicit playlist left out, and why."""
        return self.dbg_dir / "_skipped_files.txt"

    def playing(self, sample: str) -> Path:
        """Marker of a play in progress (or interrupted): who plays the sample
        (play_marker.py writes, reads and removes it)."""
        return self.dbg_dir / fit_file_name(sample, PLAYING_SUFFIX)

    def sample(self, sample: str) -> Path:
        return self.samples_dir / sample

    def recording(self, sample: str) -> Path:
        return self.dbg_dir / recording_file_name(sample)

    def superseded(self, sample: str) -> Path:
        """The sample's earlier recording, moved aside when a later play could
        not be recorded (a full disk): kept, but never read as its result."""
        return self.dbg_dir / fit_file_name(sample, SUPERSEDED_SUFFIX)

    def report(self, sample: str, report_name: str, ext: str = "txt") -> Path:
        return self.reports_dir / report_file_name(sample, report_name, ext)

    def special_report(self, name: str) -> Path:
        return self.reports_dir / SPECIAL_REPORTS[name]

    @property
    def reference_dir(self) -> Path:
        """ffprobe's account of each sample (reference.py): raw data, made
        when the first reference is written."""
        return self.session_dir / _REFERENCE_DIR

    def reference(self, sample: str) -> Path:
        return self.reference_dir / fit_file_name(sample, ".json")

    def pictures(self, sample: str) -> Path:
        """The pictures the player kept of its last play (store/pictures.py),
        while they are judged."""
        return pictures_beside(self.recording(sample))

    def picture_checks(self, sample: str) -> Path:
        """The numbers of the pictures compared at the last play (store/pictures.py)."""
        return checks_beside(self.recording(sample))

    def picture_preview(self, sample: str, number: int) -> Path:
        """A preview of the `number`-th differing picture (1, 2, ...): pyglet's,
        FFmpeg's and their difference side by side (store/png.py)."""
        return self.dbg_dir / picture_preview_file_name(sample, number)

    def decoded_frames(self, sample: str) -> Path:
        """FFmpeg's pictures of the frames compared (store/picture_reference.py)."""
        return frames_beside(self.reference(sample))

    @property
    def reference_cache_dir(self) -> Path:
        """The store's reference cache, shared by its sessions (see reference_cache_dir)."""
        return reference_cache_dir(self.store)

    @property
    def groups_dir(self) -> Path:
        """A session merged from runs played in different places (`pyglet-mp
        merge --allow-mixed`): one whole session per place, as `group(n)`."""
        return self.session_dir / _GROUPS_DIR

    def group(self, number: int) -> SessionPaths:
        """The session of group `number` (1, 2, ...), in the order of the
        merge's sources."""
        return SessionPaths(self.samples_dir, f"{number:02d}", self.groups_dir)

    def group_numbers(self) -> list[int]:
        """The groups this session holds (none unless merged from runs played
        in different places)."""
        try:
            names = os.listdir(self.groups_dir)
        except OSError:
            return []
        numbers = sorted(int(n) for n in names if len(n) == 2 and n.isdigit() and int(n))
        return [n for n in numbers if self.group(n).exists()]

    def exists(self) -> bool:
        return self.configuration.is_file()


def session_holding(folder: Path) -> Path | None:
    """The session folder that `folder` is in (itself or an ancestor holding a
    configuration file), after resolving links; None outside every session.
    What writes into the store asks it, so that a link inside the store
    cannot carry a write into a session folder."""
    try:
        here = Path(folder).resolve()
    except (OSError, RuntimeError):  # a loop of links
        return None
    for candidate in (here, *here.parents):
        if SessionPaths(candidate.parent, candidate.name).exists():
            return candidate
    return None


def recording_file_name(sample: str) -> str:
    return fit_file_name(sample, RECORDING_SUFFIX)


def is_recording_name(file_name: str) -> bool:
    """Whether a file of dbg/ is a recording (of any sample)."""
    return file_name.endswith(RECORDING_SUFFIX)


def is_recording_relpath(relpath: PurePath) -> bool:
    """Whether a path relative to a session folder is one of its recordings."""
    parts = relpath.parts
    return len(parts) == 2 and parts[0] == _DBG_DIR and is_recording_name(parts[1])


def recording_link_from_reports(sample: str) -> str:
    """The recording of `sample` relative to the reports folder, for a link
    from a report page."""
    return f"../{_DBG_DIR}/{recording_file_name(sample)}"


def picture_preview_file_name(sample: str, number: int) -> str:
    return fit_file_name(sample, f".picture-{number}.png")


def picture_preview_link_from_reports(sample: str, number: int) -> str:
    """A picture preview of `sample` relative to the reports folder."""
    return f"../{_DBG_DIR}/{picture_preview_file_name(sample, number)}"


def report_file_name(sample: str, report_name: str, ext: str = "txt") -> str:
    return fit_file_name(sample, f".{report_name}.{ext}")


def comparison_file_name(session: str, other: str) -> str:
    """The report comparing `session` with `other` (sessions, or groups of a
    merged session); in reports/, or in the folder `--reldir` names."""
    return f"{_COMPARISON_PREFIX}{session}_{other}.txt"


def is_comparison_report(file_name: str) -> bool:
    return file_name.startswith(_COMPARISON_PREFIX)


SPECIAL_REPORTS = {
    "summary": "00_summary.txt",
    "pyglet_info": "03_pyglet_info.txt",
    "pyglet_revision": "04_pyglet_revision.txt",
    "index": "index.html",
}
#: the special reports the index page links to (the index itself is not one)
LINKED_SPECIAL_REPORTS = tuple(SPECIAL_REPORTS[k] for k in ("summary", "pyglet_info",
                                                            "pyglet_revision"))


# -- samples folder -----------------------------------------------------------


def environment_setting(name: str) -> tuple[str | None, str]:
    """The value of the environment variable `name` (SAMPLES_DIR_ENV,
    STORE_DIR_ENV), else of its deprecated name; and the variable read."""
    value = os.environ.get(name)
    old = DEPRECATED_ENV.get(name)
    if not value and old and os.environ.get(old):
        return os.environ[old], old
    return value or None, name


def deprecated_environment() -> list[str]:
    """A warning for each deprecated variable set (environment_setting)."""
    notes = []
    for name, old in DEPRECATED_ENV.items():
        if os.environ.get(old):
            notes.append(f"{old} is ignored: {name} is set too" if os.environ.get(name) else
                         f"{old} is deprecated and will not be read after the next release; "
                         f"set {name} instead (pytest reads it too)")
    return notes


def resolve_samples_dir(value: str | os.PathLike[str] | None, *, source: str) -> Path:
    """The samples folder from an option, or from SAMPLES_DIR_ENV."""
    if value is None or str(value) == "":
        value, variable = environment_setting(SAMPLES_DIR_ENV)
        source = f"environment variable {variable}"
        if not value:
            raise UsageError(
                f"no samples folder: pass --samples-dir or set {SAMPLES_DIR_ENV}")
    path = Path(value).expanduser()
    if not path.exists():
        raise UsageError(f"samples folder {path} (from {source}) does not exist")
    if not path.is_dir():
        raise UsageError(f"samples folder {path} (from {source}) is not a folder")
    return path.resolve()


def resolve_store_dir(value: str | os.PathLike[str] | None, samples_dir: Path, *,
                      source: str, env: str | None = None) -> Path:
    """The store folder from an option (else the environment variable `env`),
    else the samples folder; created when missing."""
    if (value is None or str(value) == "") and env:
        value, variable = environment_setting(env)
        source = f"environment variable {variable}"
    if value is None or str(value) == "":
        return samples_dir
    path = Path(value).expanduser()
    if path.exists() and not path.is_dir():
        raise UsageError(f"store folder {path} (from {source}) is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the store folder {path} (from {source}): "
                         f"{exc.strerror}") from None
    return path.resolve()


def is_candidate_sample(path: Path) -> bool:
    """Files that belong to the implicit playlist."""
    name = path.name
    if name.startswith(".") or name == MANIFEST_NAME or name.endswith(BUNDLE_SUFFIX):
        return False
    if path.suffix.lower() in EXCLUDED_EXTENSIONS:
        return False
    return path.is_file()


def sample_problem(samples_dir: Path, name: str) -> str | None:
    """Why a file of the samples folder cannot be a sample, or None.

    The name must pass names.sample_name_problem; a link leading out of the
    folder would make the session depend on files it does not hold.
    """
    problem = sample_name_problem(name)
    if problem is not None:
        shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return f"{shown[:120]!r}: its name {problem}; rename the file to play it"
    path = samples_dir / name
    if path.is_symlink() or FOLDER_SEPARATOR in name:
        target = path.resolve()
        if not target.is_relative_to(samples_dir.resolve()):
            return (f"{name!r} is a link to {target}, outside the samples folder; "
                    "copy the file into the folder to play it")
    return None


def implicit_playlist(samples_dir: Path, include: Sequence[str] = (),
                      exclude: Sequence[str] = (), recursive: bool = False) -> list[str]:
    """The media files of the folder (implicit_selection)."""
    return list(implicit_selection(samples_dir, include, exclude, recursive).samples)


def implicit_selection(samples_dir: Path, include: Sequence[str] = (),
                       exclude: Sequence[str] = (), recursive: bool = False
                       ) -> sample_selection.Selection:
    """The folder's files that are samples, and those skipped with the reason.

    Hidden files, the store's own files, excluded extensions and names that
    cannot be samples' (left_out_samples) are no candidates; the other files
    are sniffed (media_sniff.py), steered by the globs. Subfolders are
    searched when `recursive` (sample names `live/concert.mkv`), else each is
    listed as skipped, not searched.
    """
    listing = _listing(samples_dir, recursive)
    candidates = (name for name in listing.files
                  if _is_listed_candidate(samples_dir / name)
                  and sample_problem(samples_dir, name) is None)
    selection = sample_selection.select(samples_dir, candidates, include, exclude)
    return replace(selection, skipped=selection.skipped + listing.folders)


def _listing(samples_dir: Path, recursive: bool) -> sample_folders.Listing:
    return sample_folders.list_samples_folder(samples_dir, recursive=recursive,
                                              is_own_folder=_is_store_folder)


def _is_store_folder(folder: Path) -> bool:
    """A session folder, or a store (--mp-store) kept inside the samples folder."""
    return (folder / CONFIGURATION_FILE).is_file() or (folder / ACTIVATION_FILE).is_file()


def _is_listed_candidate(path: Path) -> bool:
    """A candidate by name that is not a folder: special files (a FIFO, a
    device) are candidates too, to be listed as skipped, never opened."""
    name = path.name
    if name.startswith(".") or name == MANIFEST_NAME or name.endswith(BUNDLE_SUFFIX):
        return False
    if path.suffix.lower() in EXCLUDED_EXTENSIONS:
        return False
    try:
        return not path.is_dir()
    except OSError:
        return True


def left_out_samples(samples_dir: Path, recursive: bool = False) -> list[str]:
    """Messages for files that look like samples but cannot be (see sample_problem)."""
    # special files and links to them too (a link to /dev/zero): left out
    # with the reason, never in silence
    problems = (sample_problem(samples_dir, name)
                for name in _listing(samples_dir, recursive).files
                if _is_listed_candidate(samples_dir / name))
    return sorted(p for p in problems if p is not None)


def _scandir(folder: Path, what: str = "samples folder") -> Iterable[Path]:
    try:
        return [folder / name for name in os.listdir(folder)]
    except OSError as exc:
        raise UsageError(f"cannot list {what} {folder}: {exc.strerror}") from None


def parse_playlist(text: str) -> list[str]:
    """One sample per line; blank lines and '#' comments ignored."""
    samples = []
    for line in text.splitlines():
        sample = line.strip()
        if sample and not sample.startswith("#"):
            samples.append(sample)
    return samples


def check_playlist(samples: Iterable[str], samples_dir: Path, source: Path) -> list[str]:
    """Refuse every bad entry at once, naming each: bad name, missing, outside."""
    problems = []
    seen: set[str] = set()
    result = []
    for sample in samples:
        if sample in seen:
            continue
        seen.add(sample)
        name_problem = sample_name_problem(sample)
        if name_problem is not None:
            problems.append(f"{sample[:120]!r} {name_problem}")
        elif not (samples_dir / sample).is_file():
            problems.append(f"{sample!r} is not a file in {samples_dir}")
        elif (problem := sample_problem(samples_dir, sample)) is not None:
            problems.append(problem)
        else:
            result.append(sample)
    if problems:
        raise PlaylistError(source, "; ".join(problems))
    return sorted(result)


def read_playlist_file(path: Path, samples_dir: Path) -> list[str]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PlaylistError(path, f"cannot read it: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise PlaylistError(path, "is not UTF-8 text") from None
    return check_playlist(parse_playlist(text), samples_dir, Path(path))


def corpus_version(samples_dir: Path, manifest_version: str | None) -> str:
    if manifest_version:
        return manifest_version
    version_file = samples_dir / SAMPLES_VERSION_FILE
    if version_file.is_file():
        return version_file.read_text(encoding="utf-8", errors="replace").strip()
    return "unknown (no samples.toml or _version.txt in the samples folder)"


# -- session names and listing -----------------------------------------------


def check_session_name(name: str) -> None:
    if not name or not name.strip():
        raise UsageError("a session name cannot be empty")
    if name in {".", ".."} or ".." in name:
        raise UsageError(f"session name {name!r} cannot contain '..'")
    bad = _FORBIDDEN_NAME_CHARS.search(name)
    if bad:
        raise UsageError(
            f"session name {name!r} contains {bad.group()!r}, which a folder name "
            "cannot hold on every system (avoid / \\ : * ? \" < > | and control characters)")
    if name != name.strip() or name.endswith("."):
        raise UsageError(f"session name {name!r} cannot start or end with spaces or end with '.'")
    if _WINDOWS_RESERVED.match(name):
        raise UsageError(f"session name {name!r} is reserved on Windows")
    # a session named activation.json (or samples.toml) would take the samples folder's own file
    if name in (ACTIVATION_FILE, MANIFEST_NAME) or name.endswith(BUNDLE_SUFFIX):
        raise UsageError(f"session name {name!r} is a name the samples folder keeps for "
                         "its own files; pick another name")
    if name.startswith("."):
        raise UsageError(f"session name {name!r} cannot start with '.' (hidden folders "
                         "are the store's work in progress)")
    if len(name.encode("utf-8")) > 200:
        raise UsageError(f"session name {name[:20]!r}... is too long (200 bytes at most)")


def reference_cache_dir(store_dir: Path) -> Path:
    """The folder of the store's reference cache (store/reference_cache.py):
    inside the store, never elsewhere; made when first written."""
    return store_dir / _REFERENCE_CACHE_DIR


def list_sessions(store_dir: Path) -> list[str]:
    """Direct subfolders of the store that hold a configuration.json."""
    return sorted(entry.name for entry in _scandir(store_dir, "store folder")
                  if entry.is_dir() and (entry / CONFIGURATION_FILE).is_file())


def next_testrun_name(store_dir: Path) -> str:
    """testrun_NN, NN one more than the highest testrun number in the store:
    a number prune freed is never used again (prune keeps the highest:
    cli/prune.py), and past testrun_99 the numbers widen (testrun_100)."""
    numbers = [testrun_number(entry.name) for entry in _scandir(store_dir, "store folder")]
    highest = max((n for n in numbers if n is not None), default=-1)
    return f"{TESTRUN_PREFIX}{highest + 1:02d}"


def now_stamp() -> str:
    """The time now, as a session records its creation (ISO 8601, UTC)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def created_at(paths: SessionPaths) -> float:
    """When the session was created, in seconds since the epoch: recorded in
    its configuration; for a session made before that was recorded, the time
    its versions file was written (at creation, never rewritten since)."""
    try:
        stamp = load_configuration(paths).created
        if stamp:
            return datetime.fromisoformat(stamp).timestamp()
    except (ValueError, BadFileError):
        pass
    for witness in (paths.versions, paths.configuration):
        try:
            return witness.stat().st_mtime
        except OSError:
            continue
    return 0.0


_TESTRUN_NAME = re.compile(rf"^{TESTRUN_PREFIX}(\d+)$")


def testrun_number(name: str) -> int | None:
    """NN of a testrun_NN name, else None."""
    match = _TESTRUN_NAME.match(name)
    return int(match.group(1)) if match else None


# -- configuration -----------------------------------------------------------


def load_configuration(paths: SessionPaths) -> Configuration:
    data = _load_json(paths.configuration)
    if not isinstance(data, dict):
        raise BadFileError(paths.configuration, "is not a JSON object")
    known = {k: v for k, v in data.items() if k in Configuration.__dataclass_fields__}
    for key, value in known.items():
        expected = str if key in ("config_vs", "created") else bool
        if not isinstance(value, expected):
            raise BadFileError(paths.configuration,
                               f"{key} must be {'a string' if expected is str else 'true or false'}, "
                               f"not {value!r}")
    return Configuration(**known)


def save_configuration(paths: SessionPaths, conf: Configuration) -> None:
    atomic.write_text(paths.configuration, json.dumps(asdict(conf), indent=2) + "\n")


def update_configuration(paths: SessionPaths, **changes: Any) -> Configuration:
    conf = load_configuration(paths)
    new = Configuration(**{**asdict(conf), **changes})
    save_configuration(paths, new)
    return new


#: the store's JSON files are a few kilobytes; a larger one was not written by us
MAX_JSON_BYTES = 4 * 1024 * 1024


def _load_json(path: Path) -> Any:
    """A JSON file of the store; BadFileError naming it for anything else.

    Values are checked once here for what breaks every reader:
    texts with lone surrogates cannot be written as UTF-8, numbers beyond
    the int-to-str limit or not finite cannot be shown, deep nesting
    recurses. The caller checks the shape it expects.
    """
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise BadFileError(path, f"is larger than {MAX_JSON_BYTES} bytes; not a file of "
                                     "this tool")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadFileError(path, "is missing") from None
    except OSError as exc:
        raise BadFileError(path, f"cannot read it: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise BadFileError(path, "is not UTF-8 text") from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise BadFileError(path, f"is not valid JSON ({exc.msg} at line {exc.lineno}); "
                                 "fix or delete it") from None
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, NaN, deep nesting
        raise BadFileError(path, f"holds a value this tool refuses ({str(exc)[:80]}); "
                                 "fix or delete it") from None
    problem = _json_value_problem(data)
    if problem:
        raise BadFileError(path, f"{problem}; fix or delete it")
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


#: nesting of the store's JSON files (versions: an object of objects)
MAX_JSON_DEPTH = 8


def _json_value_problem(value: Any, depth: int = 0) -> str | None:
    if depth > MAX_JSON_DEPTH:
        return f"nests deeper than {MAX_JSON_DEPTH} levels"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "holds a text that is not valid Unicode"
        return None
    if type(value) is int and not -10 ** 18 <= value <= 10 ** 18:
        return "holds a number out of range (beyond 1e18)"
    if isinstance(value, dict):
        items = list(value.keys()) + list(value.values())
    elif isinstance(value, list):
        items = value
    else:
        return None
    for item in items:
        problem = _json_value_problem(item, depth + 1)
        if problem:
            return problem
    return None


# -- activation --------------------------------------------------------------


def active_session(store_dir: Path) -> str | None:
    """The session activation.json of the store folder names, or None."""
    path = store_dir / ACTIVATION_FILE
    if not path.exists():
        return None
    name = _load_json(path)
    if not isinstance(name, str):
        raise BadFileError(path, "must hold a session name as a JSON string")
    try:
        check_session_name(name)
    except UsageError as exc:
        raise BadFileError(path, f"names no valid session: {exc}") from None
    return name


def set_active_session(store_dir: Path, name: str | None) -> None:
    path = store_dir / ACTIVATION_FILE
    if name is None:
        path.unlink(missing_ok=True)
    else:
        atomic.write_text(path, json.dumps(name) + "\n")


# -- sessions ----------------------------------------------------------------


def open_session(samples_dir: Path, name: str, store_dir: Path | None = None) -> SessionPaths:
    check_session_name(name)
    paths = SessionPaths(samples_dir, name, _store_or_none(samples_dir, store_dir))
    if not paths.exists():
        raise SessionError(f"no session {name!r} in {paths.store} "
                           f"(sessions there: {', '.join(list_sessions(paths.store)) or 'none'})")
    return paths


def _store_or_none(samples_dir: Path, store_dir: Path | None) -> Path | None:
    """None when the store is the samples folder (SessionPaths' default)."""
    return None if store_dir is None or Path(store_dir) == Path(samples_dir) else Path(store_dir)


@contextmanager
def staged_session(paths: SessionPaths) -> Iterator[SessionPaths]:
    """The session `paths` names, in a hidden folder of the store to write it
    whole into; renamed to `paths.session_dir` when the block ends, removed
    whatever happens.

    A failure or a kill leaves no half session behind, and two writers
    racing for one name cannot both win (SessionExistsError for the loser).
    """
    where = paths.store
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".new-{paths.name[:40]}.", dir=where))
    except OSError as exc:
        raise SessionError(f"cannot create session {paths.name!r} in {where}: "
                           f"{exc.strerror}") from None
    try:
        yield replace(paths, staging_dir=staging)
        try:
            os.rename(staging, paths.session_dir)  # fails if the name got taken
        except OSError:
            raise SessionExistsError(f"session {paths.name!r} already exists in {where}; "
                                     "pick another name") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def create_session(samples_dir: Path, name: str, samples: list[str], *,
                   has_playlist: bool, versions: Mapping[str, Any],
                   samples_version: str, store_dir: Path | None = None,
                   skipped: Sequence[sample_selection.SkippedFile] = ()) -> SessionPaths:
    """Create a session folder whole, or not at all.

    Everything is written into a staged folder (staged_session) renamed into
    place last.
    """
    check_session_name(name)
    paths = SessionPaths(samples_dir, name, _store_or_none(samples_dir, store_dir))
    where = paths.store
    if paths.session_dir.exists():
        raise SessionExistsError(f"session {name!r} already exists in {where}; "
                                 "pick another name")
    with staged_session(paths) as staged:
        staged.dbg_dir.mkdir()
        staged.reports_dir.mkdir()
        atomic.write_text(staged.playlist, "".join(f"{s}\n" for s in samples))
        atomic.write_text(staged.versions, json.dumps(dict(versions), indent=2) + "\n")
        atomic.write_text(staged.samples_version, samples_version + "\n")
        if skipped:
            atomic.write_text(staged.skipped_files, sample_selection.to_text(skipped))
        save_configuration(staged, Configuration(has_playlist=has_playlist,
                                                 created=now_stamp()))
    return paths


def session_playlist(paths: SessionPaths) -> list[str]:
    try:
        text = paths.playlist.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadFileError(paths.playlist, f"cannot read the session playlist: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise BadFileError(paths.playlist, "is not UTF-8 text; fix the session playlist") \
            from None
    samples = parse_playlist(text)
    # A session playlist someone sent or edited is checked as a new one is:
    # '../x.mp4' was collected outside the folder, 'activation.json' or a
    # session's own files as samples, and a name listed twice was played
    # twice (two xdist workers writing one recording).
    seen: set[str] = set()
    for sample in samples:
        problem = sample_name_problem(sample)
        if problem is None and sample in seen:
            problem = "is listed twice"
        if problem is not None:
            raise BadFileError(paths.playlist, f"{sample[:120]!r} {problem}; fix the session "
                                               "playlist")
        seen.add(sample)
    return samples


def load_versions(paths: SessionPaths) -> dict[str, Any]:
    if not paths.versions.exists():
        return {}
    data = _load_json(paths.versions)
    if not isinstance(data, dict):
        raise BadFileError(paths.versions, "is not a JSON object of versions; fix or delete it")
    return data


# -- crash retries -----------------------------------------------------------


#: most retry reasons kept per sample, and longest reason text: a state file
#: from someone else's session must not be able to carry anything larger
MAX_RETRY_REASONS = 1000
MAX_RETRY_REASON_CHARS = 4096


def load_retry_state(paths: SessionPaths) -> dict[str, dict[str, Any]]:
    """Per sample {"attempts": N, "crashed_attempts": N}, and, since runs
    say why they retried, "retry_reasons": [[kind, words], ...]
    (results.retry_reason); {} when there is none.

    The original scripts kept this as _crashes_light.pkl; a JSON file cannot
    run code when a session from someone else is read.
    """
    if not paths.retry_state.exists():
        return {}
    data = _load_json(paths.retry_state)
    if not isinstance(data, dict):
        raise BadFileError(paths.retry_state, "is not a JSON object of samples")
    for sample, state in data.items():
        if not isinstance(state, dict) or not all(
                type(state.get(key)) is int and 0 <= state[key] < 1_000_000
                for key in ("attempts", "crashed_attempts")):
            raise BadFileError(paths.retry_state,
                               f"the entry of {sample[:80]!r} is not {{\"attempts\": N, "
                               "\"crashed_attempts\": N}; fix or delete the file")
        reasons = state.get("retry_reasons", [])
        if not isinstance(reasons, list) or len(reasons) > MAX_RETRY_REASONS or not all(
                isinstance(r, list) and len(r) == 2
                and all(type(x) is str and len(x) <= MAX_RETRY_REASON_CHARS for x in r)
                for r in reasons):
            raise BadFileError(paths.retry_state,
                               f"the retry reasons of {sample[:80]!r} are not a list of "
                               "[kind, words]; fix or delete the file")
    return data


def save_retry_state(paths: SessionPaths, results: Iterable[Any]) -> None:
    """Keep, per sample of `results` (results.SampleResult), its latest play's retries."""
    state = load_retry_state(paths)
    for r in results:
        state[r.sample] = {"attempts": r.attempts, "crashed_attempts": r.crashed_attempts}
        if r.retry_reasons:
            state[r.sample]["retry_reasons"] = [list(reason) for reason in r.retry_reasons]
    atomic.write_text(paths.retry_state, json.dumps(state, indent=1, sort_keys=True) + "\n")


def require_raw_writable(paths: SessionPaths) -> Configuration:
    conf = load_configuration(paths)
    if not conf.raw_data_writable:
        raise ProtectedSessionError(
            f"session {paths.name!r} protects its recordings (protect_raw_data in "
            f"{paths.configuration}); record into a new session instead (--mp-session=NEW or "
            "pyglet-mp new NEW), "
            "or set dev_debug to true there to allow rewriting")
    return conf


def load_skipped_files(paths: SessionPaths) -> tuple[sample_selection.SkippedFile, ...]:
    """The files the session's implicit playlist left out (none: no file)."""
    try:
        text = paths.skipped_files.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ()
    except OSError as exc:
        raise BadFileError(paths.skipped_files, f"cannot be read: {exc.strerror}") from None
    return sample_selection.from_text(text)


# -- the baseline a run used -----------------------------------------------------


def save_baseline_used(paths: SessionPaths, baseline: Path | None) -> None:
    """Remember the baseline file the run was judged against (None: none)."""
    where = None if baseline is None else str(Path(baseline).expanduser().absolute())
    atomic.write_text(paths.baseline_used, json.dumps({"path": where}) + "\n")


#: load_baseline_used of a session from before runs remembered their baseline
BASELINE_NOT_RECORDED = "not recorded"


def load_baseline_used(paths: SessionPaths) -> Path | None | str:
    """The baseline file the session's latest run used, None when it used
    none, or BASELINE_NOT_RECORDED (a session older than the record)."""
    if not paths.baseline_used.exists():
        return BASELINE_NOT_RECORDED
    data = _load_json(paths.baseline_used)
    if not isinstance(data, dict) or not isinstance(data.get("path"), (str, type(None))):
        raise BadFileError(paths.baseline_used, 'must hold {"path": FILE or null}; fix or '
                                                "delete it")
    return None if data["path"] is None else Path(data["path"])
