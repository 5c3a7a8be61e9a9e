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
from . import results as res
from . import atomic, comparison, index_page, recording, reports
from . import session as store
from . import manifest
from .errors import ManifestError, UnreadableRecordingError

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


def save_retry_state(paths: store.SessionPaths, results: Iterable[res.SampleResult]) -> None:
    """Keep, per sample, the attempts and crashes of its latest play."""
    state = load_retry_state(paths)
    for r in results:
        state[r.sample] = {"attempts": r.attempts, "crashed_attempts": r.crashed_attempts}
    atomic.write_text(retries_path(paths), json.dumps(state, indent=1, sort_keys=True) + "\n")


def result_from_disk(paths: store.SessionPaths, sample: str,
                     retry_state: Mapping[str, Mapping[str, int]]) -> res.SampleResult | None:
    """A sample not played in this run: judge the recording it already has."""
    path = paths.recording(sample)
    if not path.exists():
        return None
    try:
        analysis = an.analyse(recording.load(path))
    except UnreadableRecordingError as exc:
        analysis = an.PlayAnalysis(an.UNREADABLE, reason=exc.problem)
    state = retry_state.get(sample, {})
    return res.SampleResult(sample, analysis, attempts=int(state.get("attempts", 1)),
                           crashed_attempts=int(state.get("crashed_attempts", 0)),
                           recording=str(path))


def session_results(paths: store.SessionPaths,
                    run_results: Mapping[str, res.SampleResult] | None = None,
                    ) -> dict[str, res.SampleResult | None]:
    """Every playlist sample's result: this run's, else its recording's, else None.

    Samples analysed during the run are not read again.
    """
    run_results = run_results or {}
    retry_state = load_retry_state(paths)
    results: dict[str, res.SampleResult | None] = {}
    for sample in store.session_playlist(paths):
        results[sample] = run_results.get(sample) or result_from_disk(paths, sample, retry_state)
    return results


@dataclass(frozen=True)
class WrittenSummary:
    totals: res.SessionTotals
    results: Mapping[str, res.SampleResult]
    summary_path: Path
    reports_written: bool
    interrupted: bool = False


def write_session_reports(paths: store.SessionPaths, run_results: Mapping[str, res.SampleResult],
                          *, interrupted: bool = False, index: bool = True
                          ) -> WrittenSummary:
    """Summary over the whole playlist; results of this run, recordings for the rest.

    With index=False the caller writes index.html itself, after adding more
    reports (timelines, comparisons) for it to link to.
    """
    conf = store.load_configuration(paths)
    if run_results and conf.raw_data_writable:
        save_retry_state(paths, run_results.values())
    everything = session_results(paths, run_results)
    results = {s: r for s, r in everything.items() if r is not None}
    totals = res.session_totals(results.values(), everything)
    summary_path = paths.special_report("summary")
    if not conf.reports_writable:
        return WrittenSummary(totals, results, summary_path, False, interrupted)
    versions = store.load_versions(paths)
    atomic.write_text(summary_path, reports.summary(paths.name, samples_version(paths), totals,
                                                    interrupted=interrupted))
    atomic.write_text(paths.special_report("pyglet_info"), reports.pyglet_info(versions))
    atomic.write_text(paths.special_report("pyglet_revision"), reports.pyglet_revision(versions))
    for sample, maybe in everything.items():  # None: no recording, stale reports go
        _write_sample_reports(paths, sample, maybe)
    written = WrittenSummary(totals, results, summary_path, True, interrupted)
    if index:
        write_index(paths, written)
    return written


def samples_version(paths: store.SessionPaths) -> str:
    return _read(paths.samples_version).strip() or "unknown"


def write_index(paths: store.SessionPaths, written: WrittenSummary) -> Path:
    """reports/index.html, linking to whatever reports/ holds now (write it last)."""
    target = paths.special_report("index")
    present = sorted(p.name for p in paths.reports_dir.iterdir()) if paths.reports_dir.is_dir() \
        else []
    atomic.write_text(target, index_page.render(
        paths.name, samples_version(paths), written.totals, written.results, present,
        reports.headline(written.totals), interrupted=written.interrupted,
        recordings={s for s in written.totals.samples if paths.recording(s).is_file()},
        expected=_expectations(paths.samples_dir)))
    return target


def _expectations(samples_dir: Path) -> dict[str, str]:
    """samples.toml's expected failures, shown beside their verdicts."""
    try:
        found = manifest.load_manifest(samples_dir)
    except (ManifestError, OSError):
        return {}  # a broken manifest is reported where it is used, not here
    if found is None:
        return {}
    return {name: f"{spec.expect}: {spec.reason}" for name, spec in found.samples.items()
            if spec.expect != "pass"}


def _write_sample_reports(paths: store.SessionPaths, sample: str,
                          result: res.SampleResult | None) -> None:
    """all/anomalies for every non-perfect play; none (stale ones removed) otherwise."""
    targets = [paths.report(sample, name) for name in ("all", "anomalies")]
    if result is None or result.outcome in (an.PERFECT, an.MISSING):
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


def write_comparison(paths: store.SessionPaths, other: store.SessionPaths,
                     run_results: Mapping[str, res.SampleResult] | None = None,
                     reldir: str | None = None) -> tuple[comparison.Comparison, Path]:
    """comparison_<session>_<other>.txt, in reports/ or in samples_dir/RELDIR."""
    result = comparison.compare(paths.name, session_results(paths, run_results),
                                other.name, session_results(other))
    folder = paths.reports_dir if reldir is None else paths.samples_dir / reldir
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"comparison_{paths.name}_{other.name}.txt"
    atomic.write_text(target, comparison.render(result))
    return result, target
