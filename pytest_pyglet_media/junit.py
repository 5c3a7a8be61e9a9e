"""What CI reads: --junitxml rows named after their sample, the verdict's
facts where each junit family allows them, failure text for every --tb style.

- xunit1 / legacy: the facts are properties of each testcase (`mp_verdict`,
  ...), as pytest's `record_property` does.
- xunit2 (pytest's default): a testcase may not hold properties (the JUnit
  schema pytest tests xunit2 with); the facts are properties of the
  testsuite, one per fact and sample: `mp_verdict[clip.mp4]`, ...
- every family: testcase `name` is the sample (`clip.mp4`; `clip.mp4[pulse]`
  for an item per driver, --mp-drivers) and `classname` the
  samples folder (`samples`), so a CI list that splits the classname at its
  last dot (Jenkins) still names the sample in every row. Node ids do not
  change (`samples/clip.mp4::play`).
"""
from __future__ import annotations

from typing import Any, Collection

import pytest
from _pytest._code.code import ExceptionChainRepr, ReprEntry, ReprFileLocation, ReprTraceback


def testcase_properties_allowed(config: pytest.Config) -> bool:
    """False when this run writes xunit2 junit (its testcases hold no properties).

    Decided from the options, the same on xdist workers (which write no XML)."""
    if not getattr(config.option, "xmlpath", None):
        return True
    return config.getini("junit_family") != "xunit2"


def message_repr(path: str, text: str, tbstyle: str = "auto") -> ExceptionChainRepr:
    """A failure message as pytest's own failure representation.

    The lines are shown as they are (no Python traceback: the message is the
    whole explanation) for --tb auto/long/short/native; its first line is the
    crash line of `--tb=line` (`samples/clip.mp4:1: clip.mp4: 4 defects ...`)
    and junit's failure `message`. It crosses xdist as pytest's own reprs do.
    """
    lines = text.splitlines() or [""]
    # --tb=line: pytest prints the repr, then its crash line: the crash line only
    entry = ReprEntry(lines=[] if tbstyle == "line" else lines, reprfuncargs=None, reprlocals=None, reprfileloc=None,
                      style="value")
    traceback = ReprTraceback(reprentries=[entry], extraline=None, style="value")
    return ExceptionChainRepr([(traceback, ReprFileLocation(path, 1, lines[0]), None)])


def _logxml(config: pytest.Config) -> Any:
    try:
        from _pytest.junitxml import xml_key
    except ImportError:  # pragma: no cover - a pytest without it: rows keep pytest's names
        return None
    return config.stash.get(xml_key, None)


def split_nodeid(nodeid: str, item_name: str, samples: Collection[str] = ()
                 ) -> tuple[str, str] | None:
    """`samples/clip.mp4::play` -> ("samples", "clip.mp4"), and an item per
    driver (--mp-drivers) `samples/clip.mp4::play[pulse]` -> ("samples",
    "clip.mp4[pulse]"): a row per driver, named so; None for other items.
    A sample in a subfolder (--mp-recursive, one of `samples`) keeps its whole
    name: `samples/live/a.mp4::play` -> ("samples", "live/a.mp4"), so that
    live/a.mp4 and studio/a.mp4 stay two rows with their own properties."""
    path, sep, name = nodeid.rpartition("::")
    if not sep or "::" in path:
        return None
    if name == item_name:
        driver = ""
    elif name.startswith(f"{item_name}[") and name.endswith("]"):
        driver = name[len(item_name):]
    else:
        return None
    nested = [s for s in samples if "/" in s and (path == s or path.endswith("/" + s))]
    if nested:
        sample = max(nested, key=len)
        return path[:-len(sample)].rstrip("/"), sample + driver
    folder, _, sample = path.rpartition("/")
    return folder, sample + driver


class JunitRows:
    """The controller's junit rows for samples (registered with the plugin)."""

    def __init__(self, config: pytest.Config, item_name: str, samples_folder: str,
                 samples: Collection[str] = ()) -> None:
        self.config = config
        self.item_name = item_name
        self.samples_folder = samples_folder
        #: the playlist: names a sample in a subfolder whole (split_nodeid)
        self.samples = frozenset(samples)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        xml = _logxml(self.config)
        if xml is None:
            return
        names = split_nodeid(report.nodeid, self.item_name, self.samples)
        if names is None:
            return
        folder, sample = names
        classname = (folder or self.samples_folder).replace("/", ".")
        if xml.prefix:
            classname = f"{xml.prefix}.{classname}"
        reporter = xml.node_reporter(report)
        # user attributes survive pytest's own (junitxml record_testreport)
        reporter.add_attribute("classname", classname)
        reporter.add_attribute("name", sample)
        if xml.family == "xunit2" and report.when == "call":
            for name, value in getattr(report, "mp_properties", None) or ():
                xml.add_global_property(f"{name}[{sample}]", value)
