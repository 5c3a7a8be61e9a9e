"""reference.probe: ffprobe's answers read into a Reference, its failures and silences.

ffprobe itself is replaced by a script on PATH that prints a canned answer
(tests/doubles/ffprobe_stand_in.py); the real one runs in
tests/e2e/test_file_reference_e2e.py.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from doubles import ffprobe_stand_in

from pytest_pyglet_media.core.errors import MediaTestError, ProbeFailed, ProbeUnavailable
from pytest_pyglet_media.play import playback
from pytest_pyglet_media.store import reference as r
from pytest_pyglet_media.store.stored_references import StoredReferences


def fake_ffprobe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: dict | list | None,
                 status: int = 0, stderr: str = "") -> None:
    """A stand-in ffprobe alone on PATH, printing `answer` as JSON (None: not JSON at all)."""
    bin_dir = tmp_path / "bin"
    ffprobe_stand_in.write(bin_dir, stdout=json.dumps(answer) if answer is not None else "garbage",
                           stderr=stderr, status=status)
    ffprobe_stand_in.alone_on_path(monkeypatch, bin_dir)


def test_probe_without_ffprobe(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ProbeUnavailable, match="apt-get install ffmpeg") as info:
        r.probe(tmp_path / "clip.mp4")
    assert isinstance(info.value, MediaTestError)


def test_probe_reads_ffprobes_answer(tmp_path, monkeypatch):
    fake_ffprobe(tmp_path, monkeypatch, {
        "packets": [
            {"stream_index": 1, "pts_time": "0.023000", "flags": "K_"},
            {"stream_index": 0, "pts_time": "0.000000", "flags": "K_"},
            {"stream_index": 1, "pts_time": "0.183000", "flags": "__"},
            {"stream_index": 1, "pts_time": "0.103000", "flags": "__"},
            {"stream_index": 1, "pts_time": "-0.017000", "flags": "_D"},  # discarded pre-roll
            {"stream_index": 1, "dts_time": "0.063000", "flags": "__"},  # no pts: dts
            {"stream_index": 1, "flags": "__"},  # no time at all
            {"stream_index": 2, "flags": "K_"},
        ],
        "streams": [
            {"index": 0, "codec_name": "aac", "codec_type": "audio", "start_time": "0.000000",
             "disposition": {"attached_pic": 0}, "tags": {"DURATION": "00:00:01.023000000"}},
            {"index": 1, "codec_name": "h264", "codec_type": "video", "start_time": "0.023000",
             "duration": "N/A", "disposition": {"attached_pic": 0},
             "tags": {"DURATION": "00:00:01.023000000"}},
            {"index": 2, "codec_name": "mjpeg", "codec_type": "video", "start_time": "0.000000",
             "duration": "1.023000", "disposition": {"attached_pic": 1}},
        ],
        "format": {"start_time": "0.000000", "duration": "1.023000"},
    })
    ref = r.probe(tmp_path / "clip.mkv")
    assert ref.frame_times == (0.023, 0.063, 0.103, 0.183)
    assert ref.video_index == 1 and ref.cover_art
    assert ref.duration == 1.023 and ref.start == 0.0
    # Matroska's DURATION tag is the stream's end
    assert ref.video.duration == pytest.approx(1.0) and ref.audio.duration == 1.023


def test_probe_of_audio_with_cover_art_lists_no_video(tmp_path, monkeypatch):
    fake_ffprobe(tmp_path, monkeypatch, {
        "packets": [{"stream_index": 1, "flags": "K_"}],
        "streams": [{"index": 0, "codec_name": "mp3", "codec_type": "audio",
                     "start_time": "0.025057", "duration": "1.044898"},
                    {"index": 1, "codec_name": "png", "codec_type": "video",
                     "start_time": "0.025056", "disposition": {"attached_pic": 1}}],
        "format": {"start_time": "0.025056", "duration": "1.044898"}})
    ref = r.probe(tmp_path / "clip.mp3")
    assert not ref.has_video and ref.cover_art and ref.frame_times == ()
    assert ref.pyglet_start == 0.025057  # pyglet takes the cover as its video stream


def test_probe_failures_carry_ffprobes_message(tmp_path, monkeypatch):
    fake_ffprobe(tmp_path, monkeypatch, {}, status=1,
                 stderr="clip.mp4: Invalid data found when processing input")
    with pytest.raises(ProbeFailed) as info:
        r.probe(tmp_path / "clip.mp4")
    assert str(info.value) == (f"{tmp_path / 'clip.mp4'}: ffprobe: clip.mp4: Invalid data "
                               "found when processing input")


@pytest.mark.parametrize("answer, problem", [
    (None, "wrote no JSON"), ([], "not an object"), ({"streams": []}, "no stream"),
    ({"streams": [{"codec_type": "video"}]}, "without an index")])
def test_probe_refuses_odd_answers(tmp_path, monkeypatch, answer, problem):
    fake_ffprobe(tmp_path, monkeypatch, answer)
    with pytest.raises(ProbeFailed, match=problem):
        r.probe(tmp_path / "clip.mp4")


def test_probe_times_out(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    ffprobe_stand_in.write_hanging(bin_dir, seconds=10)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")  # the stand-in runs `sleep`
    with pytest.raises(ProbeFailed, match="did not finish in 0.2 s"):
        r.probe(tmp_path / "clip.mp4", timeout=0.2)


# -- bounded costs (issue 20, demands 13 and 15) ---------------------------------

AUDIO_ONLY = {"streams": [{"index": 0, "codec_name": "opus", "codec_type": "audio",
                           "start_time": "0.000000", "duration": "3000.000000"}],
              "format": {"start_time": "0.000000", "duration": "3000.000000"}}


def test_no_audio_packet_is_ever_listed(tmp_path, monkeypatch):
    """An Ogg/Opus file of 2.5 ms packets holds a million in 4.9 MB: the
    probe asks for the video stream's packets only, and none for audio."""
    runs = tmp_path / "runs"
    ffprobe_stand_in.write(tmp_path / "bin", stdout=json.dumps(AUDIO_ONLY), calls=runs)
    ffprobe_stand_in.alone_on_path(monkeypatch, tmp_path / "bin")
    ref = r.probe(tmp_path / "long.opus")
    assert ref.has_audio and not ref.has_video
    asked = runs.read_text().splitlines()
    assert asked and not [a for a in asked if "packet=" in a]
    # with video: one more run, of that stream's packets alone
    ffprobe_stand_in.write(tmp_path / "bin", calls=runs, stdout=json.dumps({
        "streams": [{"index": 0, "codec_type": "audio"}, {"index": 1, "codec_type": "video"}],
        "packets": [{"stream_index": 1, "pts_time": "0.040000", "flags": "K_"},
                    {"stream_index": 0, "pts_time": "0.002500", "flags": "K_"}]}))
    assert r.probe(tmp_path / "clip.mkv").frame_times == (0.04,)
    packet_runs = [a for a in runs.read_text().splitlines() if "packet=" in a]
    assert len(packet_runs) == 1 and "-select_streams 1 " in packet_runs[0]


def _script(bin_dir: Path, body: str) -> None:
    """A stand-in ffprobe of its own: `body` in sh, after `-version` is answered."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "ffprobe"
    script.write_text("#!/bin/sh\ncase \" $* \" in *\" -version \"*) echo ffprobe version x;"
                      " exit 0 ;; esac\n" + body)
    script.chmod(0o755)


def test_a_frame_list_without_end_is_cut_at_the_bound_of_the_files_size(tmp_path, monkeypatch):
    """A packet run that never ends (any number of video frames): read as it
    comes, stopped past max_frames_for(size), ffprobe killed; no minutes, no GB."""
    sample = tmp_path / "clip.mkv"
    sample.write_bytes(b"x" * 800)
    (tmp_path / "describe.json").write_text(json.dumps(
        {"streams": [{"index": 0, "codec_type": "video"}]}))
    _script(tmp_path / "bin", f"""case " $* " in
        *" -select_streams "*) exec /usr/bin/yes 0,0.040000,0.040000,__ ;;
        *) exec /bin/cat {tmp_path / 'describe.json'} ;;
    esac\n""")
    ffprobe_stand_in.alone_on_path(monkeypatch, tmp_path / "bin")
    with pytest.raises(ProbeFailed, match=f"over {r.max_frames_for(800)} video frames"):
        r.probe(sample, timeout=30)
    assert r.max_frames_for(800) == r.MIN_FRAMES_BOUND + 100
    assert r.max_frames_for(10 ** 12) == r.MAX_FRAMES


def test_a_description_beyond_any_file_is_refused(tmp_path, monkeypatch):
    # 5 MiB of blanks before the JSON: no description of a test sample is that long
    (tmp_path / "answer").write_bytes(b" " * (5 << 20) + b"{}")
    _script(tmp_path / "bin", f"exec /bin/cat {tmp_path / 'answer'}\n")
    ffprobe_stand_in.alone_on_path(monkeypatch, tmp_path / "bin")
    with pytest.raises(ProbeFailed, match=f"over {r.MAX_DESCRIPTION_BYTES} bytes"):
        r.probe(tmp_path / "clip.mkv", timeout=30)


def test_the_probes_time_follows_the_files_size_and_the_plays_limit():
    assert r.probe_timeout(1_000_000) == pytest.approx(r.PROBE_MINIMUM + 0.02)
    assert r.probe_timeout(10 ** 11) == r.PROBE_TIMEOUT  # 10 GB and more: never over 60 s
    assert r.probe_timeout(1_000_000, limit=5.0) == 5.0  # --mp-timeout 5: 5 s at most


def _alive(pid: int) -> bool:
    """A process that runs (a zombie waiting for init to reap it does not),
    a few seconds after it was sent SIGKILL: a busy machine may take a
    moment to schedule its death."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rpartition(")")[2].split()[0] == "Z":
                    return False
        except OSError:
            return False
        time.sleep(0.01)
    return True


@pytest.mark.parametrize("hangs", ["version", "description"])
def test_a_hung_ffprobe_is_killed_with_its_children_and_remembered(tmp_path, monkeypatch,
                                                                   hangs):
    """The wait is the play's limit (0.5 s here), ffprobe's whole process
    group is killed, and the run asks it nothing more of that file (of any
    file, when `ffprobe -version` itself hangs)."""
    runs, child = tmp_path / "runs", tmp_path / "child.pid"
    hang = f'echo "$@" >> {runs}; /bin/sleep 300 & echo $! > {child}; exec /bin/sleep 300\n'
    script = tmp_path / "bin" / "ffprobe"
    script.parent.mkdir()
    if hangs == "version":
        script.write_text("#!/bin/sh\n" + hang)
    else:
        script.write_text("#!/bin/sh\ncase \" $* \" in *\" -version \"*) echo ffprobe version x;"
                          " exit 0 ;; esac\n" + hang)
    script.chmod(0o755)
    ffprobe_stand_in.alone_on_path(monkeypatch, tmp_path / "bin")
    samples = [tmp_path / "a.mp4", tmp_path / "b.mp4"]
    for sample in samples:
        sample.write_bytes(b"media")
    run = StoredReferences()
    started = time.monotonic()
    ref, why = playback.file_reference(samples[0], None, run, limit=0.5)
    assert ref is None and why.startswith("ffprobe hung: ffprobe did not finish in 0.5 s")
    assert why.endswith("again in this run")
    # (on a machine too busy to start the stand-in's child in 0.5 s, there is none)
    assert not child.exists() or not _alive(int(child.read_text()))
    again = [playback.file_reference(samples[0], None, run, limit=0.5)]
    if hangs == "version":  # no file is probed by an ffprobe that hung
        again.append(playback.file_reference(samples[1], None, run, limit=0.5))
    assert all(ref is None and "did not finish in 0.5 s" in why for ref, why in again)
    assert len(runs.read_text().splitlines() if runs.exists() else []) <= 1  # asked once
    assert time.monotonic() - started < 10  # not 60 s per sample and question
