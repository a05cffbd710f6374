"""Shared test helpers: where the real footage lives, and hand-built poses (import from tests)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from coach.core.landmarks import INDEX, N_LANDMARKS, PoseFrame

FOOTAGE = Path(__file__).resolve().parents[1].parent / "shared" / "footage"
TWIST_CLIP = (
    FOOTAGE
    / "Deepasuresh67__AdaptX--Adaptive-Exercise-System-for-Personalized-Recovery-Well-being"
    / "assets/videos/Back_pain/seated_spinal_twist.mp4"
)
KNEE_CLIP = FOOTAGE / "malikmrllh__exercises/kneetochest.mp4"
# The guide's six stretches, in its order: written here from the seed, not read from poses/.
SEED_IDS = (
    "chair-back-extension",
    "standing-back-extension",
    "foam-roller-extension",
    "ball-back-extension",
    "seated-twist",
    "knees-to-chest",
)


def need_footage(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real footage missing: {path} (CI has ../shared/footage beside the repo)")
    return path


def pose(
    t: float = 0.0, visibility: float = 0.99, **points: tuple[float, float, float]
) -> PoseFrame:
    """A frame whose named landmarks sit where given; the rest at the hip centre."""
    world = np.zeros((N_LANDMARKS, 4))
    world[:, 3] = visibility
    for name, xyz in points.items():
        world[INDEX[name], :3] = xyz
    return PoseFrame(t=t, world=world, image=None)


def smoothstep(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


def angle_at(t: float, keyframes: list[tuple[float, float]]) -> float:
    """Piecewise smooth interpolation between (time, angle) keyframes."""
    for (t0, a0), (t1, a1) in itertools.pairwise(keyframes):
        if t0 <= t <= t1:
            return a0 + (a1 - a0) * smoothstep((t - t0) / (t1 - t0))
    return keyframes[-1][1] if t > keyframes[-1][0] else keyframes[0][1]


def twist_frame(
    t: float, trunk_deg: float, head_deg: float = 0.0, seated_chair: bool = True
) -> PoseFrame:
    """A person facing the camera, seated, chest turned `trunk_deg` to their right."""
    import math

    def turned(x: float, y: float, deg: float) -> tuple[float, float, float]:
        a = math.radians(deg)
        return (x * math.cos(a), y, -x * math.sin(a))

    def nose_at(y: float, deg: float) -> tuple[float, float, float]:
        """The nose 10 cm in front of the ears (toward the camera at 0 deg), turned too."""
        a = math.radians(deg)
        return (-0.1 * math.sin(a), y, -0.1 * math.cos(a))

    knee_y, ankle_y = (0.05, 0.5) if seated_chair else (0.0, 0.0)
    return pose(
        t,
        left_hip=(0.1, 0, 0),
        right_hip=(-0.1, 0, 0),
        left_knee=(0.12, knee_y, -0.45),
        right_knee=(-0.12, knee_y, -0.45),
        left_ankle=(0.12, ankle_y, -0.5),
        right_ankle=(-0.12, ankle_y, -0.5),
        left_shoulder=turned(0.18, -0.5, trunk_deg),
        right_shoulder=turned(-0.18, -0.5, trunk_deg),
        left_ear=turned(0.07, -0.68, trunk_deg + head_deg),
        right_ear=turned(-0.07, -0.68, trunk_deg + head_deg),
        nose=nose_at(-0.66, trunk_deg + head_deg),
    )


class FakeClock:
    """A clock the test sets (`now`), for loops that read time."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now
