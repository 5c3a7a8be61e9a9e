"""The picture itself: kept pictures stored, compared and explained, on built pixel data."""
from __future__ import annotations

import math

import pytest

from pytest_pyglet_media.core.errors import UnreadableRecordingError
from pytest_pyglet_media.judge import analysis as an
from pytest_pyglet_media.judge import pictures as jp
from pytest_pyglet_media.judge.file_checks import FileChecks
from pytest_pyglet_media.play.frame_keeper import FrameKeeper
from pytest_pyglet_media.store import picture_reference, pictures
from pytest_pyglet_media.store.picture_reference import Decoded, FileLooks, Frame
from pytest_pyglet_media.store.reference import Reference, Stream

W, H = 6, 4


def rgb(seed: int = 0, width: int = W, height: int = H) -> bytes:
    return bytes((seed + 7 * i) % 256 for i in range(width * height * 3))


def rgba(data: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(data), 3):
        out += data[i:i + 3] + b"\xff"
    return bytes(out)


REF = Reference(duration=1.0, start=0.0,
                streams=(Stream(0, "video", "h264", 0.0, 1.0, width=W, height=H),),
                video_index=0, frame_times=(0.0, 0.1, 0.2))


def decoded(frames: dict[float, bytes], looks: FileLooks = FileLooks(),
            variants: dict[str, dict[float, Frame]] | None = None) -> Decoded:
    d = Decoded(looks, {"": {t: Frame(t, W, H, px) for t, px in frames.items()}})
    d.frames.update(variants or {})
    return d


# -- the file of kept pictures ------------------------------------------------------


def test_kept_pictures_round_trip_without_alpha(tmp_path):
    path = tmp_path / "a.mp4.pictures"
    pictures.save(path, [pictures.encode(0.0, W, H, rgba(rgb(1))),
                         pictures.encode(0.1, W, H, rgba(rgb(2)))])
    kept = pictures.load(path)
    assert [(p.video_time, p.width, p.height, p.rgb) for p in kept] == \
        [(0.0, W, H, rgb(1)), (0.1, W, H, rgb(2))]


def test_pictures_are_named_beside_the_recording(tmp_path):
    assert pictures.pictures_beside(tmp_path / "a.mp4.dbg") == tmp_path / "a.mp4.pictures"


@pytest.mark.parametrize("damage, why", [
    (lambda d: b"not pictures" + d[40:], "does not start"),
    (lambda d: d[:-5], "size 96 is outside 1..91"),
    (lambda d: d + b"\x00\x00", "truncated"),
    (lambda d: d.replace(b'"width": 6', b'"width": 9'), "not 9x4 RGBA"),
    (lambda d: d.replace(b'"width": 6', b'"width":-1'), "width -1"),
    (lambda d: d.replace(b'"video_time"', b'"video_tame"'), "lacks fields"),
])
def test_damaged_kept_pictures_are_refused_saying_why(tmp_path, damage, why):
    path = tmp_path / "a.pictures"
    pictures.save(path, [pictures.encode(0.0, W, H, rgba(rgb(1)))])
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(UnreadableRecordingError, match=why):
        pictures.load(path)


# -- numbers ----------------------------------------------------------------------


def test_identical_pictures_have_infinite_psnr():
    d = jp.difference(rgb(3), rgb(3), W)
    assert (d.psnr, d.worst, d.same) == (math.inf, 0, True)


def test_psnr_and_worst_pixel_in_numbers_people_know():
    a = bytearray(rgb(0))
    b = bytearray(a)
    b[3 * (2 * W + 5) + 1] = (a[3 * (2 * W + 5) + 1] + 100) % 256  # pixel (5, 2), green
    d = jp.difference(bytes(a), bytes(b), W)
    diff = abs(a[3 * (2 * W + 5) + 1] - b[3 * (2 * W + 5) + 1])
    assert d.worst == diff and d.worst_at == (5, 2)
    assert d.psnr == pytest.approx(10 * math.log10(255 ** 2 / (diff ** 2 / len(a))))
    assert not d.same


def test_rounding_by_a_level_is_the_same_picture():
    a = rgb(0)
    b = bytes(min(255, v + 1) if i % 5 == 0 else v for i, v in enumerate(a))
    assert jp.difference(a, b, W).same


@pytest.mark.parametrize("pix_fmt, words", [
    ("yuv420p", ""), ("yuvj420p", ""), ("nv12", ""), ("yuv444p", "4:4:4"),
    ("yuv420p10le", "10-bit"), ("yuv422p10le", "4:2:2 10-bit"), ("gbrp", ""),
])
def test_chroma_layout_names_what_is_unusual(pix_fmt, words):
    assert jp.chroma_layout(pix_fmt) == words


# -- verdicts and causes -------------------------------------------------------------


def kept(*items: tuple[float, bytes]) -> list[pictures.Picture]:
    return [pictures.Picture(t, W, H, px) for t, px in items]


def test_the_same_pictures_are_perfect():
    checks = jp.check(kept((0.0, rgb(0)), (0.2, rgb(2))), REF, decoded({0.0: rgb(0), 0.2: rgb(2)}))
    assert len(checks.compared) == 2 and checks.counts == {} and checks.message() == ""


def test_a_picture_that_differs_names_time_psnr_worst_pixel():
    checks = jp.check(kept((0.0, rgb(0)), (0.1, rgb(50))), REF,
                      decoded({0.0: rgb(0), 0.1: rgb(1)}))
    assert checks.counts == {"picture_differs": 1}
    assert checks.message().startswith(
        "1 of 2 pictures compared are not FFmpeg's picture of the same file frame: "
        "frame 0.100 s: PSNR ")
    assert "worst pixel (" in checks.message() and "Likely cause" not in checks.message()


def test_colour_matrix_named_when_pyglet_matches_a_bt601_conversion():
    looks = FileLooks(pix_fmt="yuv420p", color_space="bt709")
    checks = jp.check(kept((0.0, rgb(9))), REF,
                      decoded({0.0: rgb(0)}, looks, {"bt601": {0.0: Frame(0.0, W, H, rgb(9))}}))
    assert checks.differing[0].cause == (
        "colour matrix: the file says BT.709; pyglet's picture matches a BT.601 conversion")


def test_a_bt709_file_whose_picture_matches_neither_names_no_matrix():
    looks = FileLooks(pix_fmt="yuv420p", color_space="bt709")
    checks = jp.check(kept((0.0, rgb(9))), REF,
                      decoded({0.0: rgb(0)}, looks, {"bt601": {0.0: Frame(0.0, W, H, rgb(5))}}))
    assert checks.differing[0].cause == ""


def test_rotation_named_when_pyglet_shows_the_unrotated_picture():
    looks = FileLooks(pix_fmt="yuv420p", rotation=90)
    d = Decoded(looks, {"": {0.0: Frame(0.0, H, W, rgb(0, H, W))},
                        "unrotated": {0.0: Frame(0.0, W, H, rgb(4))}})
    checks = jp.check(kept((0.0, rgb(4))), REF, d)
    bad = checks.differing[0]
    assert bad.difference is None and bad.reference_size == (H, W)
    assert bad.cause == "rotation: the file says 90°; pyglet's picture is not rotated"
    assert f"pyglet's picture is {W}x{H}, FFmpeg's {H}x{W}" in checks.message()


def test_rows_flipped_named():
    checks = jp.check(kept((0.0, jp.flipped(rgb(0), W, H))), REF, decoded({0.0: rgb(0)}))
    assert checks.differing[0].cause == "rows flipped: pyglet's picture is FFmpeg's upside down"


def test_chroma_layout_named_for_a_444_file():
    checks = jp.check(kept((0.0, rgb(3))), REF,
                      decoded({0.0: rgb(0)}, FileLooks(pix_fmt="yuv444p")))
    assert checks.differing[0].cause == "chroma layout: the file is yuv444p (4:4:4)"


def test_size_or_crop_named_when_nothing_else_fits():
    d = Decoded(FileLooks(pix_fmt="yuv420p"), {"": {0.0: Frame(0.0, 8, 4, rgb(0, 8, 4))}})
    checks = jp.check(kept((0.0, rgb(0))), REF, d)
    assert checks.differing[0].cause == f"size or crop: pyglet's picture is {W}x{H}, the file's 8x4"


def test_video_times_are_file_times_minus_pyglets_start():
    ref = Reference(duration=1.0, start=0.5,
                    streams=(Stream(0, "video", "h264", 0.5, 1.0),), video_index=0,
                    frame_times=(0.5, 0.6))
    assert jp.file_times(kept((0.1, rgb(0)), (0.33, rgb(0))), ref) == [0.6, None]


def test_pictures_join_a_verdict_checked_against_the_file():
    verdict = an.Verdict(an.PERFECT, checked=True, file_checks=FileChecks().to_builtins())
    checks = jp.check(kept((0.0, rgb(50))), REF, decoded({0.0: rgb(0)}))
    joined = an.with_pictures(verdict, checks)
    assert joined.outcome == an.DEFECTS and joined.counts == {"picture_differs": 1}
    assert joined.checks.messages["picture_differs"] == checks.message()
    assert joined.checks.pictures["compared"][0][0] == 0.0
    same = an.with_pictures(verdict, jp.check(kept((0.0, rgb(0))), REF, decoded({0.0: rgb(0)})))
    assert same.outcome == an.PERFECT and same.checks.pictures["compared"][0][4] is None
    assert an.Verdict.from_builtins(joined.to_builtins()) == joined


# -- the child's choice of pictures --------------------------------------------------


class FakeImage:
    def __init__(self, seed: int) -> None:
        self.width, self.height = W, H
        self._data = bytearray(rgba(rgb(seed)) + b"\x00" * 64)  # pyglet pads its buffers

    def get_bytes(self, fmt: str, pitch: int) -> bytearray:
        assert (fmt, pitch) == ("RGBA", W * 4)
        return self._data


@pytest.mark.parametrize("mode, times", [
    ("sample", [0.0, 1.0, 2.0, 2.4]),  # first, one a second, last
    ("all", [0.0, 0.4, 0.8, 1.0, 1.2, 1.6, 2.0, 2.4]),
])
def test_the_child_keeps_first_last_and_one_a_second(tmp_path, mode, times):
    keeper = FrameKeeper(tmp_path / "a.pictures", mode)
    for n, t in enumerate([0.0, 0.4, 0.8, 1.0, 1.2, 1.6, 2.0, 2.4]):
        keeper.shown(t, FakeImage(n))
    keeper.save()
    kept_pictures = pictures.load(tmp_path / "a.pictures")
    assert [p.video_time for p in kept_pictures] == times
    assert kept_pictures[-1].rgb == rgb(7)


def test_a_long_play_keeps_about_thirty_pictures(tmp_path):
    keeper = FrameKeeper(tmp_path / "a.pictures", "sample", duration=600.0)
    for n in range(600):
        keeper.shown(float(n), FakeImage(n % 7))
    keeper.save()
    times = [p.video_time for p in pictures.load(tmp_path / "a.pictures")]
    assert times[:3] == [0.0, 20.0, 40.0] and times[-1] == 599.0 and len(times) == 31
    assert not pictures.partial(tmp_path / "a.pictures").exists()


def test_the_child_keeps_only_the_frame_pyglet_is_about_to_show(tmp_path):
    class Logger:
        closed = False
        log_entries: list = [("p.P.ut.1.5", 0.0)]

    class Source:
        def get_next_video_frame(self):
            return FakeImage(1)

    logger, source = Logger(), Source()
    keeper = FrameKeeper(tmp_path / "a.pictures")
    keeper.watch(source, logger)
    source.get_next_video_frame()  # a discarded frame: not shown
    logger.log_entries.append(("p.P.ut.1.6", 0.5))
    source.get_next_video_frame()
    logger.closed = True
    logger.log_entries.append(("p.P.ut.1.6", 0.0))
    source.get_next_video_frame()  # after the play: pyglet rewinds to the first frame
    keeper.save()
    assert [p.video_time for p in pictures.load(tmp_path / "a.pictures")] == [0.5]



# -- previews ------------------------------------------------------------------------


def test_a_preview_is_pyglets_ffmpegs_and_their_difference_side_by_side(tmp_path):
    import struct
    import zlib

    from pytest_pyglet_media.store import png

    mine, theirs = rgb(0), rgb(2)
    width, height, data = jp.preview(pictures.Picture(0.0, W, H, mine), Frame(0.0, W, H, theirs))
    assert (width, height) == (3 * W + 2 * 4, H)
    row = data[:width * 3]
    assert row[:W * 3] == mine[:W * 3] and row[(W + 4) * 3:(2 * W + 4) * 3] == theirs[:W * 3]
    assert row[(2 * W + 8) * 3:] == bytes(min(255, abs(a - b) * 4)
                                          for a, b in zip(mine[:W * 3], theirs[:W * 3]))
    path = tmp_path / "p.png"
    png.save(path, width, height, data)
    blob = path.read_bytes()
    assert blob[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", blob[16:24]) == (width, height)
    idat = blob.index(b"IDAT")
    size = struct.unpack(">I", blob[idat - 4:idat])[0]
    raw = zlib.decompress(blob[idat + 4:idat + 4 + size])
    assert raw == b"".join(b"\x00" + data[y * width * 3:(y + 1) * width * 3] for y in range(height))


def test_a_large_picture_is_previewed_small():
    big = Frame(0.0, 1920, 1080, bytes(1920 * 1080 * 3))
    width, height, _ = jp.preview(pictures.Picture(0.0, 1920, 1080, big.rgb), big)
    assert (width, height) == (3 * 320 + 8, 180)


def test_the_index_shows_the_previews_of_the_pictures_that_differ():
    from pytest_pyglet_media.report import index_page

    checks = jp.check(kept((0.0, rgb(50)), (0.1, rgb(1))), REF, decoded({0.0: rgb(0), 0.1: rgb(1)}))
    cell = index_page._picture_previews("a b.mp4", checks.to_builtins())
    assert cell.count("<img") == 1
    assert 'src="../dbg/a%20b.mp4.picture-1.png"' in cell
    assert "frame 0.000 s: pyglet | FFmpeg | difference x4" in cell


def test_absolute_differences_of_every_byte_at_once():
    import random

    rnd = random.Random(7)
    a = bytes(rnd.randrange(256) for _ in range(3000))
    b = bytes(rnd.randrange(256) for _ in range(3000))
    assert jp.absolute_differences(a, b) == bytes(abs(x - y) for x, y in zip(a, b))
    assert jp.absolute_differences(bytes([0, 255, 7]), bytes([255, 0, 7])) == bytes([255, 255, 0])
    d = jp.difference(a, b, 1000)
    mse = sum((x - y) ** 2 for x, y in zip(a, b)) / len(a)
    assert d.psnr == pytest.approx(10 * math.log10(255 ** 2 / mse))


def test_causes_are_looked_for_in_the_first_pictures_that_differ_only():
    looks = FileLooks(pix_fmt="yuv444p")
    times = [i / 10 for i in range(5)]
    ref = Reference(duration=1.0, start=0.0, streams=REF.streams, video_index=0,
                    frame_times=tuple(times))
    checks = jp.check(kept(*[(t, rgb(50)) for t in times]), ref,
                      decoded({t: rgb(0) for t in times}, looks))
    assert [c.cause != "" for c in checks.differing] == [True] * jp.MAX_EXPLAINED + \
        [False] * (5 - jp.MAX_EXPLAINED)


# -- after the play ------------------------------------------------------------------


def test_audio_only_and_cover_art_are_not_compared_and_kept_pictures_never_stay(
        tmp_path, monkeypatch):
    from pytest_pyglet_media.play import picture_judging
    from pytest_pyglet_media.store import picture_reference

    def no_decode(*args, **kwargs):
        raise AssertionError("FFmpeg asked to decode a file without video")

    monkeypatch.setattr(picture_reference, "reference_pictures", no_decode)
    recording = tmp_path / "song.mp3.dbg"
    recording.write_bytes(b"")
    cover = Reference(duration=1.0, start=0.0, video_index=None, frame_times=(),
                      streams=(Stream(0, "audio", "mp3", 0.0, 1.0),
                               Stream(1, "video", "png", 0.0, 1.0, attached_pic=True)))
    verdict = an.Verdict(an.PERFECT, checked=True, file_checks=FileChecks().to_builtins())
    for ref in (cover, None):
        kept = pictures.pictures_beside(recording)
        pictures.save(kept, [pictures.encode(0.0, W, H, rgba(rgb(1)))])
        pictures.partial(kept).write_bytes(b"left by a crash")
        assert picture_judging.judged(verdict, tmp_path / "song.mp3", recording, ref,
                                      None) == verdict
        assert not kept.exists() and not pictures.partial(kept).exists()


@pytest.fixture
def decodes(tmp_path, monkeypatch):
    """reference_pictures with FFmpeg stood in for: the times it decoded."""
    asked: list[tuple[float, ...]] = []

    def fake_decode(path, stream, times, variant="", timeout=0.0):
        asked.append(tuple(times))
        return {t: picture_reference.Frame(t, 1, 1, b"\x01\x02\x03") for t in times}

    monkeypatch.setattr(picture_reference, "decode", fake_decode)
    monkeypatch.setattr(picture_reference, "looks", lambda path, stream:
                        picture_reference.FileLooks(pix_fmt="yuv420p", width=1, height=1))
    monkeypatch.setattr(picture_reference, "ffmpeg_version", lambda: "ffmpeg 5.1 #1")
    sample = tmp_path / "clip.mp4"
    sample.write_bytes(b"not decoded here" * 10)
    return asked, sample, tmp_path / ".reference-cache" / "entry.frames"


def test_ffmpegs_pictures_are_decoded_once_per_store_not_once_per_session(tmp_path, decodes):
    # FFmpeg's pictures live in the store's cache, which every session reads
    asked, sample, shared = decodes
    one, two = tmp_path / "one" / "clip.frames", tmp_path / "two" / "clip.frames"
    first = picture_reference.reference_pictures(sample, 0, [0.0, 0.5], one, shared=shared)
    assert asked == [(0.0, 0.5)] and shared.is_file() and not one.exists()
    again = picture_reference.reference_pictures(sample, 0, [0.5], two, shared=shared)
    assert asked == [(0.0, 0.5)]  # another session: nothing decoded again
    assert again.frame(0.5).rgb == first.frame(0.5).rgb == b"\x01\x02\x03"
    picture_reference.reference_pictures(sample, 0, [1.0], two, shared=shared)
    assert asked[-1] == (1.0,)  # a frame never decoded is, and joins the store's
    assert picture_reference.reference_pictures(sample, 0, [1.0], one, shared=shared) \
        .frame(1.0) is not None and len(asked) == 2
    # a store that keeps no cache keeps them in the session
    picture_reference.reference_pictures(sample, 0, [0.0], one, shared=None)
    assert one.is_file()


def test_a_sample_of_the_bytes_rules_out_a_cause_exactly():
    # off by more than MAX_WORST in a sampled byte: surely not the same picture
    a = bytes(range(256)) * 30
    far = bytearray(a)
    far[0] = (far[0] + 100) % 256
    assert jp._surely_differ(a, bytes(far))
    # a small difference, or one between the sampled bytes, proves nothing
    near = bytearray(a)
    near[0] = (near[0] + 3) % 256
    between = bytearray(a)
    between[1] = (between[1] + 100) % 256
    assert not jp._surely_differ(a, bytes(near))
    assert not jp._surely_differ(a, bytes(between))
    assert not jp.difference(a, bytes(between), 16).same  # the whole comparison still sees it


def test_stored_pictures_another_ffmpeg_decoded_are_decoded_again(decodes, monkeypatch):
    asked, sample, shared = decodes
    picture_reference.reference_pictures(sample, 0, [0.5], None, shared=shared)
    picture_reference.reference_pictures(sample, 0, [0.5], None, shared=shared)
    assert len(asked) == 1
    monkeypatch.setattr(picture_reference, "ffmpeg_version", lambda: "ffmpeg 6.0 #2")
    picture_reference.reference_pictures(sample, 0, [0.5], None, shared=shared)
    assert len(asked) == 2


def test_stored_pictures_changed_by_a_byte_are_decoded_again(decodes):
    """A frame's time changed in the header (valid JSON, valid zlib) would pair
    FFmpeg's picture with another frame of pyglet's: the checksum refuses it."""
    asked, sample, shared = decodes
    picture_reference.reference_pictures(sample, 0, [0.5], None, shared=shared)
    data = shared.read_bytes()
    assert b'"time": 0.5' in data
    shared.write_bytes(data.replace(b'"time": 0.5', b'"time": 0.7'))
    again = picture_reference.reference_pictures(sample, 0, [0.5, 0.7], None, shared=shared)
    assert asked == [(0.5,), (0.5, 0.7)]  # nothing of the changed file was used
    assert again.frame(0.5) is not None
