"""shards.py and --mp-shard: a deterministic, disjoint, covering split balanced by size."""
from __future__ import annotations

import random

import pytest

from pytest_pyglet_media import options, shards
from pytest_pyglet_media.core.errors import UsageError


def resolve(cli=None, ini=None, env=None):
    return options.resolve(cli or {}, ini or {}, env or {}, inifile="tox.ini")


def test_split_is_disjoint_covers_and_is_deterministic():
    rng = random.Random(14)
    weights = {f"s{i:03d}.mp4": rng.randrange(1, 10_000) for i in range(57)}
    for n in (1, 2, 3, 4, 7, 60):
        parts = shards.split(weights, n)
        assert len(parts) == n
        flat = [s for part in parts for s in part]
        assert sorted(flat) == sorted(weights) and len(flat) == len(set(flat))
        # the same playlist in another order gives the same split
        shuffled = dict(sorted(weights.items(), key=lambda kv: rng.random()))
        assert shards.split(shuffled, n) == parts


def test_split_balances_weight_not_counts():
    weights = {"long.mkv": 100, **{f"short{i}.mp3": 10 for i in range(10)}}
    one, two = shards.split(weights, 2)
    assert one == ["long.mkv"]  # 100 against 10 x 10: equal weight, 1 against 10 samples
    assert len(two) == 10


def test_split_ties_are_broken_by_name():
    weights = {name: 5 for name in ("d", "b", "a", "c")}
    assert shards.split(weights, 2) == [["a", "c"], ["b", "d"]]


def test_shard_samples_weighs_files_by_size(tmp_path):
    for name, size in (("a.mp4", 300), ("b.mp4", 100), ("c.mp4", 100), ("d.mp4", 100)):
        (tmp_path / name).write_bytes(b"x" * size)
    playlist = ["a.mp4", "b.mp4", "c.mp4", "d.mp4"]
    assert shards.shard_samples(tmp_path, playlist, (1, 2)) == {"a.mp4"}
    assert shards.shard_samples(tmp_path, playlist, (2, 2)) == {"b.mp4", "c.mp4", "d.mp4"}


@pytest.mark.parametrize("value, parsed", [("1/1", (1, 1)), ("2/4", (2, 4)), (" 4/4 ", (4, 4))])
def test_parse(value, parsed):
    assert shards.parse(value) == parsed


@pytest.mark.parametrize("value, why", [
    ("0/4", "K must be between 1 and 4"), ("5/4", "K must be between 1 and 4"),
    ("1/0", "N, the number of shards, must be 1 or more"), ("2", "write it as K/N"),
    ("a/b", "write it as K/N"), ("", "write it as K/N")])
def test_parse_refuses(value, why):
    with pytest.raises(ValueError, match=why):
        shards.parse(value)


def test_option_precedence_and_gitlab_fallback():
    gitlab = {"CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "5"}
    assert resolve().shard is None
    assert resolve(env=gitlab).shard == (3, 5)
    assert resolve(env={**gitlab, "PYTEST_MP_SHARD": "1/2"}).shard == (1, 2)
    assert resolve(ini={"mp_shard": "2/2"}, env=gitlab).shard == (2, 2)
    assert resolve({"mp_shard": "1/3"}, {"mp_shard": "2/2"}, gitlab).shard == (1, 3)
    assert resolve(env={"CI_NODE_INDEX": "3"}).shard is None  # both or nothing


@pytest.mark.parametrize("cli, env, message", [
    ({"mp_shard": "5/4"}, {}, "--mp-shard: bad value '5/4' from --mp-shard on the command line: "
                              "K must be between 1 and 4"),
    ({}, {"PYTEST_MP_SHARD": "x"}, "--mp-shard: bad value 'x' from environment variable "
                                   "PYTEST_MP_SHARD: write it as K/N"),
    ({}, {"CI_NODE_INDEX": "0", "CI_NODE_TOTAL": "2"},
     "--mp-shard: bad value '0/2' from environment variables CI_NODE_INDEX and CI_NODE_TOTAL"),
])
def test_bad_shard_is_a_usage_error_naming_its_source(cli, env, message):
    with pytest.raises(UsageError) as info:
        resolve(cli, {}, env)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("value", ["1/10000000", "1/1001", "1/" + "9" * 20, "1/" + "9" * 5000])
def test_absurd_shard_counts_are_refused_in_one_line(value):
    with pytest.raises(ValueError, match=f"at most {shards.MAX_SHARDS}"):
        shards.parse(value)
    assert shards.parse(f"{shards.MAX_SHARDS}/{shards.MAX_SHARDS}") == (1000, 1000)


def test_an_absurd_ci_node_total_is_a_usage_error_naming_the_variables():
    env = {shards.CI_NODE_INDEX: "1", shards.CI_NODE_TOTAL: "9" * 20}
    with pytest.raises(UsageError, match="CI_NODE_INDEX and CI_NODE_TOTAL: N, the number of "
                                         "shards, must be at most 1000"):
        options.resolve({}, {}, environ=env)
