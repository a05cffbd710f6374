"""The annotated video: the recording with what the live coach would have shown, frame by frame.

The scoring is replayed through score_frames' per-step hook, so the video shows exactly the
machine the report was made from (zero-phase smoothed), not a second live-style guess.
"""

from __future__ import annotations

import bisect
from pathlib import Path

import cv2
import numpy as np

from coach.core.exercises import Exercise
from coach.core.landmarks import PoseFrame
from coach.core.scoring import score_frames
from coach.core.session import Sample, Session, StepResult
from coach.core.view import OverlayState, Prompts, overlay_state
from coach.errors import CoachError
from coach.io.sources import VideoSource
from coach.ui.overlay import draw_overlay


def overlay_states(frames: list[PoseFrame], exercise: Exercise) -> list[OverlayState]:
    """One OverlayState per PoseFrame, from replaying the offline scoring."""
    prompts = Prompts(exercise)
    states: list[OverlayState] = []

    def hook(_i: int, sample: Sample, session: Session, result: StepResult) -> None:
        instruction, warning = prompts.update(sample.t, result)
        states.append(overlay_state(session, instruction, warning))

    if frames:
        score_frames(frames, exercise, on_step=hook)
    return states


def _writer(out_mp4: str | Path, fps: float, size: tuple[int, int]) -> cv2.VideoWriter:
    out = Path(out_mp4)
    if not out.parent.is_dir():
        raise CoachError(f"{out.parent}: no such folder", "create it or choose another --out")
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
    if not writer.isOpened():
        raise CoachError(f"{out}: cannot write a video there", "check the folder is writable")
    return writer


def write_annotated_video(
    video_path: str | Path,
    frames: list[PoseFrame],
    exercise: Exercise,
    out_mp4: str | Path,
    start_s: float | None = None,
    end_s: float | None = None,
) -> int:
    """Write every video frame in [start_s, end_s) with the overlay; returns frames written.

    Each picture is drawn with the pose frame at or just before its timestamp, so landmarks
    sampled at a lower rate than the video still give a smooth, full-rate video.
    """
    states = overlay_states(frames, exercise)
    times = [f.t for f in frames]
    source = VideoSource(video_path, start_s=start_s, end_s=end_s)
    fps = source.fps or 30.0
    writer = _writer(out_mp4, fps, (source.width, source.height))
    written = 0
    try:
        for picture, t in source:
            i = bisect.bisect_right(times, t + 1e-3) - 1
            if 0 <= i < len(states):
                picture = draw_overlay(picture, frames[i], states[i], mirror=False)
            writer.write(picture)
            written += 1
    finally:
        writer.release()
    return written


def write_still(
    frame_bgr: np.ndarray, pose_frame: PoseFrame | None, state: OverlayState, path_png: str | Path
) -> None:
    """One annotated picture (unmirrored, as the camera saw it) to a PNG."""
    image = draw_overlay(frame_bgr, pose_frame, state, mirror=False)
    if not cv2.imwrite(str(path_png), image):
        raise CoachError(f"{path_png}: cannot write the picture", "check the folder is writable")
