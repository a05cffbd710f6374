"""Live input: the frame feeds (a camera, or a file played as if live), pose estimation one
frame ahead of the loop, and the keys typed in the terminal.

Kept apart from the loop so tests and benchmarks drive it with landmark files and fake
clocks, and so the loop itself holds no threads.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from coach.core.landmarks import PoseFrame
from coach.errors import CoachError

Clock = Callable[[], float]


@dataclass(frozen=True)
class LiveItem:
    """One tick of the feed: a picture and/or a ready pose, or a lost camera."""

    t: float
    image: np.ndarray | None = None
    pose: PoseFrame | None = None
    camera_lost: bool = False
    idle: bool = False  # no frame this second, camera not yet lost: lets the loop see a stop
    rgb: np.ndarray | None = None  # the same picture in RGB, where the decoding thread made it


class Estimator(Protocol):
    def estimate(self, frame_bgr: np.ndarray, t: float) -> PoseFrame: ...


# ----- feeds --------------------------------------------------------------------------------
def paced(
    items: Iterator[LiveItem], fast: bool, clock: Clock, sleep: Callable[[float], None]
) -> Iterator[LiveItem]:
    """Release a file's frames at their own pace, as a camera would (or at once with --fast)."""
    start_wall: float | None = None
    start_t = 0.0
    for item in items:
        if not fast:
            if start_wall is None:
                start_wall, start_t = clock(), item.t
            wait = (item.t - start_t) - (clock() - start_wall)
            if wait > 0:
                sleep(wait)
        yield item


def file_feed(
    path: str,
    fast: bool,
    clock: Clock = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[LiveItem]:
    """A video or landmark file played as if it were live."""
    from coach.io.inputs import kind_of

    p = Path(path)
    if not p.exists():
        raise CoachError(f"{p}: no such file", "check the --source path")
    kind = kind_of(p)
    if kind == "landmarks":
        from coach.io.landmark_file import read_landmarks

        _, frames = read_landmarks(p)
        return paced((LiveItem(f.t, pose=f) for f in frames), fast, clock, sleep)
    if kind == "video":
        import cv2

        from coach.io.sources import VideoSource

        source = VideoSource(p)
        # Decoding runs a frame ahead on its own thread, as a camera's capture thread does,
        # so it overlaps pose estimation instead of adding to it; the model's RGB copy is
        # made there too (see PoseEstimator.estimate_rgb).
        pictures = ahead(
            LiveItem(t, image=img, rgb=cv2.cvtColor(img, cv2.COLOR_BGR2RGB)) for img, t in source
        )
        return paced(pictures, fast, clock, sleep)
    raise CoachError(
        f"{p}: --source must be a video or a .landmarks.jsonl file",
        "give an .mp4/.mov/.avi/.webm/.mkv or a landmark file",
    )


def camera_feed(camera: Any, clock: Clock = time.monotonic) -> Iterator[LiveItem]:
    """Newest frames from a CameraSource; a lost camera shows up as `camera_lost` ticks."""
    while True:
        got = camera.read(timeout=1.0)
        if got is None:
            yield (
                LiveItem(clock(), camera_lost=True) if camera.lost else LiveItem(clock(), idle=True)
            )
            continue
        image, t = got
        yield LiveItem(t, image=image)


T = TypeVar("T")


def ahead(items: Iterator[T], name: str = "coach-read") -> Iterator[T]:
    """The same items, produced on a worker thread one item ahead of the consumer.

    Errors raised by the producer are raised in the consumer; closing the consumer stops the
    worker. At most one finished item waits, so nothing backs up behind a slow consumer.
    """
    out: queue.Queue[tuple[str, Any]] = queue.Queue(1)
    stop = threading.Event()

    def put(x: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                out.put(x, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            put(("error", exc))
        finally:  # on this thread, which ran it: a generator upstream stops its own worker
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=work, daemon=True, name=name)
    worker.start()
    try:
        while True:
            kind, got = out.get()
            if kind == "end":
                return
            if kind == "error":
                raise got
            yield got
    finally:
        stop.set()
        worker.join(timeout=5.0)


def with_poses(
    feed: Iterator[LiveItem], estimator: Estimator | None
) -> Iterator[tuple[LiveItem, PoseFrame | None]]:
    """Items with their poses. With an estimator, pose estimation runs on a worker thread one
    frame ahead, so frame n+1 is posed while frame n is judged, drawn and shown (MediaPipe
    and OpenCV release the GIL). At most one posed frame waits: no backlog."""
    if estimator is None:
        for item in feed:
            yield item, item.pose
        return

    estimate_rgb = getattr(estimator, "estimate_rgb", None)

    def posed() -> Iterator[tuple[LiveItem, PoseFrame | None]]:
        for item in feed:
            pose = item.pose
            if pose is None and item.rgb is not None and estimate_rgb is not None:
                pose = estimate_rgb(item.rgb, item.t)
            elif pose is None and item.image is not None:
                pose = estimator.estimate(item.image, item.t)
            yield item, pose

    yield from ahead(posed(), name="coach-pose")


# ----- keys ---------------------------------------------------------------------------------
class StdinKeys:
    """Controls from standard input, a terminal or a pipe: p (pain), q (quit) or r (restart)
    and Enter. A line of just a space is the pain stop too, like the space key in the window;
    a bare Enter does nothing."""

    def __init__(self, stream: Any = None) -> None:
        self._q: queue.Queue[str] = queue.Queue()
        self._stream = sys.stdin if stream is None else stream
        if self._stream is not None and not self._stream.closed:
            threading.Thread(target=self._read, daemon=True, name="coach-keys").start()

    def _read(self) -> None:
        try:
            for line in self._stream:
                text = line.strip().lower()
                if text:
                    self._q.put(text[0])
                elif line.startswith(" "):
                    self._q.put(" ")
        except (OSError, ValueError):  # stdin closed under us: no more keys
            return

    def __call__(self, t: float) -> str | None:
        try:
            return self._q.get_nowait()
        except queue.Empty:
            return None


def key_action(code: int | str | None) -> str | None:
    """Window key codes and typed letters -> 'pain', 'quit', 'restart'."""
    if code is None:
        return None
    if isinstance(code, int):
        if code < 0:
            return None
        if code == 27:
            return "quit"
        code = chr(code & 0xFF).lower()
    if code in ("p", " "):
        return "pain"
    if code == "q":
        return "quit"
    if code == "r":
        return "restart"
    return None
