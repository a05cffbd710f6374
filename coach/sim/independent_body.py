"""A small kinematic body and camera for the independent session family.

Why: the judge's ground truth must not come from the objects the judge reads, so this body is
written from plain anatomy, not from coach.sim.generator or the pose files. It imports only the
landmark names. Everything here is geometry: joint angles in, 33 MediaPipe-like landmarks out.

Body frame (before the camera): x = the person's left, y = down, z = the person's back; the
origin is between the hip joints. Sagittal directions are angles from "up" (0) towards the
person's back (90): v(theta) = (0, -cos theta, sin theta); down is 180, forward is -90.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coach.core.landmarks import INDEX, N_LANDMARKS


def sag(theta_deg: float) -> np.ndarray:
    """Unit vector in the sagittal plane, theta from up towards the back."""
    t = np.radians(theta_deg)
    return np.array([0.0, -np.cos(t), np.sin(t)])


def rot_x(deg: float) -> np.ndarray:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def rot_y(deg: float) -> np.ndarray:
    """About the vertical (down) axis; positive turns the left side forward (-z)."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def rot_z(deg: float) -> np.ndarray:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def segment_frame(theta_deg: float, twist_deg: float = 0.0) -> np.ndarray:
    """Columns: left, up, back of a segment leaning back by theta and twisted by twist.

    The twist turns the chest to the person's right when positive (their left shoulder comes
    forward), matching how the report names a twist's side.
    """
    return rot_x(-theta_deg) @ rot_y(twist_deg)


@dataclass(frozen=True)
class Build:
    """Segment lengths in metres, scaled from standing height (anthropometric ratios)."""

    height: float

    @property
    def hip_half(self) -> float:
        return 0.05 * self.height

    @property
    def shoulder_half(self) -> float:
        return 0.10 * self.height

    @property
    def trunk(self) -> float:
        return 0.29 * self.height

    @property
    def head(self) -> float:
        """Mid-shoulder to the ears' level along the head axis (neck included)."""
        return 0.14 * self.height

    @property
    def thigh(self) -> float:
        return 0.245 * self.height

    @property
    def shin(self) -> float:
        return 0.246 * self.height

    @property
    def upper_arm(self) -> float:
        return 0.186 * self.height

    @property
    def forearm(self) -> float:
        return 0.146 * self.height


@dataclass
class Pose:
    """Joint angles of one moment, in degrees (anatomical where a name says so).

    lean: backward tilt of the trunk line from the pelvis' resting posture (lying back onto a
    roller is lean, not spinal extension); ext: spinal (thoracolumbar) extension added on top;
    neck: cervical extension (negative = flexion, e.g. head lifted when lying); twist: trunk
    rotation (shoulder line against hip line); head_yaw: head rotation on the trunk;
    thigh_l/r, shin_l/r: world sagittal directions of the limbs; cross: how far the crossed
    knee and foot move across the body (m, towards the straight leg); arms: a named arm set.
    """

    lean: float = 0.0
    ext: float = 0.0
    neck: float = 0.0
    twist: float = 0.0
    head_yaw: float = 0.0
    thigh_l: float = 180.0
    thigh_r: float = 180.0
    shin_l: float = 180.0
    shin_r: float = 180.0
    cross_l: float = 0.0
    cross_r: float = 0.0
    arms: str = "side"


def body_points(pose: Pose, build: Build) -> np.ndarray:
    """33 x 3 landmark positions in the body frame."""
    p = np.zeros((N_LANDMARKS, 3))
    b = build
    hip_l = np.array([b.hip_half, 0.0, 0.0])
    hip_r = -hip_l
    trunk = segment_frame(pose.lean + pose.ext, pose.twist)
    left, up, back = trunk[:, 0], -trunk[:, 1], trunk[:, 2]
    mid_sh = up * b.trunk
    sh_l = mid_sh + left * b.shoulder_half
    sh_r = mid_sh - left * b.shoulder_half
    head = trunk @ rot_x(-pose.neck) @ rot_y(pose.head_yaw)
    h_left, h_up, h_back = head[:, 0], -head[:, 1], head[:, 2]
    ear_c = mid_sh + h_up * b.head  # the ears' midpoint lies on the head axis
    fwd = -h_back
    s = b.height / 1.75

    def face(lat: float, upo: float, fw: float) -> np.ndarray:
        return ear_c + s * (h_left * lat + h_up * upo + fwd * fw)

    p[INDEX["nose"]] = face(0.0, -0.01, 0.10)
    for side, sgn in (("left", 1.0), ("right", -1.0)):
        p[INDEX[f"{side}_eye_inner"]] = face(sgn * 0.015, 0.03, 0.085)
        p[INDEX[f"{side}_eye"]] = face(sgn * 0.032, 0.03, 0.08)
        p[INDEX[f"{side}_eye_outer"]] = face(sgn * 0.045, 0.03, 0.072)
        p[INDEX[f"{side}_ear"]] = ear_c + h_left * sgn * 0.075 * s
        p[INDEX["mouth_" + side]] = face(sgn * 0.025, -0.045, 0.085)
    p[INDEX["left_shoulder"]], p[INDEX["right_shoulder"]] = sh_l, sh_r
    p[INDEX["left_hip"]], p[INDEX["right_hip"]] = hip_l, hip_r
    _legs(p, pose, build, hip_l, hip_r)
    _arms(p, pose, build, sh_l, sh_r, left, up, back, ear_c, h_left, h_back)
    return p


def _legs(p: np.ndarray, pose: Pose, b: Build, hip_l: np.ndarray, hip_r: np.ndarray) -> None:
    for side, hip, th, sh, cross, sgn in (
        ("left", hip_l, pose.thigh_l, pose.shin_l, pose.cross_l, 1.0),
        ("right", hip_r, pose.thigh_r, pose.shin_r, pose.cross_r, -1.0),
    ):
        shift = np.array([-sgn * cross, 0.0, 0.0])  # towards the other side
        knee = hip + b.thigh * sag(th) + shift
        ankle = knee + b.shin * sag(sh) + shift * 0.6
        foot_dir = sag(sh + 90.0)
        p[INDEX[f"{side}_knee"]] = knee
        p[INDEX[f"{side}_ankle"]] = ankle
        p[INDEX[f"{side}_heel"]] = ankle + 0.06 * sag(sh) - 0.04 * foot_dir
        p[INDEX[f"{side}_foot_index"]] = ankle + 0.05 * sag(sh) + 0.15 * foot_dir


def _arms(
    p: np.ndarray,
    pose: Pose,
    b: Build,
    sh_l: np.ndarray,
    sh_r: np.ndarray,
    left: np.ndarray,
    up: np.ndarray,
    back: np.ndarray,
    ear_c: np.ndarray,
    h_left: np.ndarray,
    h_back: np.ndarray,
) -> None:
    """Arm sets from the seed: hands behind the head, clasped behind the back, hugging the
    knees, one elbow against the crossed knee, or hanging at the sides."""
    for side, sh, sgn in (("left", sh_l, 1.0), ("right", sh_r, -1.0)):
        if pose.arms == "behind_head":
            elbow = sh + left * sgn * 0.18 * b.height / 1.75 + up * 0.14 * b.height / 1.75
            wrist = ear_c + h_back * 0.09 + h_left * sgn * 0.05
        elif pose.arms == "behind_back":
            elbow = sh - up * b.upper_arm * 0.9 + back * 0.10
            wrist = (sh_l + sh_r) / 2 - up * (b.trunk * 0.75) + back * 0.14
            wrist = wrist + left * sgn * 0.03
        elif pose.arms == "hug":
            knee = p[INDEX[f"{side}_knee"]]
            elbow = (sh + knee) / 2 + left * sgn * 0.08
            wrist = knee + (sh - knee) * 0.15 - left * sgn * 0.02
        elif pose.arms == "twist":
            # the arm opposite the chest's turn presses its elbow to the crossed knee
            turn = 1.0 if pose.twist >= 0 else -1.0
            if sgn == turn:
                knee = p[INDEX["right_knee" if turn > 0 else "left_knee"]]
                elbow = knee + left * sgn * 0.06
                wrist = elbow + up * 0.2
            else:
                elbow = sh - up * b.upper_arm * 0.7 + back * 0.15
                wrist = elbow - up * b.forearm * 0.6 + back * 0.15
        else:
            elbow = sh - up * b.upper_arm
            wrist = elbow - up * b.forearm
        d = wrist - elbow
        n = d / (np.linalg.norm(d) + 1e-9)
        p[INDEX[f"{side}_elbow"]] = elbow
        p[INDEX[f"{side}_wrist"]] = wrist
        p[INDEX[f"{side}_pinky"]] = wrist + 0.07 * n + left * sgn * 0.02
        p[INDEX[f"{side}_index"]] = wrist + 0.08 * n
        p[INDEX[f"{side}_thumb"]] = wrist + 0.05 * n - left * sgn * 0.02


@dataclass(frozen=True)
class Camera:
    """A camera that looks at the person from `yaw` (0 = facing the camera, +90 = the
    person's left side towards it), tilted down by `pitch` and rolled by `roll` (degrees).

    MediaPipe's world landmarks follow the camera's axes, so the same rotation applies to
    world and image coordinates.
    """

    yaw: float
    pitch: float
    roll: float
    distance: float
    cx: float = 0.5
    cy: float = 0.55
    focal: float = 1.07  # in image heights: about a 50 deg vertical field of view
    aspect: float = 16 / 9

    @property
    def rotation(self) -> np.ndarray:
        return rot_z(self.roll) @ rot_x(self.pitch) @ rot_y(self.yaw)

    def to_world(self, body: np.ndarray) -> np.ndarray:
        return body @ self.rotation.T

    def to_image(self, world: np.ndarray) -> np.ndarray:
        depth = self.distance + world[:, 2]
        fx = self.focal / self.aspect
        u = self.cx + fx * world[:, 0] / depth
        v = self.cy + self.focal * world[:, 1] / depth
        z = fx * world[:, 2] / self.distance
        return np.stack([u, v, z], axis=1)


SIDE_NAMES = {
    "left": [i for n, i in INDEX.items() if n.startswith("left_")],
    "right": [i for n, i in INDEX.items() if n.startswith("right_")],
}
