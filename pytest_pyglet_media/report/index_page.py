"""reports/index.html: the page people open first after a run.

A static page (no server, no script, no network): every sample with its
verdict, defect counts and retries, linking to its text reports, timeline and
recording. Pure function from data to HTML text.
"""
from __future__ import annotations

import html
from typing import Any, Collection, Mapping, Sequence
from urllib.parse import quote

from ..judge import analysis as an
from ..judge import pictures
from ..judge import results as res
from ..store.sessions import (
    LINKED_SPECIAL_REPORTS,
    is_comparison_report,
    picture_preview_link_from_reports,
    recording_link_from_reports,
    report_file_name,
)

_COLOURS = {an.PERFECT: "#d9f2d9", an.DEFECTS: "#ffe8b3", an.CRASHED: "#f7c6c6",
            an.TIMEOUT: "#f7c6c6", an.UNPLAYABLE: "#e6d9f2", an.UNREADABLE: "#f7c6c6",
            an.MISSING: "#eeeeee", an.OVERLOADED: "#e0ecf7", an.INTERRUPTED: "#eeeeee",
            an.PLAYING: "#eeeeee"}


def _link(href: str, text: str) -> str:
    return f'<a href="{html.escape(quote(href), quote=True)}">{html.escape(text)}</a>'


def _baseline_cell(cell: tuple[str, str] | None) -> str:
    if cell is None:
        return "<td></td>"
    entry, change = cell
    return f"<td>{html.escape(entry)}<br><small>{html.escape(change)}</small></td>"


def render(session: str, samples_version: str, totals: res.SessionTotals,
           results: Mapping[str, res.SampleResult], report_files: Sequence[str],
           headline: str, interrupted: bool = False,
           recordings: Collection[str] | None = None,
           expected: Mapping[str, str] | None = None,
           baseline: Mapping[str, tuple[str, str]] | None = None,
           played_by: Mapping[str, str] | None = None,
           drivers: Mapping[str, str] | None = None) -> str:
    """`report_files` are the names present in reports/ (links only to what exists);
    `recordings`, when given, the samples whose recording exists; `expected`,
    the samples.toml expectation ("defect: reason") of samples not expected to pass;
    `baseline`, when given (a baseline is in use), each sample's baseline entry
    and how now compares ("same", "worse: ..."), shown in a "baseline" column;
    `played_by`, when given (a session merged with mixed versions), each
    sample's group (groups.py), shown in a "played by" column; `drivers`,
    when given, the audio driver each play really used, in a last "audio" column."""
    expected = expected or {}
    present = set(report_files)
    rows = []
    for sample in totals.samples:
        result = results.get(sample)
        outcome = result.outcome if result else an.MISSING
        counts = result.verdict.counts if result else {}
        defects = "<br>".join(html.escape(line.strip()) for line in an.describe_counts(counts))
        if result and result.verdict.reason and outcome != an.DEFECTS:
            defects = html.escape(result.verdict.reason)
        checks = result.verdict.checks if result else None
        if checks is not None and checks.messages:
            defects += "".join(f"<br><small>{html.escape(kind)}: {html.escape(message)}</small>"
                               for kind, message in sorted(checks.messages.items()))
        if checks is not None and checks.pictures:
            defects += _picture_previews(sample, checks.pictures)
        not_checked = result.verdict.not_checked if result else ""
        if not_checked:
            defects += ("<br>" if defects else "") + (
                f'<small title="{html.escape(not_checked, quote=True)}">'
                "not checked against the file</small>")
        retries = str((result.attempts - 1) if result else 0)
        if result is not None and result.retry_reasons:
            retries += "".join(f"<br><small>{html.escape(words)}</small>"
                               for _, words in result.retry_reasons)
        reports = [(report_file_name(sample, name, ext), label) for name, ext, label in
                   (("all", "txt", "all"), ("anomalies", "txt", "anomalies"),
                    ("timeline", "html", "timeline"))]
        links = [_link(file_name, label) for file_name, label in reports if file_name in present]
        # a result without a recording file (the player wrote none) links to none
        if result is not None and (recordings is None or sample in recordings):
            links.append(_link(recording_link_from_reports(sample), "recording"))
        rows.append(
            f'<tr style="background:{_COLOURS.get(outcome, "#fff")}">'
            f"<td>{html.escape(sample)}</td>"
            + (f"<td>{html.escape(played_by.get(sample, 'not played'))}</td>"
               if played_by is not None else "")
            + f"<td>{html.escape(outcome)}"
            + (f"<br><small>expected: {html.escape(expected[sample])}</small>"
               if sample in expected else "")
            + "</td>"
            f"<td>{defects}</td>" + (_baseline_cell(baseline.get(sample))
                                     if baseline is not None else "")
            + f"<td>{retries}</td><td>{' '.join(links)}</td>"
            + (f"<td>{html.escape(drivers.get(sample, ''))}</td>" if drivers is not None else "")
            + "</tr>")
    notice = "<p><strong>The run was interrupted: samples not played have no verdict." \
             "</strong></p>" if interrupted else ""
    specials = " ".join(_link(name, name) for name in LINKED_SPECIAL_REPORTS if name in present)
    comparisons = " ".join(_link(name, name) for name in sorted(present)
                           if is_comparison_report(name))
    title = html.escape(f"pyglet media session {session}")
    baseline_head = "<th>baseline</th>" if baseline is not None else ""
    played_by_head = "<th>played by</th>" if played_by is not None else ""
    drivers_head = "<th>audio</th>" if drivers is not None else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #bbb; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }}
</style></head><body>
<h1>{title}</h1>
<p>Samples version: {html.escape(samples_version)}</p>
<p>{html.escape(headline)}</p>
{notice}
<p>{specials} {comparisons}</p>
<table>
<thead><tr><th>sample</th>{played_by_head}<th>verdict</th><th>defects</th>{baseline_head}<th>retries</th><th>reports</th>{drivers_head}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
</body></html>
"""


def _picture_previews(sample: str, compared: Mapping[str, Any]) -> str:
    """The previews of the pictures that differ (play/picture_judging writes
    them, numbered in the order PictureChecks.differing lists them)."""
    try:
        checks = pictures.PictureChecks.from_builtins(dict(compared))
    except ValueError:
        return ""
    figures = []
    for number, bad in enumerate(checks.differing[:pictures.MAX_PREVIEWS], start=1):
        src = html.escape(quote(picture_preview_link_from_reports(sample, number)), quote=True)
        caption = html.escape(f"frame {bad.file_time:.3f} s: pyglet | FFmpeg | difference "
                              f"x{pictures.DIFFERENCE_GAIN}")
        figures.append(f'<figure style="margin:0.3em 0"><img src="{src}" '
                       f'alt="{caption}" style="max-width:100%"><figcaption><small>{caption}'
                       "</small></figcaption></figure>")
    return "".join(figures)
