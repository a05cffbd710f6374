"""The command line as a person meets it: clear one-line errors, no tracebacks, written reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import TWIST_CLIP, angle_at, need_footage, twist_frame

from coach.io.landmark_file import write_landmarks

CONTRACT_KEYS = {
    "exercise",
    "source",
    "duration_s",
    "frames",
    "frames_with_pose",
    "reps",
    "events",
    "summary",
}
PLAN = [
    (0.0, 0.0),
    (1.5, 0.0),
    (3.0, 38.0),
    (10.0, 38.0),
    (11.5, 0.0),
    (14.0, 0.0),
    (15.5, -36.0),
    (22.0, -36.0),
    (23.5, 0.0),
    (25.0, 0.0),
]


def coach(
    *args: str, cwd: Path | None = None, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COACH_DB": str(Path(cwd or ".") / "history.sqlite3"), **extra_env}
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


@pytest.fixture
def twist_file(tmp_path: Path) -> Path:
    frames = [twist_frame(i / 30, angle_at(i / 30, PLAN)) for i in range(25 * 30)]
    path = tmp_path / "twist.landmarks.jsonl"
    write_landmarks(path, frames, 30.0, "test")
    return path


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("coach: error:")]
    assert len(errors) == 1, result.stderr
    for w in words:
        assert w in errors[0]


def test_list_and_show_explain_the_stretches():
    out = coach("list").stdout
    assert "seated-twist" in out and "knees-to-chest" in out
    show = coach("show", "knees-to-chest").stdout
    assert ("30 s" in show and "side view" in show.lower()) or "side view" in show
    assert "stop" in show.lower() and "pain" in show.lower()


def test_score_landmark_file_writes_the_report_contract(tmp_path, twist_file):
    out = tmp_path / "r.json"
    result = coach(
        "score",
        str(twist_file),
        "--exercise",
        "seated-twist",
        "--variant",
        "chair",
        "--json",
        str(out),
        "--no-history",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert set(report) >= CONTRACT_KEYS
    assert [r["side"] for r in report["reps"]] == ["right", "left"]
    assert all(r["ok"] for r in report["reps"])
    assert "verdict" in report["summary"]
    assert "Seated floor twist" in result.stdout


def test_score_auto_recognises_the_twist_and_writes_plot_and_summary(tmp_path, twist_file):
    result = coach(
        "score", str(twist_file), "--out", str(tmp_path / "out"), "--no-history", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "out" / "twist"
    report = json.loads((folder / "report.json").read_text())
    assert report["exercise"] == "seated-twist"
    assert report["recognition"]["confidence"] > 0.5
    assert (folder / "summary.txt").read_text().startswith("Seated floor twist")
    assert (folder / "angles.png").stat().st_size > 10_000


def test_missing_file(tmp_path):
    assert_one_clear_line(
        coach("score", "nowhere.mp4", cwd=tmp_path), "nowhere.mp4", "no such file"
    )


def test_unknown_exercise_fails_before_decoding(tmp_path, twist_file):
    result = coach("score", str(twist_file), "--exercise", "backflip", cwd=tmp_path)
    assert_one_clear_line(result, "backflip", "seated-twist")


def test_a_text_file_dressed_as_a_video(tmp_path):
    fake = tmp_path / "holiday.mp4"
    fake.write_text("not a video at all")
    assert_one_clear_line(coach("score", str(fake), "--no-history", cwd=tmp_path), "holiday.mp4")


def test_a_file_of_unknown_kind(tmp_path):
    doc = tmp_path / "notes.txt"
    doc.write_text("hello")
    assert_one_clear_line(coach("score", str(doc), cwd=tmp_path), "notes.txt", "not a video")


def test_a_folder_without_videos(tmp_path):
    (tmp_path / "empty").mkdir()
    assert_one_clear_line(coach("score", str(tmp_path / "empty"), cwd=tmp_path), "no videos")


def test_a_corrupt_landmark_file_keeps_what_was_read(tmp_path, twist_file):
    lines = twist_file.read_text().splitlines()
    broken = tmp_path / "broken.landmarks.jsonl"
    broken.write_text("\n".join(lines[:400]) + "\n{not json\n")
    out = tmp_path / "partial.json"
    result = coach(
        "score", str(broken), "-e", "seated-twist", "--no-history", "--json", str(out), cwd=tmp_path
    )
    assert_one_clear_line(result, "broken.landmarks.jsonl:401", "partial")
    report = json.loads(out.read_text())
    assert report["partial"] is True and "401" in report["partial_reason"]
    assert report["frames"] == 399 and report["reps"][0]["side"] == "right"


def test_a_landmark_file_with_a_wrong_header(tmp_path):
    bad = tmp_path / "bad.landmarks.jsonl"
    bad.write_text('{"format": "something-else"}\n')
    assert_one_clear_line(coach("score", str(bad), cwd=tmp_path), "not a coach landmark file")


def test_unwritable_output_folder(tmp_path, twist_file):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    result = coach(
        "score",
        str(twist_file),
        "-e",
        "seated-twist",
        "--out",
        str(blocker),
        "--no-history",
        cwd=tmp_path,
    )
    assert_one_clear_line(result, "file-not-folder")


def test_one_bad_input_does_not_stop_the_batch(tmp_path, twist_file):
    result = coach(
        "score",
        str(twist_file),
        str(tmp_path / "missing.mp4"),
        "--out",
        str(tmp_path / "out"),
        "--jobs",
        "2",
        "--no-history",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (tmp_path / "out" / "twist" / "report.json").exists()
    assert "missing.mp4" in result.stdout  # named in the final table


def test_run_from_a_file_headless_saves_the_report(tmp_path, twist_file):
    out = tmp_path / "live.json"
    result = coach(
        "run",
        "--exercise",
        "seated-twist",
        "--variant",
        "chair",
        "--source",
        str(twist_file),
        "--fast",
        "--no-window",
        "--no-voice",
        "--no-history",
        "--json",
        str(out),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert [r["side"] for r in report["reps"]] == ["right", "left"]
    assert "coach says:" in result.stdout


def test_run_with_no_camera_is_one_clear_line(tmp_path):
    result = coach(
        "run",
        "--exercise",
        "seated-twist",
        "--camera",
        "7",
        "--no-window",
        "--no-voice",
        "--no-history",
        cwd=tmp_path,
    )
    assert_one_clear_line(result, "camera 7")


def test_daily_limit_stops_a_second_live_session_unless_forced(tmp_path, twist_file):
    config = tmp_path / "config.toml"
    config.write_text("[limits]\nsessions_per_exercise_per_day = 1\n")
    run = (
        "run",
        "-e",
        "seated-twist",
        "--variant",
        "chair",
        "--source",
        str(twist_file),
        "--fast",
        "--no-window",
        "--no-voice",
    )
    first = coach(*run, cwd=tmp_path, COACH_CONFIG=str(config))
    assert first.returncode == 0, first.stderr
    second = coach(*run, cwd=tmp_path, COACH_CONFIG=str(config))
    assert second.returncode == 1
    assert "daily limit is 1" in second.stdout and "--force" in second.stderr
    out = tmp_path / "forced.json"
    forced = coach(*run, "--force", "--json", str(out), cwd=tmp_path, COACH_CONFIG=str(config))
    assert forced.returncode == 0, forced.stderr
    events = json.loads(out.read_text())["events"]
    assert [e["type"] for e in events].count("daily_limit") == 1
    history = json.loads(coach("history", "--json", cwd=tmp_path).stdout)
    sessions = history if isinstance(history, list) else history["sessions"]
    assert len(sessions) == 2 and sum(bool(s["forced"]) for s in sessions) == 1


@pytest.mark.footage
def test_score_keeps_the_pose_librarys_log_lines_out_unless_verbose(tmp_path: Path):
    """MediaPipe's native lines (TFLite delegate, absl) would mix with coach's own."""
    clip = str(need_footage(TWIST_CLIP))
    args = ("score", clip, "-e", "seated-twist", "--jobs", "1", "--end", "1")
    quiet = coach(*args, cwd=tmp_path)
    loud = coach(*args, "--verbose", cwd=tmp_path)
    assert quiet.returncode == loud.returncode == 0
    assert "TensorFlow Lite" in loud.stderr  # the lines exist, so hiding them is real
    assert "TensorFlow Lite" not in quiet.stderr
    assert "absl" not in quiet.stderr
    assert "Seated floor twist" in quiet.stdout  # coach's own words still reach the person
