"""Live camera frames with no growing lag, and whether a window can be shown at all.

A camera delivers frames at its own pace; if the main thread (pose, judging, drawing) is
slower, a plain `read()` loop falls further and further behind. So a daemon thread grabs
continuously and keeps only the newest frame, stamped with the monotonic clock right after
`grab()` returns, and `read()` hands out the newest frame not yet seen.

An unplugged camera shows up as failing grabs (or, with some drivers, a grab that never
returns): the source then reports `lost`, and the thread keeps trying to reopen the device,
so the loop can pause with a prompt and resume when frames come back.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from coach.errors import CoachError

Frame = Any  # a numpy array (H, W, 3) in BGR order, as OpenCV delivers it

CAMERA_FIX = (
    "check it is connected and not used by another app; "
    "on macOS allow camera access in System Settings > Privacy"
)


class VideoCaptureLike(Protocol):
    """The part of cv2.VideoCapture this module uses (fakes implement just this)."""

    def isOpened(self) -> bool: ...  # OpenCV's name

    def grab(self) -> bool: ...

    def retrieve(self) -> tuple[bool, Frame | None]: ...

    def release(self) -> None: ...


@contextlib.contextmanager
def _quiet_opencv() -> Iterator[None]:
    """OpenCV logs several lines per failed open (and we retry every second after an
    unplug); our own one-line error says it better, so silence it while opening."""
    import cv2

    previous = cv2.setLogLevel(0)
    try:
        yield
    finally:
        cv2.setLogLevel(previous)


def open_camera(index: int) -> VideoCaptureLike:
    """The default factory: cv2.VideoCapture with the driver's buffer cut to one frame."""
    import cv2

    with _quiet_opencv():
        cap = cv2.VideoCapture(index)
    if cap.isOpened():
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # fewer stale frames queued in the driver
    return cap


class CameraSource:
    """A camera read by a daemon thread that keeps only the newest frame.

    Opening fails with a CoachError (camera missing, busy, or not permitted, or no frame
    within `first_frame_timeout_s`). After `max_failed_grabs` failed grabs in a row, or no
    frame for `stall_s`, the camera is `lost`: `read()` returns None and the thread tries to
    reopen it every `retry_s`. Frames carry `clock()` read right after `grab()`.
    """

    def __init__(
        self,
        index: int = 0,
        *,
        open_capture: Callable[[int], VideoCaptureLike] = open_camera,
        clock: Callable[[], float] = time.monotonic,
        first_frame_timeout_s: float = 5.0,
        max_failed_grabs: int = 5,
        stall_s: float = 2.0,
        retry_s: float = 1.0,
    ) -> None:
        self.index = index
        self._open_capture = open_capture
        self._clock = clock
        self._max_failed_grabs = max_failed_grabs
        self._stall_s = stall_s
        self._retry_s = retry_s
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._frame: tuple[Frame, float] | None = None
        self._seq = 0  # frames grabbed so far
        self._seq_read = 0  # seq of the last frame handed out
        self._last_frame_real = 0.0  # time.monotonic() of the last frame, for stall checks
        self._lost = False
        self.frames_dropped = 0  # grabbed but overwritten before anyone read them
        self.reopened = 0
        self._cap: VideoCaptureLike | None = self._open_or_raise()
        self._thread = threading.Thread(target=self._run, name="coach-camera", daemon=True)
        self._thread.start()
        self._wait_first_frame(first_frame_timeout_s)

    # --- the loop's side ---------------------------------------------------------------------

    @property
    def frames_grabbed(self) -> int:
        return self._seq

    @property
    def lost(self) -> bool:
        """True while the camera is gone (unplugged, or a driver that stopped delivering)."""
        with self._cond:
            return self._lost or self._stalled()

    def read(self, timeout: float = 1.0) -> tuple[Frame, float] | None:
        """The newest frame not yet returned and its timestamp, waiting up to `timeout`.

        None means no new frame in time: check `lost` to tell a lost camera from a slow one.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._seq == self._seq_read:
                left = deadline - time.monotonic()
                if self._stop.is_set() or left <= 0:
                    return None
                self._cond.wait(left)
            self._seq_read = self._seq
            return self._frame

    def close(self) -> None:
        """Stops the thread (joined) and releases the camera."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=3.0)

    def __enter__(self) -> CameraSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- opening -----------------------------------------------------------------------------

    def _open_or_raise(self) -> VideoCaptureLike:
        cap = self._try_open()
        if cap is None:
            raise CoachError(f"camera {self.index} could not be opened", CAMERA_FIX)
        return cap

    def _try_open(self) -> VideoCaptureLike | None:
        cap = self._open_capture(self.index)
        if cap.isOpened():
            return cap
        cap.release()
        return None

    def _wait_first_frame(self, timeout_s: float) -> None:
        """A camera can open and still send nothing (macOS without permission, busy device)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._seq == 0 and not self._lost:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            ok = self._seq > 0
        if not ok:
            self.close()
            raise CoachError(f"camera {self.index} opened but sent no picture", CAMERA_FIX)

    def _stalled(self) -> bool:
        """No frame for `stall_s` although we had some: a grab that hangs after an unplug."""
        return self._seq > 0 and time.monotonic() - self._last_frame_real > self._stall_s

    # --- the capture thread ------------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        try:
            while not self._stop.is_set():
                if self._cap is None:
                    self._reopen()
                    continue
                if self._grab_one():
                    failures = 0
                    continue
                failures += 1
                if failures >= self._max_failed_grabs:
                    self._mark_lost()
                    failures = 0
                else:
                    self._stop.wait(0.01)
        finally:
            if self._cap is not None:
                self._cap.release()
                self._cap = None

    def _grab_one(self) -> bool:
        assert self._cap is not None
        if not self._cap.grab():
            return False
        t = self._clock()
        ok, frame = self._cap.retrieve()
        if not ok or frame is None:
            return False
        with self._cond:
            if self._seq > self._seq_read:
                self.frames_dropped += 1
            self._frame = (frame, t)
            self._seq += 1
            self._last_frame_real = time.monotonic()
            self._lost = False
            self._cond.notify_all()
        return True

    def _mark_lost(self) -> None:
        assert self._cap is not None
        self._cap.release()
        self._cap = None
        with self._cond:
            self._lost = True
            self._cond.notify_all()

    def _reopen(self) -> None:
        if self._stop.wait(self._retry_s):
            return
        cap = self._try_open()
        if cap is not None:
            self._cap = cap
            self.reopened += 1


def display_available(
    env: Mapping[str, str] | None = None,
    platform: str = sys.platform,
    gui_backend: str | None = None,
) -> bool:
    """Whether an OpenCV window can be opened, decided without opening one.

    `cv2.imshow` with no display aborts the whole process (Qt cannot connect), so it can
    never be used as the test. Headless OpenCV builds report "GUI: NONE" in their build info.
    """
    env = os.environ if env is None else env
    backend = _opencv_gui_backend() if gui_backend is None else gui_backend
    if backend.upper() in ("", "NONE"):
        return False
    if platform in ("darwin", "win32"):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def _opencv_gui_backend() -> str:
    """The "GUI:" line of cv2.getBuildInformation() ("QT5", "GTK3", "COCOA", "NONE")."""
    try:
        import cv2
    except ImportError:
        return "NONE"
    for line in cv2.getBuildInformation().splitlines():
        label, _, value = line.strip().partition(":")
        if label == "GUI":
            return value.strip() or "NONE"
    return "NONE"
