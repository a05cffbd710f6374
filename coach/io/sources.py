"""Frame sources for offline scoring: video files and still images, read with OpenCV.

A video yields `(frame_bgr, t)` with t the container's own timestamp in seconds
(variable frame-rate files exist, so t is never frame_index / fps). A damaged file
stops early instead of raising mid-way: `.truncated` and `.error` say so, and the frames
already read stay usable for a partial report.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from coach.errors import CoachError

VIDEO_EXTENSIONS: frozenset[str] = frozenset({".mp4", ".mov", ".avi", ".webm", ".mkv", ".m4v"})
IMAGE_EXTENSIONS: frozenset[str] = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})

# A file is called truncated when it stops more than this short of its stated length.
_TRUNCATION_SLACK_FRAMES = 3
_TRUNCATION_SLACK_S = 0.25


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


def is_image(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


@dataclass(frozen=True)
class StreamInfo:
    """What the container says about a video (frame_count and fps may be estimates)."""

    path: str
    fps: float
    frame_count: int
    width: int
    height: int

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps if self.fps > 0 else 0.0


def _check_file(path: Path, kind: str) -> None:
    if not path.exists():
        raise CoachError(f"{path}: no such file", f"check the path to the {kind}")
    if path.is_dir():
        raise CoachError(
            f"{path}: is a folder, not a {kind}", f"pass a {kind} file (or the files in it)"
        )
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise CoachError(f"{path}: cannot read ({exc.strerror})", "check the permissions") from None


def read_image(path: str | Path) -> np.ndarray:
    """A still photo as a BGR array, or a one-line CoachError."""
    p = Path(path)
    _check_file(p, "image")
    data = np.fromfile(str(p), dtype=np.uint8)  # imread cannot open some non-ASCII paths
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise CoachError(
            f"{p}: not an image OpenCV can read",
            "pass a jpg, png, bmp or webp photo",
        )
    return image


def open_capture(path: Path) -> cv2.VideoCapture:
    """Open a video, or raise a CoachError saying why it is not one."""
    _check_file(path, "video")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise CoachError(
            f"{path}: not a video OpenCV can open (unknown format or damaged file)",
            "pass an mp4, mov, avi, webm or mkv file; re-export it if it plays elsewhere",
        )
    return cap


def probe(path: str | Path) -> StreamInfo:
    """Stream properties without decoding; raises CoachError for unreadable files."""
    p = Path(path)
    cap = open_capture(p)
    try:
        return _info(p, cap)
    finally:
        cap.release()


def _info(path: Path, cap: cv2.VideoCapture) -> StreamInfo:
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    if not math.isfinite(fps) or fps <= 0 or fps > 1000:
        fps = 0.0
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    return StreamInfo(
        path=str(path),
        fps=fps,
        frame_count=max(count, 0),
        width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0),
        height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0),
    )


class VideoSource:
    """Iterate `(frame_bgr, t)` over a video file, optionally a time window and sampled.

    `sample_fps` keeps about that many frames a second (by timestamp, so variable frame
    rates sample evenly). After iteration, `.truncated` is True when the file ended
    early or failed to decode, with `.error` a CoachError describing it.
    """

    def __init__(
        self,
        path: str | Path,
        start_s: float | None = None,
        end_s: float | None = None,
        sample_fps: float | None = None,
    ) -> None:
        self.path = Path(path)
        if start_s is not None and end_s is not None and end_s <= start_s:
            raise CoachError(
                f"--end {end_s:g} s is not after --start {start_s:g} s",
                "give an end time later than the start",
            )
        if sample_fps is not None and sample_fps <= 0:
            raise CoachError(f"sample rate {sample_fps:g} must be positive", "use e.g. 15")
        self.start_s = start_s
        self.end_s = end_s
        self.sample_fps = sample_fps
        cap = open_capture(self.path)
        try:
            self.info = _info(self.path, cap)
        finally:
            cap.release()
        if self.info.width <= 0 or self.info.height <= 0:
            raise CoachError(
                f"{self.path}: no video stream (or a damaged header)",
                "pass a video file with pictures; re-export it if it plays elsewhere",
            )
        if start_s is not None and 0 < self.duration_s <= start_s:
            raise CoachError(
                f"--start {start_s:g} s is past the end of {self.path} ({self.duration_s:.1f} s)",
                "give a start time within the video",
            )
        self.truncated = False
        self.error: CoachError | None = None
        self.frames_read = 0
        self.last_t: float | None = None

    # Stream properties, as the brief names them.
    @property
    def fps(self) -> float:
        return self.info.fps

    @property
    def frame_count(self) -> int:
        return self.info.frame_count

    @property
    def duration_s(self) -> float:
        return self.info.duration_s

    @property
    def width(self) -> int:
        return self.info.width

    @property
    def height(self) -> int:
        return self.info.height

    def expected_frames(self) -> int:
        """About how many frames iteration will yield (for progress bars)."""
        fps = self.fps or 30.0
        start = self.start_s or 0.0
        end = self.duration_s if self.end_s is None else min(self.end_s, self.duration_s)
        span = max(0.0, end - start)
        rate = min(fps, self.sample_fps) if self.sample_fps else fps
        return max(1, round(span * rate)) if span > 0 else max(self.frame_count, 0)

    def __iter__(self) -> Iterator[tuple[np.ndarray, float]]:
        self.truncated = False
        self.error = None
        self.frames_read = 0
        self.last_t = None
        cap = cv2.VideoCapture(str(self.path))
        try:
            if self.start_s and not self._seek(cap):
                cap.release()  # the seek overshot the start: read from the beginning instead
                cap = cv2.VideoCapture(str(self.path))
            yield from self._frames(cap)
        finally:
            cap.release()

    def _seek(self, cap: cv2.VideoCapture) -> bool:
        """Seek near start_s; False when the container landed after it (inexact index)."""
        assert self.start_s is not None
        if not cap.set(cv2.CAP_PROP_POS_MSEC, self.start_s * 1000.0):
            return False
        t = float(cap.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0
        frame_s = 1.0 / (self.fps or 30.0)
        return math.isfinite(t) and t <= self.start_s + 1.5 * frame_s

    def _frames(self, cap: cv2.VideoCapture) -> Iterator[tuple[np.ndarray, float]]:
        last_t = -math.inf
        last_slot = -math.inf
        while cap.grab():
            t = self._timestamp(cap, last_t)
            last_t = t
            if self.start_s is not None and t < self.start_s - 1e-6:
                continue  # seeking lands on a key frame before the start
            if self.end_s is not None and t >= self.end_s:
                return
            slot = self._slot(t)
            if slot <= last_slot:
                continue  # sampling: skipped before the cost of converting the picture
            ok, frame = cap.retrieve()
            if not ok or frame is None:
                self._mark_truncated(f"frame at {t:.2f} s could not be decoded")
                return
            last_slot = slot
            self.frames_read += 1
            self.last_t = t
            yield frame, t
        self._check_ended_early(last_t)

    def _slot(self, t: float) -> float:
        """Sampling keeps the first frame in each 1/sample_fps slot of container time.

        Slots are fixed on the timeline, so the same frames are kept whichever point
        reading starts from (parallel chunks agree with one pass).
        """
        if not self.sample_fps:
            return t
        return math.floor(t * self.sample_fps + 1e-6)

    def _timestamp(self, cap: cv2.VideoCapture, last_t: float) -> float:
        """The container's timestamp; rising even when a broken file repeats one."""
        t = float(cap.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0
        if not math.isfinite(t) or t <= last_t:
            fps = self.fps or 30.0
            t = (last_t + 1.0 / fps) if math.isfinite(last_t) else 0.0
        return t

    def _check_ended_early(self, last_t: float) -> None:
        if self.frame_count <= 0 or self.fps <= 0:
            return
        expected_end = self.duration_s if self.end_s is None else min(self.end_s, self.duration_s)
        seen_end = last_t + 1.0 / self.fps if math.isfinite(last_t) else 0.0
        slack = max(_TRUNCATION_SLACK_FRAMES / self.fps, _TRUNCATION_SLACK_S)
        if seen_end < expected_end - slack:
            self._mark_truncated(
                f"video ends at {max(seen_end, 0.0):.1f} s of {expected_end:.1f} s"
            )

    def _mark_truncated(self, why: str) -> None:
        self.truncated = True
        self.error = truncation_error(self.path, why)


def truncation_error(path: str | Path, why: str) -> CoachError:
    """The one error for a file that stops early: the frames before it are still usable."""
    return CoachError(
        f"{path}: truncated or damaged ({why})",
        "the result covers only the part that could be read; re-copy or re-export the file",
    )
