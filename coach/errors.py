"""The one error type a user sees: what is wrong, and what to do about it.

Exit statuses (written in `coach --help` and the README) let scripts tell cases apart:
0 done, 1 an input or run-time error, 2 a usage error, 3 an input held nothing to judge.
"""

from __future__ import annotations

import errno
import sqlite3

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOTHING = 3

EXIT_STATUS_HELP = (
    "exit status: 0 done; 1 an input or run-time error (unreadable file, full disk, ...); "
    "2 a usage error (bad flag or value); 3 an input held nothing to judge "
    "(no person seen, or no stretch recognised)"
)


class CoachError(Exception):
    """A problem with the user's input or machine, reported as one line without a traceback."""

    status = EXIT_ERROR

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    def line(self) -> str:
        return f"coach: error: {self.problem}" + (f" — {self.fix}" if self.fix else "")


class UsageError(CoachError):
    """A flag, a value or a combination of them that coach cannot take (exit status 2)."""

    status = EXIT_USAGE


class NothingToJudge(CoachError):
    """The input was read but held nothing to judge: no person, or no stretch (exit status 3)."""

    status = EXIT_NOTHING


_OS_CAUSES = {
    errno.ENOSPC: ("the disk is full", "free some space, or write somewhere else"),
    errno.EDQUOT: ("the disk quota is used up", "free some space, or write somewhere else"),
    errno.EROFS: ("the file system is read-only", "write to a writable disk"),
    errno.EACCES: ("permission denied", "check the permissions, or write somewhere else"),
    errno.EPERM: ("permission denied", "check the permissions, or write somewhere else"),
    errno.ENOENT: ("the folder does not exist", "create it, or write somewhere else"),
    errno.ENOTDIR: ("a part of the path is not a folder", "check the path"),
    errno.EISDIR: ("it is a folder", "give a file name"),
}

# SQLite's own result codes for the same causes (sqlite3 hides the errno).
_SQLITE_CAUSES = {
    13: _OS_CAUSES[errno.ENOSPC],  # SQLITE_FULL
    8: _OS_CAUSES[errno.EROFS],  # SQLITE_READONLY: read-only file or file system
    3: _OS_CAUSES[errno.EACCES],  # SQLITE_PERM
    14: ("the file cannot be opened", "check the folder exists and is writable"),  # CANTOPEN
}


def os_cause(exc: BaseException) -> tuple[str, str]:
    """The real cause of a failed write, named for a person: (cause, fix)."""
    if isinstance(exc, OSError) and exc.errno in _OS_CAUSES:
        return _OS_CAUSES[exc.errno]
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in _SQLITE_CAUSES:
            return _SQLITE_CAUSES[code & 0xFF]
        text = str(exc).lower()
        if "full" in text:
            return _OS_CAUSES[errno.ENOSPC]
        if "readonly" in text or "read-only" in text:
            return _OS_CAUSES[errno.EROFS]
    if isinstance(exc, OSError):
        return (exc.strerror or str(exc), "check the disk and the path")
    return (str(exc), "check the disk and the path")


def write_error(path: object, what: str, exc: BaseException) -> CoachError:
    """One line for a write that failed: what, where, and the real cause (full, read-only...)."""
    cause, fix = os_cause(exc)
    return CoachError(f"{path}: cannot write the {what} ({cause})", fix)
