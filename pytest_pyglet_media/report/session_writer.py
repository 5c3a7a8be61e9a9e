"""The end of a run: one function writes everything a session's reports hold.

`write_session_reports` is called by the plugin's controller-side reporter
when a run ends and by `pyglet-mp summarize` alike. It takes the run's
results (none for `summarize`): a sample the run played keeps the run's
verdict, and its recording is read only when its reports or its page need
the events, without being judged again (judge/rereading.py); a sample the run
did not play is read and judged from its recording, once. The same judged
recording goes to the per-sample reports and the timeline page, one sample
at a time so that memory does not grow with the session. Each sample's
stored reference is read at most once (the run's StoredReferences). Then it
writes the summary, the comparison and, last, the index that links to all
of them. Protection settings are honoured here.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Collection, Mapping, Sequence

from ..core import atomic
from ..core.errors import BadReferenceError, MediaTestError, UnreadableRecordingError
from ..core.names import counted
from ..judge import analysis as an
from ..judge import baseline as bl
from ..judge import comparison, drivers, groups
from ..judge import results as res
from ..judge.file_checks import FileChecks
from ..judge.rereading import read_judged
from ..store import play_marker, recording
from ..store import driver_groups, sample_selection, sessions
from ..store.reference import Reference
from ..store.stored_references import StoredReferences
from . import index_page, text_reports, timeline

#: why a recording judged from the session alone was not checked against the file
NO_STORED_REFERENCE = "the session holds no usable reference of the file"

BOKEH_MISSING = ("timeline pages not written: bokeh is not installed "
                 "(pip install 'pytest-pyglet-media[plots]')")


@dataclass(frozen=True)
class WrittenSummary:
    """What the end of a run found and wrote."""

    totals: res.SessionTotals
    results: Mapping[str, res.SampleResult]
    summary_path: Path
    reports_written: bool
    interrupted: bool = False
    #: the comparison with another session, and where it was written (None:
    #: the session protects its reports)
    comparison: comparison.Comparison | None = None
    comparison_path: Path | None = None
    notes: tuple[str, ...] = ()


def write_session_reports(paths: sessions.SessionPaths,
                          run_results: Mapping[str, res.SampleResult], *,
                          interrupted: bool = False, plots: str = "none",
                          compare_with: sessions.SessionPaths | None = None,
                          expectations: Mapping[str, str] | None = None,
                          lost: Collection[str] = (), baseline: bl.Baseline | None = None,
                          baseline_updated: bool = False,
                          references: StoredReferences | None = None,
                          sound_server: str | None = None) -> WrittenSummary:
    """End a run: every playlist sample's verdict (this run's, else its
    recording's), its reports and timeline, the summary, the comparison with
    `compare_with`, and the index, written last.

    `plots` chooses the timeline pages (failed, all, none); `expectations`
    are samples.toml's expected failures shown in the index; `lost` are
    samples whose xdist worker died while playing them; `baseline`, the
    baseline the run was judged against, shown beside each sample's counts
    (`baseline_updated`: the run rewrote it); `references`, the run's stored
    references (those its collection and plays read stay read);
    `sound_server`, the PulseAudio server the run's pulse plays used.
    """
    references = references if references is not None else StoredReferences()
    conf = sessions.load_configuration(paths)
    notes: list[str] = []
    if conf.raw_data_writable:
        notes.extend(_forget_lost(paths, sorted(set(lost) - set(run_results))))
        if run_results:
            sessions.save_retry_state(paths, run_results.values())
    retry_state = sessions.load_retry_state(paths)
    pages = _Pages(paths, plots if conf.reports_writable else "none", notes)
    everything: dict[str, res.SampleResult | None] = {}

    def shown(result: res.SampleResult) -> bool:
        """The play's events are shown: in its reports (not perfect), or its page."""
        return conf.reports_writable and (result.outcome not in (an.PERFECT, an.MISSING)
                                          or pages.wants(result))

    asked = group_driver(paths)
    for sample in sessions.session_playlist(paths):
        result, rec = _sample_result(paths, sample, run_results.get(sample), retry_state,
                                     references, needs_events=shown, asked_driver=asked)
        everything[sample] = result
        if conf.reports_writable:
            _write_sample_reports(paths, sample, result, rec)
            pages.write(sample, result, rec, partial(stored_reference, paths, sample, references))
    results = {s: r for s, r in everything.items() if r is not None}
    totals = res.session_totals(results.values(), everything)
    summary_path = paths.special_report("summary")
    compared = None
    if compare_with is not None:
        compared = comparison.compare(paths.name, everything, compare_with.name,
                                      session_results(compare_with))
    if not conf.reports_writable:
        return WrittenSummary(totals, results, summary_path, False, interrupted, compared,
                              None, tuple(notes))
    versions = sessions.load_versions(paths)
    not_checked = {s: r.verdict.not_checked for s, r in results.items()
                   if r.verdict.not_checked}
    summary = text_reports.summary(paths.name, samples_version(paths), totals, interrupted=interrupted,
                              not_checked=not_checked)
    skipped = sample_selection.skipped_section(sessions.load_skipped_files(paths))
    if skipped:
        summary += "\n" + skipped
    places = labelled_groups(paths)
    group_rows = session_groups(places, versions, everything)
    summary = _drivers_head(versions, places, group_rows) + summary
    if group_rows:
        summary += "\n" + groups.differences(group_rows)
        summary += "\n" + groups.side_by_side(group_rows, list(everything))
        if places:  # groups of their own: compare --between works
            summary += "\n" + groups.against_first(group_rows)
    played_by = groups.played_by(group_rows) if group_rows else None
    mixed = mixed_versions_section(versions, [
        (label, sessions.load_versions(group), len(played))
        for (label, group), (_label, played) in zip(places, group_rows)])
    if mixed:
        summary += "\n" + mixed
    if baseline is not None:
        summary += "\n" + bl.summary_section(baseline, _entries(results),
                                              updated_by_run=baseline_updated)
    drivers = _drivers_section(places, group_rows) \
        or text_reports.audio_drivers_section(results, groups.asked_drivers(versions))
    if sound_server:
        drivers += f"PulseAudio server for pyglet's pulse driver: {sound_server}\n"
    if drivers:
        summary += "\n" + drivers
    atomic.write_text(summary_path, summary)
    atomic.write_text(paths.special_report("pyglet_info"),
                      text_reports.pyglet_info(versions, drivers))
    atomic.write_text(paths.special_report("pyglet_revision"), text_reports.pyglet_revision(versions))
    compared_path = write_comparison(paths.reports_dir, compared) if compared else None
    written = WrittenSummary(totals, results, summary_path, True, interrupted, compared,
                             compared_path, tuple(notes))
    _write_index(paths, written, expectations or {}, baseline, played_by)
    return written


def _drivers_head(versions: Mapping[str, object], places: list[tuple[str, sessions.SessionPaths]],
                  group_rows: list[groups.Row]) -> str:
    """A session played per driver opens with each driver's verdict in one
    line ("audio pulse: 3 with defects; audio silent: perfect"): the counts
    that follow are of the first driver's plays."""
    if not isinstance(versions.get(driver_groups.DRIVERS_KEY), list) or not group_rows:
        return ""
    words = []
    for label, played in group_rows:
        results = [r for r in played.values() if r is not None]
        bad = sum(1 for r in results if r.outcome != an.PERFECT)
        words.append(f"{label}: " + ("perfect" if results and not bad else
                                     f"{bad} of {len(results)} not perfect"))
    first = places[0][0] if places else "the first driver"
    return (f"Played once per audio driver (--mp-drivers): {'; '.join(words)}\n"
            f"(the counts below are {first}'s plays; the drivers side by side at the end)\n\n")


def _drivers_section(places: list[tuple[str, sessions.SessionPaths]],
                     group_rows: list[groups.Row]) -> str:
    """For a session played per driver (--mp-drivers): each driver's group
    and the drivers its plays really used; "" for any other session."""
    sections = []
    for (_label, group), (_l, played) in zip(places, group_rows):
        versions = sessions.load_versions(group)
        if versions.get(driver_groups.DRIVER_GROUP_KEY) is not True:
            return ""
        driver = str(versions.get("audio") or "")
        sections.append(text_reports.audio_drivers_section(
            {s: r for s, r in played.items() if r is not None}, [driver]))
    return "".join(sections)


#: the reports a run writes for the whole session: the ones a reader opens
#: first, withdrawn when a run cannot write its own (withdraw_stale_reports)
SESSION_REPORTS = ("summary", "index", "pyglet_info", "pyglet_revision")


def withdraw_stale_reports(paths: sessions.SessionPaths, problem: str) -> str:
    """After write_session_reports failed (`problem`: why, e.g. a full disk):
    remove the session-wide reports an earlier run wrote, for nobody to read
    them as this run's, and leave, if the disk allows, a summary saying so.
    Removing needs no free space. Returns what was done, for one line.
    """
    try:
        if not sessions.load_configuration(paths).reports_writable:
            return ""  # never written by a run: nothing of ours is stale
    except MediaTestError:
        pass  # an unreadable configuration: the reports are stale all the same
    removed, kept = [], []
    for name in SESSION_REPORTS:
        target = paths.special_report(name)
        try:
            target.unlink()
            removed.append(target.name)
        except FileNotFoundError:
            pass
        except OSError:
            kept.append(target.name)
    try:
        atomic.write_text(paths.special_report("summary"), text_reports.reports_not_written(
            paths.name, problem))
    except OSError:
        pass  # the disk is still full: no summary is better than a stale one
    said = []
    if removed:
        said.append(f"the earlier reports it would replace were removed ({', '.join(removed)})")
    if kept:
        said.append(f"earlier reports could not be removed and are stale ({', '.join(kept)})")
    return "; ".join(said)


def _entries(results: Mapping[str, res.SampleResult]) -> dict[str, bl.Entry]:
    return {s: bl.entry_of(r.outcome, r.verdict.counts) for s, r in results.items()}


def stored_reference(paths: sessions.SessionPaths, sample: str,
                     references: StoredReferences | None = None) -> Reference | None:
    """The sample's reference as the session stored it (None: none, or not usable),
    read through the run's `references` (None: read here).

    Not checked against the sample file: it describes the file the session
    played, which a bundle's receiver may not have.
    """
    try:
        return (references or StoredReferences()).load(paths.reference(sample))[1]
    except BadReferenceError:
        return None


def _sample_result(paths: sessions.SessionPaths, sample: str, result: res.SampleResult | None,
                   retry_state: Mapping[str, Mapping[str, Any]], references: StoredReferences,
                   *, needs_events: Callable[[res.SampleResult], bool] | None = None,
                   asked_driver: str | None = None
                   ) -> tuple[res.SampleResult | None,
                              an.ValidRecording | UnreadableRecordingError | None]:
    """A sample's result (None: never recorded) and its judged recording
    (None: not read).

    With the run's `result`, the recording is read only when `needs_events`
    says its events are shown, and keeps the run's verdict while it is the
    version the run judged (rereading.read_judged). Without, the recording
    gives the result: read and judged once, against the stored reference,
    as the run judged it.
    """
    path = paths.recording(sample)
    reference = partial(stored_reference, paths, sample, references)
    if result is not None:
        if needs_events is None or not needs_events(result) or not path.exists():
            return result, None
        try:
            return result, read_judged(path, result.verdict, result.recording_stamp, reference,
                                       no_reference=NO_STORED_REFERENCE)
        except UnreadableRecordingError as exc:
            return result, exc
    if not path.exists():
        return _unrecorded(paths, sample, retry_state), None
    try:
        rec: an.ValidRecording | UnreadableRecordingError = an.read(
            path, reference(), no_reference=NO_STORED_REFERENCE)
    except UnreadableRecordingError as exc:
        rec = exc
    analysis = rec.verdict if isinstance(rec, an.ValidRecording) \
        else an.Verdict(an.UNREADABLE, reason=rec.problem)
    if analysis.outcome == an.CRASHED:
        analysis = _unfinished(paths.playing(sample)) or analysis
    analysis = drivers.judged_for(asked_driver, analysis)
    state = retry_state.get(sample, {})
    return res.SampleResult(sample, analysis, attempts=state.get("attempts", 1),
                            crashed_attempts=state.get("crashed_attempts", 0),
                            recording=str(path),
                            retry_reasons=tuple(tuple(r) for r in
                                                state.get("retry_reasons", ()))), rec


def _unrecorded(paths: sessions.SessionPaths, sample: str,
                retry_state: Mapping[str, Mapping[str, Any]]) -> res.SampleResult | None:
    """A sample without a recording: never recorded (None), or its last play
    could not be recorded (a full disk) and moved the one before aside
    (playback._not_recorded). That one is not the last play's result; the
    run that played it called the play a crash, and so does this."""
    aside = paths.superseded(sample)
    if not aside.exists():
        return None
    state = retry_state.get(sample, {})
    reason = (f"its last play could not be recorded; the recording before it "
              f"({aside.name}) is not that play's")
    return res.SampleResult(sample, an.Verdict(an.CRASHED, reason=reason),
                            attempts=state.get("attempts", 1),
                            crashed_attempts=state.get("crashed_attempts", 1),
                            recording=str(paths.recording(sample)))


def _unfinished(marker: Path) -> an.Verdict | None:
    """A crash placeholder with a play marker beside it is no crash: the play
    was interrupted, is going on now in a live process, or the process that
    played it is gone. A crash of the player leaves no marker (the run that
    sees it judges the play and removes it): a marker whose process is gone
    says the run itself died (SIGKILL, a killed xdist worker) mid-play."""
    state = play_marker.read(marker)
    if state is None:
        return None
    if state.interrupted:
        return an.Verdict(an.INTERRUPTED, reason="the run was interrupted while it played")
    if state.player_alive():
        return an.Verdict(an.PLAYING, reason=f"being played now (process {state.pid})")
    return an.Verdict(an.INTERRUPTED, reason=f"the run playing it (process {state.pid}) "
                                             "ended before the play did: killed?")


def session_results(paths: sessions.SessionPaths) -> dict[str, res.SampleResult | None]:
    """Every playlist sample's result from its recording (None: no recording)."""
    retry_state = sessions.load_retry_state(paths)
    references = StoredReferences()
    asked = group_driver(paths)
    return {sample: _sample_result(paths, sample, None, retry_state, references,
                                   asked_driver=asked)[0]
            for sample in sessions.session_playlist(paths)}


def group_driver(paths: sessions.SessionPaths) -> str | None:
    """The driver a driver group's plays asked for (--mp-drivers), else None:
    read again later, its plays are judged on the driver they got as the run
    judged them (judge/drivers.py)."""
    versions = sessions.load_versions(paths)
    if versions.get(driver_groups.DRIVER_GROUP_KEY) is not True:
        return None
    audio = versions.get("audio")
    return audio if isinstance(audio, str) else None


def session_groups(places: list[tuple[str, sessions.SessionPaths]], versions: Mapping[str, object],
                   everything: Mapping[str, res.SampleResult | None]) -> list[groups.Row]:
    """The places a merged session's samples were played (groups.py), each
    with the results of the samples it played; [] for a session played in one.

    `places`: the session's groups (labelled_groups), whole sessions of their
    own; a session merged before they were keeps each sample's place in its
    versions.
    """
    if not places:
        return groups.rows_of_mixed_versions(versions, everything, groups.MIXED_VERSIONS_KEY)
    return [(label, {s: r for s, r in session_results(group).items() if r is not None})
            for label, group in places]


def labelled_groups(paths: sessions.SessionPaths) -> list[tuple[str, sessions.SessionPaths]]:
    """(label, session) of each group, labels naming what differs (groups.labels)."""
    group_sessions = [paths.group(n) for n in paths.group_numbers()]
    keys = [groups.key(groups.where(sessions.load_versions(g))) for g in group_sessions]
    named = groups.labels(keys)
    return [(named[k] if keys.count(k) == 1 else f"{named[k]} #{g.name}", g)
            for k, g in zip(keys, group_sessions)]


def _forget_lost(paths: sessions.SessionPaths, lost: list[str]) -> list[str]:
    """A sample whose worker died in flight has no recording, not a crash.

    Its player (killed with the worker) left the crash placeholder; it says
    nothing about the sample, so it is removed, and the summary lists the
    sample among those without a recording.
    """
    notes = []
    for sample in lost:
        target = paths.recording(sample)
        try:
            placeholder = recording.load(target) == recording.crash_placeholder(sample)
        except MediaTestError:
            placeholder = False
        if placeholder:
            target.unlink()
        notes.append(f"{sample}: its xdist worker died while playing it; "
                     "it has no recording in this run")
    return notes


def _write_sample_reports(paths: sessions.SessionPaths, sample: str,
                          result: res.SampleResult | None,
                          rec: an.ValidRecording | UnreadableRecordingError | None) -> None:
    """all/anomalies for every non-perfect play; none (stale ones removed) otherwise."""
    targets = [paths.report(sample, name) for name in ("all", "anomalies")]
    if result is None or result.outcome in (an.PERFECT, an.MISSING) or rec is None:
        for target in targets:
            target.unlink(missing_ok=True)
        return
    if isinstance(rec, an.ValidRecording):
        texts = [sample_report(rec, name, result.verdict) for name in ("all", "anomalies")]
    else:
        texts = [f"{sample}: no report: {rec}\n"] * 2
    for target, text in zip(targets, texts):
        atomic.write_text(target, text)


class _Pages:
    """Timeline pages of the samples `plots` chooses, from the judged recordings."""

    def __init__(self, paths: sessions.SessionPaths, plots: str, notes: list[str]) -> None:
        self.paths = paths
        self.plots = plots
        self.notes = notes

    def wants(self, result: res.SampleResult) -> bool:
        """The sample's play gets a page (its recording must be read)."""
        if self.plots == "none":
            return False
        return self.plots == "all" or result.outcome not in (an.PERFECT, an.MISSING)

    def write(self, sample: str, result: res.SampleResult | None,
              rec: an.ValidRecording | UnreadableRecordingError | None,
              reference: Callable[[], Reference | None]) -> None:
        if result is None or rec is None or not self.wants(result):
            return
        if not self.paths.recording(sample).is_file():
            return
        try:
            if isinstance(rec, UnreadableRecordingError):
                raise rec
            write_timeline_page(self.paths, sample, rec,
                                *_page_checks(rec, result, reference()), verdict=result.verdict)
        except ImportError:
            self.notes.append(BOKEH_MISSING)
            self.plots = "none"
        except UnreadableRecordingError as exc:
            self.notes.append(f"no timeline for {sample}: {exc}")


def judged_recording(paths: sessions.SessionPaths, sample: str,
                     references: StoredReferences | None = None
                     ) -> tuple[an.ValidRecording, Reference | None]:
    """A sample's recording judged as the run judged it: against the stored
    reference when the session has one (UnreadableRecordingError as recording.read)."""
    ref = stored_reference(paths, sample, references)
    rec = an.read(paths.recording(sample), ref,
                       no_reference=NO_STORED_REFERENCE)
    return rec, ref


def sample_report(rec: an.ValidRecording, report_name: str,
                  verdict: an.Verdict | None = None) -> str:
    """One of text_reports.AVAILABLE_REPORTS; all and anomalies end with the file's
    view of the play (of `verdict`, the run's, when given)."""
    text = text_reports.AVAILABLE_REPORTS[report_name][0](rec)
    against = "" if report_name == "counter" else \
        text_reports.file_check_report(verdict or rec.verdict)
    return f"{text}\n{against}" if against else text


def write_sample_page(paths: sessions.SessionPaths, sample: str) -> Path:
    """reports/<sample>.timeline.html from the session alone (`pyglet-mp plot`)."""
    rec, ref = judged_recording(paths, sample)
    result = res.SampleResult(sample, rec.verdict)
    return write_timeline_page(paths, sample, rec, *_page_checks(rec, result, ref),
                               verdict=rec.verdict)


def _page_checks(rec: an.ValidRecording, result: res.SampleResult, ref: Reference | None
                 ) -> tuple[FileChecks | None, Reference | None]:
    """The file's checks and reference for a timeline page: in full, against
    the stored reference (no probing), computed once (ValidRecording.checks_against:
    those of the judgement that read the recording, if it was judged against
    that reference), else why the play was not checked."""
    if ref is not None:
        return rec.checks_against(ref), ref
    why = result.verdict.not_checked
    return (FileChecks(judged=False, note=why) if why else None), None


def write_timeline_page(paths: sessions.SessionPaths, sample: str, rec: an.ValidRecording,
                        checks: FileChecks | None = None,
                        reference: Reference | None = None,
                        verdict: an.Verdict | None = None) -> Path:
    """reports/<sample>.timeline.html (ImportError without bokeh); with the
    file's checks and reference, the page plots them too (timeline.render_page).
    `verdict`: the run's (default: the recording's). The session's pages
    share one copy of bokeh's scripts in reports/, written with the first."""
    out = paths.report(sample, "timeline", "html")
    page = timeline.render_page(rec, sample, checks, reference, verdict=verdict,
                                shared_scripts=True,
                                index=paths.special_report("index").name)
    out.parent.mkdir(parents=True, exist_ok=True)
    for name in timeline.page_scripts(page):
        shared = paths.reports_dir / name
        if not shared.is_file():  # the page's name holds bokeh's version: same bytes
            atomic.write_bytes(shared, timeline.script_source(name).read_bytes())
    atomic.write_text(out, page)
    return out


def write_timeline_export(paths: sessions.SessionPaths, sample: str, rec: an.ValidRecording,
                          fmt: str) -> Path:
    """reports/<sample>.timeline.<csv|json|pkl>."""
    fmt = timeline.check_format(fmt)
    out = paths.report(sample, "timeline", fmt)
    data = timeline.export(timeline.build_timeline(rec), fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(out, data)
    return out


def write_comparison(folder: Path, compared: comparison.Comparison,
                     file_name: str | None = None) -> Path:
    """comparison_<session>_<other>.txt (or `file_name`) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (file_name or sessions.comparison_file_name(compared.session, compared.other))
    atomic.write_text(target, comparison.render(compared))
    return target


def samples_version(paths: sessions.SessionPaths) -> str:
    try:
        text = paths.samples_version.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    return text.strip() or "unknown"


def _write_index(paths: sessions.SessionPaths, written: WrittenSummary,
                 expectations: Mapping[str, str], baseline: bl.Baseline | None = None,
                 played_by: Mapping[str, str] | None = None) -> Path:
    """reports/index.html, linking to whatever reports/ holds now (written last)."""
    target = paths.special_report("index")
    present = sorted(p.name for p in paths.reports_dir.iterdir()) if paths.reports_dir.is_dir() \
        else []
    atomic.write_text(target, index_page.render(
        paths.name, samples_version(paths), written.totals, written.results, present,
        text_reports.headline(written.totals), interrupted=written.interrupted,
        recordings={s for s in written.totals.samples if paths.recording(s).is_file()},
        expected=expectations, baseline=_baseline_column(baseline, written.results),
        played_by=played_by or None, drivers=_drivers_column(written.results)))
    return target


def _drivers_column(results: Mapping[str, res.SampleResult]) -> dict[str, str] | None:
    """Each played sample's audio driver, for the index; None when no
    recording names one."""
    drivers = {s: text_reports.driver_used(r.verdict) for s, r in results.items()}
    shown = {s: d for s, d in drivers.items() if d is not None}
    return shown or None


def _baseline_column(baseline: bl.Baseline | None, results: Mapping[str, res.SampleResult]
                     ) -> dict[str, tuple[str, str]] | None:
    """sample -> (its baseline entry, how now compares), for index.html."""
    if baseline is None:
        return None
    now = _entries(results)
    column = {}
    for sample, entry in now.items():
        base = baseline.entries.get(sample)
        column[sample] = (bl.render_entry(base), bl.describe(base, entry))
    return column


def mixed_versions_section(versions: Mapping[str, Any],
                           places: Sequence[tuple[str, Mapping[str, Any], int]] = ()) -> str:
    """The summary's account of a merge of sources played in different places.

    `places`: per group of the session (groups/NN), its label, its versions
    and how many samples it played; none for a session merged before groups
    had sessions of their own (each sample's place is then listed).
    """
    per_sample = versions.get(groups.MIXED_VERSIONS_KEY)
    if not isinstance(per_sample, dict) or not per_sample:
        return ""
    head = ("*** Mixed versions: this session merges runs played by different pyglet or "
            "FFmpeg versions, platforms or audio drivers (pyglet-mp merge --allow-mixed); ")
    if not places:
        lines = [head + "each sample's:"]
        lines.extend(f"\t{sample}: {groups.full_label(info)} ({info.get('source')})"
                     for sample, info in sorted(per_sample.items()) if isinstance(info, dict))
        return "\n".join(lines) + "\n"
    lines = [head + "one group per place, each a session of its own in groups/NN:"]
    for number, (label, info, played) in enumerate(places, start=1):
        sources = info.get(groups.SOURCES_KEY)
        sources = ", ".join(str(s) for s in sources) if isinstance(sources, list) else "?"
        lines.append(f"\t{number} {label}: {groups.full_label(groups.where(info))}; "
                     f"{counted(played, 'sample')} played; from {sources}")
    first = groups.key(groups.where(places[0][1]))
    elsewhere = sorted(s for s, info in per_sample.items()
                       if isinstance(info, dict) and groups.key(info) != first)
    lines.append("The per-sample reports and timelines show group 1's recordings"
                 + (f"; of a later group for the samples group 1 did not play: "
                    f"{', '.join(elsewhere)}" if elsewhere else "") + ".")
    return "\n".join(lines) + "\n"
