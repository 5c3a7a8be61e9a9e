"""Timeline of a play: data rows, csv/json/pkl exports, and a bokeh page.

As pyglet's `instrumentation.TimelineBuilder`: at every call to the player's
`update_texture` (event `p.P.ut.1.0`) we capture the player state *before*
applying the event, that is the state at the end of the previous call. The
first row is bogus (there was no previous call) and is discarded.

Values the player logged as None stay None in the rows (never 0): the csv
export writes them as empty cells, the json export as null, the pkl export
keeps None. Only the page draws substitutes, and marks where it did.

The page also marks every defect analysis counts, where it happened
(`defect_marks`), and, given the file's view (file_checks.FileChecks and
reference.Reference), plots the A/V offset and the file's frames against the
frames pyglet showed (`frame_status`).

Pure: it takes judged recordings (analysis.ValidRecording) and returns rows,
bytes and text; the callers write the files. It imports neither pyglet nor
bokeh: bokeh is imported inside `render_page`, so the data exports work
without the `plots` extra.
"""
from __future__ import annotations

import csv
import html
import io
import json
import math
import pickle
from dataclasses import astuple, dataclass, fields
from typing import Any, Sequence

from .analysis import DEFECT_KINDS, ValidRecording, _end_noise
from .errors import UsageError
from .events import Event, crashed, iter_states

#: export formats, as `write_export` accepts them
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

    Walks the one state machine (events.iter_states): at each update_texture
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

#: the event of each defect kind marked at an update_texture call (ended_early
#: is marked at the end of play)
_DEFECT_EVENTS = {"p.P.ut.1.5": "discarded_late", "p.P.ut.1.7": "no_video_time",
                  "p.P.ut.1.8": "no_image", "p.P.ut.1.9": "scheduling_in_past"}
#: the name of the value a mark's tooltip shows, per kind
_VALUE_NAMES = {"discarded_late": "video_time", "no_video_time": "rescheduling_time",
                "no_image": "", "scheduling_in_past": "rescheduling_time",
                "ended_early": "end_wall_time"}


@dataclass(frozen=True)
class DefectMark:
    """One defect of the recording, where the page marks it.

    `wall_time` is the wall time of the enclosing update_texture call (the
    end of play for ended_early); when that call logged none, the previous
    known wall time (0 before any) stands in and `wall_known` is False.
    `media_time` is the y of the mark: the discarded frame's video_time for
    discarded_late, else the player's current_time (previous known value
    where it was None). `frame` and `index` are analysis.Anomaly's.
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

    Per kind, as many marks as `rec.analysis.counts` says: the same rules
    (pyglet's end-of-stream "video_time is None" events are not defects).
    """
    events = rec.body
    offset = len(rec.events) - len(events)
    noise = _end_noise(events)
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
            continue
        kind = _DEFECT_EVENTS.get(name)
        if kind is None:
            continue
        value = event[1] if len(event) > 1 else None
        if name in ("p.P.ut.1.5", "p.P.ut.1.9"):
            frame += 1
        if name == "p.P.ut.1.9" and not (value is not None and value < 0):
            continue
        if index in noise:
            continue
        y = value if kind == "discarded_late" and value is not None else current
        marks.append(DefectMark(kind, last_wall, wall is not None, y, value, frame,
                                index + offset))
    if rec.analysis.counts.get("ended_early"):
        end = rec.analysis.end_wall_time
        marks.append(DefectMark("ended_early", last_wall if end is None else end,
                                end is not None, current, end, frame,
                                rec.analysis.n_events - 1))
    return marks


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
}
#: the marker of each defect kind on the timeline
DEFECT_MARKERS = {
    "discarded_late": "inverted_triangle",
    "no_video_time": "square",
    "no_image": "square_x",
    "scheduling_in_past": "triangle",
    "ended_early": "star",
}
PLOT_WIDTH = 1000
TIMELINE_HEIGHT = 450
RESCHEDULING_HEIGHT = 300
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


def render_page(rec: ValidRecording, sample: str) -> str:
    """The HTML text of the timeline page of a judged recording.

    The bokeh JavaScript is inlined, so the page works offline from the
    file system. A recording without any update_texture call (audio only, or
    a player that crashed before the first frame) gives a page saying so.
    Raises ImportError when bokeh is not installed.
    """
    rows = build_timeline(rec)
    title = f"{sample}: timeline"
    if not rows:
        return _empty_page(title, _why_empty(rec.body))
    return _bokeh_page(rec, rows, sample, title)


def _why_empty(events: Sequence[Event]) -> str:
    n_updates = sum(1 for event in events if event and event[0] == UPDATE_TEXTURE)
    if crashed(events):
        cause = "the player crashed or was stopped before playing video frames"
    elif n_updates:
        cause = "the player called update_texture only once, which gives no interval"
    else:
        cause = "the sample has no video (audio only), or no video frame was played"
    return (f"No timeline: the recording holds no update_texture interval "
            f"({n_updates} update_texture event{'s' if n_updates != 1 else ''}); {cause}.")


def _empty_page(title: str, message: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n"
        f"<p id=\"no-timeline\">{html.escape(message)}</p>\n</body>\n</html>\n")


def _bokeh_page(rec: ValidRecording, rows: Sequence[TimelineRow], sample: str,
                title: str) -> str:
    from bokeh.embed import file_html
    from bokeh.layouts import column
    from bokeh.models import ColumnDataSource, LinearAxis, Range1d
    from bokeh.plotting import figure
    from bokeh.resources import INLINE

    s = _series(rows)
    if not s.wall:
        return _empty_page(title, "No timeline: no update_texture call logged a wall time.")

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

    return file_html(column(timeline, rescheduling), INLINE, title)


def _value_text(kind: str, value: float | None) -> str:
    name = _VALUE_NAMES[kind]
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
