"""MediaPipe pose: the only module that imports mediapipe.

Turns one BGR frame and its timestamp into a PoseFrame. The default uses the BlazePose
full model bundled with mediapipe 0.10.21 (no download); a user-supplied Tasks `.task`
model can be used instead. Frames may be downscaled before the model: image landmarks
are normalised to 0..1 and world landmarks are in metres, so neither depends on the size
the model saw.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import cv2
import numpy as np

from coach.core.landmarks import N_LANDMARKS, PoseFrame
from coach.errors import CoachError

DEFAULT_MAX_SIDE: int | None = None


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Hide the C++ INFO/W0000 lines MediaPipe prints while it builds its graph.

    They go to file descriptor 2 directly (no env var silences them in 0.10.21) and would
    bury the one-line messages users get. Only graph set-up and the first frame are
    wrapped, so later native errors still show.
    """
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # a replaced stderr without a descriptor
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


class _Backend(Protocol):
    def process(self, rgb: np.ndarray, t: float) -> tuple[Any, Any]: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...


def _to_array(landmarks: Any) -> np.ndarray | None:
    """A MediaPipe landmark list -> (33, 4) float array of x, y, z, visibility."""
    if landmarks is None:
        return None
    points = landmarks.landmark if hasattr(landmarks, "landmark") else landmarks
    if len(points) != N_LANDMARKS:
        return None
    arr = np.empty((N_LANDMARKS, 4), dtype=float)
    for i, p in enumerate(points):
        vis = getattr(p, "visibility", None)
        arr[i] = (p.x, p.y, p.z, 0.0 if vis is None else vis)
    return arr


class _SolutionsBackend:
    """The legacy mp.solutions.pose graph: bundled model, built-in tracking and smoothing."""

    def __init__(self, static: bool, model_complexity: int, smooth: bool) -> None:
        import mediapipe as mp

        self._pose = mp.solutions.pose.Pose(
            static_image_mode=static,
            model_complexity=model_complexity,
            smooth_landmarks=smooth and not static,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        )

    def process(self, rgb: np.ndarray, t: float) -> tuple[Any, Any]:
        result = self._pose.process(rgb)
        return result.pose_world_landmarks, result.pose_landmarks

    def reset(self) -> None:
        self._pose.reset()  # restarts the graph run: tracking starts afresh, model stays loaded

    def close(self) -> None:
        self._pose.close()


class _TasksBackend:
    """A user-supplied PoseLandmarker `.task` model (VIDEO mode needs rising integer ms)."""

    def __init__(self, model_path: Path, static: bool) -> None:
        check_model_file(model_path)
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        self._static = static
        self._path = model_path
        mode = vision.RunningMode.IMAGE if static else vision.RunningMode.VIDEO
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model_path)),
            running_mode=mode,
            num_poses=1,
        )
        try:
            self._landmarker = vision.PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            raise CoachError(
                f"{model_path}: not a usable MediaPipe pose model ({_first_line(exc)})",
                "pass a PoseLandmarker .task file, or drop --model to use the bundled model",
            ) from None
        self._last_ms = -1

    def process(self, rgb: np.ndarray, t: float) -> tuple[Any, Any]:
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        if self._static:
            result = self._landmarker.detect(image)
        else:
            # VIDEO mode rejects equal or falling timestamps: keep them strictly rising.
            ms = max(round(t * 1000.0), self._last_ms + 1)
            self._last_ms = ms
            result = self._landmarker.detect_for_video(image, ms)
        world = result.pose_world_landmarks[0] if result.pose_world_landmarks else None
        image_lm = result.pose_landmarks[0] if result.pose_landmarks else None
        return world, image_lm

    def reset(self) -> None:
        self._landmarker.close()  # VIDEO mode cannot go back in time: a new landmarker
        self.__init__(self._path, self._static)  # type: ignore[misc]

    def close(self) -> None:
        self._landmarker.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def check_model_file(model_path: Path) -> None:
    """Fail early, naming the file, before MediaPipe prints its own multi-line error."""
    if not model_path.exists():
        raise CoachError(
            f"{model_path}: model file not found",
            "check the --model path, or drop --model to use the bundled model",
        )
    if not model_path.is_file():
        raise CoachError(
            f"{model_path}: is not a file", "pass a PoseLandmarker .task file to --model"
        )
    if model_path.suffix.lower() != ".task":
        raise CoachError(
            f"{model_path}: not a MediaPipe .task model",
            "pass a PoseLandmarker .task file, or drop --model to use the bundled model",
        )
    with model_path.open("rb") as fh:
        magic = fh.read(4)
    if magic != b"PK\x03\x04":  # a .task is a zip bundle of tflite files
        raise CoachError(
            f"{model_path}: not a valid MediaPipe .task model (not a model bundle)",
            "download a PoseLandmarker .task file, or drop --model to use the bundled model",
        )


def resize_for_model(frame_bgr: np.ndarray, max_side: int | None) -> np.ndarray:
    """Shrink so the longer side is at most max_side; never enlarge."""
    if not max_side:
        return frame_bgr
    h, w = frame_bgr.shape[:2]
    longest = max(h, w)
    if longest <= max_side:
        return frame_bgr
    scale = max_side / longest
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(frame_bgr, size, interpolation=cv2.INTER_AREA)


class PoseEstimator:
    """One person's pose per frame; a context manager that owns the MediaPipe graph.

    Tracking carries state from frame to frame, so one estimator serves one stream in
    time order; use `static=True` for unrelated still images.
    """

    def __init__(
        self,
        *,
        static: bool = False,
        model_path: str | Path | None = None,
        max_side: int | None = DEFAULT_MAX_SIDE,
        model_complexity: int = 1,
        smooth: bool = True,
    ) -> None:
        self.static = static
        self.max_side = max_side
        self._backend: _Backend
        self._quiet_first = True
        with _quiet_native_stderr():
            if model_path is not None:
                self._backend = _TasksBackend(Path(model_path), static)
            else:
                self._backend = _SolutionsBackend(static, model_complexity, smooth)

    def estimate(self, frame_bgr: np.ndarray, t: float) -> PoseFrame:
        """Landmarks of the person in one BGR frame taken at t seconds; None where unseen."""
        small = resize_for_model(frame_bgr, self.max_side)
        return self.estimate_rgb(cv2.cvtColor(small, cv2.COLOR_BGR2RGB), t)

    def estimate_rgb(self, frame_rgb: np.ndarray, t: float) -> PoseFrame:
        """The same for a frame already in RGB, the model's order (the array is made read-only).

        The live loop's decoding thread converts the colours, so the pose thread goes straight
        from handing over one pose to starting the next: the main thread, woken by the first,
        would otherwise take the GIL while the conversion let it go, and delay the second.
        """
        rgb = resize_for_model(frame_rgb, self.max_side)
        rgb.flags.writeable = False
        if self._quiet_first:  # the first frame logs graph details too
            self._quiet_first = False
            with _quiet_native_stderr():
                world, image = self._backend.process(rgb, t)
        else:
            world, image = self._backend.process(rgb, t)
        return PoseFrame(t=float(t), world=_to_array(world), image=_to_array(image))

    def reset(self) -> None:
        """Forget the previous stream, so the next frames pose as with a new estimator.

        Far cheaper than a new estimator (the model stays loaded): a worker that poses many
        recordings keeps one estimator warm and resets it between them.
        """
        self._backend.reset()

    def close(self) -> None:
        self._backend.close()

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
