"""shards.py and --mp-shard: a deterministic, disjoint, covering split balanced by
expected play time (the durations file), else by size."""
from __future__ import annotations

import random

import pytest

from pytest_pyglet_media import options, shards
from pytest_pyglet_media.core.errors import UsageError
from pytest_pyglet_media.store import durations


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


#: six clips of 1.2 s whose sizes differ (one holds a higher bit rate)
CLIPS = {"a.mp4": 5_000, "b.mp4": 900, "c.mp4": 1_000, "d.mp4": 1_100, "e.mp4": 950,
         "f.mp4": 1_050}


def test_six_equal_clips_split_3_3_by_the_durations_file_and_1_5_without(tmp_path):
    for name, size in CLIPS.items():
        (tmp_path / name).write_bytes(b"x" * size)
    playlist = sorted(CLIPS)
    by_size = [shards.shard_samples(tmp_path, playlist, (k, 2)) for k in (1, 2)]
    assert by_size == [{"a.mp4"}, set(playlist) - {"a.mp4"}]  # bytes, as before the file
    durations.update_file(durations.path_in(tmp_path), {s: 1.2 for s in CLIPS})
    by_time = [shards.shard_samples(tmp_path, playlist, (k, 2)) for k in (1, 2)]
    assert [len(p) for p in by_time] == [3, 3] and by_time[0] | by_time[1] == set(playlist)
    split = shards.plan_for(tmp_path, playlist, 2)
    assert split.describe(2) == "shard 2 of 2: 3 samples, 3.6 expected seconds, from " \
                                "samples.durations.json"


def test_samples_the_file_does_not_list_are_timed_at_the_median_bytes_per_second():
    sizes = {"a.mp4": 1000, "b.mp4": 2000, "odd.mp4": 3000, "new.mp4": 4000, "new2.mp4": 500}
    listed = {"a.mp4": 1.0, "b.mp4": 2.0, "odd.mp4": 30.0, "gone.mp4": 9.0}
    split = shards.plan(sizes, 2, listed, "samples.durations.json")
    # rates 1000, 1000 and 100 bytes/s: the median, 1000, ignores the odd file
    assert split.rate == 1000
    assert split.weights == {"a.mp4": 1000, "b.mp4": 2000, "odd.mp4": 30000,
                             "new.mp4": 4000, "new2.mp4": 500}
    assert split.shards == (("odd.mp4",), ("a.mp4", "b.mp4", "new.mp4", "new2.mp4"))
    assert split.describe(2) == (
        "shard 2 of 2: 4 samples, 7.5 expected seconds, from samples.durations.json (2 not "
        "listed there, estimated from file size at 1000 bytes per second)")
    # the same inputs in any order: the same split (every CI job agrees)
    rng = random.Random(3)
    again = shards.plan(dict(sorted(sizes.items(), key=lambda kv: rng.random())), 2,
                        dict(sorted(listed.items(), key=lambda kv: rng.random())),
                        "samples.durations.json")
    assert again == split


def test_a_file_listing_none_of_the_playlist_leaves_the_split_by_size():
    sizes = {"a.mp4": 300, "b.mp4": 100}
    split = shards.plan(sizes, 2, {"other.mp4": 4.0}, "samples.durations.json")
    assert split.by == shards.BY_SIZE and split.shards == (("a.mp4",), ("b.mp4",))
    assert split.describe(1) == "shard 1 of 2: 1 sample, 300 bytes, by file size " \
                                "(samples.durations.json lists none of the playlist's samples)"
    assert shards.plan(sizes, 2).describe(2) == (
        "shard 2 of 2: 1 sample, 100 bytes, by file size (no samples.durations.json; write "
        "it with --mp-store-durations)")
    # seconds cannot be mixed with bytes when no listed sample gives a rate
    untimed = shards.plan({**sizes, "empty.mp4": 0}, 2, {"empty.mp4": 2.0}, "d.json")
    assert untimed.by == shards.BY_SIZE and untimed.describe(1).endswith(
        "(d.json times no sample of known size, so the 2 it does not list cannot be timed)")


def test_a_bad_durations_file_stops_the_split_naming_the_file(tmp_path):
    (tmp_path / "a.mp4").write_bytes(b"x")
    path = durations.path_in(tmp_path)
    path.write_text('{"format": "pytest-pyglet-media durations", "version": 1, '
                    '"samples": {"a.mp4": "long"}}')
    with pytest.raises(durations.DurationsError, match=f"^{path}: sample 'a.mp4': its play "
                                                       "time must be a number of seconds"):
        shards.shard_samples(tmp_path, ["a.mp4"], (1, 2))


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


def test_store_durations_is_read_from_the_command_line_only():
    assert resolve({}, {"mp_store_durations": "true"}, {}).store_durations is False
    on = resolve({"mp_store_durations": True})
    options.require_command_line_only(on, ["--mp-store-durations"])
    with pytest.raises(UsageError, match="^--mp-store-durations is read from the command line "
                                         "only: .* where it would rewrite the durations file"):
        options.require_command_line_only(on, [])
