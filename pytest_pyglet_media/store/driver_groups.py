"""A session played once per audio driver (--mp-drivers): one group per driver.

Each driver's plays go into a whole session of their own, `groups/NN` of
the run's session, as `pyglet-mp merge --allow-mixed` keeps the plays of
each place: the summary then shows the drivers side by side and
`pyglet-mp compare --between` compares them, by the machinery merged
sessions already have. A group's `_versions.json` names its driver
(`audio`) and says it is a driver group (DRIVER_GROUP_KEY), so a later
drivers run finds each driver's group again whatever order the drivers are
given in.

The top level keeps, per sample, the recording of the first driver (in the
order given) that has one, with its reference and retry state: the session
commands that read one recording per sample (status, list, report,
timelines) show that driver's play, as a merged session shows its first
group's.
"""
from __future__ import annotations

import json
import shutil
from typing import Any, Iterable, Mapping

from ..core import atomic
from ..core.errors import SessionError
from . import sessions

#: the key of a group's _versions.json marking it as one driver's plays
DRIVER_GROUP_KEY = "driver_group"
#: the key of the top level's _versions.json listing its drivers, in order
DRIVERS_KEY = "drivers"


def driver_groups(paths: sessions.SessionPaths) -> dict[str, sessions.SessionPaths]:
    """driver -> its group, for the groups a drivers run made (others: none)."""
    found: dict[str, sessions.SessionPaths] = {}
    for number in paths.group_numbers():
        group = paths.group(number)
        versions = sessions.load_versions(group)
        driver = versions.get("audio")
        if versions.get(DRIVER_GROUP_KEY) is True and isinstance(driver, str):
            found.setdefault(driver, group)
    return found


def is_drivers_session(paths: sessions.SessionPaths) -> bool:
    """The session holds plays per driver (a drivers run made its groups)."""
    return isinstance(sessions.load_versions(paths).get(DRIVERS_KEY), list)


def ensure_groups(paths: sessions.SessionPaths, drivers: Iterable[str],
                  versions: Mapping[str, Any]) -> dict[str, sessions.SessionPaths]:
    """driver -> the group its plays go into, made where missing.

    A session with groups that are not driver groups (a merge of runs played
    in different places) is refused: its groups are other machines' plays.
    `versions`: what the run plays with (versions.capture), kept in each new
    group with its driver.
    """
    drivers = list(drivers)
    numbers = paths.group_numbers()
    existing = driver_groups(paths)
    if numbers and len(existing) != len(numbers):
        raise SessionError(f"session {paths.name!r} holds groups merged from other places "
                           f"({paths.groups_dir}); play --mp-drivers into a new session")
    playlist = sessions.session_playlist(paths)
    corpus = _corpus_version(paths)
    next_number = max(numbers, default=0) + 1
    made = dict(existing)
    for driver in drivers:
        if driver in made:
            _same_playlist(made[driver], playlist)
            continue
        paths.groups_dir.mkdir(exist_ok=True)
        made[driver] = sessions.create_session(
            paths.samples_dir, f"{next_number:02d}", playlist, has_playlist=True,
            versions={**versions, "audio": driver, DRIVER_GROUP_KEY: True},
            samples_version=corpus, store_dir=paths.groups_dir)
        next_number += 1
    top = sessions.load_versions(paths)
    listed = [d for d in top.get(DRIVERS_KEY) or [] if isinstance(d, str)]
    order = listed + [d for d in drivers if d not in listed]
    if listed != order:
        atomic.write_text(paths.versions, json.dumps({**top, DRIVERS_KEY: order}, indent=2)
                          + "\n")
    return {driver: made[driver] for driver in drivers}


def _corpus_version(paths: sessions.SessionPaths) -> str:
    try:
        return paths.samples_version.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def _same_playlist(group: sessions.SessionPaths, playlist: list[str]) -> None:
    """A group plays the session's playlist (a run may have added samples)."""
    if sessions.session_playlist(group) != playlist:
        atomic.write_text(group.playlist, "".join(f"{s}\n" for s in playlist))


def fill_top_level(paths: sessions.SessionPaths, drivers: Iterable[str],
                   samples: Iterable[str]) -> dict[str, str]:
    """Per sample of `samples`, the top level takes the recording of the
    first of `drivers` whose group has one (with its reference and retry
    state); sample -> the driver whose play it now shows."""
    groups = driver_groups(paths)
    ordered = [(d, groups[d]) for d in drivers if d in groups]
    retry_state = sessions.load_retry_state(paths)
    states = {d: sessions.load_retry_state(g) for d, g in ordered}
    shown: dict[str, str] = {}
    for sample in samples:
        for driver, group in ordered:
            recording = group.recording(sample)
            if not recording.is_file():
                continue
            _copy(recording, paths.recording(sample))
            reference = group.reference(sample)
            if reference.is_file():
                paths.reference_dir.mkdir(exist_ok=True)
                _copy(reference, paths.reference(sample))
            if sample in states[driver]:
                retry_state[sample] = states[driver][sample]
            else:
                retry_state.pop(sample, None)
            shown[sample] = driver
            break
    if shown:
        atomic.write_text(paths.retry_state,
                          json.dumps(retry_state, indent=1, sort_keys=True) + "\n")
    return shown


def _copy(source: Any, target: Any) -> None:
    """Copied whole, then renamed into place: a reader never sees half a file."""
    staged = target.with_name(f".{target.name}.copying")
    shutil.copyfile(source, staged)
    staged.replace(target)
