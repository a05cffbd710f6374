"""The session store, its migrations and concurrency, daily limits, pain follow-up and the CLI."""

from __future__ import annotations

import argparse
import csv
import io
import json
import multiprocessing
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from coach.commands.gate import daily_limit_event, limit_gate
from coach.commands.history import (
    add_history_arguments,
    history_command,
    parse_since,
)
from coach.errors import CoachError
from coach.io import store as history
from coach.io.config import Limits

NOW = datetime(2024, 5, 10, 18, 0, tzinfo=UTC)


def make_report(
    exercise: str = "seated_twist",
    duration_s: float = 120.0,
    pain: bool = False,
    partial: bool = False,
) -> dict[str, Any]:
    """A report in the contract's shape (DESIGN.md), written by hand."""
    events: list[dict[str, Any]] = [
        {
            "type": "rep_complete",
            "start_s": 14.0,
            "end_s": 14.0,
            "angle": "torso_rotation",
            "value": 44.0,
            "limit": None,
            "message": "One.",
        },
        {
            "type": "too_fast",
            "start_s": 30.2,
            "end_s": 30.9,
            "angle": "torso_rotation",
            "value": 95.0,
            "limit": 60.0,
            "message": "Slow down.",
        },
    ]
    if pain:
        events.append(
            {
                "type": "pain_stop",
                "start_s": 60.0,
                "end_s": 60.0,
                "angle": None,
                "value": None,
                "limit": None,
                "message": "Stopped for pain.",
            }
        )
    return {
        "exercise": exercise,
        "source": "webcam:0",
        "duration_s": duration_s,
        "frames": 3600,
        "frames_with_pose": 3500,
        "reps": [
            {
                "side": "right",
                "start_s": 5.0,
                "end_s": 14.0,
                "hold_s": 6.0,
                "target_hold_s": 5.0,
                "peak_deg": {"torso_rotation": 44.5, "head_yaw": 86.0},
                "ok": True,
            },
            {
                "side": "left",
                "start_s": 20.0,
                "end_s": 27.0,
                "hold_s": 3.0,
                "target_hold_s": 5.0,
                "peak_deg": {"torso_rotation": float("nan")},
                "ok": False,
            },
        ],
        "events": events,
        "summary": {"verdict": "caution", "reasons": ["1 fast or jerky movement(s)"]},
        "partial": partial,
    }


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


def save(db: Path, at: datetime, kind: history.Kind = "live", **kw: Any) -> int:
    forced = kw.pop("forced", False)
    return history.save_report(db, make_report(**kw), kind, at, forced=forced)


# ---------------------------------------------------------------------------------------------
# Store


def test_a_saved_report_reads_back_with_its_reps_and_events(db: Path) -> None:
    sid = save(db, NOW, forced=True, partial=True)
    [s] = history.recent_sessions(db)
    assert s.id == sid
    assert (s.exercise, s.kind, s.duration_s, s.source) == (
        "seated_twist",
        "live",
        120.0,
        "webcam:0",
    )
    assert s.started_at == NOW and s.partial and s.forced and s.verdict == "caution"
    assert (s.frames, s.frames_with_pose) == (3600, 3500)
    assert [(r.side, r.hold_s, r.ok) for r in s.reps] == [
        ("right", 6.0, True),
        ("left", 3.0, False),
    ]
    assert s.reps[0].peak_deg == {"torso_rotation": 44.5, "head_yaw": 86.0}
    assert s.reps[1].peak_deg == {"torso_rotation": None}  # NaN: not seen
    assert [e.type for e in s.events] == ["rep_complete", "too_fast"]
    assert s.events[1].limit == 60.0


def test_the_database_is_in_wal_mode_at_the_current_schema(db: Path) -> None:
    save(db, NOW)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION == 2
    conn.close()


def test_only_numbers_and_text_are_stored_never_blobs(db: Path) -> None:
    save(db, NOW)
    conn = sqlite3.connect(db)
    for table in ("sessions", "reps", "events"):
        types = {row[2].upper() for row in conn.execute(f"PRAGMA table_info({table})")}
        assert types <= {"INTEGER", "REAL", "TEXT"}, table
    conn.close()


def test_a_bad_report_or_naive_time_is_refused(db: Path) -> None:
    with pytest.raises(ValueError, match="reps"):
        history.save_report(
            db, {k: v for k, v in make_report().items() if k != "reps"}, "live", NOW
        )
    with pytest.raises(ValueError, match="timezone"):
        history.save_report(db, make_report(), "live", datetime(2024, 5, 10, 12))
    with pytest.raises(ValueError, match="kind"):
        history.save_report(db, make_report(), "replay", NOW)  # type: ignore[arg-type]


def test_db_path_comes_from_the_flag_then_the_env_var_then_the_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("platformdirs.user_data_dir", lambda app: str(tmp_path / "data" / app))
    env = {"COACH_DB": str(tmp_path / "env.sqlite3")}
    assert history.resolve_db_path(tmp_path / "flag.sqlite3", env) == tmp_path / "flag.sqlite3"
    assert history.resolve_db_path(None, env) == tmp_path / "env.sqlite3"
    assert history.resolve_db_path(None, {}) == tmp_path / "data" / "coach" / "history.sqlite3"


# A version 1 database exactly as the first release wrote it (no forced or frame columns).
V1_SCHEMA = """
CREATE TABLE sessions (id INTEGER PRIMARY KEY, exercise TEXT NOT NULL, started_at TEXT NOT NULL,
    duration_s REAL NOT NULL, source TEXT, kind TEXT NOT NULL CHECK (kind IN ('live', 'scored')),
    partial INTEGER NOT NULL DEFAULT 0, verdict TEXT);
CREATE INDEX sessions_started_at ON sessions (started_at);
CREATE TABLE reps (id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE, side TEXT,
    start_s REAL, end_s REAL, hold_s REAL, target_hold_s REAL, peak_deg TEXT, ok INTEGER);
CREATE INDEX reps_session ON reps (session_id);
CREATE TABLE events (id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE, type TEXT NOT NULL,
    start_s REAL, end_s REAL, angle TEXT, value REAL, "limit" REAL, message TEXT);
CREATE INDEX events_session ON events (session_id);
INSERT INTO sessions VALUES (1, 'knee_to_chest', '2024-05-09T08:00:00+00:00', 95.5, 'cam', 'live',
    0, 'stopped');
INSERT INTO reps VALUES (1, 1, NULL, 3.0, 25.0, 20.0, 20.0, '{"hip_flexion": 38.0}', 1);
INSERT INTO events VALUES (1, 1, 'pain_stop', 40.0, 40.0, NULL, NULL, NULL, 'Stopped for pain.');
PRAGMA user_version = 1;
"""


def test_a_version_1_file_migrates_to_version_2_keeping_its_sessions(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.executescript(V1_SCHEMA)
    conn.close()

    [old] = history.recent_sessions(db)
    assert (old.exercise, old.duration_s, old.verdict) == ("knee_to_chest", 95.5, "stopped")
    assert not old.forced and old.frames is None
    assert old.reps[0].peak_deg == {"hip_flexion": 38.0}
    assert old.event_count("pain_stop") == 1

    save(db, NOW, forced=True)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert conn.execute("SELECT id, forced FROM sessions ORDER BY id").fetchall() == [
        (1, 0),
        (2, 1),
    ]
    conn.close()
    # The old pain stop is still found after migration.
    [stop] = history.pain_stops_since(db, NOW - timedelta(days=7))
    assert stop.at == datetime(2024, 5, 9, 8, 0, 40, tzinfo=UTC)


def test_a_database_from_a_newer_coach_is_a_clear_error_and_left_alone(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = db.read_bytes()
    with pytest.raises(CoachError, match="newer"):
        history.recent_sessions(db)
    assert db.read_bytes() == before


def _writer(db: str, worker: int, count: int, start: Any) -> None:
    start.wait()
    for i in range(count):
        report = make_report(exercise=f"ex{worker}")
        history.save_report(db, report, "scored", NOW + timedelta(seconds=i))


def test_several_processes_writing_at_once_lose_nothing(db: Path) -> None:
    workers, per_worker = 4, 15
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    procs = [
        ctx.Process(target=_writer, args=(str(db), w, per_worker, start)) for w in range(workers)
    ]
    for p in procs:
        p.start()
    start.set()  # the database does not exist yet: creation and migration race too
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * workers
    conn = sqlite3.connect(db)
    count = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    assert count("SELECT COUNT(*) FROM sessions") == workers * per_worker
    assert count("SELECT COUNT(*) FROM reps") == workers * per_worker * 2
    assert count("SELECT COUNT(*) FROM events") == workers * per_worker * 2
    assert count("SELECT COUNT(DISTINCT exercise) FROM sessions") == workers
    assert count("PRAGMA integrity_check") == "ok"
    conn.close()


# ---------------------------------------------------------------------------------------------
# Damaged files


def test_a_file_that_is_not_sqlite_is_set_aside_not_overwritten(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db.write_text("my shopping list, not a database\n" * 10)
    original = db.read_bytes()
    save(db, NOW)
    [aside] = list(db.parent.glob("history.sqlite3.corrupt-*"))
    assert aside.read_bytes() == original
    notice = capsys.readouterr().err.strip()
    assert len(notice.splitlines()) == 1
    assert "damaged" in notice and aside.name in notice
    assert len(history.recent_sessions(db)) == 1


def test_a_malformed_sqlite_file_is_set_aside(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(40):
        save(db, NOW - timedelta(hours=i))
    data = bytearray(db.read_bytes())
    assert len(data) > 8192
    data[4096 : 4096 + 64] = b"\xab" * 64  # clobber a b-tree page header
    db.write_bytes(bytes(data))
    assert history.recent_sessions(db) == []
    [aside] = list(db.parent.glob("history.sqlite3.corrupt-*"))
    assert aside.read_bytes() == bytes(data)
    assert "malformed" in capsys.readouterr().err


def test_setting_aside_twice_never_overwrites_the_first_copy(db: Path) -> None:
    db.write_text("first bad file")
    first = history.set_aside(db, "test", notice=lambda _: None)
    db.write_text("second bad file")
    second = history.set_aside(db, "test", notice=lambda _: None)
    assert first != second
    assert first.read_text() == "first bad file" and second.read_text() == "second bad file"


# ---------------------------------------------------------------------------------------------
# Daily limits

LIMITS = Limits(sessions_per_exercise_per_day=3, sessions_per_day=6, minutes_per_day=30)


def test_a_fourth_session_of_one_exercise_in_a_day_warns(db: Path) -> None:
    for h in (8, 9, 10):
        save(db, NOW.replace(hour=h), duration_s=60)
    [warning] = history.check_limits(db, "seated_twist", NOW, LIMITS)
    assert warning.key == "sessions_per_exercise_per_day"
    assert (warning.value, warning.limit) == (3, 3)
    assert "3 sessions of seated_twist today" in warning.message
    assert "limit is 3" in warning.message
    assert history.check_limits(db, "knee_to_chest", NOW, LIMITS) == []


def test_total_sessions_and_minutes_per_day_warn(db: Path) -> None:
    for i, ex in enumerate(["a", "a", "b", "b", "c", "c"]):
        save(db, NOW.replace(hour=8 + i), exercise=ex, duration_s=5 * 60 + 30)
    warnings = {w.key: w for w in history.check_limits(db, "d", NOW, LIMITS)}
    assert set(warnings) == {"sessions_per_day", "minutes_per_day"}
    assert warnings["sessions_per_day"].value == 6
    assert warnings["minutes_per_day"].value == 33.0
    assert "33 minutes" in warnings["minutes_per_day"].message


def test_planned_time_that_would_pass_the_minutes_limit_warns(db: Path) -> None:
    save(db, NOW.replace(hour=8), duration_s=25 * 60)
    assert history.check_limits(db, "x", NOW, LIMITS) == []
    [w] = history.check_limits(db, "x", NOW, LIMITS, planned_s=10 * 60)
    assert w.key == "minutes_per_day"


def test_yesterday_and_scored_recordings_do_not_count_toward_today(db: Path) -> None:
    local = timezone(timedelta(hours=-5))
    now = datetime(2024, 5, 10, 9, 0, tzinfo=local)
    for h in (20, 21, 22):  # 9 to 11 pm local yesterday: already "today" in UTC
        save(db, datetime(2024, 5, 9, h, 0, tzinfo=local))
    for h in range(3):
        save(db, now - timedelta(hours=h + 1), kind="scored")
    assert history.check_limits(db, "seated_twist", now, LIMITS) == []
    save(db, now - timedelta(hours=1))
    assert history.check_limits(db, "seated_twist", now, Limits(1, 6, 30))


# ---------------------------------------------------------------------------------------------
# Pain follow-up


def test_no_pain_stop_no_followup(db: Path) -> None:
    assert history.pain_followup(db, NOW) is None
    save(db, NOW - timedelta(days=1))
    assert history.pain_followup(db, NOW) is None


def test_one_pain_stop_gives_a_reminder_and_asks_whether_it_has_gone(db: Path) -> None:
    save(db, NOW - timedelta(days=2), pain=True)
    followup = history.pain_followup(db, NOW)
    assert followup is not None and not followup.firm
    assert "pain" in followup.message and "stop" in followup.message
    assert followup.question == "Has the pain gone completely?"


def test_a_clean_session_after_the_pain_stop_ends_the_reminder(db: Path) -> None:
    save(db, NOW - timedelta(days=20), pain=True)
    assert history.pain_followup(db, NOW) is not None  # the next session, however late
    save(db, NOW - timedelta(days=1))
    assert history.pain_followup(db, NOW) is None


def test_two_pain_stops_in_a_week_give_a_firm_recommendation(db: Path) -> None:
    save(db, NOW - timedelta(days=6), pain=True)
    save(db, NOW - timedelta(days=3))
    save(db, NOW - timedelta(days=1), pain=True)
    followup = history.pain_followup(db, NOW)
    assert followup is not None and followup.firm
    assert "doctor or physiotherapist" in followup.message
    assert "before you continue" in followup.message
    assert "doctor or physiotherapist" in followup.question


def test_pain_stops_older_than_a_week_do_not_count(db: Path) -> None:
    save(db, NOW - timedelta(days=10), pain=True)
    save(db, NOW - timedelta(days=1), pain=True)
    followup = history.pain_followup(db, NOW)
    assert followup is not None and not followup.firm
    assert [s.at.date() for s in history.pain_stops_since(db, NOW - timedelta(days=7))] == [
        (NOW - timedelta(days=1)).date()
    ]


@pytest.mark.parametrize("pains", [1, 2])
def test_pain_wording_is_conservative(db: Path, pains: int) -> None:
    for d in range(pains):
        save(db, NOW - timedelta(days=d + 1), pain=True)
    followup = history.pain_followup(db, NOW)
    assert followup is not None
    text = (followup.message + " " + followup.question).lower()
    for word in ("crack", "pop", "diagnos", "injury", "guarantee"):
        assert word not in text


# ---------------------------------------------------------------------------------------------
# The gate at the start of `coach run`


class Script:
    """A fake front end: records what was said and answers questions from a list."""

    def __init__(self, *answers: bool) -> None:
        self.answers = list(answers)
        self.said: list[str] = []
        self.asked: list[str] = []

    def ask(self, question: str) -> bool:
        self.asked.append(question)
        return self.answers.pop(0)

    def say(self, text: str) -> None:
        self.said.append(text)


def gate(db: Path, ui: Script, force: bool = False) -> bool:
    return limit_gate(db, "seated_twist", NOW, force, ui.ask, ui.say, limits=LIMITS)


def test_gate_passes_silently_when_nothing_is_wrong(db: Path) -> None:
    ui = Script()
    assert gate(db, ui)
    assert ui.said == [] and ui.asked == []


@pytest.mark.parametrize("answer", [True, False])
def test_gate_warns_then_asks_when_a_limit_would_be_passed(db: Path, answer: bool) -> None:
    for h in (8, 9, 10):
        save(db, NOW.replace(hour=h), duration_s=60)
    ui = Script(answer)
    assert gate(db, ui) is answer
    assert "daily limit is 3" in ui.said[0]
    assert len(ui.asked) == 1


def test_force_skips_the_question_but_says_it_is_recorded(db: Path) -> None:
    for h in (8, 9, 10):
        save(db, NOW.replace(hour=h), duration_s=60)
    ui = Script()
    assert gate(db, ui, force=True)
    assert ui.asked == []
    assert "recorded" in ui.said[-1] or "forced" in ui.said[-1]


def test_gate_stops_when_the_pain_has_not_gone(db: Path) -> None:
    save(db, NOW - timedelta(days=1), pain=True)
    ui = Script(False)
    assert not gate(db, ui)
    assert ui.asked == ["Has the pain gone completely?"]
    assert "don't stretch while it hurts" in ui.said[-1]


def test_gate_after_two_pain_stops_asks_for_a_professional_clearance(db: Path) -> None:
    save(db, NOW - timedelta(days=2), pain=True)
    save(db, NOW - timedelta(days=1), pain=True)
    ui = Script(False)
    assert not gate(db, ui)
    assert "doctor or physiotherapist" in ui.said[0]
    assert "doctor or physiotherapist" in ui.said[-1]


def test_daily_limit_event_has_the_report_event_shape(db: Path) -> None:
    for h in (8, 9, 10):
        save(db, NOW.replace(hour=h), duration_s=60)
    event = daily_limit_event(history.check_limits(db, "seated_twist", NOW, LIMITS))
    assert set(event) == {"type", "start_s", "end_s", "angle", "value", "limit", "message"}
    assert (event["type"], event["value"], event["limit"]) == ("daily_limit", 3.0, 3.0)
    with pytest.raises(ValueError):
        daily_limit_event([])


# ---------------------------------------------------------------------------------------------
# `coach history`


def run_history(argv: list[str]) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="coach history")
    add_history_arguments(parser)
    out = io.StringIO()
    code = history_command(parser.parse_args(argv), out=out, now=NOW)
    return code, out.getvalue()


@pytest.fixture
def filled(db: Path) -> Path:
    save(db, NOW - timedelta(days=3), exercise="knee_to_chest")
    save(db, NOW - timedelta(days=2), pain=True)
    save(db, NOW - timedelta(days=1, hours=2), forced=True)
    save(db, NOW - timedelta(days=1), kind="scored", partial=True)
    return db


def test_history_prints_a_readable_table(filled: Path) -> None:
    code, text = run_history(["--db", str(filled)])
    assert code == 0
    assert "Recent sessions" in text
    assert "knee_to_chest" in text and "seated_twist" in text
    assert "pain stop 1" in text and "forced" in text and "partial" in text


def test_history_without_a_database_says_so_and_creates_nothing(db: Path) -> None:
    code, text = run_history(["--db", str(db)])
    assert code == 0 and "No sessions recorded yet" in text
    assert not db.exists()


def test_history_json_parses_and_filters(filled: Path) -> None:
    _, text = run_history(
        ["--db", str(filled), "--json", "--exercise", "seated_twist", "--since", "2d"]
    )
    data = json.loads(text)
    assert data["schema_version"] == 2
    sessions = data["sessions"]
    assert len(sessions) == 3 and {s["exercise"] for s in sessions} == {"seated_twist"}
    assert sessions[0]["started_at"] > sessions[-1]["started_at"]  # newest first
    assert sessions[-1]["events"][-1]["type"] == "pain_stop"
    assert sessions[0]["reps"][0]["peak_deg"]["torso_rotation"] == 44.5


def test_since_takes_a_date_or_a_number_of_days() -> None:
    assert parse_since("7d", NOW) == NOW - timedelta(days=7)
    assert parse_since("2024-05-01", NOW) == datetime(2024, 5, 1, tzinfo=UTC)
    with pytest.raises(CoachError, match="--since"):
        parse_since("last week", NOW)


def test_export_writes_one_csv_row_per_session_oldest_first(filled: Path, tmp_path: Path) -> None:
    out = tmp_path / "h.csv"
    code, text = run_history(["--db", str(filled), "--export", str(out)])
    assert code == 0 and "4 sessions" in text
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["exercise"] for r in rows] == ["knee_to_chest"] + ["seated_twist"] * 3
    first, pain, forced, scored = rows
    assert first["duration_s"] == "120.0" and first["reps"] == "2" and first["reps_ok"] == "1"
    assert (first["reps_left"], first["reps_right"]) == ("1", "1")
    assert first["mean_hold_s"] == "4.5" and first["mean_hold_ratio"] == "0.9"
    assert first["too_fast"] == "1" and first["pain_stop"] == "0"
    assert pain["pain_stop"] == "1"
    assert forced["forced"] == "1" and scored["partial"] == "1" and scored["kind"] == "scored"
    assert first["started_at"] == (NOW - timedelta(days=3)).isoformat()


def test_plot_writes_a_png(filled: Path, tmp_path: Path) -> None:
    for d in range(4, 12):  # more days, so the figure shows a trend
        save(filled, NOW - timedelta(days=d), duration_s=300 + 60 * d, pain=d == 9)
    out = tmp_path / "history.png"
    code, _ = run_history(["--db", str(filled), "--plot", str(out)])
    assert code == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 20_000


def test_plot_of_an_empty_history_is_a_clear_error(db: Path, tmp_path: Path) -> None:
    with pytest.raises(CoachError, match="no sessions"):
        run_history(["--db", str(db), "--plot", str(tmp_path / "x.png")])


def test_forget_asks_first_and_keeps_everything_on_no(
    filled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    code, text = run_history(["--db", str(filled), "--forget"])
    assert code == 1 and "Delete all 4 sessions" in text and "Nothing deleted" in text
    assert len(history.recent_sessions(filled)) == 4


def test_forget_deletes_everything_on_yes_including_damaged_copies(
    filled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = filled.with_name(filled.name + ".corrupt-20240101T000000Z")
    copy.write_text("old")
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    code, text = run_history(["--db", str(filled), "--forget"])
    assert code == 0 and "Deleted 4 sessions" in text
    assert history.recent_sessions(filled) == [] and not copy.exists()
    conn = sqlite3.connect(filled)
    assert conn.execute("SELECT COUNT(*) FROM reps").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0
    conn.close()
    assert b"webcam:0" not in filled.read_bytes()  # vacuumed: no old rows in free pages


def test_forget_with_yes_does_not_read_stdin(filled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _ = run_history(["--db", str(filled), "--forget", "--yes"])
    assert code == 0 and history.recent_sessions(filled) == []


def test_a_locked_answer_while_opening_is_waited_out_and_other_errors_are_not() -> None:
    from coach.io.database import _when_free

    answers = iter(["locked", "busy", "ok"])

    def step() -> str:
        a = next(answers)
        if a != "ok":
            raise sqlite3.OperationalError(f"database is {a}")
        return "wal"

    assert _when_free(step) == "wal"

    def broken() -> str:
        raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        _when_free(broken)
