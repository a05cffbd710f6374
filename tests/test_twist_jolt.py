"""The seated twist's jolts, judged on hand-built landmark series with MediaPipe-like depth noise.

The twist's judged angle (shoulder line against hip line) carries the hips' depth jitter, so
its jolts are read on the shoulders' heading against the hips' running median over a second
(coach/core/scoring.steady_rotation). Truth here is the scripted motion: a 16-20 deg turn
within a tenth of a second is a jolt, a calm 30 deg/s twist is not, nor a fast 35 deg turn
in (too_fast), nor the whole picture turning at once (a camera move or crossfade).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from coach.core.landmarks import INDEX, N_LANDMARKS, PoseFrame
from coach.core.report import build_report
from coach.core.scoring import angle_series, score_frames, smooth_series
from coach.io.poses import load_exercise

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.recognition import CACHE, FOOTAGE, cache_name, load_frames, read_labels

HOLD_DEG = 35.0  # chest turned this far during the hold, inside the 20-50 target band
JOLT_S = 0.1
CALM_DPS = 30.0  # a calm twist turns at 25-45 deg/s
JOLT_AT = 12.0
# MediaPipe-like jitter (as coach/sim/camera.py, calibrated there on DESIGN.md's ~5 deg of
# twist noise): a few mm across, about 1 cm in depth, 60 ms of memory, 60% of it shared by
# the whole body (a pose model's errors are).
SIGMA_M = np.array([0.006, 0.006, 0.011])
SHARED = 0.6
MEMORY_S = 0.06


def smooth(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


def trunk_at(t: float, jolt_deg: float, jolt_s: float = JOLT_S) -> float:
    """Square until 3 s, a calm turn to HOLD_DEG, held; a jolt of jolt_deg within jolt_s at
    JOLT_AT (0 = none), eased back over 1.2 s; back to square at 20 s."""
    turn_s = HOLD_DEG / CALM_DPS * 1.5  # a smoothstep peaks at 1.5x its mean speed
    angle = HOLD_DEG * smooth((t - 3.0) / turn_s)
    if jolt_deg:
        up = jolt_deg * smooth((t - JOLT_AT) / jolt_s)
        angle += up - jolt_deg * smooth((t - JOLT_AT - 1.0) / 1.2)
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


def twist_frames(
    fps: float,
    jolt_deg: float,
    seed: int,
    sigma: float = 1.0,
    jolt_s: float = JOLT_S,
    trunk: Callable[[float], float] | None = None,
    view: Callable[[float], float] | None = None,
) -> list[PoseFrame]:
    """A person sitting facing the camera, hips still, chest turning to their right; `trunk`
    replaces the scripted twist, `view` turns the whole body (the camera) by so many degrees."""
    t = np.arange(0.0, 26.0, 1.0 / fps)
    jitter = sigma * noise(len(t), fps, np.random.default_rng(seed))
    frames = []
    for i, ti in enumerate(t):
        deg = trunk(float(ti)) if trunk else trunk_at(float(ti), jolt_deg, jolt_s)
        a = math.radians(deg)
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
        if view is not None:
            world[:, :3] = world[:, :3] @ yaw_matrix(view(float(ti))).T
        world[:, :3] += jitter[i]
        frames.append(PoseFrame(t=float(ti), world=world, image=None))
    return frames


def yaw_matrix(deg: float) -> np.ndarray:
    """A turn about the vertical axis, as horizontal_yaw reads headings (x, -z)."""
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def events(frames: list[PoseFrame], kind: str = "jerky") -> list[dict]:
    session, _ = score_frames(frames, load_exercise("seated-twist"))
    return [e for e in build_report(session, "test")["events"] if e["type"] == kind]


def jerky(frames: list[PoseFrame]) -> list[dict]:
    return events(frames, "jerky")


SEEDS = (1, 2, 3, 4, 5, 6)


@pytest.mark.parametrize("fps", [15.0, 30.0])
def test_a_20_degree_twist_jolt_within_a_tenth_of_a_second_warns_without_noise(fps: float) -> None:
    """It reads 930-1230 deg/s^2 (16 deg: 750-980, at the line at 15 fps)."""
    events = jerky(twist_frames(fps, 20.0, seed=0, sigma=0.0))
    assert len(events) == 1 and abs(events[0]["start_s"] - JOLT_AT) <= 0.3, events
    # the event's value is the reading itself, in deg/s^2, near what the jolt reads
    assert 900 < events[0]["value"] < 1300, events


def test_through_depth_noise_half_of_16_to_20_degree_jolts_warn() -> None:
    """16 and 20 deg within a tenth of a second, 4 noise draws each at 15 and 30 fps: 9 of 16
    warn (over 12 draws: 16 deg 3/12 at 15 fps, 9/12 at 30; 20 deg 9/12 and 12/12), each at
    the jolt (the judged angle alone, at the line its calm noise needs,
    caught none). Known limit: a 12 deg jolt, or one spread over 0.2 s, reads about as
    high as the generated families' calm noise (300-700) and mostly does not."""
    caught = 0
    for fps in (15.0, 30.0):
        for deg in (16.0, 20.0):
            for seed in SEEDS[:4]:
                events = jerky(twist_frames(fps, deg, seed=seed))
                assert all(abs(e["start_s"] - JOLT_AT) <= 0.3 for e in events), events
                caught += bool(events)
    assert caught >= 8, f"{caught} of 16"


@pytest.mark.parametrize("fps", [15.0, 30.0])
@pytest.mark.parametrize("seed", SEEDS)
def test_the_same_depth_noise_on_a_calm_30_dps_twist_is_no_jolt(fps: float, seed: int) -> None:
    assert jerky(twist_frames(fps, 0.0, seed=seed)) == []


def test_the_noise_is_enough_to_fool_the_judged_angle_alone() -> None:
    """The calm twists above read past the twist's own jolt line on the judged angle alone:
    the test would pass for no reason if the noise were milder than that."""
    ex = load_exercise("seated-twist")
    peaks = []
    for fps in (15.0, 30.0):
        for seed in SEEDS:
            raw = angle_series(twist_frames(fps, 0.0, seed=seed), ex)
            plain = smooth_series(raw.t, raw.raw)  # the judged angle's reading alone
            peaks.append(float(np.nanmax(np.abs(plain.accel["trunk_rotation"]))))
    assert max(peaks) > ex.judge.jolt_dps2, peaks


def test_a_fast_35_degree_turn_in_is_too_fast_not_jerky() -> None:
    """Square to 35 deg within 0.25 s (about 250 deg/s): the step is twice a jolt's."""

    def fast_in(t: float) -> float:
        return HOLD_DEG * smooth((t - 3.0) / 0.25) - HOLD_DEG * smooth((t - 12.0) / 1.75)

    frames = twist_frames(30.0, 0.0, seed=0, sigma=0.0, trunk=fast_in)
    assert jerky(frames) == []
    assert any(abs(e["start_s"] - 3.1) <= 0.3 for e in events(frames, "too_fast"))


@pytest.mark.parametrize("fps", [15.0, 30.0])
def test_the_whole_picture_turning_at_once_is_no_jolt(fps: float) -> None:
    """A camera turn or crossfade of 15 deg within a tenth of a second during the hold turns
    hips and shoulders alike: the hips' running median follows the step (a low-pass would
    not, and the shoulders alone would read it as a jolt)."""

    def camera(t: float) -> float:
        return 15.0 * smooth((t - JOLT_AT) / 0.1)

    assert jerky(twist_frames(fps, 0.0, seed=0, sigma=0.0, view=camera)) == []


REAL_TWISTS = {
    "Deepasuresh67__AdaptX--Adaptive-Exercise-System-for-Personalized-Recovery-Well-being"
    "/assets/videos/Back_pain/seated_spinal_twist.mp4": "chair",
    "Hpy2GitHub__merged-exercise/public/videos/seated-twist.mp4": None,  # crossfade at 9.4 s
    "nhien021299__project_yoga_gym/assets/videos/fishes_pose.mp4": None,  # hand-held drift
}


@pytest.mark.footage
@pytest.mark.parametrize("clip", sorted(REAL_TWISTS))
def test_real_seated_twists_done_calmly_warn_no_jolt(clip: str) -> None:
    """Chair twist, floor twist and fishes pose, calm by eye: no jerky event (their largest
    reading, 771, is the fishes pose's unwinding of the legs after the twists). Read from
    the landmark cache of benchmarks/recognition.py where there, else through MediaPipe."""
    if not (CACHE / cache_name(clip)).exists() and not (FOOTAGE / clip).exists():
        pytest.skip(f"real footage missing: {FOOTAGE / clip} (CI has ../shared/footage)")
    label = next(lab for lab in read_labels() if lab.path == clip)
    frames, _ = load_frames(label, CACHE, FOOTAGE)
    ex = load_exercise("seated-twist").with_variant(REAL_TWISTS[clip])
    session, _ = score_frames(frames, ex)
    assert [e for e in build_report(session, "test")["events"] if e["type"] == "jerky"] == []
