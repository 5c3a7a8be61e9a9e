"""Hostile recordings and bundles cost at most a small multiple of their size.

Each input is built here. Each is loaded (or unpacked) in a child process,
which reports its outcome and how much its peak memory grew (VmHWM); the
bounds are multiples of the input's size, never tight wall-clock times: a
generous timeout stands for "not minutes", which an unguarded loader takes.
"""
from __future__ import annotations

import io
import json
import pickle
import struct
import subprocess
import sys
import tarfile
import textwrap
import zlib

import pytest

from pytest_pyglet_media.core.errors import BadFileError, UnreadableRecordingError
from pytest_pyglet_media.store import bundle
from pytest_pyglet_media.store import recording as rec

MB = 1024 * 1024
#: an unguarded loader takes minutes on some of these; this one a second or two
TIMEOUT = 60
#: a refusal or error message is one line, and quotes little of the input
MAX_MESSAGE = 400

_CHILD = textwrap.dedent("""
    import json, sys
    from pytest_pyglet_media.store import recording
    from pytest_pyglet_media.core.errors import UnreadableRecordingError

    def peak():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM"):
                    return int(line.split()[1]) * 1024

    try:  # reset the peak to what the process holds now (Linux >= 4.0)
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass
    before = peak()
    try:
        events = recording.load(sys.argv[1])
        outcome, message = "loaded", f"{type(events).__name__} of {len(events)}"
    except UnreadableRecordingError as exc:
        outcome, message = "unreadable", str(exc)
    print(json.dumps({"outcome": outcome, "message": message, "growth": peak() - before}))
""")


def load_in_child(tmp_path, data: bytes) -> dict:
    path = tmp_path / "hostile.dbg"
    path.write_bytes(data)
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    result["size"] = len(data)
    return result


def assert_bounded(result: dict) -> None:
    """Peak memory (the data included) within the documented factor of its size."""
    # 2 MiB for the interpreter's own noise (the data is part of the estimate)
    limit = rec.MAX_MEMORY_FACTOR * result["size"] + rec.MEMORY_ALLOWANCE + 2 * MB
    assert result["growth"] <= limit, (result["growth"] / result["size"], result)


def assert_refused(tmp_path, data: bytes, *words: str) -> dict:
    result = load_in_child(tmp_path, data)
    assert result["outcome"] == "unreadable", result
    message = result["message"]
    assert "\n" not in message and len(message) <= MAX_MESSAGE, message[:1000]
    for word in words:
        assert word in message, message
    assert_bounded(result)
    return result


# -- inputs measured to cost minutes or gigabytes unguarded -------------------


def test_memo_index_bomb_is_refused_before_allocating(tmp_path):
    # LONG_BINPUT with an index near the data's size: admitted, it makes the C
    # unpickler grow its memo to ~17 bytes per byte of input
    size = 8 * MB
    data = b"]r" + struct.pack("<I", size - 16) + b"N" * (size - 8) + b"."
    assert_refused(tmp_path, data, "memo index", "skips")


def test_text_memo_index_of_ten_megabytes_is_refused_quickly(tmp_path):
    assert_refused(tmp_path, b"]p" + b"1" * (10 * MB) + b"\n.", "longer than 20 bytes")


@pytest.mark.parametrize("op", [b"\x94", b"q\x00", b"r\x00\x00\x00\x00"],
                         ids=["MEMOIZE", "BINPUT", "LONG_BINPUT"])
def test_ten_megabytes_of_memo_opcodes_cost_linear_time_and_bounded_memory(tmp_path, op):
    data = b"]" + op * (10 * MB // len(op)) + b"."
    result = load_in_child(tmp_path, data)
    assert_bounded(result)
    if result["outcome"] == "unreadable":
        assert "memory" in result["message"]


def _same_hash_ints(count: int) -> bytes:
    """LONG1 opcodes of k * (2**61 - 1): every one hashes to 0."""
    out = []
    for k in range(1, count + 1):
        raw = (k * (2 ** 61 - 1)).to_bytes(16, "little", signed=True).rstrip(b"\x00") + b"\x00"
        out.append(b"\x8a" + bytes([len(raw)]) + raw)
    return b"".join(out)


@pytest.mark.parametrize("build", ["frozenset", "set"])
def test_same_hash_set_is_refused_before_hashing(tmp_path, build):
    members = _same_hash_ints(50_000)   # quadratic: unguarded, loading takes minutes
    if build == "frozenset":
        data = b"\x80\x04](" + members + b"\x91e."
    else:
        data = b"\x80\x04]\x8f(" + members + b"\x90a."
    assert_refused(tmp_path, data, build, "not a list of tuples")


@pytest.mark.parametrize("data, words", [
    (b"]" * 200_000 + b"a" * 199_999 + b".", ("list inside",)),
    (b"](" + b"(" * 200_000 + b"t" * 200_000 + b"e.", ("nested more than",)),
    (b"]N" + b"\x85" * 200_000 + b"a.", ("nested more than",)),
    (b"]" + b"(l" * 100_000 + b".", ("list inside",)),
], ids=["lists", "marks", "tuple1", "proto0-lists"])
def test_deep_nesting_is_refused(tmp_path, data, words):
    assert_refused(tmp_path, data, *words)


@pytest.mark.parametrize("protocol", range(6))
def test_integer_of_5000_digits_is_refused(tmp_path, protocol):
    if protocol < 2:  # text LONG, as protocols 0 and 1 write it (repr needs no limit here)
        data = pickle.dumps([("p.P.sk", 1)], protocol=protocol).replace(
            b"I1\n" if protocol == 0 else b"K\x01", b"L1" + b"0" * 5000 + b"L\n")
    else:
        data = pickle.dumps([("p.P.sk", 10 ** 5000)], protocol=protocol)
    assert_refused(tmp_path, data, f"{rec.MAX_INT_BITS} bits")


def test_integer_opcodes_refuse_beyond_128_bits(tmp_path):
    for value in (2 ** 127 - 1, -2 ** 127):
        for protocol in range(6):
            path = tmp_path / "int.dbg"
            path.write_bytes(pickle.dumps([("p.P.sk", value)], protocol=protocol))
            assert rec.load(path) == [("p.P.sk", value)]
    for data in (pickle.dumps([10 ** 600], protocol=4),        # LONG1 of 250 bytes
                 b"]I" + b"9" * 41 + b"\na.", b"]L" + b"9" * 40 + b"L\na."):
        assert_refused(tmp_path, data, "128 bits")


# -- only what recordings hold -------------------------------------------------


@pytest.mark.parametrize("protocol", range(6))
@pytest.mark.parametrize("value, word", [
    ({"a": 1}, "dict"), (set(), "set"), (frozenset({1}), "frozenset"), (b"xy", "bytes"),
    (bytearray(b"xy"), "bytearray"), ([1.0], "list inside"), (Ellipsis, "Ellipsis"),
    (int, "builtins.int"), (len, ".len'"),
])
def test_anything_but_tuples_and_scalars_is_refused(tmp_path, protocol, value, word):
    path = tmp_path / "odd.dbg"
    path.write_bytes(pickle.dumps([("mp.im", "a.mp4"), ("mp.err", value)], protocol=protocol))
    with pytest.raises(UnreadableRecordingError) as info:
        rec.load(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message and len(message) <= MAX_MESSAGE
    # bytes and sets pickle as calls to a global at low protocols
    alternatives = {"bytes": "_codecs.encode", "set": "builtins.set",
                    "builtins.int": "__builtin__.long"}   # protocols 0-2 name Python 2's
    assert word in message or alternatives.get(word, word) in message, message


@pytest.mark.parametrize("data, words", [
    (b"]" + b"N\x85" * (2 * MB), ("memory",)),             # tuples of None: ~33 bytes a byte
    (b"](" + b")" * (4 * MB) + b"e.", ("memory",)),        # empty tuples: the list's slots
    (b"](" + b"N" * (4 * MB) + b"e.", ("memory",)),
    (b"](" + b"M\x01\x02" * (3 * MB) + b"e.", ("memory",)),   # 2-byte ints: ~28 bytes a byte
    (b"](" + b"\x8c\x04\xf0\x9f\x98\x80" * MB + b"e.", ("memory",)),  # 1-char strings: ~25
    (b"](\x8c\x01a\x94" + b"h\x00" * (4 * MB) + b"e.", ("memory",)),  # references: ~25
], ids=["tuple1", "empty-tuples", "nones", "dense-ints", "dense-strings", "dense-references"])
def test_memory_bombs_are_refused(tmp_path, data, words):
    # the dense ones need refusing too: their real peak reached 21.4 bytes a
    # byte on one machine (the array of pointers grows differently there)
    assert_refused(tmp_path, data, *words)


@pytest.mark.parametrize("body", [
    b"(J\x01\x02\x03\x04J\x01\x02\x03\x04J\x01\x02\x03\x04J\x01\x02\x03\x04t",  # ints: ~13
    b"(\x8c\x08\xf0\x9f\x98\x80\xf0\x9f\x98\x80h\x00t",  # non-ASCII strings: ~18
    b"(h\x00h\x00h\x00h\x00h\x00t",                                 # references: ~13
    b"(h\x00G12345678G12345678G12345678G12345678t\x94",  # events: ~8.2
], ids=["ints", "strings", "references", "events"])
def test_admitted_data_stays_within_the_memory_factor(tmp_path, body):
    # estimated bytes a byte in the comments; measured peaks stay well below
    data = b"](\x8c\x01a\x94" + body * (8 * MB // len(body)) + b"e."
    result = load_in_child(tmp_path, data)
    assert result["outcome"] == "loaded", result
    assert_bounded(result)


def test_names_in_messages_are_short_and_escaped(tmp_path):
    long_name = "x\n" * MB
    for protocol in (0, 4):
        if protocol == 0:  # GLOBAL with a megabyte-long module name
            data = b"c" + b"y" * MB + b"\nsystem\n."
            words = ("longer than 256 bytes",)
        else:              # STACK_GLOBAL: the unpickler names it, quoted and cut
            data = (b"\x80\x04\x8cX" + struct.pack("<I", len(long_name)) + long_name.encode()
                    + b"\x8c\x06system\x93.").replace(b"\x8cX", b"X", 1)
            words = ("refers to 'x\\nx\\n", "...")
        assert_refused(tmp_path, data, *words)


# -- what recordings hold still loads ------------------------------------------


def _edge_recording() -> list[tuple]:
    shared = ("p.P.ut.1.9", 0.04, 0.08)
    events = [("version", 1.1), ("mp.im", "é ☃ 😀 clip.mp4"),
              ("mp.src", 1.5, (320, 240, 1.0, 30.0), None),
              ("mp.err", "r" * 600), ("x", True, False, None, -5, 300, 70_000, 2 ** 40,
                                      -2 ** 100, 2 ** 127 - 1, float("inf"), -0.0, ()),
              shared, shared, ("p.P.oe",), ("p.P.oe",)]
    events += [(f"name{i}", i * 1.5) for i in range(600)]    # > 256 memo entries
    deepest = 1.0
    for _ in range(rec.MAX_NESTING - 1):                      # the list is the last level
        deepest = (deepest,)
    events.append(deepest)
    return events


def _play(frames: int, header: bool) -> list[tuple]:
    events = [("version", 1.1), ("mp.im", "a.mp4"),
              ("mp.src", 2.0, (320, 240, 1.0, 30.0), (2, 16, 44100))] if header else []
    events.append(("p.P._sp", 0.0))
    for i in range(frames):
        t = i / 30
        events += [("p.P.ut.1.0", 1 / 30, t, t, t + 0.001), ("p.P.ut.1.6", t),
                   ("p.P.ut.1.9", 1 / 30, t + 1 / 30)]
    events += [("p.P.ut.1.6", None), ("p.P.ut.1.7", 0.0333)]
    if header:
        events += [("mp.cpu", 0.5, 0.01), ("mp.end", frames / 30)]
    return events + [("p.P.oe",)]


@pytest.mark.parametrize("protocol", range(6))
def test_recordings_at_every_protocol_load(tmp_path, protocol):
    path = tmp_path / "p.dbg"
    for events in (_play(40, True), _play(40, False), _edge_recording()):
        data = pickle.dumps(events, protocol=protocol)
        path.write_bytes(data)
        assert rec.load(path) == pickle.loads(data) == events


def test_one_level_deeper_than_the_limit_is_refused(tmp_path):
    deeper = 1.0
    for _ in range(rec.MAX_NESTING):
        deeper = (deeper,)
    for protocol in range(6):
        assert_refused(tmp_path, pickle.dumps([deeper], protocol=protocol), "nested more than")


def test_a_million_event_recording_loads_within_the_factor(tmp_path):
    events = [("version", 1.1), ("mp.im", "clip.mp4"), ("p.P._sp", 0.0)]
    events += [("p.P.ut.1.0", 0.016, i * 0.016 + 1.23, i * 0.016 + 1.22, i * 0.016 + 4.5)
               for i in range(1_000_000)]
    events.append(("p.P.oe",))
    result = load_in_child(tmp_path, pickle.dumps(events))
    assert result["outcome"] == "loaded" and result["message"] == "list of 1000004", result
    assert_bounded(result)


# -- unbundling: header members count ------------------------------------------

_BUNDLE_CHILD = textwrap.dedent("""
    import json, sys
    from pytest_pyglet_media.store import bundle
    from pytest_pyglet_media.core.errors import MediaTestError

    def peak():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM"):
                    return int(line.split()[1]) * 1024

    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass
    before = peak()
    try:
        bundle.extract_bundle(sys.argv[1], sys.argv[2])
        outcome, message = "extracted", ""
    except MediaTestError as exc:
        outcome, message = type(exc).__name__, str(exc)
    print(json.dumps({"outcome": outcome, "message": message, "growth": peak() - before}))
""")


def _header(name: str, kind: bytes, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size
    return info.tobuf(tarfile.GNU_FORMAT)


def _gzip_tar(path, pieces) -> int:
    """Write a .tar.gz from (bytes, repeat) pieces, streaming; return its size."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)   # gzip container
    with open(path, "wb") as out:
        for chunk, repeat in pieces:
            for _ in range(repeat):
                out.write(packer.compress(chunk))
        out.write(packer.flush())
    return path.stat().st_size


def _padded(size: int) -> int:
    return -size % tarfile.BLOCKSIZE


def _long_header_member(kind: bytes, length: int,
                        key: str = "path") -> list[tuple[bytes, int]]:
    """A GNU long name/link or PAX member of `length` bytes of content, then a file."""
    if kind == tarfile.XHDTYPE:
        record_len = length
        digits = len(str(record_len))
        body_len = record_len - digits - len(f" {key}=\n")
        head = f"{record_len} {key}=".encode()
        content = [(head, 1), (b"a" * MB, body_len // MB), (b"a", body_len % MB), (b"\n", 1)]
        size = len(head) + body_len + 1
    else:
        content = [(b"a" * MB, length // MB), (b"a", length % MB)]
        size = length
    return ([(_header("././@LongLink", kind, size), 1), *content,
             (b"\0" * _padded(size), 1),
             (_header("s1/x.txt", tarfile.REGTYPE, 0), 1), (b"\0" * 1024, 1)])


def unbundle_in_child(tmp_path, archive) -> dict:
    dest = tmp_path / "dest"
    dest.mkdir()
    proc = subprocess.run([sys.executable, "-c", _BUNDLE_CHILD, str(archive), str(dest)],
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not list(dest.iterdir())
    return json.loads(proc.stdout)


@pytest.mark.parametrize("kind", [tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK,
                                  tarfile.XHDTYPE], ids=["long-name", "long-link", "pax"])
def test_huge_header_members_are_refused_cheaply(tmp_path, kind):
    # measured unguarded: a 760 KB gzip holding an 800 MB name took 118 s and 3.9 GB
    archive = tmp_path / "bomb.mp-bundle.tar.gz"
    size = _gzip_tar(archive, _long_header_member(kind, 200 * MB))
    assert size < 1 * MB
    result = unbundle_in_child(tmp_path, archive)
    assert result["outcome"] == "BadFileError", result
    message = result["message"]
    assert "\n" not in message and len(message) <= MAX_MESSAGE, message[:1000]
    assert "headers" in message and "archive bomb" in message, message
    assert result["growth"] < 32 * MB, result


@pytest.mark.parametrize("length, words", [
    (bundle.MAX_MEMBER_HEADER_BYTES - 2048, ("longer than 1024 characters", "...")),
    (bundle.MAX_MEMBER_HEADER_BYTES + 1, ("headers", "archive bomb")),
])
def test_long_names_are_refused_and_quoted_short(tmp_path, length, words):
    archive = tmp_path / "names.mp-bundle.tar.gz"
    _gzip_tar(archive, _long_header_member(tarfile.GNUTYPE_LONGNAME, length))
    result = unbundle_in_child(tmp_path, archive)
    assert result["outcome"] == "BadFileError", result
    assert len(result["message"]) <= MAX_MESSAGE, result["message"][:1000]
    for word in words:
        assert word in result["message"], result


def test_many_header_members_count_against_the_header_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(bundle, "MAX_BUNDLE_HEADER_BYTES", 256 * 1024)
    archive = tmp_path / "many.tar"
    pieces = [(_header("s1", tarfile.DIRTYPE, 0), 1)]
    for i in range(100):   # 100 members each with a 4 KB PAX record: 400 KB of headers
        pieces += _long_header_member(tarfile.XHDTYPE, 4000, "comment")[:-2]
        pieces += [(_header(f"s1/d{i}", tarfile.DIRTYPE, 0), 1)]
    archive.write_bytes(b"".join(chunk * repeat for chunk, repeat in pieces) + b"\0" * 1024)
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(BadFileError, match="archive bomb") as info:
        bundle.extract_bundle(archive, dest)
    assert "of member headers in all" in str(info.value)


def test_global_pax_header_is_refused(tmp_path):
    archive = tmp_path / "global.tar"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT,
                      pax_headers={"comment": "x" * 100}) as tar:
        info = tarfile.TarInfo("s1")
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
    archive.write_bytes(buf.getvalue())
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(BadFileError, match="global PAX header"):
        bundle.extract_bundle(archive, dest)


# -- a sample is identified, never read whole (issue 20, demand 14) ------------


def _bytes_read() -> int:
    """What this process has read so far, every file and pipe (Linux)."""
    with open("/proc/self/io") as io_stats:
        return next(int(line.split()[1]) for line in io_stats if line.startswith("rchar:"))


def test_a_huge_sparse_sample_is_not_read_whole(tmp_path, monkeypatch):
    """Its reference costs 2 MiB of reading (its first and last MiB), once
    per run, however often the run asks; a stand-in ffprobe reads nothing."""
    from doubles import ffprobe_stand_in

    from pytest_pyglet_media.play import playback
    from pytest_pyglet_media.store.stored_references import StoredReferences

    ffprobe_stand_in.write(tmp_path / "bin", stdout=json.dumps({
        "streams": [{"index": 0, "codec_type": "audio", "start_time": "0", "duration": "1"}]}))
    ffprobe_stand_in.alone_on_path(monkeypatch, tmp_path / "bin")
    sample = tmp_path / "huge.wav"
    with open(sample, "wb") as f:
        f.truncate(4 << 30)  # 4 GiB of holes: whole, it is seconds of reading
    run = StoredReferences()
    before = _bytes_read()
    for _ in range(3):  # the order, the time limit and the play ask alike
        ref, why = playback.file_reference(sample, tmp_path / "huge.wav.json", run)
        assert why == "" and ref is not None
    assert _bytes_read() - before < 4 * MB
