"""Real MediaPipe on real footage: the offline pipeline end to end (skips without footage)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import FOOTAGE, KNEE_CLIP, TWIST_CLIP, need_footage

from coach.commands.score import score_one
from coach.commands.score_compute import ScoreOptions

pytestmark = [pytest.mark.footage, pytest.mark.slow]


def options(**kw) -> ScoreOptions:
    return ScoreOptions(**{"pose_jobs": 2, **kw})


def test_seated_twist_clip_is_recognised_with_reps_on_each_side(tmp_path: Path):
    outcome = score_one(need_footage(TWIST_CLIP), options(out_dir=str(tmp_path)))
    assert outcome.error is None
    report = outcome.report
    assert report["exercise"] == "seated-twist"
    assert report["variant"] == "chair"  # seated on a chair: legs are not judged
    assert report["recognition"]["confidence"] >= 0.5
    sides = [r["side"] for r in report["reps"]]
    assert "right" in sides and "left" in sides
    assert report["frames_with_pose"] >= 0.95 * report["frames"]
    assert (tmp_path / "seated_spinal_twist" / "angles.png").exists()


def test_knee_clip_is_recognised_with_its_holds():
    outcome = score_one(need_footage(KNEE_CLIP), options())
    report = outcome.report
    assert report["exercise"] == "knees-to-chest"
    # One double-knee hold (31.5 s to the end); single-knee pulls and the close-up, where the
    # legs are out of the picture and the pose model invents the hidden knee, are no reps.
    assert len(report["reps"]) == 1
    assert report["reps"][0]["start_s"] > 29.0
    assert all(r["hold_s"] >= 3.0 for r in report["reps"])
    assert all(r["peak_deg"]["hip_flexion"] < 60 for r in report["reps"])


@pytest.mark.parametrize(
    "clip",
    ["malikmrllh__exercises/clapsoverhead.mp4", "AlishbahGhazanfar__Yoga-Pose-Estimation/yoga.mp4"],
)
def test_a_video_without_these_stretches_is_not_reported_as_one(clip: str):
    outcome = score_one(need_footage(FOOTAGE / clip), options(sample_fps=15))
    assert outcome.report is not None
    assert outcome.report["exercise"] is None
    assert outcome.report["summary"]["verdict"] == "not_recognised"


def test_photo_of_hugged_knees_is_judged_as_one_moment():
    photo = need_footage(FOOTAGE / "yuhonas__free-exercise-db/exercises/Hug_Knees_To_Chest/1.jpg")
    report = score_one(photo, options()).report
    assert report["exercise"] == "knees-to-chest"
    assert report["reps"] == [] and report["still"] is True
    assert report["angles"]["hip_flexion"]["verdict"] == "in_range"
