"""Text reports: pure functions from data to str (no files, no pyglet).

The per-sample reports are the original scripts' `all`, `anomalies` and
`counter`; the summary follows the original summarize.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from ..core.events import EVENTS, iter_states
from ..core.names import counted
from ..judge import analysis as an
from ..judge import results as res
from ..judge.rules import DEFECT_KINDS, EVENT_RULES

#: the seed's score, kept under its old name for the original scripts' users:
#: said in words because the name alone does not say how it is computed
NAIVE_QUALITY_MEANS = ("  (every anomaly counted, divided by the relevant samples: "
                       "anomalies per relevant sample; 0 is perfect, lower is better)")

_NO_INDENT = {"crash", "mp.im", "mp.src", "mp.err", "mp.end", "p.P._sp", "p.P.sk",
              "p.P.ut.1.0", "p.P.oe"}
#: what the anomalies report shows beside the defects: the play's start and
#: end, its source, seeks, crashes and errors
_CONTEXT_EVENTS = {"crash", "mp.im", "mp.src", "mp.err", "mp.end", "p.P.sk", "p.P.oe"}


def _render_event(state: Mapping[str, Any], prefix: str) -> str:
    spec = EVENTS[state["evname"]]
    parts = [prefix, spec.desc]
    parts.extend(f" {name}: {state[name]}" for name in spec.fields)
    if spec.shown_with:
        parts.append(" ;")
        parts.extend(f" {name}: {state[name]}" for name in spec.shown_with)
    return "".join(parts)


def report_all(rec: an.ValidRecording) -> str:
    """Every event, in order, with the frame number: the play as text."""
    lines = []
    for state in iter_states(rec.body):
        indent = "" if state["evname"] in _NO_INDENT else "    "
        lines.append(f"{state['frame_num']:4d} " + _render_event(state, indent))
    return "\n".join(lines) + "\n"


def report_anomalies(rec: an.ValidRecording) -> str:
    """Start, end and interesting events only: the context events and every
    event a defect rule (rules.EVENT_RULES) names.

    An event whose rule needs a negative value (a re-scheduling, routine
    until it goes into the past) is shown only then, as its defect and that
    value. The others are shown as they are, the end-of-stream noise too:
    the report shows how the play ended.
    """
    lines = []
    events = rec.body
    for event, state in zip(events, iter_states(events)):
        name = event[0]
        rule = EVENT_RULES.get(name)
        if rule is not None and rule.only_if_negative:
            if rule.condition_met(event):
                field = EVENTS[name].fields[0]
                description = DEFECT_KINDS[rule.kind].description
                lines.append(f"{state['frame_num']:4d} !!! {description}, {field}: {event[1]:f}")
        elif rule is not None or name in _CONTEXT_EVENTS:
            lines.append(_render_event(state, f"{state['frame_num']:4d} "))
    return "\n".join(lines) + "\n"


def format_counts(counts: Mapping[str, int], sample: str | None = None) -> str:
    lines = an.describe_counts(counts)
    text = ("Counts of anomalies\nqtty anomaly\n" + "\n".join(lines)) if lines \
        else "No anomalies detected."
    return f"Sample: {sample}\n{text}" if sample is not None else text


def report_counter(rec: an.ValidRecording) -> str:
    """How many occurrences of each defect."""
    result = rec.verdict
    text = format_counts(result.counts)
    if result.outcome in an.NOT_RELEVANT:
        text = f"Outcome: {result.outcome} ({result.reason})\n{text}"
    return text + "\n"


#: name -> (renderer, description shown by --help); the one table of reports
AVAILABLE_REPORTS: dict[str, tuple[Callable[[an.ValidRecording], str], str]] = {
    "anomalies": (report_anomalies, "Start, end and interesting events"),
    "all": (report_all, "All data is exposed as text"),
    "counter": (report_counter, "How many occurrences of each defect"),
}


# -- the item's failure message ----------------------------------------------


def failure_message(sample: str, result: an.Verdict, recording: str) -> str:
    """What pytest shows for a failed sample: defects, first anomalies, recording."""
    if result.outcome == an.UNPLAYABLE:
        return f"{sample}: cannot be played: {result.reason}"
    if result.outcome == an.UNREADABLE:
        return f"{sample}: the recording {recording} is unreadable: {result.reason}"
    if result.outcome == an.MISSING:
        return f"{sample}: {result.reason}"
    lines = []
    if result.outcome == an.OVERLOADED:
        lines.append(f"{sample}: {result.total_defects} late frames, but {result.reason}")
    elif result.outcome in an.RETRYABLE:
        what = "timed out" if result.outcome == an.TIMEOUT else "crashed"
        lines.append(f"{sample}: the player {what}: {result.reason}")
    else:
        total = result.total_defects
        lines.append(f"{sample}: {total} defect{'s' if total != 1 else ''} while playing"
                     + (f" a {result.duration:.2f} s source" if result.duration else ""))
    if result.counts:
        lines.extend(an.describe_counts(result.counts))
    if result.excused:
        n = sum(result.excused.values())
        lines.append(f"not counted: {counted(n, 'defect')} where the player waited for a CPU "
                     f"(the machine's): {', '.join(sorted(result.excused))}")
    lines.extend(file_check_lines(result))
    if result.anomalies:
        lines.append("first anomalies:")
        lines.extend(f"  {a.describe()}" for a in result.anomalies)
    lines.append(f"recording: {recording}")
    return "\n".join(lines)


def file_check_lines(result: an.Verdict) -> list[str]:
    """What the file (ffprobe) says of the play: one line per kind found,
    naming frames, times and streams; or why it was not checked."""
    if result.not_checked:
        return [f"not checked against the file: {result.not_checked}"]
    checks = result.checks
    if checks is None or not checks.messages:
        return []
    return ["against the file (ffprobe):"] + [
        f"  {kind}: {message}" for kind, message in sorted(checks.messages.items())]


def file_check_report(result: an.Verdict) -> str:
    """The section the per-sample reports end with: the play against the file,
    with every missing frame and stall kept (analysis.MAX_FILE_DETAIL)."""
    title = "-- Against the file (ffprobe's reference) --"
    if result.not_checked:
        return f"{title}\nNot checked against the file: {result.not_checked}\n"
    checks = result.checks
    if checks is None:
        return ""
    if not checks.judged:
        return f"{title}\nNot checked against the file: {checks.note}\n"
    lines = [title]

    def seconds(value: float | None) -> str:
        return "unknown" if value is None else f"{value:.3f} s"

    lines.append(f"frames in the file: {checks.frames_in_file}, shown: {checks.frames_shown}, "
                 f"discarded by pyglet: {checks.frames_discarded}")
    lines.append(f"durations: play {seconds(checks.play_duration)}, file (ffprobe) "
                 f"{seconds(checks.file_duration)}, pyglet's {seconds(checks.pyglet_duration)}; "
                 f"pyglet's time shift {checks.time_shift:.3f} s")
    for kind, message in sorted(checks.messages.items()):
        lines.append(f"{kind}: {message}")
    missing = checks.missing_frames
    if missing:
        n = checks.counts.get("frames_not_shown", len(missing))
        shown = f" (the first {len(missing)} of {n})" if n > len(missing) else ""
        lines.append(f"frames never shown, file times{shown}:")
        lines.extend(f"  {t:.3f} s" for t in missing)
    if checks.stalls:
        n = checks.counts.get("stall", len(checks.stalls))
        shown = f" (the first {len(checks.stalls)} of {n})" if n > len(checks.stalls) else ""
        lines.append(f"stalls{shown}: play time from - to, frame (file time), held, "
                     "the file's interval:")
        lines.extend(f"  {start:.3f} s - {end:.3f} s  frame {t:.3f} s  held {end - start:.3f} s"
                     f"  file {expected:.3f} s" for start, end, t, expected in checks.stalls)
    if checks.av_slope is not None:
        # measured on plays long enough: audio_drift when beyond its threshold
        lines.append(f"A/V offset slope: {checks.av_slope * 1000:+.2f} ms per second of play")
    if checks.note:
        lines.append(f"note: {checks.note}")
    return "\n".join(lines) + "\n"


def attempt_message(sample: str, result: an.Verdict, recording: str,
                    stderr_tail: str | None) -> str:
    """The failure message of one attempt; a crash or timeout shows the
    last lines the player wrote to stderr."""
    message = failure_message(sample, result, recording)
    if result.outcome in an.RETRYABLE and stderr_tail and stderr_tail.strip():
        tail = stderr_tail.strip().splitlines()[-12:]
        message += "\nplayer stderr (last lines):\n" + "\n".join(f"  {line}" for line in tail)
    return message


# -- session reports ---------------------------------------------------------


def reports_not_written(session: str, problem: str) -> str:
    """00_summary.txt of a run that could not write its reports: says so in
    place of an earlier run's summary, which no longer describes the session."""
    return (f"Session: {session}\n"
            f"*** The reports of the last run into this session could not be written: "
            f"{problem}\n"
            "The earlier summary and index were removed: they described an earlier run. "
            "Other reports in this folder may be an earlier run's too.\n"
            "Write them again from the recordings with: pyglet-mp summarize\n")


def summary(session: str, samples_version: str, totals: res.SessionTotals, *,
            interrupted: bool = False, notes: Sequence[str] = (),
            not_checked: Mapping[str, str] | None = None) -> str:
    """00_summary.txt: the original summarize, plus what it could not know.

    `not_checked`: the played samples that were not checked against the file,
    and why (a line says how many; an appendix lists them).
    """
    not_checked = not_checked or {}
    parts = [f"Summary of media_player debug info for session: {session}",
             f"Samples version: {samples_version}"]
    if interrupted:
        parts.append("*** The run was interrupted: only the samples played so far are counted.")
    parts.extend(notes)
    if not_checked:
        were = "was" if len(not_checked) == 1 else "were"
        parts.append(f"*** Reference checks skipped: {counted(len(not_checked), 'played sample')} "
                     f"{were} not checked against the file (see the appendix)")
    parts.append(f"Samples in the playlist: {len(totals.samples)}")
    if totals.missing:
        parts.append(f"Samples with no .dbg recording: {len(totals.missing)}")
    else:
        parts.append("All samples have a .dbg recording.")
    crashed = len(totals.crashed) - len(totals.timed_out)
    if crashed:
        parts.append(f"Samples that always crashed: {crashed}")
    if totals.timed_out:
        parts.append(f"Samples that always timed out: {len(totals.timed_out)}")
    if not totals.crashed:
        parts.append("All samples (finally) got a report with no crash.")
    if totals.unplayable:
        parts.append(f"Samples the player could not open: {len(totals.unplayable)}")
    if totals.unreadable:
        parts.append(f"Samples with an unreadable recording: {len(totals.unreadable)}")
    if totals.unfinished:
        parts.append(f"Samples interrupted or being played, without a verdict: "
                     f"{len(totals.unfinished)} (not counted as crashes)")
    if totals.overloaded:
        parts.append(f"*** Samples played while the machine was overloaded: "
                     f"{len(totals.overloaded)} (their late frames are not counted "
                     "against them; run fewer players at once)")
    n = totals.relevant
    parts.append(f"Relevant samples (all - no_dbg - crashed - unplayable): {n}")
    if n == 0:
        parts.append("*** Error, no relevant samples remains to calculate score.")
    else:
        parts.extend([
            f"Naive quality number (anomalies / samples): {totals.defects_per_sample:f}",
            NAIVE_QUALITY_MEANS,
            f"Relevant samples with perfect play: {len(totals.perfect)} / {n}",
            f"Relevant samples with anomalies   : {len(totals.non_perfect)} / {n}",
        ])
    parts.append("")
    parts.append(crash_retries(totals))
    parts.append("")
    if totals.non_perfect:
        parts.append("Per sample defects info (always crashed and perfect plays not listed)\n")
        for sample in sorted(totals.non_perfect):
            parts.append(format_counts(totals.non_perfect[sample], sample))
            parts.append("")
    if not_checked:
        parts.append("Appendix, samples not checked against the file")
        parts.extend(f"\t{s}: {why}" for s, why in sorted(not_checked.items()))
        parts.append("")
    for title, samples in (("Appendix, samples interrupted or being played (no verdict)",
                            totals.unfinished),
                           ("Appendix, samples played while the machine was overloaded",
                            totals.overloaded),
                           ("Appendix, samples the player could not open", totals.unplayable),
                           ("Appendix, samples with an unreadable recording", totals.unreadable),
                           ("Appendix, list of samples without dbg", totals.missing)):
        if samples:
            parts.append(title)
            parts.extend(f"\t{s}" for s in samples)
            parts.append("")
    return "\n".join(parts).rstrip("\n") + "\n"


#: how summaries name the retries of each kind (results.retry_reason's kinds)
RETRY_LABELS = {an.CRASHED: ("crash retry", "crash retries"),
                an.TIMEOUT: ("timeout retry", "timeout retries"),
                an.OVERLOADED: ("overload retry", "overload retries"),
                res.UNRECORDED: ("retry of an older run (no reason kept)",
                                 "retries of an older run (no reason kept)")}


def retry_counts(totals: res.SessionTotals) -> list[str]:
    """'2 crash retries', '1 timeout retry', ...: each kind apart, crashes
    counting crashes only."""
    return [counted(totals.retries_by_kind[kind], *RETRY_LABELS[kind])
            for kind in RETRY_LABELS if totals.retries_by_kind.get(kind)]


def crash_retries(totals: res.SessionTotals) -> str:
    """The summary's retries section: how many of each kind, the samples
    that crashed or timed out (each said as what it was), and why each
    sample was played again."""
    parts = []
    if totals.total_retries and set(totals.retries_by_kind) != {an.CRASHED}:
        parts.append(f"Retries in this run: {totals.total_retries} "
                     f"({', '.join(retry_counts(totals))})")
    if not totals.sometimes_crashed and not totals.always_crashed:
        parts.append("No sample crashed the player.")
    else:
        parts.append(f"Crash retries in this run: {totals.crash_retries}")
        timed_out = set(totals.timed_out)
        sometimes_timed_out = {s for s in totals.sometimes_crashed
                               if s in totals.retry_reasons
                               and an.CRASHED not in dict(totals.retry_reasons[s])}
        always = [s for s in totals.always_crashed if s not in timed_out]
        # the original summarize always lists the crashes that finally played
        # ("<none>"); timeouts only when there are some
        groups = [("Samples that always crashed (in every attempt to play)", always, False),
                  ("Samples that always timed out (in every attempt to play)",
                   [s for s in totals.always_crashed if s in timed_out], False),
                  ("Samples that crashed but finally played entirely",
                   [s for s in totals.sometimes_crashed if s not in sometimes_timed_out],
                   bool(always) or not timed_out),
                  ("Samples that timed out but finally played entirely",
                   sorted(sometimes_timed_out), False)]
        shown = [(title, samples, always) for title, samples, always in groups
                 if samples or always]
        for n, (title, samples, _) in enumerate(shown):
            if n and samples:
                parts.append("")
            parts.append(title)
            parts.extend(sorted(samples) or ["<none>"])
    if totals.retry_reasons:
        parts.append("")
        parts.append("Why samples were played again (each retry)")
        for sample, reasons in sorted(totals.retry_reasons.items()):
            parts.extend(f"\t{sample}: {words}" for _, words in reasons)
    return "\n".join(parts)


def retry_lines(result: res.SampleResult) -> list[str]:
    """Why a sample was played again, one line per retry: for its failure message."""
    return [f"played again after play {n}: {words}"
            for n, (_, words) in enumerate(result.retry_reasons, 1)]


def headline(totals: res.SessionTotals) -> str:
    """One line for the terminal summary."""
    bits = [counted(len(totals.samples), "sample"), f"{len(totals.perfect)} perfect",
            f"{len(totals.non_perfect)} with defects"]
    timed_out = set(totals.timed_out)
    crashed = tuple(s for s in totals.crashed if s not in timed_out)
    for label, group in (("crashed", crashed), ("timed out", totals.timed_out),
                         ("unplayable", totals.unplayable),
                         ("overloaded", totals.overloaded),
                         ("interrupted or playing", totals.unfinished),
                         ("unreadable", totals.unreadable), ("not played", totals.missing)):
        if group:
            bits.append(f"{len(group)} {label}")
    bits.extend(retry_counts(totals))
    return ", ".join(bits)


def driver_used(verdict: an.Verdict) -> str | None:
    """"pulse (server unix:/run/...)": the audio driver a play really used, or
    None when its recording does not say (pyglet's own logger, older players)."""
    if verdict.audio_driver is None:
        return None
    name, where, _failures = verdict.audio_driver
    return f"{name} ({where})" if where else name


def audio_drivers_section(results: Mapping[str, res.SampleResult],
                          asked: Sequence[str] | None) -> str:
    """Which audio drivers pyglet really used, and the plays that did not get
    the first driver asked for (pyglet falls back along --mp-audio without a
    word, finally to silent), with why the drivers before failed."""
    used: dict[str, int] = {}
    fell_back: list[str] = []
    first = asked[0] if asked else None
    for sample, result in sorted(results.items()):
        driver = result.verdict.audio_driver
        if driver is None:
            continue
        name, _where, failures = driver
        label = driver_used(result.verdict) or name
        used[label] = used.get(label, 0) + 1
        if first is not None and name != first:
            fell_back.append(f"\t{sample}: {name}" + (f" ({failures})" if failures else ""))
    if not used:
        return ""
    counts = ", ".join(f"{label}: {n} {_samples(n)}" for label, n in sorted(used.items()))
    head = f" (asked for: {', '.join(asked)})" if asked else ""
    lines = [f"Audio drivers pyglet used{head}: {counts}"]
    if fell_back:
        lines.append(f"*** {len(fell_back)} {_samples(len(fell_back))} did not play on "
                     f"{first}, the first driver asked for:")
        lines.extend(fell_back)
    return "\n".join(lines) + "\n"


def _samples(n: int) -> str:
    return "sample" if n == 1 else "samples"


def pyglet_info(versions: Mapping[str, Any], drivers_section: str = "") -> str:
    """03_pyglet_info.txt: what played the samples (captured at session
    creation), and the audio drivers the plays really used."""
    if not versions:
        return "No version information was captured for this session.\n" + (
            "\n" + drivers_section if drivers_section else "")
    lines = ["Captured when the session was created.", ""]
    labels = [("pyglet", "pyglet"), ("pyglet_path", "pyglet location"), ("ffmpeg", "FFmpeg"),
              ("ffmpeg_libraries", "FFmpeg libraries (major versions)"),
              ("python", "Python"), ("python_executable", "Python executable"),
              ("platform", "OS"), ("machine", "machine"),
              ("audio", "audio drivers (--mp-audio)"), ("error", "error")]
    for key, label in labels:
        if key in versions:
            value = versions[key]
            if isinstance(value, dict):
                value = ", ".join(f"{k} {v}" for k, v in value.items())
            lines.append(f"{label}: {value}")
    if drivers_section:
        lines.extend(["", drivers_section.rstrip("\n")])
    return "\n".join(lines) + "\n"


def pyglet_revision(versions: Mapping[str, Any]) -> str:
    return str(versions.get("pyglet_revision", "unknown: not captured")) + "\n"
