"""One exception hierarchy for everything a user can get wrong or fix.

Every message names the file or option at fault and what to do about it, so
the CLI and the plugin can print it as a single line instead of a traceback.
"""
from __future__ import annotations

from pathlib import Path


def quote(text: str | bytes, limit: int = 80) -> str:
    """A short escaped prefix of text that came from an input, for a message.

    Names and data read from files can be megabytes long or hold newlines:
    messages quote at most `limit` characters of them, with '...' when cut.
    """
    shown = repr(text[:limit])
    return shown + "..." if len(text) > limit else shown


class MediaTestError(Exception):
    """Base of every error this project raises on purpose."""


class UsageError(MediaTestError):
    """A bad option, argument or setting; the CLI exits 2, pytest stops."""


class BadFileError(MediaTestError):
    """A file the user gave us (or that a run left) cannot be used as it is."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class ManifestError(BadFileError):
    """samples.toml is malformed: syntax, unknown key, wrong type."""


class PlaylistError(BadFileError):
    """A playlist names missing samples or excluded extensions."""


class UnreadableRecordingError(BadFileError):
    """A .dbg file is not a recording we can trust or understand."""


class SessionError(MediaTestError):
    """A session cannot be created, found, activated or written."""


class SessionExistsError(SessionError):
    """The session name is taken (maybe a moment ago, by a run beside this one)."""


class SessionBusyError(SessionError):
    """Another run plays into the session now."""


class ProtectedSessionError(SessionError):
    """Writing would overwrite data the session's configuration protects."""


class ProbeUnavailable(MediaTestError):
    """ffprobe is not installed: the play cannot be checked against the file."""


class ProbeFailed(BadFileError):
    """ffprobe could not describe a sample (its own message is the problem)."""


class BadReferenceError(BadFileError):
    """A stored reference (.json) is not one we wrote, or not one we can trust."""
