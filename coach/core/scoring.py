"""Offline scoring: a whole recording's PoseFrames -> zero-phase smoothed angles -> Session.

Knowing the whole recording, we smooth without lag (filtfilt) and take rates from the
smoothed series, then feed the same state machine live use runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np

from coach.core.angles import (
    angle_keys,
    frame_angles,
    key_side,
    rule_name,
    upper_line_yaw,
)
from coach.core.exercises import AngleRule, Exercise
from coach.core.filters import (
    JOLT_SPAN_S,
    derivative,
    median3,
    nearby_max,
    segments,
    step_rise_s,
    true_runs,
    unwrap_deg,
    window_slope,
    zero_phase,
    zero_phase_rates,
)
from coach.core.landmarks import PoseFrame
from coach.core.session import Sample, Session, StepResult

ANGLE_CUTOFF_HZ = 2.5  # stretches move below 1 Hz; MediaPipe jitter sits well above 3 Hz
JOLT_CUTOFF_HZ = 5.0  # a 12-20 deg jolt in 0.1-0.2 s reads 600-1700 deg/s^2 here, calm moves < 500
# Speed is read at two widths: the 2.5 Hz series for moves, a 4 Hz one so a quick jerk that
# the smoother flattens still counts as too fast (measured on both generated families).
QUICK_SPEED_CUTOFF_HZ = 4.0
# A jolt's own speed: its change over a tenth of a second (the seed-level jolt is 12-20 deg
# within 0.1-0.2 s).
SPIKE_SPAN_S = 0.1
SETTLE_HALF_WINDOW_S = 0.3  # stillness is judged on the slope over 0.6 s
# A jolt's two readings agree when their spikes fall within this of each other (the filter
# and the frame times move a peak by up to a frame either way).
CONFIRM_WINDOW_S = 0.05


@dataclass
class AngleSeries:
    """Every angle of a recording over time: raw, smoothed, and rates."""

    t: np.ndarray
    raw: dict[str, np.ndarray]
    smooth: dict[str, np.ndarray]
    speed: dict[str, np.ndarray]
    accel: dict[str, np.ndarray]
    has_pose: np.ndarray
    settle: dict[str, np.ndarray] | None = None
    spike_speed: dict[str, np.ndarray] | None = None  # speed over SPIKE_SPAN_S, for jolts


def angle_series(frames: list[PoseFrame], exercise: Exercise) -> AngleSeries:
    keys = angle_keys(exercise)
    t = np.array([f.t for f in frames], dtype=float)
    raw = {k: np.full(len(frames), math.nan) for k in keys}
    for i, frame in enumerate(frames):
        for k, value in frame_angles(frame, exercise).items():
            raw[k][i] = value
    has_pose = np.array([f.has_pose for f in frames], dtype=bool)
    cuts = np.array([f.cut for f in frames], dtype=bool)
    series = smooth_series(t, raw, has_pose, cuts)
    if exercise.judge.confirmed_jolt_dps2 > 0:
        second = {}
        for rule in _confirmable(exercise):
            for k in keys:
                if rule_name(k) == rule.name:
                    lead = key_side(k)
                    second[k] = np.array([upper_line_yaw(f, rule, lead) for f in frames])
        confirm_jolts(series, second, exercise, cuts)
    return series


def _confirmable(exercise: Exercise) -> list[AngleRule]:
    """The angles whose jolts a second reading may confirm: rotations that drive the stretch
    (jolts are judged on the target angles) and have a start band to leave."""
    return [
        r
        for r in exercise.angles
        if r.kind == "rotation" and r.role == "target" and r.start is not None
    ]


def confirm_jolts(
    series: AngleSeries,
    headings: dict[str, np.ndarray],
    exercise: Exercise,
    cuts: np.ndarray | None = None,
) -> None:
    """Also flag a jolt of a rotation that its upper line's own heading shows at the same
    moment (series.accel changed in place).

    The twist's judged angle (shoulder line against hip line) reads calm twists as jolts of up
    to ~1450 deg/s^2: hip-line depth jitter, as the hips sit closer together than the
    shoulders, so its own line (jolt_dps2) catches only violent jolts. The shoulders' heading
    in the camera's frame is about half as noisy in both generated families, but turns with
    the camera (a crossfade, a hand-held drift: up to 1344 on real footage), which the judged
    angle ignores. The two noises are unrelated, so a spike both show, each past
    `confirmed_jolt_dps2`, is a real jolt; on the judged line's scale it reads as
    jolt_dps2 x (the smaller reading / confirmed_jolt_dps2), so the one detector and the
    jolt's speed (with_jolt_speeds) see it. Only once the angle has left its start band
    (JOLT_SPAN_S before): a quick turn out of the square position is a fast move, judged as
    before (too_fast, and jerky only past jolt_dps2 alone).
    """
    j = exercise.judge
    if j.confirmed_jolt_dps2 <= 0:
        return
    rules = {r.name: r for r in exercise.angles}
    t = series.t
    for k, heading in headings.items():
        rule, main = rules[rule_name(k)], series.accel.get(k)
        if main is None or rule.start is None:
            continue
        clean = median3(series.raw[k])
        segs = segments(t, clean, cuts)  # the judged angle's own breaks: cuts, gaps, jumps
        seen = np.isfinite(clean)
        upper = median3(unwrap_deg(np.where(seen, heading, math.nan)))
        _, jolt2 = zero_phase_rates(t, upper, JOLT_CUTOFF_HZ, segs)
        agreed = np.fmin(np.abs(main), nearby_max(t, np.abs(jolt2), CONFIRM_WINDOW_S))
        before = np.interp(t - JOLT_SPAN_S, t, series.smooth[k])
        turned = np.isfinite(before) & ~rule.in_band(before, rule.start)
        scaled = agreed * (j.jolt_dps2 / j.confirmed_jolt_dps2)
        stronger = turned & (np.nan_to_num(scaled) > np.abs(np.nan_to_num(main)))
        sign = np.where(np.nan_to_num(main) < 0, -1.0, 1.0)
        series.accel[k] = np.where(stronger, sign * scaled, main)


def smooth_series(
    t: np.ndarray,
    raw: dict[str, np.ndarray],
    has_pose: np.ndarray | None = None,
    cuts: np.ndarray | None = None,
) -> AngleSeries:
    """Raw angle series (NaN = unseen) -> smoothed values, speeds, jolts and stillness."""
    smooth: dict[str, np.ndarray] = {}
    speed: dict[str, np.ndarray] = {}
    accel: dict[str, np.ndarray] = {}
    settle: dict[str, np.ndarray] = {}
    spike_speed: dict[str, np.ndarray] = {}
    if cuts is None:
        cuts = np.zeros(len(t), dtype=bool)
    for k, series in raw.items():
        clean = median3(series)  # one-frame glitches out, before they can look like motion
        segs = segments(t, clean, cuts)  # cuts and gaps: rates are not taken across them
        smooth[k] = zero_phase(t, clean, ANGLE_CUTOFF_HZ, segs=segs)
        speed[k] = derivative(t, smooth[k], segs)
        quick_speed = derivative(t, zero_phase(t, clean, QUICK_SPEED_CUTOFF_HZ, segs=segs), segs)
        faster = np.abs(quick_speed) > np.abs(speed[k])
        speed[k] = np.where(faster, quick_speed, speed[k])
        # A jolt lasts about a tenth of a second: its acceleration needs a wider band, and
        # rates read on a fixed grid, so it reads the same at 15 fps as at 30.
        _, accel[k] = zero_phase_rates(t, clean, JOLT_CUTOFF_HZ, segs)
        spike_speed[k] = span_speed(t, series, segs)  # a confirmed jolt: every frame counts
        settle[k] = window_slope(t, smooth[k], SETTLE_HALF_WINDOW_S, segs)
    if has_pose is None:
        has_pose = np.ones(len(t), dtype=bool)
    return AngleSeries(t, raw, smooth, speed, accel, has_pose, settle, spike_speed)


def span_speed(
    t: np.ndarray, x: np.ndarray, segs: list[tuple[int, int]], span_s: float = SPIKE_SPAN_S
) -> np.ndarray:
    """The larger change over `span_s` starting or ending at each sample, over `span_s`
    (deg/s), on the samples joined by straight lines: the speed a plain rule
    reads for a jolt, the same at any frame rate, and not one frame's jitter over a thirtieth
    of a second. Only trusted where a jolt is confirmed."""
    out = np.full_like(x, np.nan, dtype=float)
    for a, b in segs:
        ts, xs = t[a:b], x[a:b]
        if b - a < 2 or not np.isfinite(xs).all():
            continue
        ahead = (np.interp(ts + span_s, ts, xs) - xs) / span_s
        behind = (xs - np.interp(ts - span_s, ts, xs)) / span_s
        out[a:b] = np.where(np.abs(ahead) > np.abs(behind), ahead, behind)
    return out


def without_slow_steps(
    series: AngleSeries, jolt_dps2: float, clear_ratio: float, rise_max_s: float
) -> AngleSeries:
    """The series with each spike of the jolt reading that is a fast move, not a jolt, taken
    out: where its step rises from 10% to 90% slower than `rise_max_s` (see
    filters.step_rise_s). A spike with no step (out and back) stays a jolt."""
    accel = {}
    for k, jolt in series.accel.items():
        a = np.nan_to_num(np.abs(jolt))
        kept = jolt.copy()
        clean: np.ndarray | None = None
        for lo, hi in true_runs(a > clear_ratio * jolt_dps2):
            if not (a[lo:hi] > jolt_dps2).any():
                continue
            if clean is None:
                clean = median3(series.raw[k])
            peak = lo + int(np.argmax(a[lo:hi]))
            rise = step_rise_s(series.t, clean, float(series.t[peak]))
            if math.isfinite(rise) and rise > rise_max_s:
                kept[lo:hi] = 0.0
        accel[k] = kept
    return replace(series, accel=accel)


def with_jolt_speeds(
    series: AngleSeries, jolt_dps2: float, clear_ratio: float = 0.5, keys: set[str] | None = None
) -> dict[str, np.ndarray]:
    """Speeds, taking a jolt's own speed where a jolt is confirmed.

    The 2.5-4 Hz speed smooths a 0.1 s spike of speed to a fraction of itself (a 12 deg jolt
    at 150-300 deg/s reads under 100), which keeps jitter from reading as speed. Where the
    jolt reading is past its line the spike is real: over the spike (where the jolt reads
    above `clear_ratio` of the line, and one frame either side) the speed is the fastest
    change over a tenth of a second within it, so a jolt is judged against the speed limit
    too. Only the series in `keys` (default all) are read so: those jolts are judged on.
    """
    if not series.spike_speed:
        return series.speed
    out = {}
    for k, v in series.speed.items():
        fast, jolt = series.spike_speed.get(k), series.accel.get(k)
        if fast is None or jolt is None or (keys is not None and rule_name(k) not in keys):
            out[k] = v
            continue
        a = np.nan_to_num(np.abs(jolt))
        v = v.copy()
        extent = a > clear_ratio * jolt_dps2
        for lo, hi in true_runs(extent):
            if not (a[lo:hi] > jolt_dps2).any():
                continue
            lo, hi = max(lo - 1, 0), min(hi + 1, len(v))
            peak = np.nanmax(np.abs(fast[lo:hi])) if np.isfinite(fast[lo:hi]).any() else np.nan
            if not math.isfinite(peak):
                continue
            seen = np.isfinite(v[lo:hi])
            sign = np.where(np.nan_to_num(v[lo:hi]) < 0, -1.0, 1.0)
            v[lo:hi] = np.where(seen, sign * np.maximum(np.abs(v[lo:hi]), peak), v[lo:hi])
        out[k] = v
    return out


def samples(
    series: AngleSeries, speeds: dict[str, np.ndarray] | None = None
) -> Iterable[tuple[Sample, bool]]:
    speeds = series.speed if speeds is None else speeds
    for i, t in enumerate(series.t):
        yield (
            Sample(
                float(t),
                {k: float(v[i]) for k, v in series.smooth.items()},
                {k: float(v[i]) for k, v in speeds.items()},
                {k: float(v[i]) for k, v in series.accel.items()},
                {k: float(v[i]) for k, v in (series.settle or series.speed).items()},
            ),
            bool(series.has_pose[i]),
        )


StepHook = Callable[[int, Sample, Session, StepResult], None]


def score_frames(
    frames: list[PoseFrame], exercise: Exercise, on_step: StepHook | None = None
) -> tuple[Session, AngleSeries]:
    """Judge a whole recording; the session is finished and ready for a report.

    `on_step(index, sample, session, result)` sees the machine after every frame (the
    annotated video draws from it).
    """
    return score_series(angle_series(frames, exercise), exercise, on_step)


def score_series(
    series: AngleSeries, exercise: Exercise, on_step: StepHook | None = None
) -> tuple[Session, AngleSeries]:
    """Judge smoothed angle series (tests feed hand-built ones here)."""
    session = Session(exercise)
    j = exercise.judge
    targets = {rule.name for rule in exercise.angles if rule.role == "target"}
    # A spike of speed is judged against the speed limit at its own speed, jolt or fast move;
    # only an abrupt step is also jerky.
    speeds = with_jolt_speeds(series, j.jolt_dps2, j.jerky_clear_ratio, targets)
    series = without_slow_steps(series, j.jolt_dps2, j.jerky_clear_ratio, j.jolt_rise_max_s)
    for i, (sample, has_pose) in enumerate(samples(series, speeds)):
        result = session.step_sample(sample, has_pose=has_pose)
        if on_step is not None:
            on_step(i, sample, session, result)
    session.finish(float(series.t[-1]) if len(series.t) else 0.0)
    return session, series
