"""The store's reference cache: each file probed once, not once per session.

A play is judged against the file's reference (reference.py), which only
ffprobe may make: a reference that came from elsewhere (a session's
`reference/<sample>.json` someone edited, one merged from a bundle or made
on another machine) is shown as it came, never trusted for a new play. What
is trusted is this cache, which only probing fills:

- one entry per file, in a folder of the store (sessions.reference_cache_dir),
  named by a hash of the file's device and inode;
- its key is the file's identity (device, inode, size, mtime and a hash of
  its first and last MiB: reference.file_identity, never a whole read) and
  FFmpeg's version (reference.ffprobe_version): any difference and the file
  is probed again;
- guarded by its own checksum, a BLAKE2b keyed with the store's secret (a
  random key made once, readable by its owner only): an entry corrupted,
  edited, or copied from another store fails it and is probed again;
- written atomically (core/atomic.py): xdist workers and runs beside this
  one fill it at once, each entry is one whole file or another;
- a file ffprobe cannot read is remembered as such (its message), so that a
  broken sample is not probed at every run either.

In one process (a run, or an xdist worker) the answers are also held in
memory, checked by the file's stamp (a stat), so that the order, the
time limit, the play and the reports ask as often as they like; up to
MAX_HELD_FRAMES frame times in all, as stored_references.py holds its
copies: beyond, a reference is read from the cache's entry at each request. A probe that
hung is remembered for the process: the file is not probed again, and when
ffprobe itself hangs (`-version`) no file is.

A store that cannot be written (read-only) keeps no cache: each process
probes each file once. No pyglet, no pytest.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from ..core import atomic
from ..core.errors import ProbeFailed
from ..core.file_stamp import FileStamp
from . import ffprobe_run, reference
from .reference import Reference

#: the JSON "format" marker of an entry, and its version
FORMAT = "pytest-pyglet-media reference cache entry"
FORMAT_VERSION = 1
#: the name of the store's secret in the cache folder
SECRET_NAME = "secret"
#: an entry larger than this is not one of ours (a reference of MAX_FRAMES frames fits)
MAX_ENTRY_BYTES = reference.MAX_REFERENCE_BYTES
#: frame times held in memory in all (about 32 bytes each): ~16 MB
MAX_HELD_FRAMES = 500_000
_SECRET_BYTES = 32
_DIGEST_BYTES = 32


def entry_stem(device: int, inode: int) -> str:
    """The name of a file's entry in the cache: a hash of where it lives."""
    return hashlib.blake2b(f"{device}:{inode}".encode(), digest_size=16).hexdigest()


class ReferenceCache:
    """References of one process, from the store's cache or probed now.

    `folder` is the cache's folder (made when first written), None: memory
    only. Thread-safe: plays started ahead ask from their own threads; two
    threads asking for one file probe it once.
    """

    def __init__(self, folder: Path | None, max_frames: int = MAX_HELD_FRAMES) -> None:
        self.folder = folder
        self._max_frames = max_frames
        self._frames = 0
        self._secret: bytes | None = None
        self._lock = threading.Lock()
        #: per file stamp: a lock held while it is looked up or probed
        self._file_locks: dict[FileStamp, threading.Lock] = {}
        #: (file stamp, FFmpeg version) -> the reference, or why ffprobe could
        #: not make one, and its key
        self._known: dict[tuple[FileStamp, str], tuple[Reference | str, dict[str, Any]]] = {}
        #: files whose probe hung in this process, and the message
        self._hung: dict[FileStamp, str] = {}
        #: ffprobe (its path and stamp) -> its version, or why it has none (hung)
        self._versions = reference.ProgramVersions()

    # -- the one question ------------------------------------------------------

    def reference(self, sample_path: Path, limit: float | None = None) -> Reference:
        """The file's reference (see lookup)."""
        return self.lookup(sample_path, limit)[0]

    def lookup(self, sample_path: Path, limit: float | None = None
               ) -> tuple[Reference, dict[str, Any]]:
        """The file's reference and its key: from this process's memory, else the store's
        cache when its entry is proved to be this file's, else probed (at
        most probe_timeout of its size and the play's `limit`) and cached.

        Raises ProbeUnavailable (no ffprobe), ProbeFailed (ffprobe cannot
        read it, or hung: then remembered for the process), OSError (the
        file cannot be read).
        """
        sample_path = Path(sample_path)
        version = self._ffprobe_version(limit)
        stamp = FileStamp.of(sample_path)
        if stamp is None:
            raise FileNotFoundError(f"{sample_path} cannot be read")
        with self._lock:
            file_lock = self._file_locks.setdefault(stamp, threading.Lock())
        with file_lock:
            return self._reference(sample_path, stamp, version, limit)

    def _reference(self, sample_path: Path, stamp: FileStamp, version: str,
                   limit: float | None) -> tuple[Reference, dict[str, Any]]:
        held = self._known.get((stamp, version))
        if held is None:
            hung = self._hung.get(stamp)
            if hung is not None:
                raise ffprobe_run.ProbeHung(sample_path, hung)
            identity = reference.file_identity(sample_path)
            key = {**identity, "ffmpeg": version}
            # the stamp of what was hashed: the file may have changed since the stat
            stamp = FileStamp(identity["device"], identity["inode"], identity["size"],
                              identity["mtime_ns"])
            known = self._read_entry(key)
            if known is None:
                known = self._probe(sample_path, stamp, key, limit)
            held = (known, key)
            frames = 0 if isinstance(known, str) else len(known.frame_times)
            with self._lock:
                if self._frames + frames <= self._max_frames:
                    self._known[(stamp, version)] = held
                    self._frames += frames
        known, key = held
        if isinstance(known, str):
            raise ProbeFailed(sample_path, known)
        return known, key

    def _probe(self, sample_path: Path, stamp: FileStamp, key: dict[str, Any],
               limit: float | None) -> Reference | str:
        try:
            found: Reference | str = reference.probe(sample_path, limit=limit)
        except ffprobe_run.ProbeHung as exc:
            # for this process only: the machine may be busier than ffprobe is slow
            self._hung[stamp] = f"{exc.problem}; not probed again in this run"
            raise ffprobe_run.ProbeHung(sample_path, self._hung[stamp]) from None
        except ffprobe_run.ProbeKilled:
            raise  # neither the file's fault nor remembered
        except ProbeFailed as exc:
            # the file's own fault, as long as it is this file: remembered
            found = exc.problem.replace(f"{sample_path}: ", "")
        self._write_entry(key, found)
        return found

    # -- FFmpeg's version ----------------------------------------------------------

    def _ffprobe_version(self, limit: float | None) -> str:
        """ffprobe_version, asked once per ffprobe (its path and stamp) and
        process; a hung ffprobe is not asked again."""
        timeout = min(reference.VERSION_TIMEOUT, limit) if limit else reference.VERSION_TIMEOUT

        def ask() -> str:
            try:
                return reference.ffprobe_version(timeout)
            except ffprobe_run.ProbeHung as exc:
                raise ffprobe_run.ProbeHung(
                    exc.path, f"{exc.problem} (ffprobe -version); ffprobe is not run "
                              "again in this run") from None
            # any other ProbeFailed: an ffprobe that cannot say its version
            # describes no file we would trust either; not asked again

        return self._versions.of(reference.ffprobe_path(), ask)

    # -- the entries on disk -------------------------------------------------------

    def _entry_path(self, key: dict[str, Any]) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / f"{entry_stem(key['device'], key['inode'])}.json"

    def length_hint(self, sample_path: Path) -> float | None:
        """How long the file plays, by its cache entry when the entry names a
        file of this very device, inode, size and modification time; None
        otherwise. Nothing is hashed and FFmpeg is not asked: for ordering
        the samples only, where a wrong guess misplaces one (order.py)."""
        if self.folder is None or not (self.folder / SECRET_NAME).is_file():
            return None  # no cache yet: never made for a question of order
        try:
            stat = os.stat(sample_path)
        except (OSError, ValueError):
            return None
        found = self._read_entry_for(stat.st_dev, stat.st_ino,
                                     lambda key: key.get("size") == stat.st_size
                                     and key.get("mtime_ns") == stat.st_mtime_ns)
        return found.length if isinstance(found, Reference) else None

    def beside_entry(self, sample: Path, suffix: str) -> Path | None:
        """A file of this cache kept with `sample`'s entry (FFmpeg's
        pictures of its frames: picture_reference.py), named alike; None
        without a folder or when the sample cannot be looked at."""
        if self.folder is None:
            return None
        try:
            stat = os.stat(sample)
        except (OSError, ValueError):
            return None
        return self.folder / f"{entry_stem(stat.st_dev, stat.st_ino)}{suffix}"

    def _read_entry(self, key: dict[str, Any]) -> Reference | str | None:
        """The entry for `key` when it is proved to be one this store wrote
        for this very file and FFmpeg; None otherwise (probe it)."""
        return self._read_entry_for(key["device"], key["inode"],
                                    lambda found: found == key)

    def _read_entry_for(self, device: int, inode: int, fits: Any) -> Reference | str | None:
        """The entry of the file at (device, inode) when this store wrote it
        and its key `fits`; None otherwise."""
        if self.folder is None:
            return None
        path = self.folder / f"{entry_stem(device, inode)}.json"
        secret = self._store_secret()
        if secret is None:
            return None
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_ENTRY_BYTES + 1)
        except OSError:
            return None
        checksum, _, body = data.partition(b"\n")
        if len(data) > MAX_ENTRY_BYTES or not hmac.compare_digest(
                checksum, _checksum(secret, body).encode()):
            return None  # corrupted, edited, or another store's: never trusted
        try:
            document = json.loads(body)
            if document.get("format") != FORMAT or document.get("version") != FORMAT_VERSION \
                    or not isinstance(document.get("key"), dict) or not fits(document["key"]):
                return None
            if "failed" in document:
                failed = document["failed"]
                return failed if isinstance(failed, str) and failed else None
            return reference.from_builtins(document.get("reference"))
        except (ValueError, RecursionError, AttributeError, TypeError):
            return None  # our own checksum on a document we cannot read: probe again

    def _write_entry(self, key: dict[str, Any], found: Reference | str) -> None:
        path = self._entry_path(key)
        secret = self._store_secret()
        if path is None or secret is None:
            return
        document: dict[str, Any] = {"format": FORMAT, "version": FORMAT_VERSION, "key": key}
        if isinstance(found, str):
            document["failed"] = found
        else:
            document["reference"] = reference.to_builtins(found)
        body = json.dumps(document, allow_nan=False, separators=(",", ":")).encode()
        try:
            atomic.write_bytes(path, _checksum(secret, body).encode() + b"\n" + body)
        except (OSError, ValueError):
            pass  # the verdict does not depend on keeping it: the next run probes again

    def _store_secret(self) -> bytes | None:
        """The store's secret, made once by whichever process comes first;
        None when the store cannot keep one (then nothing is cached on disk)."""
        if self._secret is None and self.folder is not None:
            with self._lock:
                if self._secret is None:
                    self._secret = _secret(self.folder)
                    if self._secret is None:
                        self.folder = None
        return self._secret


def _checksum(secret: bytes, body: bytes) -> str:
    return hashlib.blake2b(body, key=secret, digest_size=_DIGEST_BYTES).hexdigest()


def _secret(folder: Path) -> bytes | None:
    """Read the folder's secret, or make it: written whole under another name,
    then linked into place, so that runs starting at once agree on the first."""
    path = folder / SECRET_NAME
    for _ in range(2):
        try:
            data = path.read_bytes()
            if len(data) == 2 * _SECRET_BYTES:
                return data
            return None  # not ours: keep no cache rather than trust it
        except FileNotFoundError:
            pass
        except OSError:
            return None
        try:
            folder.mkdir(exist_ok=True)  # in the store, which exists: never made here
            temporary = folder / f".{SECRET_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(secrets.token_hex(_SECRET_BYTES).encode())
                    f.flush()
                    os.fsync(f.fileno())
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process made it first: read theirs
            finally:
                os.unlink(temporary)
        except OSError:
            return None
    return None
