"""`pyglet-mp merge OUT SOURCES...`: the sessions of a corpus split over CI
jobs (--mp-shard) made into one session, as if one run had played them all.

A source is a session of the store (by name), a session folder (a path), or
a bundle (`pyglet-mp bundle`), verified by extracting it into a hidden
folder of the store. Refused, with one line and nothing written: a sample
played by two sources with different recordings (unless --prefer-last: the
last source wins), sources played by other pyglet or FFmpeg versions or
with other playlists (unless --allow-mixed: each sample's versions are kept
and the summary says so), a bundle that fails verification.

OUT is built in a hidden folder of the store, reports included, and renamed
into place last: a failure leaves no partial OUT.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from . import atomic, groups
from . import session as store
from .errors import MediaTestError, SessionExistsError, UsageError

#: the key of _versions.json holding each sample's versions (--allow-mixed)
MIXED_VERSIONS_KEY = "mixed_versions"


class MergeRefused(MediaTestError):
    """The sources cannot be merged as asked (one line)."""


@dataclass(frozen=True)
class _Source:
    label: str
    paths: store.SessionPaths

    @property
    def versions(self) -> dict[str, Any]:
        return store.load_versions(self.paths)

    def version_key(self) -> tuple[str, str]:
        info = self.versions
        return str(info.get("pyglet", "unknown")), str(info.get("ffmpeg", "unknown"))

    def where(self) -> dict[str, str]:
        """Where it played (groups.where): versions, OS, machine, audio."""
        return groups.where(self.versions)


@dataclass(frozen=True)
class _Staged(store.SessionPaths):
    """A session written under a hidden folder, named as it will be."""

    folder: Path | None = None

    @property
    def session_dir(self) -> Path:
        assert self.folder is not None
        return self.folder


@dataclass(frozen=True)
class Merged:
    paths: store.SessionPaths
    recordings: int
    playlist: int
    not_played: tuple[str, ...]
    mixed: bool


def merge(samples_dir: Path, store_dir: Path, out: str, sources: Sequence[str], *,
          prefer_last: bool = False, allow_mixed: bool = False, plots: str = "none",
          expectations: Mapping[str, str] | None = None) -> Merged:
    store.check_session_name(out)
    if not sources:
        raise UsageError("name at least one source session or bundle")
    if (store_dir / out).exists():
        raise SessionExistsError(f"session {out!r} already exists in {store_dir}; "
                                 "pick another name")
    unpacked: list[Path] = []
    try:
        opened = [_open(samples_dir, store_dir, source, unpacked) for source in sources]
        return _merge(samples_dir, store_dir, out, opened, prefer_last=prefer_last,
                      allow_mixed=allow_mixed, plots=plots, expectations=expectations)
    finally:
        for folder in unpacked:
            shutil.rmtree(folder, ignore_errors=True)


def _open(samples_dir: Path, store_dir: Path, source: str, unpacked: list[Path]) -> _Source:
    from . import bundle

    path = Path(source)
    if path.is_file():
        folder = Path(tempfile.mkdtemp(prefix=".merge-", dir=store_dir))
        unpacked.append(folder)
        return _Source(source, bundle.extract_bundle(path, samples_dir, store_dir=folder))
    if "/" not in source and os.sep not in source and (store_dir / source).is_dir():
        return _Source(source, store.open_session(samples_dir, source, store_dir))
    if path.is_dir() and (path / store.CONFIGURATION_FILE).is_file():
        resolved = path.resolve()
        return _Source(source, store.SessionPaths(samples_dir, resolved.name, resolved.parent))
    raise UsageError(f"source {source!r} is neither a session of {store_dir}, a session "
                     "folder nor a bundle file")


def _merge(samples_dir: Path, store_dir: Path, out: str, sources: list[_Source], *,
           prefer_last: bool, allow_mixed: bool, plots: str,
           expectations: Mapping[str, str] | None) -> Merged:
    from .session_writer import write_session_reports

    playlists = [store.session_playlist(s.paths) for s in sources]
    keys = [groups.key(s.where()) for s in sources]
    if len(set(keys)) > 1 and not allow_mixed:
        shown = "; ".join(f"{s.label}: {groups.full_label(s.where())}" for s in sources)
        raise MergeRefused(f"the sources were played by different versions or platforms "
                           f"({shown}); merge with --allow-mixed to keep each sample's "
                           "versions")
    if len({tuple(sorted(p)) for p in playlists}) > 1 and not allow_mixed:
        shown = "; ".join(f"{s.label}: {len(p)} samples" for s, p in zip(sources, playlists))
        raise MergeRefused(f"the sources have different playlists ({shown}); merge with "
                           "--allow-mixed to take their union")
    playlist: list[str] = []
    for listed in playlists:
        playlist.extend(s for s in listed if s not in playlist)
    chosen: dict[str, _Source] = {}
    for sample in playlist:
        for source in sources:
            recording = source.paths.recording(sample)
            if not recording.is_file():
                continue
            earlier = chosen.get(sample)
            if earlier is not None and not prefer_last and \
                    earlier.paths.recording(sample).read_bytes() != recording.read_bytes():
                raise MergeRefused(f"{sample!r} was played by {earlier.label} and {source.label} "
                                   "with different recordings; keep the last source's with "
                                   "--prefer-last")
            chosen[sample] = source
    mixed = len(set(keys)) > 1
    final = store.SessionPaths(samples_dir, out, None if store_dir == samples_dir
                               else store_dir)
    with store.staged_session(final) as staging:
        staged = _Staged(samples_dir, out, store_dir, folder=staging)
        _write(staged, sources, playlist, chosen, mixed)
        write_session_reports(staged, {}, plots=plots, expectations=expectations)
    return Merged(final, len(chosen), len(playlist),
                  tuple(s for s in playlist if s not in chosen), mixed)


def _write(staged: store.SessionPaths, sources: list[_Source], playlist: list[str],
           chosen: Mapping[str, _Source], mixed: bool) -> None:
    first = sources[0].paths
    staged.dbg_dir.mkdir()
    staged.reports_dir.mkdir()
    atomic.write_text(staged.playlist, "".join(f"{s}\n" for s in playlist))
    versions = dict(store.load_versions(first))
    versions.pop(MIXED_VERSIONS_KEY, None)
    if mixed:
        versions[MIXED_VERSIONS_KEY] = {
            sample: {**source.where(), "pyglet": source.version_key()[0],
                     "ffmpeg": source.version_key()[1], "source": source.label[:200]}
            for sample, source in sorted(chosen.items())}
    atomic.write_text(staged.versions, json.dumps(versions, indent=2) + "\n")
    if first.samples_version.is_file():
        shutil.copyfile(first.samples_version, staged.samples_version)
    store.save_configuration(staged, store.Configuration(
        has_playlist=any(store.load_configuration(s.paths).has_playlist for s in sources)))
    retries: dict[str, dict[str, int]] = {}
    states = {id(s): store.load_retry_state(s.paths) for s in sources}
    for sample in playlist:
        source = chosen.get(sample)
        if source is not None:
            shutil.copyfile(source.paths.recording(sample), staged.recording(sample))
            if sample in states[id(source)]:
                retries[sample] = states[id(source)][sample]
        # the reference of the source that played it, else of any source
        for candidate in ([source] if source else []) + sources:
            reference = candidate.paths.reference(sample)
            if reference.is_file():
                staged.reference_dir.mkdir(exist_ok=True)
                shutil.copyfile(reference, staged.reference(sample))
                break
    if retries:
        atomic.write_text(staged.retry_state, json.dumps(retries, indent=1, sort_keys=True)
                          + "\n")


def mixed_versions_section(versions: Mapping[str, Any]) -> str:
    """The summary's account of a merge of sources played by other versions."""
    per_sample = versions.get(MIXED_VERSIONS_KEY)
    if not isinstance(per_sample, dict) or not per_sample:
        return ""
    lines = ["*** Mixed versions: this session merges runs played by different pyglet or "
             "FFmpeg versions, platforms or audio drivers (pyglet-mp merge --allow-mixed); "
             "each sample's:"]
    for sample, info in sorted(per_sample.items()):
        if isinstance(info, dict):
            lines.append(f"\t{sample}: {groups.full_label(info)} ({info.get('source')})")
    return "\n".join(lines) + "\n"
