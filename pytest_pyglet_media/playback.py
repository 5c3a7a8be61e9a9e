"""One sample's play: run the player, judge the recording, retry crashes.

Plain Python, no pytest, no text: it returns data (Attempt, SampleResult)
and the item renders it (reports.attempt_message).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from . import analysis as an
from . import results as res
from . import recording, runner
from .errors import UnreadableRecordingError
from .events import VERSION
from .options import Settings


@dataclass(frozen=True)
class Attempt:
    """One play of a sample: its verdict, and how the player ran (None: no player)."""

    result: an.PlayAnalysis
    run: runner.RunResult | None
    recording: Path


def judge(sample: str, recording_path: Path, run: runner.RunResult) -> an.PlayAnalysis:
    """The verdict of one attempt, from its recording and how the player ended."""
    try:
        result = recording.read(recording_path).analysis
    except UnreadableRecordingError as exc:
        if not recording_path.exists():
            reason = f"the player wrote no recording; {run.describe_exit()}"
            return an.PlayAnalysis(an.TIMEOUT if run.timed_out else an.CRASHED, reason=reason)
        return an.PlayAnalysis(an.UNREADABLE, reason=exc.problem)
    if run.timed_out:
        return replace(result, outcome=an.TIMEOUT, reason=run.describe_exit())
    if result.outcome == an.CRASHED:
        return replace(result, reason=run.describe_exit())
    return result


def _unusable(sample_path: Path) -> an.PlayAnalysis | None:
    """A sample that cannot reach the player: say so without starting one."""
    if not sample_path.exists():
        return an.PlayAnalysis(an.MISSING, reason=f"the sample file {sample_path} is missing")
    if not sample_path.is_file():
        return an.PlayAnalysis(an.MISSING, reason=f"{sample_path} is not a file")
    try:
        with open(sample_path, "rb") as sample:
            sample.read(1)
    except OSError as exc:
        return an.PlayAnalysis(an.UNPLAYABLE,
                               reason=f"cannot read {sample_path}: {exc.strerror or exc}")
    return None


def attempt(settings: Settings, samples_dir: Path, sample: str, recording_path: Path) -> Attempt:
    sample_path = samples_dir / sample
    problem = _unusable(sample_path)
    if problem is not None:
        if problem.outcome == an.UNPLAYABLE:
            # judged without a player, recorded as the player would have: the
            # session then has a recording that says why for every sample
            recording.save(recording_path, [("version", VERSION), ("mp.im", sample),
                                            ("mp.err", problem.reason)])
        return Attempt(problem, None, recording_path)
    request = runner.PlayRequest(sample_path=sample_path, recording_path=recording_path,
                                 name=sample, audio=settings.audio, timeout=settings.timeout,
                                 player_module=settings.player, spawn=settings.spawn)
    run = runner.run(request)
    return Attempt(judge(sample, recording_path, run), run, recording_path)


def play_with_retries(settings: Settings, samples_dir: Path, sample: str, recording_path: Path,
                      on_retry: Callable[[Attempt], None] = lambda a: None,
                      ) -> tuple[res.SampleResult, Attempt]:
    """Play until a play is not a crash or timeout, or retries run out."""
    crashed = 0
    attempts = 0
    while True:
        attempts += 1
        last = attempt(settings, samples_dir, sample, recording_path)
        if last.result.outcome not in an.RETRYABLE:
            break
        crashed += 1
        if attempts > settings.retries:
            break
        on_retry(last)
    result = res.SampleResult(sample=sample, analysis=last.result, attempts=attempts,
                             crashed_attempts=crashed, recording=str(recording_path))
    return result, last
