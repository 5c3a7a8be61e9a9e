"""Fixtures for the "reading a run" tests: reports, comparisons, timelines, index, bundles.

Three ways to get a session to read:

- `store`: sessions built directly with session.create_session and
  recording.save of synthetic recordings (no play at all);
- `plug`: pytest runs of the plugin in a subprocess (pytester) with the player
  doubles of tests/doubles (picked by `--mp-player=doubles.NAME`);
- `real_clip`: one tiny clip made with the ffmpeg tool, for real plays.

`mpcli` runs `pyglet-mp` in-process (cli.main), as tests/cli does.
"""
from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pytest_pyglet_media import cli, recording
from pytest_pyglet_media import session as store

FAKE_VERSIONS = {"pyglet": "9.9.9-fake", "ffmpeg": "0.0-fake", "python": "3.x-fake",
                 "platform": "FakeOS", "pyglet_revision": "fake revision"}
DT = 1 / 30
@pytest.fixture(autouse=True)
def _clean_env(inner_run_env):
    """Every test here runs the CLI or the plugin: none inherits the outer run's setup."""


# -- synthetic recordings ------------------------------------------------------


class Rec:
    """Synthetic recordings in our form (header, mp.* events), as tests/unit builds."""

    @staticmethod
    def play(sample: str, n_frames: int = 30, *, late=(), past=(), none_audio=()) -> list:
        """A clean play; `late` frame indexes get a discarded-late frame, `past` a
        negative rescheduling time, `none_audio` an audio_time of None."""
        events: list = [("version", 1.1), ("mp.im", sample),
                        ("mp.src", n_frames * DT, (320, 240, 1.0, 30.0), (2, 16, 44100)),
                        ("p.P._sp", 0.0)]
        for i in range(n_frames):
            t = i * DT
            audio = None if i in none_audio else t
            events.append(("p.P.ut.1.0", DT, t, audio, t + 0.001))
            if i in late:
                events.append(("p.P.ut.1.5", t))
            events.append(("p.P.ut.1.6", t))
            events.append(("p.P.ut.1.9", -0.01 if i in past else DT, t + DT))
        t = n_frames * DT
        events += [("p.P.ut.1.0", DT, t, t, t + 0.001), ("p.P.ut.1.6", None),
                   ("p.P.ut.1.7", 0.0333), ("mp.end", t), ("p.P.oe",)]
        return events

    @staticmethod
    def crash(sample: str) -> list:
        return recording.crash_placeholder(sample)


@pytest.fixture
def rec() -> type[Rec]:
    return Rec


@pytest.fixture
def fake_versions(monkeypatch):
    monkeypatch.setattr("pytest_pyglet_media.versions.capture",
                        lambda player_module=None: dict(FAKE_VERSIONS))


class Store:
    """A samples folder whose sessions are built from synthetic recordings."""

    def __init__(self, folder: Path) -> None:
        self.samples_dir = folder

    def add(self, *names: str) -> None:
        for name in names:
            (self.samples_dir / name).write_bytes(b"not really media\n")

    def session(self, name: str, recordings: dict[str, list | None],
                activate: bool = False) -> store.SessionPaths:
        """A session whose playlist is `recordings`' keys; None: no recording."""
        self.add(*[s for s in recordings if not (self.samples_dir / s).exists()])
        paths = store.create_session(self.samples_dir, name, list(recordings),
                                     has_playlist=True, versions=FAKE_VERSIONS,
                                     samples_version="test-1")
        for sample, events in recordings.items():
            if events is not None:
                recording.save(paths.recording(sample), events)
        if activate:
            store.set_active_session(self.samples_dir, name)
        return paths


@pytest.fixture
def samples(tmp_path, monkeypatch, fake_versions) -> Store:
    folder = tmp_path / "samples"
    folder.mkdir()
    monkeypatch.setenv(store.SAMPLES_DIR_ENV, str(folder))
    return Store(folder.resolve())


# -- in-process pyglet-mp ----------------------------------------------------------


@dataclass
class Result:
    code: int
    out: str
    err: str

    def one_line_error(self, *fragments: str) -> str:
        assert self.code == 2, (self.code, self.out, self.err)
        assert "Traceback" not in self.out + self.err
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, f"expected a one-line error, got:\n{self.err}"
        for fragment in fragments:
            assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
        return lines[0]

    def printed_path(self) -> Path:
        """The single path the command printed (stdout's last line)."""
        assert self.code == 0, (self.code, self.out, self.err)
        return Path(self.out.strip().splitlines()[-1])


@pytest.fixture
def mpcli(capsys):
    def run(*args) -> Result:
        capsys.readouterr()
        code = cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return Result(code, out, err)
    return run


# -- plugin runs (pytester, subprocess) ----------------------------------------------


class Plug:
    """The shared plugin runner (tests/conftest.py), without crash retries:
    these tests read what a run leaves, one play per sample."""

    def __init__(self, mp) -> None:
        self.mp = mp
        self.samples = mp.samples

    def add(self, *names: str) -> None:
        self.mp.add(*names)

    def run(self, *args: str, player: str | None = "by_name"):
        return self.mp.run("--mp-retries=0", *args, player=player)


@pytest.fixture(scope="session")
def _bokeh_before_pytester() -> None:
    """Import bokeh (and numpy) before any pytester snapshot of sys.modules.

    pytester restores sys.modules when a test ends; a test that also plots
    in-process would otherwise drop numpy from sys.modules, and numpy cannot
    be imported twice in one process: later plotting tests in the same worker
    would fail with "cannot load module more than once per process".
    """
    import bokeh.embed, bokeh.layouts, bokeh.models, bokeh.plotting, bokeh.resources  # noqa: F401,E401


@pytest.fixture
def plug(_bokeh_before_pytester, mp) -> Plug:
    return Plug(mp)


# -- a real clip ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def real_clip(tmp_path_factory, ffmpeg) -> Path:
    target = tmp_path_factory.mktemp("real_clip") / "clip.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30:duration=0.5",
           "-f", "lavfi", "-i", "sine=duration=0.5", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-c:a", "aac", str(target))
    return target


# -- reports/index.html ------------------------------------------------------------------


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


@pytest.fixture
def index_page():
    return check_index
