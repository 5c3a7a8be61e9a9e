"""Make the sample files a manifest describes, with the FFmpeg command line tool.

    python -m pytest_pyglet_media.cli.corpus_builder [--manifest samples.toml] [--force] DEST

Each file is written under a temporary name in DEST and renamed into place
only when complete, so an interrupted build never leaves a half-written
sample that a later run would mistake for a real (broken) one. The manifest
is copied into DEST as samples.toml so its expectations apply there.

A recipe makes its own sample and nothing else (store/ffmpeg_recipe.py
says what it may ask of FFmpeg): every recipe is checked before any runs.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..core.errors import ManifestError, MediaTestError, UsageError
from ..store import ffmpeg_recipe
from ..store.manifest import MANIFEST_NAME, Manifest, SampleSpec, read_manifest

FFMPEG_PREFIX = ("-v", "error", "-y", "-nostdin")
# A recipe whose lavfi source has no duration would run forever; every demo
# sample takes well under a second to encode.
FFMPEG_TIMEOUT_S = 120.0
STDERR_TAIL_LINES = 3


def build_corpus(
    manifest: Manifest,
    dest: Path,
    *,
    force: bool = False,
    ffmpeg: str = "ffmpeg",
    on_built: Callable[[Path], None] | None = None,
) -> list[Path]:
    """Make every sample of `manifest` in `dest`; return the paths written.

    Existing sample files are kept unless `force`. `ffmpeg` is the program to
    run (looked up on PATH), needed only when some sample must be made.
    `on_built` is called with each path as soon as it is written. The list
    ends with dest/samples.toml when the manifest was copied there.
    """
    dest = Path(dest)
    # every recipe is checked before any runs: a manifest that asks FFmpeg
    # for more than its samples builds nothing
    for spec in manifest.samples.values():
        if spec.ffmpeg is not None:
            ffmpeg_recipe.ffmpeg_arguments(manifest, spec)
        if spec.remux is not None:
            ffmpeg_recipe.remux_arguments(manifest, spec, dest / spec.name)
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    ffmpeg_path: str | None = None
    for spec in manifest.samples.values():
        target = dest / spec.name
        if target.exists() and (not force or _has_no_recipe(spec)):
            continue
        if spec.ffmpeg is not None and ffmpeg_path is None:
            ffmpeg_path = find_ffmpeg(ffmpeg)
        # a sample in a subfolder (`live/a.mp4`, --mp-recursive): its name
        # holds no '..' (names.sample_name_problem), so the folder is in dest
        target.parent.mkdir(parents=True, exist_ok=True)
        build_sample(manifest, spec, target, ffmpeg_path)
        _note(written, target, on_built)
    copied = copy_manifest(manifest, dest, force=force)
    if copied is not None:
        _note(written, copied, on_built)
    return written


def find_ffmpeg(program: str = "ffmpeg") -> str:
    """The full path of the ffmpeg program, or a UsageError saying how to get it."""
    found = shutil.which(program)
    if found is None:
        raise UsageError(
            f"cannot find the ffmpeg program {program!r} on PATH; install FFmpeg "
            "(Debian/Ubuntu: apt-get install ffmpeg) to build the corpus"
        )
    return found


def build_sample(manifest: Manifest, spec: SampleSpec, target: Path, ffmpeg: str | None) -> None:
    """Write one sample to `target` atomically (temp file, then rename)."""
    if _has_no_recipe(spec):
        raise ManifestError(
            manifest.path,
            f"sample {spec.name!r}: no 'ffmpeg' or 'text' recipe and {target} does not exist; "
            "add a recipe or put the file there",
        )
    with _temporary_sibling(target) as temporary:
        if spec.text is not None:
            temporary.write_text(spec.text, encoding="utf-8")
        else:
            assert spec.ffmpeg is not None and ffmpeg is not None
            if spec.remux is None:
                _run_ffmpeg(manifest, spec, ffmpeg, temporary)
            else:
                with _temporary_sibling(target) as first:
                    _run_ffmpeg(manifest, spec, ffmpeg, first)
                    _run_ffmpeg(manifest, spec, ffmpeg, temporary,
                                ffmpeg_recipe.remux_arguments(manifest, spec, first))
            if spec.truncate is not None:
                _truncate(temporary, spec.truncate)
        os.replace(temporary, target)


def copy_manifest(manifest: Manifest, dest: Path, *, force: bool = False) -> Path | None:
    """Copy the manifest into `dest` as samples.toml; None when already there.

    A different samples.toml in dest is replaced only with `force`: it may be
    someone's own manifest, or describe samples built from older recipes.
    """
    target = Path(dest) / MANIFEST_NAME
    try:
        content = manifest.path.read_bytes()
    except OSError as exc:
        problem = f"cannot read the manifest to copy it: {exc.strerror or exc}"
        raise ManifestError(manifest.path, problem) from exc
    if target.exists():
        if _same_file(manifest.path, target) or target.read_bytes() == content:
            return None
        if not force:
            raise ManifestError(
                target,
                f"differs from {manifest.path}; "
                "use --force to replace it (and rebuild the samples)",
            )
    with _temporary_sibling(target) as temporary:
        temporary.write_bytes(content)
        os.replace(temporary, target)
    return target


# --- helpers -------------------------------------------------------------------


def _has_no_recipe(spec: SampleSpec) -> bool:
    return spec.ffmpeg is None and spec.text is None


def _note(written: list[Path], path: Path, on_built: Callable[[Path], None] | None) -> None:
    written.append(path)
    if on_built is not None:
        on_built(path)


@contextmanager
def _temporary_sibling(target: Path) -> Iterator[Path]:
    """A fresh hidden file next to `target`, removed unless renamed away.

    It keeps the target's extension because ffmpeg picks the container from
    the output name; the leading dot keeps it out of sample listings.
    """
    # Not tempfile.mkstemp: it creates the file with mode 0600, and samples
    # are meant to be shared; open(..., "x") honours the umask instead.
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part{target.suffix}")
    with open(temporary, "xb"):
        pass
    try:
        yield temporary
    finally:
        # After os.replace the name is gone; on any error (or Ctrl-C) it is not.
        temporary.unlink(missing_ok=True)


def _run_ffmpeg(manifest: Manifest, spec: SampleSpec, ffmpeg: str, output: Path,
                arguments: list[str] | None = None) -> None:
    """ffmpeg with the recipe's `arguments` (by default its 'ffmpeg' ones) into `output`."""
    assert spec.ffmpeg is not None
    # the one output, named through the file protocol: a folder name with a
    # ':' in it is not taken for another protocol
    command = [ffmpeg, *FFMPEG_PREFIX,
               *(arguments or ffmpeg_recipe.ffmpeg_arguments(manifest, spec)),
               f"file:{output.resolve()}"]
    try:
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=FFMPEG_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ManifestError(
            manifest.path,
            f"sample {spec.name!r}: ffmpeg did not finish within {FFMPEG_TIMEOUT_S:.0f} s; "
            "does the recipe limit the duration (e.g. '-t', '1.2')?",
        ) from exc
    except OSError as exc:
        raise UsageError(f"cannot run {ffmpeg!r}: {exc.strerror or exc}") from exc
    if result.returncode != 0:
        raise ManifestError(
            manifest.path,
            f"sample {spec.name!r}: ffmpeg exited with status {result.returncode}: "
            f"{_tail(result.stderr)}",
        )
    if output.stat().st_size == 0:
        raise ManifestError(manifest.path, f"sample {spec.name!r}: ffmpeg wrote an empty file")


def _truncate(path: Path, fraction: float) -> None:
    keep = int(path.stat().st_size * fraction)
    os.truncate(path, keep)


def _tail(stderr: str) -> str:
    """The last lines of ffmpeg's stderr on one line (the CLI prints one line)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if not lines:
        return "(no message on stderr)"
    return " | ".join(lines[-STDERR_TAIL_LINES:])


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


# --- command line ----------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_pyglet_media.cli.corpus_builder",
        description="Make the sample files a samples.toml describes, with ffmpeg.",
    )
    parser.add_argument(
        "--manifest",
        type=Path,
        default=Path(MANIFEST_NAME),
        help="the corpus manifest (default: ./samples.toml)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="rebuild samples that already exist and replace a different samples.toml in DEST",
    )
    parser.add_argument("dest", type=Path, metavar="DEST", help="the samples folder to fill")
    return parser


def _print_written(path: Path) -> None:
    # Flushed at once: a slow recipe should not hide the progress made so far.
    print(f"wrote {path}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Build the corpus; print one line per file written, one line per error."""
    args = _parser().parse_args(argv)
    try:
        manifest = read_manifest(args.manifest)
        written = build_corpus(manifest, args.dest, force=args.force, on_built=_print_written)
    except MediaTestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        # An unwritable or full DEST: say which file, not a traceback.
        print(f"error: {exc.filename or args.dest}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    kept = len(manifest.samples) - sum(1 for path in written if path.name != MANIFEST_NAME)
    print(f"{args.dest}: {len(written)} file(s) written, {kept} sample(s) already present")
    return 0


if __name__ == "__main__":
    sys.exit(main())
