"""Drawing: the warning banner, the mirrored skeleton, sizes, the setup screen and the video.

No window is ever opened: everything is drawn into arrays and files.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from coach.core.landmarks import INDEX, N_LANDMARKS, PoseFrame
from coach.core.view import Gauge, OverlayState
from coach.io.poses import load_exercise
from coach.ui.annotate import overlay_states, write_annotated_video, write_still
from coach.ui.overlay import draw_overlay, setup_screen

GREY = 110


def blank(h: int = 360, w: int = 640) -> np.ndarray:
    return np.full((h, w, 3), GREY, np.uint8)


def state(**changes) -> OverlayState:
    base = OverlayState(
        exercise_name="Seated floor twist",
        phase="holding",
        phase_text="Hold",
        side="right",
        instruction="",
        warning=None,
        hold_s=None,
        target_hold_s=5.0,
        reps={"right": 1, "left": 0},
        target_reps=3,
        gauges=(),
    )
    return replace(base, **changes)


def one_arm_pose(x: float) -> PoseFrame:
    """Only the left upper arm is visible: shoulder to elbow, upright at image x."""
    image = np.zeros((N_LANDMARKS, 4))
    image[INDEX["left_shoulder"]] = (x, 0.45, 0.0, 1.0)
    image[INDEX["left_elbow"]] = (x, 0.62, 0.0, 1.0)
    return PoseFrame(0.0, world=None, image=image)


def changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.any(a != b, axis=2)


def test_warning_draws_a_red_banner_under_the_top_bar() -> None:
    frame = blank()
    plain = draw_overlay(frame, None, state())
    warned = draw_overlay(frame, None, state(warning="Ease off, you are past a safe range."))
    band = warned[40:60, 10:630].reshape(-1, 3).astype(int)
    b, g, r = band.mean(axis=0)
    assert r > 150 and r > 2.5 * g and r > 2.5 * b
    assert changed(plain, warned)[40:60].mean() > 0.9


def test_skeleton_is_flipped_when_mirrored() -> None:
    frame = blank()
    pose = one_arm_pose(0.3)
    base = draw_overlay(frame, None, state(), mirror=False)
    plain = changed(base, draw_overlay(frame, pose, state(), mirror=False))
    mirror = changed(base, draw_overlay(frame, pose, state(), mirror=True))
    rows = slice(int(0.47 * 360), int(0.6 * 360))
    assert plain[rows, 180:205].any() and not plain[rows, 430:460].any()
    assert mirror[rows, 435:460].any() and not mirror[rows, 180:205].any()


def test_mirroring_flips_the_picture_but_leaves_the_input_alone() -> None:
    frame = blank()
    frame[:, :320] = 0
    out = draw_overlay(frame, None, state(), mirror=True)
    assert out[200, 100].sum() > 0 and out[200, 540].sum() == 0
    assert frame[200, 100].sum() == 0  # the analysis frame is untouched


@pytest.mark.parametrize("size", [(360, 640), (720, 1280)])
def test_full_overlay_draws_at_both_sizes(size: tuple[int, int]) -> None:
    gauges = tuple(
        Gauge(
            f"a{i}",
            f"Angle {i}",
            v,
            (20.0, 55.0),
            65.0,
            20 <= v <= 55,
            v > 65,
            "target",
            "right",
            (-20.0, 75.0),
        )
        for i, v in enumerate([40.0, 70.0, math.nan, 0.0])
    )
    s = state(
        gauges=gauges,
        hold_s=2.2,
        warning="Slow down.",
        instruction="Turn a little further, gently, and look behind you over your shoulder.",
    )
    frame = blank(*size)
    out = draw_overlay(frame, one_arm_pose(0.5), s)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert changed(frame, out).mean() > 0.1
    # the instruction sits on a dark band at the bottom centre
    assert out[size[0] - size[0] // 7, size[1] // 2].mean() < GREY


def test_setup_screen_shows_guidance_over_a_darkened_frame() -> None:
    frame = blank()
    ex = load_exercise("knees-to-chest")
    out = setup_screen(frame, ex, "Move back until I can see your feet.")
    assert out.shape == frame.shape
    assert out[5, 5].mean() < GREY  # darkened
    assert changed(frame, out)[120:240, 200:440].mean() > 0.5


# ----- annotated video -------------------------------------------------------------------------
def knee_pose(t: float, hip_deg: float) -> PoseFrame:
    """A side-on lying body whose shoulder-hip-knee angle is hip_deg."""
    world = np.zeros((N_LANDMARKS, 4))
    world[:, 3] = 0.9
    a = math.radians(hip_deg)
    for side, z in (("left", 0.1), ("right", -0.1)):
        world[INDEX[f"{side}_shoulder"], :3] = (-0.5, 0.0, z)
        world[INDEX[f"{side}_hip"], :3] = (0.0, 0.0, z)
        world[INDEX[f"{side}_knee"], :3] = (-0.45 * math.cos(a), -0.45 * math.sin(a), z)
        world[INDEX[f"{side}_ankle"], :3] = (-0.45 * math.cos(a) + 0.4, -0.45 * math.sin(a), z)
        world[INDEX[f"{side}_ear"], :3] = (-0.65, -0.05, z)
    image = world.copy()
    image[:, 0] = 0.5 + 0.5 * world[:, 0]
    image[:, 1] = 0.6 + 0.5 * world[:, 1]
    return PoseFrame(t, world=world, image=image)


def hip_angle(t: float) -> float:
    """Feet down, knees up over a second, a 2 s hold, then down again."""
    if t < 1.0:
        return 150.0
    if t < 2.0:
        return 150.0 - 110.0 * (t - 1.0)
    if t < 4.0:
        return 40.0
    return min(150.0, 40.0 + 110.0 * (t - 4.0))


def make_video(path: Path, n: int, fps: float) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (320, 180))
    assert writer.isOpened()
    for i in range(n):
        frame = np.full((180, 320, 3), 60 + (i * 3) % 150, np.uint8)
        writer.write(frame)
    writer.release()


def count_frames(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    return n


def test_annotated_video_has_one_frame_per_input_frame(tmp_path: Path) -> None:
    fps, n = 10.0, 60
    video = tmp_path / "in.mp4"
    make_video(video, n, fps)
    frames = [knee_pose(i / fps, hip_angle(i / fps)) for i in range(n)]
    out = tmp_path / "out.mp4"
    written = write_annotated_video(video, frames, load_exercise("knees-to-chest"), out)
    assert written == n
    assert count_frames(out) == n
    cap = cv2.VideoCapture(str(out))
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(fps, rel=0.01)
    ok, first = cap.read()
    cap.release()
    assert ok and first.shape == (180, 320, 3)


def test_replayed_states_show_the_hold(tmp_path: Path) -> None:
    fps = 10.0
    frames = [knee_pose(i / fps, hip_angle(i / fps)) for i in range(60)]
    states = overlay_states(frames, load_exercise("knees-to-chest"))
    assert len(states) == len(frames)
    holding = [s for s in states if s.holding]
    assert holding and max(s.hold_s or 0.0 for s in holding) > 1.0
    assert states[-1].reps == {"total": 1}


def test_write_still_writes_a_png(tmp_path: Path) -> None:
    path = tmp_path / "still.png"
    write_still(blank(), one_arm_pose(0.4), state(warning="Slow down."), path)
    img = cv2.imread(str(path))
    assert img is not None and img.shape == (360, 640, 3)
