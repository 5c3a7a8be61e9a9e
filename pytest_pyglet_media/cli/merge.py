"""`pyglet-mp merge OUT SOURCES...`: the sessions of a corpus split over CI
jobs (--mp-shard) made into one session, as if one run had played them all.

A source is a session of the store (by name), a session folder (a path), or
a bundle (`pyglet-mp bundle`), verified by extracting it into a hidden
folder of the sessions. Refused, with one line and nothing written: a sample
played by two sources of one group with different recordings (unless
--prefer-last: the last source wins), sources played by other pyglet or
FFmpeg versions, platforms or audio drivers or with other playlists (unless
--allow-mixed), a bundle that fails verification.

Sources played in different places (groups.py) are the point of
--allow-mixed: a sample each of them played is kept once per group, as a
whole session per group in OUT/groups/NN, so that the summary shows the
groups side by side and `pyglet-mp compare --between` compares them. The
top level holds, per sample, the recording of the first group that played
it (the last with --prefer-last), for the per-sample reports and timelines.
A source that is itself such a merge brings its groups.

OUT is built in a hidden folder of the store, reports included, and renamed
into place last: a failure leaves no partial OUT.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..core import atomic
from ..core.errors import MediaTestError, SessionExistsError, UsageError
from ..core.names import counted
from ..judge import groups
from ..judge.pictures import MAX_PREVIEWS
from ..store import driver_groups, sessions


class MergeRefused(MediaTestError):
    """The sources cannot be merged as asked (one line)."""


@dataclass(frozen=True)
class _Source:
    label: str
    paths: sessions.SessionPaths
    #: the source as given (a merged session given brings one _Source per group)
    given: str = ""

    @property
    def versions(self) -> dict[str, Any]:
        return sessions.load_versions(self.paths)

    def where(self) -> dict[str, str]:
        """Where it played (groups.where): versions, OS, machine, audio."""
        return groups.where(self.versions)


@dataclass(frozen=True)
class Merged:
    paths: sessions.SessionPaths
    recordings: int
    playlist: int
    not_played: tuple[str, ...]
    mixed: bool
    #: places the sources were played in (groups.py); 1 unless mixed
    groups: int = 1


def merge(samples_dir: Path, store_dir: Path, out: str, sources: Sequence[str], *,
          prefer_last: bool = False, allow_mixed: bool = False, plots: str = "none",
          expectations: Mapping[str, str] | None = None) -> Merged:
    sessions.check_session_name(out)
    if not sources:
        raise UsageError("name at least one source session or bundle")
    final = sessions.SessionPaths(samples_dir, out, None if store_dir == samples_dir
                               else store_dir)
    if final.session_dir.exists():
        raise SessionExistsError(f"session {out!r} already exists in {store_dir}; "
                                 "pick another name")
    _refuse_repeats(samples_dir, store_dir, sources)
    unpacked: list[Path] = []
    try:
        opened = [part for source in sources
                  for part in _open(samples_dir, store_dir, source, unpacked)]
        return _merge(final, opened, prefer_last=prefer_last,
                      allow_mixed=allow_mixed, plots=plots, expectations=expectations)
    finally:
        for folder in unpacked:
            shutil.rmtree(folder, ignore_errors=True)


def _refuse_repeats(samples_dir: Path, store_dir: Path, sources: Sequence[str]) -> None:
    """A source given twice, by one spelling or two, would count each of its
    plays twice in the merged totals: refused, naming it."""
    seen: dict[Path, str] = {}
    for source in sources:
        identity = _identity(samples_dir, store_dir, source)
        if identity in seen:
            raise UsageError(_repeat_message(seen[identity], source, identity))
        seen[identity] = source


def _repeat_message(first: str, again: str, identity: Path) -> str:
    if first == again:
        return f"source {again!r} is given twice; name each source once"
    kind = "bundle" if identity.is_file() else "session"
    return f"sources {first!r} and {again!r} are the same {kind}; name each source once"


def _identity(samples_dir: Path, store_dir: Path, source: str) -> Path:
    """What a source names, as _open finds it: a bundle file, a session of the
    store by its name, or a session folder by its path."""
    path = Path(source)
    in_store = sessions.SessionPaths(samples_dir, source, store_dir).session_dir \
        if "/" not in source and os.sep not in source else None
    if not path.is_file() and in_store is not None and in_store.is_dir():
        return in_store.resolve()
    return path.resolve()


def _open(samples_dir: Path, store_dir: Path, source: str, unpacked: list[Path]
          ) -> list[_Source]:
    """The source's session; a merge of groups gives one source per group."""
    from ..store import bundle

    path = Path(source)
    if path.is_file():
        folder = Path(tempfile.mkdtemp(prefix=".merge-", dir=store_dir))
        unpacked.append(folder)
        paths = bundle.extract_bundle(path, samples_dir, store_dir=folder)
    elif "/" not in source and os.sep not in source and \
            sessions.SessionPaths(samples_dir, source, store_dir).session_dir.is_dir():
        paths = sessions.open_session(samples_dir, source, store_dir)
    elif path.is_dir() and (folder_session := _session_folder(samples_dir, path)).exists():
        paths = folder_session
    else:
        raise UsageError(f"source {source!r} is neither a session of {store_dir}, a session "
                         "folder nor a bundle file")
    numbers = paths.group_numbers()
    if not numbers:
        return [_Source(source, paths, source)]
    return [_Source(f"{source} group {n}", paths.group(n), source) for n in numbers]


def _session_folder(samples_dir: Path, folder: Path) -> sessions.SessionPaths:
    """The session a folder given by its path would be."""
    resolved = folder.resolve()
    return sessions.SessionPaths(samples_dir, resolved.name, resolved.parent)


def _merge(final: sessions.SessionPaths, sources: list[_Source], *,
           prefer_last: bool, allow_mixed: bool, plots: str,
           expectations: Mapping[str, str] | None) -> Merged:
    from ..report.session_writer import write_session_reports

    playlists = [sessions.session_playlist(s.paths) for s in sources]
    keys = [groups.key(s.where()) for s in sources]
    # one merged session given alone was merged with --allow-mixed already
    # CI jobs split by audio driver (--mp-drivers) merge as shards do: their
    # driver groups differ in the driver only, and each stays a group
    by_driver = _only_drivers_differ(sources, keys)
    if len(set(keys)) > 1 and not (allow_mixed or by_driver) \
            and len({s.given for s in sources}) > 1:
        shown = "; ".join(f"{s.label}: {groups.full_label(s.where())}" for s in sources)
        raise MergeRefused(f"the sources were played by different versions or platforms "
                           f"({shown}); merge with --allow-mixed to keep each place's "
                           "plays as a group")
    if len({tuple(sorted(p)) for p in playlists}) > 1 and not allow_mixed:
        shown = "; ".join(f"{s.label}: {counted(len(p), 'sample')}"
                          for s, p in zip(sources, playlists))
        raise MergeRefused(f"the sources have different playlists ({shown}); merge with "
                           "--allow-mixed to take their union")
    playlist: list[str] = []
    for listed in playlists:
        playlist.extend(s for s in listed if s not in playlist)
    # the groups, in the order of their first source
    members: dict[tuple[str, ...], list[_Source]] = {}
    for source, key in zip(sources, keys):
        members.setdefault(key, []).append(source)
    chosen_in = [_choose(playlist, group_sources, prefer_last) for group_sources in
                 members.values()]
    chosen: dict[str, _Source] = {}
    for group_chosen in (reversed(chosen_in) if prefer_last else chosen_in):
        for sample, source in group_chosen.items():
            chosen.setdefault(sample, source)
    chosen = {s: chosen[s] for s in playlist if s in chosen}
    mixed = len(members) > 1
    with sessions.staged_session(final) as staged:
        _write(staged, sources, playlist, chosen, sessions.load_versions(sources[0].paths))
        if mixed:
            # its recordings are other machines' plays, kept per place: a run
            # recording into it would mix this machine's in unseen (dev_debug
            # lifts it, as for any protected session)
            sessions.save_configuration(staged, dataclasses.replace(
                sessions.load_configuration(staged), protect_raw_data=True))
            per_sample = {sample: {**source.where(), "source": source.label[:200]}
                          for sample, source in sorted(chosen.items())}
            versions = {**sessions.load_versions(staged), groups.MIXED_VERSIONS_KEY: per_sample}
            # the top level shows several drivers' plays: not one driver's group
            versions.pop(driver_groups.DRIVER_GROUP_KEY, None)
            if by_driver:  # every driver of every source, in the order first met
                versions[driver_groups.DRIVERS_KEY] = list(dict.fromkeys(
                    str(s.where()["audio"]) for s in sources))
            atomic.write_text(staged.versions, json.dumps(versions, indent=2) + "\n")
            staged.groups_dir.mkdir()
            for number, (group_sources, group_chosen) in enumerate(
                    zip(members.values(), chosen_in), start=1):
                _write(staged.group(number), group_sources, playlist, group_chosen,
                       {**sessions.load_versions(group_sources[0].paths),
                        groups.SOURCES_KEY: [source.label[:200] for source in group_sources]})
        write_session_reports(staged, {}, plots=plots, expectations=expectations)
    return Merged(final, len(chosen), len(playlist),
                  tuple(s for s in playlist if s not in chosen), mixed, len(members))


def _only_drivers_differ(sources: list[_Source], keys: list[tuple[str, ...]]) -> bool:
    """Every source is one driver's group of a drivers run, and the places
    differ in nothing but the driver."""
    if not all(sessions.load_versions(s.paths).get(driver_groups.DRIVER_GROUP_KEY) is True
               for s in sources):
        return False
    audio = groups.PARTS.index("audio")
    return len({k[:audio] + k[audio + 1:] for k in keys}) == 1


def _choose(playlist: list[str], sources: list[_Source], prefer_last: bool
            ) -> dict[str, _Source]:
    """sample -> the source (of one group) whose recording is kept: refused
    when two hold different recordings, unless prefer_last (the last wins)."""
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
    return chosen


def _write(staged: sessions.SessionPaths, sources: list[_Source], playlist: list[str],
           chosen: Mapping[str, _Source], versions: Mapping[str, Any]) -> None:
    """A whole session: the playlist, `chosen`'s recordings and retry states,
    each sample's reference, the versions given (without per-sample ones)."""
    first = sources[0].paths
    staged.session_dir.mkdir(exist_ok=True)
    staged.dbg_dir.mkdir()
    staged.reports_dir.mkdir()
    atomic.write_text(staged.playlist, "".join(f"{s}\n" for s in playlist))
    versions = dict(versions)
    versions.pop(groups.MIXED_VERSIONS_KEY, None)
    atomic.write_text(staged.versions, json.dumps(versions, indent=2) + "\n")
    if first.samples_version.is_file():
        shutil.copyfile(first.samples_version, staged.samples_version)
    # shards list the same folder: the first's skipped files are every shard's
    if first.skipped_files.is_file():
        shutil.copyfile(first.skipped_files, staged.skipped_files)
    # shards judged against one baseline: summarize shows it for the merge too
    if first.baseline_used.is_file():
        shutil.copyfile(first.baseline_used, staged.baseline_used)
    sessions.save_configuration(staged, sessions.Configuration(
        has_playlist=any(sessions.load_configuration(s.paths).has_playlist for s in sources),
        created=sessions.now_stamp()))
    retries: dict[str, dict[str, int]] = {}
    states = {id(s): sessions.load_retry_state(s.paths) for s in sources}
    for sample in playlist:
        source = chosen.get(sample)
        if source is not None:
            shutil.copyfile(source.paths.recording(sample), staged.recording(sample))
            # the numbers of its pictures' comparison and their previews go with it
            for kept, into in ((source.paths.picture_checks(sample), staged.picture_checks(sample)),
                               *((source.paths.picture_preview(sample, n),
                                  staged.picture_preview(sample, n))
                                 for n in range(1, MAX_PREVIEWS + 1))):
                if kept.is_file():
                    shutil.copyfile(kept, into)
            if sample in states.get(id(source), {}):
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
