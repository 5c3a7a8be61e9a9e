"""`pyglet-mp`: the session commands of pyglet's original media-testing scripts.

Every command runs the same code as the plugin: the session store
(`session.py`), the reports (`session_writer.py`), and pytest itself, run
in-process with this plugin, to play samples.

Exit status: 0 success, 1 samples failed, 2 usage error. Errors are one line.
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Sequence

from .. import __version__, context, options
from ..core import atomic
from ..core.errors import MediaTestError, UsageError
from ..core.names import MANIFEST_NAME, counted
from ..judge import analysis as an
from ..judge import baseline as bl
from ..judge import comparison
from ..play.runner import DEFAULT_PLAYER
from ..report import text_reports
from ..report.session_writer import (
    judged_recording,
    labelled_groups,
    sample_report,
    session_results,
    write_comparison,
    write_sample_page,
    withdraw_stale_reports,
    write_session_reports,
    write_timeline_export,
)
from ..store import manifest as manifest_mod
from ..store import sessions
from ..store import sample_selection

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
PROTECT_TARGETS = {"raw": ("protect_raw_data",), "reports": ("protect_reports",),
                   "all": ("protect_raw_data", "protect_reports")}


class CommandError(MediaTestError):
    """A command cannot do what was asked (exit 2)."""


# -- helpers -----------------------------------------------------------------


def _samples_dir(args: argparse.Namespace) -> Path:
    return sessions.resolve_samples_dir(args.samples_dir, source="--samples-dir")


def _folders(args: argparse.Namespace, samples_dir: Path | None = None) -> tuple[Path, Path]:
    """The samples folder and the store folder (--store, ${STORE_DIR_ENV}, else
    the samples folder)."""
    samples_dir = _samples_dir(args) if samples_dir is None else samples_dir
    return samples_dir, sessions.resolve_store_dir(getattr(args, "store", None), samples_dir,
                                                source="--store", env=sessions.STORE_DIR_ENV)


def _active(args: argparse.Namespace, other_way: str = "") -> sessions.SessionPaths:
    """The session a command works on; `other_way` ends the error with what
    else the command can be given instead of an active session."""
    samples_dir, store_dir = _folders(args)
    name = getattr(args, "session", None) or sessions.active_session(store_dir)
    if name is None:
        raise CommandError(f"no session is active in {store_dir}; "
                           "run 'pyglet-mp new SESSION' or 'pyglet-mp activate SESSION'"
                           + other_way)
    return sessions.open_session(samples_dir, name, store_dir)


def _recursive(args: argparse.Namespace) -> bool:
    """--recursive, else the environment variable pytest reads (PYTEST_MP_RECURSIVE)."""
    return bool(args.recursive or options.from_environment("recursive"))


def _create(samples_dir: Path, name: str | None, playlist: str | None,
            store_dir: Path | None = None, recursive: bool = False) -> sessions.SessionPaths:
    samples, has_playlist, skipped = context.new_session_selection(
        samples_dir, playlist, recursive=recursive)
    paths = context.create_session(samples_dir, name, samples, has_playlist,
                                   manifest_mod.load_manifest(samples_dir), DEFAULT_PLAYER,
                                   store_dir, skipped=skipped)
    if skipped:
        print(f"note: {sample_selection.skipped_counts(skipped)}; the session's summary "
              f"({paths.special_report('summary').name}) will list them", file=sys.stderr)
    return paths


def run_pytest(paths: sessions.SessionPaths, extra: Sequence[str] = ()) -> int:
    """Play a session's samples with pytest in-process; map its exit code to ours."""
    import pytest

    argv = ["-p", "no:cacheprovider", "--rootdir", str(paths.samples_dir),
            "-c", os.devnull, f"--mp-samples-dir={paths.samples_dir}",
            f"--mp-session={paths.name}",
            *([f"--mp-store={paths.store}"] if paths.store_dir is not None else []), *extra]
    code = pytest.main(argv)
    if code in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        return EXIT_OK
    if code == pytest.ExitCode.TESTS_FAILED:
        return EXIT_FAILED
    return EXIT_USAGE


# -- session commands ----------------------------------------------------------


def cmd_new(args: argparse.Namespace) -> int:
    samples_dir, store_dir = _folders(args)
    recursive = _recursive(args)
    paths = _create(samples_dir, args.session, args.playlist, store_dir, recursive)
    if not args.playlist:
        for note in sessions.left_out_samples(samples_dir, recursive):
            print(f"note: not a sample, left out of the playlist: {note}", file=sys.stderr)
    sessions.set_active_session(store_dir, paths.name)
    print(f"created session {paths.name} in {store_dir} "
          f"({counted(len(sessions.session_playlist(paths)), 'sample')}); it is now active")
    return EXIT_OK


def cmd_activate(args: argparse.Namespace) -> int:
    samples_dir, store_dir = _folders(args)
    paths = sessions.open_session(samples_dir, args.session, store_dir)
    sessions.set_active_session(store_dir, paths.name)
    print(f"session {paths.name} is active")
    return EXIT_OK


def cmd_deactivate(args: argparse.Namespace) -> int:
    _, store_dir = _folders(args)
    sessions.set_active_session(store_dir, None)
    print("no session is active")
    return EXIT_OK


def cmd_protect(args: argparse.Namespace) -> int:
    paths = _active(args)
    conf = sessions.update_configuration(paths, **{k: True for k in PROTECT_TARGETS[args.target]})
    print(f"session {paths.name}: protect_raw_data={conf.protect_raw_data}, "
          f"protect_reports={conf.protect_reports}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    paths = _active(args)
    conf = sessions.load_configuration(paths)
    playlist = sessions.session_playlist(paths)
    recorded = sum(1 for s in playlist if paths.recording(s).exists())
    info = sessions.load_versions(paths)
    print(f"samples_dir: {paths.samples_dir}")
    if paths.store_dir is not None:
        print(f"store: {paths.store}")
    print(f"session: {paths.name}")
    for key, value in asdict(conf).items():
        print(f"{key}: {value}")
    print(f"samples: {len(playlist)} in the playlist, {recorded} recorded")
    print(f"pyglet: {info.get('pyglet', 'unknown')}, FFmpeg: {info.get('ffmpeg', 'unknown')}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    _, store_dir = _folders(args)
    active = sessions.active_session(store_dir)
    names = sessions.list_sessions(store_dir)
    if not names:
        print(f"no sessions in {store_dir}")
    for name in names:
        print(f"{'*' if name == active else ' '} {name}")
    return EXIT_OK


# -- playing -------------------------------------------------------------------


def cmd_playmany(args: argparse.Namespace) -> int:
    paths = _active(args)
    sessions.require_raw_writable(paths)
    return run_pytest(paths, args.pytest_args)


def crashed_samples(paths: sessions.SessionPaths) -> list[str]:
    """Samples whose latest recording is a crash or a timeout."""
    return [sample for sample, result in session_results(paths).items()
            if result is not None and result.outcome in an.RETRYABLE]


def cmd_retry_crashed(args: argparse.Namespace) -> int:
    paths = _active(args)
    sessions.require_raw_writable(paths)
    if args.max_retries < 1:  # caught here: pytest would answer with its own usage error
        raise CommandError(f"MAX_RETRIES must be 1 or more, not {args.max_retries}")
    if args.clean:
        paths.retry_state.unlink(missing_ok=True)
    samples = crashed_samples(paths)
    if not samples:
        print(f"session {paths.name}: no sample crashed or timed out in its latest play")
        return EXIT_OK
    node_ids = [f"{paths.sample(s)}::play" for s in samples]
    # The manual says still-crashing samples are "played max_tries times in
    # this command run"; --mp-retries counts retries after the first play, so
    # MAX_RETRIES plays are MAX_RETRIES - 1 retries.
    return run_pytest(paths, [f"--mp-retries={args.max_retries - 1}", *node_ids])


def cmd_summarize(args: argparse.Namespace) -> int:
    paths = _active(args)
    if not sessions.load_configuration(paths).reports_writable:
        raise CommandError(f"session {paths.name} protects its reports (protect_reports in "
                           f"{paths.configuration}); set dev_debug to true there to rewrite them")
    baseline = _baseline_of(paths, args.baseline)
    try:
        written = write_session_reports(paths, {}, expectations=_expectations(paths.samples_dir),
                                        baseline=baseline)
    except OSError as exc:
        problem = f"cannot write {exc.filename or paths.reports_dir}: {exc.strerror or exc}"
        withdrawn = withdraw_stale_reports(paths, problem)
        raise CommandError(f"{problem}; {withdrawn}" if withdrawn else problem) from None
    print(f"wrote {written.summary_path}")
    return EXIT_OK


def _baseline_of(paths: sessions.SessionPaths, given: str | None) -> bl.Baseline | None:
    """The baseline summarize shows: --baseline FILE, else the one the
    session's run used (remembered in the session), else for a session older
    than that record, samples.baseline.json of the samples folder if any."""
    if given is not None:
        path = Path(given).expanduser()
        if not path.is_file():
            raise CommandError(f"--baseline {given[:120]!r}: no such file")
    else:
        used = sessions.load_baseline_used(paths)
        if used is None:
            return None
        if used == sessions.BASELINE_NOT_RECORDED:
            path = bl.resolve_path(paths.samples_dir, None)
            if not path.is_file():
                return None
        else:
            path = Path(used)
            if not path.is_file():
                print(f"pyglet-mp: warning: the baseline {path} session {paths.name}'s run "
                      "used is gone; its section is left out (name one with --baseline)",
                      file=sys.stderr)
                return None
    return bl.load(path, shown=bl.shown_name(path, paths.samples_dir))


def _expectations(samples_dir: Path) -> dict[str, str]:
    """samples.toml's expected failures for the index; a broken manifest is
    reported and left out rather than stopping the reports."""
    try:
        return manifest_mod.expected_failures(manifest_mod.load_manifest(samples_dir))
    except MediaTestError as exc:
        print(f"pyglet-mp: warning: expectations left out of the index: {exc}",
              file=sys.stderr)
        return {}


def _suite_folder(args: argparse.Namespace) -> Path | None:
    """The folder run-test-suite plays whole in a new testrun_NN session, or
    None to play the active session.

    SAMPLES_DIR names it; so does a --samples-dir given on the command line
    when that folder has no active session: the user named the folder to
    play, and "no session is active" would not tell them to move it to
    SAMPLES_DIR. A folder from the environment variable plays only its
    active session, as the original script did.
    """
    if args.target_samples_dir:
        return sessions.resolve_samples_dir(args.target_samples_dir, source="SAMPLES_DIR")
    if args.samples_dir is None:
        return None
    samples_dir, store_dir = _folders(args)
    return samples_dir if sessions.active_session(store_dir) is None else None


def cmd_run_test_suite(args: argparse.Namespace) -> int:
    samples_dir = _suite_folder(args)
    if samples_dir is not None:
        _, store_dir = _folders(args, samples_dir)
        paths = _create(samples_dir, None, None, store_dir, _recursive(args))
        print(f"created session {paths.name} in {store_dir}")
    else:
        paths = _active(args, ", or name the folder to play whole: "
                              "'pyglet-mp run-test-suite SAMPLES_DIR'")
        sessions.require_raw_writable(paths)
        if any(paths.recording(s).exists() for s in sessions.session_playlist(paths)) \
                and not sessions.load_configuration(paths).dev_debug:
            raise CommandError(f"session {paths.name} already has recordings; run-test-suite "
                               "refuses to overwrite a test run: make a new session")
    code = run_pytest(paths, args.pytest_args)
    if code != EXIT_USAGE:
        sessions.update_configuration(paths, protect_raw_data=True, protect_reports=True)
        print(f"session {paths.name}: raw data and reports are now protected")
    return code


# -- reading a run ---------------------------------------------------------------


def _sample_in(paths: sessions.SessionPaths, sample: str) -> str:
    if sample not in sessions.session_playlist(paths):
        raise CommandError(f"{sample!r} is not in session {paths.name}'s playlist")
    if not paths.recording(sample).exists():
        raise CommandError(f"session {paths.name} has no recording of {sample!r} "
                           f"({paths.recording(sample)} is missing)")
    return sample


def _reports_writable(paths: sessions.SessionPaths) -> None:
    if not sessions.load_configuration(paths).reports_writable:
        raise CommandError(f"session {paths.name} protects its reports (protect_reports in "
                           f"{paths.configuration}); set dev_debug to true there to write them")


def cmd_report(args: argparse.Namespace) -> int:
    paths = _active(args)
    sample = _sample_in(paths, args.sample)
    _reports_writable(paths)
    text = sample_report(judged_recording(paths, sample)[0], args.report_name)
    target = paths.report(sample, args.report_name)
    atomic.write_text(target, text)
    print(target)
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    paths = _active(args)
    if (args.other is None) == (args.between is None):
        raise CommandError("name the OTHER session to compare with, or two groups of this "
                           "session with --between A B")
    if args.between is not None:
        return _compare_groups(args, paths)
    other = sessions.open_session(paths.samples_dir, args.other, paths.store)
    if args.reldir is None:  # as report/timeline/plot: honour protect_reports
        _reports_writable(paths)
    else:
        _check_reldir(paths, args.reldir)
    result = comparison.compare(paths.name, session_results(paths),
                                other.name, session_results(other))
    folder = paths.reports_dir if args.reldir is None else paths.store / args.reldir
    target = write_comparison(folder, result)
    print(target)
    for change in result.regressed:
        print(f"regressed: {change.describe()}")
    return EXIT_OK


def _compare_groups(args: argparse.Namespace, paths: sessions.SessionPaths) -> int:
    """compare --between A B: group B of a merged session against group A."""
    named = labelled_groups(paths)
    if len(named) < 2:
        raise CommandError(f"session {paths.name} has no groups to compare: --between needs a "
                           "session merged with --allow-mixed from runs played in different "
                           "places")
    (label_a, group_a), (label_b, group_b) = (_group(paths, named, g) for g in args.between)
    if args.reldir is None:
        _reports_writable(paths)
    else:
        _check_reldir(paths, args.reldir)
    result = comparison.compare(label_b, session_results(group_b),
                                label_a, session_results(group_a), kind="group")
    folder = paths.reports_dir if args.reldir is None else paths.store / args.reldir
    target = write_comparison(folder, result, sessions.comparison_file_name(
        f"group{group_b.name}", f"group{group_a.name}"))
    print(target)
    for change in result.regressed:
        print(f"regressed: {change.describe()}")
    return EXIT_OK


def _group(paths: sessions.SessionPaths, named: list[tuple[str, sessions.SessionPaths]], given: str
           ) -> tuple[str, sessions.SessionPaths]:
    """A group by its number (1, 01) or its label (case ignored)."""
    for label, group in named:
        if given.isdigit() and int(given) == int(group.name) or \
                given.casefold() == label.casefold():
            return label, group
    listed = "; ".join(f"{int(g.name)}: {label}" for label, g in named)
    raise CommandError(f"session {paths.name} has no group {given[:80]!r} (groups: {listed})")


def _check_reldir(paths: sessions.SessionPaths, reldir: str) -> None:
    """--reldir: a folder of the store folder (the samples folder unless
    --store names another) that is not the store's own, so that a
    comparison never lands in a session that protects its reports.
    """
    parts = Path(reldir).parts
    if not parts or Path(reldir).is_absolute() or ".." in parts:
        raise CommandError(f"--reldir {reldir[:120]!r} must be a folder inside the store folder "
                           "(the samples folder unless --store names another)")
    if parts[0] in (sessions.ACTIVATION_FILE, MANIFEST_NAME) or \
            (paths.store / parts[0]).is_file():
        raise CommandError(f"--reldir {reldir[:120]!r} names a file of the store folder, "
                           "not a folder")
    # where the comparison really lands, links resolved (the folder may not exist yet)
    target = _resolved(paths.store / reldir)
    store = paths.store.resolve()
    if target != store and store not in target.parents:
        raise CommandError(f"--reldir {reldir[:120]!r} leads out of the store folder "
                           f"(to {str(target)[:160]}); choose a folder inside it")
    holder = sessions.session_holding(target)
    if holder is not None and not sessions.load_configuration(
            sessions.SessionPaths(holder.parent, holder.name)).reports_writable:
        raise CommandError(f"--reldir {reldir[:120]!r} is inside session {holder.name!r}, "
                           "which protects its reports; choose a folder outside it")


def _resolved(path: Path) -> Path:
    """`path` with links resolved as far as it exists: its missing part is made later."""
    missing: list[str] = []
    while not path.exists() and path != path.parent:
        missing.append(path.name)
        path = path.parent
    return path.resolve().joinpath(*reversed(missing))


def cmd_timeline(args: argparse.Namespace) -> int:
    paths = _active(args)
    sample = _sample_in(paths, args.sample)
    _reports_writable(paths)
    print(write_timeline_export(paths, sample, an.read(paths.recording(sample)),
                                args.format))
    return EXIT_OK


def cmd_plot(args: argparse.Namespace) -> int:
    paths = _active(args)
    sample = _sample_in(paths, args.sample)
    _reports_writable(paths)
    try:
        print(write_sample_page(paths, sample))
    except ImportError:
        raise CommandError("plots need bokeh: pip install 'pytest-pyglet-media[plots]'") from None
    return EXIT_OK


def cmd_bundle(args: argparse.Namespace) -> int:
    from ..store import bundle

    samples_dir, store_dir = _folders(args)
    paths = sessions.open_session(samples_dir, args.bundle_session, store_dir) \
        if args.bundle_session else _active(args)
    print(bundle.create_bundle(paths, Path(args.output) if args.output else None))
    return EXIT_OK


def cmd_unbundle(args: argparse.Namespace) -> int:
    from ..store import bundle

    samples_dir, store_dir = _folders(args)
    paths = bundle.extract_bundle(Path(args.archive), samples_dir, store_dir=store_dir)
    print(f"restored session {paths.name} in {store_dir}; "
          f"'pyglet-mp activate {paths.name}' to work on it")
    return EXIT_OK


def cmd_merge(args: argparse.Namespace) -> int:
    from . import merge

    samples_dir, store_dir = _folders(args)
    merged = merge.merge(samples_dir, store_dir, args.out, args.sources,
                         prefer_last=args.prefer_last, allow_mixed=args.allow_mixed,
                         plots=args.plots, expectations=_expectations(samples_dir))
    print(f"merged {counted(len(args.sources), 'source')} into session {merged.paths.name} "
          f"in {store_dir}: {merged.recordings} of {counted(merged.playlist, 'sample')} recorded"
          + (f", {len(merged.not_played)} played by no source" if merged.not_played else "")
          + (f", with mixed versions: {merged.groups} groups (pyglet-mp compare --between)"
             if merged.mixed else ""))
    print(f"wrote {merged.paths.special_report('summary')}")
    return EXIT_OK


def _prune_limits(args: argparse.Namespace, parse_age: Callable[[str], float]
                  ) -> tuple[int, float | None]:
    """--keep N (default 1: the newest always stays) and --older-than AGE; one needed."""
    if args.keep is None and args.older_than is None:
        raise CommandError("say what to prune: --keep N (keep the N newest, remove older "
                           "repeats), --older-than AGE (remove older runs), or both")
    try:
        keep = 1 if args.keep is None else int(args.keep)
    except ValueError:
        keep = -1
    if keep < 0:
        raise CommandError(f"--keep {args.keep[:40]!r} must be a whole number, 0 or more")
    try:
        older_than = None if args.older_than is None else parse_age(args.older_than)
    except ValueError as exc:
        raise CommandError(f"--older-than {args.older_than[:40]!r}: {exc}") from None
    return keep, older_than


def cmd_prune(args: argparse.Namespace) -> int:
    from . import prune

    keep, older_than = _prune_limits(args, prune.parse_age)
    samples_dir, store_dir = _folders(args)
    decisions = prune.plan(samples_dir, store_dir, keep, older_than)
    removed = 0
    for decision in decisions:
        if not decision.remove:
            if decision.why.startswith("kept: "):
                print(f"pyglet-mp prune: note: {decision.name} {decision.why}", file=sys.stderr)
            continue
        verb = "would remove" if args.dry_run else "removed"
        if not args.dry_run:
            prune.remove(sessions.SessionPaths(samples_dir, decision.name,
                                            None if store_dir == samples_dir else store_dir))
        removed += 1
        print(f"{verb} {decision.name}: {decision.why}")
    if not removed:
        print(f"nothing to prune in {store_dir}")
    return EXIT_OK


# -- parser ----------------------------------------------------------------------


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "new": (cmd_new, "create a session (with an optional playlist) and make it active"),
    "activate": (cmd_activate, "make an existing session the active one"),
    "deactivate": (cmd_deactivate, "make no session active"),
    "protect": (cmd_protect, "forbid overwriting the active session's data"),
    "status": (cmd_status, "print the active session's configuration"),
    "list": (cmd_list, "list the sessions of the samples folder (* marks the active one)"),
    "help": (lambda args: EXIT_OK, "print help for a command"),
    "playmany": (cmd_playmany, "play the active session's samples, recording each"),
    "retry-crashed": (cmd_retry_crashed, "play again the samples whose latest play crashed"),
    "summarize": (cmd_summarize, "write the active session's reports from its recordings"),
    "run-test-suite": (cmd_run_test_suite, "play a whole session, summarize it, protect it"),
    "report": (cmd_report, "write one report of one sample: "
               + "; ".join(f"{k}: {v[1]}" for k, v in text_reports.AVAILABLE_REPORTS.items())),
    "compare": (cmd_compare, "compare the active session with another one"),
    "timeline": (cmd_timeline, "export a sample's timeline as csv, json or pkl"),
    "plot": (cmd_plot, "write a sample's timeline page (bokeh) to reports/"),
    "bundle": (cmd_bundle, "pack a session into one archive to attach to a bug report"),
    "unbundle": (cmd_unbundle, "restore a session archive into the store folder (default: the samples folder)"),
    "merge": (cmd_merge, "merge sessions or bundles of shards (--mp-shard) into one new "
                         "session, with its reports"),
    "prune": (cmd_prune, "remove testrun_NN sessions, beyond the N newest by creation, "
                         "whose verdicts repeat a newer one's, or older than an age"),
}


class _OneLineErrorParser(argparse.ArgumentParser):
    """Usage errors in one line: the error and a pointer to --help, without
    argparse's multi-line usage before it."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


#: commands whose arguments after '--' go to pytest
PYTEST_ARG_COMMANDS = ("playmany", "run-test-suite")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineErrorParser(
        prog="pyglet-mp",
        description="Sessions of pyglet media recordings (the original scripts' workflow). "
                    f"The samples folder comes from --samples-dir or ${sessions.SAMPLES_DIR_ENV}; "
                    f"sessions are kept in the store folder, --store or "
                    f"${sessions.STORE_DIR_ENV} (default: the samples folder).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    # global options are accepted before the command too ('pyglet-mp
    # --samples-dir DIR list'); the command's own value wins
    parser.add_argument("--samples-dir", metavar="DIR", dest="global_samples_dir",
                        help=f"samples folder (default: ${sessions.SAMPLES_DIR_ENV})")
    parser.add_argument("--store", metavar="DIR", dest="global_store",
                        help=f"folder of the sessions and activation.json (default: "
                             f"${sessions.STORE_DIR_ENV}, else the samples folder)")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--samples-dir", metavar="DIR",
                        help=f"samples folder (default: ${sessions.SAMPLES_DIR_ENV})")
    common.add_argument("--store", metavar="DIR",
                        help=f"folder of the sessions and activation.json (default: "
                             f"${sessions.STORE_DIR_ENV}, else the samples folder)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parsers = {name: sub.add_parser(name, parents=[common], help=text, description=text)
               for name, (_, text) in COMMANDS.items()}
    parsers["new"].add_argument("session", metavar="SESSION")
    parsers["new"].add_argument("playlist", metavar="PLAYLIST", nargs="?",
                                help="file naming one sample a line ('#' comments)")
    for name in ("new", "run-test-suite"):
        parsers[name].add_argument("--recursive", action="store_true",
                                   help="search the samples folder's subfolders too "
                                        "(samples named live/concert.mkv)")
    parsers["activate"].add_argument("session", metavar="SESSION")
    parsers["protect"].add_argument("target", nargs="?", default="all",
                                    choices=sorted(PROTECT_TARGETS),
                                    help="what to protect (default: all)")
    parsers["help"].add_argument("topic", nargs="?", metavar="COMMAND")
    parsers["retry-crashed"].add_argument("--clean", action="store_true",
                                          help="discard the crash data of earlier runs")
    parsers["retry-crashed"].add_argument("max_retries", nargs="?", type=int, default=5,
                                          metavar="MAX_RETRIES")
    parsers["run-test-suite"].add_argument("target_samples_dir", nargs="?",
                                           metavar="SAMPLES_DIR",
                                           help="play all of it in a new testrun_NN session")
    for name in ("status", "protect", "playmany", "retry-crashed", "summarize", "report",
                 "compare", "timeline", "plot"):
        parsers[name].add_argument("--session", metavar="SESSION",
                                   help="work on this session instead of the active one")
    parsers["summarize"].add_argument("--baseline", metavar="FILE",
                                      help="baseline file shown beside the counts (default: "
                                           "the one the session's run used)")
    parsers["report"].add_argument("sample", metavar="SAMPLE")
    parsers["report"].add_argument("report_name", metavar="REPORT",
                                   choices=sorted(text_reports.AVAILABLE_REPORTS),
                                   help="one of: " + ", ".join(
                                       f"{k} ({v[1]})" for k, v in text_reports.AVAILABLE_REPORTS.items()))
    parsers["compare"].add_argument("other", metavar="OTHER", nargs="?",
                                    help="the session to compare with (the baseline)")
    parsers["compare"].add_argument("--between", nargs=2, metavar=("A", "B"),
                                    help="in a session merged from runs played in different "
                                         "places, compare group B with group A (the "
                                         "baseline); a group by number or label")
    parsers["compare"].add_argument("--reldir", metavar="DIR",
                                    help="write into DIR of the store folder, the samples folder by "
                                         "default (default: the session's reports/)")
    parsers["timeline"].add_argument("sample", metavar="SAMPLE")
    parsers["timeline"].add_argument("--format", choices=("csv", "json", "pkl"), default="pkl")
    parsers["plot"].add_argument("sample", metavar="SAMPLE")
    parsers["bundle"].add_argument("bundle_session", metavar="SESSION", nargs="?",
                                   help="default: the active session")
    parsers["bundle"].add_argument("--output", metavar="FILE", help="archive path")
    parsers["unbundle"].add_argument("archive", metavar="ARCHIVE")
    parsers["merge"].add_argument("out", metavar="OUT", help="the new session")
    parsers["merge"].add_argument("sources", metavar="SOURCE", nargs="+",
                                  help="a session of the store, a session folder or a bundle")
    parsers["merge"].add_argument("--prefer-last", action="store_true",
                                  help="a sample recorded differently by two sources: keep "
                                       "the last source's recording")
    parsers["merge"].add_argument("--allow-mixed", action="store_true",
                                  help="merge sources of other pyglet/FFmpeg versions or "
                                       "playlists; each sample's versions are kept")
    parsers["merge"].add_argument("--plots", choices=("failed", "all", "none"),
                                  default="failed", help="timeline pages to write")
    parsers["prune"].add_argument("--keep", metavar="N",
                                  help="testrun_NN sessions always kept, newest first by "
                                       "creation (the newest always is); older ones that "
                                       "repeat a newer one's verdicts are removed")
    parsers["prune"].add_argument("--older-than", metavar="AGE",
                                  help="remove testrun_NN sessions created more than AGE "
                                       "ago (12h, 7d, 2w; a bare number is days), whatever "
                                       "their verdicts")
    parsers["prune"].add_argument("--dry-run", action="store_true",
                                  help="print what would be removed, remove nothing")
    for name in ("playmany", "run-test-suite"):
        parsers[name].add_argument("pytest_args", nargs=argparse.REMAINDER,
                                   metavar="-- PYTEST_ARGS", help="extra pytest arguments")
    parser.set_defaults(_parsers=parsers)
    return parser




def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    # '-- PYTEST_ARGS' is split off before argparse sees it: with REMAINDER
    # after run-test-suite's optional SAMPLES_DIR, argparse would take the
    # first pytest argument as SAMPLES_DIR ('run-test-suite -- -q' on '-q').
    extra = None
    if "--" in argv and any(a in PYTEST_ARG_COMMANDS for a in argv[:argv.index("--")]):
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse printed the usage error already
        return EXIT_USAGE if exit_.code not in (0, None) else EXIT_OK
    if getattr(args, "samples_dir", None) is None:
        args.samples_dir = args.global_samples_dir
    if getattr(args, "store", None) is None:
        args.store = args.global_store
    if extra is not None:
        args.pytest_args = [*args.pytest_args, *extra]
    for note in sessions.deprecated_environment():
        print(f"pyglet-mp: warning: {note}", file=sys.stderr)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if args.command == "help":
        target = args._parsers.get(args.topic) if args.topic else parser
        if target is None:
            print(f"pyglet-mp: error: no command {args.topic!r}; commands: "
                  f"{', '.join(COMMANDS)}", file=sys.stderr)
            return EXIT_USAGE
        target.print_help()
        return EXIT_OK
    if getattr(args, "pytest_args", None) and args.pytest_args[0] == "--":
        args.pytest_args = args.pytest_args[1:]
    try:
        return COMMANDS[args.command][0](args)
    except MediaTestError as exc:
        print(f"pyglet-mp {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        # a file or folder the command cannot write (a read-only reports/
        # for summarize, say): one line, no traceback
        print(f"pyglet-mp {args.command}: error: cannot write or read "
              f"{exc.filename or 'a file'}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"pyglet-mp {args.command}: interrupted", file=sys.stderr)
        return 130


__all__ = ["main", "UsageError"]
