"""Atomic writes under SIGKILL: a file is always the old content or the new one.

A child process rewrites the same files in a loop, alternating two distinct
contents, through every writer the project uses (atomic.write_text,
recording.save, session.save_configuration, session.set_active_session); it
is killed with SIGKILL after a random delay (seeded), many times. After every
kill each file must hold exactly one of its two contents. The temporary files
a kill leaves are hidden dot-files that never count as samples.
"""
from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import textwrap
from dataclasses import asdict

from pytest_pyglet_media.store import recording as rec
from pytest_pyglet_media.store import sessions

KILLS = 30
SEED = 20240611

#: the two contents of each target (run by the writer and by the test)
CONTENTS = textwrap.dedent('''
    from pytest_pyglet_media.store import sessions

    def make_contents():
        big = [("version", 1.1), ("mp.im", "clip.mp4")]
        # large enough that a kill may land inside a write
        return [
            ("A" * 300_000, big + [("p.P.sk", float(i)) for i in range(20_000)] + [("p.P.oe",)],
             sessions.Configuration(protect_raw_data=True), "alpha"),
            ("B" * 200_000, big + [("p.P.sk", -1.0)] * 5 + [("p.P.oe",)],
             sessions.Configuration(dev_debug=True, has_playlist=True), "bravo"),
        ]
''')

WRITER = CONTENTS + textwrap.dedent('''
    import sys
    from pathlib import Path
    from pytest_pyglet_media.core import atomic
    from pytest_pyglet_media.store import recording

    samples = Path(sys.argv[1])
    paths = sessions.SessionPaths(samples, "s")
    contents = make_contents()
    round_ = 0
    while True:
        text, events, conf, active = contents[round_ % 2]
        atomic.write_text(samples / "notes.txt", text)
        recording.save(paths.recording("clip.mp4"), events)
        sessions.save_configuration(paths, conf)
        sessions.set_active_session(samples, active)
        if round_ == 1:  # every file exists: start the clock
            print("ready", flush=True)
        round_ += 1
''')


def _expected(samples):
    """target -> its two possible contents, as the writers make them."""
    namespace: dict = {}
    exec(CONTENTS, namespace)
    contents = namespace["make_contents"]()
    paths = sessions.SessionPaths(samples, "s")
    return {
        samples / "notes.txt": {c[0].encode() for c in contents},
        paths.recording("clip.mp4"): {rec.dumps(c[1]) for c in contents},
        paths.configuration: {(json.dumps(asdict(c[2]), indent=2) + "\n").encode()
                              for c in contents},
        samples / sessions.ACTIVATION_FILE: {f'"{c[3]}"\n'.encode() for c in contents},
    }


def test_kills_at_random_points_never_tear_a_file(tmp_path):
    samples = tmp_path / "samples"
    (samples / "s" / "dbg").mkdir(parents=True)
    (samples / "clip.mp4").write_bytes(b"a sample")
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    expected = _expected(samples)
    assert all(len(two) == 2 for two in expected.values())
    rng = random.Random(SEED)
    for kill in range(KILLS):
        proc = subprocess.Popen([sys.executable, str(script), str(samples)],
                                stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        try:
            assert proc.stdout.readline() == b"ready\n", f"the writer died (kill {kill})"
            try:
                proc.wait(timeout=rng.uniform(0.0, 0.05))
            except subprocess.TimeoutExpired:
                pass
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL, "the writer ended before it was killed"
        for target, contents in expected.items():
            data = target.read_bytes()
            assert data in contents, f"kill {kill}: {target} is torn ({len(data)} bytes)"
    # what kills leave: hidden temporary files, never samples
    targets = {p.name for p in expected}
    leftovers = [p for folder in (samples, samples / "s", samples / "s" / "dbg")
                 for p in folder.iterdir() if p.is_file() and p.name not in targets]
    leftovers = [p for p in leftovers if p.name != "clip.mp4"]
    for path in leftovers:
        assert path.name.startswith(".") and path.name.endswith(".tmp"), path
    assert sessions.implicit_playlist(samples) == ["clip.mp4"]
    assert sessions.left_out_samples(samples) == []
    # the recording that remains is one whole play, loadable
    assert rec.load(sessions.SessionPaths(samples, "s").recording("clip.mp4"))[-1] == ("p.P.oe",)
