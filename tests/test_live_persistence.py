"""Never lose a session: a real `coach run` subprocess, a real SQLite file, real signals."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import validate_report

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "seated-twist-good.landmarks.jsonl"  # 37 s, played in real time


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
    env.pop("COACH_DB", None)
    return env


def start_run(tmp_path: Path, *flags: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "coach", "run", "-e", "seated-twist", "--source", str(SAMPLE)]
    cmd += ["--no-window", "--no-voice", "--db", str(tmp_path / "h.sqlite3"), *flags]
    return subprocess.Popen(
        cmd,
        cwd=tmp_path,
        env=env or _env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def rows(db: Path) -> list[sqlite3.Row]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute("SELECT * FROM sessions").fetchall()


def wait_for_row(db: Path, proc: subprocess.Popen, timeout_s: float = 30.0) -> float:
    """Until the session's row exists; returns when it appeared (time.monotonic)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"coach run ended early: {proc.communicate()}")
        if db.exists():
            try:
                if rows(db):
                    return time.monotonic()
            except sqlite3.OperationalError:
                pass  # the schema is being created
        time.sleep(0.05)
    proc.kill()
    pytest.fail("the session row never appeared")


def test_sigkill_nine_seconds_in_loses_at_most_the_last_second(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    proc = start_run(tmp_path)
    appeared = wait_for_row(db, proc)
    (row,) = rows(db)
    assert row["partial"] == 1 and row["kind"] == "live"  # written at the start, marked partial
    time.sleep(9.0 - (time.monotonic() - appeared))
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    (row,) = rows(db)
    assert row["partial"] == 1
    # The sample plays at its own pace from the first frame, just after the row is written.
    assert 7.5 <= row["duration_s"] <= 9.5, row["duration_s"]
    # The sample, like MediaPipe, misses the person in a frame now and then.
    assert row["frames"] >= 70 and row["frames"] - 3 <= row["frames_with_pose"] <= row["frames"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_end_like_quit(tmp_path: Path, sig: signal.Signals) -> None:
    db, out = tmp_path / "h.sqlite3", tmp_path / "r.json"
    proc = start_run(tmp_path, "--json", str(out))
    wait_for_row(db, proc)
    time.sleep(3.0)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert "verdict:" in stdout and "Traceback" not in stderr
    report = json.loads(out.read_text())
    validate_report(report)
    assert report["ended_by"] == "signal" and report["partial"] is False
    (row,) = rows(db)
    assert row["partial"] == 0
    assert row["duration_s"] == pytest.approx(report["duration_s"])
    assert 2.0 <= report["duration_s"] <= 5.0


def test_a_full_disk_is_named_and_the_history_is_still_saved(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system to stand in for a full disk")
    proc = start_run(tmp_path, "--fast", "--max-seconds", "3", "--json", "/dev/full")
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1
    errors = [line for line in stderr.splitlines() if line.startswith("coach: error:")]
    assert len(errors) == 1 and "disk is full" in errors[0], stderr
    assert "permission" not in errors[0]
    (row,) = rows(tmp_path / "h.sqlite3")
    assert row["partial"] == 0 and row["duration_s"] >= 3.0
    assert "verdict:" in stdout  # the report was still printed


def test_json_dash_is_standard_output_alone(tmp_path: Path) -> None:
    proc = start_run(tmp_path, "--fast", "--max-seconds", "2", "--json", "-", "--no-history")
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    report = json.loads(stdout)
    validate_report(report)
    assert "verdict:" in stderr and not (tmp_path / "-").exists()


def _tz_where_local_hour_is(hour: int, now: dt.datetime) -> tuple[str, dt.timedelta]:
    """A POSIX TZ string whose local time now is `hour` o'clock (minutes as in UTC)."""
    offset_h = (hour - now.hour) % 24
    if offset_h > 14:
        offset_h -= 24
    return f"XYZ{-offset_h:+d}", dt.timedelta(hours=offset_h)


def test_daily_limits_count_the_users_local_day_not_utc(tmp_path: Path) -> None:
    """Three sessions two hours ago: 'today' or not depends on the local calendar day."""
    from coach.io import store as history

    now = dt.datetime.now(dt.UTC)
    earlier = now - dt.timedelta(hours=2)
    # Local hour 1: the sessions were yesterday (local) though maybe today in UTC; local hour
    # 12: they were today (local), though maybe yesterday in UTC. Pick the one UTC disagrees on.
    utc_same_day = earlier.date() == now.date()
    tz, offset = _tz_where_local_hour_is(1 if utc_same_day else 12, now)
    local_same_day = (earlier + offset).date() == (now + offset).date()
    assert local_same_day != utc_same_day  # the case only a local-day rule gets right
    db = tmp_path / "h.sqlite3"
    report = {
        "exercise": "seated-twist",
        "source": "x",
        "duration_s": 60.0,
        "frames": 10,
        "frames_with_pose": 10,
        "reps": [],
        "events": [],
        "summary": {"verdict": "good"},
    }
    for i in range(3):
        history.save_report(db, report, "live", earlier + dt.timedelta(minutes=i))
    proc = start_run(tmp_path, "--fast", "--max-seconds", "1", env=_env(TZ=tz))
    stdout, stderr = proc.communicate(timeout=60)
    if local_same_day:  # the 4th today: no terminal to answer, so it does not start
        assert proc.returncode == 1 and "daily limit" in (stdout + stderr), stderr
        assert len(rows(db)) == 3
    else:
        assert proc.returncode == 0, stderr
        assert len(rows(db)) == 4


def test_a_live_session_with_no_person_exits_3_and_is_kept(tmp_path: Path) -> None:
    rows_in = SAMPLE.read_text().splitlines()[:40]
    empty = [rows_in[0]]
    for row in rows_in[1:]:
        frame = json.loads(row)
        empty.append(json.dumps({"t": frame["t"], "world": None, "image": None}))
    src = tmp_path / "nobody.landmarks.jsonl"
    src.write_text("\n".join(empty) + "\n")
    cmd = [sys.executable, "-m", "coach", "run", "-e", "seated-twist", "--source", str(src)]
    cmd += ["--no-window", "--no-voice", "--fast", "--db", str(tmp_path / "h.sqlite3")]
    result = subprocess.run(
        cmd, cwd=tmp_path, env=_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    assert result.returncode == 3, result.stderr
    assert "0/39 frames" in result.stdout
    (row,) = rows(tmp_path / "h.sqlite3")
    assert row["frames_with_pose"] == 0 and row["partial"] == 0
