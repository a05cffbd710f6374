"""The seated twist's jolts, judged on hand-built landmark series with MediaPipe-like depth noise.

The twist's judged angle (shoulder line against hip line) carries the hips' depth jitter, so on
its own it reads calm twists as jolts; a jolt is also flagged where the shoulders' own heading
shows it at the same moment (coach/core/scoring.confirm_jolts). Truth here is the scripted
motion: a 16 deg turn within a tenth of a second is a jolt, a calm 30 deg/s twist is not.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from coach.core.landmarks import INDEX, N_LANDMARKS, PoseFrame
from coach.core.report import build_report
from coach.core.scoring import angle_series, score_frames, smooth_series
from coach.io.poses import load_exercise

HOLD_DEG = 35.0  # chest turned this far during the hold, inside the 20-50 target band
JOLT_DEG = 16.0  # the seed's jolt: 12-20 deg within 0.1-0.2 s
JOLT_S = 0.1
CALM_DPS = 30.0  # a calm twist turns at 25-45 deg/s
JOLT_AT = 12.0
DEFAULT_JOLT_LINE = 450.0  # the line a stretch without this noise is judged on
# MediaPipe-like jitter (as coach/sim/camera.py, calibrated there on DESIGN.md's ~5 deg of
# twist noise): a few mm across, about 1 cm in depth, 60 ms of memory, 60% of it shared by
# the whole body (a pose model's errors are).
SIGMA_M = np.array([0.006, 0.006, 0.011])
SHARED = 0.6
MEMORY_S = 0.06


def smooth(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


def trunk_at(t: float, jolt: bool) -> float:
    """Square until 3 s, a calm turn to HOLD_DEG, held; a jolt at JOLT_AT; back at 20 s."""
    turn_s = HOLD_DEG / CALM_DPS * 1.5  # a smoothstep peaks at 1.5x its mean speed
    angle = HOLD_DEG * smooth((t - 3.0) / turn_s)
    if jolt:
        up = JOLT_DEG * smooth((t - JOLT_AT) / JOLT_S)
        angle += up - JOLT_DEG * smooth((t - JOLT_AT - 1.0) / 1.2)  # then eases back
    return angle - HOLD_DEG * smooth((t - 20.0) / turn_s)


def noise(n: int, fps: float, rng: np.random.Generator) -> np.ndarray:
    rho = math.exp(-1.0 / fps / MEMORY_S)
    out = np.zeros((n, N_LANDMARKS, 3))
    white = rng.standard_normal((n, N_LANDMARKS, 3)) * math.sqrt(1 - SHARED)
    white += rng.standard_normal((n, 1, 3)) * math.sqrt(SHARED)
    step = white * SIGMA_M * math.sqrt(1 - rho * rho)
    out[0] = rng.standard_normal((N_LANDMARKS, 3)) * SIGMA_M
    for i in range(1, n):
        out[i] = rho * out[i - 1] + step[i]
    return out


def twist_frames(fps: float, jolt: bool, seed: int, sigma: float = 1.0) -> list[PoseFrame]:
    """A person sitting facing the camera, hips still, chest turning to their right."""
    t = np.arange(0.0, 26.0, 1.0 / fps)
    jitter = sigma * noise(len(t), fps, np.random.default_rng(seed))
    frames = []
    for i, ti in enumerate(t):
        a = math.radians(trunk_at(float(ti), jolt))
        world = np.zeros((N_LANDMARKS, 4))
        world[:, 3] = 0.95
        points = {
            "left_hip": (0.1, 0.0, 0.0),
            "right_hip": (-0.1, 0.0, 0.0),
            "left_knee": (0.12, 0.05, -0.45),
            "right_knee": (-0.12, 0.05, -0.45),
            "left_ankle": (0.12, 0.5, -0.5),
            "right_ankle": (-0.12, 0.5, -0.5),
            "left_shoulder": (0.18 * math.cos(a), -0.5, -0.18 * math.sin(a)),
            "right_shoulder": (-0.18 * math.cos(a), -0.5, 0.18 * math.sin(a)),
            "left_ear": (0.07 * math.cos(a), -0.68, -0.07 * math.sin(a)),
            "right_ear": (-0.07 * math.cos(a), -0.68, 0.07 * math.sin(a)),
            "nose": (-0.1 * math.sin(a), -0.66, -0.1 * math.cos(a)),
        }
        for name, xyz in points.items():
            world[INDEX[name], :3] = xyz
        world[:, :3] += jitter[i]
        frames.append(PoseFrame(t=float(ti), world=world, image=None))
    return frames


def jerky(frames: list[PoseFrame]) -> list[dict]:
    session, _ = score_frames(frames, load_exercise("seated-twist"))
    return [e for e in build_report(session, "test")["events"] if e["type"] == "jerky"]


SEEDS = (1, 2, 3, 4, 5, 6)


@pytest.mark.parametrize("fps", [15.0, 30.0])
def test_a_16_degree_twist_jolt_within_a_tenth_of_a_second_warns_without_noise(fps: float) -> None:
    events = jerky(twist_frames(fps, jolt=True, seed=0, sigma=0.0))
    assert len(events) == 1 and abs(events[0]["start_s"] - JOLT_AT) <= 0.3, events


def test_through_depth_noise_at_least_a_third_of_16_degree_jolts_warn() -> None:
    """Known limit: the judged angle's hip jitter hides a 16 deg jolt in about half of these
    sessions (both readings must pass the line); the angle alone caught none of them (line
    1800). Counted over 6 noise draws at 15 and 30 fps; each warning is at the jolt."""
    caught = 0
    for fps in (15.0, 30.0):
        for seed in SEEDS:
            events = jerky(twist_frames(fps, jolt=True, seed=seed))
            assert all(abs(e["start_s"] - JOLT_AT) <= 0.3 for e in events), events
            caught += bool(events)
    assert caught >= 4, f"{caught} of {2 * len(SEEDS)}"


@pytest.mark.parametrize("fps", [15.0, 30.0])
@pytest.mark.parametrize("seed", SEEDS)
def test_the_same_depth_noise_on_a_calm_30_dps_twist_is_no_jolt(fps: float, seed: int) -> None:
    assert jerky(twist_frames(fps, jolt=False, seed=seed)) == []


def test_the_noise_is_enough_to_fool_the_judged_angle_alone() -> None:
    """The calm twists above read past the line of a stretch without this noise, on the judged
    angle alone: the test would pass for no reason if the noise were milder than that."""
    ex = load_exercise("seated-twist")
    peaks = []
    for fps in (15.0, 30.0):
        for seed in SEEDS:
            raw = angle_series(twist_frames(fps, jolt=False, seed=seed), ex)
            plain = smooth_series(raw.t, raw.raw)  # the judged angle's reading alone
            peaks.append(float(np.nanmax(np.abs(plain.accel["trunk_rotation"]))))
    assert max(peaks) > DEFAULT_JOLT_LINE, peaks
