"""Real MediaPipe on real footage: poses found, units, timestamps, parallel chunks, bad input."""

from __future__ import annotations

import itertools
import socket
from pathlib import Path

import cv2
import numpy as np
import pytest

from coach.core.landmarks import INDEX, PoseFrame
from coach.errors import CoachError
from coach.io.pose import PoseEstimator
from coach.io.pose_pipeline import estimate_image, estimate_video

FOOTAGE = Path(__file__).resolve().parents[1].parent / "shared" / "footage"
TWIST = (
    FOOTAGE
    / "Deepasuresh67__AdaptX--Adaptive-Exercise-System-for-Personalized-Recovery-Well-being"
    / "assets/videos/Back_pain/seated_spinal_twist.mp4"
)
KNEE = FOOTAGE / "malikmrllh__exercises" / "kneetochest.mp4"
PHOTOS = FOOTAGE / "yuhonas__free-exercise-db" / "exercises"

pytestmark = [
    pytest.mark.footage,
    pytest.mark.skipif(not FOOTAGE.is_dir(), reason=f"real footage not found at {FOOTAGE}"),
]

TWIST_END_S = 9.0  # long enough to split into two chunks, short enough to keep tests quick


@pytest.fixture(scope="module")
def twist_one_job() -> tuple[object, list[PoseFrame], object]:
    return estimate_video(TWIST, end_s=TWIST_END_S, jobs=1)


def _hip_width(frame: PoseFrame) -> float:
    assert frame.world is not None
    return float(
        np.linalg.norm(frame.world[INDEX["left_hip"], :3] - frame.world[INDEX["right_hip"], :3])
    )


def test_seated_twist_has_a_pose_in_every_frame(twist_one_job) -> None:
    _, frames, error = twist_one_job
    assert error is None
    assert len(frames) == pytest.approx(TWIST_END_S * 29.97, abs=2)
    assert all(f.world is not None and f.image is not None for f in frames)
    assert all(f.world.shape == (33, 4) and f.image.shape == (33, 4) for f in frames)


def test_world_landmarks_are_hip_centred_metres(twist_one_job) -> None:
    _, frames, _ = twist_one_job
    for frame in frames[::15]:
        mid_hip = frame.point("mid_hip", min_visibility=0.0)
        assert mid_hip is not None and np.linalg.norm(mid_hip) < 0.05
        assert 0.15 <= _hip_width(frame) <= 0.45
        # y points down: the nose is above the hips, so its y is negative.
        assert frame.world[INDEX["nose"], 1] < -0.3


def test_image_landmarks_are_normalised_with_visibility(twist_one_job) -> None:
    _, frames, _ = twist_one_job
    image = np.stack([f.image for f in frames])
    assert np.all((image[:, :, :2] > -0.2) & (image[:, :, :2] < 1.2))
    assert np.all((image[:, :, 3] >= 0) & (image[:, :, 3] <= 1))
    assert np.median(image[:, INDEX["left_shoulder"], 3]) > 0.9


def test_timestamps_rise_frame_by_frame_over_the_clip(twist_one_job) -> None:
    info, frames, _ = twist_one_job
    times = np.array([f.t for f in frames])
    assert times[0] == pytest.approx(0.0, abs=1e-6)
    assert np.all(np.diff(times) > 0)
    assert np.allclose(np.diff(times), 1 / info.fps, atol=2e-3)
    assert times[-1] == pytest.approx(TWIST_END_S, abs=1.5 / info.fps)
    assert info.duration_s == pytest.approx(17.4, abs=0.1)


def test_two_jobs_give_the_same_frames_and_nearly_the_same_landmarks(twist_one_job) -> None:
    _, one, _ = twist_one_job
    seen: list[tuple[int, int]] = []
    _, two, error = estimate_video(
        TWIST, end_s=TWIST_END_S, jobs=2, progress=lambda d, n: seen.append((d, n))
    )
    assert error is None
    assert [f.t for f in two] == [f.t for f in one]
    diffs = np.array(
        [np.abs(a.world[:, :3] - b.world[:, :3]).max() for a, b in zip(one, two, strict=True)]
    )
    assert np.median(diffs) < 0.01  # identical before the split, warmed-up tracker after it
    assert np.percentile(diffs, 95) < 0.05
    assert seen and seen[-1][0] == len(two)
    assert all(b[0] >= a[0] for a, b in itertools.pairwise(seen))


def test_sampling_halves_the_frames_and_keeps_their_timestamps() -> None:
    _, frames, _ = estimate_video(TWIST, start_s=3.0, end_s=6.0, sample_fps=15, max_side=480)
    times = np.array([f.t for f in frames])
    assert len(frames) == pytest.approx(45, abs=2)
    assert times[0] >= 3.0 and times[-1] < 6.0
    assert np.all(np.diff(times) > 1 / 30)
    assert all(f.world is not None for f in frames)
    assert 0.15 <= _hip_width(frames[-1]) <= 0.45


@pytest.mark.parametrize(
    "photo", ["Dancers_Stretch/0.jpg", "Hug_Knees_To_Chest/1.jpg", "Upper_Back_Stretch/1.jpg"]
)
def test_still_photos_give_a_pose(photo: str) -> None:
    frame = estimate_image(PHOTOS / photo)
    assert frame.t == 0.0 and frame.world is not None and frame.image is not None
    assert 0.15 <= _hip_width(frame) <= 0.45


def test_truncated_video_gives_a_partial_result(tmp_path: Path) -> None:
    data = TWIST.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    try:
        info, frames, error = estimate_video(cut, sample_fps=10)
    except CoachError as err:  # a container whose index is at the end cannot be opened
        assert "cut.mp4" in err.problem
        return
    assert error is not None and "truncated" in error.problem and error.fix
    assert len(frames) > 0 and frames[-1].t < info.duration_s - 1.0
    assert any(f.world is not None for f in frames)


def test_non_video_and_missing_file_are_coach_errors(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("hello\n")
    with pytest.raises(CoachError, match=r"notes\.mp4"):
        estimate_video(fake)
    with pytest.raises(CoachError, match="no such file"):
        estimate_video(tmp_path / "absent.mov")
    with pytest.raises(CoachError, match="no such file"):
        estimate_image(tmp_path / "absent.jpg")


def test_video_without_a_person_gives_frames_without_pose(tmp_path: Path) -> None:
    path = tmp_path / "noise.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15.0, (320, 240))
    rng = np.random.default_rng(0)
    gradient = np.tile(np.linspace(0, 255, 320, dtype=np.uint8), (240, 1))
    for i in range(30):
        noise = rng.integers(0, 60, (240, 320), dtype=np.uint8)
        channel = (gradient // 2 + noise + i).astype(np.uint8)
        writer.write(cv2.merge([channel, channel[::-1], np.roll(channel, i, axis=1)]))
    writer.release()
    _, frames, error = estimate_video(path)
    assert error is None and len(frames) == 30
    assert all(f.world is None and f.image is None for f in frames)
    assert np.all(np.diff([f.t for f in frames]) > 0)


def test_missing_or_invalid_task_model_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(CoachError, match=r"absent\.task"):
        PoseEstimator(model_path=tmp_path / "absent.task")
    bad = tmp_path / "bad.task"
    bad.write_bytes(b"not a model")
    with pytest.raises(CoachError, match=r"bad\.task"):
        PoseEstimator(model_path=bad)
    fake_zip = tmp_path / "zip.task"
    fake_zip.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(CoachError, match=r"zip\.task"):
        PoseEstimator(model_path=fake_zip)
    with pytest.raises(CoachError, match=r"absent\.task"):
        estimate_video(KNEE, model_path=tmp_path / "absent.task")


def test_default_model_is_bundled_and_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the default pose model tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    image = cv2.imread(str(PHOTOS / "Hug_Knees_To_Chest" / "0.jpg"))
    with PoseEstimator(static=True) as estimator:
        frame = estimator.estimate(image, 0.0)
    assert frame.world is not None


def test_downscaled_frames_keep_the_geometry() -> None:
    image = cv2.imread(str(PHOTOS / "Dancers_Stretch" / "1.jpg"))
    with PoseEstimator(static=True) as full:
        a = full.estimate(image, 0.0)
    with PoseEstimator(static=True, max_side=320) as small:
        b = small.estimate(image, 0.0)
    assert a.image is not None and b.image is not None
    core = [INDEX[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")]
    assert np.abs(a.image[core, :2] - b.image[core, :2]).max() < 0.03


@pytest.mark.slow
def test_knee_clip_whole_file_in_two_jobs_keeps_every_timestamp() -> None:
    info, frames, error = estimate_video(KNEE, jobs=2)
    assert error is None and len(frames) == info.frame_count
    assert np.all(np.diff([f.t for f in frames]) > 0)
    assert sum(f.world is not None for f in frames) > 0.7 * len(frames)


def test_a_frame_given_in_rgb_poses_exactly_as_the_same_frame_in_bgr() -> None:
    """The live loop's decoding thread hands the model an RGB copy; nothing may change."""
    cap = cv2.VideoCapture(str(TWIST))
    for _ in range(90):
        ok, frame = cap.read()
    cap.release()
    assert ok
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    with PoseEstimator(static=True) as a, PoseEstimator(static=True) as b:
        from_bgr, from_rgb = a.estimate(frame, 3.0), b.estimate_rgb(rgb, 3.0)
    assert from_bgr.world is not None and from_rgb.world is not None
    assert np.array_equal(from_bgr.world, from_rgb.world)
    assert np.array_equal(from_bgr.image, from_rgb.image)
    # and a frame in the wrong order is not the same picture to the model
    with PoseEstimator(static=True) as c:
        swapped = c.estimate_rgb(frame.copy(), 3.0)
    assert swapped.image is None or not np.array_equal(swapped.image, from_bgr.image)
