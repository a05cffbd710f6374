"""Turn one PoseFrame into the named angles an exercise measures (NaN = not seen)."""

from __future__ import annotations

import math

import numpy as np

from coach.core.exercises import AngleRule, Exercise
from coach.core.geometry import UP, horizontal_yaw, joint_angle, rotation, signed_sagittal
from coach.core.landmarks import PoseFrame

OTHER = {"left": "right", "right": "left"}
IN_VIEW_MARGIN = 0.04  # an exercise's in_view landmarks must lie this far inside the picture


def near_side(frame: PoseFrame) -> str:
    """The body side facing the camera: the one MediaPipe sees better."""
    return "left" if frame.side_visibility("left") >= frame.side_visibility("right") else "right"


def resolve(name: str, near: str, lead: str | None, side_view: bool = False) -> str | None:
    """Fill {near}/{far}/{lead}/{trail}; None when the side of a twist is not known yet.

    In a side view a midpoint is read on the near side: the far limbs are guessed by the
    pose model, and switching between a mean and one side would read as a jolt.
    """
    if side_view and name.startswith("mid_"):
        return near + name[len("mid") :]
    if name.startswith("{near}_"):
        return near + name[len("{near}") :]
    if name.startswith("{far}_"):
        return OTHER[near] + name[len("{far}") :]
    if name.startswith("{lead}_") or name.startswith("{trail}_"):
        if lead is None:
            return None
        side = lead if name.startswith("{lead}_") else OTHER[lead]
        return side + name[name.index("_") :]
    return name


def lateral_axis(frame: PoseFrame) -> np.ndarray | None:
    """The body's right-to-left axis, from hips and shoulders together for stability."""
    vecs = []
    for joint in ("hip", "shoulder"):
        left = frame.point(f"left_{joint}", min_visibility=0.0)
        right = frame.point(f"right_{joint}", min_visibility=0.0)
        if left is not None and right is not None:
            vecs.append(left - right)
    return np.sum(vecs, axis=0) if vecs else None


def angle_value(
    frame: PoseFrame, rule: AngleRule, near: str, lead: str | None, side_view: bool = False
) -> float:
    if side_view and rule.kind == "joint" and any(p.startswith("mid_") for p in rule.points):
        return _both_sides(frame, rule, near, lead)
    return _one_reading(frame, rule, near, lead, side_view)


def _both_sides(frame: PoseFrame, rule: AngleRule, near: str, lead: str | None) -> float:
    """A joint angle of both limbs seen side-on ("both knees to the chest"): read on each
    side that is itself seen; when both are, the one less far into the stretch decides, so a
    single knee pulled up while the other leg lies flat is no rep. A hidden far limb (placed
    by the pose model on top of the near one) is not a reading."""
    readings = [_one_reading(frame, rule, side, lead, True) for side in (near, OTHER[near])]
    seen = [v for v in readings if math.isfinite(v)]
    if not seen:
        return math.nan
    return min(seen) if rule.toward_target() > 0 else max(seen)


def _one_reading(
    frame: PoseFrame, rule: AngleRule, near: str, lead: str | None, side_view: bool
) -> float:
    names = [resolve(p, near, lead, side_view) for p in rule.points]
    if any(n is None for n in names):
        return math.nan
    pts = [frame.point(n, min_visibility=rule.min_visibility) for n in names if n is not None]
    if any(p is None for p in pts):
        return math.nan
    p: list[np.ndarray] = [q for q in pts if q is not None]
    if rule.kind == "joint":
        return joint_angle(p[0], p[1], p[2])
    if rule.kind == "rotation":
        return rotation(p[1] - p[0], p[3] - p[2])
    lateral = lateral_axis(frame)
    if lateral is None:
        return math.nan
    if len(p) == 2:
        return signed_sagittal(UP, p[1] - p[0], lateral)
    return signed_sagittal(p[1] - p[0], p[3] - p[2], lateral)


def rotation_line_yaws(
    frame: PoseFrame, rule: AngleRule, lead: str | None = None
) -> tuple[float, float]:
    """Headings (degrees, in the camera's frame) of a rotation's upper and lower lines: the
    judged rotation is their difference. NaN where not a rotation or not seen.

    Why apart: the twist's jolts are read on the shoulders against a steadied hip line
    (scoring.steady_rotation), as the hip landmarks sit close together and their depth
    jitter swamps a jolt's reading of the difference.
    """
    if rule.kind != "rotation" or frame.world is None:
        return math.nan, math.nan
    near = near_side(frame)
    names = [resolve(p, near, lead) for p in rule.points]
    if any(n is None for n in names):
        return math.nan, math.nan
    pts = [frame.point(n, min_visibility=rule.min_visibility) for n in names if n is not None]
    return _yaw(pts[0], pts[1]), _yaw(pts[2], pts[3])


def _yaw(a: np.ndarray | None, b: np.ndarray | None) -> float:
    if a is None or b is None:
        return math.nan
    line = b - a
    if not math.hypot(float(line[0]), float(line[2])) > 1e-9:
        return math.nan
    return horizontal_yaw(line)


def uses_lead(rule: AngleRule) -> bool:
    return any(p.startswith(("{lead}", "{trail}")) for p in rule.points)


def series_key(rule: AngleRule, side: str | None) -> str | None:
    """The one place a series name is made: "name" or, for a {lead}/{trail} angle, "name@side".

    None for a {lead}/{trail} angle whose side is not known yet.
    """
    if not uses_lead(rule):
        return rule.name
    return None if side is None else f"{rule.name}@{side}"


def rule_name(key: str) -> str:
    """The rule a series key belongs to (the inverse of `series_key`)."""
    return key.split("@", 1)[0]


def key_side(key: str) -> str | None:
    """The twist side of a series key, or None for an angle read the same on both sides."""
    return key.split("@", 1)[1] if "@" in key else None


def angle_keys(exercise: Exercise) -> list[str]:
    """Names of the raw series: a {lead}/{trail} angle is measured for both twist sides."""
    keys = []
    for rule in exercise.angles:
        if uses_lead(rule):
            keys += [f"{rule.name}@{side}" for side in ("right", "left")]
        else:
            keys.append(rule.name)
    return keys


def frame_angles(frame: PoseFrame, exercise: Exercise) -> dict[str, float]:
    """Raw (unmirrored) angles of one frame; every angle is NaN when no pose was found."""
    if frame.world is None:
        return dict.fromkeys(angle_keys(exercise), math.nan)
    if not all(frame.inside(name, IN_VIEW_MARGIN) for name in exercise.in_view):
        # Part of the body the stretch needs is outside the picture (a close-up): the pose
        # model would only guess it, so nothing is judged from this frame.
        return dict.fromkeys(angle_keys(exercise), math.nan)
    near = near_side(frame)
    side_view = exercise.view == "side"
    out: dict[str, float] = {}
    for rule in exercise.angles:
        if uses_lead(rule):
            for side in ("right", "left"):
                out[f"{rule.name}@{side}"] = angle_value(
                    frame, rule, near, side, side_view
                )  # series_key
        else:
            out[rule.name] = angle_value(frame, rule, near, None, side_view)
    return out
