"""The controller-side reporter: gathers results, ends the run once, prints.

Registered only on the controller (never on xdist workers), as pytest's
junitxml is, so session files are written exactly once per run. The writing
itself is session_writer.write_session_reports, which `pyglet-mp summarize`
calls too.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from . import concurrency, sound
from .context import RunContext
from .core.errors import MediaTestError
from .judge import analysis as an
from .judge import baseline as bl
from .judge import results as res
from .play.playback import INSTALL_FFPROBE, PROBE_UNAVAILABLE
from .report.text_reports import headline
from .report.session_writer import (
    WrittenSummary,
    withdraw_stale_reports,
    write_session_reports,
)
from .store import driver_groups, durations, sessions
from .store.manifest import expected_failures


#: retries listed one by one in the terminal summary; 00_summary.txt has them all
MAX_RETRY_LINES = 20


class SessionReporter:
    """Collects each sample's result from the reports, ends the run, prints."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        #: each item's result, by its label: the sample, or `clip.mp4[pulse]`
        #: for an item of one driver (--mp-drivers; baseline entries alike)
        self.results: dict[str, res.SampleResult] = {}
        #: --mp-drivers: driver -> sample -> its result, for each group's reports
        self.by_driver: dict[str, dict[str, res.SampleResult]] = {}
        self.written: WrittenSummary | None = None
        self.lost: set[str] = set()
        self.discarded = False
        self.error: str | None = None
        #: what the update wrote: (samples of this run, other samples kept)
        self.baseline_written: tuple[int, int] | None = None
        self.baseline_error: str | None = None
        #: samples of an update run whose entry was kept, and why
        self.baseline_not_updated: dict[str, str] = {}
        #: samples whose play item failed in pytest's eyes (the headline's red)
        self.failed: set[str] = set()
        #: (sample, driver) of plays xdist workers started ahead and stopped
        self.not_taken: list[tuple[str, str | None]] = []
        #: --mp-store-durations: each played sample's seconds (one play per
        #: item, its drivers' items added up), and what writing them did
        self.play_seconds: dict[str, float] = {}
        self.durations_written: tuple[int, int] | None = None
        self.durations_error: str | None = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "mp_result", None)
        if data is not None and report.when == "call":
            result = res.SampleResult.from_builtins(data)
            driver = getattr(report, "mp_driver", None)
            label = bl.driver_key(result.sample, driver)
            self.results[label] = result
            if driver is not None:
                self.by_driver.setdefault(driver, {})[result.sample] = result
            if report.failed:
                self.failed.add(label)
            # the item's play time (plugin.py sets it: its plays' own seconds)
            # over its plays: one play's time, however often it was retried
            self.play_seconds[result.sample] = self.play_seconds.get(result.sample, 0.0) \
                + report.duration / max(result.attempts, 1)

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem: str, report: pytest.TestReport,
                               sched: Any) -> None:
        """pytest-xdist: the worker playing `crashitem` died under it."""
        path, _, name = crashitem.partition("::")
        driver = name[len("play["):-1] if name.startswith("play[") else None
        # the sample is the path's end: its file name, or `live/concert.mkv`
        named = [s for s in self.ctx.playlist if path == s or path.endswith("/" + s)]
        self.lost.add(bl.driver_key(max(named, key=len) if named else Path(path).name,
                                    driver))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """pytest-xdist: a worker's plays started ahead that its items never took."""
        output = getattr(node, "workeroutput", None) or {}
        for key in output.get(concurrency.WORKER_NOT_TAKEN, ()):
            self.not_taken.append(concurrency.split_key(key))

    def _count_not_taken(self, config: pytest.Config) -> None:
        """Plays started ahead whose items never ran (-x, --maxfail, Ctrl-C)
        are interrupted, whatever they recorded: pytest ran no item for them,
        so the session's counts stay pytest's."""
        for sample, driver in [*self.not_taken, *concurrency.not_taken(config)]:
            label = bl.driver_key(sample, driver)
            if label in self.results:
                continue
            result = res.SampleResult(sample, an.Verdict(
                an.INTERRUPTED, reason="started ahead of its item, which the run stopped "
                                       "before it ran (-x, --maxfail or Ctrl-C)"))
            self.results[label] = result
            if driver is not None:
                self.by_driver.setdefault(driver, {})[sample] = result

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        paths = self.ctx.paths
        if paths is None or session.config.option.collectonly:
            return
        self._count_not_taken(session.config)
        if self._discard_if_nothing_played(paths):
            return
        # -x/--maxfail stop the run through session.shouldfail, not shouldstop:
        # such a run is interrupted too
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED or bool(session.shouldstop) \
            or bool(session.shouldfail)
        settings = self.ctx.settings
        try:
            # `pyglet-mp summarize` shows the same baseline section and column
            sessions.save_baseline_used(paths, self.ctx.baseline_path
                                        if self.ctx.judged_by_baseline else None)
            other = sessions.open_session(paths.samples_dir, settings.compare, paths.store) \
                if settings.compare else None
            top_results, top_lost = self._write_driver_groups(session.config, interrupted)
            self.written = write_session_reports(
                paths, top_results, interrupted=interrupted, plots=settings.plots,
                compare_with=other, lost=top_lost,
                expectations=expected_failures(
                    self.ctx.manifest, None if self.ctx.drivers else settings.audio[0]),
                baseline=self._baseline(), baseline_updated=settings.baseline_update,
                references=self.ctx.references, sound_server=sound.described(session.config))
        except MediaTestError as exc:
            self.error = str(exc)
        except OSError as exc:
            # a session folder the run cannot write (a read-only reports/ or
            # dbg/, a full disk): one error line after the plays, not an
            # INTERNALERROR
            self.error = f"cannot write {exc.filename or paths.session_dir}: " \
                         f"{exc.strerror or exc}"
        if self.error:
            # an earlier run's summary must not stand as this run's
            withdrawn = withdraw_stale_reports(paths, self.error)
            if withdrawn:
                self.error += f"; {withdrawn}"
        self._update_baseline()
        self._store_durations()
        # a run whose reports (or baseline, or durations) could not be written
        # did not do its job, whatever its plays said: never exit 0
        if (self.baseline_error or self.error or self.durations_error) \
                and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        compared = self.written.comparison if self.written else None
        if compared and compared.regressions_from_perfect \
                and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _write_driver_groups(self, config: pytest.Config, interrupted: bool
                             ) -> tuple[dict[str, res.SampleResult], set[str]]:
        """--mp-drivers: each driver's group gets its reports, then the top
        level takes, per sample, the first driver's play (driver_groups.py);
        the top level's results and lost samples. Without: the run's own."""
        ctx = self.ctx
        if not ctx.drivers or ctx.paths is None:
            return self.results, self.lost
        baseline = self._baseline()
        for driver, group in ctx.driver_sessions:
            results = self.by_driver.get(driver, {})
            lost = {label[:-len(f"[{driver}]")] for label in self.lost
                    if label.endswith(f"[{driver}]")}
            write_session_reports(
                group, results, interrupted=interrupted, plots=ctx.settings.plots, lost=lost,
                expectations=expected_failures(ctx.manifest, driver),
                baseline=None if baseline is None else bl.for_driver(
                    baseline, driver, sessions.session_playlist(group)),
                baseline_updated=ctx.settings.baseline_update, references=ctx.references,
                sound_server=sound.described(config) if driver == "pulse" else None)
        played = {sample for results in self.by_driver.values() for sample in results}
        shown = driver_groups.fill_top_level(ctx.paths, ctx.drivers, sorted(played))
        return ({sample: self.by_driver[driver][sample] for sample, driver in shown.items()
                 if sample in self.by_driver.get(driver, {})}, set())

    def _baseline(self) -> bl.Baseline | None:
        """The baseline the run was judged against (empty when the update creates it)."""
        ctx = self.ctx
        if ctx.baseline is not None or not ctx.judged_by_baseline or ctx.baseline_path is None:
            return ctx.baseline
        return bl.Baseline(ctx.baseline_path, {}, ctx.baseline_name)

    def _run_entries(self) -> dict[str, bl.Entry]:
        return {s: bl.entry_of(r.outcome, r.verdict.counts) for s, r in self.results.items()}

    def _update_baseline(self) -> None:
        """--mp-baseline-update: written once, here on the controller, never by workers."""
        ctx = self.ctx
        if not ctx.settings.baseline_update or not self.results or ctx.baseline_path is None:
            return
        run = self._run_entries()
        try:
            new, self.baseline_not_updated = bl.update_file(ctx.baseline_path, run,
                                                            ctx.baseline_name)
        except OSError as exc:
            self.baseline_error = f"cannot write the baseline " \
                                  f"{exc.filename or ctx.baseline_path}: {exc.strerror or exc}"
            return
        except bl.BaselineError as exc:  # rewritten meanwhile into something unreadable
            self.baseline_error = str(exc)
            return
        written = len(run) - len(self.baseline_not_updated)
        self.baseline_written = (written, len(new.entries) - written)

    def _store_durations(self) -> None:
        """--mp-store-durations: merged into the file once, here on the controller."""
        if not self.ctx.settings.store_durations or not self.play_seconds:
            return
        path = durations.path_in(self.ctx.samples_dir)
        try:
            new = durations.update_file(path, self.play_seconds)
        except OSError as exc:
            self.durations_error = f"cannot write the durations file " \
                                   f"{exc.filename or path}: {exc.strerror or exc}"
            return
        except durations.DurationsError as exc:  # rewritten meanwhile into something bad
            self.durations_error = str(exc)
            return
        run = len(self.play_seconds)
        self.durations_written = (run, len(new.seconds) - run)

    def better_than_baseline(self) -> list[str]:
        """Samples of this run that did better than their entry (not in an update run)."""
        ctx = self.ctx
        if ctx.baseline is None or ctx.settings.baseline_update:
            return []
        ignored = [s for s in self.results if not ctx.baseline_applies(s)]
        return bl.better_notes(ctx.baseline, self._run_entries(), ignored)

    def _discard_if_nothing_played(self, paths: sessions.SessionPaths) -> bool:
        """A run that played no sample leaves the session as it found it.

        A session this run created is removed: `-k` matching no sample, or a
        node id of another folder, would otherwise leave a testrun_NN with no
        recording for every such run. An existing session's reports are not
        rewritten from its old recordings. Either way nothing is printed.
        """
        if self.results or self.lost:
            return False
        if not self.ctx.created:
            self.discarded = True
            return True
        if any(sessions.is_recording_name(p.name) for p in paths.dbg_dir.iterdir()):
            return False  # a player wrote something after all: keep it
        shutil.rmtree(paths.session_dir, ignore_errors=True)
        self.discarded = True
        return True

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        # --collect-only plays nothing: an existing session has nothing to say
        if self.ctx.paths is None or terminalreporter.config.option.collectonly:
            return
        if self.discarded:  # no sample played: no media section
            return
        tr = terminalreporter
        tr.section("pyglet media session")
        self._baseline_lines(tr)
        self._durations_lines(tr)
        if self.error:
            tr.write_line(f"could not write the session reports: {self.error}", red=True)
            return
        if self.written is None:
            return
        if self.ctx.drivers:
            self._driver_lines(tr)
        else:
            tr.write_line(f"session {self.ctx.paths.name}: {headline(self.written.totals)}",
                          **{self.headline_colour(): True})
        if self.written.reports_written:
            tr.write_line(f"reports: {self.ctx.paths.special_report('index')} "
                          f"(summary: {self.written.summary_path.name})")
        else:
            tr.write_line(f"reports not written: session {self.ctx.paths.name} protects its "
                          "reports (protect_reports)", yellow=True)
        tr.write_line(f"recordings: {self.ctx.paths.dbg_dir}")
        self._retry_lines(tr)
        self._reference_lines(tr)
        for note in self.written.notes:
            tr.write_line(note, yellow=True)
        if self.written.comparison:
            result, path = self.written.comparison, self.written.comparison_path
            tr.write_line(f"compared with {result.other}: {len(result.regressed)} regressed, "
                          f"{len(result.fixed)} fixed, {len(result.changed)} changed "
                          f"({path or 'not written: the session protects its reports'})")
            for change in result.regressed:
                tr.write_line(f"  regressed: {change.describe()}", red=True)

    def _driver_lines(self, tr: Any) -> None:
        """--mp-drivers: the session line per driver, each coloured as one."""
        assert self.ctx.paths is not None
        tr.write_line(f"session {self.ctx.paths.name}, per audio driver:")
        for driver in self.ctx.drivers:
            results = self.by_driver.get(driver, {})
            if not results:
                continue
            totals = res.session_totals(results.values(), list(results))
            failed = any(bl.driver_key(s, driver) in self.failed for s in results)
            colour = "red" if failed else (
                "green" if len(totals.perfect) == len(totals.samples) else "yellow")
            tr.write_line(f"  {driver}: {headline(totals)}", **{colour: True})

    def headline_colour(self) -> str:
        """The session line's colour, as pytest colours its own summary line:
        red when a sample failed or its worker died, yellow when every sample
        passed but not all played perfectly (expected failures, baseline
        defects, overloaded or unplayed samples), green when all were perfect."""
        if self.failed or self.lost:
            return "red"
        totals = self.written.totals if self.written else None
        if totals is None or len(totals.perfect) != len(totals.samples):
            return "yellow"
        return "green"

    def _retry_lines(self, tr: Any) -> None:
        """Why this run played samples again ('R'), one line per retry, as
        pytest-rerunfailures lists its reruns."""
        lines = [f"RERUN {sample}: {words}" for sample, result in sorted(self.results.items())
                 for _, words in result.retry_reasons]
        for line in lines[:MAX_RETRY_LINES]:
            tr.write_line(line, yellow=True)
        if len(lines) > MAX_RETRY_LINES:
            tr.write_line(f"... and {len(lines) - MAX_RETRY_LINES} more retries "
                          "(00_summary.txt lists them all)", yellow=True)

    def _reference_lines(self, tr: Any) -> None:
        """Said once: the samples of this run not checked against the file."""
        reasons = [r.verdict.not_checked for r in self.results.values()
                   if r.verdict.not_checked]
        if not reasons:
            return
        no_probe = sum(1 for why in reasons if why.startswith(PROBE_UNAVAILABLE))
        if no_probe:
            tr.write_line(f"reference checks skipped: {PROBE_UNAVAILABLE}, so {no_probe} "
                          f"sample{'s were' if no_probe != 1 else ' was'} not checked against "
                          f"the file; install it: {INSTALL_FFPROBE}", yellow=True)
        if len(reasons) > no_probe:
            n = len(reasons) - no_probe
            tr.write_line(f"{n} sample{'s were' if n != 1 else ' was'} not checked against the "
                          "file (ffprobe could not describe it; see 00_summary.txt)", yellow=True)

    def _durations_lines(self, tr: Any) -> None:
        if self.durations_error:
            tr.write_line(self.durations_error, red=True)
        if self.durations_written:
            run, kept = self.durations_written
            tr.write_line(f"durations {durations.DEFAULT_NAME} written: {run} sample"
                          f"{'s' if run != 1 else ''} of this run, {kept} other"
                          f"{'s' if kept != 1 else ''} kept (commit it: --mp-shard "
                          "balances by it)")

    def _baseline_lines(self, tr: Any) -> None:
        if self.baseline_error:
            tr.write_line(self.baseline_error, red=True)
        if self.baseline_written:
            run, kept = self.baseline_written
            tr.write_line(f"baseline {self.ctx.baseline_name} written: {run} sample"
                          f"{'s' if run != 1 else ''} of this run, {kept} other"
                          f"{'s' if kept != 1 else ''} kept")
        if self.baseline_not_updated:
            tr.write_line(f"baseline {self.ctx.baseline_name}: not updated for "
                          f"{len(self.baseline_not_updated)} sample"
                          f"{'s' if len(self.baseline_not_updated) != 1 else ''}:", yellow=True)
            for sample, why in sorted(self.baseline_not_updated.items()):
                tr.write_line(f"    {sample}: {why}", yellow=True)
        better = self.better_than_baseline()
        if better:
            tr.write_line(f"better than baseline {self.ctx.baseline_name} (regenerate it with "
                          "--mp-baseline-update):", green=True)
            for note in better:
                tr.write_line(f"  {note}", green=True)
