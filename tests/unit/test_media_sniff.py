"""media_sniff.py: media or not, from the first bytes (built here) and the name."""
from __future__ import annotations

import os
import struct

import pytest

from pytest_pyglet_media.store import media_sniff
from pytest_pyglet_media.store.media_sniff import classify


def _box(kind: bytes, body: bytes = b"") -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


MP4 = _box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41") + _box(b"free")
HEIC = _box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic")
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00"
AVI = b"RIFF\x00\x00\x00\x00AVI LIST"
WEBP_STILL = b"RIFF\x00\x00\x00\x00WEBPVP8 \x00\x00\x00\x00"
WEBP_ANIMATED = b"RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x02\x00\x00\x00"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + bytes(17) + b"\x00\x00\x00\x00IDAT"
APNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + bytes(17) + b"\x00\x00\x00\x08acTL" \
    + bytes(12) + b"IDAT"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00,"
GIF_ANIMATED = b"GIF89a\x01\x00\x01\x00\x00\x00\x00!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
MP3_FRAME = b"\xff\xfb\x90\x64" + bytes(60)  # MPEG-1 layer III, 128 kb/s, 44.1 kHz
ADTS = b"\xff\xf1\x50\x80\x02\x1f\xfc" + bytes(20)
TS = b"".join(b"\x47" + bytes(187) for _ in range(4))
M2TS = b"".join(bytes(4) + b"\x47" + bytes(187) for _ in range(4))


@pytest.mark.parametrize("head, what", [
    (MP4, "ISO media"), (_box(b"moov"), "QuickTime"), (b"\x1a\x45\xdf\xa3\x9f\x42\x86", "Matroska"),
    (b"OggS\x00\x02", "Ogg"), (WAV, "WAV"), (AVI, "AVI"), (b"fLaC\x00\x00\x00\x22", "FLAC"),
    (b"ID3\x04\x00\x00", "MP3"), (MP3_FRAME, "MPEG audio"), (ADTS, "AAC"),
    (b"FLV\x01\x05", "FLV"), (TS, "transport stream"), (M2TS, "transport stream"),
    (b"\x00\x00\x01\xba\x44", "program stream"),
    (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9", "ASF"),
    (b"FORM\x00\x00\x00\x00AIFFCOMM", "AIFF"), (b".snd\x00\x00\x00\x18", "AU"),
    (b"#!AMR\n", "AMR"), (APNG, "animated PNG"), (GIF_ANIMATED, "animated GIF"),
    (WEBP_ANIMATED, "animated WebP"),
])
def test_media_is_told_by_its_magic_whatever_its_name(head, what):
    sniffed = classify(head, "anything")
    assert sniffed.is_media
    assert what in sniffed.reason


@pytest.mark.parametrize("head, what", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "JPEG"), (PNG, "PNG"), (GIF, "GIF"),
    (b"BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00", "BMP"), (WEBP_STILL, "WebP"),
    (HEIC, "still image"), (b"%PDF-1.7\n", "PDF"), (b"PK\x03\x04\x14\x00", "ZIP"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(8), "OLE"),
    (b"\x00\x00\x00\x01Bud1\x00\x00", ".DS_Store"), (b"\x7fELF\x02\x01", "ELF"),
])
def test_other_formats_are_told_by_their_magic(head, what):
    sniffed = classify(head, "anything")
    assert not sniffed.is_media
    assert what in sniffed.reason


def test_magic_of_another_format_wins_over_a_media_extension():
    # cover art saved as .mp4 by mistake: its bytes say what it is
    assert not classify(b"\xff\xd8\xff\xe1", "clip.mp4").is_media


@pytest.mark.parametrize("name", ["subtitles.srt", "captions.VTT", "movie.ass", "vobsub.sub",
                                  "checksums.md5", "SHA256SUMS.sha256", "Thumbs.db",
                                  "desktop.ini"])
def test_some_names_are_never_samples_whatever_the_bytes(name):
    # VobSub's .sub is MPEG-PS: the name decides before the bytes
    assert not classify(b"\x00\x00\x01\xba\x44", name).is_media


def test_text_is_not_media():
    license_text = b"MIT License\n\nCopyright (c) 2026 \xc3\xb1and\xc3\xba\n" * 40
    for name in ("LICENSE", "notes.md", "README", "checksums"):
        sniffed = classify(license_text, name)
        assert (sniffed.is_media, sniffed.reason) == (False, "text")


def test_text_cut_inside_a_character_is_still_text():
    head = ("é" * 600).encode()[:media_sniff.TEXT_WINDOW - 1]
    assert not classify(head, "notes").is_media


def test_utf16_text_is_not_taken_for_mpeg_audio():
    # FF FE is also an MPEG audio sync word: desktop.ini files are UTF-16
    head = "\ufeff[.ShellClassInfo]\r\nIconResource=x\r\n".encode("utf-16-le")
    assert classify(head, "folder.cfg").reason == "text (UTF-16)"


def test_unknown_bytes_under_a_media_name_are_kept():
    # the player doubles' fake samples, and a real file whose format the
    # sniff does not know: a failing item beats a silently hidden sample
    sniffed = classify(b"not really media\n", "perfect_a.mp4")
    assert sniffed.is_media and ".mp4" in sniffed.reason


def test_unknown_binary_is_kept():
    assert classify(bytes(range(1, 64)) + b"\x00" * 8, "mystery").is_media


def test_an_empty_file_is_a_sample_only_under_a_media_name():
    assert classify(b"", "clip.mp4").is_media
    assert not classify(b"", "empty").is_media


def test_a_fifo_is_skipped_without_being_opened(tmp_path):
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    sniffed = media_sniff.sniff_file(fifo)  # would block here if opened
    assert not sniffed.is_media and "FIFO" in sniffed.reason


def test_a_link_to_a_fifo_is_a_fifo(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link.mp4").symlink_to(tmp_path / "pipe")
    assert "FIFO" in media_sniff.sniff_file(tmp_path / "link.mp4").reason


def test_a_dangling_link_cannot_be_read(tmp_path):
    (tmp_path / "gone.mp4").symlink_to(tmp_path / "nowhere")
    sniffed = media_sniff.sniff_file(tmp_path / "gone.mp4")
    assert not sniffed.is_media and "cannot be read" in sniffed.reason


def test_sniff_file_reads_the_head(tmp_path):
    (tmp_path / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(5000))
    (tmp_path / "a").write_bytes(MP4 + bytes(5000))
    assert not media_sniff.sniff_file(tmp_path / "cover.jpg").is_media
    assert media_sniff.sniff_file(tmp_path / "a").is_media
