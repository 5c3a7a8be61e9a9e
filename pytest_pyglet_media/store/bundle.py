"""Session bundles: one archive of a session folder to attach to a bug report.

A bundle is a gzip-compressed tar archive named `<session>.mp-bundle.tar.gz`
whose members all live under one top-level folder, the session's name:

    <session>/                         the session folder, as it is on disk:
    <session>/configuration.json       configuration.json, dbg/ (recordings,
    <session>/dbg/...                  playlist, versions), reports/ ...
    <session>/reports/...
    <session>/SHA256SUMS               last member: `<sha256>  <path>` lines,
                                       one per file, paths relative to the
                                       session folder (`sha256sum -c` works
                                       from inside an unpacked session folder)

Decisions:

- `create_bundle` refuses (it does not skip) a symbolic link or any other
  non-regular file (fifo, socket, device) in the session folder, naming it:
  skipping would silently drop a recording from a bug report, and following a
  link could pack files from outside the session. Replace the link with a copy
  or remove it, then bundle again.
- The default destination is `<store>/<session>.mp-bundle.tar.gz` (the
  store is the samples folder by default), beside the session folder; an
  existing bundle of that name is replaced.
- The archive is written to a temporary file in the destination folder and
  renamed over the real name last, so an interrupted bundle leaves no half
  archive under the real name (and no temporary file either, unless the
  process is killed outright).
- Member order is deterministic (sorted by path, parents first, SHA256SUMS
  last); owners are dropped, modes normalised (folders 0o755, recordings
  `dbg/*.dbg` 0o444, other files 0o644), the gzip header holds no name or
  time stamp.

`extract_bundle` trusts nothing in the archive: it reads member headers
itself (never `extractall`), writes regular files itself with fixed modes,
and refuses the whole bundle (BadFileError naming the member) on an absolute
or escaping path, a link, device or fifo, a second top-level folder, an
invalid session name, a checksum missing, extra or wrong, more than
MAX_BUNDLE_BYTES of content (headers included) or MAX_BUNDLE_MEMBERS members,
a member whose headers (GNU long name or link, PAX records) exceed
MAX_MEMBER_HEADER_BYTES, MAX_BUNDLE_HEADER_BYTES of headers in all, a name over
MAX_MEMBER_NAME characters, a global PAX header, or an archive that is not a
readable tar. Messages quote at most 80 characters of a name (errors.quote). Everything is unpacked into a temporary folder inside
the store folder and renamed into place only once verified, so a refused
bundle leaves nothing behind; an existing session of the same name is never
overwritten.
"""
from __future__ import annotations

import bz2
import contextlib
import gzip
import hashlib
import lzma
import os
import re
import shutil
import stat
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath
from typing import IO, Iterator

from ..core.errors import BadFileError, SessionError, UsageError, quote
from . import sessions as session

BUNDLE_SUFFIX = session.BUNDLE_SUFFIX
SUMS_NAME = "SHA256SUMS"
#: cap on the total size of the files a bundle unpacks to (archive bombs)
MAX_BUNDLE_BYTES = 2 * 1024 ** 3
#: cap on the number of members of a bundle (archive bombs)
MAX_BUNDLE_MEMBERS = 50_000
#: SHA256SUMS is read into memory; no honest one comes near this
MAX_SUMS_BYTES = 16 * 1024 * 1024
#: cap on one member's headers: its tar header, GNU long name or link, PAX records
MAX_MEMBER_HEADER_BYTES = 64 * 1024
#: cap on all members' headers together (they count against MAX_BUNDLE_BYTES too)
MAX_BUNDLE_HEADER_BYTES = 64 * 1024 * 1024
#: cap on a member's path (a session's paths are short)
MAX_MEMBER_NAME = 1024

DIR_MODE = 0o755
FILE_MODE = 0o644
_CHUNK = 1024 * 1024
_SUMS_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
#: a tar archive is also an OSError/zlib/EOF source when it is truncated or corrupt
_ARCHIVE_ERRORS = (tarfile.TarError, EOFError, zlib.error, OSError, ValueError)


def bundle_name(session_name: str) -> str:
    return f"{session_name}{BUNDLE_SUFFIX}"


def default_bundle_path(paths: session.SessionPaths) -> Path:
    return paths.store / bundle_name(paths.name)


def file_mode(relpath: PurePosixPath) -> int:
    """The mode of a file inside a session folder: recordings stay read-only."""
    return 0o444 if session.is_recording_relpath(relpath) else FILE_MODE


# -- creating ----------------------------------------------------------------


def create_bundle(paths: session.SessionPaths, dest: Path | None = None, *,
                  max_bytes: int = MAX_BUNDLE_BYTES,
                  max_members: int = MAX_BUNDLE_MEMBERS) -> Path:
    """Write `<session>.mp-bundle.tar.gz` of the whole session folder; return its path.

    `dest` is the archive's path (default: beside the session folder, in the
    store folder, which is the samples folder unless --store names another). Raises SessionError when the session is missing or the
    archive cannot be written, BadFileError naming a symlink or special file
    in the session folder.
    """
    session.check_session_name(paths.name)
    root = paths.session_dir
    if os.path.islink(root):
        raise BadFileError(root, "the session folder is a symbolic link; bundle the real "
                                 "folder instead")
    if not paths.exists():
        raise SessionError(f"no session {paths.name!r} in {paths.store} "
                           f"(no {session.CONFIGURATION_FILE} in {root})")
    dest = Path(dest) if dest is not None else default_bundle_path(paths)
    if not dest.parent.is_dir():
        raise SessionError(f"cannot write bundle {dest}: folder {dest.parent} does not exist")
    if _is_inside(dest.parent, root):
        raise SessionError(f"cannot write bundle {dest} inside the session folder it packs; "
                           "choose another destination")
    other = session.session_holding(dest.parent)
    if other is not None:
        # a session's files are its recordings and reports: a bundle written
        # there would replace one (even a protected, read-only recording)
        raise SessionError(f"cannot write bundle {dest} inside session folder {other}; "
                           "choose a destination outside every session")
    if dest.exists() and (dest.is_dir() or not dest.stat().st_mode & 0o222):
        # no write bit for anyone is the owner's word, root included (recordings
        # are kept so): a bundle replaces an older bundle, never such a file
        raise SessionError(f"cannot write bundle {dest}: it exists and is "
                           + ("a folder" if dest.is_dir() else "read-only"))

    entries = _collect(root, max_bytes=max_bytes, max_members=max_members)

    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name[:80]}.", suffix=".tmp",
                                        dir=dest.parent)
    except OSError as exc:
        raise SessionError(f"cannot write bundle {dest}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as raw:
            # filename="" and mtime=0: no name or time stamp in the gzip header
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
                with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                    sums = []
                    for rel, is_dir in entries:
                        if is_dir:
                            _add_dir(tar, paths.name, root, rel)
                        else:
                            sums.append((_add_file(tar, paths.name, root, rel), rel))
                    text = "".join(f"{digest}  {rel.as_posix()}\n" for digest, rel in sums)
                    data = text.encode("utf-8")
                    info = tarfile.TarInfo(f"{paths.name}/{SUMS_NAME}")
                    info.size = len(data)
                    info.mode = FILE_MODE
                    info.mtime = int(os.stat(paths.configuration).st_mtime)
                    tar.addfile(info, _BytesReader(data))
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(tmp_name, FILE_MODE)
        os.replace(tmp_name, dest)
    except BaseException as exc:
        # also on KeyboardInterrupt: never leave the temporary file behind
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise SessionError(f"cannot write bundle {dest}: {exc.strerror or exc}") from None
        raise
    return dest


def _collect(root: Path, *, max_bytes: int,
             max_members: int) -> list[tuple[PurePosixPath, bool]]:
    """(path relative to the session folder, is a folder), parents first, sorted.

    Refuses symlinks and special files, and anything extract_bundle would refuse.
    """
    entries: list[tuple[PurePosixPath, bool]] = [(PurePosixPath("."), True)]
    total = 0

    def walk(folder: Path, rel: PurePosixPath) -> None:
        nonlocal total
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            raise SessionError(f"cannot list {folder}: {exc.strerror or exc}") from None
        for name in names:
            path = folder / name
            child = rel / name
            try:
                st = os.lstat(path)
            except OSError as exc:
                raise SessionError(f"cannot read {path}: {exc.strerror or exc}") from None
            problem = _name_problem(child.as_posix())
            if problem:
                raise BadFileError(path, f"cannot go into a bundle: its name {problem}")
            if stat.S_ISLNK(st.st_mode):
                raise BadFileError(path, "is a symbolic link; a bundle holds only regular files "
                                         "and folders: replace it with a copy or remove it")
            if stat.S_ISDIR(st.st_mode):
                entries.append((child, True))
                walk(path, child)
            elif stat.S_ISREG(st.st_mode):
                if child == PurePosixPath(SUMS_NAME):
                    raise BadFileError(path, f"a bundle writes its own {SUMS_NAME} there; "
                                             "remove or rename this file")
                entries.append((child, False))
                total += st.st_size
            else:
                raise BadFileError(path, f"is a {_mode_kind(st.st_mode)}; a bundle holds only "
                                         "regular files and folders: remove it")
            if len(entries) + 1 > max_members:
                raise SessionError(f"session folder {root} holds more than {max_members} "
                                   "files and folders, more than a bundle may hold")
            if total > max_bytes:
                raise SessionError(f"session folder {root} holds more than {max_bytes} bytes, "
                                   "more than a bundle may hold")

    walk(root, PurePosixPath("."))
    entries.sort(key=lambda entry: entry[0].parts)
    return entries


def _add_dir(tar: tarfile.TarFile, name: str, root: Path, rel: PurePosixPath) -> None:
    info = tarfile.TarInfo(_member_name(name, rel))
    info.type = tarfile.DIRTYPE
    info.mode = DIR_MODE
    info.mtime = int(os.stat(root / rel).st_mtime)
    tar.addfile(info)


def _add_file(tar: tarfile.TarFile, name: str, root: Path, rel: PurePosixPath) -> str:
    """Add one regular file (never following a link); return its sha256."""
    path = root / rel
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise SessionError(f"cannot read {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as src:
        st = os.fstat(src.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise BadFileError(path, "is no longer a regular file; bundle again")
        info = tarfile.TarInfo(_member_name(name, rel))
        info.size = st.st_size
        info.mode = file_mode(rel)
        info.mtime = int(st.st_mtime)
        reader = _HashingReader(src)
        try:
            tar.addfile(info, reader)
        except OSError as exc:
            raise SessionError(f"cannot bundle {path}: {exc.strerror or exc} (was it changed "
                               "while bundling? bundle again)") from None
    return reader.hexdigest()


def _member_name(name: str, rel: PurePosixPath) -> str:
    return name if rel == PurePosixPath(".") else f"{name}/{rel.as_posix()}"


class _HashingReader:
    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._hash.update(data)
        return data

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size is None or size < 0 else self._pos + size
        chunk = self._data[self._pos:end]
        self._pos += len(chunk)
        return chunk


def _is_inside(path: Path, folder: Path) -> bool:
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
    except ValueError:
        return False
    return True


# -- extracting --------------------------------------------------------------


def extract_bundle(archive: Path, samples_dir: Path, *, store_dir: Path | None = None,
                   max_bytes: int = MAX_BUNDLE_BYTES,
                   max_members: int = MAX_BUNDLE_MEMBERS) -> session.SessionPaths:
    """Restore a bundle's session into the store folder (default: samples_dir);
    return its paths.

    Raises BadFileError(archive, problem) for anything untrustworthy in the
    archive (naming the member), SessionError when a session (or any file) of
    that name already exists or the samples folder cannot be written.
    Nothing is left in samples_dir unless the whole bundle was verified.
    """
    archive = Path(archive)
    samples_dir = Path(samples_dir)
    if not samples_dir.is_dir():
        raise UsageError(f"samples folder {samples_dir} does not exist or is not a folder")
    target_dir = samples_dir if store_dir is None else Path(store_dir)
    if not target_dir.is_dir():
        raise UsageError(f"store folder {target_dir} does not exist or is not a folder")
    try:
        raw = open(archive, "rb")
    except FileNotFoundError:
        raise BadFileError(archive, "is missing") from None
    except IsADirectoryError:
        raise BadFileError(archive, "is a folder, not a bundle") from None
    except OSError as exc:
        raise BadFileError(archive, f"cannot be read: {exc.strerror or exc}") from None
    staging: Path | None = None
    try:
        # tarfile reads GNU long names and PAX records whole, inside next():
        # the reader under it caps what one call may read (a 760 KB gzip held
        # an 800 MB name), and the tar is read as a stream, never seeking back
        reader = _HeaderCappedReader(archive, raw)
        try:
            with reader.capped():
                tar = tarfile.open(fileobj=reader, mode="r|")
        except _ARCHIVE_ERRORS as exc:
            raise BadFileError(archive, f"is not a bundle (not a readable .tar.gz archive: "
                                        f"{_describe(exc)})") from None
        with tar:
            name: str | None = None
            seen: dict[PurePosixPath, bool] = {}   # relpath -> is a file member
            digests: dict[PurePosixPath, str] = {}
            sums_data: bytes | None = None
            total = 0
            count = 0
            headers = 0
            for member in _members(tar, reader, archive):
                count += 1
                if count > max_members:
                    raise BadFileError(archive, f"holds more than {max_members} members; "
                                                "refusing it as a possible archive bomb")
                # header members (GNU long names, PAX records) count as bytes
                headers += member.offset_data - member.offset
                total += member.offset_data - member.offset
                if headers > MAX_BUNDLE_HEADER_BYTES or total > max_bytes:
                    raise BadFileError(archive, f"has more than {MAX_BUNDLE_HEADER_BYTES} bytes "
                                                f"of member headers in all, or more than "
                                                f"{max_bytes} bytes with the data (at member "
                                                f"{quote(member.name)}); refusing it as a "
                                                "possible archive bomb")
                top, rel = _check_member(archive, member, name)
                if name is None:
                    name = top
                    _check_name(archive, name)
                    _check_free(target_dir, name)
                    staging = _make_staging(target_dir, name)
                    _mkdir(staging / name)
                assert staging is not None
                _check_layout(archive, member, rel, seen)
                target = staging / name
                for part in rel.parts[:-1] if member.isfile() else rel.parts:
                    target = target / part
                    _mkdir(target)
                if member.isdir():
                    continue
                target = target / rel.name
                total += member.size
                if total > max_bytes:
                    raise BadFileError(archive, f"unpacks to more than {max_bytes} bytes "
                                                f"(at member {quote(member.name)}); refusing it as "
                                                "a possible archive bomb")
                if rel == PurePosixPath(SUMS_NAME):
                    if member.size > MAX_SUMS_BYTES:
                        raise BadFileError(archive, f"member {quote(member.name)} is too large "
                                                    f"({member.size} bytes) for a checksum list")
                    sums_data = _read_member(tar, member, archive)
                    continue
                digests[rel] = _write_member(tar, member, archive, target, rel)
            if name is None:
                raise BadFileError(archive, "is empty: not a bundle")
            if sums_data is None:
                raise BadFileError(archive, f"has no {name}/{SUMS_NAME} member: not a bundle "
                                            "made by pyglet-mp, or damaged")
            _verify_sums(archive, name, sums_data, digests)
            if PurePosixPath(session.CONFIGURATION_FILE) not in digests:
                raise BadFileError(archive, f"has no {name}/{session.CONFIGURATION_FILE}: "
                                            "not a session")
        assert staging is not None
        _check_free(target_dir, name)
        os.chmod(staging / name, DIR_MODE)
        try:
            os.rename(staging / name, target_dir / name)
        except OSError:
            if os.path.lexists(target_dir / name):
                _check_free(target_dir, name)
            raise
    except OSError as exc:
        raise SessionError(f"cannot restore the bundle {archive} into {target_dir}: "
                           f"{exc.strerror or exc}") from None
    finally:
        raw.close()
        if staging is not None:
            _remove_tree(staging)
    return session.SessionPaths(samples_dir, name, None if target_dir == samples_dir else target_dir)


class _HeaderTooLarge(Exception):
    pass


class _HeaderCappedReader:
    """The archive's tar stream (decompressed), for tarfile in stream mode.

    Within `capped()` (tarfile parsing a member's headers) it reads at most
    MAX_MEMBER_HEADER_BYTES, plus a record of read-ahead, then refuses.
    """

    def __init__(self, archive: Path, raw: IO[bytes]) -> None:
        self._archive = archive
        magic = raw.read(6)
        raw.seek(0)
        if magic.startswith(b"\x1f\x8b"):
            self._raw: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb")
        elif magic.startswith(b"BZh"):
            self._raw = bz2.BZ2File(raw)
        elif magic.startswith(b"\xfd7zXZ\x00"):
            self._raw = lzma.LZMAFile(raw)
        else:
            self._raw = raw
        self._left: int | None = None

    def read(self, size: int = -1) -> bytes:
        if self._left is None:
            return self._raw.read(size)
        if self._left <= 0:
            raise _HeaderTooLarge()
        data = self._raw.read(self._left if size is None or size < 0 else min(size, self._left))
        self._left -= len(data)
        return data

    @contextlib.contextmanager
    def capped(self) -> Iterator[None]:
        self._left = MAX_MEMBER_HEADER_BYTES + 2 * tarfile.RECORDSIZE
        try:
            yield
        except _HeaderTooLarge:
            raise BadFileError(self._archive, f"has a member whose headers (GNU long name or "
                                              f"link, PAX records) take more than "
                                              f"{MAX_MEMBER_HEADER_BYTES} bytes; refusing it "
                                              "as a possible archive bomb") from None
        finally:
            self._left = None


def _members(tar: tarfile.TarFile, reader: _HeaderCappedReader,
             archive: Path) -> Iterator[tarfile.TarInfo]:
    """Members one by one, so the caps apply before the archive is read further."""
    while True:
        try:
            with reader.capped():
                member = tar.next()
                if member is not None and \
                        member.offset_data - member.offset > MAX_MEMBER_HEADER_BYTES:
                    raise _HeaderTooLarge()
        except _ARCHIVE_ERRORS as exc:
            raise BadFileError(archive, f"is damaged or not a bundle "
                                        f"(cannot read the tar archive: {_describe(exc)})") from None
        if member is None:
            return
        if tar.pax_headers:
            raise BadFileError(archive, "has a global PAX header, which no bundle holds; "
                                        "refusing it")
        if len(member.name) > MAX_MEMBER_NAME or len(member.linkname) > MAX_MEMBER_NAME:
            raise BadFileError(archive, f"has a member name or link longer than "
                                        f"{MAX_MEMBER_NAME} characters "
                                        f"({quote(member.name)}); refusing the bundle")
        yield member


def _check_member(archive: Path, member: tarfile.TarInfo,
                  name: str | None) -> tuple[str, PurePosixPath]:
    """(top-level folder, path relative to it) of an acceptable member, or refuse."""
    raw = member.name
    if raw.startswith(("/", "\\")) or _WINDOWS_DRIVE.match(raw):
        raise BadFileError(archive, f"member {quote(raw)} has an absolute path; refusing the bundle")
    parts = raw.rstrip("/").split("/") if member.isdir() else raw.split("/")
    if ".." in parts:
        raise BadFileError(archive, f"member {quote(raw)} would leave the session folder ('..'); "
                                    "refusing the bundle")
    problem = _name_problem(raw.rstrip("/") if member.isdir() else raw)
    if problem or any(part in {"", "."} for part in parts):
        raise BadFileError(archive, f"member {quote(raw)} has a path that {problem or 'is not plain'}"
                                    "; refusing the bundle")
    if not (member.isdir() or (member.isreg() and not member.issparse())):
        raise BadFileError(archive, f"member {quote(raw)} is a {_member_kind(member)}; a bundle "
                                    "holds only regular files and folders: refusing it")
    top, rel = parts[0], PurePosixPath(*parts[1:]) if len(parts) > 1 else PurePosixPath()
    if name is not None and top != name:
        raise BadFileError(archive, f"member {quote(raw)} is outside the session folder {quote(name)}; "
                                    "a bundle holds one session folder only")
    if len(parts) == 1 and not member.isdir():
        raise BadFileError(archive, f"member {quote(raw)} is a file outside any session folder; "
                                    "a bundle holds one session folder only")
    return top, rel


def _check_layout(archive: Path, member: tarfile.TarInfo, rel: PurePosixPath,
                  seen: dict[PurePosixPath, bool]) -> None:
    """No member twice, no file where another member needs a folder, or the reverse."""
    if rel in seen:
        if seen[rel] or member.isfile():
            what = "appears twice" if seen[rel] == member.isfile() else \
                "is both a file and a folder"
            raise BadFileError(archive, f"member {quote(member.name)} {what}; refusing the bundle")
        if member.isdir() and rel.parts:
            return
    for parent in rel.parents:
        if seen.get(parent):
            raise BadFileError(archive, f"member {quote(member.name)} lies under a file member; "
                                        "refusing the bundle")
        seen.setdefault(parent, False)
    seen[rel] = member.isfile()


def _name_problem(name: str) -> str | None:
    if "\\" in name:
        return "holds a backslash"
    if any(ord(ch) < 0x20 or ch == "\x7f" for ch in name):
        return "holds a control character (newline, tab...)"
    return None


def _check_name(archive: Path, name: str) -> None:
    try:
        session.check_session_name(name)
    except UsageError as exc:
        raise BadFileError(archive, f"its session folder {quote(name)} is not a valid session "
                                    f"name: {exc}") from None


def _check_free(samples_dir: Path, name: str) -> None:
    if os.path.lexists(samples_dir / name):
        raise SessionError(f"session {name!r} already exists in {samples_dir}; remove or "
                           "rename it (or extract into another samples folder), then extract "
                           "the bundle again")


def _make_staging(samples_dir: Path, name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f".bundle-{name[:40]}.", dir=samples_dir))


def _mkdir(path: Path) -> None:
    if not path.is_dir():
        path.mkdir()
        os.chmod(path, DIR_MODE)


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo, archive: Path) -> bytes:
    chunks = list(_member_chunks(tar, member, archive))
    return b"".join(chunks)


def _member_chunks(tar: tarfile.TarFile, member: tarfile.TarInfo,
                   archive: Path) -> Iterator[bytes]:
    try:
        src = tar.extractfile(member)
        if src is None:
            raise tarfile.TarError("no data")
        with src:
            while True:
                chunk = src.read(_CHUNK)
                if not chunk:
                    return
                yield chunk
    except _ARCHIVE_ERRORS as exc:
        raise BadFileError(archive, f"is damaged: cannot read member {quote(member.name)} "
                                    f"({_describe(exc)})") from None


def _write_member(tar: tarfile.TarFile, member: tarfile.TarInfo, archive: Path,
                  target: Path, rel: PurePosixPath) -> str:
    """Write a regular file member (its folder exists); return its sha256."""
    digest = hashlib.sha256()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) \
        | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(target, flags, 0o600)
    except FileExistsError:
        # only a case-insensitive file system gets here: two names, one file
        raise BadFileError(archive, f"member {quote(member.name)} clashes with another member "
                                    "on this file system (names differing only by case?)") from None
    with os.fdopen(fd, "wb") as out:
        for chunk in _member_chunks(tar, member, archive):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(target, file_mode(rel))
    mtime = max(0, int(member.mtime))
    os.utime(target, (mtime, mtime))
    return digest.hexdigest()


def _verify_sums(archive: Path, name: str, data: bytes,
                 digests: dict[PurePosixPath, str]) -> None:
    sums_member = f"{name}/{SUMS_NAME}"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadFileError(archive, f"member {quote(sums_member)} is not UTF-8 text") from None
    listed: dict[PurePosixPath, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _SUMS_LINE.match(line)
        if not match:
            raise BadFileError(archive, f"member {quote(sums_member)}, line {number}: not "
                                        "'<sha256>  <path>'")
        rel = PurePosixPath(match.group(2))
        if rel in listed:
            raise BadFileError(archive, f"member {quote(sums_member)} lists {quote(match.group(2))} twice")
        listed[rel] = match.group(1).lower()
    problems = []
    for rel in sorted(digests, key=lambda p: p.parts):
        member = f"{name}/{rel.as_posix()}"
        if rel not in listed:
            problems.append(f"member {quote(member)} is not listed in {SUMS_NAME}")
        elif listed[rel] != digests[rel]:
            problems.append(f"member {quote(member)} does not match its {SUMS_NAME} checksum "
                            "(damaged or altered)")
    for rel in sorted(set(listed) - set(digests), key=lambda p: p.parts):
        problems.append(f"{SUMS_NAME} lists {quote(rel.as_posix())}, which the bundle does not hold "
                        "as a file")
    if problems:
        shown = problems[:10]
        if len(problems) > len(shown):
            shown.append(f"and {len(problems) - len(shown)} more")
        raise BadFileError(archive, "fails its checksums: " + "; ".join(shown)
                           + "; refusing the bundle")


def _remove_tree(path: Path) -> None:
    """Remove the staging folder, read-only recordings included (Windows)."""
    for folder, _dirs, files in os.walk(path):
        for file in files:
            try:
                os.chmod(os.path.join(folder, file), 0o600)
            except OSError:
                pass
    shutil.rmtree(path, ignore_errors=True)


def _member_kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return f"symbolic link (to {quote(member.linkname)})"
    if member.islnk():
        return f"hard link (to {quote(member.linkname)})"
    if member.ischr():
        return "character device"
    if member.isblk():
        return "block device"
    if member.isfifo():
        return "fifo"
    if member.isreg() and member.issparse():
        return "sparse file"
    return f"member of tar type {member.type!r}"


def _mode_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    return "special file"


def _describe(exc: BaseException) -> str:
    # tarfile's "file could not be opened successfully" lists one line per
    # compression method; errors are one line
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


__all__ = ["BUNDLE_SUFFIX", "MAX_BUNDLE_BYTES", "MAX_BUNDLE_MEMBERS", "SUMS_NAME",
           "bundle_name", "create_bundle", "default_bundle_path", "extract_bundle",
           "file_mode"]
