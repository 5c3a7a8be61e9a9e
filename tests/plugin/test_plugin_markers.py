"""samples.toml's markers: a sample's `markers` and its expectation become pytest
markers of its item (`-m` selects by them, `--markers` lists the declared ones);
an undeclared one is refused up front under --strict-markers (unit:
tests/unit/test_manifest_markers.py)."""
from __future__ import annotations

MANIFEST = '''
[markers]
slow = "samples longer than a minute"

[samples."perfect_long.mp4"]
markers = ["slow", "h264"]

[samples."defects_cut.mp4"]
expect = "broken"
reason = "truncated on purpose"
'''


def _listed(run):
    return sorted(line for line in run.out.splitlines() if "::" in line)


def test_markers_from_samples_toml_select_and_are_listed(mp):
    mp.add("perfect_long.mp4", "defects_cut.mp4", "perfect_short.mp4")
    mp.manifest(MANIFEST)
    mp.pytester.makeini("[pytest]\nmarkers =\n    h264: the codec\n")
    run = mp.run("--collect-only", "-q", "-m", "not broken and not slow", "--strict-markers")
    assert run.ret == 0, run.out + run.err
    assert _listed(run) == [mp.nodeid("perfect_short.mp4")]
    listed = mp.run("--markers")
    assert "@pytest.mark.slow: samples longer than a minute" in listed.out
    assert "@pytest.mark.broken: samples.toml" in listed.out
    assert listed.sessions() == []  # listing markers plays nothing, keeps no session
