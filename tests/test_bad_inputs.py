"""Every bad input: one clear line, the right exit status (0/1/2/3), nothing lost."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import validate_report

from coach.cli import build_parser, main
from coach.core.report import report_schema
from coach.errors import EXIT_ERROR, EXIT_NOTHING, EXIT_USAGE, os_cause
from coach.io import database
from coach.io import store as history

ROOT = Path(__file__).resolve().parents[1]
TWIST = ROOT / "samples" / "seated-twist-good.landmarks.jsonl"


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def header_line(**changes: object) -> str:
    head = json.loads(lines(TWIST)[0])
    head.update(changes)
    return json.dumps(head)


def write(path: Path, *rows: str) -> Path:
    path.write_text("\n".join(rows) + "\n")
    return path


def unrecognised(tmp_path: Path, name: str = "short.landmarks.jsonl") -> Path:
    """Two seconds of sitting still: a person, but none of the stretches."""
    return write(tmp_path / name, *lines(TWIST)[:21])


def one_error_line(err: str) -> str:
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("coach: error:")]
    assert len(errors) == 1, err
    return errors[0]


def score(*args: str) -> int:
    return main(["score", *args, "--no-history"])


# ----- unrecognised input ------------------------------------------------------------------
def test_unrecognised_input_with_out_writes_everything_and_exits_3(tmp_path, capsys) -> None:
    src = unrecognised(tmp_path)
    out = tmp_path / "out"
    assert score(str(src), "--out", str(out)) == EXIT_NOTHING
    d = out / "short"
    for name in ("report.json", "summary.txt", "report.html", "angles.csv"):
        assert (d / name).is_file(), name
    report = json.loads((d / "report.json").read_text())
    validate_report(report)
    assert report["exercise"] is None and report["summary"]["verdict"] == "not_recognised"
    assert "none of the stretches" in (d / "summary.txt").read_text()
    err = capsys.readouterr().err
    assert "Traceback" not in err and "no angle plot without a recognised stretch" in err


def test_a_serial_batch_goes_on_past_an_unrecognised_input(tmp_path, capsys) -> None:
    first = unrecognised(tmp_path, "a-short.landmarks.jsonl")
    second = shutil.copy(TWIST, tmp_path / "b-twist.landmarks.jsonl")
    out = tmp_path / "out"
    status = score(str(first), str(second), "--out", str(out), "--jobs", "1", "-q")
    assert status == EXIT_NOTHING  # one held nothing to judge, none failed
    assert (out / "a-short" / "report.json").is_file()
    good = json.loads((out / "b-twist" / "report.json").read_text())
    assert good["exercise"] == "seated-twist" and good["summary"]["reps_total"] >= 1


# ----- landmark files -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "word"),
    [({"fps": "thirty"}, '"thirty"'), ({"fps": -5}, "-5"), ({"fps": True}, "true")],
)
def test_bad_header_fps_is_one_line(tmp_path, capsys, header, word) -> None:
    src = write(tmp_path / "x.landmarks.jsonl", header_line(**header), *lines(TWIST)[1:30])
    assert score(str(src)) == EXIT_ERROR
    line = one_error_line(capsys.readouterr().err)
    assert "fps" in line and word in line and str(src) in line


def test_nan_timestamp_is_one_line(tmp_path, capsys) -> None:
    rows = lines(TWIST)[:30]
    frame = json.loads(rows[5])
    rows[5] = json.dumps({**frame, "t": float("nan")})  # json writes NaN, as numpy tools do
    src = write(tmp_path / "x.landmarks.jsonl", *rows)
    assert score(str(src)) == EXIT_ERROR
    line = one_error_line(capsys.readouterr().err)
    assert ":6:" in line and "'t'" in line


def _nan_frame(row: str) -> str:
    frame = json.loads(row)
    for key in ("world", "image"):
        if frame.get(key) is not None:
            frame[key] = [[float("nan")] * 4 for _ in frame[key]]
    return json.dumps(frame)


def test_nan_landmarks_are_unseen_not_a_person(tmp_path, capsys) -> None:
    rows = lines(TWIST)
    nan_every_other = [rows[0]] + [_nan_frame(r) if i % 2 else r for i, r in enumerate(rows[1:])]
    src = write(tmp_path / "half.landmarks.jsonl", *nan_every_other)
    report_path = tmp_path / "half.json"
    score(str(src), "--json", str(report_path), "-e", "seated-twist")
    report = json.loads(report_path.read_text())
    frames = len(rows) - 1
    with_pose = sum(
        1 for i, r in enumerate(rows[1:]) if not i % 2 and json.loads(r).get("world") is not None
    )
    assert report["frames"] == frames and report["frames_with_pose"] == with_pose

    all_nan = write(tmp_path / "nan.landmarks.jsonl", rows[0], *map(_nan_frame, rows[1:]))
    capsys.readouterr()
    assert score(str(all_nan), "-e", "seated-twist") == EXIT_NOTHING
    assert f"0/{frames} frames" in capsys.readouterr().out


def test_nan_landmark_rows_are_unseen_and_kept_finite(tmp_path) -> None:
    from coach.io.landmark_file import read_landmarks

    frame = json.loads(lines(TWIST)[10])
    frame["world"][0] = [float("nan"), 0.0, 0.0, 0.99]
    src = write(tmp_path / "x.landmarks.jsonl", lines(TWIST)[0], json.dumps(frame))
    (pose,) = list(read_landmarks(src)[1])
    assert pose.has_pose and pose.world is not None
    assert pose.world[0, 3] == 0.0 and not pose.seen(0)
    assert bool((pose.world == pose.world).all())  # no NaN left


def test_header_only_file_does_not_blame_start_end(tmp_path, capsys) -> None:
    src = write(tmp_path / "empty.landmarks.jsonl", lines(TWIST)[0])
    assert score(str(src)) == EXIT_ERROR
    line = one_error_line(capsys.readouterr().err)
    assert "no frames" in line and "--start" not in line
    assert score(str(TWIST), "--start", "500") == EXIT_ERROR
    assert "--start/--end" in one_error_line(capsys.readouterr().err)


# ----- batches ------------------------------------------------------------------------------
def test_batch_table_keeps_markup_like_file_names(tmp_path, capsys) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(TWIST, folder / "[x].landmarks.jsonl")
    unrecognised(folder, "[red]b.landmarks.jsonl")
    (folder / "older").mkdir()
    (folder / "also").mkdir()
    score(str(folder), "--jobs", "1", "-q")
    captured = capsys.readouterr()
    assert "[x]." in captured.out  # rich would have eaten "[x]" as markup
    assert "[red]b" in captured.out
    assert "2 subfolder(s) not scored (also, older)" in captured.err


@pytest.mark.parametrize("jobs", ["0", "-3", "two"])
def test_jobs_below_one_is_a_usage_error(jobs, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["score", str(TWIST), "--jobs", jobs])
    assert exit_info.value.code == EXIT_USAGE
    assert "--jobs" in capsys.readouterr().err


# ----- --json -, history --json, exit statuses ----------------------------------------------
def test_score_json_dash_is_standard_output(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert score(str(TWIST), "--json", "-") == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)  # nothing else on standard output
    validate_report(report)
    assert "verdict:" in captured.err and not (tmp_path / "-").exists()


def _db_with_sessions(path: Path, n: int) -> Path:
    report = {
        "exercise": "seated-twist",
        "source": "x" * 200,
        "duration_s": 60.0,
        "frames": 10,
        "frames_with_pose": 10,
        "reps": [],
        "events": [],
        "summary": {"verdict": "good"},
    }
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(n):
        history.save_report(path, report, "scored", start + timedelta(hours=i))
    return path


def test_history_json_flag_dash_and_path(tmp_path, capsys) -> None:
    db = _db_with_sessions(tmp_path / "h.sqlite3", 3)
    assert main(["history", "--db", str(db), "--json"]) == 0
    flag = json.loads(capsys.readouterr().out)
    assert main(["history", "--db", str(db), "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out) == flag
    target = tmp_path / "sessions.json"
    assert main(["history", "--db", str(db), "--json", str(target)]) == 0
    assert json.loads(target.read_text()) == flag and len(flag["sessions"]) == 3


def test_unknown_exercise_is_a_usage_error_and_a_missing_file_an_input_error(capsys) -> None:
    assert score(str(TWIST), "-e", "no-such-stretch") == EXIT_USAGE
    assert "unknown exercise" in one_error_line(capsys.readouterr().err)
    assert score("/nonexistent/clip.mp4") == EXIT_ERROR
    assert "no such file" in one_error_line(capsys.readouterr().err)


def test_exit_statuses_are_in_help_and_readme() -> None:
    text = " ".join(build_parser().format_help().split())
    for words in ("0 done", "1 an input or run-time error", "2 a usage error", "3 an input held"):
        assert words in text
    readme = (ROOT / "README.md").read_text()
    assert "Exit status" in readme and "| 3 |" in readme


def test_reader_leaving_the_pipe_is_quiet(tmp_path) -> None:
    db = _db_with_sessions(tmp_path / "h.sqlite3", 400)  # JSON far over a pipe's buffer
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for args in (["history", "--db", str(db), "--json"], ["score", str(TWIST), "--no-history"]):
        cmd = " ".join(f"'{a}'" for a in [sys.executable, "-m", "coach", *args])
        result = subprocess.run(
            ["bash", "-o", "pipefail", "-c", f"{cmd} | head -1"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
        assert result.stdout.strip(), args
        assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, args
        assert result.returncode == 0, (args, result.stderr)


# ----- causes named ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("exc", "word"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "disk is full"),
        (OSError(errno.EROFS, "Read-only file system"), "read-only"),
        (OSError(errno.EACCES, "Permission denied"), "permission denied"),
        (sqlite3.OperationalError("database or disk is full"), "disk is full"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "read-only"),
    ],
)
def test_write_failures_name_the_real_cause(exc, word) -> None:
    assert word in os_cause(exc)[0]


# ----- history on a read-only database ------------------------------------------------------
def test_integrity_is_checked_once_per_process(tmp_path, monkeypatch) -> None:
    db = _db_with_sessions(tmp_path / "h.sqlite3", 2)
    calls: list[object] = []
    real = database.quick_check

    def counting(conn: sqlite3.Connection) -> list[tuple[str]]:
        calls.append(conn)
        return real(conn)

    monkeypatch.setattr(database, "_CHECKED", {})
    monkeypatch.setattr(database, "quick_check", counting)
    for _ in range(3):
        history.save_report(
            db,
            {
                "exercise": "x",
                "source": None,
                "duration_s": 1.0,
                "frames": 1,
                "frames_with_pose": 1,
                "reps": [],
                "events": [],
                "summary": {},
            },
            "scored",
            datetime.now(UTC),
        )
    for _ in range(3):
        assert len(history.recent_sessions(db)) == 5
    assert len(calls) == 1
    db.write_bytes(db.read_bytes())  # changed by someone else: checked again, once
    assert len(history.recent_sessions(db)) == 5
    assert len(history.recent_sessions(db)) == 5
    assert len(calls) == 2


def test_reads_do_not_write(tmp_path) -> None:
    db = _db_with_sessions(tmp_path / "h.sqlite3", 2)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    os.chmod(db, 0o444)
    with database.connect_read(db) as conn:
        assert conn is not None
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("DELETE FROM sessions")
    assert len(history.recent_sessions(db)) == 2
    assert history.recent_sessions(tmp_path / "none.sqlite3") == []
    assert not (tmp_path / "none.sqlite3").exists()  # reading never creates a database


def test_history_on_a_read_only_file_system(tmp_path) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare to mount a read-only file system")
    folder = tmp_path / "ro"
    folder.mkdir()
    db = _db_with_sessions(folder / "h.sqlite3", 3)
    script = (
        f"mount --bind '{folder}' '{folder}' && mount -o remount,bind,ro '{folder}' && "
        f"touch '{folder}/probe' 2>/dev/null && exit 99; "
        f"exec '{sys.executable}' -m coach history --db '{db}' --json"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, env=env
    )
    if result.returncode != 0 and "mount" in result.stderr:
        pytest.skip(f"cannot mount read-only here: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["sessions"]) == 3


def test_schema_ships_in_the_package() -> None:
    schema = report_schema()
    assert schema["properties"]["format"]["const"] == "coach-report"
    toml = (ROOT / "pyproject.toml").read_text()
    assert '"coach.core" = ["report_schema.json"]' in toml


def test_history_db_that_is_a_folder_is_one_line(tmp_path, capsys) -> None:
    assert main(["history", "--db", str(tmp_path)]) == EXIT_ERROR
    assert "is a folder" in one_error_line(capsys.readouterr().err)


def test_unknown_variant_is_a_usage_error(capsys) -> None:
    assert score(str(TWIST), "-e", "seated-twist", "--variant", "bogus") == EXIT_USAGE
    assert "no variant 'bogus'" in one_error_line(capsys.readouterr().err)


def test_damaged_line_names_the_file_once(tmp_path, capsys) -> None:
    rows = lines(TWIST)[:30]
    src = write(tmp_path / "cut.landmarks.jsonl", *rows, rows[-1][:40])
    assert score(str(src), "-q") == EXIT_ERROR
    line = one_error_line(capsys.readouterr().err)
    assert line.count(str(src)) == 1 and ":31:" in line


def test_a_landmark_file_without_world_landmarks_says_so(tmp_path, capsys) -> None:
    rows = lines(TWIST)
    image_only = [rows[0]] + [json.dumps({**json.loads(r), "world": None}) for r in rows[1:]]
    src = write(tmp_path / "flat.landmarks.jsonl", *image_only)
    status = score(str(src), "-e", "seated-twist", "--no-history")
    err = capsys.readouterr().err
    assert status == EXIT_ERROR
    assert len([x for x in err.splitlines() if x.startswith("coach: error:")]) == 1
    assert "image landmarks only" in err and "--save-landmarks" in err
