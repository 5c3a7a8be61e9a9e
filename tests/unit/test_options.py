"""options.py: precedence (command line > ini > env > default) and usage errors."""
from __future__ import annotations

import pytest

from pytest_pyglet_media import options
from pytest_pyglet_media.core.errors import UsageError
from pytest_pyglet_media.play.runner import DEFAULT_PLAYER
from pytest_pyglet_media.store import sessions


def resolve(cli=None, ini=None, env=None, inifile="tox.ini"):
    return options.resolve(cli or {}, ini or {}, env or {}, inifile=inifile)


def test_defaults():
    settings = resolve()
    assert settings == options.Settings()
    assert settings.timeout is None and settings.retries == 5  # None: automatic
    assert settings.stall_timeout == 10.0
    assert settings.audio == ("silent",) and settings.player == DEFAULT_PLAYER
    assert settings.samples_dir is None and not settings.active
    assert settings.order == "longest"


def test_resolve_ignores_os_environ_when_given_one(monkeypatch):
    monkeypatch.setenv("PYTEST_MP_TIMEOUT", "7")
    assert resolve().timeout is None
    assert options.resolve({}, {}).timeout == 7.0  # environ=None reads os.environ


@pytest.mark.parametrize("field, flag, ini, env, values, parsed", [
    ("timeout", "--mp-timeout", "mp_timeout", "PYTEST_MP_TIMEOUT",
     ("1.5", "2", "3"), (1.5, 2.0, 3.0)),
    ("retries", "--mp-retries", "mp_retries", "PYTEST_MP_RETRIES",
     ("0", "1", "2"), (0, 1, 2)),
    ("audio", "--mp-audio", "mp_audio", "PYTEST_MP_AUDIO",
     ("openal", "silent,openal", "pulse"), (("openal",), ("silent", "openal"), ("pulse",))),
    ("order", "--mp-order", "mp_order", "PYTEST_MP_ORDER",
     ("playlist", "longest", "playlist"), ("playlist", "longest", "playlist")),
    ("players", "--mp-players", "mp_players", "PYTEST_MP_PLAYERS",
     ("1", "auto", "12"), (1, None, 12)),
    ("recursive", "--mp-recursive", "mp_recursive", "PYTEST_MP_RECURSIVE",
     (True, "false", "yes"), (True, False, True)),
])
def test_precedence(field, flag, ini, env, values, parsed):
    cli_v, ini_v, env_v = values
    key = f"mp_{field}"
    everything = resolve({key: cli_v}, {ini: ini_v}, {env: env_v})
    assert getattr(everything, field) == parsed[0]
    assert getattr(resolve({}, {ini: ini_v}, {env: env_v}), field) == parsed[1]
    assert getattr(resolve({}, {}, {env: env_v}), field) == parsed[2]
    # None (option not given) and an empty ini value fall through
    assert getattr(resolve({key: None}, {ini: ""}, {env: env_v}), field) == parsed[2]
    assert getattr(resolve({key: None}, {ini: None}, {env: ""}), field) == \
        getattr(options.Settings(), field)


def test_cli_beats_a_bad_ini_value():
    # the first source that holds a value wins; lower ones are not even parsed
    assert resolve({"mp_timeout": "5"}, {"mp_timeout": "soon"}).timeout == 5.0


def test_options_without_env_ignore_environment():
    settings = resolve({}, {}, {"PYTEST_MP_SESSION": "x", "mp_session": "y"})
    assert settings.session is None


def test_text_options_and_samples_dir(tmp_path):
    settings = resolve({"mp_samples_dir": "~/media", "mp_session": "s1"},
                       {"mp_playlist": "list.txt", "mp_player": "tests.doubles.crasher"})
    assert settings.samples_dir.endswith("media") and "~" not in settings.samples_dir
    assert settings.active
    assert settings.session == "s1"
    assert settings.playlist == "list.txt"
    assert settings.player == "tests.doubles.crasher"


BAD = [
    ("timeout", "--mp-timeout", "mp_timeout", "PYTEST_MP_TIMEOUT", "soon", "not a number"),
    ("timeout", "--mp-timeout", "mp_timeout", "PYTEST_MP_TIMEOUT", "0", "positive"),
    ("timeout", "--mp-timeout", "mp_timeout", "PYTEST_MP_TIMEOUT", "-3", "positive"),
    ("timeout", "--mp-timeout", "mp_timeout", "PYTEST_MP_TIMEOUT", "nan", "positive"),
    ("timeout", "--mp-timeout", "mp_timeout", "PYTEST_MP_TIMEOUT", "inf", "positive"),
    ("retries", "--mp-retries", "mp_retries", "PYTEST_MP_RETRIES", "many", "whole number"),
    ("retries", "--mp-retries", "mp_retries", "PYTEST_MP_RETRIES", "1.5", "whole number"),
    ("retries", "--mp-retries", "mp_retries", "PYTEST_MP_RETRIES", "-1", "negative"),
    ("audio", "--mp-audio", "mp_audio", "PYTEST_MP_AUDIO", "alsa", "unknown audio driver 'alsa'"),
    ("audio", "--mp-audio", "mp_audio", "PYTEST_MP_AUDIO", "silent,oss", "'oss'"),
    ("audio", "--mp-audio", "mp_audio", "PYTEST_MP_AUDIO", " , ", "at least one"),
    ("order", "--mp-order", "mp_order", "PYTEST_MP_ORDER", "shortest",
     "choose one of longest, playlist"),
    ("players", "--mp-players", "mp_players", "PYTEST_MP_PLAYERS", "0", "at least one player"),
    ("players", "--mp-players", "mp_players", "PYTEST_MP_PLAYERS", "many", "say auto or"),
]


@pytest.mark.parametrize("field, flag, ini, env, value, why", BAD)
def test_bad_values_name_flag_and_source(field, flag, ini, env, value, why):
    with pytest.raises(UsageError) as info:
        resolve({f"mp_{field}": value})
    message = str(info.value)
    assert message.startswith(f"{flag}: bad value {value!r}")
    assert f"from {flag} on the command line" in message and why in message

    with pytest.raises(UsageError) as info:
        resolve({}, {ini: value}, inifile="/proj/pytest.ini")
    assert f"from {ini} in /proj/pytest.ini" in str(info.value) and why in str(info.value)
    assert flag in str(info.value)

    with pytest.raises(UsageError) as info:
        resolve({}, {}, {env: value})
    assert f"from environment variable {env}" in str(info.value) and why in str(info.value)
    assert flag in str(info.value)


def test_ini_source_without_inifile_name():
    with pytest.raises(UsageError, match="mp_retries in the ini file"):
        options.resolve({}, {"mp_retries": "x"}, {}, inifile=None)


def test_empty_command_line_value_is_an_error():
    with pytest.raises(UsageError, match="--mp-timeout: bad value ''"):
        resolve({"mp_timeout": ""})
    with pytest.raises(UsageError, match="--mp-session.*it is empty"):
        resolve({"mp_session": "  "})


def test_option_table():
    flags = [spec.flag for spec in options.OPTIONS]
    assert len(set(flags)) == len(flags)
    assert all(flag.startswith("--mp-") for flag in flags)
    assert {spec.field for spec in options.OPTIONS} == \
        set(options.Settings.__dataclass_fields__)
    assert [spec.ini for spec in options.OPTIONS if spec.field == "samples_dir"] == \
        ["mp_samples_dir"]


def test_add_options_declares_flag_and_ini():
    added, inis = [], []

    class Group:
        def addoption(self, flag, **kw):
            added.append((flag, kw))

    class Parser:
        def getgroup(self, name, description=""):
            return Group()

        def addini(self, name, help, default=None):
            inis.append(name)

    options.add_options(Parser())
    assert [flag for flag, _ in added] == [spec.flag for spec in options.OPTIONS]
    assert inis == [spec.ini for spec in options.OPTIONS if not spec.cli_only]
    assert "mp_baseline_update" not in inis and "mp_baseline" in inis
    assert dict(added)["--mp-baseline-update"]["action"] == "store_true"
    kw = dict(added)["--mp-timeout"]
    assert kw["dest"] == "mp_timeout" and kw["default"] is None
    assert "PYTEST_MP_TIMEOUT" in kw["help"]


def test_baseline_options():
    assert resolve().baseline is None and resolve().baseline_update is False
    assert resolve({}, {"mp_baseline": "b.json"}).baseline == "b.json"
    assert resolve({}, {}, {"PYTEST_MP_BASELINE": "e.json"}).baseline == "e.json"
    assert resolve({"mp_baseline_update": True}).baseline_update is True
    assert resolve({"mp_baseline_update": None}).baseline_update is False


def test_baseline_update_is_command_line_only():
    """Left on in an ini file or CI's environment it would pass every regression."""
    ini = {"mp_baseline_update": "true"}
    env = {"PYTEST_MP_BASELINE_UPDATE": "1"}
    assert resolve({}, ini, env).baseline_update is False


@pytest.mark.parametrize("flag, value", [("mp_timeout", "1e10"), ("mp_stall_timeout", "1e300"),
                                         ("mp_timeout", "604801")])
def test_time_options_are_bounded(flag, value):
    with pytest.raises(UsageError, match="at most 604800 seconds"):
        options.resolve({flag: value}, {}, environ={})
    assert options.resolve({flag: "604800"}, {}, environ={})


def test_the_baseline_update_is_refused_unless_on_the_command_line_itself():
    on = options.resolve({"mp_baseline_update": True}, {}, environ={})
    options.require_command_line_only(on, ["--mp-samples-dir=s", "--mp-baseline-update"])
    with pytest.raises(UsageError, match="--mp-baseline-update is read from the command line "
                                         "only: it was given through PYTEST_ADDOPTS"):
        options.require_command_line_only(on, ["--mp-samples-dir=s"])
    off = options.resolve({}, {}, environ={})
    options.require_command_line_only(off, [])


def test_one_environment_name_per_setting_shared_with_the_cli():
    by_field = {spec.field: spec for spec in options.OPTIONS}
    assert by_field["samples_dir"].env == sessions.SAMPLES_DIR_ENV == "PYTEST_MP_SAMPLES_DIR"
    assert by_field["store"].env == sessions.STORE_DIR_ENV == "PYTEST_MP_STORE"
    envs = [spec.env for spec in options.OPTIONS if spec.env]
    assert len(set(envs)) == len(envs)
    assert resolve({}, {}, {"PYTEST_MP_SAMPLES_DIR": "/s"}).samples_dir == "/s"
    # the CLI's former store name is read after the new one, with a warning
    assert resolve({}, {}, {"pyglet_mp_store_dir": "/old"}).store == "/old"
    assert resolve({}, {}, {"pyglet_mp_store_dir": "/old", "PYTEST_MP_STORE": "/new"}
                   ).store == "/new"
    assert "set PYTEST_MP_STORE instead" in \
        options.deprecated_names_in({"pyglet_mp_store_dir": "/old"})[0]
    # the samples folder's former name is never read by pytest: set for the
    # CLI, it would turn every pytest run into a media run
    assert not resolve({}, {}, {"pyglet_mp_samples_dir": "/s"}).active
