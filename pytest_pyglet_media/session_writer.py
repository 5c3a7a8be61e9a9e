"""Writes a session's reports from the results of a run (or from its recordings).

Pure file-writing logic shared by the plugin's controller-side reporter and
the CLI's `summarize`. Protection settings are honoured here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from . import analysis as an
from . import atomic, recording, reports
from . import session as store
from .errors import UnreadableRecordingError

RETRIES_FILE = "_crash_retries.json"


def retries_path(paths: store.SessionPaths) -> Path:
    return paths.dbg_dir / RETRIES_FILE


def load_retry_state(paths: store.SessionPaths) -> dict[str, dict[str, int]]:
    path = retries_path(paths)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_retry_state(paths: store.SessionPaths, results: Iterable[an.SampleResult]) -> None:
    """Keep, per sample, the attempts and crashes of its latest play."""
    state = load_retry_state(paths)
    for r in results:
        state[r.sample] = {"attempts": r.attempts, "crashed_attempts": r.crashed_attempts}
    atomic.write_text(retries_path(paths), json.dumps(state, indent=1, sort_keys=True) + "\n")


def result_from_disk(paths: store.SessionPaths, sample: str,
                     retry_state: Mapping[str, Mapping[str, int]]) -> an.SampleResult | None:
    """A sample not played in this run: judge the recording it already has."""
    path = paths.recording(sample)
    if not path.exists():
        return None
    try:
        analysis = an.analyse(recording.load(path))
    except UnreadableRecordingError as exc:
        analysis = an.PlayAnalysis(an.UNREADABLE, reason=exc.problem)
    state = retry_state.get(sample, {})
    return an.SampleResult(sample, analysis, attempts=int(state.get("attempts", 1)),
                           crashed_attempts=int(state.get("crashed_attempts", 0)),
                           recording=str(path))


@dataclass(frozen=True)
class WrittenSummary:
    totals: an.SessionTotals
    summary_path: Path
    reports_written: bool


def write_session_reports(paths: store.SessionPaths, run_results: Mapping[str, an.SampleResult],
                          *, interrupted: bool = False) -> WrittenSummary:
    """Summary over the whole playlist; results of this run, recordings for the rest."""
    playlist = store.session_playlist(paths)
    conf = store.load_configuration(paths)
    if run_results and conf.raw_data_writable:
        save_retry_state(paths, run_results.values())
    retry_state = load_retry_state(paths)
    results = dict(run_results)
    for sample in playlist:
        if sample not in results:
            found = result_from_disk(paths, sample, retry_state)
            if found is not None:
                results[sample] = found
    totals = an.session_totals(results.values(), playlist)
    summary_path = paths.special_report("summary")
    if not conf.reports_writable:
        return WrittenSummary(totals, summary_path, False)
    versions = store.load_versions(paths)
    samples_version = _read(paths.samples_version).strip() or "unknown"
    atomic.write_text(summary_path, reports.summary(paths.name, samples_version, totals,
                                                    interrupted=interrupted))
    atomic.write_text(paths.special_report("pyglet_info"), reports.pyglet_info(versions))
    atomic.write_text(paths.special_report("pyglet_revision"), reports.pyglet_revision(versions))
    for sample, result in results.items():
        _write_sample_reports(paths, sample, result)
    return WrittenSummary(totals, summary_path, True)


def _write_sample_reports(paths: store.SessionPaths, sample: str,
                          result: an.SampleResult) -> None:
    """all/anomalies for every non-perfect play; none (stale ones removed) otherwise."""
    targets = [paths.report(sample, name) for name in ("all", "anomalies")]
    if result.outcome in (an.PERFECT, an.MISSING):
        for target in targets:
            target.unlink(missing_ok=True)
        return
    try:
        events = recording.load(paths.recording(sample))
        texts = [reports.report_all(events), reports.report_anomalies(events)]
    except (UnreadableRecordingError, an.RecordingProblem) as exc:
        texts = [f"{sample}: no report: {exc}\n"] * 2
    for target, text in zip(targets, texts):
        atomic.write_text(target, text)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
