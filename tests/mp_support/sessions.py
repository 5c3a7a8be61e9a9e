"""Sessions to read without playing: built from synthetic recordings; index.html parsing.

Store builds sessions directly with session.create_session and recording.save
of synthetic recordings (mp_support.recordings); check_index parses a
reports/index.html and checks that every link resolves.
"""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from pytest_pyglet_media.store import recording
from pytest_pyglet_media.store import sessions

#: what versions.capture is faked to return (no player --info is run)
FAKE_VERSIONS = {"pyglet": "9.9.9-fake", "ffmpeg": "0.0-fake", "python": "3.x-fake",
                 "platform": "FakeOS", "pyglet_revision": "fake revision"}


class Store:
    """A samples folder whose sessions are built from synthetic recordings."""

    def __init__(self, folder: Path) -> None:
        self.samples_dir = folder

    def add(self, *names: str) -> None:
        for name in names:
            (self.samples_dir / name).write_bytes(b"not really media\n")

    def session(self, name: str, recordings: dict[str, list | None],
                activate: bool = False) -> sessions.SessionPaths:
        """A session whose playlist is `recordings`' keys; None: no recording."""
        self.add(*[s for s in recordings if not (self.samples_dir / s).exists()])
        paths = sessions.create_session(self.samples_dir, name, list(recordings),
                                     has_playlist=True, versions=FAKE_VERSIONS,
                                     samples_version="test-1")
        for sample, events in recordings.items():
            if events is not None:
                recording.save(paths.recording(sample), events)
        if activate:
            sessions.set_active_session(self.samples_dir, name)
        return paths


class IndexPage(HTMLParser):
    """Rows (list of cell texts + hrefs) and every href of an index page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[dict] = []
        self.hrefs: list[str] = []
        self.paragraphs: list[str] = []
        self._row: dict | None = None
        self._cell: list[str] | None = None
        self._p: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self._row = {"cells": [], "hrefs": []}
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "a":
            self.hrefs.append(attrs.get("href", ""))
            if self._row is not None:
                self._row["hrefs"].append(attrs.get("href", ""))
        elif tag == "p":
            self._p = []

    def handle_endtag(self, tag):
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row["cells"].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row["cells"]:
                self.rows.append(self._row)
            self._row = None
        elif tag == "p" and self._p is not None:
            self.paragraphs.append("".join(self._p).strip())
            self._p = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._p is not None:
            self._p.append(data)

    def by_sample(self) -> dict[str, dict]:
        return {row["cells"][0]: row for row in self.rows}


def check_index(reports_dir: Path) -> IndexPage:
    """Parse reports/index.html; every href must resolve to an existing file."""
    from urllib.parse import unquote

    page = IndexPage((reports_dir / "index.html").read_text(encoding="utf-8"))
    for href in page.hrefs:
        target = reports_dir / unquote(href)
        assert target.is_file(), f"index.html links to {href!r}: {target} does not exist"
    return page
