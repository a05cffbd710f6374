import math

import numpy as np
import pytest
from helpers import pose

from coach.core.angles import frame_angles
from coach.core.geometry import joint_angle, rotation, signed_sagittal, wrap_deg
from coach.io.poses import load_exercise

LEFT = np.array([1.0, 0.0, 0.0])  # the person's left when they face the camera (-z)
UP = np.array([0.0, -1.0, 0.0])


def test_joint_angle_of_a_right_angle_and_a_straight_limb():
    assert joint_angle(np.array([1.0, 0, 0]), np.zeros(3), np.array([0, 1.0, 0])) == pytest.approx(
        90
    )
    assert joint_angle(np.array([-1.0, 0, 0]), np.zeros(3), np.array([2.0, 0, 0])) == pytest.approx(
        180
    )


def test_joint_angle_of_a_degenerate_limb_is_unseen():
    assert math.isnan(joint_angle(np.zeros(3), np.zeros(3), np.ones(3)))


@pytest.mark.parametrize(
    ("raw", "wrapped"), [(190, -170), (-190, 170), (180, 180), (-180, 180), (540, 180), (45, 45)]
)
def test_wrap_keeps_differences_in_the_half_open_circle(raw, wrapped):
    assert wrap_deg(raw) == pytest.approx(wrapped)


def test_leaning_back_is_positive_and_forward_negative():
    back = np.array(
        [0.0, -math.cos(math.radians(20)), math.sin(math.radians(20))]
    )  # toward +z = away from camera
    fwd = np.array([0.0, -math.cos(math.radians(30)), -math.sin(math.radians(30))])
    assert signed_sagittal(UP, back, LEFT) == pytest.approx(20)
    assert signed_sagittal(UP, fwd, LEFT) == pytest.approx(-30)


def test_sagittal_sign_holds_when_the_person_faces_away():
    # Facing away: the left is -x and "back" is toward the camera (-z).
    back = np.array([0.0, -math.cos(math.radians(20)), -math.sin(math.radians(20))])
    assert signed_sagittal(UP, back, -LEFT) == pytest.approx(20)


def test_side_lean_does_not_read_as_extension():
    side = np.array([math.sin(math.radians(25)), -math.cos(math.radians(25)), 0.0])
    assert signed_sagittal(UP, side, LEFT) == pytest.approx(0, abs=1e-6)


def test_chest_turning_right_is_positive_from_any_camera_yaw():
    hips = np.array([0.3, 0.0, 0.0])  # right hip -> left hip, facing the camera
    for camera_yaw in (0, 40, 135, -100):
        c, s = math.cos(math.radians(camera_yaw)), math.sin(math.radians(camera_yaw))

        def turn(v, deg):
            a = math.radians(deg)
            # a turn to the person's right, seen from above, in (x, -z) coordinates
            x, v2 = (
                v[0] * math.cos(a) - (-v[2]) * math.sin(a),
                v[0] * math.sin(a) + (-v[2]) * math.cos(a),
            )
            return np.array([x, v[1], -v2])

        h = turn(hips, camera_yaw)
        sh = turn(h, 40)
        assert rotation(sh, h) == pytest.approx(40)
        assert rotation(turn(h, -25), h) == pytest.approx(-25)
    del c, s


def test_twist_reading_from_landmarks_turning_right():
    a = math.radians(35)
    # Facing the camera: person's left at +x. Chest turned right: left shoulder comes forward (-z).
    frame = pose(
        left_hip=(0.1, 0, 0),
        right_hip=(-0.1, 0, 0),
        left_shoulder=(0.18 * math.cos(a), -0.5, -0.18 * math.sin(a)),
        right_shoulder=(-0.18 * math.cos(a), -0.5, 0.18 * math.sin(a)),
        left_ear=(0.07 * math.cos(a), -0.65, -0.07 * math.sin(a)),
        right_ear=(-0.07 * math.cos(a), -0.65, 0.07 * math.sin(a)),
    )
    angles = frame_angles(frame, load_exercise("seated-twist"))
    assert angles["trunk_rotation"] == pytest.approx(35, abs=0.01)
    assert angles["head_rotation"] == pytest.approx(0, abs=0.01)


def test_hugged_knees_read_a_small_hip_angle():
    frame = pose(
        left_shoulder=(0.15, 0, -0.5),
        right_shoulder=(-0.15, 0, -0.5),  # lying: head toward -z
        left_hip=(0.1, 0, 0),
        right_hip=(-0.1, 0, 0),
        left_knee=(0.1, -0.35, -0.2),
        right_knee=(-0.1, -0.35, -0.2),
        left_ear=(0.07, -0.05, -0.7),
        right_ear=(-0.07, -0.05, -0.7),
    )
    angles = frame_angles(frame, load_exercise("knees-to-chest"))
    # A side view is read on the near side (both sides equally visible here: the left).
    trunk = np.array([0.05, 0, -0.5]) / np.linalg.norm([0.05, 0, -0.5])
    thigh = np.array([0, -0.35, -0.2]) / np.hypot(0.35, 0.2)
    expected = math.degrees(math.acos(np.dot(trunk, thigh)))
    assert angles["hip_flexion"] == pytest.approx(expected, abs=0.01)


def test_unseen_landmark_gives_no_verdict():
    frame = pose(
        left_hip=(0.1, 0, 0),
        right_hip=(-0.1, 0, 0),
        left_shoulder=(0.2, -0.5, 0),
        right_shoulder=(-0.2, -0.5, 0),
    )
    frame.world[11, 3] = 0.05  # left shoulder barely visible
    angles = frame_angles(frame, load_exercise("seated-twist"))
    assert math.isnan(angles["trunk_rotation"])
