"""The controller-side reporter: gathers results, writes the session once.

Registered only on the controller (never on xdist workers), as pytest's
junitxml is, so session files are written exactly once per run.
"""
from __future__ import annotations

from typing import Any

import pytest

from . import analysis as an
from .context import RunContext
from .errors import MediaTestError
from .reports import headline
from .session_writer import WrittenSummary, write_session_reports


class SessionReporter:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.results: dict[str, an.SampleResult] = {}
        self.written: WrittenSummary | None = None
        self.error: str | None = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "mp_result", None)
        if data is not None and report.when == "call":
            result = an.SampleResult.from_builtins(data)
            self.results[result.sample] = result

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.ctx.paths is None or session.config.option.collectonly:
            return
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED or session.shouldstop
        try:
            self.written = write_session_reports(self.ctx.paths, self.results,
                                                 interrupted=bool(interrupted))
        except MediaTestError as exc:
            self.error = str(exc)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.ctx.paths is None:
            return
        tr = terminalreporter
        tr.section("pyglet media session")
        if self.error:
            tr.write_line(f"could not write the session reports: {self.error}", red=True)
            return
        if self.written is None:
            return
        tr.write_line(f"session {self.ctx.paths.name}: {headline(self.written.totals)}")
        if self.written.reports_written:
            tr.write_line(f"summary: {self.written.summary_path}")
        else:
            tr.write_line(f"reports not written: session {self.ctx.paths.name} protects its "
                          "reports (protect_reports)", yellow=True)
        tr.write_line(f"recordings: {self.ctx.paths.dbg_dir}")
