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

import dataclasses
import os
import threading

import pytest

from .context import RunContext
from .options import Settings
from .core.errors import MediaTestError
from .options import DEFAULT_PLAYER
from .play import costs, runner
from .play.ahead import Limits, PlayAhead, machine_cpus
from .play.idle_cpus import IdleCpus
from .play.playback import (ALONE, AMONG_OTHERS, AT_ONCE, Attempt, ReplayBudget, attempt,
                            expected_cost)
from .store import sessions

#: the run's plays, in config.stash while sample items run
AHEAD = pytest.StashKey[PlayAhead[Attempt]]()
#: the run's budget of overloaded plays played again (replay_budget)
BUDGET = pytest.StashKey[ReplayBudget]()
#: set by pytest-xdist in each worker
XDIST_WORKER_COUNT = "PYTEST_XDIST_WORKER_COUNT"


#: how a play of one driver's item is known: `clip.mp4::play[pulse]`
_DRIVER_KEY = "::play["


def play_key(sample: str, driver: str | None) -> str:
    """The name the run's plays know a play by: the sample, or, for an item
    of one driver (--mp-drivers), the sample and its driver."""
    return sample if driver is None else f"{sample}{_DRIVER_KEY}{driver}]"


def split_key(key: str) -> tuple[str, str | None]:
    """play_key's (sample, driver) again."""
    sample, sep, rest = key.rpartition(_DRIVER_KEY)
    if not sep or not rest.endswith("]"):
        return key, None
    return sample, rest[:-1]


def settings_for(ctx: RunContext, driver: str | None) -> Settings:
    """The settings a play plays with: an item of one driver asks pyglet for
    that driver alone, so a failing driver is not hidden by the next one."""
    if driver is None:
        return ctx.settings
    return dataclasses.replace(ctx.settings, audio=(driver,))


#: the driver whose plays share the run's one sound server (sound.py)
PULSE = "pulse"


def _first_driver(ctx: RunContext, key: str) -> str | None:
    """The driver pyglet tries first for a play: its item's (--mp-drivers),
    else the first of --mp-audio."""
    driver = split_key(key)[1]
    if driver is not None:
        return driver
    return ctx.settings.audio[0] if ctx.settings.audio else None


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
    # one overloaded play played again per ten of the run's sample items,
    # shared among xdist's workers (each collects them all)
    config.stash[BUDGET] = ReplayBudget(len(samples), xdist_workers())
    forked = ctx.settings.spawn == "fork" and ctx.settings.player == DEFAULT_PLAYER
    limits = Limits.for_process(ctx.settings.players, xdist_workers(), forked=forked)
    if limits.max_players <= 1:
        return  # one after another: each item plays its sample itself, as it always did
    if forked and samples:
        runner.start_fork_server_soon()
    plays: PlayAhead[Attempt] = PlayAhead(
        play=lambda sample, cancel: play_sample(ctx, sample, cancel),
        cost=lambda sample: _cost(ctx, sample), limits=limits,
        on_sound_server=lambda key: _first_driver(ctx, key) == PULSE,
        # --mp-players given is the user's own measure of the machine: it
        # wins over the machine's idle CPUs as over the sound server's cap
        idle=IdleCpus(machine_cpus()).now if ctx.settings.players is None else None)
    if not hasattr(config, "workerinput"):
        plays.plan(samples)
    config.stash[AHEAD] = plays


def plan_next(config: pytest.Config, samples: list[str]) -> None:
    plays = config.stash.get(AHEAD, None)
    if plays is not None:
        plays.plan(samples)


#: the plays started ahead that no item took (play keys), once the run stopped them
NOT_TAKEN = pytest.StashKey[list[str]]()
#: the same, in an xdist worker's output to the controller
WORKER_NOT_TAKEN = "mp_not_taken"


def stop(config: pytest.Config) -> None:
    """Stop the plays no item took (-x, --maxfail, Ctrl-C): their players are
    killed, and the run's reporter counts them as interrupted (not_taken),
    whatever their recordings say: pytest never judged them."""
    plays = config.stash.get(AHEAD, None)
    if plays is not None:
        del config.stash[AHEAD]
        left = plays.shutdown()
        config.stash[NOT_TAKEN] = left
        workeroutput = getattr(config, "workeroutput", None)
        if workeroutput is not None:  # crosses to the controller's reporter
            workeroutput[WORKER_NOT_TAKEN] = list(left)


def not_taken(config: pytest.Config) -> list[tuple[str, str | None]]:
    """(sample, driver) of the plays this process stopped before their items ran."""
    return [split_key(key) for key in config.stash.get(NOT_TAKEN, [])]


def play_once(config: pytest.Config, ctx: RunContext, sample: str,
              previous: Attempt | None, mode: str = AT_ONCE) -> Attempt:
    """One play of an item's sample: the one started ahead when there is one
    (`previous` None), a retry as `mode` says (playback.replay_mode: an
    overloaded play's among the others once there is room, or alone), or,
    one after another, a play here and now. Raises MediaTestError when the
    session's protection forbids it."""
    plays = config.stash.get(AHEAD, None)
    if plays is None:
        return play_sample(ctx, sample)
    if previous is None:
        return plays.take(sample)
    return plays.replay(sample, calm=mode == ALONE, room=mode == AMONG_OTHERS)


def replay_budget(config: pytest.Config) -> ReplayBudget | None:
    """The overloaded plays this process may play again (None: no limit)."""
    return config.stash.get(BUDGET, None)


def play_began(config: pytest.Config, sample: str) -> float | None:
    """When `sample`'s play began (time.monotonic()), if it plays ahead."""
    plays = config.stash.get(AHEAD, None)
    return plays.began(sample) if plays is not None else None


def play_sample(ctx: RunContext, key: str, cancel: threading.Event | None = None) -> Attempt:
    """Play the sample of `key` (play_key) into the run's session, or its
    driver's group, in this thread; protection may have been switched on
    since the run started: checked as each play starts."""
    assert ctx.paths is not None
    sample, driver = split_key(key)
    sessions.require_raw_writable(ctx.paths)  # the item says "not played" if this fails
    paths = ctx.session_of(driver)
    return attempt(settings_for(ctx, driver), ctx.samples_dir, sample, paths.recording(sample),
                   reference_path=paths.reference(sample),
                   marker=paths.playing(sample), cancel=cancel, references=ctx.references,
                   superseded=paths.superseded(sample))


def _cost(ctx: RunContext, key: str) -> float:
    assert ctx.paths is not None
    try:
        sessions.require_raw_writable(ctx.paths)
    except MediaTestError:
        return 0.0  # not played at all
    sample, driver = split_key(key)
    paths = ctx.session_of(driver)
    try:
        return expected_cost(ctx.samples_dir, sample, paths.recording(sample),
                             paths.reference(sample), ctx.references, ctx.settings.timeout)
    except OSError:  # an unreadable store: the play says what is wrong
        return costs.from_reference(None)


def auto_workers() -> int:
    """What `-n auto` means for a media run: a worker per CPU this process
    may use (judging, probing and reports use them); each plays ahead."""
    return machine_cpus()
