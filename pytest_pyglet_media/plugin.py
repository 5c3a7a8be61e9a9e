"""The pytest11 entry point: hooks only, each delegating in a few lines.

pytest imports this module in every run of the environment, media or not:
it imports only the options at first. The rest of the package is imported
inside the hooks, once a run turns the plugin on (--mp-samples-dir or
mp_samples_dir) and `_active` says so, so that a plain test run pays for the
options alone (benchmarks/bench_idle.py).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generator

import pytest

from . import options
from .core.errors import MediaTestError

if TYPE_CHECKING:
    from . import context

WORKER_SESSION_KEY = "mp_session"
#: the controller's collection order, so every worker collects the same
WORKER_ORDER_KEY = "mp_order"
#: a duplicate of the terminal's descriptor, when plays show their progress
PROGRESS_FD = pytest.StashKey[int]()
#: this run's hold on its session (store/session_owner.py), released last
OWNER = pytest.StashKey[Any]()  # a session_owner.Claim
#: set when this run plays samples: the other hooks do nothing without it
ACTIVE = pytest.StashKey[bool]()


def _active(config: pytest.Config) -> bool:
    return config.stash.get(ACTIVE, False)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def _settings(config: pytest.Config) -> options.Settings:
    ini = {spec.ini: config.getini(spec.ini) for spec in options.INI_OPTIONS}
    return options.resolve(vars(config.option), ini,
                           inifile=str(config.inipath) if config.inipath else None)


def pytest_configure(config: pytest.Config) -> None:
    try:
        settings = _settings(config)
        if not settings.active:
            return
        from . import collection_paths, context, items, junit, manifest_markers, sound
        from .play import ffmpeg_check
        from .reporter import SessionReporter
        from .store import session_owner

        workerinput = getattr(config, "workerinput", None)
        if workerinput is None and not collection_paths.samples_wanted(config, settings):
            return  # explicit paths none of which reaches the samples: plugin idle
        if workerinput is not None:
            ctx = context.for_worker(settings, workerinput.get(WORKER_SESSION_KEY))
            manifest_markers.register(config, ctx.manifest)
            if workerinput.get(WORKER_ORDER_KEY) is not None:
                config.stash[items.PLAY_ORDER] = tuple(workerinput[WORKER_ORDER_KEY])
        else:
            options.require_command_line_only(settings, config.invocation_params.args)
            _warn_deprecated_names(config)
            # `pytest --markers` lists samples.toml's markers and plays nothing:
            # like --collect-only, it creates no session
            listing = config.option.collectonly or bool(getattr(config.option, "markers", False))
            if settings.player == options.DEFAULT_PLAYER and not listing:
                ffmpeg_check.require_ffmpeg()  # one clear error before anything plays
                # before any worker, fork server or player: they inherit its address
                sound.provide(config, settings.drivers or settings.audio)
            ctx = context.prepare(settings, collect_only=listing)
            _register_markers(config, ctx)
            if ctx.paths is not None and not listing:
                config.stash[OWNER] = session_owner.claim(ctx.paths)
            _warn_left_out(config, ctx)
            config.stash[items.PLAY_ORDER] = play_order = items.play_order(ctx)
            config.pluginmanager.register(SessionReporter(ctx), "pyglet-media-reporter")
            config.pluginmanager.register(
                junit.JunitRows(config, items.ITEM_NAME, ctx.samples_dir.name, ctx.playlist),
                "pyglet-media-junit")
            if config.pluginmanager.hasplugin("xdist"):
                config.pluginmanager.register(_XdistHooks(ctx, play_order), "pyglet-media-xdist")
    except MediaTestError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[items.RUN_CONTEXT] = ctx
    config.stash[ACTIVE] = True
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args = collection_paths.default_args(config, ctx.samples_dir)


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if _active(config):
        from . import items, progress

        _say_skipped(config, config.stash[items.RUN_CONTEXT])
        _say_shard(config, config.stash[items.RUN_CONTEXT])
        fd = progress.terminal_fd(config)
        if fd is not None:
            config.stash[PROGRESS_FD] = fd


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Plays start ahead of their items, as many as the CPU allows (concurrency.py)."""
    if _active(session.config):
        from . import concurrency, items

        ctx = session.config.stash[items.RUN_CONTEXT]
        concurrency.start(session, ctx, [i.play_key for i in session.items
                                         if isinstance(i, items.SampleItem)])


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """An xdist worker learns its next item here: its play may start ahead."""
    if _active(item.config):
        from . import concurrency, items

        concurrency.plan_next(item.config, [i.play_key for i in (item, nextitem)
                                            if isinstance(i, items.SampleItem)])


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Plays no item took are stopped before the session's reports are written."""
    if _active(session.config):
        from . import concurrency

        concurrency.stop(session.config)


def pytest_unconfigure(config: pytest.Config) -> None:
    if not _active(config):
        return
    from . import sound

    sound.release(config)
    claim = config.stash.get(OWNER, None)
    if claim is not None:  # after the reporter wrote the session's files
        claim.release()
    fd = config.stash.get(PROGRESS_FD, None)
    if fd is not None:
        del config.stash[PROGRESS_FD]
        os.close(fd)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Show a long play's progress on a terminal (progress.py)."""
    fd = item.config.stash.get(PROGRESS_FD, None)
    if fd is None or not _active(item.config):
        return (yield)
    from . import concurrency, items, progress

    ctx = item.config.stash[items.RUN_CONTEXT]
    if not isinstance(item, items.SampleItem):
        return (yield)
    ref = ctx.session_of(item.driver).reference(item.sample) if ctx.paths is not None else None
    load = ctx.references.load
    with progress.Progress(fd, item.label, lambda: progress.duration_from(ref, load),
                           began=lambda: concurrency.play_began(item.config, item.play_key)):
        return (yield)


def _register_markers(config: pytest.Config, ctx: "context.RunContext") -> None:
    """samples.toml's markers (manifest_markers.py); a refusal keeps no
    session this run created."""
    from . import manifest_markers

    try:
        manifest_markers.register(config, ctx.manifest)
    except MediaTestError:
        if ctx.created and ctx.paths is not None:
            shutil.rmtree(ctx.paths.session_dir, ignore_errors=True)
        raise


def _warn_left_out(config: pytest.Config, ctx: "context.RunContext") -> None:
    """A warning per file left out of a new session's playlist.

    Under `-W error` pytest raises the warning here; it becomes a usage
    error (not an INTERNALERROR with a traceback), before anything plays,
    and the session this run created is not kept.
    """
    for note in ctx.left_out:
        message = f"not a sample, left out of the playlist: {note}"
        try:
            config.issue_config_time_warning(pytest.PytestWarning(message), stacklevel=2)
        except pytest.PytestWarning:
            if ctx.created and ctx.paths is not None:
                shutil.rmtree(ctx.paths.session_dir, ignore_errors=True)
            raise pytest.UsageError(f"{message} (an error under -W error)") from None


def _warn_deprecated_names(config: pytest.Config) -> None:
    """A former environment variable name still read (options.old_env) is
    named once, as pytest names its own deprecations."""
    for note in options.deprecated_names_in(os.environ):
        try:
            config.issue_config_time_warning(pytest.PytestDeprecationWarning(note), stacklevel=2)
        except pytest.PytestWarning:
            raise pytest.UsageError(f"{note} (an error under -W error)") from None


def _say_skipped(config: pytest.Config, ctx: "context.RunContext") -> None:
    """One line for every file the implicit playlist skipped as not media:
    the summary lists them (a warning each would bury the run's own)."""
    from .store import sample_selection

    if not ctx.skipped:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    where = (f"the summary {ctx.paths.special_report('summary')}" if ctx.paths is not None
             else "the summary of the run that creates the session")
    reporter.write_line(f"pyglet-media: {sample_selection.skipped_counts(ctx.skipped)}, "
                        f"see {where} (--mp-include / --mp-exclude steer it)")


def _say_shard(config: pytest.Config, ctx: "context.RunContext") -> None:
    """Which shard this job plays and how the split weighed it (--collect-only
    too), said by the controller only: a CI log shows what each job took."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if ctx.shard_note and reporter is not None and not hasattr(config, "workerinput"):
        reporter.write_line(f"pyglet-media: {ctx.shard_note}")


class _XdistHooks:
    """Tells every worker which session the controller chose, and the
    collection order (stored references may appear while workers start)."""

    def __init__(self, ctx: "context.RunContext", play_order: tuple[str, ...]) -> None:
        self.ctx = ctx
        self.play_order = play_order

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[WORKER_SESSION_KEY] = self.ctx.session_name
        node.workerinput[WORKER_ORDER_KEY] = list(self.play_order)


def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if not _active(parent.config):
        return None
    from . import items

    return items.collect_directory(path, parent)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if not _active(config):
        return None
    from . import items

    return items.ignore_collect(collection_path, config)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if not _active(item.config):
        return report
    from . import html_links, items

    if call.when == "call" and items.PLAY_TIME in item.stash:
        # the item's own play time (its play may have started ahead of it):
        # what junit's time and --durations show
        report.duration = item.stash[items.PLAY_TIME]
    # the verdict travels on the report (xdist serialises its attributes)
    if isinstance(item, items.SampleItem) and call.when == "call" \
            and items.RESULT in item.stash:
        report.mp_result = item.stash[items.RESULT]  # type: ignore[attr-defined]
        report.mp_driver = item.driver  # type: ignore[attr-defined]
        # the facts for junit (junit.py), as lists: they cross xdist too
        report.mp_properties = [list(p) for p in  # type: ignore[attr-defined]
                                item.stash.get(items.PROPERTIES, [])]
        if html_links.active(item.config):
            html_links.add_extras(item.config, item.config.stash[items.RUN_CONTEXT],
                                  item.sample, item.stash[items.RESULT]["verdict"]["outcome"],
                                  report, item.driver)
    return report


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` for a media run: a worker per CPU this process may use (its
    affinity, as a CI container sets it), each playing ahead of its next
    item (concurrency.py). xdist's PYTEST_XDIST_AUTO_NUM_WORKERS still wins."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    try:
        if not _settings(config).active:
            return None
    except MediaTestError:
        return None  # pytest_configure reports it
    from . import concurrency

    return concurrency.auto_workers()


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> bool | None:
    """pytest-timeout's limit for a sample covers its plays and retries.

    A global --timeout (or timeout ini, PYTEST_TIMEOUT) is raised, for a
    sample item, to what its plays may take; an explicit timeout marker is
    left alone. pytest-timeout then arms its timer as usual."""
    if not _active(item.config):
        return None
    from . import items

    if not isinstance(item, items.SampleItem) or item.get_closest_marker("timeout"):
        return None
    import pytest_timeout

    limit = item.pytest_timeout_limit(float(settings.timeout))
    return pytest_timeout.pytest_timeout_set_timer(item, settings._replace(timeout=limit))


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config
                             ) -> tuple[str, str, tuple[str, dict[str, bool]]] | None:
    if report.outcome == "rerun":
        return "rerun", "R", ("RERUN", {"yellow": True})
    return None
