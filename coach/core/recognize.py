"""Which of the stretches does a recording show, and how sure are we? (pure)

Each exercise's own rules are the model: a recording that shows a stretch spends time with
that stretch's target angles in their bands, in the camera view the stretch asks for, and
reaches the target pose from the start pose. No thresholds are tuned to particular clips.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from coach.core.angles import rule_name
from coach.core.exercises import Exercise
from coach.core.geometry import UP, angle_between, horizontal_yaw
from coach.core.landmarks import PoseFrame
from coach.core.scoring import AngleSeries, score_frames

MIN_SCORE = 0.25  # below this the recording is "none of the stretches"


@dataclass(frozen=True)
class Recognition:
    exercise_id: str | None
    confidence: float  # 0..1
    scores: dict[str, float]
    reason: str


def view_of(frames: list[PoseFrame]) -> str | None:
    """'front' or 'side' from the hip line's heading against the camera's x axis."""
    yaws = []
    for f in frames:
        left, right = (
            f.point("left_hip", min_visibility=0.0),
            f.point("right_hip", min_visibility=0.0),
        )
        if left is not None and right is not None:
            yaw = abs(horizontal_yaw(left - right))
            yaws.append(min(yaw, 180.0 - yaw))  # 0 = hips square to the camera, 90 = side-on
    if not yaws:
        return None
    return "side" if float(np.median(yaws)) > 45.0 else "front"


def guess_variant(frames: list[PoseFrame], exercise: Exercise) -> str | None:
    """The chair form of the twist: hips well above the ankles (a chair, not the floor)."""
    if "chair" not in exercise.variants:
        return None
    drops = []
    for f in frames:
        hip, ankle = (
            f.point("mid_hip", min_visibility=0.3),
            f.point("mid_ankle", min_visibility=0.3),
        )
        if hip is not None and ankle is not None:
            drops.append(float(ankle[1] - hip[1]))  # y points down: ankles below hips
    if not drops:
        return None
    return "chair" if float(np.median(drops)) > 0.3 else None


def posture_of(frame: PoseFrame) -> str | None:
    """standing / seated (chair, stool, ball) / floor / lying, from trunk tilt and leg drop."""
    hip, shoulder = (
        frame.point("mid_hip", min_visibility=0.3),
        frame.point("mid_shoulder", min_visibility=0.3),
    )
    if hip is None or shoulder is None:
        return None
    torso = shoulder - hip
    torso_len = float(np.linalg.norm(torso))
    if torso_len < 1e-6:
        return None
    if angle_between(torso, UP) > 55.0:
        return "lying"
    thighs = []
    for side in ("left", "right"):
        h, k = (
            frame.point(f"{side}_hip", min_visibility=0.0),
            frame.point(f"{side}_knee", min_visibility=0.0),
        )
        if h is not None and k is not None:
            thighs.append(angle_between(k - h, -UP))  # 0 = thigh hanging straight down
    if len(thighs) < 2:
        return None
    if min(thighs) < 50.0:  # a leg under the body: standing, lunging, kneeling
        return "standing"
    ankle = frame.point("mid_ankle", min_visibility=0.0)
    if ankle is None:
        return None
    drop = float(ankle[1] - hip[1]) / torso_len  # y points down: feet below a chair seat
    return "seated" if drop > 0.45 else "floor"


def posture_match(frames: list[PoseFrame], exercise: Exercise) -> float:
    """Share of classified frames whose posture the exercise allows."""
    postures = [p for p in (posture_of(f) for f in frames) if p is not None]
    if not postures:
        return 0.5
    return sum(p in exercise.postures for p in postures) / len(postures)


def fit(frames: list[PoseFrame], exercise: Exercise, view: str | None) -> float:
    """0..1: share of seen time in the target pose, and reaching it, in the right view."""
    session, series = score_frames(frames, exercise.with_variant(guess_variant(frames, exercise)))
    seen = session.seen_s
    if seen <= 0 and len(frames) > 1:
        return 0.0
    if len(frames) == 1:
        return _still_fit(series, exercise) * posture_match(frames, exercise)
    in_range = session.time_in_range_s / seen
    reached = min(1.0, len(session.reps) / 2.0)
    score = 0.6 * min(1.0, in_range / 0.3) + 0.4 * reached
    if view is not None and view != exercise.view:
        score *= 0.5
    return score * posture_match(frames, exercise)


def _still_fit(series: AngleSeries, exercise: Exercise) -> float:
    """A photo has no motion: weigh how many angles sit in their bands (target ones double)."""
    hits, total = 0.0, 0.0
    for rule in exercise.angles:
        weight = 2.0 if rule.role == "target" else 1.0
        values = [float(v[0]) for k, v in series.raw.items() if rule_name(k) == rule.name]
        values = [v for v in values if math.isfinite(v)]
        total += weight
        if any(rule.judge_still(v) == "in_range" for v in values):
            hits += weight
        elif rule.role == "target":
            return 0.0  # the stretch's own target missed: not this stretch
    return hits / total if total else 0.0


def recognize(
    frames: list[PoseFrame], exercises: dict[str, Exercise], view: str | None = None
) -> Recognition:
    """Best-fitting stretch; `view` is the user's hint where the camera angle is ambiguous."""
    view = view or view_of(frames)
    scores = {ex_id: round(fit(frames, ex, view), 3) for ex_id, ex in exercises.items()}
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    best_id, best = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    if best < MIN_SCORE:
        return Recognition(
            None,
            round(1.0 - best, 2),
            scores,
            f"no stretch matched (best: {best_id} at {best:.2f})",
        )
    margin = (best - second) / best if best > 0 else 0.0
    confidence = round(min(1.0, best) * (0.5 + 0.5 * margin), 2)
    return Recognition(
        best_id,
        confidence,
        scores,
        f"{best_id} scored {best:.2f}, next {ranked[1][0]} {second:.2f}"
        f" (view: {view or 'unknown'})",
    )
