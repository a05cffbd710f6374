"""Read and write the landmark file contract (`*.landmarks.jsonl`, see DESIGN.md).

Line 1 is a header; every further line is one frame. Other tools rely on this format:
fields may be added, never renamed or dropped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from coach.core.landmarks import N_LANDMARKS, PoseFrame
from coach.errors import CoachError

FORMAT = "coach-landmarks"
VERSION = 1
SUFFIX = ".landmarks.jsonl"


@dataclass(frozen=True)
class LandmarkHeader:
    fps: float | None
    source: str
    extra: dict[str, Any]


def is_landmark_file(path: str | Path) -> bool:
    return str(path).endswith(SUFFIX) or str(path).endswith(".jsonl")


def _array(value: Any, path: Path, lineno: int, key: str) -> np.ndarray | None:
    if value is None:
        return None
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        arr = np.empty(0)
    if arr.shape != (N_LANDMARKS, 4):
        raise CoachError(
            f"{path}:{lineno}: '{key}' must be 33 rows of [x, y, z, visibility] or null",
            "regenerate the file with `coach score VIDEO --save-landmarks`",
        )
    return unseen_if_not_finite(arr)


def unseen_if_not_finite(arr: np.ndarray) -> np.ndarray | None:
    """NaN or infinite coordinates are no evidence: such a landmark is unseen (visibility 0),
    and a frame where no landmark is finite holds no person at all (None)."""
    finite = np.isfinite(arr).all(axis=1)
    if finite.all():
        return arr
    if not finite.any():
        return None
    arr = arr.copy()
    arr[~finite] = 0.0  # coordinates kept finite so no NaN reaches the geometry
    return arr


def read_header(path: Path, first_line: str) -> LandmarkHeader:
    try:
        head = json.loads(first_line)
    except json.JSONDecodeError:
        head = None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise CoachError(
            f"{path}: not a coach landmark file (line 1 must be a header with "
            f'"format": "{FORMAT}")',
            "pass a video, or a file written by `coach score --save-landmarks`",
        )
    if head.get("version") != VERSION:
        raise CoachError(
            f"{path}: landmark file version {head.get('version')!r} is not supported "
            f"(this coach reads version {VERSION})",
            "upgrade coach or regenerate the file",
        )
    extra = {k: v for k, v in head.items() if k not in ("format", "version", "fps", "source")}
    return LandmarkHeader(
        fps=_header_fps(path, head.get("fps")), source=str(head.get("source", path)), extra=extra
    )


def _header_fps(path: Path, fps: Any) -> float | None:
    """The header's frame rate: a positive number, or null when unknown (variable rate)."""
    if fps is None:
        return None
    if isinstance(fps, int | float) and not isinstance(fps, bool):
        value = float(fps)
        if math.isfinite(value) and value > 0:
            return value
        if value == 0:
            return None  # older files wrote 0 for "unknown"
    raise CoachError(
        f'{path}: the header\'s "fps" must be a positive number or null, not {json.dumps(fps)}',
        'fix line 1 (e.g. "fps": 30) or regenerate the file',
    )


def read_landmarks(path: str | Path) -> tuple[LandmarkHeader, Iterator[PoseFrame]]:
    """Open a landmark file; frames are read lazily so long recordings stream."""
    p = Path(path)
    try:
        fh = p.open(encoding="utf-8")
    except FileNotFoundError:
        raise CoachError(f"{p}: no such file", "check the path") from None
    except OSError as exc:
        raise CoachError(f"{p}: cannot read ({exc.strerror})", "check the permissions") from None
    first = fh.readline()
    try:
        header = read_header(p, first)
    except CoachError:
        fh.close()
        raise

    def frames() -> Iterator[PoseFrame]:
        with fh:
            last_t = -math.inf
            for lineno, line in enumerate(fh, start=2):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                    t = float(obj["t"])
                except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                    raise CoachError(
                        f"{p}:{lineno}: frame is not a JSON object with a numeric 't'",
                        "the file may be truncated or edited by hand; regenerate it",
                    ) from None
                if not math.isfinite(t):
                    raise CoachError(
                        f"{p}:{lineno}: timestamp 't' is {obj['t']!r}, not a finite number",
                        "each frame needs its time in seconds; regenerate the file",
                    )
                if t < last_t:
                    raise CoachError(
                        f"{p}:{lineno}: timestamps go backwards ({t} after {last_t})",
                        "frames must be in time order; regenerate the file",
                    )
                last_t = t
                yield PoseFrame(
                    t=t,
                    world=_array(obj.get("world"), p, lineno, "world"),
                    image=_array(obj.get("image"), p, lineno, "image"),
                    cut=obj.get("cut") is True,
                )

    return header, frames()


@dataclass(frozen=True)
class Rounding:
    """Decimals written per column; coarser rounding keeps shipped samples small."""

    world: int = 5
    image: int = 5
    visibility: int = 5


FULL = Rounding()


def _rows(arr: np.ndarray | None, xyz: int, vis: int) -> list[list[float]] | None:
    if arr is None:
        return None
    return [[round(float(v), xyz) for v in row[:3]] + [round(float(row[3]), vis)] for row in arr]


def frame_record(frame: PoseFrame, rounding: Rounding = FULL) -> dict[str, Any]:
    record: dict[str, Any] = {
        "t": round(frame.t, 4),
        "world": _rows(frame.world, rounding.world, rounding.visibility),
        "image": _rows(frame.image, rounding.image, rounding.visibility),
    }
    if frame.cut:
        record["cut"] = True  # an added field: a shot cut or fade ends before this frame
    return record


class LandmarkWriter:
    """Streams frames to a landmark file; usable as a context manager."""

    def __init__(
        self,
        path: str | Path,
        fps: float | None,
        source: str,
        rounding: Rounding = FULL,
        **extra: Any,
    ) -> None:
        self.path = Path(path)
        self.rounding = rounding
        self._fh: IO[str] = self.path.open("w", encoding="utf-8")
        header = {"format": FORMAT, "version": VERSION, "fps": fps, "source": source, **extra}
        self._fh.write(json.dumps(header) + "\n")

    def write(self, frame: PoseFrame) -> None:
        self._fh.write(json.dumps(frame_record(frame, self.rounding), separators=(",", ":")) + "\n")

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> LandmarkWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_landmarks(
    path: str | Path, frames: Iterable[PoseFrame], fps: float | None, source: str, **extra: Any
) -> None:
    with LandmarkWriter(path, fps, source, **extra) as writer:
        for frame in frames:
            writer.write(frame)
