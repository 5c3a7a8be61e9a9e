"""Is a file of the samples folder media? Told from its first bytes and its name.

A probe (ffprobe, or pyglet opening the file) costs about 0.07 s of CPU per
file; reading the first few KB costs microseconds, so the implicit playlist
is sorted by magic numbers alone. The rule, in order:

1. positive evidence of media (a container's or a stream's magic) keeps it;
2. positive evidence of something else (a still image, a document, an
   archive, a system file) leaves it out, with the reason;
3. a media extension keeps it: the bytes said nothing against it, and a
   file the user named ``x.mp4`` that pyglet cannot open deserves a failing
   item, not silence;
4. text (all printable UTF-8, or text with a UTF-16 BOM) is left out;
5. anything else is kept: better a failing item that says pyglet could not
   open it than a real media file of an unusual format silently hidden.

Pure: no processes, only `classify` on bytes; `sniff_head` reads them.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePath

#: enough for a GIF's or a PNG's animation marker and three MPEG-TS packets
HEAD_SIZE = 4096
#: the part of the head judged for text (a long text file is text throughout)
TEXT_WINDOW = 1024

MEDIA_EXTENSIONS = frozenset({
    ".3g2", ".3gp", ".aac", ".ac3", ".aif", ".aifc", ".aiff", ".amr", ".ape", ".asf",
    ".au", ".avi", ".caf", ".dts", ".dv", ".flac", ".flv", ".h264", ".264", ".h265",
    ".265", ".hevc", ".ivf", ".m2ts", ".m2v", ".m4a", ".m4b", ".m4v", ".mj2", ".mjpeg",
    ".mjpg", ".mka", ".mkv", ".mov", ".mp2", ".mp3", ".mp4", ".mpc", ".mpeg", ".mpg",
    ".mts", ".mxf", ".oga", ".ogg", ".ogv", ".opus", ".rm", ".rmvb", ".snd", ".spx",
    ".ts", ".vob", ".wav", ".webm", ".wma", ".wmv", ".wv", ".y4m",
})

#: extensions that are never a sample whatever the bytes: FFmpeg opens a
#: subtitle file as a subtitle stream only (VobSub's .sub is even MPEG-PS)
NOT_MEDIA_EXTENSIONS = {
    **dict.fromkeys((".srt", ".vtt", ".ass", ".ssa", ".sub", ".idx", ".sbv", ".lrc",
                     ".smi", ".ttml", ".dfxp"), "subtitles"),
    **dict.fromkeys((".md5", ".sha1", ".sha256", ".sha512", ".sfv", ".crc"), "checksums"),
}

#: system files by name (case-insensitive), whatever their bytes
NOT_MEDIA_NAMES = {"thumbs.db": "Windows thumbnail cache", "desktop.ini": "Windows folder settings",
                   "ehthumbs.db": "Windows thumbnail cache"}

#: (offset, magic, what) of containers and streams pyglet may play
_MEDIA_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x1a\x45\xdf\xa3", "Matroska/WebM"),
    (0, b"OggS", "Ogg"),
    (0, b"fLaC", "FLAC"),
    (0, b"ID3", "MP3 (ID3 tag)"),
    (0, b"FLV\x01", "FLV"),
    (0, b"\x00\x00\x01\xba", "MPEG program stream"),
    (0, b"\x00\x00\x01\xb3", "MPEG video"),
    (0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "ASF/WMV/WMA"),
    (0, b".snd", "Sun AU"),
    (0, b"#!AMR", "AMR"),
    (0, b"caff", "Core Audio"),
    (0, b"wvpk", "WavPack"),
    (0, b"MAC ", "Monkey's Audio"),
    (0, b"MPCK", "Musepack"),
    (0, b"MP+", "Musepack"),
    (0, b".RMF", "RealMedia"),
    (0, b"YUV4MPEG2", "Y4M video"),
    (0, b"DKIF", "IVF video"),
    (0, b"\x06\x0e\x2b\x34\x02\x05\x01\x01", "MXF"),
    (0, b"Creative Voice File", "VOC audio"),
    (0, b"\x7f\xfe\x80\x01", "DTS"),
)

#: RIFF form types (bytes 8..12)
_RIFF_MEDIA = {b"WAVE": "WAV", b"AVI ": "AVI", b"CDXA": "Video CD", b"RF64": "RF64 WAV"}
#: ISO BMFF brands of still images (HEIF, AVIF): FFmpeg opens them as one frame
_STILL_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"mif1", b"avif", b"jpeg"}
#: boxes an old QuickTime file may begin with, in place of ftyp
_QUICKTIME_BOXES = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}

#: (offset, magic, what) of formats that are not samples
_OTHER_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "a JPEG image (cover art or a photo)"),
    (0, b"II*\x00", "a TIFF image"),
    (0, b"MM\x00*", "a TIFF image"),
    (0, b"\xff\x0a", "a JPEG XL image"),
    (0, b"\x00\x00\x00\x0cJXL ", "a JPEG XL image"),
    (0, b"8BPS", "a Photoshop image"),
    (0, b"%PDF", "a PDF document"),
    (0, b"PK\x03\x04", "a ZIP archive (or an office document)"),
    (0, b"PK\x05\x06", "a ZIP archive"),
    (0, b"\x1f\x8b", "a gzip archive"),
    (0, b"BZh", "a bzip2 archive"),
    (0, b"\xfd7zXZ\x00", "an xz archive"),
    (0, b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (0, b"Rar!\x1a\x07", "a RAR archive"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an OLE compound file (Thumbs.db, an old "
                                             "office document)"),
    (0, b"\x00\x00\x00\x01Bud1", "a macOS .DS_Store"),
    (0, b"\x7fELF", "a program (ELF)"),
    (0, b"MZ", "a Windows program"),
    (0, b"SQLite format 3\x00", "an SQLite database"),
)

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Sniffed:
    """What the first bytes tell: a sample or not, and why."""
    is_media: bool
    reason: str


def media(reason: str) -> Sniffed:
    return Sniffed(True, reason)


def not_media(reason: str) -> Sniffed:
    return Sniffed(False, reason)


def classify_name(name: str) -> Sniffed | None:
    """What the name alone says (subtitles, checksums, system files), or None."""
    known = NOT_MEDIA_NAMES.get(name.lower())
    if known:
        return not_media(known)
    suffix = PurePath(name).suffix.lower()
    if suffix in NOT_MEDIA_EXTENSIONS:
        return not_media(f"{NOT_MEDIA_EXTENSIONS[suffix]} ({suffix})")
    return None


def classify(head: bytes, name: str) -> Sniffed:
    """Sort a file by its first bytes (HEAD_SIZE of them, fewer if it is shorter)
    and its name; see the module's rule."""
    by_name = classify_name(name)
    if by_name is not None:
        return by_name
    has_media_extension = PurePath(name).suffix.lower() in MEDIA_EXTENSIONS
    if not head:
        return media("empty, but named as media") if has_media_extension \
            else not_media("an empty file")
    verdict = _strong_magic(head)
    if verdict is not None:
        return verdict
    if head.startswith(_UTF16_BOMS) and _is_utf16_text(head):
        return not_media("text (UTF-16)")
    verdict = _weak_magic(head)
    if verdict is not None:
        return verdict
    if has_media_extension:
        return media(f"unknown bytes, but named as media ({PurePath(name).suffix})")
    if _is_text(head):
        return not_media("text")
    return media("unknown kind: kept, pyglet will tell whether it plays")


def _strong_magic(head: bytes) -> Sniffed | None:
    """Magic numbers long enough that a match is no accident."""
    for offset, magic, what in _MEDIA_MAGIC:
        if head.startswith(magic, offset):
            return media(what)
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _STILL_IMAGE_BRANDS:
            return not_media(f"a still image (HEIF/AVIF, brand {brand.decode('latin-1')!r})")
        return media(f"ISO media (brand {brand.decode('latin-1').strip()!r})")
    if head[4:8] in _QUICKTIME_BOXES:
        return media("QuickTime")
    if head.startswith(b"RIFF"):
        return _riff(head[8:12], head)
    if head.startswith(b"FORM") and head[8:12] in (b"AIFF", b"AIFC"):
        return media("AIFF")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        # an APNG announces its animation (acTL) before its first image data
        return media("an animated PNG") if b"acTL" in head.split(b"IDAT", 1)[0] \
            else not_media("a PNG image")
    if head.startswith((b"GIF87a", b"GIF89a")):
        # FFmpeg plays an animated GIF as video; the looping extension marks one
        return media("an animated GIF") if b"NETSCAPE2.0" in head or b"ANIMEXTS1.0" in head \
            else not_media("a GIF image")
    if head.startswith(b"BM") and len(head) >= 14 and head[6:10] == b"\x00\x00\x00\x00":
        return not_media("a BMP image")
    for offset, magic, what in _OTHER_MAGIC:
        if head.startswith(magic, offset):
            return not_media(what)
    return None


def _riff(form: bytes, head: bytes) -> Sniffed | None:
    if form in _RIFF_MEDIA:
        return media(_RIFF_MEDIA[form])
    if form == b"WEBP":
        # VP8X flags: bit 1 marks an animation
        animated = head[12:16] == b"VP8X" and len(head) > 20 and head[20] & 0x02
        return media("an animated WebP") if animated else not_media("a WebP image")
    return None


def _weak_magic(head: bytes) -> Sniffed | None:
    """Short sync words: checked after text with a BOM (FF FE is both)."""
    if _is_mpeg_ts(head, 188, 0) or _is_mpeg_ts(head, 192, 4):
        return media("MPEG transport stream")
    if len(head) >= 3 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        if head[1] & 0xF6 == 0xF0:  # layer bits 00: ADTS
            return media("AAC (ADTS)")
        if _is_mpeg_audio_header(head):
            return media("MPEG audio (MP3)")
    if head.startswith(b"\x0b\x77"):
        return media("AC-3")
    return None


def _is_mpeg_ts(head: bytes, packet: int, offset: int) -> bool:
    """A sync byte at the start of three packets in a row."""
    return len(head) >= offset + 2 * packet + 1 and all(
        head[offset + n * packet] == 0x47 for n in range(3))


def _is_mpeg_audio_header(head: bytes) -> bool:
    version = (head[1] >> 3) & 0x03
    layer = (head[1] >> 1) & 0x03
    bitrate = head[2] >> 4
    rate = (head[2] >> 2) & 0x03
    return version != 0x01 and layer != 0 and bitrate != 0x0F and rate != 0x03


def _is_text(head: bytes) -> bool:
    """All printable UTF-8 (a multibyte character cut by the window is fine)."""
    window = head[:TEXT_WINDOW]
    if window.startswith(_UTF8_BOM):
        window = window[len(_UTF8_BOM):]
    if b"\x00" in window:
        return False
    for cut in range(4):  # the window may end inside a character
        try:
            text = window[:len(window) - cut].decode("utf-8")
            break
        except UnicodeDecodeError:
            continue
    else:
        return False
    return all(ch.isprintable() or ch in "\t\n\r\f\v" for ch in text)


def _is_utf16_text(head: bytes) -> bool:
    codec = "utf-16-le" if head.startswith(b"\xff\xfe") else "utf-16-be"
    window = head[2:TEXT_WINDOW]
    window = window[:len(window) // 2 * 2]
    try:
        text = window.decode(codec)
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\t\n\r\f\v" for ch in text)


def special_file_kind(mode: int) -> str | None:
    """What a non-regular file is ('a FIFO', ...), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, what in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISDIR, "a folder")):
        if test(mode):
            return what
    return "not a regular file"


def sniff_file(path: Path) -> Sniffed:
    """Classify one file of the samples folder, never opening a special file:
    opening a FIFO blocks until a writer comes, a device may never end."""
    try:
        st = os.stat(path)  # follows a link: a link to a FIFO is a FIFO
    except OSError as exc:
        return not_media(f"cannot be read ({exc.strerror})")
    kind = special_file_kind(st.st_mode)
    if kind is not None:
        return not_media(f"{kind}, not a file")
    by_name = classify_name(path.name)
    if by_name is not None:
        return by_name
    try:
        # O_NONBLOCK: a FIFO swapped in after the stat still cannot block us
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            head = os.read(fd, HEAD_SIZE)
        finally:
            os.close(fd)
    except OSError as exc:
        # unreadable: kept, the play will say why it could not open it
        return media(f"cannot be read ({exc.strerror}): kept, its play will tell")
    return classify(head, path.name)
