"""csv/json/pkl exports, parsed back; write_export on a real session folder."""
from __future__ import annotations

import csv
import io
import json
import math
import os
import pickle
from dataclasses import astuple

import pytest

from pytest_pyglet_media.core.errors import UnreadableRecordingError, UsageError
from pytest_pyglet_media.judge import analysis
from pytest_pyglet_media.judge.analysis import judge
from pytest_pyglet_media.report import session_writer, timeline
from pytest_pyglet_media.report.timeline import COLUMNS, TimelineRow, build_timeline
from pytest_pyglet_media.store import recording

ROWS = [
    TimelineRow(0.001, 1 / 30, 0.0, 0.0, 1, 1 / 30),
    TimelineRow(0.034, 2 / 30, None, 0.1 + 0.2, 2, None),
    TimelineRow(0.067, 0.1, 0.0667, None, 3, -0.004),
]

def write_export(paths, sample, fmt):
    """`pyglet-mp timeline`'s path: read and judge the recording once, export it."""
    return session_writer.write_timeline_export(paths, sample,
                                                analysis.read(paths.recording(sample)), fmt)



def _strict_json(text: str):
    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")
    return json.loads(text, parse_constant=refuse)


def test_csv_reads_back_with_empty_cells_for_missing():
    table = list(csv.reader(io.StringIO(timeline.export_csv(ROWS))))

    assert table[0] == list(COLUMNS)
    assert len(table) == 1 + len(ROWS)
    assert table[2][COLUMNS.index("audio_time")] == ""
    assert table[2][COLUMNS.index("rescheduling_time")] == ""
    assert table[1][COLUMNS.index("audio_time")] == "0.0"  # zero is not missing
    parsed = [tuple(None if cell == "" else float(cell) for cell in line) for line in table[1:]]
    assert parsed == [astuple(row) for row in ROWS]  # exact: floats written with repr


def test_json_is_a_list_of_objects_with_null_for_missing():
    data = _strict_json(timeline.export_json(ROWS))

    assert data == [dict(zip(COLUMNS, astuple(row))) for row in ROWS]
    assert data[1]["audio_time"] is None and data[0]["audio_time"] == 0.0
    assert data[0]["frame_num"] == 1 and isinstance(data[0]["frame_num"], int)


def test_json_stays_strict_with_non_finite_values():
    rows = [TimelineRow(0.001, 0.0, math.inf, math.nan, 1, 0.0)]

    data = _strict_json(timeline.export_json(rows))

    assert data[0]["audio_time"] is None and data[0]["current_time"] is None


def test_pkl_is_a_list_of_tuples_of_builtins():
    data = timeline.export_pkl(ROWS)

    assert pickle.loads(data) == [astuple(row) for row in ROWS]
    # it holds no class: the safe loader used for recordings reads it
    assert recording.loads_builtin_data(data) == [astuple(row) for row in ROWS]


def test_exports_of_no_rows():
    assert timeline.export_csv([]) == ",".join(COLUMNS) + "\n"
    assert _strict_json(timeline.export_json([])) == []
    assert pickle.loads(timeline.export_pkl([])) == []


@pytest.mark.parametrize("fmt", timeline.FORMATS)
def test_write_export_writes_the_report_file(fmt, session_paths, save_recording, make_play):
    events = make_play(20, none_audio=frozenset({3}))
    save_recording(events)

    out = write_export(session_paths, "a.mp4", fmt)

    assert out == session_paths.reports_dir / f"a.mp4.timeline.{fmt}"
    rows = build_timeline(judge(events))
    expected = {"csv": lambda: timeline.export_csv(rows).encode(),
                "json": lambda: timeline.export_json(rows).encode(),
                "pkl": lambda: timeline.export_pkl(rows)}[fmt]()
    assert out.read_bytes() == expected
    assert sorted(os.listdir(session_paths.reports_dir)) == [out.name]  # no temporary left


def test_write_export_replaces_an_older_export(session_paths, save_recording, make_play):
    save_recording(make_play(4))
    write_export(session_paths, "a.mp4", "json")
    save_recording(make_play(9))

    out = write_export(session_paths, "a.mp4", "json")

    assert len(json.loads(out.read_text())) == 9


def test_write_export_accepts_the_original_dotted_format(session_paths, save_recording,
                                                          make_play):
    save_recording(make_play(4))

    out = write_export(session_paths, "a.mp4", ".PKL")

    assert out.name == "a.mp4.timeline.pkl"


def test_write_export_refuses_an_unknown_format(session_paths, save_recording, make_play):
    save_recording(make_play(4))

    with pytest.raises(UsageError, match="unknown timeline format 'xls'; use one of csv, json, pkl"):
        write_export(session_paths, "a.mp4", "xls")
    assert os.listdir(session_paths.reports_dir) == []


def test_write_export_without_recording_names_the_file(session_paths):
    with pytest.raises(UnreadableRecordingError) as info:
        write_export(session_paths, "a.mp4", "csv")

    assert info.value.path == session_paths.recording("a.mp4")
    assert os.listdir(session_paths.reports_dir) == []


def test_write_export_of_an_invalid_recording_names_file_and_reason(session_paths,
                                                                    save_recording):
    path = save_recording([("version", 1.1), ("p.P.nope",)])

    with pytest.raises(UnreadableRecordingError, match="unknown name") as info:
        write_export(session_paths, "a.mp4", "csv")

    assert info.value.path == path
