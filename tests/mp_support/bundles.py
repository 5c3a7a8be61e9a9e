"""Hand-crafted bundle tarballs, for the tests of bundle.extract_bundle.

`craft(name, entries, sums=...)` writes a .tar.gz (or plain .tar) from entry
tuples, so every malicious shape can be built byte by byte:

    ("dir", "s1")                       a folder member
    ("file", "s1/x.txt", b"data")       a regular file member
    ("symlink", "s1/l", "/etc/passwd")  ("hardlink", "s1/h", "s1/x.txt")
    ("fifo", "s1/f")  ("chr", "s1/c")   special members
    ("raw", TarInfo, bytes | None)      anything else, as given

sums: None adds no SHA256SUMS; "auto" appends a correct one for the "file"
entries under the first entry's top folder; a str is used as its content.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from pathlib import Path
from typing import Any, Iterable

from mp_support.recordings import placeholder
from pytest_pyglet_media.store import recording

Entry = tuple[Any, ...]


def sums_for(top: str, entries: Iterable[Entry]) -> str:
    lines = []
    for entry in entries:
        if entry[0] == "file" and entry[1].startswith(top + "/"):
            digest = hashlib.sha256(entry[2]).hexdigest()
            lines.append(f"{digest}  {entry[1][len(top) + 1:]}\n")
    return "".join(lines)


def _tarinfo(entry: Entry) -> tuple[tarfile.TarInfo, bytes | None]:
    kind, name = entry[0], entry[1]
    if kind == "raw":
        return entry[1], entry[2]
    info = tarfile.TarInfo(name)
    info.mtime = 1_700_000_000
    if kind == "dir":
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        return info, None
    if kind == "file":
        info.size, info.mode = len(entry[2]), 0o644
        return info, entry[2]
    if kind == "symlink":
        info.type, info.linkname = tarfile.SYMTYPE, entry[2]
    elif kind == "hardlink":
        info.type, info.linkname = tarfile.LNKTYPE, entry[2]
    elif kind == "fifo":
        info.type = tarfile.FIFOTYPE
    elif kind == "chr":
        info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
    else:
        raise ValueError(kind)
    return info, None


def write_tar(path: Path, entries: list[Entry], *, sums: str | None = "auto",
              compress: bool = True) -> Path:
    entries = list(entries)
    if sums is not None:
        top = entries[0][1].split("/")[0] if entries[0][0] != "raw" else entries[0][1].name.split("/")[0]
        content = sums_for(top, entries) if sums == "auto" else sums
        entries.append(("file", f"{top}/SHA256SUMS", content.encode("utf-8")))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in entries:
            info, data = _tarinfo(entry)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    data = buffer.getvalue()
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    return path


def valid_entries(top: str = "s1") -> list[Entry]:
    return [
        ("dir", top),
        ("file", f"{top}/configuration.json", b'{"has_playlist": false}\n'),
        ("dir", f"{top}/dbg"),
        ("file", f"{top}/dbg/a.mp4.dbg", recording.dumps(placeholder("a.mp4"))),
        ("dir", f"{top}/reports"),
        ("file", f"{top}/reports/00_summary.txt", b"summary\n"),
    ]


def tree(root: Path) -> list[str]:
    """Every path under root (links not followed), relative, sorted."""
    found = []
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            found.append(os.path.relpath(os.path.join(folder, name), root))
    return sorted(found)


class Kit:
    """The helpers above as one namespace (the `kit` fixture returns it)."""

    sums_for = staticmethod(sums_for)
    write_tar = staticmethod(write_tar)
    valid_entries = staticmethod(valid_entries)
    tree = staticmethod(tree)
