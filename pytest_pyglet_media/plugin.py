"""The pytest11 entry point: hooks only, each delegating in a few lines."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Generator

import pytest

from . import context, items, options
from .errors import MediaTestError
from .reporter import SessionReporter

WORKER_SESSION_KEY = "mp_session"


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
        workerinput = getattr(config, "workerinput", None)
        if workerinput is not None:
            ctx = context.for_worker(settings, workerinput.get(WORKER_SESSION_KEY))
        else:
            ctx = context.prepare(settings, collect_only=config.option.collectonly)
            config.pluginmanager.register(SessionReporter(ctx), "pyglet-media-reporter")
            for note in ctx.left_out:
                config.issue_config_time_warning(
                    pytest.PytestWarning(f"not a sample, left out of the playlist: {note}"),
                    stacklevel=2)
            if config.pluginmanager.hasplugin("xdist"):
                config.pluginmanager.register(_XdistHooks(ctx), "pyglet-media-xdist")
    except MediaTestError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[items.RUN_CONTEXT] = ctx
    # With --mp-samples-dir and no path arguments, collect only the samples.
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args = [str(ctx.samples_dir)]


class _XdistHooks:
    """Tells every worker which session the controller chose."""

    def __init__(self, ctx: context.RunContext) -> None:
        self.ctx = ctx

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[WORKER_SESSION_KEY] = self.ctx.session_name


def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    return items.collect_directory(path, parent)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    return items.ignore_collect(collection_path, config)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    # the verdict travels on the report (xdist serialises its attributes)
    if isinstance(item, items.SampleItem) and call.when == "call" \
            and items.RESULT in item.stash:
        report.mp_result = item.stash[items.RESULT]  # type: ignore[attr-defined]
    return report


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config
                             ) -> tuple[str, str, tuple[str, dict[str, bool]]] | None:
    if report.outcome == "rerun":
        return "rerun", "R", ("RERUN", {"yellow": True})
    return None
