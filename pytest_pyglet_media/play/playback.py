"""One sample's play: run the player, judge the recording, retry crashes.

Plain Python, no pytest, no text: it returns data (Attempt, SampleResult)
and the item renders it (text_reports.attempt_message).
"""
from __future__ import annotations

import os
import shutil
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Protocol

from ..core.errors import BadReferenceError, ProbeFailed, ProbeUnavailable, UnreadableRecordingError
from ..core.events import VERSION
from ..core.exits import EXIT_PLAYED, EXIT_UNPLAYABLE
from ..core.file_stamp import FileStamp
from ..judge import analysis as an
from ..judge import results as res
from ..store import play_marker, recording, reference
from ..store import sessions
from ..store.ffprobe_run import ProbeHung
from ..store.stored_references import StoredReferences
from ..store.picture_reference import SUFFIX as FRAMES_SUFFIX, frames_beside
from ..store.pictures import pictures_beside
from . import costs, picture_judging, runner, timeouts


class Settings(Protocol):
    """What playing needs of the run's options (options.Settings has it):
    the play stage reads no pytest option itself."""

    timeout: float | None
    stall_timeout: float
    retries: int
    audio: tuple[str, ...]
    player: str
    spawn: str
    pictures: str


#: how the reason a play was not checked against the file starts when
#: ffprobe cannot run at all (the controller's terminal summary looks for it)
PROBE_UNAVAILABLE = "ffprobe is not available"
#: what to do about it
INSTALL_FFPROBE = "apt-get install ffmpeg (or put ffprobe on PATH)"
#: the verdicts played again (--mp-retries): the player's fault (crash,
#: timeout) or the machine's (overloaded), never the file's (unplayable,
#: unreadable, missing can never pass) nor a judged play (defects, perfect)
RETRIED = an.RETRYABLE | {an.OVERLOADED}


@dataclass(frozen=True)
class Attempt:
    """One play of a sample: its verdict, and how the player ran (None: no player)."""

    verdict: an.Verdict
    run: runner.RunResult | None
    recording: Path
    #: when the attempt began and ended (time.monotonic()): an item whose play
    #: started ahead of it (ahead.py) reports its plays' own time, not its wait
    started: float = 0.0
    ended: float = 0.0
    #: the version of the recording `verdict` judged (None: none was judged);
    #: the end of the run reads that version's events without judging them again
    recording_stamp: FileStamp | None = None

    @property
    def seconds(self) -> float:
        return max(0.0, self.ended - self.started)


def attempt_verdict(sample: str, recording_path: Path, run: runner.RunResult,
          placeholder: os.stat_result | None = None,
          ref: reference.Reference | None = None, no_reference: str = ""
          ) -> tuple[an.Verdict, FileStamp | None]:
    """The verdict of one attempt, from what it wrote and how the player
    ended, and the version of the recording it is the verdict of (None: no
    file was judged).

    `placeholder` is the stat of the crash recording written before the
    player started: a recording still that file was not written by the
    player. The exit status counts too: a complete recording from a player
    that then died is a crash. `ref` is the file's reference (None:
    `no_reference` says why there is none).
    """
    if placeholder is not None and _same_file(recording_path, placeholder):
        reason = f"the player wrote no recording; {run.describe_exit()}"
        # the placeholder is ours (recording.crash_placeholder): valid events
        return (an.Verdict(an.TIMEOUT if run.timed_out else an.CRASHED, reason=reason),
                FileStamp.of_stat(placeholder))
    stamp = FileStamp.of(recording_path)  # before the read: see file_stamp.py
    try:
        result = an.read(recording_path, ref,
                              no_reference=no_reference).verdict
    except UnreadableRecordingError as exc:
        if not recording_path.exists():
            reason = f"the player wrote no recording; {run.describe_exit()}"
            return an.Verdict(an.TIMEOUT if run.timed_out else an.CRASHED,
                                   reason=reason), None
        return an.Verdict(an.UNREADABLE, reason=exc.problem), stamp
    if run.timed_out:
        return replace(result, outcome=an.TIMEOUT, reason=run.describe_exit()), stamp
    if result.outcome == an.CRASHED:
        return replace(result, reason=run.describe_exit()), stamp
    expected = EXIT_UNPLAYABLE if result.outcome == an.UNPLAYABLE else EXIT_PLAYED
    if run.returncode != expected and result.outcome != an.UNREADABLE:
        return replace(result, outcome=an.CRASHED, reason=(
            f"{run.describe_exit()} after writing a recording that says {result.outcome}")), stamp
    return result, stamp


def _same_file(path: Path, before: os.stat_result) -> bool:
    try:
        now = path.stat()
    except OSError:
        return False
    return (now.st_ino, now.st_dev, now.st_mtime_ns) == \
        (before.st_ino, before.st_dev, before.st_mtime_ns)


def _placeholder(recording_path: Path, sample: str,
                 superseded: Path | None = None) -> os.stat_result | str:
    """Replace the previous recording with a crash placeholder before playing.

    A player that writes nothing must not leave the previous recording in
    place to be judged as this attempt. Returns the placeholder's stat, or
    why it cannot be written (the attempt is then a crash saying so); then
    the previous recording is moved aside to `superseded` (None: removed),
    for no later reader to take it for this play's result.
    """
    try:
        recording.save(recording_path, recording.crash_placeholder(sample))
        placeholder = recording_path.stat()
    except OSError as exc:
        return _not_recorded(recording_path, exc, superseded)
    if superseded is not None:
        # this play's recording stands now: an earlier one moved aside is history
        superseded.unlink(missing_ok=True)
    return placeholder


def _not_recorded(recording_path: Path, exc: OSError, superseded: Path | None) -> str:
    """Why the play cannot be recorded, after moving the previous recording
    out of the way (a full disk once left a perfect one standing, which a
    later `summarize` took for this play's result)."""
    done = recording.supersede(recording_path, superseded)
    return f"cannot write the recording {recording_path}: {exc.strerror or exc}; {done}"


def _unusable(sample_path: Path) -> an.Verdict | None:
    """A sample that cannot reach the player: say so without starting one."""
    # a sample replaced by a link out of the folder after the session was
    # made is not played: the folder's rule holds at every play
    problem = sessions.sample_problem(sample_path.parent, sample_path.name)
    if problem is not None:
        return an.Verdict(an.MISSING, reason=f"not played: {problem}")
    if not sample_path.exists():
        return an.Verdict(an.MISSING, reason=f"the sample file {sample_path} is missing")
    if not sample_path.is_file():
        return an.Verdict(an.MISSING, reason=f"{sample_path} is not a file")
    try:
        with open(sample_path, "rb") as sample:
            sample.read(1)
    except OSError as exc:
        return an.Verdict(an.UNPLAYABLE,
                               reason=f"cannot read {sample_path}: {exc.strerror or exc}")
    return None


def file_reference(sample_path: Path, reference_path: Path | None,
                   references: StoredReferences | None = None, limit: float | None = None
                   ) -> tuple[reference.Reference | None, str]:
    """The sample's reference and "", or None and why there is none.

    The reference comes from the run's cache (`references.cache`: the
    store's reference cache, reference_cache.py), which probes the file
    when it holds no entry proved to be this file's, at most for the
    play's `limit` (--mp-timeout). The session's `reference_path` is never
    read for it: a file there may have been edited, merged from a bundle or
    made elsewhere. It is written (atomically) with the reference the play
    is judged against when it holds another, for the reports to show; the
    caller has checked that the session allows writing raw data.
    `references`, the run's (None: a cache of this call only).
    """
    stored = references if references is not None else StoredReferences()
    try:
        ref, key = stored.cache.lookup(sample_path, limit)
    except ProbeUnavailable as exc:
        cause = "not on PATH" if shutil.which("ffprobe") is None else str(exc)
        return None, f"{PROBE_UNAVAILABLE} ({cause}); install it: {INSTALL_FFPROBE}"
    except ProbeHung as exc:
        return None, f"ffprobe hung: {exc.problem}"
    except ProbeFailed as exc:
        # ffprobe names the file in its message: the verdict names it already
        problem = exc.problem.replace(f"{sample_path}: ", "")
        return None, f"ffprobe cannot read the file: {problem}"
    except (OSError, ValueError) as exc:
        return None, f"cannot read the file to probe it: {getattr(exc, 'strerror', None) or exc}"
    if reference_path is not None:
        _keep_in_session(stored, reference_path, ref, key)
    return ref, ""


def _keep_in_session(stored: StoredReferences, reference_path: Path,
                     ref: reference.Reference, key: dict) -> None:
    """Write the session's copy of the reference unless it holds this one already."""
    try:
        if stored.load(reference_path) == (key, ref):
            return
    except BadReferenceError:
        pass  # missing, corrupt, from another version: written anew
    try:
        reference_path.parent.mkdir(parents=True, exist_ok=True)
        stored.save(reference_path, ref, key)
    except (OSError, ValueError):
        pass  # the verdict does not depend on keeping it; the reports say no reference


def expected_cost(samples_dir: Path, sample: str, recording_path: Path,
                  reference_path: Path | None,
                  references: StoredReferences | None = None,
                  limit: float | None = None) -> float:
    """The share of a CPU a play of `sample` is expected to use (costs.py):
    as measured at its last play in the session, else from its reference
    (probed now, within the play's `limit`, and kept for the play to reuse)."""
    sample_path = samples_dir / sample
    if _unusable(sample_path) is not None:
        return 0.0  # judged without a player
    try:
        measured = costs.from_recording(recording.load(recording_path))
    except UnreadableRecordingError:
        measured = None  # never played in this session, or not readable
    if measured is not None:
        return measured
    ref, _ = file_reference(sample_path, reference_path, references, limit)
    return costs.from_reference(ref)


def play_limit(settings: Settings, samples_dir: Path, sample: str,
               reference_path: Path | None,
               references: StoredReferences | None = None) -> float:
    """One play's limit for `sample`, as `attempt` will compute it (its
    reference probed now and stored, for the play to reuse)."""
    if settings.timeout is not None:
        return settings.timeout
    sample_path = samples_dir / sample
    if _unusable(sample_path) is not None:
        return timeouts.play_limit(None, None)
    ref, _ = file_reference(sample_path, reference_path, references)
    return timeouts.play_limit(None, ref.length if ref is not None else None)


def attempt(settings: Settings, samples_dir: Path, sample: str, recording_path: Path,
            reference_path: Path | None = None, marker: Path | None = None,
            cancel: threading.Event | None = None,
            references: StoredReferences | None = None,
            superseded: Path | None = None) -> Attempt:
    """One play of `sample`, judged; against the file when ffprobe can
    describe it (its reference stored in, or reused from, `reference_path`,
    through the run's `references`). `marker` (SessionPaths.playing) says
    who plays it meanwhile; `cancel`, set from another thread, stops the
    play (runner.Cancelled is raised). A play that cannot be recorded moves
    the previous recording aside to `superseded` (SessionPaths.superseded;
    None: removes it)."""
    started = time.monotonic()
    sample_path = samples_dir / sample
    problem = _unusable(sample_path)
    if problem is not None:
        if problem.outcome == an.UNPLAYABLE:
            # judged without a player, recorded as the player would have: the
            # session then has a recording that says why for every sample
            try:
                recording.save(recording_path, [("version", VERSION), ("mp.im", sample),
                                                ("mp.err", problem.reason)])
            except OSError as exc:
                problem = replace(problem, reason=f"{problem.reason}; "
                                  f"{_not_recorded(recording_path, exc, superseded)}")
        return Attempt(problem, None, recording_path, started, time.monotonic())
    ref, no_reference = file_reference(sample_path, reference_path, references,
                                       settings.timeout)
    placeholder = _placeholder(recording_path, sample, superseded)
    if isinstance(placeholder, str):
        return Attempt(an.Verdict(an.CRASHED, reason=placeholder), None, recording_path,
                       started, time.monotonic())
    pictures_path = pictures_beside(recording_path)
    picture_judging.forget(pictures_path)  # never judge a previous play's pictures
    duration = ref.length if ref is not None else None
    request = runner.PlayRequest(sample_path=sample_path, recording_path=recording_path,
                                 name=sample, audio=settings.audio,
                                 timeout=timeouts.play_limit(settings.timeout, duration),
                                 player_module=settings.player, spawn=settings.spawn,
                                 stall_timeout=settings.stall_timeout,
                                 limit_note=timeouts.describe(settings.timeout, duration),
                                 cancel=cancel, pictures=settings.pictures)
    if marker is not None:
        play_marker.mark_playing(marker)
    try:
        run = runner.run(request)
    except BaseException:
        # Ctrl-C (or pytest-timeout) stopped the play: say so, for the
        # summary to list it as interrupted rather than crashed
        if marker is not None:
            play_marker.mark_interrupted(marker)
        raise
    if marker is not None:
        play_marker.remove(marker)
    verdict, stamp = attempt_verdict(sample, recording_path, run, placeholder, ref,
                                     no_reference)
    verdict = picture_judging.judged(
        verdict, sample_path, recording_path, ref,
        frames_beside(reference_path) if reference_path is not None else None,
        lambda n: recording_path.parent / sessions.picture_preview_file_name(sample, n),
        references.cache.beside_entry(sample_path, FRAMES_SUFFIX) if references else None)
    return Attempt(verdict, run, recording_path, started, time.monotonic(), stamp)


#: how an overloaded play is played again (ahead.PlayAhead.replay): among the
#: others once the machine has room; alone after it was overloaded twice
AMONG_OTHERS = "room"
ALONE = "calm"
#: crashes and timeouts are played again at once, as ever
AT_ONCE = "now"
#: plays overloaded this many times are replayed alone
ALONE_AFTER = 2
#: samples per overloaded play the run may replay: on a busy runner, at most
#: one extra play per ten samples (a replay on a machine that stays busy
#: is overloaded again, and a run of such replays is a run twice as long)
SAMPLES_PER_REPLAY = 10


class ReplayBudget:
    """The overloaded plays a run (one pytest process) may play again."""

    def __init__(self, samples: int, processes: int = 1) -> None:
        share = -(-max(1, samples) // max(1, processes))  # this process's samples
        # rounded down, so that extra plays stay within one per ten samples
        # (35 samples: 3, not 4); a run of fewer than ten may still replay one
        self.total = max(1, share // SAMPLES_PER_REPLAY)
        self.used = 0

    def take(self) -> bool:
        """One replay, when any is left."""
        if self.used >= self.total:
            return False
        self.used += 1
        return True

    def spent_note(self) -> str:
        return (f"not played again: the run replayed {self.used} overloaded "
                f"play{'s' if self.used != 1 else ''} already, its budget (one per "
                f"{SAMPLES_PER_REPLAY} samples)")


def replay_mode(previous: Attempt, overloaded: int) -> str:
    """How to play again after `previous`, the sample's play overloaded
    `overloaded` times so far (previous included)."""
    if previous.verdict.outcome != an.OVERLOADED:
        return AT_ONCE
    return ALONE if overloaded >= ALONE_AFTER else AMONG_OTHERS


def play_with_retries(settings: Settings, samples_dir: Path, sample: str, recording_path: Path,
                      on_retry: Callable[[Attempt], None] = lambda a: None,
                      reference_path: Path | None = None, marker: Path | None = None,
                      play: Callable[[Attempt | None, str], Attempt] | None = None,
                      budget: ReplayBudget | None = None,
                      ) -> tuple[res.SampleResult, Attempt]:
    """Play until a play is not a crash, timeout or overloaded play (RETRIED),
    or retries run out. A play with defects is never played again: its
    defects are the sample's (judge/blame.py blames the machine per defect).

    `play(previous, mode)` plays once: `previous` is None for the first
    play, else the attempt it retries, and `mode` (replay_mode) says how:
    at once, among the others once the machine has room, or alone. By
    default each play is `attempt()`, here and now. `budget` (None: no
    limit) caps the overloaded plays played again in the run.
    """
    if play is None:
        def play(previous: Attempt | None, mode: str) -> Attempt:
            return attempt(settings, samples_dir, sample, recording_path, reference_path, marker)
    crashed = 0
    overloaded = 0
    attempts = 0
    reasons: list[tuple[str, str]] = []
    last: Attempt | None = None
    mode = AT_ONCE
    while True:
        attempts += 1
        last = play(last, mode)
        outcome = last.verdict.outcome
        if outcome not in RETRIED:
            break
        if outcome in an.RETRYABLE:
            crashed += 1
        if attempts > settings.retries:
            break
        if outcome == an.OVERLOADED:
            overloaded += 1
            if budget is not None and not budget.take():
                last = replace(last, verdict=replace(
                    last.verdict, reason=f"{last.verdict.reason}; {budget.spent_note()}"))
                break
        mode = replay_mode(last, overloaded)
        reasons.append(res.retry_reason(last.verdict))
        on_retry(last)
    result = res.SampleResult(sample=sample, verdict=last.verdict, attempts=attempts,
                             crashed_attempts=crashed, recording=str(recording_path),
                             recording_stamp=last.recording_stamp,
                             retry_reasons=tuple(reasons))
    return result, last
