"""samples.toml's markers on the sample items: `pytest -m "not slow"`, `pytest --markers`.

A sample's `markers = [...]` and its expectation (`broken`, `defect`) become
pytest markers of its item. Markers the manifest declares in its
`[markers]` table are registered as an ini `markers` line is, so `pytest
--markers` lists them and `--strict-markers` accepts them. A marker neither
declared there nor registered with pytest is what pytest makes of an
unknown `@pytest.mark.x`: a PytestUnknownMarkWarning, or under
--strict-markers a usage error, raised before anything plays, naming the
sample and where to declare the marker.
"""
from __future__ import annotations

import pytest

from .core.errors import UsageError
from .store.manifest import EXPECTATION_MARKERS, Manifest, sample_markers


def register(config: pytest.Config, manifest: Manifest | None) -> None:
    """Register the manifest's markers; refuse unknown ones under strict markers."""
    if manifest is None:
        return
    used: dict[str, str] = {}  # marker -> the first sample using it
    for name, spec in manifest.samples.items():
        for marker in sample_markers(spec):
            used.setdefault(marker, name)
    declared = dict(manifest.markers)
    for marker, meaning in EXPECTATION_MARKERS.items():
        if marker in used:
            declared.setdefault(marker, meaning)
    for marker, meaning in declared.items():
        config.addinivalue_line("markers", f"{marker}: {meaning or 'samples.toml'}")
    if not _strict_markers(config):
        return
    known = {line.split(":", 1)[0].split("(", 1)[0].strip()
             for line in config.getini("markers")}
    unknown = sorted(m for m in used if m not in known)
    if unknown:
        marker = unknown[0]
        raise UsageError(
            f"{manifest.path}: sample {used[marker]!r} has the marker {marker!r}, which is "
            "registered nowhere (--strict-markers): declare it in the [markers] table of "
            f"samples.toml ({marker} = \"what it means\") or in pytest's markers ini option")


def _strict_markers(config: pytest.Config) -> bool:
    """--strict-markers, as pytest decides it (pytest 9: ini strict_markers,
    else strict; pytest 8: the option)."""
    try:
        value = config.getini("strict_markers")
    except ValueError:  # pytest 8: no such ini option
        return bool(getattr(config.option, "strict_markers", False))
    if value is None:
        try:
            value = config.getini("strict")
        except ValueError:
            value = False
    return bool(value)
