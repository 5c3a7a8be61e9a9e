"""The run's context: which session a pytest run records into, and what it plays.

Resolved once on the controller (creating the session when needed) and
handed to xdist workers by name, so that every process agrees on the session
without consulting activation.json again.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from . import shards
from .core.errors import ManifestError, MediaTestError, SessionError, SessionExistsError, UsageError
from .judge import baseline as baseline_mod
from .options import Settings
from .play import versions
from .store import manifest as manifest_mod
from .store import driver_groups, durations, sessions
from .store.manifest import Manifest, SampleSpec
from .store.sample_selection import SkippedFile
from .store.stored_references import StoredReferences


@dataclass(frozen=True)
class RunContext:
    settings: Settings
    samples_dir: Path
    playlist: tuple[str, ...]
    manifest: Manifest | None
    #: None under --collect-only when the session does not exist yet: listing
    #: tests must not create sessions
    paths: sessions.SessionPaths | None
    #: files of the samples folder left out of a new session, with the reason
    left_out: tuple[str, ...] = ()
    #: files a new session's implicit playlist skipped as not media (the
    #: summary lists them; the terminal says how many)
    skipped: tuple[SkippedFile, ...] = ()
    #: the session was created by this run (so a run that plays nothing
    #: does not leave an empty one behind)
    created: bool = False
    #: the baseline file as it was when the run started (None: no file)
    baseline: baseline_mod.Baseline | None = None
    #: where the baseline is read from and written to
    baseline_path: Path | None = None

    @property
    def judged_by_baseline(self) -> bool:
        """A baseline file exists, or this run writes one."""
        return self.baseline is not None or self.settings.baseline_update

    @property
    def baseline_name(self) -> str:
        """How messages name the baseline file."""
        if self.baseline_path is None:
            return ""
        return baseline_mod.shown_name(self.baseline_path, self.samples_dir)

    def baseline_applies(self, sample: str, driver: str | None = None) -> bool:
        """samples.toml's expectation wins for its sample; the baseline judges the rest."""
        spec = self.expectation(sample, driver)
        return self.judged_by_baseline and (spec is None or spec.expect == "pass")

    def expectation(self, sample: str, driver: str | None = None) -> "SampleSpec | None":
        """samples.toml's entry for a play of `sample` asking for `driver`
        (an item's own, --mp-drivers; else the first --mp-audio driver)."""
        if self.manifest is None:
            return None
        return self.manifest.expectation(sample, driver or self.settings.audio[0])

    #: the folder of the sessions and activation.json (the samples folder by default)
    store_dir: Path | None = None

    #: the samples this run plays (--mp-shard), None: the whole playlist
    shard: frozenset[str] | None = None
    #: the line saying which shard this is and how it was weighed (shards.Split)
    shard_note: str = ""

    #: the session's stored references, each read once by this process in
    #: this run (the order, the plays and the end of the run all ask)
    references: StoredReferences = dataclasses.field(default_factory=StoredReferences,
                                                     compare=False, repr=False)

    #: --mp-drivers: each driver's group session (driver_groups.py), in the
    #: order given; () when the run plays one item per sample
    driver_sessions: tuple[tuple[str, sessions.SessionPaths], ...] = ()

    @property
    def drivers(self) -> tuple[str, ...]:
        """The drivers of --mp-drivers (one item per sample and driver), or ()."""
        return self.settings.drivers

    def session_of(self, driver: str | None) -> sessions.SessionPaths:
        """Where a play of `driver`'s item is recorded (None: the run's session)."""
        assert self.paths is not None, "a run that plays samples always has a session"
        if driver is None:
            return self.paths
        return dict(self.driver_sessions)[driver]

    def __post_init__(self) -> None:
        # the store's reference cache serves every session of the store
        store = self.store_dir if self.store_dir is not None else self.samples_dir
        self.references.use_cache_in(sessions.reference_cache_dir(store))

    def plays(self, sample: str) -> bool:
        """The sample is in this run's shard (always, without --mp-shard)."""
        return self.shard is None or sample in self.shard

    @property
    def session_name(self) -> str | None:
        return self.paths.name if self.paths else None


def _manifest(samples_dir: Path) -> Manifest | None:
    try:
        return manifest_mod.load_manifest(samples_dir)
    except ManifestError:
        raise
    except OSError as exc:
        raise UsageError(f"cannot read {samples_dir / manifest_mod.MANIFEST_NAME}: "
                         f"{exc.strerror}") from None


def new_session_playlist(samples_dir: Path, playlist_file: str | None,
                         include: Sequence[str] = (), exclude: Sequence[str] = (),
                         recursive: bool = False) -> tuple[list[str], bool]:
    """A new session's samples (from the playlist file, else the implicit
    playlist) and whether it has a playlist of its own."""
    samples, has_playlist, _skipped = new_session_selection(samples_dir, playlist_file,
                                                            include, exclude, recursive)
    return samples, has_playlist


def new_session_selection(samples_dir: Path, playlist_file: str | None,
                          include: Sequence[str] = (), exclude: Sequence[str] = (),
                          recursive: bool = False
                          ) -> tuple[list[str], bool, tuple[SkippedFile, ...]]:
    """new_session_playlist, and the files the implicit playlist skipped as
    not media (and the subfolders it did not search: `recursive` searches
    them). A playlist file plays every file it names, media or not: the
    user chose them."""
    if playlist_file:
        return sessions.read_playlist_file(Path(playlist_file), samples_dir), True, ()
    selection = sessions.implicit_selection(samples_dir, include, exclude, recursive)
    return list(selection.samples), False, selection.skipped


#: new testrun_NN names tried when runs beside this one keep taking them
TESTRUN_ATTEMPTS = 100


def create_session(samples_dir: Path, name: str | None, samples: list[str], has_playlist: bool,
                   manifest: Manifest | None, player_module: str,
                   store_dir: Path | None = None, audio: Sequence[str] = (),
                   skipped: Sequence[SkippedFile] = ()) -> sessions.SessionPaths:
    """Create a session with the versions under test and the corpus version.

    `audio`: the run's --mp-audio drivers, kept with the versions (where the
    run played: groups.py) when known; `pyglet-mp new` creates a session
    before any run, so it records none.

    Shared by the plugin and the CLI. `name` None makes a new testrun_NN,
    taking the next free name when a run beside this one creates the same
    name first (the user named nothing, so nothing is refused). A given
    name is checked before the versions are captured (a child interpreter),
    so a refusal costs nothing.
    """
    where = samples_dir if store_dir is None else store_dir
    if name is not None:
        sessions.check_session_name(name)
        if (where / name).exists():
            raise SessionExistsError(f"session {name!r} already exists in {where}; "
                                     "pick another name")
    captured = versions.capture(player_module)
    if audio:
        captured["audio"] = ",".join(audio)
    corpus = sessions.corpus_version(samples_dir, manifest.version if manifest else None)
    for _ in range(TESTRUN_ATTEMPTS):
        try:
            return sessions.create_session(
                samples_dir, name or sessions.next_testrun_name(where), samples,
                has_playlist=has_playlist, versions=captured, samples_version=corpus,
                store_dir=store_dir, skipped=skipped)
        except SessionExistsError:
            if name is not None:
                raise
    raise SessionError(f"{where}: other runs took {TESTRUN_ATTEMPTS} testrun_NN names "
                       "while this one tried to create one; name the session (--mp-session)")


def load_baseline(settings: Settings, samples_dir: Path
                  ) -> tuple[baseline_mod.Baseline | None, Path]:
    """The baseline file of the run, validated, and its path.

    A file named with --mp-baseline must exist unless this run writes it.
    """
    path = baseline_mod.resolve_path(samples_dir, settings.baseline)
    shown = baseline_mod.shown_name(path, samples_dir)
    if path.exists():
        return baseline_mod.load(path, shown=shown), path
    if settings.baseline and not settings.baseline_update:
        raise UsageError(f"{path}: no such baseline file; write it with --mp-baseline-update")
    if settings.baseline_update and not path.parent.is_dir():
        raise UsageError(f"{path}: cannot write the baseline there: the folder "
                         f"{path.parent} does not exist")
    return None, path


def _require_writable_folder(folder: Path) -> None:
    """A read-only dbg/ would let every player fail to write its recording,
    each sample reported as a crash with the player's traceback: the run is
    refused before anything plays instead."""
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write recordings into {folder}: the folder is read-only "
                         "for this user; fix its permissions or record into a new session")


def folders(settings: Settings) -> tuple[Path, Path]:
    """The samples folder and the store folder (the samples folder by default)."""
    samples_dir = sessions.resolve_samples_dir(
        settings.samples_dir,
        source=f"--mp-samples-dir (or mp_samples_dir, {sessions.SAMPLES_DIR_ENV})")
    store_dir = sessions.resolve_store_dir(settings.store, samples_dir,
                                           source=f"--mp-store (or mp_store, "
                                                  f"{sessions.STORE_DIR_ENV})")
    return samples_dir, store_dir


def with_shard(ctx: RunContext) -> RunContext:
    """The context with its shard of the playlist (--mp-shard): the session
    keeps the whole playlist; collection yields the shard's samples only."""
    if ctx.settings.shard is None:
        return ctx
    k, n = ctx.settings.shard
    split = shards.plan_for(ctx.samples_dir, ctx.playlist, n)
    return dataclasses.replace(ctx, shard=split.samples(k), shard_note=split.describe(k))


def prepare(settings: Settings, *, collect_only: bool) -> RunContext:
    """Open or create the session this run records into (controller side)."""
    return with_shard(with_driver_groups(_prepare(settings, collect_only=collect_only),
                                         create=not collect_only))


def with_driver_groups(ctx: RunContext, *, create: bool) -> RunContext:
    """The context with each --mp-drivers driver's group session (made by the
    controller, found by workers). A session played per driver is refused to
    a run without --mp-drivers: its one recording per sample would no longer
    match the groups the summary shows beside it."""
    if ctx.paths is None:
        return ctx
    if not ctx.drivers:
        if create and driver_groups.is_drivers_session(ctx.paths):
            raise UsageError(f"session {ctx.paths.name!r} holds plays per audio driver "
                             "(--mp-drivers); play it with --mp-drivers, or record into "
                             "another session")
        return ctx
    if create:
        captured = {k: v for k, v in sessions.load_versions(ctx.paths).items()
                    if k not in ("audio", driver_groups.DRIVERS_KEY)}
        made = driver_groups.ensure_groups(ctx.paths, ctx.drivers, captured)
    else:
        made = driver_groups.driver_groups(ctx.paths)
        missing = [d for d in ctx.drivers if d not in made]
        if missing:
            raise SessionError(f"session {ctx.paths.name!r} has no group for audio driver "
                               f"{missing[0]!r}")
    return dataclasses.replace(ctx, driver_sessions=tuple((d, made[d]) for d in ctx.drivers))


def _prepare(settings: Settings, *, collect_only: bool) -> RunContext:
    samples_dir, store_dir = folders(settings)
    manifest = _manifest(samples_dir)
    baseline, baseline_path = load_baseline(settings, samples_dir)
    if settings.store_durations and not collect_only:  # not found bad after every play
        durations.require_updatable(durations.path_in(samples_dir))
    if settings.compare:  # fail before playing anything, not at the end
        sessions.open_session(samples_dir, settings.compare, store_dir)
    name = settings.session or sessions.active_session(store_dir)
    if name is not None:
        sessions.check_session_name(name)
    if name is not None and sessions.SessionPaths(samples_dir, name, store_dir).exists():
        if settings.playlist:
            raise UsageError(f"--mp-playlist applies to new sessions only; session {name!r} "
                             "already has its playlist")
        paths = sessions.open_session(samples_dir, name, store_dir)
        if not collect_only:
            sessions.require_raw_writable(paths)
            _require_writable_folder(paths.dbg_dir)
            # the end of the run reads these: a bad one is refused before
            # anything plays, not found after every sample has played
            sessions.load_retry_state(paths)
            sessions.load_versions(paths)
        return RunContext(settings, samples_dir, tuple(sessions.session_playlist(paths)),
                          manifest, paths, baseline=baseline, baseline_path=baseline_path,
                          store_dir=store_dir)
    samples, has_playlist, skipped = new_session_selection(
        samples_dir, settings.playlist, settings.include, settings.exclude, settings.recursive)
    left_out = () if has_playlist else tuple(sessions.left_out_samples(samples_dir,
                                                                       settings.recursive))
    if collect_only:
        return RunContext(settings, samples_dir, tuple(samples), manifest, None, left_out,
                          skipped=skipped, baseline=baseline, baseline_path=baseline_path,
                          store_dir=store_dir)
    paths = create_session(samples_dir, name, samples, has_playlist, manifest, settings.player,
                           store_dir, audio=settings.drivers[:1] or settings.audio,
                           skipped=skipped)
    return RunContext(settings, samples_dir, tuple(samples), manifest, paths, left_out,
                      skipped=skipped, created=True, baseline=baseline, baseline_path=baseline_path,
                      store_dir=store_dir)


def for_worker(settings: Settings, session_name: str | None) -> RunContext:
    """Open the session the controller chose (xdist worker side): the worker
    resolves the same options, --mp-store and --mp-shard included."""
    return with_shard(with_driver_groups(_for_worker(settings, session_name), create=False))


def _for_worker(settings: Settings, session_name: str | None) -> RunContext:
    samples_dir, store_dir = folders(settings)
    manifest = _manifest(samples_dir)
    baseline, baseline_path = load_baseline(settings, samples_dir)
    if session_name is None:  # collect-only on the controller
        samples, _ = new_session_playlist(samples_dir, settings.playlist, settings.include,
                                          settings.exclude, settings.recursive)
        return RunContext(settings, samples_dir, tuple(samples), manifest, None,
                          baseline=baseline, baseline_path=baseline_path, store_dir=store_dir)
    paths = sessions.open_session(samples_dir, session_name, store_dir)
    return RunContext(settings, samples_dir, tuple(sessions.session_playlist(paths)), manifest,
                      paths, baseline=baseline, baseline_path=baseline_path, store_dir=store_dir)


__all__ = ["RunContext", "prepare", "for_worker", "MediaTestError"]
