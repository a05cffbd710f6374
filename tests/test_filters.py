import math

import numpy as np
import pytest

from coach.core.filters import OneEuro, derivative, step_shape, zero_phase


def _ramp_signal(fs: float, noise_deg: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    t = np.arange(0, 10, 1 / fs)
    clean = np.clip((t - 3) * 30.0, 0, 45)  # a 30 deg/s move to 45 deg, then a hold
    return t, clean, clean + rng.normal(0, noise_deg, t.size)


def test_zero_phase_removes_most_jitter_without_lag():
    t, clean, noisy = _ramp_signal(30, 3.0)
    smooth = zero_phase(t, noisy, cutoff_hz=2.5)
    hold = t > 5
    assert np.std(smooth[hold] - clean[hold]) < 0.5 * np.std(noisy[hold] - clean[hold])
    # no lag: the half-way crossing of the ramp lands within one frame of the truth
    truth_cross = t[np.argmax(clean >= 22.5)]
    assert abs(t[np.argmax(smooth >= 22.5)] - truth_cross) <= 1 / 30 + 1e-9


def test_zero_phase_speed_of_a_still_person_stays_far_below_limits():
    t, clean, noisy = _ramp_signal(30, 3.0, seed=1)
    still = np.full_like(t, 10.0) + (noisy - clean)
    speed = derivative(t, zero_phase(t, still))
    assert np.percentile(np.abs(speed), 99) < 30  # the gentlest limit in poses/ is 50 deg/s


def test_zero_phase_keeps_gaps_and_handles_variable_frame_times():
    rng = np.random.default_rng(2)
    t = np.cumsum(rng.uniform(0.02, 0.05, 300))
    x = np.sin(t)
    x[100:120] = np.nan
    y = zero_phase(t, x)
    assert np.isnan(y[100:120]).all()
    assert np.nanmax(np.abs(y[130:280] - np.sin(t[130:280]))) < 0.05


def test_one_euro_flattens_jitter_and_follows_a_move_with_little_lag():
    t, clean, noisy = _ramp_signal(30, 3.0)
    f = OneEuro()
    out = np.array([f(ti, xi) for ti, xi in zip(t, noisy, strict=True)])
    hold = t > 6
    assert np.std(out[hold] - clean[hold]) < 0.5 * np.std(noisy[hold] - clean[hold])
    lag_s = t[np.argmax(out >= 22.5)] - t[np.argmax(clean >= 22.5)]
    assert 0 <= lag_s < 0.35


def test_one_euro_speed_reads_a_30_dps_move_near_30():
    t = np.arange(0, 6, 1 / 30)
    x = np.clip((t - 1) * 30.0, 0, 90)
    f = OneEuro()
    speeds = []
    for ti, xi in zip(t, x, strict=True):
        f(ti, xi)
        speeds.append(f.derivative)
    mid = (t > 2.5) & (t < 3.5)
    assert np.mean(speeds) > 0
    assert abs(np.mean(np.array(speeds)[mid]) - 30) < 4


def test_one_euro_restarts_after_a_gap_instead_of_reading_a_jump_as_speed():
    f = OneEuro()
    for i in range(30):
        f(i / 30, 100.0)
    assert math.isnan(f(1.0, math.nan))
    f(1.5, 40.0)
    assert f.derivative == 0.0


# ----- how abrupt a step is -------------------------------------------------------------------
def rise_s(t: np.ndarray, x: np.ndarray, tc: float) -> float:
    return step_shape(t, x, tc)[0]


def ramp(fps: float, at: float, dur: float, size: float, drift_dps: float = 0.0):
    t = np.arange(0.0, 30.0, 1.0 / fps)
    x = np.interp(t, [0.0, at, at + dur, 30.0], [50.0, 50.0, 50.0 + size, 50.0 + size])
    return t, x + drift_dps * t


@pytest.mark.parametrize("fps", [15.0, 30.0])
@pytest.mark.parametrize("offset", [0.0, 0.021, 0.047])
def test_a_step_rises_in_its_own_time_at_any_frame_rate(fps: float, offset: float) -> None:
    """A straight ramp rises from 10% to 90% in 0.8 of its length: 0.08 s for a 0.1 s jolt,
    0.24 s for a 0.3 s move; at 15 fps the frames blur it by less than one interval."""
    at = 20.0 + offset
    quick = rise_s(*ramp(fps, at, 0.1, 16.0), at + 0.05)
    slow = rise_s(*ramp(fps, at, 0.3, 16.0), at + 0.15)
    assert 0.07 <= quick <= 0.08 + 1.0 / fps
    assert 0.22 <= slow <= 0.26
    # the same jolt on top of a slow move in (25 deg/s) reads alike
    moving = rise_s(*ramp(fps, at, 0.1, 16.0, drift_dps=25.0), at + 0.05)
    assert abs(moving - quick) <= 0.03


def test_a_step_reads_its_own_size_on_top_of_a_slow_move() -> None:
    """The size is the step's, not the move's it rides on (a 16 deg jolt during a 25 deg/s
    turn reads 16, not 16 plus the turn's 0.3 s either side)."""
    for drift in (0.0, 25.0):
        size = step_shape(*ramp(30.0, 20.0, 0.1, -16.0, drift_dps=drift), 20.05)[1]
        assert abs(size + 16.0) <= 1.0, (drift, size)


def test_no_step_reads_nan() -> None:
    """Out and back (a bump) is no step, nor is a step under 6 deg."""
    t = np.arange(0.0, 30.0, 1.0 / 30.0)
    bump = np.interp(t, [0, 20.0, 20.1, 20.2, 30], [50, 50, 66, 50, 50])
    assert math.isnan(rise_s(t, bump, 20.1))
    assert math.isnan(rise_s(*ramp(30.0, 20.0, 0.1, 5.0), 20.05))
