"""The session store: what was done, so the coach can enforce "don't over-do it".

The seed warns that routine over-cracking brings joint pain and swelling and that recurring pain
needs a professional, not more stretching. A coach that forgets every session cannot act on that,
so every session, rep and safety event goes into SQLite. Only numbers (and the coach's own
messages) are stored, never camera frames.

Every session is written in one `BEGIN IMMEDIATE` transaction. This module holds the SQL that
writes and reads sessions; the file, its schema and safe opening are database.py; the rules
over the records (daily limits, pain follow-up) are core/limits.py.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from coach.core import limits as limits_rule
from coach.core.limits import EPOCH, PAIN_WINDOW, Limits, LimitWarning, PainFollowup, day_start
from coach.core.records import EventRecord, PainStop, RepRecord, SessionRecord, iso_utc

# ENV_VAR, SCHEMA_VERSION, resolve_db_path and set_aside are re-exported: callers reach the
# history through this one module.
from coach.io.database import (  # noqa: F401
    ENV_VAR,
    SCHEMA_VERSION,
    DbPath,
    Kind,
    connect,
    connect_read,
    note_checked,
    open_db,
    resolve_db_path,
    set_aside,
    transaction,
)

# ---------------------------------------------------------------------------------------------
# Writing


def _parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _num(value: Any) -> float | None:
    """NaN means "not seen" in the report; SQL stores that as NULL."""
    if value is None:
        return None
    number = float(value)
    return None if number != number else number


def _int(value: Any) -> int | None:
    """Counts may arrive as numpy integers, which sqlite3 cannot bind."""
    return None if value is None else int(value)


def _verdict(summary: Any) -> str | None:
    """The overall verdict, whether the summary holds it as a string or as {verdict, reasons}."""
    if not isinstance(summary, Mapping):
        return None
    for key in ("verdict", "overall"):
        value = summary.get(key)
        if isinstance(value, Mapping):
            value = value.get("verdict", value.get("overall"))
        if isinstance(value, str | int | float | bool):
            return str(value)
    return None


REQUIRED_KEYS = (
    "exercise",
    "source",
    "duration_s",
    "frames",
    "frames_with_pose",
    "reps",
    "events",
    "summary",
)


def save_report(
    db: DbPath | None,
    report: Mapping[str, Any],
    kind: Kind,
    started_at: datetime,
    forced: bool = False,
) -> int:
    """Store one session with its reps and events in a single transaction; returns its id."""
    missing = [k for k in REQUIRED_KEYS if k not in report]
    if missing:
        raise ValueError(f"report lacks {', '.join(missing)} (see the report contract)")
    if kind not in ("live", "scored"):
        raise ValueError(f"kind must be 'live' or 'scored', not {kind!r}")
    with connect(db) as conn, transaction(conn):
        cur = conn.execute(
            "INSERT INTO sessions (exercise, started_at, duration_s, source, kind, partial,"
            " forced, verdict, frames, frames_with_pose) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(report["exercise"]),
                iso_utc(started_at),
                float(report["duration_s"]),
                None if report["source"] is None else str(report["source"]),
                kind,
                int(bool(report.get("partial", False))),
                int(bool(forced)),
                _verdict(report["summary"]),
                _int(report["frames"]),
                _int(report["frames_with_pose"]),
            ),
        )
        session_id = int(cur.lastrowid or 0)
        conn.executemany(
            "INSERT INTO reps (session_id, side, start_s, end_s, hold_s, target_hold_s,"
            " peak_deg, ok) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [_rep_row(session_id, rep) for rep in report["reps"]],
        )
        conn.executemany(
            'INSERT INTO events (session_id, type, start_s, end_s, angle, value, "limit",'
            " message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [_event_row(session_id, event) for event in report["events"]],
        )
    return session_id


class LiveRecorder:
    """A live session written as it happens, so a killed process loses at most a second.

    The row is inserted at the start marked `partial`; `update` rewrites its reps, events,
    duration and frame counts in one transaction (each rep and event is in once it closes);
    `finish` writes the final report and clears `partial` only if the report is whole. One
    connection stays open for the session: an update costs one commit, not an open and check.
    """

    def __init__(
        self,
        db: DbPath | None,
        exercise: str,
        source: str | None,
        started_at: datetime,
        forced: bool = False,
    ) -> None:
        self._path = resolve_db_path(db)
        self._conn = open_db(db)
        try:
            with transaction(self._conn):
                cur = self._conn.execute(
                    "INSERT INTO sessions (exercise, started_at, duration_s, source, kind,"
                    " partial, forced, frames, frames_with_pose)"
                    " VALUES (?, ?, 0, ?, 'live', 1, ?, 0, 0)",
                    (exercise, iso_utc(started_at), source, int(bool(forced))),
                )
        except BaseException:
            self._conn.close()
            raise
        self.session_id = int(cur.lastrowid or 0)

    def update(self, report: Mapping[str, Any], partial: bool = True) -> None:
        """Replace the row's reps, events and counts with those of `report`, atomically."""
        sid = self.session_id
        with transaction(self._conn) as conn:
            conn.execute(
                "UPDATE sessions SET duration_s = ?, partial = ?, verdict = ?, frames = ?,"
                " frames_with_pose = ? WHERE id = ?",
                (
                    float(report["duration_s"]),
                    int(bool(partial)),
                    _verdict(report["summary"]),
                    _int(report["frames"]),
                    _int(report["frames_with_pose"]),
                    sid,
                ),
            )
            conn.execute("DELETE FROM reps WHERE session_id = ?", (sid,))
            conn.execute("DELETE FROM events WHERE session_id = ?", (sid,))
            conn.executemany(
                "INSERT INTO reps (session_id, side, start_s, end_s, hold_s, target_hold_s,"
                " peak_deg, ok) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [_rep_row(sid, rep) for rep in report["reps"]],
            )
            conn.executemany(
                'INSERT INTO events (session_id, type, start_s, end_s, angle, value, "limit",'
                " message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [_event_row(sid, event) for event in report["events"]],
            )

    def finish(self, report: Mapping[str, Any]) -> None:
        """The final report; the row stays `partial` only if the report says so."""
        self.update(report, partial=bool(report.get("partial", False)))

    def discard(self) -> None:
        """Remove the row of a session that never saw a frame."""
        with transaction(self._conn) as conn:
            conn.execute("DELETE FROM sessions WHERE id = ?", (self.session_id,))

    def close(self) -> None:
        self._conn.close()
        note_checked(self._path)


def _rep_row(session_id: int, rep: Mapping[str, Any]) -> tuple[Any, ...]:
    peak = {str(k): _num(v) for k, v in (rep.get("peak_deg") or {}).items()}
    ok = rep.get("ok")
    return (
        session_id,
        rep.get("side"),
        _num(rep.get("start_s")),
        _num(rep.get("end_s")),
        _num(rep.get("hold_s")),
        _num(rep.get("target_hold_s")),
        json.dumps(peak),
        None if ok is None else int(bool(ok)),
    )


def _event_row(session_id: int, event: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        session_id,
        str(event["type"]),
        _num(event.get("start_s")),
        _num(event.get("end_s")),
        event.get("angle"),
        _num(event.get("value")),
        _num(event.get("limit")),
        event.get("message"),
    )


def forget_all(db: DbPath | None) -> int:
    """Delete every session, rep and event, then VACUUM so no old rows linger in free pages."""
    with connect(db) as conn:
        with transaction(conn):
            count = conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
            for table in ("events", "reps", "sessions"):
                conn.execute(f"DELETE FROM {table}")
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return int(count)


# ---------------------------------------------------------------------------------------------
# Reading


def recent_sessions(
    db: DbPath | None,
    *,
    exercise: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    kinds: Sequence[str] | None = None,
    limit: int | None = None,
) -> list[SessionRecord]:
    """Sessions newest first, with their reps and events, filtered as asked."""
    where, params = _filters(exercise, since, until, kinds)
    sql = f"SELECT * FROM sessions{where} ORDER BY started_at DESC, id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    with connect_read(db) as conn:
        if conn is None:
            return []
        conn.row_factory = sqlite3.Row
        rows = conn.execute(sql, params).fetchall()
        ids = [row["id"] for row in rows]
        reps = _children(conn, "reps", ids)
        events = _children(conn, "events", ids)
    return [_session(row, reps.get(row["id"], []), events.get(row["id"], [])) for row in rows]


def _filters(
    exercise: str | None,
    since: datetime | None,
    until: datetime | None,
    kinds: Sequence[str] | None,
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if exercise is not None:
        clauses.append("exercise = ?")
        params.append(exercise)
    if since is not None:
        clauses.append("started_at >= ?")
        params.append(iso_utc(since))
    if until is not None:
        clauses.append("started_at < ?")
        params.append(iso_utc(until))
    if kinds is not None:
        clauses.append(f"kind IN ({', '.join('?' for _ in kinds)})")
        params.extend(kinds)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _children(conn: sqlite3.Connection, table: str, ids: list[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        sql = f"SELECT * FROM {table} WHERE session_id IN ({marks}) ORDER BY id"
        for row in conn.execute(sql, chunk):
            out.setdefault(row["session_id"], []).append(row)
    return out


def _session(row: sqlite3.Row, reps: list[sqlite3.Row], events: list[sqlite3.Row]) -> SessionRecord:
    return SessionRecord(
        id=row["id"],
        exercise=row["exercise"],
        started_at=_parse_iso(row["started_at"]),
        duration_s=row["duration_s"],
        source=row["source"],
        kind=row["kind"],
        partial=bool(row["partial"]),
        forced=bool(row["forced"]),
        verdict=row["verdict"],
        frames=row["frames"],
        frames_with_pose=row["frames_with_pose"],
        reps=tuple(
            RepRecord(
                side=r["side"],
                start_s=r["start_s"],
                end_s=r["end_s"],
                hold_s=r["hold_s"],
                target_hold_s=r["target_hold_s"],
                peak_deg=json.loads(r["peak_deg"] or "{}"),
                ok=None if r["ok"] is None else bool(r["ok"]),
            )
            for r in reps
        ),
        events=tuple(
            EventRecord(
                type=e["type"],
                start_s=e["start_s"],
                end_s=e["end_s"],
                angle=e["angle"],
                value=e["value"],
                limit=e["limit"],
                message=e["message"],
            )
            for e in events
        ),
    )


def pain_stops_since(
    db: DbPath | None, since: datetime, until: datetime | None = None
) -> list[PainStop]:
    """Pain stops of any kind of session in [since, until), oldest first."""
    sql = (
        "SELECT s.id, s.exercise, s.started_at, e.start_s FROM events e"
        " JOIN sessions s ON s.id = e.session_id WHERE e.type = 'pain_stop'"
        " AND s.started_at >= ?"
    )
    # A session may start before `since` and stop for pain after it: look back one day.
    with connect_read(db) as conn:
        if conn is None:
            return []
        rows = conn.execute(sql, (iso_utc(since - timedelta(days=1)),)).fetchall()
    stops = [
        PainStop(sid, ex, _parse_iso(at) + timedelta(seconds=start_s or 0.0))
        for sid, ex, at, start_s in rows
    ]
    return sorted(
        (s for s in stops if s.at >= since and (until is None or s.at < until)),
        key=lambda s: s.at,
    )


# ---------------------------------------------------------------------------------------------
# Limits and pain follow-up: the store fetches the records, core/limits.py decides


def check_limits(
    db: DbPath | None,
    exercise: str,
    now: datetime,
    limits: Limits | None = None,
    planned_s: float = 0.0,
) -> list[LimitWarning]:
    """Daily limits a new session of `exercise` at `now` would pass (see limits.new_session)."""
    start = day_start(now)
    today = recent_sessions(db, since=start, until=start + timedelta(days=1), kinds=("live",))
    return limits_rule.new_session(today, exercise, limits or Limits(), planned_s)


def pain_followup(db: DbPath | None, now: datetime) -> PainFollowup | None:
    """What to say before a session that follows a pain stop, or None (see limits.pain_followup)."""
    last_clean = _last_clean_live_session(db, now)
    since = min(now - PAIN_WINDOW, last_clean or EPOCH)
    stops = pain_stops_since(db, since, until=now + timedelta(microseconds=1))
    return limits_rule.pain_followup(stops, last_clean, now)


def _last_clean_live_session(db: DbPath | None, now: datetime) -> datetime | None:
    """Start of the newest live session up to `now` that ended without a pain stop."""
    sql = (
        "SELECT started_at FROM sessions s WHERE kind = 'live' AND started_at <= ?"
        " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.session_id = s.id"
        " AND e.type = 'pain_stop') ORDER BY started_at DESC, id DESC LIMIT 1"
    )
    with connect_read(db) as conn:
        row = None if conn is None else conn.execute(sql, (iso_utc(now),)).fetchone()
    return None if row is None else _parse_iso(row[0])
