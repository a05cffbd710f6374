"""CameraSource with fake captures passed in (no patching), and the display check."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import pytest

from coach.errors import CoachError
from coach.io.capture import CameraSource, display_available


class FakeCapture:
    """A camera at `fps` whose frames carry their number in pixel [0, 0, 0] (mod 256) and
    in `numbers`; `unplug()` makes grabs fail, as V4L2 does once the device is gone."""

    def __init__(self, opened: bool = True, fps: float = 200.0, decode_s: float = 0.0) -> None:
        self.opened = opened
        self.period_s = 1.0 / fps
        self.decode_s = decode_s
        self.count = 0
        self.plugged = True
        self.released = False
        self.grab_done: dict[int, float] = {}
        self.retrieve_start: dict[int, float] = {}
        self.block = threading.Event()  # set to make grab hang (a driver that stalls)
        self.unblock = threading.Event()

    def isOpened(self) -> bool:
        return self.opened and not self.released

    def grab(self) -> bool:
        if self.block.is_set():
            self.unblock.wait(5.0)
        time.sleep(self.period_s)
        if not self.plugged:
            return False
        self.count += 1
        self.grab_done[self.count] = time.monotonic()
        return True

    def retrieve(self) -> tuple[bool, np.ndarray | None]:
        self.retrieve_start[self.count] = time.monotonic()
        time.sleep(self.decode_s)
        frame = np.zeros((4, 4, 3), dtype=np.uint8)
        frame[0, 0, 0] = self.count % 256
        frame[0, 0, 1] = self.count // 256
        return True, frame

    def release(self) -> None:
        self.released = True

    def unplug(self) -> None:
        self.plugged = False


def number(frame: np.ndarray) -> int:
    return int(frame[0, 0, 0]) + 256 * int(frame[0, 0, 1])


class Factory:
    """Hands out the captures in `caps` in turn (the last one again when they run out)."""

    def __init__(self, *caps: FakeCapture) -> None:
        self.caps = list(caps)
        self.opened: list[int] = []

    def __call__(self, index: int) -> FakeCapture:
        self.opened.append(index)
        return self.caps.pop(0) if len(self.caps) > 1 else self.caps[0]


def wait_for(condition: Callable[[], bool], timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_camera_that_cannot_open_is_one_clear_error() -> None:
    cap = FakeCapture(opened=False)
    with pytest.raises(CoachError) as err:
        CameraSource(3, open_capture=Factory(cap))
    line = err.value.line()
    assert "camera 3 could not be opened" in line
    assert "not used by another app" in line
    assert "System Settings > Privacy" in line
    assert cap.released


def test_camera_that_opens_but_sends_nothing_is_an_error_not_a_hang() -> None:
    cap = FakeCapture()
    cap.unplug()
    t0 = time.monotonic()
    with pytest.raises(CoachError, match="camera 0 opened but sent no picture"):
        CameraSource(0, open_capture=Factory(cap), first_frame_timeout_s=2.0)
    assert time.monotonic() - t0 < 1.0  # failing grabs end the wait early
    assert cap.released


def test_read_returns_only_the_newest_frame_so_lag_never_grows() -> None:
    cap = FakeCapture(fps=500)
    with CameraSource(0, open_capture=Factory(cap)) as cam:
        seen = []
        for _ in range(5):
            time.sleep(0.05)  # a slow main thread: pose takes longer than a frame
            newest_before = cap.count
            got = cam.read(timeout=1.0)
            assert got is not None
            seen.append(number(got[0]))
            assert seen[-1] >= newest_before - 1  # (that one may still be decoding)
        assert seen == sorted(set(seen))  # never an old frame, never the same one twice
        assert cam.frames_dropped > 10


def test_read_waits_for_a_new_frame_instead_of_repeating_one() -> None:
    cap = FakeCapture(fps=20)
    with CameraSource(0, open_capture=Factory(cap)) as cam:
        first = cam.read(timeout=1.0)
        second = cam.read(timeout=1.0)
        assert first is not None and second is not None
        assert number(second[0]) > number(first[0])
        assert cam.read(timeout=0.0) is None  # nothing new yet: no repeat


def test_timestamps_are_monotonic_and_taken_right_after_grab() -> None:
    cap = FakeCapture(fps=100, decode_s=0.005)
    with CameraSource(0, open_capture=Factory(cap)) as cam:
        reads = [cam.read(timeout=1.0) for _ in range(10)]
    frames = [got for got in reads if got is not None]
    assert len(frames) == 10
    stamps = [t for _, t in frames]
    assert stamps == sorted(set(stamps))  # strictly increasing
    for frame, t in frames:
        n = number(frame)
        assert cap.grab_done[n] <= t <= cap.retrieve_start[n]  # not after decoding


def test_injected_clock_stamps_the_frames() -> None:
    ticks = iter(range(1000, 100000))
    with CameraSource(0, open_capture=Factory(FakeCapture()), clock=lambda: next(ticks)) as cam:
        got = cam.read(timeout=1.0)
    assert got is not None and got[1] >= 1000


def test_unplugged_camera_is_lost_mid_session_and_read_returns_none() -> None:
    cap = FakeCapture(fps=200)
    with CameraSource(0, open_capture=Factory(cap), retry_s=10.0) as cam:
        assert cam.read(timeout=1.0) is not None
        assert not cam.lost
        cap.unplug()
        wait_for(lambda: cam.lost)
        assert cam.read(timeout=0.1) is None
        assert cap.released


def test_replugged_camera_is_reopened_and_frames_resume() -> None:
    first, second = FakeCapture(fps=200), FakeCapture(fps=200)
    factory = Factory(first, second)
    with CameraSource(1, open_capture=factory, retry_s=0.05) as cam:
        assert cam.read(timeout=1.0) is not None
        first.unplug()
        wait_for(lambda: cam.reopened == 1)
        got = cam.read(timeout=1.0)
        assert got is not None and not cam.lost
        assert factory.opened == [1, 1]


def test_reopening_keeps_retrying_while_the_camera_is_away() -> None:
    first, away, back = FakeCapture(), FakeCapture(opened=False), FakeCapture()
    factory = Factory(first, away, away, back)
    with CameraSource(0, open_capture=factory, retry_s=0.02) as cam:
        first.unplug()
        wait_for(lambda: cam.reopened == 1)
        assert cam.read(timeout=1.0) is not None
    assert len(factory.opened) == 4


def test_a_grab_that_hangs_counts_as_lost_after_the_stall_time() -> None:
    cap = FakeCapture()
    cam = CameraSource(0, open_capture=Factory(cap), stall_s=0.2)
    try:
        assert cam.read(timeout=1.0) is not None
        cap.block.set()
        wait_for(lambda: cam.lost, timeout_s=2.0)
    finally:
        cap.unblock.set()
        cam.close()


def test_close_joins_the_thread_and_releases_the_camera() -> None:
    cap = FakeCapture()
    cam = CameraSource(0, open_capture=Factory(cap))
    cam.close()
    assert not cam._thread.is_alive()
    assert cap.released
    t0 = time.monotonic()
    cam.read(timeout=2.0)  # after close, read must not wait out its timeout
    assert time.monotonic() - t0 < 0.1


@pytest.mark.parametrize(
    ("platform", "env", "gui", "expected"),
    [
        ("linux", {}, "QT5", False),
        ("linux", {"DISPLAY": ":0"}, "QT5", True),
        ("linux", {"WAYLAND_DISPLAY": "wayland-0"}, "GTK3", True),
        ("linux", {"DISPLAY": ""}, "QT5", False),
        ("darwin", {}, "COCOA", True),
        ("win32", {}, "WIN32UI", True),
        ("linux", {"DISPLAY": ":0"}, "NONE", False),  # opencv-python-headless
    ],
)
def test_display_available_without_ever_opening_a_window(
    platform: str, env: dict[str, str], gui: str, expected: bool
) -> None:
    assert display_available(env, platform, gui) is expected


def test_display_available_reads_the_real_opencv_build() -> None:
    assert display_available({}, "linux") is False
    assert isinstance(display_available(), bool)
