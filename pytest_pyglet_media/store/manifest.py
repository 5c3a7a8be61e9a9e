"""Read and validate a corpus manifest (`samples.toml`).

The manifest says, per sample, how the file is made (an FFmpeg recipe or a
literal text) and what is expected of it when played. Validation is strict:
a typo in a key would otherwise silently turn a known defect into a failure
(or a failure into an xfail), so every problem raises `ManifestError` naming
the file, the sample and the key, and saying what would be accepted.
"""
from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any, Literal, cast

from ..core.errors import ManifestError
from ..core.names import MANIFEST_NAME, sample_name_problem
from ..core.setting_names import AUDIO_DRIVERS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib


Expectation = Literal["pass", "defect", "broken"]
EXPECTATIONS: tuple[Expectation, ...] = ("pass", "defect", "broken")

TOP_LEVEL_KEYS = ("corpus", "markers", "samples")
CORPUS_KEYS = ("version", "description")
SAMPLE_KEYS = (
    "ffmpeg",
    "remux",
    "text",
    "truncate",
    "expect",
    "reason",
    "strict",
    "description",
    "markers",
    "drivers",
)
#: what a marker name may be: a Python identifier, as `pytest -m` expressions read it
_MARKER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: pytest's own markers, which change how a test runs: never a sample's tag
RESERVED_MARKERS = frozenset({"skip", "skipif", "xfail", "parametrize", "usefixtures",
                              "filterwarnings", "timeout", "flaky", "tryfirst", "trylast"})

# TOML names for the Python types tomllib produces, so messages speak the
# language of the file the user edits.
_TOML_TYPE_NAMES: dict[type, str] = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "float",
    list: "array",
    dict: "table",
}


@dataclass(frozen=True)
class SampleSpec:
    """One sample: how to make it and what playing it should give."""

    name: str
    expect: Expectation
    reason: str
    strict: bool
    description: str
    ffmpeg: tuple[str, ...] | None
    text: str | None
    truncate: float | None
    #: pytest markers of the sample's item (`pytest -m "not slow"`)
    markers: tuple[str, ...] = ()
    #: the audio drivers its expectation holds for (--mp-drivers items, or
    #: the first --mp-audio driver); () for every driver
    drivers: tuple[str, ...] = ()
    #: a second ffmpeg pass over the first one's output (its output options):
    #: FFmpeg 5.1 writes an mp4's display matrix (rotate=90) only when copying
    remux: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Manifest:
    """A parsed samples.toml. `samples` is keyed by file name; never mutate it."""

    path: Path
    version: str
    description: str
    samples: Mapping[str, SampleSpec]
    #: the [markers] table: marker name -> what it means (pytest --markers shows it)
    markers: Mapping[str, str] = dataclass_field(default_factory=dict)

    def expectation(self, sample_name: str, driver: str | None = None) -> SampleSpec | None:
        """The entry for `sample_name`, or None when the manifest does not list
        it, or lists it for other audio drivers than `driver` (the driver a
        play asks for; None: any)."""
        spec = self.samples.get(sample_name)
        if spec is not None and spec.drivers and driver is not None \
                and driver not in spec.drivers:
            return None
        return spec


def load_manifest(samples_dir: Path) -> Manifest | None:
    """Read `samples_dir/samples.toml`; None when the folder has none."""
    path = Path(samples_dir) / MANIFEST_NAME
    if not path.is_file():
        return None
    return read_manifest(path)


def read_manifest(path: Path) -> Manifest:
    """Read and validate the manifest file at `path` (any file name)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ManifestError(path, f"cannot read the manifest: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(path, f"not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
    return parse_manifest(text, path)


def parse_manifest(text: str, path: Path) -> Manifest:
    """Validate manifest `text`; `path` is only used to name the file in errors."""
    path = Path(path)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already holds "(at line L, column C)".
        raise ManifestError(path, f"TOML syntax error: {exc}") from exc
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, deep nesting
        raise ManifestError(path, f"holds a value this tool refuses ({str(exc)[:80]})") from None
    _reject_unknown(path, "the top level", document, TOP_LEVEL_KEYS, what="table")
    version, description = _parse_corpus(path, document.get("corpus"))
    samples = _parse_samples(path, document.get("samples", {}))
    markers = _parse_markers(path, document.get("markers", {}))
    return Manifest(path=path, version=version, description=description, samples=samples,
                    markers=markers)


# --- markers ---------------------------------------------------------------------


def _marker_problem(name: str) -> str | None:
    if not _MARKER_NAME.match(name):
        return "is not a marker name (letters, digits and '_', not starting with a digit)"
    if name in RESERVED_MARKERS:
        return "is one of pytest's own markers, which change how a test runs"
    return None


def _parse_markers(path: Path, table: Any) -> dict[str, str]:
    """[markers]: name = "what it means", registered with pytest."""
    _expect_type(path, "[markers]", table, dict)
    for name, meaning in table.items():
        problem = _marker_problem(name)
        if problem is not None:
            raise ManifestError(path, f"[markers]: {name[:60]!r} {problem}")
        _expect_type(path, f"[markers] key {name!r}", meaning, str)
    return dict(table)


def _parse_sample_markers(path: Path, name: str, entry: dict[str, Any]) -> tuple[str, ...]:
    where = f"sample {name!r} key 'markers'"
    value = entry.get("markers", [])
    if not isinstance(value, list):
        raise ManifestError(path, f"{where}: expected an array of strings, got {_toml_type(value)}")
    for item in value:
        if not isinstance(item, str):
            raise ManifestError(path, f"{where}: expected strings, got {_toml_type(item)}")
        problem = _marker_problem(item)
        if problem is not None:
            raise ManifestError(path, f"{where}: {item[:60]!r} {problem}")
    return tuple(dict.fromkeys(value))


# --- the [corpus] table --------------------------------------------------------


def _parse_corpus(path: Path, table: Any) -> tuple[str, str]:
    # The version is recorded in every session made from this folder, so a
    # manifest without one would make sessions impossible to compare later.
    if table is None:
        raise ManifestError(
            path, 'missing [corpus] table; add [corpus] with version = "..." (recorded in sessions)'
        )
    _expect_type(path, "[corpus]", table, dict)
    _reject_unknown(path, "[corpus]", table, CORPUS_KEYS)
    if "version" not in table:
        raise ManifestError(
            path, '[corpus]: missing key "version"; add version = "..." (recorded in sessions)'
        )
    version = _expect_type(path, "[corpus] key 'version'", table["version"], str)
    if not version.strip():
        raise ManifestError(path, "[corpus] key 'version': must not be empty")
    description = _expect_type(
        path, "[corpus] key 'description'", table.get("description", ""), str
    )
    return version, description


# --- the [samples.*] tables ----------------------------------------------------


def _parse_samples(path: Path, table: Any) -> dict[str, SampleSpec]:
    _expect_type(path, "[samples]", table, dict)
    return {name: _parse_sample(path, name, entry) for name, entry in table.items()}


def _parse_sample(path: Path, name: str, entry: Any) -> SampleSpec:
    where = f"sample {name!r}"
    _check_sample_name(path, name)
    if not isinstance(entry, dict):
        raise ManifestError(
            path,
            f"{where}: expected a table [samples.{_quoted(name)}], got {_toml_type(entry)}",
        )
    _reject_unknown_sample_keys(path, name, entry)
    expect = _parse_expect(path, name, entry)
    reason = _key(path, name, entry, "reason", str, "")
    if expect != "pass" and not reason.strip():
        raise ManifestError(
            path,
            f"{where}: expect = {expect!r} needs a non-empty 'reason' (it is shown in the xfail)",
        )
    description = _key(path, name, entry, "description", str, "")
    if "\n" in description or "\r" in description:
        raise ManifestError(path, f"{where} key 'description': must be a single line")
    ffmpeg, text, truncate = _parse_recipe(path, name, entry)
    return SampleSpec(
        name=name,
        expect=expect,
        reason=reason,
        strict=_key(path, name, entry, "strict", bool, False),
        description=description,
        ffmpeg=ffmpeg,
        text=text,
        truncate=truncate,
        markers=_parse_sample_markers(path, name, entry),
        drivers=_parse_drivers(path, name, entry),
        remux=_parse_remux(path, name, entry.get("remux"), ffmpeg),
    )


def _parse_drivers(path: Path, name: str, entry: dict[str, Any]) -> tuple[str, ...]:
    """`drivers = ["pulse"]`: the expectation holds for those drivers' plays only."""
    where = f"sample {name!r} key 'drivers'"
    value = entry.get("drivers", [])
    if not isinstance(value, list) or not all(isinstance(d, str) for d in value):
        raise ManifestError(path, f"{where}: expected an array of driver names, got "
                                  f"{_toml_type(value)}")
    unknown = [d for d in value if d not in AUDIO_DRIVERS]
    if unknown:
        raise ManifestError(path, f"{where}: {unknown[0][:40]!r} is not an audio driver pyglet "
                                  f"knows ({', '.join(AUDIO_DRIVERS)})")
    if value and entry.get("expect", "pass") == "pass":
        raise ManifestError(path, f"{where}: names the drivers an expectation holds for; "
                                  "give the sample an 'expect' too")
    return tuple(dict.fromkeys(value))


def _parse_remux(path: Path, name: str, value: Any,
                 ffmpeg: tuple[str, ...] | None) -> tuple[str, ...] | None:
    remux = _parse_ffmpeg(path, name, value, key="remux")
    if remux is not None and ffmpeg is None:
        raise ManifestError(path, f"sample {name!r} key 'remux': only applies to an 'ffmpeg' "
                                  "recipe")
    return remux


def _check_sample_name(path: Path, name: str) -> None:
    # A sample name becomes a file name inside the samples folder (and the
    # name of its recording): one rule for manifests, playlists and bundles.
    problem = sample_name_problem(name)
    if problem is not None:
        raise ManifestError(
            path, f"sample name {name[:120]!r} {problem}; use a plain file name such as "
                  "\"clip.mp4\""
        )


def _reject_unknown_sample_keys(path: Path, name: str, entry: dict[str, Any]) -> None:
    for key, value in entry.items():
        if key in SAMPLE_KEYS:
            continue
        hint = ""
        if isinstance(value, dict):
            # [samples.clip.mp4] unquoted makes a sample 'clip' with a table 'mp4'.
            hint = f'; if the sample is named "{name}.{key}", quote it: [samples."{name}.{key}"]'
        raise ManifestError(
            path,
            f"sample {name!r}: unknown key {key!r} (allowed: {', '.join(SAMPLE_KEYS)}){hint}",
        )


def _parse_expect(path: Path, name: str, entry: dict[str, Any]) -> Expectation:
    # Entries default to "pass": a manifest may list a sample only to give
    # its recipe, and unlisted samples are expected to play perfectly too.
    expect = _key(path, name, entry, "expect", str, "pass")
    if expect not in EXPECTATIONS:
        allowed = ", ".join(repr(value) for value in EXPECTATIONS)
        raise ManifestError(
            path, f"sample {name!r} key 'expect': {expect!r} is not one of {allowed}"
        )
    return cast(Expectation, expect)


def _parse_recipe(
    path: Path, name: str, entry: dict[str, Any]
) -> tuple[tuple[str, ...] | None, str | None, float | None]:
    where = f"sample {name!r}"
    ffmpeg = _parse_ffmpeg(path, name, entry.get("ffmpeg"))
    text = _key(path, name, entry, "text", str, None)
    if ffmpeg is not None and text is not None:
        raise ManifestError(path, f"{where}: give either 'ffmpeg' or 'text', not both")
    # Neither is fine here: the file may already be in the samples folder.
    # Only the corpus builder needs a recipe, and it says so.
    truncate = _parse_truncate(path, name, entry.get("truncate"))
    if truncate is not None and ffmpeg is None:
        raise ManifestError(path, f"{where} key 'truncate': only applies to an 'ffmpeg' recipe")
    return ffmpeg, text, truncate


def _parse_ffmpeg(path: Path, name: str, value: Any,
                  key: str = "ffmpeg") -> tuple[str, ...] | None:
    if value is None:
        return None
    where = f"sample {name!r} key {key!r}"
    if not isinstance(value, list):
        raise ManifestError(path, f"{where}: expected an array of strings, got {_toml_type(value)}")
    if not value:
        raise ManifestError(path, f"{where}: the array of ffmpeg arguments is empty")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise ManifestError(
                path, f"{where}: item {index} expected a string, got {_toml_type(item)} {item!r}"
            )
    return tuple(value)


def _parse_truncate(path: Path, name: str, value: Any) -> float | None:
    if value is None:
        return None
    where = f"sample {name!r} key 'truncate'"
    # bool is an int in Python; `truncate = true` must not mean 1.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ManifestError(path, f"{where}: expected a float, got {_toml_type(value)}")
    if not 0.0 < value < 1.0:
        raise ManifestError(
            path, f"{where}: {repr(value)[:40]} is outside (0, 1); it is the fraction of bytes "
                  "to keep"
        )
    return float(value)


# --- helpers -------------------------------------------------------------------


def _key(path: Path, name: str, entry: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    """entry[key] checked to be of `kind`, or `default` when absent."""
    if key not in entry:
        return default
    return _expect_type(path, f"sample {name!r} key {key!r}", entry[key], kind)


def _expect_type(path: Path, where: str, value: Any, kind: type) -> Any:
    # bool is a subclass of int; TOML keeps them apart, so do we.
    matches = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if not matches:
        expected = _TOML_TYPE_NAMES.get(kind, kind.__name__)
        raise ManifestError(path, f"{where}: expected {expected}, got {_toml_type(value)}")
    return value


def _reject_unknown(
    path: Path, where: str, table: dict[str, Any], allowed: tuple[str, ...], what: str = "key"
) -> None:
    for key in table:
        if key not in allowed:
            raise ManifestError(
                path, f"{where}: unknown {what} {key!r} (allowed: {', '.join(allowed)})"
            )


def _toml_type(value: Any) -> str:
    for kind, toml_name in _TOML_TYPE_NAMES.items():
        if isinstance(value, kind):
            return toml_name
    return type(value).__name__  # datetime, date, time


def _quoted(name: str) -> str:
    return f'"{name}"' if not name.replace("_", "").replace("-", "").isalnum() else name


def expected_failures(manifest: Manifest | None, driver: str | None = None) -> dict[str, str]:
    """Samples not expected to pass (by plays of `driver`: None, any), with
    "expect: reason" (shown beside verdicts)."""
    if manifest is None:
        return {}
    return {name: f"{spec.expect}: {spec.reason}" for name, spec in manifest.samples.items()
            if spec.expect != "pass" and manifest.expectation(name, driver) is not None}


#: the marker each expectation gives its samples, so `pytest -m "not broken"`
#: leaves out what samples.toml calls broken
EXPECTATION_MARKERS = {"broken": "samples.toml: a broken input that must fail cleanly "
                                 "(expect = \"broken\")",
                       "defect": "samples.toml: a known defect, reported as xfail "
                                 "(expect = \"defect\")"}


def sample_markers(spec: SampleSpec) -> tuple[str, ...]:
    """The pytest markers of a sample's item: its expectation's, then its own."""
    own = (spec.expect,) if spec.expect in EXPECTATION_MARKERS else ()
    return tuple(dict.fromkeys(own + spec.markers))
