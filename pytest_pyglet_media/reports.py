"""Text reports: pure functions from data to str (no files, no pyglet).

The per-sample reports are the original scripts' `all`, `anomalies` and
`counter`; the summary follows the original summarize.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from . import analysis as an
from . import results as res
from .events import EVENTS, iter_states

_NO_INDENT = {"crash", "mp.im", "mp.src", "mp.err", "mp.end", "p.P._sp", "p.P.sk",
              "p.P.ut.1.0", "p.P.oe"}
_ANOMALY_EVENTS = {"crash", "mp.im", "mp.src", "mp.err", "mp.end", "p.P.sk",
                   "p.P.ut.1.5", "p.P.ut.1.7", "p.P.ut.1.8", "p.P.oe"}


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
    """Start, end and interesting events only."""
    lines = []
    for state in iter_states(rec.body):
        name = state["evname"]
        if name == "p.P.ut.1.9":
            rt = state["rescheduling_time"]
            if rt is not None and rt < 0:
                lines.append(f"{state['frame_num']:4d} !!! Scheduling in the past, "
                             f"rescheduling_time: {rt:f}")
        elif name in _ANOMALY_EVENTS:
            lines.append(_render_event(state, f"{state['frame_num']:4d} "))
    return "\n".join(lines) + "\n"


def format_counts(counts: Mapping[str, int], sample: str | None = None) -> str:
    lines = an.describe_counts(counts)
    text = ("Counts of anomalies\nqtty anomaly\n" + "\n".join(lines)) if lines \
        else "No anomalies detected."
    return f"Sample: {sample}\n{text}" if sample is not None else text


def report_counter(rec: an.ValidRecording) -> str:
    """How many occurrences of each defect."""
    result = rec.analysis
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


def failure_message(sample: str, result: an.PlayAnalysis, recording: str) -> str:
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
    elif result.outcome in (an.CRASHED, an.TIMEOUT):
        what = "timed out" if result.outcome == an.TIMEOUT else "crashed"
        lines.append(f"{sample}: the player {what}: {result.reason}")
    else:
        total = result.total_defects
        lines.append(f"{sample}: {total} defect{'s' if total != 1 else ''} while playing"
                     + (f" a {result.duration:.2f} s source" if result.duration else ""))
    if result.counts:
        lines.extend(an.describe_counts(result.counts))
    if result.anomalies:
        lines.append("first anomalies:")
        lines.extend(f"  {a.describe()}" for a in result.anomalies)
    lines.append(f"recording: {recording}")
    return "\n".join(lines)


def attempt_message(sample: str, result: an.PlayAnalysis, recording: str,
                    stderr_tail: str | None) -> str:
    """The failure message of one attempt; a crash or timeout shows the
    last lines the player wrote to stderr."""
    message = failure_message(sample, result, recording)
    if result.outcome in an.RETRYABLE and stderr_tail and stderr_tail.strip():
        tail = stderr_tail.strip().splitlines()[-12:]
        message += "\nplayer stderr (last lines):\n" + "\n".join(f"  {line}" for line in tail)
    return message


# -- session reports ---------------------------------------------------------


def summary(session: str, samples_version: str, totals: res.SessionTotals, *,
            interrupted: bool = False, notes: Sequence[str] = ()) -> str:
    """00_summary.txt: the original summarize, plus what it could not know."""
    parts = [f"Summary of media_player debug info for session: {session}",
             f"Samples version: {samples_version}"]
    if interrupted:
        parts.append("*** The run was interrupted: only the samples played so far are counted.")
    parts.extend(notes)
    parts.append(f"Samples in the playlist: {len(totals.samples)}")
    if totals.missing:
        parts.append(f"Samples with no .dbg recording: {len(totals.missing)}")
    else:
        parts.append("All samples have a .dbg recording.")
    if totals.crashed:
        parts.append(f"Samples that always crashed: {len(totals.crashed)}")
    else:
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


def crash_retries(totals: res.SessionTotals) -> str:
    if not totals.sometimes_crashed and not totals.always_crashed:
        return "No sample crashed the player."
    parts = [f"Crash retries in this run: {totals.total_retries}"]
    if totals.always_crashed:
        parts.append("Samples that always crashed (in every attempt to play)")
        parts.extend(sorted(totals.always_crashed))
    if totals.always_crashed and totals.sometimes_crashed:
        parts.append("")
    parts.append("Samples that crashed but finally played entirely")
    parts.extend(sorted(totals.sometimes_crashed) or ["<none>"])
    return "\n".join(parts)


def headline(totals: res.SessionTotals) -> str:
    """One line for the terminal summary."""
    bits = [f"{len(totals.samples)} samples", f"{len(totals.perfect)} perfect",
            f"{len(totals.non_perfect)} with defects"]
    for label, group in (("crashed", totals.crashed), ("unplayable", totals.unplayable),
                         ("overloaded", totals.overloaded),
                         ("interrupted or playing", totals.unfinished),
                         ("unreadable", totals.unreadable), ("not played", totals.missing)):
        if group:
            bits.append(f"{len(group)} {label}")
    if totals.total_retries:
        bits.append(f"{totals.total_retries} crash retries")
    return ", ".join(bits)


def pyglet_info(versions: Mapping[str, Any]) -> str:
    """03_pyglet_info.txt: what played the samples (captured at session creation)."""
    if not versions:
        return "No version information was captured for this session.\n"
    lines = ["Captured when the session was created.", ""]
    labels = [("pyglet", "pyglet"), ("pyglet_path", "pyglet location"), ("ffmpeg", "FFmpeg"),
              ("ffmpeg_libraries", "FFmpeg libraries (major versions)"),
              ("python", "Python"), ("python_executable", "Python executable"),
              ("platform", "OS"), ("machine", "machine"), ("error", "error")]
    for key, label in labels:
        if key in versions:
            value = versions[key]
            if isinstance(value, dict):
                value = ", ".join(f"{k} {v}" for k, v in value.items())
            lines.append(f"{label}: {value}")
    return "\n".join(lines) + "\n"


def pyglet_revision(versions: Mapping[str, Any]) -> str:
    return str(versions.get("pyglet_revision", "unknown: not captured")) + "\n"
