"""Video and image sources on real footage: timestamps, windows, sampling, bad files."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from coach.errors import CoachError
from coach.io.sources import StreamInfo, VideoSource, is_image, is_video, probe, read_image

FOOTAGE = Path(__file__).resolve().parents[1].parent / "shared" / "footage"
KNEE = FOOTAGE / "malikmrllh__exercises" / "kneetochest.mp4"
TWIST = (
    FOOTAGE
    / "Deepasuresh67__AdaptX--Adaptive-Exercise-System-for-Personalized-Recovery-Well-being"
    / "assets/videos/Back_pain/seated_spinal_twist.mp4"
)
PHOTO = FOOTAGE / "yuhonas__free-exercise-db" / "exercises" / "Dancers_Stretch" / "0.jpg"

needs_footage = pytest.mark.skipif(
    not FOOTAGE.is_dir(), reason=f"real footage not found at {FOOTAGE}"
)


def test_extensions_decide_video_or_image() -> None:
    assert is_video("a/b.MP4") and is_video("x.webm") and is_video("x.m4v")
    assert is_image("p.JPG") and is_image("p.webp")
    assert not is_video("p.jpg") and not is_image("v.mov") and not is_video("notes.txt")


def test_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CoachError) as err:
        VideoSource(tmp_path / "nope.mp4")
    assert "no such file" in err.value.problem and "nope.mp4" in err.value.problem
    assert err.value.fix


def test_directory_is_not_a_video(tmp_path: Path) -> None:
    with pytest.raises(CoachError, match="folder"):
        VideoSource(tmp_path)


def test_text_file_is_not_a_video(tmp_path: Path) -> None:
    fake = tmp_path / "clip.mp4"
    fake.write_text("this is not a video\n" * 50)
    with pytest.raises(CoachError) as err:
        VideoSource(fake)
    assert "not a video" in err.value.problem and "\n" not in err.value.line()


def test_non_image_is_one_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"\x00\x01garbage" * 100)
    with pytest.raises(CoachError, match="not an image"):
        read_image(fake)


def test_end_before_start_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CoachError, match="--end"):
        VideoSource(tmp_path / "any.mp4", start_s=5, end_s=2)


@needs_footage
def test_stream_info_of_the_knee_clip() -> None:
    info = probe(KNEE)
    assert isinstance(info, StreamInfo)
    assert (info.width, info.height) == (640, 360)
    assert info.fps == pytest.approx(29.97, abs=0.05)
    assert info.frame_count == 1158
    assert info.duration_s == pytest.approx(38.6, abs=0.1)


@needs_footage
def test_every_frame_has_its_container_timestamp_rising_to_the_end() -> None:
    source = VideoSource(TWIST)
    times = np.array([t for _, t in source])
    assert len(times) == source.frame_count
    assert times[0] == pytest.approx(0.0, abs=1e-6)
    assert np.all(np.diff(times) > 0)
    assert times[-1] + 1 / source.fps == pytest.approx(source.duration_s, abs=0.05)
    assert not source.truncated and source.error is None


@needs_footage
def test_window_keeps_only_frames_between_start_and_end() -> None:
    source = VideoSource(KNEE, start_s=10.0, end_s=12.0)
    frames = list(source)
    times = [t for _, t in frames]
    assert 10.0 <= times[0] < 10.0 + 1.5 / source.fps
    assert times[-1] < 12.0
    assert len(frames) == pytest.approx(2.0 * source.fps, abs=2)
    assert frames[0][0].shape == (360, 640, 3)
    assert not source.truncated


@needs_footage
def test_start_past_the_end_is_refused() -> None:
    with pytest.raises(CoachError, match="past the end"):
        VideoSource(KNEE, start_s=100.0)


@needs_footage
def test_sampling_keeps_about_the_asked_rate_from_any_starting_point() -> None:
    whole = [t for _, t in VideoSource(KNEE, end_s=8.0, sample_fps=15)]
    assert len(whole) == pytest.approx(8 * 15, abs=2)
    assert np.all(np.diff(whole) > 1 / 30)
    # Reading from 3 s keeps the very same frames after 4 s: chunks agree with one pass.
    later = [t for _, t in VideoSource(KNEE, start_s=3.0, end_s=8.0, sample_fps=15)]
    assert [t for t in later if t >= 4.0] == [t for t in whole if t >= 4.0]


@needs_footage
def test_truncated_copy_gives_the_frames_before_the_damage(tmp_path: Path) -> None:
    data = KNEE.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    try:
        source = VideoSource(cut)
    except CoachError as err:  # a container whose index is at the end cannot be opened
        assert "cut.mp4" in err.problem
        return
    times = [t for _, t in source]
    assert source.truncated
    assert source.error is not None and "truncated" in source.error.problem
    assert 0 < len(times) < source.frame_count
    assert np.all(np.diff(times) > 0)


@needs_footage
def test_still_photo_reads_as_bgr() -> None:
    image = read_image(PHOTO)
    assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8


def test_synthetic_video_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "gradient.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    for i in range(20):
        writer.write(np.full((48, 64, 3), i * 10, dtype=np.uint8))
    writer.release()
    source = VideoSource(path)
    times = [t for _, t in source]
    assert len(times) == 20 and source.fps == pytest.approx(10.0)
    assert times[1] - times[0] == pytest.approx(0.1, abs=1e-3)
    assert not source.truncated
