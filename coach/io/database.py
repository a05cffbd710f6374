"""The history database file: where it lives, its schema and migrations, opening it safely.

Several processes may write at once (a batch `coach score --jobs`), so the database runs in WAL
mode with a busy timeout. A corrupt file is never overwritten: it is renamed to
`<name>.corrupt-<timestamp>` with a notice and a fresh database is started.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TypeVar

import platformdirs

from coach.errors import CoachError, os_cause

ENV_VAR = "COACH_DB"
APP_NAME = "coach"
DB_NAME = "history.sqlite3"
BUSY_TIMEOUT_S = 30.0
T = TypeVar("T")

Kind = Literal["live", "scored"]
DbPath = str | os.PathLike[str]
Notice = Callable[[str], None]

_SQLITE_MAGIC = b"SQLite format 3\x00"
# SQLITE_CORRUPT and SQLITE_NOTADB: the file itself is bad (unlike "locked" or "busy").
_CORRUPT_CODES = {11, 26}

_V1 = """
CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    exercise    TEXT NOT NULL,
    started_at  TEXT NOT NULL,            -- ISO 8601, UTC
    duration_s  REAL NOT NULL,
    source      TEXT,
    kind        TEXT NOT NULL CHECK (kind IN ('live', 'scored')),
    partial     INTEGER NOT NULL DEFAULT 0,
    verdict     TEXT
);
CREATE INDEX sessions_started_at ON sessions (started_at);
CREATE TABLE reps (
    id            INTEGER PRIMARY KEY,
    session_id    INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    side          TEXT,
    start_s       REAL,
    end_s         REAL,
    hold_s        REAL,
    target_hold_s REAL,
    peak_deg      TEXT,                    -- JSON object {angle: degrees}
    ok            INTEGER
);
CREATE INDEX reps_session ON reps (session_id);
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    type        TEXT NOT NULL,
    start_s     REAL,
    end_s       REAL,
    angle       TEXT,
    value       REAL,
    "limit"     REAL,
    message     TEXT
);
CREATE INDEX events_session ON events (session_id);
"""

# v2: a session started past a daily limit with --force is marked, and the frame counts are kept
# so a session with little pose coverage can be told apart from a poor one.
_V2 = """
ALTER TABLE sessions ADD COLUMN forced INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN frames INTEGER;
ALTER TABLE sessions ADD COLUMN frames_with_pose INTEGER;
CREATE INDEX events_type ON events (type);
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2)  # MIGRATIONS[i] takes user_version i to i + 1
SCHEMA_VERSION = len(MIGRATIONS)


# ---------------------------------------------------------------------------------------------
# Opening, corruption, migrations


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME)) / DB_NAME


def resolve_db_path(flag: DbPath | None = None, env: Mapping[str, str] | None = None) -> Path:
    """--db PATH, else COACH_DB, else the platform's user data folder."""
    if flag:
        return Path(flag).expanduser()
    env = os.environ if env is None else env
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR]).expanduser()
    return default_db_path()


def _stderr_notice(text: str) -> None:
    print(f"coach: {text}", file=sys.stderr)


def _is_corrupt_error(exc: sqlite3.DatabaseError) -> bool:
    return getattr(exc, "sqlite_errorcode", None) in _CORRUPT_CODES


def _looks_like_sqlite(path: Path) -> bool:
    """An empty file is a valid empty database to SQLite; anything else needs the magic header."""
    size = path.stat().st_size
    if size == 0:
        return True
    with path.open("rb") as f:
        return f.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC


def _aside_name(path: Path, now: datetime) -> Path:
    """`<name>.corrupt-<timestamp>`, with a counter if that exists: never overwrite a copy."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    return candidate


def set_aside(path: Path, reason: str, notice: Notice = _stderr_notice) -> Path:
    """Move a damaged database (and its -wal/-shm/-journal) aside so a fresh one can start."""
    target = _aside_name(path, datetime.now(UTC))
    try:
        path.rename(target)
    except FileNotFoundError:
        return target  # another process set it aside first
    for suffix in ("-wal", "-shm", "-journal"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(target.with_name(target.name + suffix))
    notice(
        f"history database {path} is damaged ({reason}); moved it to {target.name} "
        "and started a new one"
    )
    return target


def quick_check(conn: sqlite3.Connection) -> list[tuple[str]]:
    """SQLite's quick_check: [("ok",)] for a sound file. Costs a read of the whole file."""
    return conn.execute("PRAGMA quick_check").fetchall()


def _check_integrity(path: Path) -> str | None:
    """None if the file is usable, else why not. Locked or busy is not damage."""
    if not path.exists():
        return None
    if not _looks_like_sqlite(path):
        return "not an SQLite file"
    try:
        with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)) as conn:
            rows = quick_check(conn)
    except sqlite3.DatabaseError as exc:
        if _is_corrupt_error(exc):
            return str(exc)
        raise
    if rows != [("ok",)]:
        return f"integrity check: {rows[0][0]}"
    return None


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if str(mode).lower() != "wal":
        mode = _when_free(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
    if str(mode).lower() != "wal":
        raise CoachError(
            f"the history database could not switch to WAL mode (got {mode!r})",
            "put it on a local disk with --db PATH or COACH_DB",
        )


def _when_free(step: Callable[[], T]) -> T:
    """Run step, retrying while another process holds the lock.

    Switching to WAL needs the file to itself and SQLite may answer "locked" at once, without
    waiting out the busy timeout, when several processes open a new database together.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.01
    while True:
        try:
            return step()
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if ("locked" not in text and "busy" not in text) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(0.2, delay * 2)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE: take the write lock up front so concurrent writers queue, never deadlock."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _refuse_newer(conn: sqlite3.Connection, path: Path | str) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise CoachError(
            f"history database {path} has schema version {version}, newer than this coach "
            f"understands ({SCHEMA_VERSION})",
            "update coach, or use another file with --db PATH",
        )


def migrate(conn: sqlite3.Connection, path: Path | str = "") -> int:
    """Bring the schema up to SCHEMA_VERSION, one step at a time, each step atomic."""
    with transaction(conn):
        _refuse_newer(conn, path)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for step in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[step].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {step + 1}")
    return SCHEMA_VERSION


# Files whose integrity this process has checked, with their (inode, size, mtime) then: a file
# is checked once, not on every connect, and again only if something else has changed it.
_CHECKED: dict[Path, tuple[int, int, int]] = {}


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _is_checked(path: Path) -> bool:
    stamp = _stamp(path)
    return stamp is not None and _CHECKED.get(path.resolve()) == stamp


def note_checked(path: Path) -> None:
    """The file is as this process last saw it whole (after checking it, or after our own
    writes, which may change its size and time when SQLite checkpoints on close)."""
    stamp = _stamp(path)
    if stamp is not None:
        _CHECKED[path.resolve()] = stamp


def _check_once(path: Path, notice: Notice) -> None:
    if _is_checked(path):
        return
    reason = _check_integrity(path)
    if reason:
        set_aside(path, reason, notice)
    note_checked(path)


def _open_error(path: Path, exc: BaseException) -> CoachError:
    cause, _ = os_cause(exc)
    return CoachError(
        f"cannot open the history database {path} ({cause})",
        f"check the folder's permissions, or choose another file with --db PATH or {ENV_VAR}",
    )


def _refuse_folder(path: Path) -> None:
    if path.is_dir():
        raise CoachError(
            f"the history database {path} is a folder",
            f"give a file name, e.g. --db {path / DB_NAME}",
        )


def open_db(db: DbPath | None = None, notice: Notice = _stderr_notice) -> sqlite3.Connection:
    """Open (creating or migrating) the store; a damaged file is set aside, not overwritten."""
    path = resolve_db_path(db)
    _refuse_folder(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _check_once(path, notice)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except (OSError, sqlite3.OperationalError) as exc:
        raise _open_error(path, exc) from exc
    try:
        _refuse_newer(conn, path)  # before WAL mode rewrites the header of a file we must not touch
        _configure(conn)
        migrate(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def _ro_connect(path: Path, immutable: bool) -> sqlite3.Connection:
    uri = f"{path.resolve().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


def open_readonly(db: DbPath | None = None) -> sqlite3.Connection | None:
    """Open the store for reading only (`mode=ro`), so `coach history` works on a read-only
    file or file system; None when there is no database yet. An older schema is migrated
    (which needs writing) and a damaged file is set aside, both through `open_db`."""
    path = resolve_db_path(db)
    if not path.exists():
        return None
    _refuse_folder(path)
    if not _looks_like_sqlite(path):
        return open_db(db)  # sets the damaged file aside (or says why it cannot)
    try:
        conn = _ro_connect(path, immutable=False)
    except sqlite3.DatabaseError as exc:
        if _is_corrupt_error(exc):
            return open_db(db)
        # A WAL database on a read-only file system: its -shm cannot be made, so read the file
        # as it stands (nothing can be writing to a read-only file system anyway).
        try:
            conn = _ro_connect(path, immutable=True)
        except sqlite3.Error as exc2:
            raise _open_error(path, exc2) from exc2
    try:
        if not _is_checked(path):
            if quick_check(conn) != [("ok",)]:
                conn.close()
                return open_db(db)
            note_checked(path)
        _refuse_newer(conn, path)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        conn.close()
        if _is_corrupt_error(exc):
            return open_db(db)
        raise _open_error(path, exc) from exc
    except BaseException:
        conn.close()
        raise
    if version < SCHEMA_VERSION:
        conn.close()
        return open_db(db)
    return conn


@contextmanager
def connect_read(db: DbPath | None = None) -> Iterator[sqlite3.Connection | None]:
    """A read-only connection for the length of a `with`; None when no database exists."""
    conn = open_readonly(db)
    try:
        yield conn
    finally:
        if conn is not None:
            conn.close()


@contextmanager
def connect(db: DbPath | None = None) -> Iterator[sqlite3.Connection]:
    conn = open_db(db)
    try:
        yield conn
    finally:
        conn.close()
        note_checked(resolve_db_path(db))
