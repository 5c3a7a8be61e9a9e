"""index.html shows samples.toml's expected failures beside their verdicts."""
from __future__ import annotations

from mp_support.recordings import bare_play

from pytest_pyglet_media.cli import main as cli
from pytest_pyglet_media.report import session_writer
from pytest_pyglet_media.store import manifest, recording
from pytest_pyglet_media.store import sessions

MANIFEST = '''[corpus]
version = "t-1"

[samples."known.mp4"]
expect = "defect"
reason = "pyglet drops <late> frames"

[samples."fine.mp4"]
expect = "pass"
'''


def test_expected_failures_are_shown_escaped(tmp_path):
    for name in ("known.mp4", "fine.mp4"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "samples.toml").write_text(MANIFEST)
    paths = sessions.create_session(tmp_path, "s", ["fine.mp4", "known.mp4"], has_playlist=False,
                                 versions={}, samples_version="t-1")
    for name in ("known.mp4", "fine.mp4"):
        recording.save(paths.recording(name), bare_play(name, end_wall=None))
    expectations = manifest.expected_failures(manifest.load_manifest(tmp_path))
    session_writer.write_session_reports(paths, {}, expectations=expectations)
    page = paths.special_report("index").read_text()
    assert "expected: defect: pyglet drops &lt;late&gt; frames" in page
    assert page.count("expected:") == 1  # only samples not expected to pass


def test_a_broken_manifest_does_not_stop_summarize(tmp_path, capsys):
    (tmp_path / "a.mp4").write_bytes(b"x")
    paths = sessions.create_session(tmp_path, "s", ["a.mp4"], has_playlist=False,
                                 versions={}, samples_version="t")
    (tmp_path / "samples.toml").write_text("this is [not toml")
    assert cli.main(["summarize", "--samples-dir", str(tmp_path), "--session", "s"]) == 0
    assert "expected:" not in paths.special_report("index").read_text()
    assert "samples.toml" in capsys.readouterr().err  # said once, not hidden
