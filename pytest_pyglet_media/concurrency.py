"""Many players at once in one pytest process: the run's PlayAhead (ahead.py).

The plugin's hooks delegate here: `start` when the items are known (the
run's loop begins), `plan_next` before each item (an xdist worker learns its
items one at a time), `stop` at the end of the session (plays no item took
are stopped), `auto_workers` for xdist's `-n auto`.

Without xdist the process plans every sample item at once, in the items'
order (longest first by default, order.py). Under xdist each worker knows
only its next item, so it plays at most that one ahead; the CPU budget is
shared among the workers.
"""
from __future__ import annotations

import os
import threading

import pytest

from .context import RunContext
from .core.errors import MediaTestError
from .judge import analysis as an
from .options import DEFAULT_PLAYER
from .play import costs, runner
from .play.ahead import Limits, PlayAhead, machine_cpus
from .play.playback import Attempt, attempt, expected_cost
from .store import sessions

#: the run's plays, in config.stash while sample items run
AHEAD = pytest.StashKey[PlayAhead[Attempt]]()
#: set by pytest-xdist in each worker
XDIST_WORKER_COUNT = "PYTEST_XDIST_WORKER_COUNT"


def xdist_workers() -> int:
    try:
        return max(1, int(os.environ.get(XDIST_WORKER_COUNT, "1")))
    except ValueError:
        return 1


def start(session: pytest.Session, ctx: RunContext, samples: list[str]) -> None:
    """Create the run's PlayAhead; plan `samples` (this process's items)."""
    config = session.config
    option = config.option
    if ctx.paths is None or option.collectonly or getattr(option, "setuponly", False) \
            or getattr(option, "setupplan", False):
        return
    forked = ctx.settings.spawn == "fork" and ctx.settings.player == DEFAULT_PLAYER
    limits = Limits.for_process(ctx.settings.players, xdist_workers(), forked=forked)
    if limits.max_players <= 1:
        return  # one after another: each item plays its sample itself, as it always did
    if forked and samples:
        runner.start_fork_server_soon()
    plays: PlayAhead[Attempt] = PlayAhead(
        play=lambda sample, cancel: play_sample(ctx, sample, cancel),
        cost=lambda sample: _cost(ctx, sample), limits=limits)
    if not hasattr(config, "workerinput"):
        plays.plan(samples)
    config.stash[AHEAD] = plays


def plan_next(config: pytest.Config, samples: list[str]) -> None:
    plays = config.stash.get(AHEAD, None)
    if plays is not None:
        plays.plan(samples)


def stop(config: pytest.Config) -> None:
    """Stop the plays no item took (-x, --maxfail, Ctrl-C): their players are
    killed and their samples marked interrupted, as an interrupted play is."""
    plays = config.stash.get(AHEAD, None)
    if plays is not None:
        del config.stash[AHEAD]
        plays.shutdown()


def play_once(config: pytest.Config, ctx: RunContext, sample: str,
              previous: Attempt | None) -> Attempt:
    """One play of an item's sample: the one started ahead when there is one
    (`previous` None), a retry (an overloaded play's on a calm machine), or,
    one after another, a play here and now. Raises MediaTestError when the
    session's protection forbids it."""
    plays = config.stash.get(AHEAD, None)
    if plays is None:
        return play_sample(ctx, sample)
    if previous is None:
        return plays.take(sample)
    return plays.replay(sample, calm=previous.verdict.outcome == an.OVERLOADED)


def play_began(config: pytest.Config, sample: str) -> float | None:
    """When `sample`'s play began (time.monotonic()), if it plays ahead."""
    plays = config.stash.get(AHEAD, None)
    return plays.began(sample) if plays is not None else None


def play_sample(ctx: RunContext, sample: str, cancel: threading.Event | None = None) -> Attempt:
    """Play `sample` into the run's session, in this thread; protection may
    have been switched on since the run started: checked as each play starts."""
    assert ctx.paths is not None
    sessions.require_raw_writable(ctx.paths)  # the item says "not played" if this fails
    return attempt(ctx.settings, ctx.samples_dir, sample, ctx.paths.recording(sample),
                   reference_path=ctx.paths.reference(sample),
                   marker=ctx.paths.playing(sample), cancel=cancel, references=ctx.references)


def _cost(ctx: RunContext, sample: str) -> float:
    assert ctx.paths is not None
    try:
        sessions.require_raw_writable(ctx.paths)
    except MediaTestError:
        return 0.0  # not played at all
    try:
        return expected_cost(ctx.samples_dir, sample, ctx.paths.recording(sample),
                             ctx.paths.reference(sample), ctx.references,
                             ctx.settings.timeout)
    except OSError:  # an unreadable store: the play says what is wrong
        return costs.from_reference(None)


def auto_workers() -> int:
    """What `-n auto` means for a media run: a worker per CPU this process
    may use (judging, probing and reports use them); each plays ahead."""
    return machine_cpus()
