"""Synthetic MediaPipe-like landmark sessions with exact ground truth, for testing the core.

Why: real footage is scarce and unlabelled. A kinematic body with human proportions, posed by
scripted joint-angle trajectories, gives recordings whose reps, holds and safety events are
known exactly, so the core can be measured (tests, benchmarks/event_accuracy.py).

Conventions are MediaPipe's (coach/landmarks.py, coach/angles.py): world landmarks in metres,
origin mid-hip, y down, the person's left +x when they face the camera, the camera looking
along +z. The body is built in a "scene" frame (person facing -z, sagittal angles measured
from straight up, positive toward +z = backward) and then turned by the view yaw.

The truth is computed from the noise-free scripted angles on a 1 kHz grid, with the report
contract's definitions (DESIGN.md): a rep runs from leaving the driver's start band to
returning to it; hold_s is the time every target angle is inside its target band; an event
spans the time its condition holds, and spans closer than MERGE_GAP_S are one event.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import lfilter

from coach.core.exercises import AngleRule, Exercise, load_exercise
from coach.core.landmarks import INDEX, LANDMARK_NAMES, N_LANDMARKS, PoseFrame
from coach.io.landmark_file import FORMAT, VERSION

SOURCE = "coach.simulate"
FAULTS = ("too_fast", "overextension", "jerky", "short_hold", "wrong_side", "lost_view")
SCENARIOS = ("good", *FAULTS, "still")
TRUTH_GRID_HZ = 1000.0
MERGE_GAP_S = 0.3  # a condition that clears for less than this is the same event
# The truth is noise-free, so it needs no debounce; a pose missing for under a second is a
# dropped frame, not the person leaving the view.
MIN_SPAN_S = {"too_fast": 0.0, "overextension": 0.0, "jerky": 0.0, "lost_view": 1.0}
HELD_DPS = 5.0  # truth: held = in band and slower than this (breathing sway stays under 4 deg/s)
LEAVE_DEG = 3.0  # truth: a rep starts this far from the resting posture
GOOD_SPEED_FRACTION = 0.55  # good moves peak at most at this fraction of max_speed_dps
HFOV_DEG = 60.0
ASPECT = 16.0 / 9.0


# ----- scenario ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    """What the simulated person does; None fields are drawn at random from the seed."""

    name: str = "good"
    faults: tuple[str, ...] = ()
    reps_per_side: int | None = None  # None: the exercise's reps_per_side
    fault_rep: int | None = None  # which rep gets the fault (0-based); None: random
    still_s: float = 300.0  # length of a "still" scenario
    fps: float | str = 30.0  # a rate, or "variable" (about 24 fps with jittered intervals)
    view_yaw_deg: float | None = None  # camera yaw jitter, within +-15
    facing: str | None = None  # side views: "left" or "right" in the image
    noise: bool = True  # jitter, glitches and single-frame dropouts

    @classmethod
    def named(cls, name: str, **kw: Any) -> Scenario:
        """'good', 'still', a fault name, or faults joined by '+' ('too_fast+lost_view')."""
        if name in ("good", "still"):
            return cls(name=name, **kw)
        faults = tuple(name.split("+"))
        unknown = [f for f in faults if f not in FAULTS]
        if unknown:
            raise ValueError(f"unknown scenario {unknown[0]!r}; use one of {', '.join(SCENARIOS)}")
        return cls(name=name, faults=faults, **kw)


# ----- smooth trajectories ----------------------------------------------------------------
def min_jerk(s: np.ndarray) -> np.ndarray:
    """Minimum-jerk profile 0..1: the bell-shaped speed of human point-to-point moves."""
    s = np.clip(s, 0.0, 1.0)
    return s**3 * (10.0 - 15.0 * s + 6.0 * s * s)


@dataclass
class Track:
    """A scalar trajectory through keyframes, minimum-jerk between consecutive ones."""

    times: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def add(self, t: float, v: float) -> None:
        if self.times and t <= self.times[-1]:
            raise ValueError(f"keyframe at {t} is not after {self.times[-1]}")
        self.times.append(float(t))
        self.values.append(float(v))

    def to(self, dt: float, v: float) -> None:
        """Move to v over dt seconds from the last keyframe."""
        self.add(self.times[-1] + dt, v)

    @property
    def end(self) -> float:
        return self.times[-1]

    @property
    def last(self) -> float:
        return self.values[-1]

    def at(self, t: np.ndarray) -> np.ndarray:
        ts, vs = np.asarray(self.times), np.asarray(self.values)
        if len(ts) == 1:
            return np.full_like(t, vs[0], dtype=float)
        i = np.clip(np.searchsorted(ts, t, side="right") - 1, 0, len(ts) - 2)
        s = (t - ts[i]) / (ts[i + 1] - ts[i])
        return vs[i] + (vs[i + 1] - vs[i]) * min_jerk(s)


# ----- how a person does each exercise ----------------------------------------------------
@dataclass(frozen=True)
class Profile:
    """Natural values of one exercise: the driver at rest and in the hold, and the form angle
    (neck or head) that follows the driver's progress. Driver values are as the right side
    reads them; a left twist is the mirror."""

    rest: float
    hold: float
    aux_name: str
    aux_rest: float
    aux_hold: float
    builder: str


PROFILES: dict[str, Profile] = {
    "chair-back-extension": Profile(0.0, 20.0, "neck_extension", 5.0, 22.0, "chair"),
    "standing-back-extension": Profile(0.0, 16.0, "neck_extension", 2.0, 12.0, "standing"),
    "foam-roller-extension": Profile(15.0, 75.0, "neck_extension", 5.0, 20.0, "roller"),
    "ball-back-extension": Profile(10.0, 85.0, "neck_extension", 5.0, 15.0, "ball"),
    "seated-twist": Profile(0.0, 38.0, "head_rotation", 0.0, 50.0, "twist"),
    "knees-to-chest": Profile(135.0, 45.0, "head_lift", 0.0, -25.0, "knees"),
}


@dataclass
class RepPlan:
    side: str | None
    begin_s: float = 0.0  # start of the move in
    end_s: float = 0.0  # end of the release
    hold_value: float = 0.0


@dataclass
class Script:
    """The scripted session: angle tracks plus where the faults were put."""

    exercise: Exercise
    profile: Profile
    driver: Track  # raw driver value (signed for a twist)
    legs: Track  # twist: 0 = right leg crossed, 1 = left leg crossed
    side_times: list[float]  # piecewise-constant twist side: value side_values[i] from t_i
    side_values: list[int]
    rest: float
    hold: float
    duration_s: float
    plans: list[RepPlan]
    gaps: list[tuple[float, float]]
    injected: list[dict[str, Any]]

    def side_sign(self, t: np.ndarray) -> np.ndarray:
        i = np.clip(np.searchsorted(np.asarray(self.side_times), t, side="right") - 1, 0, None)
        return np.asarray(self.side_values, dtype=float)[i]

    def progress(self, raw: np.ndarray, sign: np.ndarray) -> np.ndarray:
        """0 at rest, 1 at the nominal hold: drives the limbs and the form angle."""
        v = raw * sign if self.exercise.sided else raw
        return np.clip((v - self.rest) / (self.hold - self.rest), 0.0, 1.2)

    def aux(self, u: np.ndarray) -> np.ndarray:
        """The form angle (mirrored sense) as a function of progress."""
        p = self.profile
        return p.aux_rest + (p.aux_hold - p.aux_rest) * np.minimum(u, 1.1)


def _inside(band: tuple[float, float], value: float, margin: float) -> float:
    lo, hi = band
    return float(np.clip(value, lo + margin, hi - margin))


def _move_s(amp: float, speed_dps: float) -> float:
    """Duration of a minimum-jerk move of amp degrees that peaks at speed_dps."""
    return 1.875 * abs(amp) / speed_dps


def _in_band_s(duration: float, v0: float, v1: float, band: tuple[float, float]) -> float:
    """Time a minimum-jerk move from v0 to v1 spends inside band."""
    v = v0 + (v1 - v0) * min_jerk(np.linspace(0.0, 1.0, 401))
    return float(np.mean((v >= band[0]) & (v <= band[1]))) * duration


def _sides(ex: Exercise, sc: Scenario, n: int) -> list[str | None]:
    if not ex.sided:
        return [None] * n
    sides: list[str | None] = ["right"] * n
    if "wrong_side" in sc.faults:
        sides.append("right")  # the first left twist done on the right again
    return sides + ["left"] * n


class _Builder:
    """Writes keyframes rep by rep; small methods, one per phase of a rep."""

    def __init__(self, ex: Exercise, sc: Scenario, rng: np.random.Generator) -> None:
        self.ex, self.sc, self.rng = ex, sc, rng
        self.rule = ex.driver_rule
        prof = PROFILES[ex.id]
        assert self.rule.start is not None
        self.rest = _inside(self.rule.start, prof.rest + rng.uniform(-2, 2), 4.0)
        width = self.rule.target[1] - self.rule.target[0]
        self.hold = _inside(self.rule.target, prof.hold + rng.uniform(-0.15, 0.15) * width, 5.0)
        self.dir = 1.0 if self.hold > self.rest else -1.0
        self.over_sign = 1.0 if self.rule.limit_is_high else -1.0
        self.driver = Track()
        self.legs = Track()
        self.side_times: list[float] = [0.0]
        self.side_values: list[int] = [1]
        self.plans: list[RepPlan] = []
        self.gaps: list[tuple[float, float]] = []
        self.injected: list[dict[str, Any]] = []

    def u(self, a: float, b: float) -> float:
        return float(self.rng.uniform(a, b))

    def good_move_s(self, amp: float) -> float:
        return max(self.u(1.5, 4.0), _move_s(amp, GOOD_SPEED_FRACTION * self.rule.max_speed_dps))

    def rest_until(self, t_end: float, value: float) -> None:
        """Sit at rest with a slow sway of about a degree."""
        while self.driver.end < t_end - 0.1:
            dt = min(self.u(1.5, 3.0), t_end - self.driver.end)
            if dt < 0.5:
                dt = t_end - self.driver.end
            self.driver.to(dt, value + self.u(-1.0, 1.0))

    def hold_for(self, dt_total: float, value: float) -> None:
        """Hold with a gentle breathing sway that keeps well inside the band."""
        t_end = self.driver.end + dt_total
        while self.driver.end < t_end - 0.05:
            dt = min(self.u(1.5, 3.0), t_end - self.driver.end)
            if dt < 0.6:
                dt = t_end - self.driver.end
            self.driver.to(dt, value + self.u(-1.5, 1.5))

    def switch_legs(self, sign: int) -> None:
        """Twist: re-cross the legs for the other side during the rest, over 2.5 s."""
        want = 0.0 if sign > 0 else 1.0
        if not self.legs.times:
            self.legs.add(0.0, want)
            return
        if self.legs.last == want:
            return
        t0 = self.driver.end + 0.5
        self.rest_until(t0 + 3.0, self.rest)
        if t0 > self.legs.end:
            self.legs.add(t0, self.legs.last)
        self.legs.add(t0 + 2.5, want)

    def rep(self, i: int, side: str | None, faults: set[str], target_hold: float) -> None:
        sg = -1.0 if side == "left" else 1.0
        if side is not None:
            self.switch_legs(int(sg))
            self.side_times.append(self.driver.end)
            self.side_values.append(int(sg))
        hold_v = self.hold
        if "jerky" in faults:  # sit low in the band so the jolt stays short of the limit
            hold_v = self.rest + (self.hold - self.rest) * 0.85
        hold_v = _inside(self.rule.target, hold_v, 5.0)
        plan = RepPlan(side, begin_s=self.driver.end, hold_value=hold_v * sg)
        amp = abs(hold_v - self.rest)
        if "too_fast" in faults:
            k = self.u(2.5, 4.0)
            t_in = _move_s(amp, k * self.rule.max_speed_dps)
            self._inject("too_fast", i, self.driver.end, self.driver.end + t_in, speed_x=k)
        else:
            t_in = self.good_move_s(amp)
        self.driver.to(t_in, hold_v * sg)
        rest_back = self.rest + self.u(-1, 1)
        t_out = self.good_move_s(amp)
        hold = target_hold + self.u(0.8, 2.5)
        if "short_hold" in faults:
            # The ramps pass through the band too: the plateau is what is left of the hold.
            want = target_hold * self.u(0.3, 0.65)
            ramps = _in_band_s(t_in, self.rest, hold_v, self.rule.target) + _in_band_s(
                t_out, hold_v, rest_back, self.rule.target
            )
            hold = max(0.3, want - ramps)
            self._inject("short_hold", i, self.driver.end, self.driver.end + hold, hold_s=want)
        self._hold_with_faults(i, hold, hold_v, sg, faults)
        self.driver.to(t_out, rest_back)
        plan.end_s = self.driver.end
        self.plans.append(plan)

    def _hold_with_faults(
        self, i: int, hold: float, hold_v: float, sg: float, faults: set[str]
    ) -> None:
        if "overextension" in faults:
            first = min(self.u(1.5, 2.5), hold / 2)
            self.hold_for(first, hold_v * sg)
            self._overextend(i, hold_v, sg)
            self.hold_for(max(hold - first, 1.0), hold_v * sg)
        elif "jerky" in faults:
            first = hold * self.u(0.4, 0.6)
            self.hold_for(first, hold_v * sg)
            self._jolt(i, hold_v, sg)
            self.hold_for(max(hold - first, 1.0), hold_v * sg)
        else:
            self.hold_for(hold, hold_v * sg)

    def _overextend(self, i: int, hold_v: float, sg: float) -> None:
        peak = self.rule.limit + self.over_sign * self.u(5.0, 15.0)
        t_move = max(1.0, _move_s(peak - hold_v, 0.5 * self.rule.max_speed_dps))
        t0 = self.driver.end
        self.driver.to(t_move, peak * sg)
        self.driver.to(self.u(1.2, 2.0), (peak + self.over_sign * self.u(-1, 1)) * sg)
        self.driver.to(t_move, hold_v * sg)
        self._inject("overextension", i, t0, self.driver.end, peak=peak)

    def _jolt(self, i: int, hold_v: float, sg: float) -> None:
        room = abs(self.rule.limit - hold_v) - 4.0
        jump = min(self.u(12.0, 20.0), room)
        up = self.u(0.05, 0.09)
        t0 = self.driver.end
        self.driver.to(up, (hold_v + self.dir * jump) * sg)
        self.driver.to(0.1, (hold_v + self.dir * jump) * sg)
        back = max(0.8, _move_s(jump, 0.5 * self.rule.max_speed_dps))
        self.driver.to(back, hold_v * sg)
        self._inject("jerky", i, t0, t0 + up, jump_deg=jump)

    def _inject(self, kind: str, rep: int, t0: float, t1: float, **info: float) -> None:
        self.injected.append(
            {
                "type": kind,
                "rep": rep,
                "start_s": round(t0, 3),
                "end_s": round(t1, 3),
                **{k: round(v, 2) for k, v in info.items()},
            }
        )

    def lost_view(self, i: int) -> None:
        """Step out of view during the rest after rep i."""
        t0 = self.driver.end + self.u(1.0, 1.5)
        t1 = t0 + self.u(2.0, 4.0)
        self.gaps.append((t0, t1))
        self._inject("lost_view", i, t0, t1)
        self.rest_until(t1 + 1.5, self.rest)


def build_script(ex: Exercise, sc: Scenario, rng: np.random.Generator) -> Script:
    b = _Builder(ex, sc, rng)
    b.driver.add(0.0, b.rest)
    if ex.sided:
        b.switch_legs(1)
    b.rest_until(b.u(2.0, 3.0), b.rest)
    if sc.name == "still":
        b.rest_until(sc.still_s, b.rest)
    else:
        n = sc.reps_per_side or ex.reps_per_side
        sides = _sides(ex, sc, n)
        fault_rep = sc.fault_rep if sc.fault_rep is not None else int(rng.integers(0, len(sides)))
        fault_rep = min(fault_rep, len(sides) - 1)
        if "wrong_side" in sc.faults:
            fault_rep = n  # the repeated side
            b._inject("wrong_side", n, 0.0, 0.0)
        rep_faults = {f for f in sc.faults if f not in ("wrong_side", "lost_view")}
        for i, side in enumerate(sides):
            b.rep(i, side, rep_faults if i == fault_rep else set(), ex.hold_s)
            if i == len(sides) - 1:
                break
            if "lost_view" in sc.faults and i == min(fault_rep, len(sides) - 2):
                b.lost_view(i)
            b.rest_until(b.driver.end + max(3.0, ex.rest_s + b.u(-1.0, 1.5)), b.rest)
        if "lost_view" in sc.faults and not b.gaps:
            b.lost_view(len(sides) - 1)
        if "wrong_side" in sc.faults:
            wrong = b.plans[n]
            b.injected[0].update(start_s=round(wrong.begin_s, 3), end_s=round(wrong.end_s, 3))
    b.rest_until(b.driver.end + b.u(2.0, 3.0), b.rest)
    if not b.legs.times:
        b.legs.add(0.0, 0.0)
    return Script(
        exercise=ex,
        profile=PROFILES[ex.id],
        driver=b.driver,
        legs=b.legs,
        side_times=b.side_times,
        side_values=b.side_values,
        rest=b.rest,
        hold=b.hold,
        duration_s=b.driver.end,
        plans=b.plans,
        gaps=b.gaps,
        injected=b.injected,
    )


# ----- the body ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Body:
    """Segment lengths in metres from stature (Winter, Biomechanics and Motor Control of
    Human Movement, 4th ed., fig. 4.1), each varied a little per person."""

    height: float
    trunk: float
    shoulder_half: float
    hip_half: float
    neck: float
    ear_half: float
    thigh: float
    shank: float
    upper_arm: float
    forearm: float
    hand: float
    foot: float

    @classmethod
    def random(cls, rng: np.random.Generator) -> Body:
        h = float(rng.uniform(1.5, 1.95))

        def seg(ratio: float) -> float:
            return ratio * h * float(rng.uniform(0.97, 1.03))

        return cls(
            height=h,
            trunk=seg(0.288),  # hip joint 0.530 H to shoulder 0.818 H
            shoulder_half=seg(0.100),  # acromion to acromion about 0.2 H between joint centres
            hip_half=seg(0.055),  # hip joint centres about 0.11 H apart
            neck=seg(0.105),  # shoulder 0.818 H to ear about 0.923 H
            ear_half=seg(0.043),
            thigh=seg(0.245),  # 0.530 H - 0.285 H
            shank=seg(0.246),  # 0.285 H - 0.039 H
            upper_arm=seg(0.186),
            forearm=seg(0.146),
            hand=seg(0.108),
            foot=seg(0.152),
        )


def sag(theta_deg: np.ndarray) -> np.ndarray:
    """Unit vectors in the scene's sagittal plane, theta from straight up, + toward +z."""
    th = np.radians(theta_deg)
    return np.stack([np.zeros_like(th), -np.cos(th), np.sin(th)], axis=-1)


def rot_x(deg: np.ndarray) -> np.ndarray:
    a = np.radians(deg)
    c, s, z, o = np.cos(a), np.sin(a), np.zeros_like(a), np.ones_like(a)
    rows = [np.stack([o, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)]
    return np.stack(rows, -2)


def rot_y(deg: np.ndarray) -> np.ndarray:
    """Positive turns the person's front (-z) toward their right (-x)."""
    a = np.radians(deg)
    c, s, z, o = np.cos(a), np.sin(a), np.zeros_like(a), np.ones_like(a)
    rows = [np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)]
    return np.stack(rows, -2)


def pitch(theta_deg: np.ndarray) -> np.ndarray:
    """Rotation taking straight up to sag(theta)."""
    return rot_x(-np.asarray(theta_deg, dtype=float))


def mv(r: np.ndarray, v: Sequence[float] | np.ndarray) -> np.ndarray:
    v = np.broadcast_to(np.asarray(v, dtype=float), r.shape[:-1])
    return np.einsum("tij,tj->ti", r, v)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def two_link(
    root: np.ndarray, target: np.ndarray, l1: float, l2: float, pole: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Elbow/knee and wrist/ankle reaching for target, bending toward pole; clamps reach."""
    d_vec = target - root
    d = np.clip(np.linalg.norm(d_vec, axis=-1), abs(l1 - l2) + 1e-3, (l1 + l2) * 0.999)
    axis = _unit(d_vec)
    end = root + axis * d[:, None]
    a = (l1 * l1 - l2 * l2 + d * d) / (2 * d)
    h = np.sqrt(np.maximum(l1 * l1 - a * a, 0.0))
    perp = _unit(pole - np.sum(pole * axis, -1, keepdims=True) * axis)
    mid = root + axis * a[:, None] + perp * h[:, None]
    return mid, end


def _perp(v: np.ndarray, axis: np.ndarray) -> np.ndarray:
    axis = _unit(axis)
    return _unit(v - np.sum(v * axis, -1, keepdims=True) * axis)


HEAD_POINTS: dict[str, tuple[float, float, float]] = {
    # In the head frame (origin between the ears, metres for a 1.75 m person, forward = -z).
    "nose": (0.0, 0.02, -0.10),
    "left_eye_inner": (0.015, -0.015, -0.085),
    "left_eye": (0.032, -0.017, -0.08),
    "left_eye_outer": (0.048, -0.015, -0.072),
    "mouth_left": (0.025, 0.045, -0.085),
}


@dataclass
class Pose:
    """Scene-frame landmark positions, each (T, 3), filled in by the builders."""

    pts: dict[str, np.ndarray] = field(default_factory=dict)

    def stack(self) -> np.ndarray:
        return np.stack([self.pts[n] for n in LANDMARK_NAMES], axis=1)


def upper_body(pose: Pose, body: Body, trunk: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Shoulders from the trunk frame, face and ears from the head frame; returns mid-shoulder."""
    mid_sh = mv(trunk, (0.0, -body.trunk, 0.0))
    for side, sx in (("left", 1.0), ("right", -1.0)):
        pose.pts[f"{side}_shoulder"] = mid_sh + mv(trunk, (sx * body.shoulder_half, 0.0, 0.0))
        pose.pts[f"{side}_hip"] = np.broadcast_to(
            np.array([sx * body.hip_half, 0.0, 0.0]), mid_sh.shape
        ).copy()
    mid_ear = mid_sh + mv(head, (0.0, -body.neck, 0.0))
    k = body.height / 1.75
    for side, sx in (("left", 1.0), ("right", -1.0)):
        pose.pts[f"{side}_ear"] = mid_ear + mv(head, (sx * body.ear_half, 0.0, 0.0))
        for name, (x, y, z) in HEAD_POINTS.items():
            if name == "nose":
                continue
            pose.pts[name.replace("left", side)] = mid_ear + mv(head, (sx * x * k, y * k, z * k))
    x, y, z = HEAD_POINTS["nose"]
    pose.pts["nose"] = mid_ear + mv(head, (x, y * k, z * k))
    return mid_sh


def arm(pose: Pose, body: Body, side: str, wrist_target: np.ndarray, pole: np.ndarray) -> None:
    shoulder = pose.pts[f"{side}_shoulder"]
    elbow, wrist = two_link(shoulder, wrist_target, body.upper_arm, body.forearm, pole)
    pose.pts[f"{side}_elbow"], pose.pts[f"{side}_wrist"] = elbow, wrist
    along = _unit(wrist - elbow)
    across = _perp(np.cross(along, pole), along)
    sx = 1.0 if side == "left" else -1.0
    pose.pts[f"{side}_index"] = wrist + along * body.hand * 0.75 + across * 0.01 * sx
    pose.pts[f"{side}_pinky"] = wrist + along * body.hand * 0.65 - across * 0.03 * sx
    pose.pts[f"{side}_thumb"] = wrist + along * body.hand * 0.4 + across * 0.035 * sx


def leg(
    pose: Pose, body: Body, side: str, knee: np.ndarray, ankle: np.ndarray, toes: np.ndarray
) -> None:
    """Knee, ankle and the foot; toes is the direction the foot points."""
    pose.pts[f"{side}_knee"], pose.pts[f"{side}_ankle"] = knee, ankle
    shank = _unit(ankle - knee)
    toes = _perp(toes, shank)
    pose.pts[f"{side}_heel"] = ankle - toes * body.foot * 0.25 + shank * 0.04
    pose.pts[f"{side}_foot_index"] = ankle + toes * body.foot * 0.75 + shank * 0.04


def sagittal_legs(pose: Pose, body: Body, thigh_deg: np.ndarray, shank_deg: np.ndarray) -> None:
    """Both legs in the sagittal plane at scene angles, feet perpendicular to the shank."""
    for side in ("left", "right"):
        knee = pose.pts[f"{side}_hip"] + sag(thigh_deg) * body.thigh
        ankle = knee + sag(shank_deg) * body.shank
        leg(pose, body, side, knee, ankle, sag(shank_deg + 90.0))


def hands_behind_head(pose: Pose, body: Body, head: np.ndarray, trunk: np.ndarray) -> None:
    mid_ear = (pose.pts["left_ear"] + pose.pts["right_ear"]) / 2
    for side, sx in (("left", 1.0), ("right", -1.0)):
        target = mid_ear + mv(head, (sx * 0.04, 0.01, 0.10))
        arm(pose, body, side, target, mv(trunk, (sx, 0.3, -0.6)))


@dataclass
class Angles:
    """Per-frame scripted values handed to a builder (all shape (T,))."""

    driver: np.ndarray
    aux: np.ndarray
    u: np.ndarray
    sign: np.ndarray
    legs: np.ndarray


def build_back_extension(body: Body, a: Angles, kind: str) -> Pose:
    """Chair, standing, roller and ball: the trunk tilts back by the driver, the neck follows."""
    pose = Pose()
    trunk = pitch(a.driver)
    head = trunk @ pitch(a.aux)
    upper_body(pose, body, trunk, head)
    n = len(a.u)
    if kind == "standing":
        sagittal_legs(pose, body, np.full(n, 180.0), np.full(n, 180.0))
        for side, sx in (("left", 1.0), ("right", -1.0)):
            # Hands clasped behind the back, pushed up at an angle as the back bends.
            local = np.stack([np.full(n, sx * 0.02), -0.05 - 0.1 * a.u, 0.25 + 0.15 * a.u], -1)
            target = mv(trunk, local)
            arm(pose, body, side, target, mv(trunk, (sx, 0.0, 0.5)))
        return pose
    hands_behind_head(pose, body, head, trunk)
    if kind == "chair":
        sagittal_legs(pose, body, np.full(n, -90.0), np.full(n, 180.0))
    elif kind == "roller":
        sagittal_legs(pose, body, np.full(n, -45.0), np.full(n, -170.0))
    else:  # ball: the feet walk out as the back goes over the ball
        sagittal_legs(pose, body, -90.0 + 10.0 * a.u, 180.0 - 25.0 * a.u)
    return pose


def build_knees(body: Body, a: Angles) -> Pose:
    """Lying supine (head toward +z): the hip angle is the driver, the head lifts by aux."""
    pose = Pose()
    n = len(a.u)
    trunk_deg = np.full(n, 90.0)
    trunk = pitch(trunk_deg)
    head = trunk @ pitch(a.aux)
    upper_body(pose, body, trunk, head)
    u = np.clip(a.u, 0.0, 1.0)
    sagittal_legs(pose, body, trunk_deg - a.driver, -160.0 + 70.0 * u)
    for side, sx in (("left", 1.0), ("right", -1.0)):
        rest = pose.pts[f"{side}_hip"] + np.array([sx * 0.06, 0.0, 0.02])
        hug = pose.pts[f"{side}_knee"] + np.array([sx * 0.02, -0.03, 0.06])
        target = rest + (hug - rest) * u[:, None]
        arm(pose, body, side, target, np.broadcast_to(np.array([sx, 0.7, 0.0]), target.shape))
    return pose


def build_twist(body: Body, a: Angles) -> Pose:
    """Seated on the floor facing the camera: trunk yaw is the driver, head yaw the aux."""
    pose = Pose()
    n = len(a.u)
    trunk = rot_y(a.driver)
    head = trunk @ rot_y(a.aux * a.sign)
    upper_body(pose, body, trunk, head)
    floor = body.hip_half * 1.6  # hip joints sit a little above the floor
    reach = (body.thigh + body.shank) * 0.985
    up = np.broadcast_to(np.array([0.0, -1.0, 0.0]), (n, 3))
    for side, sx, crossed_w in (("right", -1.0, 1.0 - a.legs), ("left", 1.0, a.legs)):
        hip = pose.pts[f"{side}_hip"]
        straight = hip + np.array([0.0, floor * 0.3, -reach])
        # The crossed foot rests outside the other thigh, near the other hip.
        crossed = np.array([-sx * (body.hip_half + 0.09), floor - 0.05, -0.22])
        target = straight + (crossed - straight) * crossed_w[:, None]
        pole = up + np.array([sx * 0.3, 0.0, 0.0]) * crossed_w[:, None]
        knee, ankle = two_link(hip, target, body.thigh, body.shank, pole)
        leg(pose, body, side, knee, ankle, pole)
    u = np.clip(a.u, 0.0, 1.0)[:, None]
    sg = a.sign[:, None]
    right = sg > 0
    crossed_knee = np.where(right, pose.pts["right_knee"], pose.pts["left_knee"])
    brace_t = crossed_knee + np.array([-0.08, 0.0, 0.0]) * sg
    behind = np.array([-0.2, floor - 0.02, 0.22]) * np.concatenate([sg, np.ones((n, 2))], 1)
    for side, sx in (("left", 1.0), ("right", -1.0)):
        rest = np.array([sx * 0.12, floor - 0.08, -0.3])
        # The arm opposite the twist braces outside the crossed knee; the other hand goes
        # to the floor behind the hip on the twist side.
        brace = right if side == "left" else ~right
        target = rest + (np.where(brace, brace_t, behind) - rest) * u
        arm(pose, body, side, target, np.broadcast_to(np.array([sx, 0.6, 0.2]), target.shape))
    return pose


BUILDERS: dict[str, Callable[[Body, Angles], Pose]] = {
    "chair": lambda b, a: build_back_extension(b, a, "chair"),
    "standing": lambda b, a: build_back_extension(b, a, "standing"),
    "roller": lambda b, a: build_back_extension(b, a, "roller"),
    "ball": lambda b, a: build_back_extension(b, a, "ball"),
    "twist": build_twist,
    "knees": build_knees,
}


# ----- camera, visibility, noise -----------------------------------------------------------
@dataclass(frozen=True)
class Camera:
    yaw_deg: float  # turns the scene into the camera's world frame
    distance_m: float
    offset: tuple[float, float]  # mid-hip position in camera coordinates (x, y), metres

    @property
    def fx(self) -> float:
        return 0.5 / math.tan(math.radians(HFOV_DEG) / 2)

    @property
    def fy(self) -> float:
        return self.fx * ASPECT


def choose_camera(
    ex: Exercise, sc: Scenario, rest_world: np.ndarray, rng: np.random.Generator
) -> Camera:
    jitter = sc.view_yaw_deg if sc.view_yaw_deg is not None else float(rng.uniform(-15, 15))
    if ex.view == "front":
        yaw = jitter
    else:
        facing = sc.facing or str(rng.choice(["left", "right"]))
        yaw = (90.0 if facing == "left" else -90.0) + jitter
    return Camera(yaw_deg=yaw, distance_m=0.0, offset=(0.0, 0.0))


def place_camera(cam: Camera, world: np.ndarray, rng: np.random.Generator) -> Camera:
    """Far enough that the body fits in about 80% of the frame all session long."""
    pts = world.reshape(-1, 3)
    cx = float((pts[:, 0].max() + pts[:, 0].min()) / 2)
    cy = float((pts[:, 1].max() + pts[:, 1].min()) / 2)
    half_w = float(np.abs(pts[:, 0] - cx).max())
    half_h = float(np.abs(pts[:, 1] - cy).max())
    dist = max(cam.fx * half_w / 0.4, cam.fy * half_h / 0.4, 1.8) + float(rng.uniform(0.0, 0.5))
    offset = (
        -cx + float(rng.uniform(-0.1, 0.1)) * dist / cam.fx,
        -cy + float(rng.uniform(-0.03, 0.03)) * dist / cam.fy,
    )
    placed = replace(cam, distance_m=dist, offset=offset)
    # Limbs reaching toward the camera look bigger: step back until everything fits.
    while np.abs(project(placed, pts)[:, :2] - 0.5).max() > 0.46:
        placed = replace(placed, distance_m=placed.distance_m * 1.08)
    return placed


def project(cam: Camera, world: np.ndarray) -> np.ndarray:
    """Pinhole projection to MediaPipe image coordinates (x, y in 0..1, z like x)."""
    x = world[..., 0] + cam.offset[0]
    y = world[..., 1] + cam.offset[1]
    z = world[..., 2] + cam.distance_m
    return np.stack(
        [0.5 + cam.fx * x / z, 0.5 + cam.fy * y / z, cam.fx * world[..., 2] / cam.distance_m],
        axis=-1,
    )


SIDE_OF = np.array(
    [
        1.0 if n.startswith("left_") else -1.0 if n.startswith("right_") else 0.0
        for n in LANDMARK_NAMES
    ]
)


def visibility(world: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Near-side and central joints 0.9-1.0; far-side limbs 0.1-0.4 when seen side-on."""
    lateral = _unit(world[:, INDEX["left_hip"]] - world[:, INDEX["right_hip"]])
    s = -lateral[:, 2]  # > 0: the person's left is toward the camera
    far = np.clip((np.abs(s) - 0.3) / 0.5, 0.0, 1.0)[:, None]
    is_far = (SIDE_OF[None, :] * np.sign(s)[:, None]) < 0
    t, n = world.shape[:2]
    near_vis = rng.uniform(0.9, 1.0, (t, n))
    far_vis = (1 - far) * rng.uniform(0.85, 0.98, (t, n)) + far * rng.uniform(0.1, 0.4, (t, n))
    return np.where(is_far, far_vis, near_vis)


def jitter(t: np.ndarray, n: int, vis: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """MediaPipe-like noise, sigma 5-8 mm across and 9-13 mm in depth per landmark.

    Each coordinate is AR(1) with about 60 ms memory. Part of it (50-70%) is shared by the
    whole body, as a pose model's errors are: without that, 13 mm of independent depth noise
    on hips 0.2 m apart would swing the torso rotation by about 7 deg, where DESIGN.md
    measured about 5 deg. Low-visibility joints get more; rare one-frame glitches move 1-3
    joints by 3-8 cm."""
    dt = float(np.median(np.diff(t))) if len(t) > 1 else 1 / 30
    rho = math.exp(-dt / 0.06)
    sigma = np.array([rng.uniform(5, 8), rng.uniform(5, 8), rng.uniform(9, 13)]) / 1000.0
    shared = rng.uniform(0.5, 0.7)
    white = rng.standard_normal((len(t), n, 3)) * math.sqrt(1 - shared)
    white += rng.standard_normal((len(t), 1, 3)) * math.sqrt(shared)
    noise = lfilter([1.0], [1.0, -rho], white * sigma * math.sqrt(1 - rho * rho), axis=0)
    noise *= np.where(vis < 0.5, 1.6, 1.0)[..., None]
    glitch = np.flatnonzero(rng.random(len(t)) < 0.004)
    for i in glitch:
        joints = rng.choice(n, size=int(rng.integers(1, 4)), replace=False)
        noise[i, joints] += _unit(rng.standard_normal((len(joints), 3))) * rng.uniform(0.03, 0.08)
    return noise


def frame_times(duration: float, fps: float | str, rng: np.random.Generator) -> np.ndarray:
    if fps == "variable":
        steps = rng.uniform(0.7, 1.3, int(duration * 40) + 10) / 24.0
        drops = rng.random(len(steps)) < 0.02
        steps[drops] *= 3.0  # a stalled decoder now and then
        t = np.concatenate([[0.0], np.cumsum(steps)])
        return np.round(t[t <= duration], 4)
    rate = float(fps)
    return np.arange(0.0, duration, 1.0 / rate)


# ----- truth ------------------------------------------------------------------------------
def _spans(t: np.ndarray, cond: np.ndarray, min_s: float) -> list[tuple[int, int]]:
    """Index spans (first, last) where cond holds, merged across short gaps."""
    idx = np.flatnonzero(cond)
    if len(idx) == 0:
        return []
    spans: list[list[int]] = [[int(idx[0]), int(idx[0])]]
    for i in idx[1:]:
        if t[i] - t[spans[-1][1]] <= MERGE_GAP_S:
            spans[-1][1] = int(i)
        else:
            spans.append([int(i), int(i)])
    return [(a, b) for a, b in spans if t[b] - t[a] >= min_s - 1e-9]


def _event(
    kind: str,
    t: np.ndarray,
    a: int,
    b: int,
    angle: str | None,
    values: np.ndarray,
    limit: float,
    worst: Callable[[np.ndarray], np.ndarray],
) -> dict:
    """One truth event; its value is the worst one in the span (by `worst`, larger = worse)."""
    seg = values[a : b + 1]
    value = round(float(seg[np.argmax(worst(seg))]), 2)
    return {
        "type": kind,
        "start_s": round(float(t[a]), 3),
        "end_s": round(float(t[b]), 3),
        "angle": angle,
        "value": value,
        "limit": limit,
    }


def _rep_spans(ex: Exercise, p: np.ndarray) -> list[tuple[int, int]]:
    rule = ex.driver_rule
    assert rule.start is not None
    edge = max(rule.toward_target() * v for v in rule.start)
    outside = p > edge
    starts = np.flatnonzero(outside[1:] & ~outside[:-1]) + 1
    ends = np.flatnonzero(~outside[1:] & outside[:-1]) + 1
    out = []
    for s in starts:
        later = ends[ends > s]
        out.append((int(s), int(later[0]) if len(later) else len(p) - 1))
    return out


def compute_truth(script: Script, times: np.ndarray) -> dict[str, Any]:
    """Reps and safety events of the noise-free script, by the report contract's rules."""
    ex = script.exercise
    rule = ex.driver_rule
    dt = 1.0 / TRUTH_GRID_HZ
    t = np.arange(0.0, script.duration_s + dt / 2, dt)
    raw = script.driver.at(t)
    sign = script.side_sign(t) if ex.sided else np.ones_like(t)
    value = raw * sign  # the driver as the rule reads it (a left twist mirrored)
    p = rule.toward_target() * value
    aux = script.aux(script.progress(raw, sign))
    aux_rule = ex.angle(script.profile.aux_name)
    in_rep = np.zeros(len(t), dtype=bool)
    reps = []
    spans = _rep_spans(ex, p)
    for k, (a, b) in enumerate(spans):
        # A rep runs from leaving the resting posture to coming back to it (within 3 deg).
        prev_end = spans[k - 1][1] if k else 0
        next_start = spans[k + 1][0] if k + 1 < len(spans) else len(p)
        floor = rule.toward_target() * script.rest  # turning the other way is resting too
        before = np.maximum(p[prev_end : a + 1], floor)
        a = prev_end + int(np.flatnonzero(before <= before.min() + LEAVE_DEG)[-1])
        after = np.maximum(p[b:next_start], floor)
        b = b + int(np.flatnonzero(after <= after.min() + LEAVE_DEG)[0])
        in_rep[a : b + 1] = True
        band = (value[a:b] >= rule.target[0]) & (value[a:b] <= rule.target[1])
        # Held = in band and still: the scripted plateau, not the moves in and out.
        still = np.abs(np.gradient(value[a:b], dt)) < HELD_DPS
        over = bool(np.any(_past(rule, value[a:b])) or np.any(_past(aux_rule, aux[a:b])))
        hold = float((band & still).sum() * dt)
        peak = value[a:b][np.argmax(p[a:b])]
        side = None if not ex.sided else ("right" if sign[a] > 0 else "left")
        reps.append(
            {
                "side": side,
                "start_s": round(float(t[a]), 3),
                "end_s": round(float(t[b]), 3),
                "hold_s": round(hold, 2),
                "target_hold_s": ex.hold_s,
                "peak_deg": {rule.name: round(float(peak), 1)},
                "ok": hold >= ex.hold_s and not over,
            }
        )
    events = _safety_truth(ex, t, raw, value, aux, aux_rule, in_rep)
    for t0, t1 in script.gaps:
        hidden = times[(times >= t0) & (times < t1)]
        if len(hidden) and hidden[-1] - hidden[0] >= MIN_SPAN_S["lost_view"]:
            events.append(
                {
                    "type": "lost_view",
                    "start_s": round(float(hidden[0]), 3),
                    "end_s": round(float(hidden[-1]), 3),
                    "angle": None,
                    "value": None,
                    "limit": None,
                }
            )
    events.sort(key=lambda e: (e["start_s"], e["type"]))
    return {"reps": reps, "events": events}


def _past(rule: AngleRule, v: np.ndarray) -> np.ndarray:
    return v > rule.limit if rule.limit_is_high else v < rule.limit


def _safety_truth(
    ex: Exercise,
    t: np.ndarray,
    raw: np.ndarray,
    value: np.ndarray,
    aux: np.ndarray,
    aux_rule: AngleRule,
    in_rep: np.ndarray,
) -> list[dict[str, Any]]:
    rule = ex.driver_rule
    speed = np.gradient(raw, t)
    accel = np.gradient(speed, t)

    def past_worst(r: AngleRule) -> Callable[[np.ndarray], np.ndarray]:
        return (lambda v: v) if r.limit_is_high else (lambda v: -v)

    checks = [
        (
            "too_fast",
            np.abs(speed) > rule.max_speed_dps,
            rule.name,
            speed,
            rule.max_speed_dps,
            np.abs,
        ),
        ("jerky", np.abs(accel) > ex.max_accel_dps2, rule.name, accel, ex.max_accel_dps2, np.abs),
        ("overextension", _past(rule, value), rule.name, value, rule.limit, past_worst(rule)),
        # Form angles belong to a rep: outside one the person is free to re-cross their legs.
        (
            "overextension",
            _past(aux_rule, aux) & in_rep,
            aux_rule.name,
            aux,
            aux_rule.limit,
            past_worst(aux_rule),
        ),
    ]
    events = []
    for kind, cond, name, vals, limit, worst in checks:
        for a, b in _spans(t, cond, MIN_SPAN_S[kind]):
            events.append(_event(kind, t, a, b, name, vals, limit, worst))
    return events


# ----- putting it together ----------------------------------------------------------------
def _angles(script: Script, t: np.ndarray) -> Angles:
    raw = script.driver.at(t)
    sign = script.side_sign(t) if script.exercise.sided else np.ones_like(t)
    u = script.progress(raw, sign)
    return Angles(driver=raw, aux=script.aux(u), u=u, sign=sign, legs=script.legs.at(t))


def simulate(
    exercise_id: str,
    scenario: str | Scenario = "good",
    seed: int = 0,
    exercise: Exercise | None = None,
) -> tuple[list[PoseFrame], dict[str, Any]]:
    """A landmark sequence of one scripted session and its ground truth (see module doc)."""
    sc = Scenario.named(scenario) if isinstance(scenario, str) else scenario
    ex = exercise or load_exercise(exercise_id)
    rng = np.random.default_rng(seed)
    script = build_script(ex, sc, rng)
    body = Body.random(rng)
    times = frame_times(script.duration_s, sc.fps, rng)
    scene = BUILDERS[script.profile.builder](body, _angles(script, times)).stack()
    cam = choose_camera(ex, sc, scene[:1], rng)
    world = np.einsum("ij,tnj->tni", rot_y(np.array(cam.yaw_deg)), scene)
    world -= (world[:, INDEX["left_hip"]] + world[:, INDEX["right_hip"]])[:, None] / 2
    cam = place_camera(cam, world, rng)
    vis = visibility(world, rng)
    if sc.noise:
        world = world + jitter(times, N_LANDMARKS, vis, rng)
    image = project(cam, world)
    hidden = np.zeros(len(times), dtype=bool)
    for t0, t1 in script.gaps:
        hidden |= (times >= t0) & (times < t1)
    dropped = (rng.random(len(times)) < 0.002) & sc.noise & ~hidden
    frames = []
    for i, ti in enumerate(times):
        if hidden[i] or dropped[i]:
            frames.append(PoseFrame(t=float(ti)))
            continue
        w = np.concatenate([world[i], vis[i][:, None]], axis=1)
        im = np.concatenate([image[i], vis[i][:, None]], axis=1)
        frames.append(PoseFrame(t=float(ti), world=w, image=im))
    truth = compute_truth(script, times)
    truth = {
        "exercise": ex.id,
        "scenario": sc.name,
        "seed": seed,
        "fps": sc.fps if sc.fps != "variable" else None,
        "view": ex.view,
        "camera_yaw_deg": round(cam.yaw_deg, 1),
        "camera_distance_m": round(cam.distance_m, 2),
        "height_m": round(body.height, 3),
        "duration_s": round(float(times[-1]), 3),
        "driver": {
            "name": ex.driver,
            "rest_deg": round(script.rest, 1),
            "hold_deg": round(script.hold, 1),
        },
        **truth,
        "injected": script.injected,
        "dropped_frames": int(dropped.sum()),
    }
    return frames, truth


def truth_path(path: str | Path) -> Path:
    p = str(path)
    for suffix in (".landmarks.jsonl", ".jsonl"):
        if p.endswith(suffix):
            return Path(p[: -len(suffix)] + ".truth.json")
    return Path(p + ".truth.json")


def _rows(arr: np.ndarray | None, xyz_decimals: int) -> list[list[float]] | None:
    if arr is None:
        return None
    return [
        [round(float(v), xyz_decimals) for v in row[:3]] + [round(float(row[3]), 2)] for row in arr
    ]


def write_session(
    path: str | Path, frames: list[PoseFrame], truth: dict[str, Any], compact: bool = False
) -> Path:
    """The landmark file (truth also in the header) and a *.truth.json sidecar.

    compact rounds world coordinates to 1 mm and image ones to 1e-4 (well below the jitter)
    so shipped samples stay small; the format is the same contract."""
    world_dec, image_dec = (3, 4) if compact else (5, 5)
    p = Path(path)
    with p.open("w", encoding="utf-8") as fh:
        header = {
            "format": FORMAT,
            "version": VERSION,
            "fps": truth["fps"],
            "source": SOURCE,
            "truth": truth,
        }
        fh.write(json.dumps(header, separators=(",", ":")) + "\n")
        for f in frames:
            rec = {
                "t": round(f.t, 4),
                "world": _rows(f.world, world_dec),
                "image": _rows(f.image, image_dec),
            }
            fh.write(json.dumps(rec, separators=(",", ":")) + "\n")
    side = truth_path(p)
    side.write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    return side


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="coach simulate", description="Generate a landmark session and its truth."
    )
    ap.add_argument("--exercise", required=True, choices=sorted(PROFILES))
    ap.add_argument(
        "--scenario", default="good", help=f"one of {', '.join(SCENARIOS)}, or faults joined by '+'"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True, help="PATH.landmarks.jsonl (truth beside it)")
    ap.add_argument("--fps", default="30", help="frames a second, or 'variable'")
    ap.add_argument("--reps", type=int, default=None, help="reps per side")
    ap.add_argument("--minutes", type=float, default=5.0, help="length of the 'still' scenario")
    ap.add_argument("--compact", action="store_true", help="round coordinates for small files")
    args = ap.parse_args(argv)
    fps: float | str = "variable" if args.fps == "variable" else float(args.fps)
    try:
        sc = Scenario.named(
            args.scenario, fps=fps, reps_per_side=args.reps, still_s=args.minutes * 60.0
        )
    except ValueError as exc:
        ap.error(str(exc))
    frames, truth = simulate(args.exercise, sc, args.seed)
    side = write_session(args.out, frames, truth, compact=args.compact)
    print(
        f"{args.out}: {len(frames)} frames, {len(truth['reps'])} reps, "
        f"{len(truth['events'])} events; truth in {side}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
