"""Which of the stretches does a recording show, and how sure are we? (pure)

Each exercise's own rules are the model: a recording that shows a stretch spends time with
that stretch's target angles in their bands, in the camera view the stretch asks for, and
reaches the target pose from the start pose. No thresholds are tuned to particular clips.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from coach.core.angles import rule_name
from coach.core.exercises import AngleRule, Exercise, Recognise
from coach.core.geometry import UP, angle_between, horizontal_yaw
from coach.core.landmarks import PoseFrame
from coach.core.scoring import AngleSeries, score_frames

MIN_SCORE = 0.35  # below this the recording is "none of the stretches"
TIE_MARGIN = 0.15  # a best score within this of the next is "not sure", never list order
FACE_UP_DEG = 70.0  # nose-from-ears within this of straight up: lying face up
FACE_DOWN_DEG = 140.0  # ...beyond this from up: face down (child's pose, a forward fold)
TRAVEL_TORSOS_PER_S = 0.5  # hips moving this fast (torso lengths a second) are walking
PHOTO_MARGIN_DEG = 5.0  # a photo's target angle must be this far inside the band
BODY_SHARE = 0.6  # in-band moments that keep the stretch's body placement for a full score
START_PHOTO_WEIGHT = 0.6  # a start-position photo fits less than a photo of the stretch itself
DOWN = -np.asarray(UP, dtype=float)


@dataclass(frozen=True)
class Recognition:
    exercise_id: str | None
    confidence: float  # 0..1
    scores: dict[str, float]
    reason: str
    position: str | None = None  # photos: "start" (the set-up) or "target" (the stretch held)

    def as_report(self) -> dict[str, Any]:
        """The report's `recognition` object (one shape for every input)."""
        return {
            "exercise": self.exercise_id,
            "confidence": self.confidence,
            "scores": self.scores,
            "reason": self.reason,
            "position": self.position,
        }


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


def facing_of(frame: PoseFrame) -> str | None:
    """'up', 'forward' or 'down': where the face points, from the nose against the ears."""
    nose = frame.point("nose", min_visibility=0.0)
    ears = frame.point("mid_ear", min_visibility=0.0)
    if nose is None or ears is None:
        return None
    tilt = angle_between(nose - ears, UP)
    if tilt < FACE_UP_DEG:
        return "up"
    return "down" if tilt > FACE_DOWN_DEG else "forward"


def facing_match(frames: list[PoseFrame], exercise: Exercise) -> float:
    """Share of frames whose facing the exercise allows (knees-to-chest is face up; a
    child's pose or a fold over a chair is face down)."""
    faces = [f for f in (facing_of(fr) for fr in frames) if f is not None]
    if not faces or not exercise.facing:
        return 1.0
    return sum(f in exercise.facing for f in faces) / len(faces)


def posture_match(frames: list[PoseFrame], exercise: Exercise) -> float:
    """Share of classified frames whose posture the exercise allows."""
    postures = [p for p in (posture_of(f) for f in frames) if p is not None]
    if not postures:
        return 0.5
    return sum(p in exercise.postures for p in postures) / len(postures)


def fit(frames: list[PoseFrame], exercise: Exercise, view: str | None) -> float:
    """0..1: share of seen time in the target pose, and reaching it, in the right view."""
    judged = exercise.with_variant(guess_variant(frames, exercise))
    session, series = score_frames(frames, judged)
    seen = session.seen_s
    if seen <= 0 and len(frames) > 1:
        return 0.0
    body = posture_match(frames, exercise) * facing_match(frames, exercise)
    if len(frames) == 1:
        if frames[0].has_pose and body_fails(frames[0], exercise.recognise):
            return 0.0  # the trunk may match, but the body is placed as another exercise
        return _still_fit(series, exercise) * body
    in_range = session.time_in_range_s / seen
    reached = min(1.0, len(session.reps) / 2.0)
    score = 0.6 * min(1.0, in_range / 0.3) + 0.4 * reached
    if not session.reps:
        score *= 0.5  # a stretch on video is an attempt that reaches its target pose
    if travels(frames):
        score *= 0.3  # walking about the room: these stretches are done in one place
    score *= 0.4 + 0.6 * form_agreement(series, judged)
    score *= min(1.0, body_agreement(frames, series, judged) / BODY_SHARE)
    if view is not None and view != exercise.view:
        score *= 0.5
    return score * body


def travels(frames: list[PoseFrame]) -> bool:
    """Whether the person walks about: over a second, the hips move more than
    TRAVEL_TORSOS_PER_S torso lengths, for over a third of the recording. A jump of a torso
    length or more is a cut in the recording, not a walk, and is left out."""
    pts = []
    for f in frames:
        hip = f.point("mid_hip", "image", min_visibility=0.0)  # both sides: no flicker
        shoulder = f.point("mid_shoulder", "image", min_visibility=0.0)
        if hip is not None and shoulder is not None:
            torso = float(np.linalg.norm(shoulder[:2] - hip[:2]))
            if torso > 1e-3:
                pts.append((f.t, hip[:2], torso))
    moving, total = 0, 0
    j = 0
    for t0, h0, s0 in pts:
        while j < len(pts) and pts[j][0] < t0 + 1.0:
            j += 1
        if j >= len(pts) or pts[j][0] > t0 + 1.5:
            continue
        t1, h1, s1 = pts[j]
        step = float(np.linalg.norm(h1 - h0)) / ((s0 + s1) / 2) / (t1 - t0)
        if step >= 1.0:
            continue  # a cut, not a walk
        total += 1
        moving += step > TRAVEL_TORSOS_PER_S
    return total >= 5 and moving / total > 1 / 3


def form_agreement(series: AngleSeries, exercise: Exercise) -> float:
    """While the target angles are in their bands, the share of leg-placement readings that
    are in theirs too: hugging the knees on a table has the roller's trunk angle but not its
    open hips."""
    targets = [r for r in exercise.angles if r.role == "target" and r.name in series.smooth]
    # Leg placement only: where the legs are tells the stretch; how far the head goes is
    # effort, which a person doing the stretch halfway still shows less of.
    forms = [
        r
        for r in exercise.angles
        if r.role == "form" and not r.check_limit and r.name in series.smooth
    ]
    if not targets or not forms:
        return 1.0
    mask = target_mask(series, exercise)
    hits, total = 0, 0
    for rule in forms:
        v = series.smooth[rule.name][mask]
        v = v[np.isfinite(v)]
        hits += int(np.sum(rule.in_band(v)))
        total += len(v)
    return hits / total if total else 1.0


# ----- body placement (the pose files' [recognise] tables; world landmarks, y down) ---------
def _world(frame: PoseFrame, name: str) -> np.ndarray | None:
    # Any visibility: a side view's far leg is placed plausibly, just seen poorly.
    return frame.point(name, "world", min_visibility=0.0)


def _torso(frame: PoseFrame) -> tuple[np.ndarray, np.ndarray, float] | None:
    """Mid-shoulder, mid-hip and the length between them (the body's own unit of length),
    or None where either is unseen or they coincide."""
    shoulder, hip = _world(frame, "mid_shoulder"), _world(frame, "mid_hip")
    if shoulder is None or hip is None:
        return None
    length = float(np.linalg.norm(shoulder - hip))
    return None if length < 1e-6 else (shoulder, hip, length)


def thigh_spread(frame: PoseFrame) -> float | None:
    """Degrees between the two thighs (hip to knee): near 0 with the legs side by side."""
    thighs = []
    for side in ("left", "right"):
        hip, knee = _world(frame, f"{side}_hip"), _world(frame, f"{side}_knee")
        if hip is None or knee is None:
            return None
        thighs.append(knee - hip)
    return angle_between(thighs[0], thighs[1])


def shin_tilt(frame: PoseFrame) -> float | None:
    """The larger of the two shins' tilt from vertical (knee to ankle): near 0 when both
    feet are planted under bent knees, near 90 when a shin lies on the floor (kneeling)."""
    tilts = []
    for side in ("left", "right"):
        knee, ankle = _world(frame, f"{side}_knee"), _world(frame, f"{side}_ankle")
        if knee is None or ankle is None:
            return None
        tilts.append(angle_between(ankle - knee, DOWN))
    return max(tilts)


def thigh_rise(frame: PoseFrame) -> float | None:
    """Degrees the thighs rise from level, hip to knee (both legs together): + = knees above
    the hips (sitting on the floor), about 0 on a chair or a ball, -90 standing."""
    hip, knee = _world(frame, "mid_hip"), _world(frame, "mid_knee")
    if hip is None or knee is None:
        return None
    return angle_between(knee - hip, DOWN) - 90.0


def shoulders_above_feet(frame: PoseFrame) -> float | None:
    """Height of the shoulders over the lowest foot point, in torso lengths (hip to
    shoulder): about 0 with the shoulders on the floor, well above it over a ball."""
    torso = _torso(frame)
    feet = [
        _world(frame, f"{side}_{part}") for side in ("left", "right") for part in ("ankle", "heel")
    ]
    if torso is None or any(p is None for p in feet):
        return None
    shoulder, _, length = torso
    lowest = max(float(p[1]) for p in feet if p is not None)  # y points down
    return (lowest - float(shoulder[1])) / length


def hips_above_shoulders(frame: PoseFrame) -> float | None:
    """Height of the hips over the shoulders, in torso lengths: about 0 lying flat on the
    back, well above 0 in a bridge (hips lifted off the mat)."""
    torso = _torso(frame)
    if torso is None:
        return None
    shoulder, hip, length = torso
    return float(shoulder[1] - hip[1]) / length  # y points down


def hands_to_knees(frame: PoseFrame) -> float | None:
    """The farther hand's distance from its nearest knee, in torso lengths: small when both
    hands hold the knees, over a torso length with the arms spread on the floor."""
    torso = _torso(frame)
    knees = [_world(frame, "left_knee"), _world(frame, "right_knee")]
    wrists = [_world(frame, "left_wrist"), _world(frame, "right_wrist")]
    if torso is None or any(p is None for p in knees + wrists):
        return None
    far = max(
        min(float(np.linalg.norm(w - k)) for k in knees if k is not None)
        for w in wrists
        if w is not None
    )
    return far / torso[2]


def body_fails(frame: PoseFrame, rules: Recognise) -> list[str]:
    """The stretch's body-placement rules this frame breaks (unmeasurable ones are not held
    against it): empty when the body is placed as the stretch asks."""
    failed = []
    checks = (
        ("thigh_spread", rules.thigh_spread_max_deg, thigh_spread, lambda v, m: v > m),
        ("shin_tilt", rules.shin_tilt_max_deg, shin_tilt, lambda v, m: v > m),
        ("thigh_rise", rules.thigh_rise_deg, thigh_rise, lambda v, m: not m[0] <= v <= m[1]),
        (
            "shoulders_above_feet",
            rules.shoulders_above_feet_min,
            shoulders_above_feet,
            lambda v, m: v < m,
        ),
        ("hands_to_knees", rules.hands_to_knees_max, hands_to_knees, lambda v, m: v > m),
        (
            "hips_above_shoulders",
            rules.hips_above_shoulders_max,
            hips_above_shoulders,
            lambda v, m: v > m,
        ),
    )
    for name, bound, measure, breaks in checks:
        if bound is None:
            continue
        value = measure(frame)
        if value is not None and breaks(value, bound):
            failed.append(name)
    return failed


def target_mask(series: AngleSeries, exercise: Exercise) -> np.ndarray:
    """Moments when every target angle is inside its band (smoothed series)."""
    targets = [r for r in exercise.angles if r.role == "target" and r.name in series.smooth]
    mask = np.ones(len(series.t), dtype=bool)
    for rule in targets:
        mask &= rule.in_band(series.smooth[rule.name])
    return mask


def body_agreement(frames: list[PoseFrame], series: AngleSeries, exercise: Exercise) -> float:
    """While the target angles are in band, the share of moments whose body placement keeps
    the stretch's [recognise] rules: a glute bridge reaches the ball's trunk angle with the
    shoulders on the floor; a camel reaches the roller's with the shins flat."""
    if exercise.recognise == Recognise():
        return 1.0
    mask = target_mask(series, exercise)  # one entry per frame, in order
    moments = [f for f, m in zip(frames, mask, strict=True) if m and f.has_pose]
    if not moments:
        return 1.0
    kept = sum(not body_fails(f, exercise.recognise) for f in moments)
    return kept / len(moments)


def _clearly_in(rule: AngleRule, raw: float) -> bool:
    """Inside the band by PHOTO_MARGIN_DEG from the edge nearest the start, not past the limit."""
    v = abs(raw) if rule.mirror else raw
    lo, hi = rule.target
    if rule.toward_target() > 0:
        lo += PHOTO_MARGIN_DEG
    else:
        hi -= PHOTO_MARGIN_DEG
    return lo <= v <= hi and not rule.past_limit(v)


def _still_fit(series: AngleSeries, exercise: Exercise) -> float:
    """A photo has no motion: weigh how many angles sit in their bands (target ones double).

    A target angle must sit clearly inside its band (PHOTO_MARGIN_DEG past the edge nearest
    the start): a person merely standing upright is not holding a back extension."""
    hits, total = 0.0, 0.0
    for rule in exercise.angles:
        weight = 2.0 if rule.role == "target" else 1.0
        values = [float(v[0]) for k, v in series.raw.items() if rule_name(k) == rule.name]
        values = [v for v in values if math.isfinite(v)]
        total += weight
        if rule.role == "target":
            if not any(_clearly_in(rule, v) for v in values):
                return 0.0  # the stretch's own target missed: not this stretch
            hits += weight
        elif any(rule.judge_still(v) == "in_range" for v in values):
            hits += weight
    return hits / total if total else 0.0


def start_fit(frame: PoseFrame, exercise: Exercise) -> float:
    """A photo of the stretch's start position: START_PHOTO_WEIGHT when the driver angle sits
    in its start band, every leg-placement angle in its band and the body as the pose file's
    [recognise.start] table asks; 0 for a stretch whose start shows nothing particular."""
    rules = exercise.recognise.start
    judged = exercise.with_variant(guess_variant([frame], exercise))
    if rules is None or judged.angles != exercise.angles or not frame.has_pose:
        return 0.0  # a variant that drops the leg angles (the chair twist) leaves just sitting
    if body_fails(frame, rules):
        return 0.0
    _, series = score_frames([frame], judged)
    for rule in judged.angles:
        values = [float(v[0]) for k, v in series.raw.items() if rule_name(k) == rule.name]
        values = [v for v in values if math.isfinite(v)]
        if rule.name == judged.driver:
            band = rule.start or (math.nan, math.nan)
            if not any(rule.in_band(v, band) for v in values):
                return 0.0
        elif (
            rule.role == "form"
            and not rule.check_limit  # where the legs are, not how far the head goes
            and not any(rule.in_band(v) for v in values)
        ):
            return 0.0
    body = posture_match([frame], exercise) * facing_match([frame], exercise)
    return START_PHOTO_WEIGHT * body


def recognize(
    frames: list[PoseFrame], exercises: dict[str, Exercise], view: str | None = None
) -> Recognition:
    """Best-fitting stretch; `view` is the user's hint where the camera angle is ambiguous.
    A photo may also fit a stretch's start position (see start_fit): it is then named with
    position "start"."""
    view = view or view_of(frames)
    scores = {ex_id: round(fit(frames, ex, view), 3) for ex_id, ex in exercises.items()}
    starts: set[str] = set()
    if len(frames) == 1:
        for ex_id, ex in exercises.items():
            at_start = round(start_fit(frames[0], ex), 3)
            if at_start > scores[ex_id]:
                scores[ex_id] = at_start
                starts.add(ex_id)
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
    if best - second < TIE_MARGIN:
        return Recognition(
            None,
            round(1.0 - (best - second), 2),
            scores,
            f"not sure: {best_id} ({best:.2f}) or {ranked[1][0]} ({second:.2f})",
        )
    margin = (best - second) / best if best > 0 else 0.0
    confidence = round(min(1.0, best) * (0.5 + 0.5 * margin), 2)
    position = None if len(frames) != 1 else "start" if best_id in starts else "target"
    named = f"start position of {best_id}" if position == "start" else best_id
    return Recognition(
        best_id,
        confidence,
        scores,
        f"{named} scored {best:.2f}, next {ranked[1][0]} {second:.2f} (view: {view or 'unknown'})",
        position,
    )
