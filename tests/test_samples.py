"""The shipped samples say what their names say: the README's first command scores one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coach.core.report import build_report
from coach.core.scoring import score_frames
from coach.io.landmark_file import read_landmarks
from coach.io.poses import load_exercise

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def judged(name: str) -> tuple[dict, dict]:
    path = SAMPLES / f"{name}.landmarks.jsonl"
    truth = json.loads((SAMPLES / f"{name}.truth.json").read_text())
    _, frames = read_landmarks(path)
    session, _ = score_frames(list(frames), load_exercise(truth["exercise"]))
    return build_report(session, str(path)), truth


@pytest.mark.parametrize("name", ["seated-twist-good", "knees-to-chest-good"])
def test_a_good_sample_gets_a_good_verdict_with_its_reps(name: str) -> None:
    report, truth = judged(name)
    assert report["summary"]["verdict"] == "good", report["summary"]
    assert [r["side"] for r in report["reps"]] == [r["side"] for r in truth["reps"]]
    assert all(r["ok"] for r in report["reps"])


def test_the_faults_sample_gets_a_caution_naming_its_faults() -> None:
    report, truth = judged("standing-back-extension-faults")
    assert report["summary"]["verdict"] == "caution"
    found = {e["type"] for e in report["events"]}
    # The README names these three; the sample's 10 frames a second cannot show a jolt.
    assert {"too_fast", "overextension", "lost_view"} <= found
    assert {"too_fast", "overextension", "lost_view"} <= {e["type"] for e in truth["events"]}
