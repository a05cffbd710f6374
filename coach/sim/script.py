"""The scripted session: scenario, smooth joint-angle trajectories, the script builder.

Why: a session's reps, holds and injected faults are decided here, as angle trajectories over
time, before any body or camera exists, so the truth (truth.py) can be read off the script.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coach.core.exercises import Exercise

FAULTS = ("too_fast", "overextension", "jerky", "short_hold", "wrong_side", "lost_view")
SCENARIOS = ("good", *FAULTS, "still")
GOOD_SPEED_FRACTION = 0.55  # good moves peak at most at this fraction of max_speed_dps
# A too-fast move takes at least this long: 12-20 deg within 0.1-0.2 s is a jolt (the issue's
# words), so a quicker move in would be a jolt as well as too fast, and its truth ambiguous.
# Through body, camera and jitter a minimum-jerk move reads about 3/4 of its length (its slow
# ends are lost): a 0.3 s move reads 0.21-0.25 s, too near a jolt's 0.2 s.
FAST_MOVE_MIN_S = 0.4
FAST_SPEED_MIN_X = 1.3  # ... and still peaks at least this far over the speed limit


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
    held: list[tuple[float, float]] = field(default_factory=list)  # the scripted holds

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
        self.held: list[tuple[float, float]] = []
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
        self.held.append((self.driver.end, t_end))
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
            limit = self.rule.max_speed_dps
            t_in = max(_move_s(amp, self.u(2.5, 4.0) * limit), FAST_MOVE_MIN_S)
            t_in = min(t_in, _move_s(amp, FAST_SPEED_MIN_X * limit))
            k = 1.875 * amp / t_in / limit
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
        held=b.held,
        injected=b.injected,
    )
