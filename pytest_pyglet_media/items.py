"""Collection: the samples folder as a pytest Directory, one item per sample.

Node ids look like `samples/h264_aac.mp4::play`: the path part is the sample
file, so IDE runners and copy-pasted node ids select one sample.
"""
from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any, Iterable

import pytest

from . import concurrency, junit
from .context import RunContext
from .core.errors import MediaTestError
from .judge import analysis as an
from .judge import baseline as bl
from .judge import drivers
from .judge import results as res
from .play import order, timeouts
from .play.playback import Attempt, play_limit, play_with_retries
from .report import text_reports
from .store import durations, play_marker
from .store import sessions
from .store.manifest import sample_markers

ITEM_NAME = "play"
#: how pytest-timeout's failure starts (pytest_timeout.PYTEST_FAILURE_MESSAGE)
PYTEST_TIMEOUT_MESSAGE = "Timeout"
RUN_CONTEXT = pytest.StashKey[RunContext]()
#: the samples in collection order (order.py): computed once, on the
#: controller, and handed to xdist workers, which must collect alike
PLAY_ORDER = pytest.StashKey[tuple[str, ...]]()


class SampleFailed(Exception):
    """The play was judged bad; the message is the whole explanation."""


class NotTheExpectedFailure(Exception):
    """The sample failed, but not as samples.toml expects: an expectation excuses
    what it names (a known defect, a broken file), never a crash, a hang or a
    play with no recording, so this is never an expected failure."""


#: the outcomes each expectation of samples.toml excuses: a known defect is a
#: play with defects; a broken file fails cleanly (pyglet cannot open it, or
#: it plays short); a crash, a timeout, a missing or unreadable recording, an
#: overloaded machine are never what a sample is expected to do
EXCUSED_BY = {"defect": frozenset({an.DEFECTS}),
              "broken": frozenset({an.UNPLAYABLE, an.DEFECTS})}


class NotPlayed(Exception):
    """The sample was not played (the session forbids it); never an expected failure."""


class SamplesDir(pytest.Directory):
    """The samples folder: yields the session playlist, never its other
    subfolders. A sample in a subfolder (--mp-recursive) is collected under
    a SampleFolder, as pytest collects a test folder, so that `samples/live`
    and `samples/live/concert.mkv::play` select it."""

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        ctx = self.config.stash[RUN_CONTEXT]
        order = self.config.stash.get(PLAY_ORDER, None) or play_order(ctx)
        folder = folder_nodeid(self.path, self.config.rootpath)
        return _collect_level(self, [s for s in order if ctx.plays(s)], "", folder)


class SampleFolder(pytest.Directory):
    """A subfolder of the samples folder holding samples of the playlist."""

    def __init__(self, *, samples: list[str], prefix: str, folder: str | None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._samples = samples
        self._prefix = prefix
        self._folder = folder

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        return _collect_level(self, self._samples, self._prefix, self._folder)


def _collect_level(parent: pytest.Directory, samples: list[str], prefix: str,
                   folder: str | None) -> list[pytest.Item | pytest.Collector]:
    """The samples of one folder and its subfolders (named `prefix` + ...),
    in play order: a subfolder where its first sample plays. `folder`: the
    samples folder's node id outside the rootdir (folder_nodeid), else None."""
    ctx = parent.config.stash[RUN_CONTEXT]
    nodes: list[pytest.Item | pytest.Collector] = []
    subfolders: dict[str, list[str]] = {}

    def nodeid(name: str) -> str | None:
        return None if folder is None else f"{folder}/{name}"

    for sample in samples:
        sub, sep, _rest = sample[len(prefix):].partition("/")
        if not sep:
            nodes.append(SampleFile.from_parent(parent, path=ctx.samples_dir / sample,
                                                nodeid=nodeid(sample)))
            continue
        if sub not in subfolders:
            subfolders[sub] = []
            nodes.append(SampleFolder.from_parent(
                parent, path=ctx.samples_dir / (prefix + sub), samples=subfolders[sub],
                prefix=f"{prefix}{sub}/", folder=folder, nodeid=nodeid(prefix + sub)))
        subfolders[sub].append(sample)
    return nodes


def item_name(driver: str | None) -> str:
    """`play`, or `play[pulse]` for an item of one driver (--mp-drivers): the
    parametrized look pytest users know, selectable with `-k pulse`."""
    return ITEM_NAME if driver is None else f"{ITEM_NAME}[{driver}]"


class SampleFile(pytest.File):
    def collect(self) -> Iterable[pytest.Item]:
        for driver in self.config.stash[RUN_CONTEXT].drivers or (None,):
            yield self._item(driver)

    def _item(self, driver: str | None) -> pytest.Item:
        item = SampleItem.from_parent(self, name=item_name(driver), driver=driver)
        if self.config.pluginmanager.hasplugin("rerunfailures"):
            # One retry policy: the plugin retries crashes, timeouts
            # and overloaded plays itself (--mp-retries); pytest-rerunfailures'
            # --reruns would multiply them and rerun unplayable files. Its
            # marker wins over --reruns (not over --force-reruns).
            item.add_marker(pytest.mark.flaky(reruns=0))
        expectation = self.config.stash[RUN_CONTEXT].expectation(sample_name(self), driver)
        for marker in sample_markers(expectation) if expectation is not None else ():
            item.add_marker(marker)  # samples.toml's (manifest_markers.py)
        if expectation is not None and expectation.expect != "pass":
            item.add_marker(pytest.mark.xfail(
                reason=f"{expectation.expect}: {expectation.reason}",
                strict=expectation.strict, raises=SampleFailed))
        return item


#: the verdict of a played item, as builtins (it crosses xdist on the report)
RESULT = pytest.StashKey[dict[str, Any]]()
#: the verdict's facts as (name, text) pairs, for --junitxml (junit.py)
PROPERTIES = pytest.StashKey[list[tuple[str, str]]]()
#: the seconds the item's plays took, each judged (retries included): its own
#: time, though a play may have started ahead of the item and waited for it
PLAY_TIME = pytest.StashKey[float]()
#: the first line of the captured section that holds the player's output
PLAYER_OUTPUT = "[the player's stdout and stderr, last lines]"


def sample_name(node: pytest.Node) -> str:
    """The sample of a node: its path relative to the samples folder, with
    '/' (`live/concert.mkv` in a subfolder)."""
    return node.path.relative_to(node.config.stash[RUN_CONTEXT].samples_dir).as_posix()


class DriverNotUsed(Exception):
    """The item names an audio driver (--mp-drivers) and pyglet played with
    another: never a pass, never an expected failure."""


class SampleItem(pytest.Item):
    def __init__(self, *args: Any, driver: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: the audio driver this item plays with alone (--mp-drivers), or
        #: None: the run's --mp-audio preference list
        self.driver = driver

    @property
    def sample(self) -> str:
        return sample_name(self)

    @property
    def label(self) -> str:
        """How messages name this item's play: `clip.mp4`, `clip.mp4[pulse]`."""
        return self.sample if self.driver is None else f"{self.sample}[{self.driver}]"

    @property
    def play_key(self) -> str:
        """What the run's concurrent plays know this item's play by."""
        return concurrency.play_key(self.sample, self.driver)

    def runtest(self) -> None:
        ctx = self.config.stash[RUN_CONTEXT]
        assert ctx.paths is not None, "a run that plays samples always has a session"
        recording_path = ctx.session_of(self.driver).recording(self.sample)
        plays = [0]
        seconds: list[float] = []  # each play's own time

        def on_retry(attempt: Attempt) -> None:
            plays[0] += 1
            self._log_rerun(attempt)

        def play(previous: Attempt | None, mode: str) -> Attempt:
            try:
                done = concurrency.play_once(self.config, ctx, self.play_key, previous, mode)
            except MediaTestError as exc:  # protection switched on meanwhile
                raise NotPlayed(f"{self.label}: not played: {exc}") from None
            seconds.append(done.seconds)
            return done

        try:
            result, last = play_with_retries(concurrency.settings_for(ctx, self.driver),
                                             ctx.samples_dir, self.sample,
                                             recording_path, on_retry=on_retry, play=play,
                                             budget=concurrency.replay_budget(self.config))
            result = dataclasses.replace(result, verdict=drivers.judged_for(self.driver,
                                                                            result.verdict))
        except pytest.fail.Exception as exc:
            if not str(exc).startswith(PYTEST_TIMEOUT_MESSAGE):
                raise
            self._stopped_by_pytest_timeout(ctx, str(exc), plays[0] + 1)
        if seconds:
            self.stash[PLAY_TIME] = sum(seconds)
        self.stash[RESULT] = result.to_builtins()
        self._record(junit_properties(result))
        self._add_player_output(last)
        wrong = drivers.mismatch(self.driver, result.verdict)
        if wrong:
            raise DriverNotUsed(f"{self.label}: {wrong}\n{_message(self.label, last)}")
        if ctx.judged_by_baseline:
            self._judge_by_baseline(ctx, result, last)
        elif result.outcome != an.PERFECT:
            raise self._failure(ctx, result.outcome, _message(self.label, last, result))

    def _failure(self, ctx: RunContext, outcome: str, message: str) -> Exception:
        """SampleFailed, which samples.toml's expectation may mark xfail, when the
        outcome is one the expectation names; else a failure it cannot excuse."""
        spec = ctx.expectation(self.sample, self.driver)
        if spec is None or spec.expect == "pass" or outcome in EXCUSED_BY[spec.expect]:
            return SampleFailed(message)
        return NotTheExpectedFailure(
            f"{self.label}: samples.toml expects {spec.expect!r} ({spec.reason}), "
            f"which does not excuse {outcome!r}\n{message}")

    def _stopped_by_pytest_timeout(self, ctx: RunContext, why: str, attempts: int) -> None:
        """pytest-timeout fired during a play (its signal method): the runner
        killed the player group; the verdict is a timeout, with its junit
        properties, not an interrupted play nor a crash."""
        assert ctx.paths is not None
        session = ctx.session_of(self.driver)
        play_marker.remove(session.playing(self.sample))
        recording_path = session.recording(self.sample)
        analysis = an.Verdict(an.TIMEOUT, reason=f"stopped by pytest-timeout ({why}); "
                                   "killed with its process group")
        result = res.SampleResult(sample=self.sample, verdict=analysis, attempts=attempts,
                                  crashed_attempts=attempts, recording=str(recording_path))
        self.stash[RESULT] = result.to_builtins()
        self._record(junit_properties(result))  # where the junit family allows them
        raise self._failure(ctx, an.TIMEOUT, text_reports.attempt_message(
            self.label, analysis, str(recording_path), None)) from None

    def pytest_timeout_limit(self, given: float) -> float:
        """The pytest-timeout limit of this item: at least `given`, and enough
        for every play and retry (timeouts.item_limit)."""
        ctx = self.config.stash[RUN_CONTEXT]
        reference_path = None
        if ctx.paths is not None:
            try:
                sessions.require_raw_writable(ctx.paths)
                reference_path = ctx.session_of(self.driver).reference(self.sample)
            except MediaTestError:
                pass  # runtest says it is not played
        play = play_limit(ctx.settings, ctx.samples_dir, self.sample, reference_path,
                          ctx.references)
        return max(given, timeouts.item_limit(play, ctx.settings.retries))

    def _judge_by_baseline(self, ctx: RunContext, result: res.SampleResult,
                           last: Attempt) -> None:
        """Fail only where the play is worse than the sample's baseline entry
        (samples.toml's expectation wins for its sample: judged as without)."""
        now = bl.entry_of(result.outcome, result.verdict.counts)
        base = bl.entry_for(ctx.baseline, self.sample, self.driver)
        self._record(baseline_properties(base, now))
        if not ctx.baseline_applies(self.sample, self.driver):
            if result.outcome != an.PERFECT:
                raise self._failure(ctx, result.outcome, _message(self.label, last, result))
            return
        verdict = bl.check_against(now, base, ctx.baseline_name, update=ctx.settings.baseline_update)
        if verdict.passed and verdict.note:  # shown by -rP; the summary lists better ones
            self.add_report_section("call", "baseline", verdict.note)
        if not verdict.passed:
            note = f"{self.label}: {verdict.note}\n" if verdict.note else ""
            raise SampleFailed(note + _message(self.label, last, result))

    def _record(self, props: list[tuple[str, object]]) -> None:
        """The verdict's facts: on the report (junit.py puts them where the
        junit family allows), and as user properties unless xunit2 is written."""
        self.stash.setdefault(PROPERTIES, []).extend((n, str(v)) for n, v in props)
        if junit.testcase_properties_allowed(self.config):
            self.user_properties.extend(props)

    def _add_player_output(self, attempt: Attempt) -> None:
        """What the player wrote (stdout and stderr, one stream, its last
        runner.STDERR_TAIL_BYTES): a captured section, shown on failure and
        written by junit_logging=system-err|out-err|all."""
        tail = attempt.run.stderr_tail if attempt.run else ""
        if tail.strip():
            self.add_report_section("call", "stderr", f"{PLAYER_OUTPUT}\n{tail}")

    def _log_rerun(self, attempt: Attempt) -> None:
        """Report a play that is played again as a rerun ('R'), as
        pytest-rerunfailures does; its text starts with why."""
        now = time.time()
        _, why = res.retry_reason(attempt.verdict)
        duration = attempt.run.wall_time if attempt.run else 0.0
        # pytest >= 9 keys junit rows by the item's structured id; a nodeid
        # string parsed anew splits `play[pulse]` otherwise and opens a second row
        report = pytest.TestReport(
            nodeid=getattr(self, "id", self.nodeid), location=self.location,
            keywords={k: 1 for k in self.keywords}, outcome="rerun",
            longrepr=f"played again: {why}\n{_message(self.label, attempt)}", when="call",
            sections=[], duration=duration,
            start=now - duration, stop=now, user_properties=[])
        # runtest runs under output capture: logged as it is, the terminal's
        # 'R' would go into the item's captured stdout instead of the
        # progress line, so the rerun is logged with capture suspended
        capman = self.config.pluginmanager.getplugin("capturemanager")
        if capman is None:
            self.ihook.pytest_runtest_logreport(report=report)
        else:
            with capman.global_and_fixture_disabled():
                self.ihook.pytest_runtest_logreport(report=report)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> Any:
        if isinstance(excinfo.value, (SampleFailed, NotPlayed, NotTheExpectedFailure,
                                      DriverNotUsed)):
            return junit.message_repr(self.location[0], str(excinfo.value),
                                      self.config.getoption("tbstyle", "auto"))
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        # line 0: tools print `clip.mp4:1` (pytest shows line + 1), never `:None`
        return self.path, 0, f"play {self.label}"


def _message(sample: str, attempt: Attempt, result: res.SampleResult | None = None) -> str:
    """An attempt's failure message; with the sample's `result`, why each
    earlier play was played again."""
    message = text_reports.attempt_message(sample, attempt.verdict, str(attempt.recording),
                                           attempt.run.stderr_tail if attempt.run else None)
    if result is not None and result.retry_reasons:
        message += "\n" + "\n".join(text_reports.retry_lines(result))
    return message


def junit_properties(result: res.SampleResult) -> list[tuple[str, object]]:
    """Flat, text-friendly properties for --junitxml (one per fact)."""
    counts = result.verdict.counts
    defects = ", ".join(f"{k}={n}" for k, n in sorted(counts.items())) or "none"
    props: list[tuple[str, object]] = [
        ("mp_verdict", result.outcome), ("mp_defects", defects),
        ("mp_recording", result.recording), ("mp_attempts", result.attempts)]
    if result.retry_reasons:
        props.append(("mp_retry_reasons", "; ".join(words for _, words in result.retry_reasons)))
    driver = text_reports.driver_used(result.verdict)
    if driver is not None:
        props.append(("mp_audio_driver", driver))
    checked = result.verdict.checked
    if checked is not None:
        props.append(("mp_file_check", "checked against the file" if checked is True
                      else f"not checked against the file: {checked}"))
    return props


def baseline_properties(base: bl.Entry | None, now: bl.Entry) -> list[tuple[str, object]]:
    """The baseline beside the verdict, for --junitxml."""
    return [("mp_baseline", bl.render_entry(base)),
            ("mp_baseline_change", bl.describe(base, now))]


def play_order(ctx: RunContext) -> tuple[str, ...]:
    """The playlist in --mp-order's order (order.py). Node ids are unchanged;
    node ids given as arguments are collected in the order given."""
    reference_of = ctx.paths.reference if ctx.paths is not None else None
    played = None
    if ctx.settings.order != order.PLAYLIST:  # a bad file: DurationsError naming it
        found = durations.load_if_present(durations.path_in(ctx.samples_dir))
        played = found.seconds if found is not None else None
    return tuple(order.play_order(ctx.settings.order, ctx.playlist, ctx.samples_dir,
                                  reference_of, ctx.references.load, played,
                                  ctx.references.cache.length_hint))


def collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    ctx = parent.config.stash.get(RUN_CONTEXT, None)
    if ctx is not None and path == ctx.samples_dir:
        return SamplesDir.from_parent(parent, path=path,
                                      nodeid=folder_nodeid(path, parent.config.rootpath))
    return None


def folder_nodeid(folder: Path, rootpath: Path) -> str | None:
    """The samples folder's node id when it lies outside the rootdir: its path
    from the rootdir (`../long`), as pytest writes the location of a failure
    there, so `../long/clip.mp4::play` pastes back into `pytest`, `--deselect`
    and IDE runners from the rootdir. pytest's own choice there is the path
    from the argument given (`clip.mp4::play`), which names no file. None
    inside the rootdir: pytest's ids are right."""
    try:
        folder.relative_to(rootpath)
        return None
    except ValueError:
        return Path(os.path.relpath(folder, rootpath)).as_posix()


def ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Session folders (and any subfolder of the samples folder) hold no tests."""
    ctx = config.stash.get(RUN_CONTEXT, None)
    if ctx is not None and collection_path.parent == ctx.samples_dir \
            and collection_path.is_dir():
        return True
    return None
