"""The camera that films the simulated body: placement, projection, visibility, noise, frame times.

Why: the judge must cope with what MediaPipe gives (weak far-side visibility, jitter, dropped
frames, variable frame rates), so the simulated recording has the same faults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy.signal import lfilter

from coach.core.exercises import Exercise
from coach.core.landmarks import INDEX, LANDMARK_NAMES
from coach.sim.body import unit
from coach.sim.script import Scenario

HFOV_DEG = 60.0
ASPECT = 16.0 / 9.0


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
    lateral = unit(world[:, INDEX["left_hip"]] - world[:, INDEX["right_hip"]])
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
        noise[i, joints] += unit(rng.standard_normal((len(joints), 3))) * rng.uniform(0.03, 0.08)
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
