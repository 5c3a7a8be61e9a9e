"""pytest-html: links from each sample's row to its reports, timeline and recording.

Used only when pytest-html is active (`--html=FILE`); pytest_html is never
imported otherwise. The links are relative to the HTML report's folder and
point where the session's reports are written at the end of the run (the
same rules as session_writer: text reports for a sample that did not play
perfectly, a timeline page as --mp-plots chooses).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from .context import RunContext
from .judge import analysis as an


def active(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "htmlpath", None)) \
        and config.pluginmanager.hasplugin("html")


def links(ctx: RunContext, sample: str, outcome: str,
          driver: str | None = None) -> list[tuple[str, Path]]:
    """(label, target) of each link of a sample's row (an item of one driver,
    --mp-drivers: its driver's group session; the index is the run's)."""
    assert ctx.paths is not None
    paths = ctx.session_of(driver)
    found: list[tuple[str, Path]] = [("index", ctx.paths.special_report("index"))]
    judged = outcome not in (an.PERFECT, an.MISSING)
    if judged:
        found += [("all", paths.report(sample, "all")),
                  ("anomalies", paths.report(sample, "anomalies"))]
    plots = ctx.settings.plots
    if outcome != an.MISSING and (plots == "all" or (plots == "failed" and judged)):
        found.append(("timeline", paths.report(sample, "timeline", "html")))
    found.append(("recording", paths.recording(sample)))
    return found


def add_extras(config: pytest.Config, ctx: RunContext, sample: str, outcome: str,
               report: pytest.TestReport, driver: str | None = None) -> None:
    import pytest_html  # only here: pytest-html is active

    html_dir = Path(os.path.abspath(config.option.htmlpath)).parent
    extras = list(getattr(report, "extras", []))
    for label, target in links(ctx, sample, outcome, driver):
        href = Path(os.path.relpath(Path(target).absolute(), html_dir)).as_posix()
        extras.append(pytest_html.extras.url(href, name=f"{sample} {label}"))
    report.extras = extras  # type: ignore[attr-defined]
