"""What `coach score` reads: input kinds, folders of inputs, and the frames of one input.

Videos and photos go through pose estimation; landmark files are read as recorded. A
damaged input keeps the frames read before the damage and says why reading stopped.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from coach.core.landmarks import PoseFrame
from coach.errors import CoachError
from coach.io.landmark_file import SUFFIX, read_landmarks

VIDEO_EXT = {".mp4", ".mov", ".avi", ".webm", ".mkv", ".m4v"}
IMAGE_EXT = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}

Progress = Callable[[int, int], None]
Loaded = tuple[list[PoseFrame], float | None, str | None]  # frames, fps, why reading stopped


class ReadOptions(Protocol):
    """The part of the score options that reading an input uses (ScoreOptions has them)."""

    @property
    def start_s(self) -> float | None: ...
    @property
    def end_s(self) -> float | None: ...
    @property
    def sample_fps(self) -> float | None: ...
    @property
    def model(self) -> str | None: ...
    @property
    def pose_jobs(self) -> int: ...


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def kind_of(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(SUFFIX) or name.endswith(".jsonl"):
        return "landmarks"
    if path.suffix.lower() in VIDEO_EXT:
        return "video"
    if path.suffix.lower() in IMAGE_EXT:
        return "image"
    return "unknown"


def expand_inputs(inputs: list[str]) -> list[Path]:
    """Files as given; folders expanded to the videos, photos and landmark files inside."""
    paths: list[Path] = []
    for raw in inputs:
        p = Path(raw)
        if p.is_dir():
            _say_subfolders(p)
            found = sorted(q for q in p.iterdir() if q.is_file() and kind_of(q) != "unknown")
            if not found:
                raise CoachError(
                    f"{p}: the folder holds no videos, photos or landmark files",
                    "point at a folder of .mp4/.mov/.avi/.webm/.mkv/.jpg/.png/.landmarks.jsonl",
                )
            paths += found
        else:
            paths.append(p)
    return paths


def _say_subfolders(folder: Path) -> None:
    """Folders are read one level deep; say so rather than skip subfolders without a word."""
    subs = sorted(q.name for q in folder.iterdir() if q.is_dir() and not q.name.startswith("."))
    if subs:
        shown = ", ".join(subs[:5]) + (", ..." if len(subs) > 5 else "")
        print(
            f"coach: {folder}: {len(subs)} subfolder(s) not scored ({shown}) — "
            "give them as inputs to score them too",
            file=sys.stderr,
        )


def _clip(frames: list[PoseFrame], start_s: float | None, end_s: float | None) -> list[PoseFrame]:
    return [
        f for f in frames if (start_s is None or f.t >= start_s) and (end_s is None or f.t <= end_s)
    ]


def load_frames(
    path: Path, opts: ReadOptions, progress: Progress | None
) -> tuple[list[PoseFrame], float | None, str | None]:
    """Frames of any input kind, with the source fps and a reason if reading stopped early."""
    kind = kind_of(path)
    if not path.exists():
        raise CoachError(f"{path}: no such file", "check the path and spelling")
    if kind == "landmarks":
        header, frames_iter = read_landmarks(path)
        frames: list[PoseFrame] = []
        try:
            frames.extend(frames_iter)
        except CoachError as exc:  # keep what came before a damaged line
            if not frames:
                raise
            return _clip(frames, opts.start_s, opts.end_s), header.fps, exc.problem
        return _clip(frames, opts.start_s, opts.end_s), header.fps, None
    if kind == "video":
        from coach.io.pose_pipeline import estimate_video

        info, frames, error = estimate_video(
            path,
            start_s=opts.start_s,
            end_s=opts.end_s,
            sample_fps=opts.sample_fps,
            model_path=opts.model,
            jobs=opts.pose_jobs,
            progress=progress,
        )
        return frames, info.fps, (error.problem if error else None)
    if kind == "image":
        from coach.io.pose_pipeline import estimate_image

        return [estimate_image(path, model_path=opts.model)], None, None
    raise CoachError(
        f"{path}: not a video, photo or landmark file",
        "give an .mp4/.mov/.avi/.webm/.mkv video, a .jpg/.png photo or a .landmarks.jsonl file",
    )
