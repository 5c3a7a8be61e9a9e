"""A play of one driver's item (--mp-drivers) judged on the driver it got.

pyglet falls back to its silent driver without a word when the driver asked
for fails (it swallows the driver's exception unless `debug_media` is on);
the player records the driver pyglet really used and why the others failed
(mp.drv). Under --mp-audio that fallback is pyglet's preference list at work
and only reported; an item that names its driver and got another played
something else than it claims: one defect, `driver_not_used`, that says
both drivers and why, so the play fails and every count and summary sees it.
"""
from __future__ import annotations

import dataclasses

from .analysis import DEFECTS, PERFECT, Verdict
from .rules import DRIVER_NOT_USED


def mismatch(asked: str | None, verdict: Verdict) -> str | None:
    """"asked for pulse, pyglet used silent: <why>", or None when the play
    used `asked` (or names no driver, or `asked` is None)."""
    used = verdict.audio_driver
    if asked is None or used is None or used[0] == asked:
        return None
    name, _where, failures = used
    why = failures or "pyglet gave no reason (the driver's error was not recorded)"
    return f"asked for {asked}, pyglet used {name}: {why}"


def judged_for(asked: str | None, verdict: Verdict) -> Verdict:
    """`verdict`, with the driver_not_used defect when its play did not use
    `asked`; a play that did not end (crash, timeout, unplayable) is left
    as it is: its outcome says more."""
    wrong = mismatch(asked, verdict)
    if wrong is None or verdict.outcome not in (PERFECT, DEFECTS) \
            or DRIVER_NOT_USED in verdict.counts:
        return verdict
    return dataclasses.replace(verdict, outcome=DEFECTS,
                               counts={**verdict.counts, DRIVER_NOT_USED: 1},
                               reason="; ".join(r for r in (verdict.reason, wrong) if r))
