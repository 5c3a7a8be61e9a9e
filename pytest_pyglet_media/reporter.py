"""The controller-side reporter: gathers results, writes the session once.

Registered only on the controller (never on xdist workers), as pytest's
junitxml is, so session files are written exactly once per run.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from . import analysis as an
from . import results as res
from . import recording
from . import session as store
from .comparison import Comparison, compare
from .context import RunContext
from .errors import MediaTestError
from .reports import headline
from .session_writer import WrittenSummary, session_results, write_comparison, \
    write_index, write_session_reports


class SessionReporter:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.results: dict[str, res.SampleResult] = {}
        self.written: WrittenSummary | None = None
        self.comparison: tuple[Comparison, Path | None] | None = None
        self.notes: list[str] = []
        self.lost: set[str] = set()
        self.discarded = False
        self.error: str | None = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "mp_result", None)
        if data is not None and report.when == "call":
            result = res.SampleResult.from_builtins(data)
            self.results[result.sample] = result
        elif report.when == "???" and report.failed:
            # pytest-xdist's report for an item whose worker died under it
            self.lost.add(Path(report.nodeid.split("::")[0]).name)

    def _forget_lost(self, paths: store.SessionPaths) -> None:
        """A sample whose worker died in flight has no recording, not a crash.

        Its player (killed with the worker) left the crash placeholder; it
        says nothing about the sample, so it is removed, and the summary
        lists the sample among those without a recording.
        """
        if not self.lost or not store.load_configuration(paths).raw_data_writable:
            return
        for sample in sorted(self.lost - set(self.results)):
            target = paths.recording(sample)
            try:
                placeholder = recording.load(target) == recording.crash_placeholder(sample)
            except MediaTestError:
                placeholder = False
            if placeholder:
                target.unlink()
            self.notes.append(f"{sample}: its xdist worker died while playing it; "
                              "it has no recording in this run")

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        paths = self.ctx.paths
        if paths is None or session.config.option.collectonly:
            return
        if self._discard_if_nothing_played(paths):
            return
        # Fix (tests/reading): -x/--maxfail stops the run through session.shouldfail,
        # not shouldstop; such a run was not marked interrupted.
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED or bool(session.shouldstop) \
            or bool(session.shouldfail)
        try:
            self._forget_lost(paths)
            self.written = write_session_reports(paths, self.results, interrupted=interrupted,
                                                 index=False)
            if self.written.reports_written:
                self._write_plots(paths, self.written)
            if self.ctx.settings.compare:
                other = store.open_session(paths.samples_dir, self.ctx.settings.compare)
                if self.written.reports_written:
                    self.comparison = write_comparison(paths, other, self.results)
                else:  # Fix (tests/reading): protect_reports: judge, but write nothing
                    self.comparison = (compare(paths.name, session_results(paths, self.results),
                                               other.name, session_results(other)), None)
                if self.comparison[0].regressions_from_perfect \
                        and session.exitstatus == pytest.ExitCode.OK:
                    session.exitstatus = pytest.ExitCode.TESTS_FAILED
            if self.written.reports_written:
                write_index(paths, self.written)
        except MediaTestError as exc:
            self.error = str(exc)
        except OSError as exc:
            # Fix (tests/reliability): a session folder the run cannot write
            # (a read-only reports/ or dbg/) raised PermissionError here, an
            # INTERNALERROR with a traceback after every sample had played.
            self.error = f"cannot write {exc.filename or paths.session_dir}: " \
                         f"{exc.strerror or exc}"

    def _discard_if_nothing_played(self, paths: store.SessionPaths) -> bool:
        """A session this run created, and played nothing into, is not kept.

        `-k` matching no sample, or a node id of another folder, would
        otherwise leave a testrun_NN with no recording for every such run.
        """
        if not self.ctx.created or self.results or self.lost:
            return False
        if any(p.suffix == ".dbg" for p in paths.dbg_dir.iterdir()):
            return False  # a player wrote something after all: keep it
        shutil.rmtree(paths.session_dir, ignore_errors=True)
        self.discarded = True
        return True

    def _write_plots(self, paths: store.SessionPaths, written: WrittenSummary) -> None:
        which = self.ctx.settings.plots
        if which == "none":
            return
        samples = [s for s, r in written.results.items()
                   if (which == "all" or r.outcome not in (an.PERFECT, an.MISSING))
                   and paths.recording(s).is_file()]
        if not samples:
            return
        try:
            from . import timeline
        except ImportError as exc:  # pragma: no cover - timeline imports no extras
            self.notes.append(f"timeline pages not written: {exc}")
            return
        for sample in samples:
            try:
                timeline.write_plot(paths, sample)
            except ImportError:
                self.notes.append("timeline pages not written: bokeh is not installed "
                                  "(pip install 'pytest-pyglet-media[plots]')")
                return
            except MediaTestError as exc:
                self.notes.append(f"no timeline for {sample}: {exc}")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.ctx.paths is None:
            return
        tr = terminalreporter
        tr.section("pyglet media session")
        if self.discarded:
            tr.write_line(f"no sample was played: session {self.ctx.paths.name} was not kept")
            return
        if self.error:
            tr.write_line(f"could not write the session reports: {self.error}", red=True)
            return
        if self.written is None:
            return
        tr.write_line(f"session {self.ctx.paths.name}: {headline(self.written.totals)}")
        if self.written.reports_written:
            tr.write_line(f"reports: {self.ctx.paths.special_report('index')} "
                          f"(summary: {self.written.summary_path.name})")
        else:
            tr.write_line(f"reports not written: session {self.ctx.paths.name} protects its "
                          "reports (protect_reports)", yellow=True)
        tr.write_line(f"recordings: {self.ctx.paths.dbg_dir}")
        for note in self.notes:
            tr.write_line(note, yellow=True)
        if self.comparison:
            result, path = self.comparison
            tr.write_line(f"compared with {result.other}: {len(result.regressed)} regressed, "
                          f"{len(result.fixed)} fixed, {len(result.changed)} changed "
                          f"({path or 'not written: the session protects its reports'})")
            for change in result.regressed:
                tr.write_line(f"  regressed: {change.describe()}", red=True)
