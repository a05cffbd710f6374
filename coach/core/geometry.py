"""Angles between body segments, in degrees, on MediaPipe world coordinates.

Conventions (y points down, as in MediaPipe; the person's left is +x when they face the camera):
- joint angle: the angle at the middle point, 0..180 (180 = straight limb);
- sagittal angle: a segment's tilt in the body's front-back plane, positive backward
  (extension) and negative forward (flexion); the sign comes from the body's left-right
  axis, so it holds whichever way the person faces the camera;
- rotation: yaw of one left-right line against another about the vertical axis, positive
  when the upper line turns to the person's right.
"""

from __future__ import annotations

import math

import numpy as np

UP = np.array([0.0, -1.0, 0.0])


def wrap_deg(angle: float) -> float:
    """Wrap into (-180, 180]: atan2 differences jump at the seam otherwise."""
    wrapped = math.fmod(angle + 180.0, 360.0)
    if wrapped <= 0:
        wrapped += 360.0
    return wrapped - 180.0


def _unit(v: np.ndarray) -> np.ndarray | None:
    n = float(np.linalg.norm(v))
    if n < 1e-9 or not math.isfinite(n):
        return None
    return v / n


def angle_between(u: np.ndarray, v: np.ndarray) -> float:
    """Unsigned angle between two vectors; NaN for a zero-length vector."""
    uu, vv = _unit(u), _unit(v)
    if uu is None or vv is None:
        return math.nan
    return math.degrees(math.acos(float(np.clip(np.dot(uu, vv), -1.0, 1.0))))


def joint_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Angle a-b-c at b: 180 for a straight limb."""
    return angle_between(a - b, c - b)


def signed_sagittal(reference: np.ndarray, segment: np.ndarray, lateral: np.ndarray) -> float:
    """Angle of `segment` against `reference`, positive when tilted backward.

    Both vectors are projected onto the plane normal to `lateral` (the body's right-to-left
    axis), so a sideways lean does not read as extension.
    """
    lat = _unit(lateral)
    if lat is None:
        return math.nan
    r = reference - np.dot(reference, lat) * lat
    s = segment - np.dot(segment, lat) * lat
    ru, su = _unit(r), _unit(s)
    if ru is None or su is None:
        return math.nan
    unsigned = math.degrees(math.acos(float(np.clip(np.dot(ru, su), -1.0, 1.0))))
    # Rotating "up" toward "forward" turns about +lateral: a positive triple product is flexion.
    forward_turn = float(np.dot(np.cross(ru, su), lat))
    return -unsigned if forward_turn > 0 else unsigned


def horizontal_yaw(v: np.ndarray) -> float:
    """Heading of a vector in the horizontal (x, -z) plane, degrees."""
    return math.degrees(math.atan2(-float(v[2]), float(v[0])))


def rotation(upper: np.ndarray, lower: np.ndarray) -> float:
    """Yaw of the `upper` right-to-left line against the `lower` one; positive = turned right."""
    if _unit(upper[[0, 2]]) is None or _unit(lower[[0, 2]]) is None:
        return math.nan
    return wrap_deg(horizontal_yaw(upper) - horizontal_yaw(lower))
