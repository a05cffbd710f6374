"""`coach simulate` and `python -m coach.sim` run as a user runs them, in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coach.io.landmark_file import read_landmarks
from coach.sim import generator as sim

ROOT = Path(__file__).resolve().parents[1]


def run(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.run(
        [sys.executable, *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path, "COACH_DB": str(cwd / "history.sqlite3")},
        timeout=300,
    )


@pytest.mark.parametrize("entry", [("-m", "coach.cli", "simulate"), ("-m", "coach.sim")])
def test_simulate_writes_a_landmark_file_and_its_truth(tmp_path: Path, entry) -> None:
    out = tmp_path / "fast.landmarks.jsonl"
    result = run(
        *entry,
        *("--exercise", "knees-to-chest", "--scenario", "too_fast", "--seed", "4"),
        *("--out", str(out), "--fps", "12", "--reps", "1", "--compact"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    header, frames = read_landmarks(out)
    frames = list(frames)
    truth = json.loads(sim.truth_path(out).read_text())
    assert header.source == sim.SOURCE and header.fps == 12.0
    assert header.extra["truth"] == truth
    assert truth["exercise"] == "knees-to-chest" and truth["seed"] == 4
    assert len(truth["reps"]) == 1
    assert "too_fast" in {e["type"] for e in truth["events"]}
    assert abs(frames[-1].t - truth["duration_s"]) < 1e-3
    assert f"{len(frames)} frames" in result.stdout


def test_simulate_same_seed_same_file(tmp_path: Path) -> None:
    outs = [tmp_path / f"{i}.landmarks.jsonl" for i in range(2)]
    for out in outs:
        args = ("--exercise", "seated-twist", "--seed", "9", "--reps", "1", "--fps", "10")
        result = run("-m", "coach.cli", "simulate", *args, "--out", str(out), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    assert outs[0].read_bytes() == outs[1].read_bytes()


@pytest.mark.parametrize(
    ("flags", "word"),
    [(("--scenario", "sloppy"), "sloppy"), (("--fps", "fast"), "--fps")],
)
def test_simulate_bad_input_is_one_clear_line(tmp_path: Path, flags, word) -> None:
    out = tmp_path / "x.landmarks.jsonl"
    result = run(
        "-m", "coach.cli", "simulate", "-e", "seated-twist", *flags, "--out", str(out), cwd=tmp_path
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("coach: error:")]
    assert len(errors) == 1 and word in errors[0], result.stderr
    assert not out.exists()


def test_simulate_into_a_missing_folder_is_one_clear_line(tmp_path: Path) -> None:
    out = tmp_path / "nowhere" / "x.landmarks.jsonl"
    result = run(
        "-m", "coach.sim", "-e", "seated-twist", "--reps", "1", "--out", str(out), cwd=tmp_path
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "cannot write" in result.stderr
