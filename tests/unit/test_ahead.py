"""ahead.PlayAhead: plays started ahead within the CPU budget (fake plays,
driven by events: no timing)."""
from __future__ import annotations

import signal
import threading
import time

import pytest

from pytest_pyglet_media.play.ahead import Limits, PlayAhead


class Gated:
    """Fake plays that end when the test opens their gate."""

    def __init__(self) -> None:
        self.gates: dict[str, threading.Event] = {}
        self.started: list[str] = []
        self.cancelled: list[str] = []
        self.lock = threading.Lock()

    def gate(self, sample: str) -> threading.Event:
        with self.lock:
            return self.gates.setdefault(sample, threading.Event())

    def open(self, *samples: str) -> None:
        for sample in samples:
            self.gate(sample).set()

    def __call__(self, sample: str, cancel: threading.Event) -> str:
        with self.lock:
            self.started.append(sample)
        gate = self.gate(sample)
        while not gate.wait(0.01):
            if cancel.is_set():
                with self.lock:
                    self.cancelled.append(sample)
                raise RuntimeError(f"{sample} cancelled")
        return f"played {sample}"


def test_plays_start_in_order_while_their_costs_fit_the_budget():
    plays = Gated()
    ahead = PlayAhead(plays, cost=lambda s: 0.5, limits=Limits(budget=1.0, max_players=10))
    ahead.plan(["a", "b", "c", "d"])
    ahead.fill()
    assert sorted(ahead.running()) == ["a", "b"]
    plays.open("a", "b", "c", "d")
    assert [ahead.take(s) for s in "abcd"] == [f"played {s}" for s in "abcd"]
    assert plays.started == ["a", "b", "c", "d"]
    assert ahead.peak == 2


def test_a_heavy_sample_waits_for_room_and_later_ones_wait_behind_it():
    costs = {"light1": 0.2, "heavy": 0.9, "light2": 0.1}
    plays = Gated()
    ahead = PlayAhead(plays, cost=costs.__getitem__, limits=Limits(budget=1.0, max_players=10))
    ahead.plan(["light1", "heavy", "light2"])
    ahead.fill()
    assert ahead.running() == ["light1"]  # heavy does not fit; light2 keeps its turn
    plays.open("light1")
    assert ahead.take("light1") == "played light1"
    assert sorted(ahead.running()) == ["heavy", "light2"]  # 0.9 + 0.1 fit now
    plays.open("heavy", "light2")
    assert ahead.take("heavy") == "played heavy"
    assert ahead.take("light2") == "played light2"


def test_max_players_caps_cheap_plays():
    plays = Gated()
    ahead = PlayAhead(plays, cost=lambda s: 0.0, limits=Limits(budget=8.0, max_players=3))
    ahead.plan([f"s{n}" for n in range(10)])
    ahead.fill()
    assert len(ahead.running()) == 3
    plays.open(*[f"s{n}" for n in range(10)])
    for n in range(10):
        ahead.take(f"s{n}")
    assert ahead.peak == 3


def test_the_items_own_play_starts_whatever_the_budget():
    plays = Gated()
    ahead = PlayAhead(plays, cost=lambda s: 5.0, limits=Limits(budget=1.0, max_players=1))
    ahead.plan(["a", "b"])
    ahead.fill()
    assert ahead.running() == ["a"]  # alone: the first always starts
    plays.open("a", "x")
    assert ahead.take("x") == "played x"  # not planned (e.g. -k after planning)


def test_each_sample_is_asked_its_cost_once():
    asked: list[str] = []

    def cost(sample: str) -> float:
        asked.append(sample)
        return 0.6

    plays = Gated()
    ahead = PlayAhead(plays, cost=cost, limits=Limits(budget=1.0, max_players=10))
    ahead.plan(["a", "b"])
    for _ in range(5):
        ahead.fill()
    plays.open("a", "b")
    ahead.take("a")
    ahead.take("b")
    assert sorted(asked) == ["a", "b"]


def test_an_error_in_the_play_is_raised_by_its_item():
    def play(sample: str, cancel: threading.Event) -> str:
        raise OSError(f"disk full while playing {sample}")

    ahead = PlayAhead(play, cost=lambda s: 0.1, limits=Limits(budget=1.0, max_players=4))
    ahead.plan(["a"])
    with pytest.raises(OSError, match="disk full while playing a"):
        ahead.take("a")


def test_a_calm_replay_waits_for_the_others_and_plays_alone():
    plays = Gated()
    ahead = PlayAhead(plays, cost=lambda s: 0.1, limits=Limits(budget=1.0, max_players=10))
    ahead.plan(["a", "b", "c", "d"])
    ahead.fill()
    assert sorted(ahead.running()) == ["a", "b", "c", "d"]
    plays.open("a")
    ahead.take("a")
    seen: list[list[str]] = []
    plays.gates["a"] = threading.Event()  # the replay of a waits for the test

    def open_replay_when_it_runs() -> None:
        while plays.started.count("a") < 2:
            threading.Event().wait(0.01)
        seen.append(ahead.running())
        plays.open("a")

    threading.Thread(target=open_replay_when_it_runs, daemon=True).start()
    # b, c and d end a little later: the replay waits for them (any order
    # of these events gives the same answers below)
    threading.Timer(0.1, plays.open, args=("b", "c", "d")).start()
    ahead.plan(["e"])
    assert ahead.replay("a", calm=True) == "played a"
    assert seen == [["a"]]  # while it replayed, it played alone
    assert "e" not in plays.started  # nothing started during the calm replay
    ahead.fill()
    assert plays.started[-1] == "e"
    plays.open("e")
    ahead.take("e")


def test_an_interrupted_wait_cancels_the_items_play():
    plays = Gated()
    ahead = PlayAhead(plays, cost=lambda s: 0.1, limits=Limits(budget=1.0, max_players=4))

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(KeyboardInterrupt):
            ahead.take("a")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert plays.cancelled == ["a"]
    assert ahead.running() == []


def test_shutdown_cancels_the_plays_no_item_took():
    plays = Gated()
    ahead = PlayAhead(plays, cost=lambda s: 0.1, limits=Limits(budget=1.0, max_players=4))
    ahead.plan(["a", "b", "c"])
    ahead.fill()
    plays.open("a")
    ahead.take("a")
    assert sorted(ahead.shutdown()) == ["b", "c"]
    assert sorted(plays.cancelled) == ["b", "c"]
    assert ahead.running() == []


@pytest.mark.parametrize("players, workers, cpus, budget, most", [
    (None, 1, 2, 1.7, 16),
    (None, 2, 2, 0.85, 8),
    (1, 1, 4, 3.4, 1),
    (3, 2, 2, 0.85, 1),
])
def test_limits_share_the_machine_between_xdist_workers(players, workers, cpus, budget, most):
    limits = Limits.for_process(players, workers, cpus=cpus)
    assert limits.budget == pytest.approx(budget)
    assert limits.max_players == most
    # the run's one sound server is shared by its workers too, whatever the
    # CPUs; --mp-players, the user's own measure, wins
    server = players if players is not None else 8
    assert limits.sound_server_players == max(1, server // workers)


def test_plays_through_the_sound_server_are_capped_apart():
    # 8 PulseAudio plays at once keep their clocks; 16 did not (SOUND_SERVER_PLAYERS)
    plays = Gated()
    ahead = PlayAhead(plays, cost=lambda s: 0.0,
                      limits=Limits(budget=8.0, max_players=10, sound_server_players=2),
                      on_sound_server=lambda key: key.endswith("[pulse]"))
    keys = [f"s{n}[{d}]" for n in range(3) for d in ("silent", "pulse")]
    ahead.plan(keys)
    ahead.fill()
    # in order until the third pulse play, which waits
    assert ahead.running() == keys[:5]
    plays.open(*keys)
    for key in keys:
        ahead.take(key)
    assert plays.started == keys


def test_plays_that_do_not_use_the_sound_server_pass_one_that_waits_for_it():
    """The server is full: the next PulseAudio play waits for a slot, the
    silent plays behind it start meanwhile; it starts when a slot frees."""
    plays = Gated()
    ahead = PlayAhead(plays, cost=lambda s: 0.0,
                      limits=Limits(budget=8.0, max_players=10, sound_server_players=2),
                      on_sound_server=lambda key: key.endswith("[pulse]"))
    keys = ["a[pulse]", "b[pulse]", "c[pulse]", "d[silent]", "e[silent]"]
    ahead.plan(keys)
    ahead.fill()
    assert ahead.running() == ["a[pulse]", "b[pulse]", "d[silent]", "e[silent]"]
    plays.open("a[pulse]")
    ahead.take("a[pulse]")
    assert "c[pulse]" in ahead.running()
    plays.open(*keys)
    for key in keys[1:]:
        ahead.take(key)
    assert plays.started == ["a[pulse]", "b[pulse]", "d[silent]", "e[silent]", "c[pulse]"]


def test_a_machine_busy_beyond_the_model_starts_nothing_more():
    """The costs fit the budget, but the machine's idle CPUs (another job, the
    pytest process judging) hold no more plays: the next waits for room."""
    plays = Gated()
    idle = {"cpus": 0.3}
    ahead = PlayAhead(plays, cost=lambda s: 0.2,
                      limits=Limits(budget=8.0, max_players=10, start_seconds=0.0),
                      idle=lambda: idle["cpus"])
    ahead.plan(["a", "b", "c"])
    ahead.fill()
    # a starts (one always does); b would fit the budget, but the 0.3 idle
    # CPUs less a's 0.2, just started, leave no room for its 0.2
    assert ahead.running() == ["a"]
    idle["cpus"] = 1.0
    ahead.fill()
    assert sorted(ahead.running()) == ["a", "b", "c"]
    idle["cpus"] = None  # not known (no /proc/stat): the model alone decides
    plays.open("a", "b", "c")
    assert [ahead.take(s) for s in "abc"] == [f"played {s}" for s in "abc"]


def test_plays_starting_count_as_start_cost_so_they_start_a_few_at_a_time():
    """Cheap plays (0.1 CPU) still cost START_COST (a whole CPU) while they
    start: with two CPUs of budget, two start together; the rest wait."""
    from pytest_pyglet_media.play.ahead import START_COST
    assert START_COST == 1.0
    plays = Gated()
    ahead = PlayAhead(plays, cost=lambda s: 0.1,
                      limits=Limits(budget=2.0, max_players=10, start_seconds=60.0))
    ahead.plan(["a", "b", "c", "d"])
    ahead.fill()
    assert sorted(ahead.running()) == ["a", "b"]
    plays.open("a", "b", "c", "d")
    assert [ahead.take(s) for s in "abcd"] == [f"played {s}" for s in "abcd"]


def test_a_heavy_play_starts_alone():
    """A 1080p play (cost >= HEAVY_COST) takes the whole budget while it
    starts: neither a light play nor another heavy one starts beside it;
    once its start phase is over its own cost is all it counts."""
    from pytest_pyglet_media.play.ahead import HEAVY_COST
    plays = Gated()
    costs = {"big": HEAVY_COST + 0.1, "big2": HEAVY_COST + 0.1, "small": 0.05}
    limits = Limits(budget=1.7, max_players=10, start_seconds=0.0, heavy_start_seconds=60.0)
    ahead = PlayAhead(plays, cost=costs.__getitem__, limits=limits)
    ahead.plan(["big", "small", "big2"])
    ahead.fill()
    assert ahead.running() == ["big"]
    # the same plays without a heavy start phase: all three fit the budget
    plain = PlayAhead(plays, cost=lambda s: costs[s[1:]],
                      limits=Limits(budget=1.7, max_players=10, start_seconds=0.0))
    plain.plan(["pbig", "psmall", "pbig2"])
    plain.fill()
    assert sorted(plain.running()) == ["pbig", "pbig2", "psmall"]
    plays.open("big", "small", "big2", "pbig", "psmall", "pbig2")
    assert [ahead.take(s) for s in ("big", "small", "big2")] == \
        ["played big", "played small", "played big2"]
    for s in ("pbig", "psmall", "pbig2"):
        plain.take(s)


def test_a_heavy_start_phase_ends():
    """Past its heavy start phase a heavy play counts its cost alone."""
    from pytest_pyglet_media.play.ahead import HEAVY_COST
    plays = Gated()
    limits = Limits(budget=1.7, max_players=10, start_seconds=0.0, heavy_start_seconds=0.05)
    ahead = PlayAhead(plays, cost=lambda s: HEAVY_COST if s == "big" else 0.05, limits=limits)
    ahead.plan(["big", "small"])
    ahead.fill()
    assert ahead.running() == ["big"]
    time.sleep(0.1)
    ahead.fill()
    assert sorted(ahead.running()) == ["big", "small"]
    plays.open("big", "small")
    for s in ("big", "small"):
        ahead.take(s)


def test_the_default_limits_start_heavy_plays_alone_and_count_them_more():
    limits = Limits.for_process(None, cpus=2)
    assert limits.heavy_start_seconds > 0
    assert limits.heavy_weight > 1


def test_a_heavy_play_keeps_room_beside_it():
    """Past its start, a heavy play counts `heavy_weight` times its cost: two
    1080p plays of 0.5 weighted 2 fill a budget of 2, where unweighted
    they leave room for a third."""
    plays = Gated()
    weighted = PlayAhead(plays, cost=lambda s: 0.5,
                         limits=Limits(budget=2.0, max_players=10, heavy_weight=2.0))
    weighted.plan(["a", "b", "c"])
    weighted.fill()
    assert sorted(weighted.running()) == ["a", "b"]
    plain = PlayAhead(plays, cost=lambda s: 0.5, limits=Limits(budget=2.0, max_players=10))
    plain.plan(["d", "e", "f"])
    plain.fill()
    assert sorted(plain.running()) == ["d", "e", "f"]
    plays.open(*"abcdef")
    for s in "abc":
        weighted.take(s)
    for s in "def":
        plain.take(s)


def test_on_one_cpu_plays_still_overlap():
    """A start counts at most half the budget: with 0.85 CPU (one CPU's
    budget), a second play starts once the first has started."""
    plays = Gated()
    ahead = PlayAhead(plays, cost=lambda s: 0.1,
                      limits=Limits(budget=0.85, max_players=8, start_seconds=0.0))
    ahead.plan(["a", "b", "c"])
    ahead.fill()
    assert sorted(ahead.running()) == ["a", "b", "c"]  # started: steady costs fit
    starting = PlayAhead(plays, cost=lambda s: 0.1,
                         limits=Limits(budget=0.85, max_players=8, start_seconds=60.0))
    starting.plan(["d", "e", "f"])
    starting.fill()
    assert sorted(starting.running()) == ["d", "e"]  # two starts of 0.425 fill 0.85
    plays.open("a", "b", "c", "d", "e", "f")
    for s in "abc":
        ahead.take(s)
    for s in "def":
        starting.take(s)


def test_forked_players_start_faster_than_fresh_interpreters():
    forked = Limits.for_process(None, cpus=2, forked=True)
    fresh = Limits.for_process(None, cpus=2, forked=False)
    assert 0 < forked.start_seconds < fresh.start_seconds


def test_an_overloaded_replay_waits_for_room_among_the_others_and_goes_first():
    """replay(room=True): a starts again as soon as the plays running leave
    its cost free, beside those still running, before any planned play."""
    plays = Gated()
    ahead = PlayAhead(plays, cost=lambda s: 0.4, limits=Limits(budget=1.0, max_players=10))
    ahead.plan(["a", "b", "c"])
    ahead.fill()
    assert sorted(ahead.running()) == ["a", "b"]
    plays.open("a")
    ahead.take("a")
    ahead.fill()  # c takes a's place
    assert sorted(ahead.running()) == ["b", "c"]
    ahead.plan(["d"])
    plays.gates["a"] = threading.Event()
    seen: list[list[str]] = []

    def open_replay_when_it_runs() -> None:
        while plays.started.count("a") < 2:
            threading.Event().wait(0.01)
        seen.append(sorted(ahead.running()))
        plays.open("a")

    threading.Thread(target=open_replay_when_it_runs, daemon=True).start()
    threading.Timer(0.1, plays.open, args=("c",)).start()  # room for a, not for d too
    assert ahead.replay("a", room=True) == "played a"
    assert seen == [["a", "b"]]  # beside b, which still plays
    assert plays.started.index("a", 1) < plays.started.index("d")  # a went before d
    plays.open("b", "d")
    ahead.take("b")
    ahead.take("d")
