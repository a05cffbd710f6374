"""Body placement in recognition: each [recognise] rule refuses its look-alike, by hand-built poses.

Poses are drawn side-on in metres: (forward, height above the floor) per joint, both sides
10 cm apart across the body. World landmarks have y pointing down and the hips at the origin,
as MediaPipe gives them; each rule reads them, never the image.
"""

from __future__ import annotations

import numpy as np
import pytest

from coach.core.exercises import Recognise
from coach.core.landmarks import INDEX, N_LANDMARKS, PoseFrame
from coach.core.recognize import (
    body_agreement,
    body_fails,
    hands_to_knees,
    hips_above_shoulders,
    recognize,
    shin_tilt,
    shoulders_above_feet,
    thigh_rise,
    thigh_spread,
)
from coach.core.scoring import score_frames
from coach.io.poses import load_all, load_exercise

Point = tuple[float, float]


def person(t: float = 0.0, wrist_out: float = 0.1, **joints: Point) -> PoseFrame:
    """A side-on person: `joints` maps "hip", "knee", ... (or "left_knee" for one side) to
    (forward, height) in metres; `wrist_out` is how far each hand is from the midline."""
    world = np.zeros((N_LANDMARKS, 4))
    world[:, 3] = 0.99
    hip_f, hip_h = joints["hip"]
    for name in INDEX:
        side, _, part = name.partition("_")
        if side not in ("left", "right"):
            part, side = name, ""
        where = joints.get(name) or joints.get(part)
        if where is None:
            where = joints["ear"] if part.startswith(("eye", "mouth")) else joints["hip"]
        out = wrist_out if part in ("wrist", "elbow", "pinky", "index", "thumb") else 0.1
        lateral = {"left": out, "right": -out, "": 0.0}[side]
        f, h = where
        world[INDEX[name], :3] = (f - hip_f, -(h - hip_h), lateral)
    return PoseFrame(t=t, world=world)


# Hips on a ball at knee height, back lying over it, shoulders a little below the hips.
BALL = dict(
    hip=(0.0, 0.50), knee=(0.45, 0.50), ankle=(0.45, 0.08), heel=(0.40, 0.03),
    shoulder=(-0.49, 0.41), ear=(-0.62, 0.38), nose=(-0.60, 0.47), wrist=(-0.60, 0.42),
)  # fmt: skip
# Glute bridge: shoulders on the mat, hips lifted, knees bent, feet flat.
BRIDGE = dict(
    hip=(0.0, 0.25), knee=(0.38, 0.42), ankle=(0.42, 0.08), heel=(0.38, 0.03),
    shoulder=(-0.48, 0.10), ear=(-0.62, 0.10), nose=(-0.60, 0.18), wrist=(0.0, 0.08),
)  # fmt: skip
# Sitting on the floor, knees up, upper back lying back on a roller.
ROLLER = dict(
    hip=(0.0, 0.10), knee=(0.30, 0.40), ankle=(0.42, 0.08), heel=(0.38, 0.03),
    shoulder=(-0.47, 0.27), ear=(-0.60, 0.27), nose=(-0.58, 0.35), wrist=(-0.58, 0.30),
)  # fmt: skip
# Camel pose: kneeling, shins flat on the mat, trunk bent back 60 deg.
CAMEL = dict(
    hip=(0.0, 0.55), knee=(0.05, 0.08), ankle=(-0.35, 0.05), heel=(-0.38, 0.10),
    shoulder=(-0.43, 0.80), ear=(-0.55, 0.78), nose=(-0.50, 0.86), wrist=(-0.36, 0.12),
)  # fmt: skip
# Lying flat on the back, knees bent, feet flat, hands by the hips: knees-to-chest set-up.
SUPINE_KNEES_BENT = dict(
    hip=(0.0, 0.10), knee=(0.30, 0.40), ankle=(0.42, 0.08), heel=(0.38, 0.03),
    shoulder=(-0.50, 0.10), ear=(-0.65, 0.12), nose=(-0.63, 0.20), wrist=(0.0, 0.08),
)  # fmt: skip
# Knees hugged to the chest with both hands.
KNEES_HUGGED = dict(
    hip=(0.0, 0.10), knee=(-0.20, 0.40), ankle=(0.15, 0.45), heel=(0.18, 0.44),
    shoulder=(-0.50, 0.10), ear=(-0.63, 0.16), nose=(-0.58, 0.24), wrist=(-0.18, 0.37),
)  # fmt: skip
# Standing tall, leaning back a little.
STANDING = dict(
    hip=(0.0, 0.95), knee=(0.0, 0.50), ankle=(0.0, 0.08), heel=(-0.05, 0.03),
    shoulder=(-0.13, 1.43), ear=(-0.16, 1.60), nose=(-0.08, 1.60), wrist=(-0.2, 1.0),
)  # fmt: skip


def rules(exercise_id: str) -> Recognise:
    return load_exercise(exercise_id).recognise


def test_the_measures_read_the_poses_as_a_physiotherapist_would():
    ball, bridge, camel = person(**BALL), person(**BRIDGE), person(**CAMEL)
    assert shoulders_above_feet(ball) == pytest.approx((0.41 - 0.03) / np.hypot(0.49, 0.09))
    assert shoulders_above_feet(bridge) < 0.2  # shoulders on the mat, level with the feet
    assert shin_tilt(camel) > 80 and shin_tilt(ball) < 5  # shins flat vs standing
    assert thigh_rise(person(**ROLLER)) == pytest.approx(45.0)  # knees up, sitting on the floor
    assert thigh_rise(ball) == pytest.approx(0.0, abs=1e-6)  # hips level with the knees
    assert thigh_rise(person(**STANDING)) == pytest.approx(-90.0)
    assert thigh_spread(person(**STANDING)) == pytest.approx(0.0, abs=1e-6)
    assert hips_above_shoulders(bridge) > 0.2 > hips_above_shoulders(person(**SUPINE_KNEES_BENT))
    assert hands_to_knees(person(**KNEES_HUGGED)) < 0.2


def test_a_glute_bridge_is_refused_as_the_ball_extension_and_the_ball_pose_is_not():
    assert body_fails(person(**BALL), rules("ball-back-extension")) == []
    assert "shoulders_above_feet" in body_fails(person(**BRIDGE), rules("ball-back-extension"))


def test_a_kneeling_back_bend_is_refused_as_the_roller_and_the_roller_pose_is_not():
    assert body_fails(person(**ROLLER), rules("foam-roller-extension")) == []
    fails = body_fails(person(**CAMEL), rules("foam-roller-extension"))
    assert "shin_tilt" in fails and "thigh_rise" in fails


def test_lying_flat_on_the_mat_or_in_a_bridge_is_refused_as_the_roller():
    for pose in (SUPINE_KNEES_BENT, BRIDGE):
        assert "shoulders_above_feet" in body_fails(person(**pose), rules("foam-roller-extension"))


def test_sitting_on_the_floor_is_refused_as_the_ball_and_the_ball_as_the_roller():
    # The roller's knees rise above hips on the floor; on the ball the thighs are level.
    assert "thigh_rise" in body_fails(person(**ROLLER), rules("ball-back-extension"))
    assert "thigh_rise" in body_fails(person(**BALL), rules("foam-roller-extension"))


def test_a_knee_raised_alone_is_refused_as_the_standing_extension():
    assert body_fails(person(**STANDING), rules("standing-back-extension")) == []
    crunch = person(**STANDING, right_knee=(0.45, 0.95), right_ankle=(0.45, 0.50))
    assert thigh_spread(crunch) == pytest.approx(90.0)
    assert body_fails(crunch, rules("standing-back-extension")) == ["thigh_spread"]


def test_a_leg_stretched_out_behind_is_refused_as_the_seated_twist():
    seated = dict(hip=(0.0, 0.12), shoulder=(0.0, 0.62), ear=(0.0, 0.78), nose=(0.08, 0.78))
    twist = person(**seated, knee=(0.45, 0.10), ankle=(0.90, 0.05), left_knee=(0.30, 0.40))
    pigeon = person(**seated, left_knee=(0.35, 0.08), right_knee=(-0.45, 0.08))
    assert body_fails(twist, rules("seated-twist")) == []
    assert body_fails(pigeon, rules("seated-twist")) == ["thigh_spread"]


def test_knees_swung_up_with_the_arms_spread_are_refused_as_knees_to_chest():
    assert body_fails(person(**KNEES_HUGGED), rules("knees-to-chest")) == []
    spread_arms = person(**{**KNEES_HUGGED, "wrist": (-0.50, 0.08)}, wrist_out=0.7)
    assert body_fails(spread_arms, rules("knees-to-chest")) == ["hands_to_knees"]


def test_an_unmeasurable_rule_is_not_held_against_the_frame():
    frame = person(**BRIDGE)
    assert frame.world is not None
    frame.world[INDEX["left_heel"], 3] = np.nan  # a foot point missing: no height to compare
    assert "shoulders_above_feet" not in body_fails(frame, rules("ball-back-extension"))


def test_photos_of_the_ball_pose_and_a_bridge_are_told_apart():
    exercises = load_all()
    ball = recognize([person(**BALL)], exercises)
    assert ball.exercise_id == "ball-back-extension" and ball.position == "target"
    assert ball.scores["foam-roller-extension"] == 0.0  # level thighs: not sitting on the floor
    bridge = recognize([person(**BRIDGE)], exercises)
    assert bridge.scores["ball-back-extension"] == 0.0
    assert bridge.scores["foam-roller-extension"] == 0.0
    camel = recognize([person(**CAMEL)], exercises)
    assert camel.scores["foam-roller-extension"] == 0.0


def test_a_photo_of_the_knees_to_chest_set_up_is_named_its_start_position():
    exercises = load_all()
    start = recognize([person(**SUPINE_KNEES_BENT)], exercises)
    assert start.exercise_id == "knees-to-chest" and start.position == "start"
    assert "start position of knees-to-chest" in start.reason
    held = recognize([person(**KNEES_HUGGED)], exercises)
    assert held.exercise_id == "knees-to-chest" and held.position == "target"
    # A bridge lifts the hips off the mat: not the set-up of knees-to-chest.
    assert recognize([person(**BRIDGE)], exercises).exercise_id is None


def test_a_standing_photo_is_never_named_a_start_position():
    # Standing upright is the start of the standing extension, and of many other things.
    upright = person(**{**STANDING, "shoulder": (0.0, 1.45), "ear": (0.0, 1.62)})
    rec = recognize([upright], load_all())
    assert rec.exercise_id is None and rec.position is None


def test_body_agreement_is_the_share_of_in_band_moments_placed_as_the_stretch():
    ball = load_exercise("ball-back-extension")
    frames = [person(t=i / 10, **(BALL if i < 6 else BRIDGE)) for i in range(10)]
    _, series = score_frames(frames, ball)
    assert body_agreement(frames, series, ball) == pytest.approx(0.6, abs=0.11)
    only_bridge = [person(t=i / 10, **BRIDGE) for i in range(10)]
    _, series = score_frames(only_bridge, ball)
    assert body_agreement(only_bridge, series, ball) == 0.0
