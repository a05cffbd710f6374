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
    rotation_line_yaws,
    rule_name,
)
from coach.core.exercises import Exercise
from coach.core.filters import (
    derivative,
    median3,
    running_median,
    segments,
    true_runs,
    unwrap_deg,
    window_slope,
    zero_phase,
    zero_phase_rates,
)
from coach.core.judge import JudgeSettings
from coach.core.landmarks import PoseFrame
from coach.core.moves import step_duration
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
    # What each jolt was read on, where its step is read too: the angle after median3, or a
    # rotation steadied (steady_rotation). Missing: the angle's own.
    jolt_basis: dict[str, np.ndarray] | None = None


def angle_series(frames: list[PoseFrame], exercise: Exercise) -> AngleSeries:
    keys = angle_keys(exercise)
    t = np.array([f.t for f in frames], dtype=float)
    raw = {k: np.full(len(frames), math.nan) for k in keys}
    for i, frame in enumerate(frames):
        for k, value in frame_angles(frame, exercise).items():
            raw[k][i] = value
    has_pose = np.array([f.has_pose for f in frames], dtype=bool)
    cuts = np.array([f.cut for f in frames], dtype=bool)
    basis = {}
    half_s = exercise.judge.steady_lower_line_s / 2
    for rule in exercise.angles:
        if half_s <= 0 or rule.kind != "rotation" or rule.role != "target":
            continue
        for k in keys:
            if rule_name(k) == rule.name:
                lines = np.array([rotation_line_yaws(f, rule, key_side(k)) for f in frames])
                basis[k] = steady_rotation(t, raw[k], lines[:, 0], lines[:, 1], cuts, half_s)
    return smooth_series(t, raw, has_pose, cuts, basis)


def steady_rotation(
    t: np.ndarray,
    angle: np.ndarray,
    upper: np.ndarray,
    lower: np.ndarray,
    cuts: np.ndarray | None,
    half_s: float,
) -> np.ndarray:
    """A rotation `angle` read again as its upper line's heading against the running median
    (+-half_s) of its lower line's, degrees, where and in the stretches the angle is seen
    (its level may differ from the angle's by whole turns, its rates do not).

    Why: the twist's judged angle (shoulder line against hip line) reads calm twists as
    jolts of up to ~1900 deg/s^2, mostly the hip line's depth jitter (the hips sit closer
    together than the shoulders), so a 12-20 deg jolt (500-1200) drowned in it. Seated, the
    hips barely turn during a twist: against their running median the jitter is gone, while
    a step of the whole picture (a crossfade, the camera, the whole body turning) stays in
    both lines and cancels, as in the judged angle; a low-pass of the hips would leave such
    a step in the shoulders alone.
    """
    clean = median3(angle)
    seen = np.isfinite(clean)
    upper = median3(unwrap_deg(np.where(seen, upper, math.nan)))
    lower = median3(unwrap_deg(np.where(seen, lower, math.nan)))
    return upper - running_median(t, lower, half_s, segments(t, clean, cuts))


def smooth_series(
    t: np.ndarray,
    raw: dict[str, np.ndarray],
    has_pose: np.ndarray | None = None,
    cuts: np.ndarray | None = None,
    jolt_basis: dict[str, np.ndarray] | None = None,
) -> AngleSeries:
    """Raw angle series (NaN = unseen) -> smoothed values, speeds, jolts and stillness.

    Jolts are read on `jolt_basis[k]` where given (a steadied rotation), else on the angle."""
    smooth: dict[str, np.ndarray] = {}
    speed: dict[str, np.ndarray] = {}
    accel: dict[str, np.ndarray] = {}
    settle: dict[str, np.ndarray] = {}
    spike_speed: dict[str, np.ndarray] = {}
    if cuts is None:
        cuts = np.zeros(len(t), dtype=bool)
    basis: dict[str, np.ndarray] = {}
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
        basis[k] = clean if jolt_basis is None or k not in jolt_basis else jolt_basis[k]
        _, accel[k] = zero_phase_rates(t, basis[k], JOLT_CUTOFF_HZ, segs)
        spike_speed[k] = span_speed(t, series, segs)  # a confirmed jolt: every frame counts
        settle[k] = window_slope(t, smooth[k], SETTLE_HALF_WINDOW_S, segs)
    if has_pose is None:
        has_pose = np.ones(len(t), dtype=bool)
    return AngleSeries(t, raw, smooth, speed, accel, has_pose, settle, spike_speed, basis)


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


def jolts_only(
    series: AngleSeries,
    judge: JudgeSettings,
    move_max_s: float | None = None,
    step_max_deg: float | None = None,
) -> AngleSeries:
    """The series with only its jolts left in the jolt reading: each spike past the judge's
    `jolt_dps2` that is a quick step (moves.step_duration: at least `jolt_step_min_deg`,
    within `move_max_s` and no bigger than `step_max_deg`, 0 = any size), or that fits no
    step but reads past `jolt_bump_dps2` (a bounce out and back). The rest is taken out: a
    slower step is a fast move (too_fast's), a small bump pose noise. Read on what the jolt
    was read on; where that is a steadied line (the twist's), the judged angle itself must
    step as far too, so that a step of the steadied line alone (the hips' median lagging a
    calm turn back) is none. `move_max_s` and `step_max_deg` default to the judge's."""
    move_max_s = judge.jolt_move_max_s if move_max_s is None else move_max_s
    step_max_deg = judge.jolt_step_max_deg if step_max_deg is None else step_max_deg
    line = judge.jolt_dps2
    accel = {}
    for k, jolt in series.accel.items():
        a = np.nan_to_num(np.abs(jolt))
        kept = jolt.copy()
        runs = [
            r for r in true_runs(a > judge.jerky_clear_ratio * line) if a[r[0] : r[1]].max() > line
        ]
        if not runs:
            accel[k] = kept
            continue
        clean = median3(series.raw[k])
        basis = (series.jolt_basis or {}).get(k)
        steadied = basis is not None and not np.array_equal(basis, clean, equal_nan=True)
        basis = clean if basis is None else basis
        for lo, hi in runs:
            peak = lo + int(np.argmax(a[lo:hi]))
            took, size = step_duration(series.t, basis, float(series.t[peak]))
            if steadied:  # the judged angle itself must step too, not only the steadied line
                own = abs(step_duration(series.t, clean, float(series.t[peak]))[1])
                size = math.copysign(min(abs(size), own), size) if math.isfinite(own) else own
            if abs(size) >= judge.jolt_step_min_deg:  # NaN (no step) is not
                jolt_like = took <= move_max_s and (step_max_deg <= 0 or abs(size) <= step_max_deg)
            else:
                jolt_like = bool(a[peak] > judge.jolt_bump_dps2)
            if not jolt_like:
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
    # A jolt is judged against the speed limit at its own speed too; a fast move's speed is
    # read well enough by the smoothed series, and a small bump is noise.
    series = jolts_only(series, j)
    speeds = with_jolt_speeds(series, j.jolt_dps2, j.jerky_clear_ratio, targets)
    for i, (sample, has_pose) in enumerate(samples(series, speeds)):
        result = session.step_sample(sample, has_pose=has_pose)
        if on_step is not None:
            on_step(i, sample, session, result)
    session.finish(float(series.t[-1]) if len(series.t) else 0.0)
    return session, series
