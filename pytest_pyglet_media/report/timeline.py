"""Timeline of a play: data rows, csv/json/pkl exports, and a bokeh page.

As pyglet's `instrumentation.TimelineBuilder`: at every call to the player's
`update_texture` (event `p.P.ut.1.0`) we capture the player state *before*
applying the event, that is the state at the end of the previous call. The
first row is bogus (there was no previous call) and is discarded.

Values the player logged as None stay None in the rows (never 0): the csv
export writes them as empty cells, the json export as null, the pkl export
keeps None. Only the page draws substitutes, and marks where it did.

The page also marks every defect analysis counts, where it happened
(`defect_marks`, reading the rules analysis counts with: rules.EVENT_RULES),
and, given the file's view (file_checks.FileChecks and reference.Reference),
plots the A/V offset and the file's frames against the frames pyglet showed
(`frame_status`, matched by file_checks.FrameMatcher).

Each page starts with the sample, its verdict and defects in words and a
link back to the session's index, then the plot that shows the defect first.
A session's pages share bokeh's scripts (`shared_scripts`): one copy in the
reports folder, linked by a relative path, so that pages open offline (from
a bundle too) without 1.3 MB of JavaScript each; a page alone inlines them.

Pure: it takes judged recordings (analysis.ValidRecording) and returns rows,
bytes and text; the callers write the files (and copy the scripts). It imports neither pyglet nor
bokeh: bokeh is imported inside `render_page`, so the data exports work
without the `plots` extra.
"""
from __future__ import annotations

import bisect
import csv
import html
import io
import json
import math
import pickle
import re
from dataclasses import astuple, dataclass, fields
from typing import Any, Sequence
from urllib.parse import quote

from ..core.errors import UsageError
from ..core.events import EVENTS, FRAME_EVENTS, NO_END_OF_STREAM, Event, crashed, iter_states
from ..judge import analysis as an
from ..judge.analysis import ValidRecording, Verdict
from ..judge.file_checks import (
    AV_AUDIO_AHEAD_MAX,
    AV_AUDIO_BEHIND_MAX,
    MATCH_TOLERANCE,
    FileChecks,
    FrameMatcher,
)
from ..judge.pictures import DIFFERENCE_GAIN, MAX_PREVIEWS, PictureChecks
from ..judge.rules import DEFECT_KINDS, PICTURE_DIFFERS, broken_rule, end_noise
from ..store.reference import Reference
from ..store.sessions import picture_preview_link_from_reports

#: export formats, as `export` accepts them
FORMATS = ("csv", "json", "pkl")

UPDATE_TEXTURE = "p.P.ut.1.0"


@dataclass(frozen=True)
class TimelineRow:
    """The player state at the end of one update_texture call.

    The field order is the tuple order of pyglet's TimelineBuilder.
    """

    wall_time: float | None
    pyglet_time: float | None
    audio_time: float | None
    current_time: float | None
    frame_num: int | None
    rescheduling_time: float | None


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(TimelineRow))


def build_timeline(rec: ValidRecording) -> list[TimelineRow]:
    """The timeline rows of a judged recording.

    Walks the player's states (events.iter_states): at each update_texture
    the row is the state left by the event before it.
    """
    rows: list[TimelineRow] = []
    before = TimelineRow(None, 0.0, None, None, 0, None)  # no event yet
    for state in iter_states(rec.body):
        if state["evname"] == UPDATE_TEXTURE:
            rows.append(before)
        before = TimelineRow(state["wall_time"], state["pyglet_time"], state["audio_time"],
                             state["current_time"], state["frame_num"],
                             state["rescheduling_time"])
    # The first entry is bogus: there was no previous update_texture call.
    return rows[1:]


# -- defects ------------------------------------------------------------------

#: the kinds marked at the end of play rather than at an event: the play's
#: length (ended_early), and the file's (short_play, Reference.length)
END_OF_PLAY_KINDS = ("ended_early", "short_play")
#: a mark whose event names this field sits at its value on the media time axis
_MEDIA_TIME_FIELD = "video_time"


@dataclass(frozen=True)
class DefectMark:
    """One defect of the recording, where the page marks it.

    `wall_time` is the wall time of the enclosing update_texture call (the
    end of play for END_OF_PLAY_KINDS); when that call logged none, the
    previous known wall time (0 before any) stands in and `wall_known` is
    False. `media_time` is the y of the mark: the video_time its event names
    (the discarded frame's, for discarded_late), else the player's
    current_time (previous known value where it was None). `value` is the
    event's first field. `frame` and `index` are analysis.Anomaly's.
    """

    kind: str
    wall_time: float
    wall_known: bool
    media_time: float
    value: float | None
    frame: int
    index: int


def defect_marks(rec: ValidRecording) -> list[DefectMark]:
    """Every defect analysis counts in the recording, one mark each, in order.

    Per kind, as many marks as `rec.verdict.counts` says: the same rules
    (rules.broken_rule: pyglet's end-of-stream "video_time is None" events
    are not defects).
    """
    events = rec.body
    offset = len(rec.events) - len(events)
    noise = end_noise(events)
    marks: list[DefectMark] = []
    wall: float | None = None
    last_wall = 0.0
    current = 0.0
    frame = 0
    for index, event in enumerate(events):
        name = event[0]
        if name == UPDATE_TEXTURE:
            wall = event[4]
            if wall is not None:
                last_wall = wall
            if event[2] is not None:
                current = event[2]
        if name in FRAME_EVENTS:
            frame += 1
        rule = broken_rule(event, index in noise)
        if rule is None:
            continue
        value = event[1] if len(event) > 1 else None
        if name == NO_END_OF_STREAM and value is not None:
            last_wall, wall = value, value  # marked where the tool ended the play
        names_media_time = EVENTS[name].fields[:1] == (_MEDIA_TIME_FIELD,)
        y = value if names_media_time and value is not None else current
        marks.append(DefectMark(rule.kind, last_wall, wall is not None, y, value, frame,
                                index + offset))
    excused = sum(m.kind == "discarded_late" for m in marks) \
        - rec.verdict.counts.get("discarded_late", 0)
    if excused > 0:  # cover art's only frame (analysis.against_file): not a defect
        late = [i for i, m in enumerate(marks) if m.kind == "discarded_late"][:excused]
        marks = [m for i, m in enumerate(marks) if i not in late]
    for kind in END_OF_PLAY_KINDS:
        if rec.verdict.counts.get(kind):
            end = rec.verdict.end_wall_time
            marks.append(DefectMark(kind, last_wall if end is None else end,
                                    end is not None, current, end, frame,
                                    rec.verdict.n_events - 1))
    return marks


def value_name(kind: str) -> str:
    """The name of the value a mark of `kind` shows: its event's first field
    ("" when the event has none), the end of play's wall time for
    END_OF_PLAY_KINDS."""
    if kind in END_OF_PLAY_KINDS:
        return "end_wall_time"
    fields = EVENTS[DEFECT_KINDS[kind].event].fields
    return fields[0] if fields else ""


# -- the file's frames ----------------------------------------------------------

SHOWN, DISCARDED, NEVER_SHOWN = "shown", "discarded", "never shown"
#: the states of a file frame, in the frames plot's lanes from the top
FRAME_STATES = (SHOWN, DISCARDED, NEVER_SHOWN)


@dataclass(frozen=True)
class FrameStatus:
    """Each of the file's video frames (ffprobe), and what pyglet did with it.

    "shown": a "Current video frame" event named it; "discarded": only a
    "Discard video frame too old" did; "never shown": no event named it (as
    file_checks' frames_not_shown). `wall` is the wall time of the
    update_texture call that first named it (None for frames never shown).
    """

    file_times: tuple[float, ...]  # distinct, sorted, file time
    status: tuple[str, ...]
    wall: tuple[float | None, ...]

    def times(self, state: str) -> list[float]:
        return [t for t, st in zip(self.file_times, self.status) if st == state]


def frame_status(rec: ValidRecording, reference: Reference) -> FrameStatus:
    """Match the recording's video times to the file's frames with the
    matcher of file_checks' frames_not_shown (file_checks.FrameMatcher)."""
    matcher = FrameMatcher.of(reference.frame_times if reference.has_video else (),
                              reference.pyglet_start)
    frames = matcher.frames
    shown: dict[int, float | None] = {}
    discarded: dict[int, float | None] = {}
    wall: float | None = None
    for event in rec.body:
        name = event[0]
        if name == UPDATE_TEXTURE:
            wall = event[4]
        elif name in ("p.P.ut.1.6", "p.P.ut.1.5") and event[1] is not None:
            j = matcher.frame_of(event[1])
            if j is not None:
                (shown if name == "p.P.ut.1.6" else discarded).setdefault(j, wall)
    status = []
    walls = []
    for j in range(len(frames)):
        if j in shown:
            status.append(SHOWN)
            walls.append(shown[j])
        elif j in discarded:
            status.append(DISCARDED)
            walls.append(discarded[j])
        else:
            status.append(NEVER_SHOWN)
            walls.append(None)
    return FrameStatus(tuple(frames), tuple(status), tuple(walls))


# -- exports -----------------------------------------------------------------


def export_csv(rows: Sequence[TimelineRow]) -> str:
    """A header row, then one line per row; missing values are empty cells.

    Floats are written with repr, so they read back exactly.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(["" if value is None else repr(value) for value in astuple(row)])
    return out.getvalue()


def export_json(rows: Sequence[TimelineRow]) -> str:
    """A JSON list of objects keyed by column; missing values are null.

    Strict JSON: a non-finite float (never logged by pyglet) is written as
    null too, since JSON has no NaN or Infinity.
    """
    data = [{name: _json_value(value) for name, value in zip(COLUMNS, astuple(row))}
            for row in rows]
    return json.dumps(data, indent=1, allow_nan=False) + "\n"


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def export_pkl(rows: Sequence[TimelineRow]) -> bytes:
    """A pickle of a list of tuples, as pyglet's TimelineBuilder.get_timeline
    returns (wall_time, pyglet_time, audio_time, current_time, frame_num,
    rescheduling_time), None kept."""
    return pickle.dumps([astuple(row) for row in rows], protocol=4)


_EXPORTERS = {"csv": export_csv, "json": export_json, "pkl": export_pkl}


def check_format(fmt: str) -> str:
    """The canonical name of an export format ("csv", ".CSV" -> "csv")."""
    name = str(fmt).strip().lower().lstrip(".")
    if name not in FORMATS:
        raise UsageError(f"unknown timeline format {fmt!r}; use one of {', '.join(FORMATS)}")
    return name


def export(rows: Sequence[TimelineRow], fmt: str) -> bytes:
    """The rows in an export format (see FORMATS), as the bytes of its file."""
    data = _EXPORTERS[check_format(fmt)](rows)
    return data if isinstance(data, bytes) else data.encode("utf-8")


# -- the page ----------------------------------------------------------------

#: colors of the page's glyphs (the browser test looks for them)
COLORS = {
    "current_time": "#1f77b4",
    "audio_time": "#ff7f0e",
    "frame_num": "#2ca02c",
    "missing": "#d62728",
    "rescheduling_time": "#9467bd",
    # defect marks, one color per kind
    "discarded_late": "#e377c2",
    "no_video_time": "#17becf",
    "no_image": "#8c564b",
    "scheduling_in_past": "#bcbd22",
    "ended_early": "#7f7f7f",
    "short_play": "#7f7f7f",
    "no_end_of_stream": "#d62728",
    # with the file's checks
    "stall": "#ffbb78",
    "av_window": "#98df8a",
    "av_offset": "#393b79",
    "av_outside": "#d62728",
    # the audio clock's findings, on the A/V offset plot
    "audio_late_start": "#c7c7c7",
    "audio_clock_jump": "#ff7f0e",
    "audio_drift": "#8c564b",
    SHOWN: "#2ca02c",
    DISCARDED: "#e377c2",
    NEVER_SHOWN: "#d62728",
}
#: the marker of each defect kind on the timeline
DEFECT_MARKERS = {
    "discarded_late": "inverted_triangle",
    "no_video_time": "square",
    "no_image": "square_x",
    "scheduling_in_past": "triangle",
    "ended_early": "star",
    "short_play": "star",
    "no_end_of_stream": "x",
}
PLOT_WIDTH = 1000
TIMELINE_HEIGHT = 450
RESCHEDULING_HEIGHT = 300
AV_OFFSET_HEIGHT = 300
FRAMES_HEIGHT = 300
#: the y of each frame state's lane in the frames plot
FRAME_LANES = {SHOWN: 2, DISCARDED: 1, NEVER_SHOWN: 0}
_FRAME_MARKERS = {SHOWN: "circle", DISCARDED: "inverted_triangle", NEVER_SHOWN: "x"}
_TOOLS = "pan,wheel_zoom,box_zoom,reset,save"


@dataclass(frozen=True)
class _Series:
    """Plot-ready columns, None replaced as pyglet's timeline_postprocessing
    meant to: by the previous known value (0 before any), with a marker list
    of (wall_time, substitute) per field. Rows without wall time are left out."""

    wall: list[float]
    current: list[float]
    audio: list[float]
    frames: list[float]
    rescheduling: list[float]  # NaN where unknown: a gap in the line
    current_missing: tuple[list[float], list[float]]  # (wall, previous value)
    audio_missing: tuple[list[float], list[float]]


def _series(rows: Sequence[TimelineRow]) -> _Series:
    wall: list[float] = []
    current: list[float] = []
    audio: list[float] = []
    frames: list[float] = []
    rescheduling: list[float] = []
    current_missing: tuple[list[float], list[float]] = ([], [])
    audio_missing: tuple[list[float], list[float]] = ([], [])
    previous_current = 0.0
    previous_audio = 0.0
    for row in rows:
        if row.wall_time is None:  # cannot be placed on the x axis
            continue
        wall.append(row.wall_time)
        if row.current_time is None:
            current_missing[0].append(row.wall_time)
            current_missing[1].append(previous_current)
        else:
            previous_current = row.current_time
        current.append(previous_current)
        if row.audio_time is None:
            audio_missing[0].append(row.wall_time)
            audio_missing[1].append(previous_audio)
        else:
            previous_audio = row.audio_time
        audio.append(previous_audio)
        frames.append(float(row.frame_num or 0))
        rescheduling.append(math.nan if row.rescheduling_time is None
                            else float(row.rescheduling_time))
    return _Series(wall, current, audio, frames, rescheduling,
                   current_missing, audio_missing)


def render_page(rec: ValidRecording, sample: str, checks: FileChecks | None = None,
                reference: Reference | None = None, *, verdict: Verdict | None = None,
                shared_scripts: bool = False, index: str | None = None) -> str:
    """The HTML text of the timeline page of a judged recording.

    It starts with the sample, `verdict` (the run's; default the
    recording's) and its defects in words, and a link to `index` (None: no
    link). Two plots against wall time: media times and frame number, with
    a mark per defect (defect_marks); the rescheduling time. With the file's
    checks (file_checks.check of this recording), a third: the A/V offset
    (audio minus picture) with the ITU-R BT.1359 window, and the stalls as
    bands on the first. With the file's reference, a fourth: the file's
    frames (ffprobe) shown, discarded or never shown (frame_status). The plot
    showing the verdict's most frequent defect comes first (first_plot).

    The bokeh JavaScript is inlined, so the page works offline from the
    file system; with `shared_scripts`, the page links the files
    `page_scripts` names instead, to be copied beside it. A recording
    without any update_texture call (audio only, a file pyglet could not
    open, or a player that crashed before the first frame) gives a page
    saying so. Raises ImportError when bokeh is not installed.
    """
    verdict = rec.verdict if verdict is None else verdict
    heading = _heading(sample, verdict, index)
    rows = build_timeline(rec)
    title = f"{sample}: timeline"
    if not rows:
        return _empty_page(title, _why_empty(rec.body, verdict), heading)
    return _bokeh_page(rec, rows, sample, title, checks, reference, heading, verdict,
                       shared_scripts)


def _heading(sample: str, verdict: Verdict, index: str | None) -> str:
    """The top of the page: what a reader needs before any plot."""
    counts = an.describe_counts(verdict.counts)
    reason = f" ({verdict.reason})" if verdict.reason else ""
    parts = ['<header id="mp-heading" style="padding: 0.5em 1em; font-family: sans-serif">',
             f"<h1>{html.escape(sample)}</h1>",
             f'<p id="mp-verdict">Verdict: <strong>{html.escape(verdict.outcome)}</strong>'
             f"{html.escape(reason)}</p>"]
    if counts:
        parts.append('<ul id="mp-defects">' + "".join(
            f"<li>{html.escape(line.strip())}</li>" for line in counts) + "</ul>")
    else:
        parts.append('<p id="mp-defects">No defects.</p>')
    if index is not None:
        parts.append(f'<p><a id="mp-index" href="{html.escape(index)}">'
                     "Back to the session's index</a></p>")
    parts.append("</header>")
    return "\n".join(parts) + "\n"


def _why_empty(events: Sequence[Event], verdict: Verdict | None = None) -> str:
    n_updates = sum(1 for event in events if event and event[0] == UPDATE_TEXTURE)
    if verdict is not None and verdict.outcome == an.UNPLAYABLE:
        cause = "pyglet could not play the file" + (f": {verdict.reason}" if verdict.reason
                                                    else "")
    elif crashed(events):
        cause = "the player crashed or was stopped before playing video frames"
    elif n_updates:
        cause = "the player called update_texture only once, which gives no interval"
    else:
        cause = "the sample has no video (audio only), or no video frame was played"
    return (f"No timeline: the recording holds no update_texture interval "
            f"({n_updates} update_texture event{'s' if n_updates != 1 else ''}); {cause}.")


def _empty_page(title: str, message: str, heading: str = "") -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n{heading}"
        f"<p id=\"no-timeline\">{html.escape(message)}</p>\n</body>\n</html>\n")


#: the plot that shows a kind of defect, when it is not the timeline's
_PLOT_OF_KIND = {"av_offset": "av_offset", "frames_not_shown": "frames",
                 # its lane of compared pictures (the previews follow the plots)
                 PICTURE_DIFFERS: "frames"}


def first_plot(verdict: Verdict) -> str:
    """Which plot shows the verdict's most frequent defect: "timeline" (its
    marks, stall bands and the end of play), "av_offset" or "frames"."""
    ordered = sorted(((n, k) for k, n in verdict.counts.items() if n),
                     key=lambda nk: (-nk[0], nk[1]))
    return _PLOT_OF_KIND.get(ordered[0][1], "timeline") if ordered else "timeline"


#: where bokeh's server-mode resources point; shared_scripts rewrites them
_SERVER_SCRIPT = re.compile(r'<script src="static/js/([a-z-]+)\.min\.js"')


def script_file_name(component: str) -> str:
    """The file a session's pages share for one of bokeh's scripts, named by
    the bokeh version (pages written by another version keep their own)."""
    import bokeh

    return f"{component}-{bokeh.__version__}.min.js"


def page_scripts(page: str) -> list[str]:
    """The shared script files a page links (shared_scripts), in order."""
    return re.findall(r'<script src="((?:bokeh[a-z-]*)-[^"/]+\.min\.js)"', page)


def script_source(file_name: str) -> Any:
    """bokeh's own copy (a Path) of a shared script file (script_file_name)."""
    import bokeh
    from bokeh.util.paths import bokehjs_path

    component = file_name[: -len(f"-{bokeh.__version__}.min.js")]
    return bokehjs_path() / "js" / f"{component}.min.js"


def _bokeh_page(rec: ValidRecording, rows: Sequence[TimelineRow], sample: str,
                title: str, checks: FileChecks | None, reference: Reference | None,
                heading: str, verdict: Verdict, shared_scripts: bool) -> str:
    from bokeh.embed import file_html
    from bokeh.layouts import column
    from bokeh.models import ColumnDataSource, LinearAxis, Range1d
    from bokeh.plotting import figure
    from bokeh.resources import INLINE, Resources

    s = _series(rows)
    if not s.wall:
        return _empty_page(title, "No timeline: no update_texture call logged a wall time.",
                           heading)

    source = ColumnDataSource(data={
        "wall_time": s.wall, "current_time": s.current, "audio_time": s.audio,
        "frame_num": s.frames, "rescheduling_time": s.rescheduling})

    timeline = figure(
        title=f"{sample}: media time and frame number vs wall time",
        width=PLOT_WIDTH, height=TIMELINE_HEIGHT, tools=_TOOLS, active_scroll="wheel_zoom",
        x_axis_label="wall time (s)", y_axis_label="media time (s)")
    timeline.line("wall_time", "current_time", source=source, line_width=2,
                  color=COLORS["current_time"], legend_label="current_time")
    timeline.line("wall_time", "audio_time", source=source, line_width=2, line_dash="dashed",
                  color=COLORS["audio_time"], legend_label="audio_time")
    if s.current_missing[0]:
        timeline.scatter(*s.current_missing, marker="x", size=10, line_width=2,
                         color=COLORS["missing"], legend_label="current_time is None")
    if s.audio_missing[0]:
        timeline.scatter(*s.audio_missing, marker="diamond", size=10, fill_alpha=0.3,
                         color=COLORS["missing"], legend_label="audio_time is None")
    top = max(s.frames) or 1.0
    timeline.extra_y_ranges = {"frames": Range1d(start=0, end=top * 1.05)}
    timeline.add_layout(LinearAxis(y_range_name="frames", axis_label="frame number"), "right")
    timeline.line("wall_time", "frame_num", source=source, y_range_name="frames",
                  line_width=2, color=COLORS["frame_num"], legend_label="frame number")
    _mark_defects(timeline, defect_marks(rec))
    if checks is not None and checks.stalls:
        _stall_bands(timeline, checks)
    # the media time axis fits the media times (by default it would fit the
    # frame numbers too, which squashed the lines to the bottom)
    timeline.y_range.renderers = [r for r in timeline.renderers
                                  if r.y_range_name == "default"]
    timeline.legend.location = "top_left"
    timeline.legend.click_policy = "hide"

    rescheduling = figure(
        title=f"{sample}: rescheduling time vs wall time",
        width=PLOT_WIDTH, height=RESCHEDULING_HEIGHT, tools=_TOOLS,
        active_scroll="wheel_zoom", x_range=timeline.x_range,
        x_axis_label="wall time (s)", y_axis_label="rescheduling time (s)")
    rescheduling.line("wall_time", "rescheduling_time", source=source, line_width=2,
                      color=COLORS["rescheduling_time"], legend_label="rescheduling_time")
    rescheduling.scatter("wall_time", "rescheduling_time", source=source, size=4,
                         color=COLORS["rescheduling_time"])
    rescheduling.legend.location = "top_left"

    plots: list[Any] = [timeline, rescheduling]
    first: list[Any] = []
    if checks is not None and not checks.judged:
        plots.append(_note(f"Not checked against the file: {checks.note}", "not-checked"))
    elif checks is not None:
        av = _av_offset_plot(checks, sample, timeline.x_range)
        (first if first_plot(verdict) == "av_offset" else plots).extend(av)
    compared = compared_pictures(rec)
    if reference is not None and reference.has_video:
        frames = _frames_plot(frame_status(rec, reference), checks, sample, compared)
        (first if first_plot(verdict) == "frames" else plots).append(frames)
    if compared is not None and compared.differing:
        plots.append(_previews(compared, sample))
    resources = Resources(mode="server", root_url="") if shared_scripts else INLINE
    page = file_html(column(*first, *plots), resources, title)
    if shared_scripts:
        page = _SERVER_SCRIPT.sub(lambda m: f'<script src="{script_file_name(m.group(1))}"',
                                  page)
    # the heading first in the body, before bokeh's root
    return page.replace("<body>", "<body>\n" + heading, 1)


def compared_pictures(rec: ValidRecording) -> PictureChecks | None:
    """The pictures of the play compared with FFmpeg's (judge/pictures.py), if any."""
    data = (rec.verdict.file_checks or {}).get("pictures")
    if not data:
        return None
    try:
        return PictureChecks.from_builtins(data)
    except ValueError:
        return None


def _previews(compared: PictureChecks, sample: str) -> Any:
    """The previews the play stage wrote of the first pictures that differ."""
    from bokeh.models import Div

    figures = []
    for number, bad in enumerate(compared.differing[:MAX_PREVIEWS], start=1):
        src = html.escape(quote(picture_preview_link_from_reports(sample, number)), quote=True)
        caption = html.escape(f"frame {bad.file_time:.3f} s: pyglet | FFmpeg | difference "
                              f"x{DIFFERENCE_GAIN}" + (f"; {bad.cause}" if bad.cause else ""))
        figures.append(f'<figure><img src="{src}" alt="{caption}" style="max-width:100%">'
                       f"<figcaption>{caption}</figcaption></figure>")
    return Div(text=f"<h3>{html.escape(sample)}: pictures that are not FFmpeg's</h3>"
                    + "".join(figures), name="picture-previews", width=PLOT_WIDTH)


def _note(message: str, name: str) -> Any:
    from bokeh.models import Div

    return Div(text=f'<p class="{name}">{html.escape(message)}</p>', name=name,
               width=PLOT_WIDTH)


def _stall_bands(plot: Any, checks: FileChecks) -> None:
    """The wall-time intervals the picture froze, as bands behind the lines."""
    from bokeh.models import ColumnDataSource

    stalls = checks.stalls
    source = ColumnDataSource(data={
        "start": [s[0] for s in stalls], "end": [s[1] for s in stalls],
        "file_time": [s[2] for s in stalls], "held": [s[1] - s[0] for s in stalls],
        "expected": [s[3] for s in stalls]})
    plot.vstrip(x0="start", x1="end", source=source, fill_color=COLORS["stall"],
                fill_alpha=0.35, line_alpha=0, level="underlay",
                legend_label=f"stall ({len(stalls)})")


def _av_offset_plot(checks: FileChecks, sample: str, x_range: Any) -> list[Any]:
    """Audio minus picture (s) at each frame put on screen, against wall time,
    over the ITU-R BT.1359 window (audio ahead: positive)."""
    from bokeh.models import ColumnDataSource, HoverTool
    from bokeh.plotting import figure

    plot = figure(
        title=f"{sample}: A/V offset (audio - picture) vs wall time",
        width=PLOT_WIDTH, height=AV_OFFSET_HEIGHT, tools=_TOOLS, active_scroll="wheel_zoom",
        x_range=x_range, x_axis_label="wall time (s)",
        y_axis_label="audio - picture (s), > 0: audio ahead")
    plot.hstrip(y0="bottom", y1="top", source=ColumnDataSource(data={
        "bottom": [-AV_AUDIO_BEHIND_MAX], "top": [AV_AUDIO_AHEAD_MAX]}),
        fill_color=COLORS["av_window"], fill_alpha=0.35, line_alpha=0, level="underlay",
        legend_label=(f"ITU-R BT.1359 window (audio {AV_AUDIO_AHEAD_MAX * 1000:.0f} ms ahead "
                      f"to {AV_AUDIO_BEHIND_MAX * 1000:.0f} ms behind)"))
    samples = checks.av_offsets
    walls = [w for w, _ in samples]
    offsets = [o for _, o in samples]
    outside = [o > AV_AUDIO_AHEAD_MAX or o < -AV_AUDIO_BEHIND_MAX for o in offsets]
    source = ColumnDataSource(data={"wall": walls, "av_offset": offsets, "outside": outside})
    plot.line("wall", "av_offset", source=source, line_width=2, color=COLORS["av_offset"],
              legend_label="audio - picture")
    dots = plot.scatter("wall", "av_offset", source=source, size=4, color=COLORS["av_offset"])
    renderers = [dots]
    if any(outside):
        out = ColumnDataSource(data={
            "wall": [w for w, o in zip(walls, outside) if o],
            "av_offset": [v for v, o in zip(offsets, outside) if o]})
        renderers.append(plot.scatter(
            "wall", "av_offset", source=out, size=7, color=COLORS["av_outside"],
            legend_label=f"outside the window ({sum(outside)})"))
    plot.add_tools(HoverTool(renderers=renderers, tooltips=[
        ("wall time", "@wall{0.000} s"), ("audio - picture", "@av_offset{+0.000} s")]))
    _clock_marks(plot, checks)
    plot.legend.location = "top_left"
    plot.legend.background_fill_alpha = 0.6
    plot.legend.click_policy = "hide"
    if not samples:
        return [plot, _note("No A/V offset sample: the file has no audio or no video, "
                            "or no frame was shown while it had audio.", "no-av-offset")]
    return [plot]


def _clock_marks(plot: Any, checks: FileChecks) -> None:
    """The audio clock's findings (file_checks.clock_marks) over the offset:
    a late start as a band, each jump as a vertical line, a drift as its
    fitted line."""
    from bokeh.models import ColumnDataSource

    by_kind: dict[str, list[tuple[str, float, float, float, float]]] = {}
    for mark in checks.clock_marks:
        by_kind.setdefault(mark[0], []).append(mark)
    late = by_kind.get("audio_late_start", [])
    if late:
        plot.vstrip(x0="start", x1="end", source=ColumnDataSource(data={
            "start": [m[1] for m in late], "end": [m[2] for m in late]}),
            fill_color=COLORS["audio_late_start"], fill_alpha=0.4, line_alpha=0,
            level="underlay", legend_label="audio_late_start: clock standing still")
    jumps = by_kind.get("audio_clock_jump", [])
    if jumps:
        plot.vspan(x="at", source=ColumnDataSource(data={
            "at": [m[2] for m in jumps], "from_clock": [m[3] for m in jumps],
            "to_clock": [m[4] for m in jumps]}),
            line_color=COLORS["audio_clock_jump"], line_width=2, line_dash="dotted",
            legend_label=f"audio_clock_jump ({len(jumps)})")
    for _kind, start, end, offset_start, offset_end in by_kind.get("audio_drift", []):
        slope = (offset_end - offset_start) / (end - start) if end > start else 0.0
        plot.line([start, end], [offset_start, offset_end], line_width=3, line_dash="dashed",
                  color=COLORS["audio_drift"],
                  legend_label=f"audio_drift ({slope * 1000:+.1f} ms/s)")


def _frames_plot(frames: FrameStatus, checks: FileChecks | None, sample: str,
                 compared: PictureChecks | None = None) -> Any:
    """The file's frames on their file times, one lane per state, the frames
    never shown also as red lines across, and the stalls as bands: from the
    frame the picture froze on to the next frame pyglet showed. The frames
    whose pictures were compared with FFmpeg's, in a lane of their own."""
    from bokeh.models import ColumnDataSource, FixedTicker, HoverTool, Range1d
    from bokeh.plotting import figure

    plot = figure(
        title=f"{sample}: file frames vs frames shown",
        width=PLOT_WIDTH, height=FRAMES_HEIGHT, tools=_TOOLS, active_scroll="wheel_zoom",
        x_axis_label="file time (s, ffprobe)", y_range=Range1d(-0.6, 3.6))
    plot.yaxis.ticker = FixedTicker(ticks=sorted(FRAME_LANES.values()))
    plot.yaxis.major_label_overrides = {lane: state for state, lane in FRAME_LANES.items()}
    if compared is not None and compared.compared:
        _compared_lane(plot, compared)
    if checks is not None and checks.stalls:
        shown = frames.times(SHOWN)
        ends = []
        for _start, _end, t, expected in checks.stalls:
            k = bisect.bisect_right(shown, t + MATCH_TOLERANCE)
            ends.append(shown[k] if k < len(shown) else t + expected)
        plot.vstrip(x0="start", x1="end", source=ColumnDataSource(data={
            "start": [s[2] for s in checks.stalls], "end": ends,
            "held": [s[1] - s[0] for s in checks.stalls]}),
            fill_color=COLORS["stall"], fill_alpha=0.35, line_alpha=0, level="underlay",
            legend_label=f"stall ({len(checks.stalls)})")
    renderers = []
    total = len(frames.file_times)
    for state in FRAME_STATES:
        picked = [j for j, st in enumerate(frames.status) if st == state]
        if not picked:
            continue
        source = ColumnDataSource(data={
            "file_time": [frames.file_times[j] for j in picked],
            "frame_index": picked,
            "lane": [FRAME_LANES[state]] * len(picked),
            "wall": [math.nan if frames.wall[j] is None else frames.wall[j] for j in picked],
            "status": [state] * len(picked)})
        label = f"{state} ({len(picked)} of {total})"
        if state == NEVER_SHOWN:
            plot.vspan(x="file_time", source=source, line_color=COLORS[state],
                       line_alpha=0.35, line_width=1, level="underlay", legend_label=label)
        renderers.append(plot.scatter(
            "file_time", "lane", source=source, marker=_FRAME_MARKERS[state],
            size=9 if state == NEVER_SHOWN else 6, line_width=2 if state == NEVER_SHOWN else 1,
            color=COLORS[state], legend_label=label))
    if renderers:
        plot.add_tools(HoverTool(renderers=renderers, tooltips=[
            ("frame", "@frame_index"), ("file time", "@file_time{0.000} s"),
            ("", "@status"), ("wall time", "@wall{0.000} s")]))
    plot.legend.location = "top_left"
    plot.legend.orientation = "horizontal"
    plot.legend.click_policy = "hide"
    return plot


#: the lane of the frames whose pictures were compared, above the others
COMPARED_LANE = 3


def _compared_lane(plot: Any, compared: PictureChecks) -> None:
    from bokeh.models import ColumnDataSource, FixedTicker, HoverTool

    plot.yaxis.ticker = FixedTicker(ticks=sorted([*FRAME_LANES.values(), COMPARED_LANE]))
    plot.yaxis.major_label_overrides = {**plot.yaxis.major_label_overrides,
                                        COMPARED_LANE: "picture compared"}
    for differs, colour, label in ((False, COLORS["frame_num"], "same picture"),
                                   (True, COLORS["missing"], "picture differs")):
        picked = [c for c in compared.compared if c.differs == differs]
        if not picked:
            continue
        source = ColumnDataSource(data={
            "file_time": [c.file_time for c in picked],
            "lane": [COMPARED_LANE] * len(picked),
            "psnr": ["sizes differ" if c.difference is None else
                     ("identical" if math.isinf(c.difference.psnr)
                      else f"{c.difference.psnr:.1f} dB") for c in picked],
            "cause": [c.cause for c in picked]})
        renderer = plot.scatter("file_time", "lane", source=source, marker="square", size=10,
                                color=colour, fill_alpha=0.3,
                                legend_label=f"{label} ({len(picked)})")
        plot.add_tools(HoverTool(renderers=[renderer], tooltips=[
            ("file time", "@file_time{0.000} s"), ("PSNR", "@psnr"), ("", "@cause")]))


def _value_text(kind: str, value: float | None) -> str:
    name = value_name(kind)
    if not name:
        return "-"
    return f"{name} = {'None' if value is None else f'{value:.4f} s'}"


def _mark_defects(plot: Any, marks: Sequence[DefectMark]) -> None:
    """One scatter per defect kind, one glyph data row per defect (never
    merged, however close in time), a legend entry per kind with its count,
    and a tooltip naming the defect and its value."""
    from bokeh.models import ColumnDataSource, HoverTool

    renderers = []
    for kind in DEFECT_KINDS:
        of_kind = [m for m in marks if m.kind == kind]
        if not of_kind:
            continue
        data = {
            "wall": [m.wall_time for m in of_kind],
            "media_time": [m.media_time for m in of_kind],
            "value": [math.nan if m.value is None else float(m.value) for m in of_kind],
            "value_text": [_value_text(kind, m.value) for m in of_kind],
            "wall_known": [m.wall_known for m in of_kind],
            "frame": [m.frame for m in of_kind],
            "event": [m.index for m in of_kind],
            "kind": [kind] * len(of_kind),
        }
        renderers.append(plot.scatter(
            "wall", "media_time", source=ColumnDataSource(data=data),
            marker=DEFECT_MARKERS[kind], size=11, line_width=1.5,
            color=COLORS[kind], fill_alpha=0.6, legend_label=f"{kind} ({len(of_kind)})"))
    if renderers:
        plot.add_tools(HoverTool(renderers=renderers, tooltips=[
            ("defect", "@kind"), ("wall time", "@wall{0.000} s"), ("value", "@value_text"),
            ("frame", "@frame"), ("event", "@event")]))
