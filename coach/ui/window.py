"""The live window: an OpenCV window sized to the screen, and the keys printed at the start.

Made only where a display exists; the loop sees just the `Window` protocol, so tests run it
without one.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Protocol

import numpy as np

KEYS_TEXT = "p or space: stop for pain · q: quit · r: restart"


class Window(Protocol):
    def show(self, image: np.ndarray) -> int | None: ...

    def close(self) -> None: ...


def window_size(
    screen: tuple[int, int] | None, aspect: float = 16 / 9, want: tuple[int, int] = (1280, 720)
) -> tuple[int, int]:
    """A window of `want` size, or most (90%) of a smaller screen, keeping the aspect."""
    w, h = want
    if screen is not None and screen[0] > 0 and screen[1] > 0:
        w, h = min(w, int(screen[0] * 0.9)), min(h, int(screen[1] * 0.9))
    if w / h > aspect:
        w = int(h * aspect)
    else:
        h = int(w / aspect)
    return max(320, w), max(180, h)


def fit_size(image: tuple[int, int], area: tuple[int, int]) -> tuple[int, int] | None:
    """The size to scale an image (w, h) up to so it fills a window's area (w, h) keeping its
    aspect, or None when it already fills it. OpenCV's Qt window shows a smaller picture at
    its own size in a corner of a large window (a 640x360 webcam in a 1280x720 window)."""
    iw, ih = image
    aw, ah = area
    if iw <= 0 or ih <= 0 or aw <= 0 or ah <= 0:
        return None
    k = min(aw / iw, ah / ih)
    if k <= 1.02:
        return None
    return max(1, round(iw * k)), max(1, round(ih * k))


def grown_for_bars(
    window: tuple[int, int],
    shown: tuple[int, int],
    screen: tuple[int, int] | None,
) -> tuple[int, int] | None:
    """The window size (w, h) that gives the picture its full `window` area once OpenCV's Qt
    tool and status bars took their height from it, or None when nothing is to be gained or
    the taller window would not fit most (90%) of the screen.

    `shown` is the picture's area in the window as sized (w, h). Qt smooth-scales a picture
    that does not fit its area on every frame: about 1 ms of the main thread's time a frame
    at 720p, taken from pose estimation on a two-core machine.
    """
    w, h = window
    sw, sh = shown
    if sw <= 0 or sh <= 0 or sh >= h or sw >= w - 1:
        return None  # no bars, or the width (not the height) limits the picture
    grown = (w, h + (h - sh))  # the bars' height added
    if screen is not None and screen[1] > 0 and grown[1] > screen[1] * 0.9:
        return None
    return grown


def screen_size() -> tuple[int, int] | None:
    """The X screen's size where xdpyinfo or tkinter can tell, else None."""
    import shutil
    import subprocess

    if shutil.which("xdpyinfo"):
        try:
            text = subprocess.run(["xdpyinfo"], capture_output=True, text=True, timeout=2.0).stdout
        except (OSError, subprocess.SubprocessError):
            text = ""
        for line in text.splitlines():
            if "dimensions:" in line:
                w, _, h = line.split()[1].partition("x")
                if w.isdigit() and h.isdigit():
                    return int(w), int(h)
    return None


class CvWindow:
    """An OpenCV window; only made where a display exists (imshow aborts without one).

    Opens at 1280x720 or most of a smaller screen, resizable, keeping the picture's aspect.
    """

    NAME = "coach — p/space: pain stop, q: quit, r: restart"

    def __init__(self, screen: tuple[int, int] | None = None) -> None:
        import cv2

        self._cv2 = cv2
        self._screen = screen
        self._sized = False
        self._grown = False
        self._window = (0, 0)
        self._area = (0, 0)
        cv2.namedWindow(self.NAME, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO)

    def show(self, image: np.ndarray) -> int | None:
        cv2 = self._cv2
        h, w = image.shape[:2]
        if not self._sized:  # sized to the first picture's aspect
            self._sized = True
            self._area = self._window = window_size(self._screen, w / h)
            cv2.resizeWindow(self.NAME, *self._window)
        else:  # the person may have resized it since
            with contextlib.suppress(cv2.error):
                _, _, aw, ah = cv2.getWindowImageRect(self.NAME)
                if aw > 0 and ah > 0:
                    self._area = (aw, ah)
            if not self._grown and self._area != (0, 0):  # once, the window now laid out
                self._grown = True
                grown = grown_for_bars(self._window, self._area, self._screen)
                if grown is not None:
                    cv2.resizeWindow(self.NAME, *grown)
                    self._area = self._window
        size = fit_size((w, h), self._area)
        if size is not None:
            image = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
        cv2.imshow(self.NAME, image)
        code = self._cv2.waitKey(1)
        return None if code < 0 else code

    def close(self) -> None:
        self._cv2.destroyAllWindows()


def make_window(no_window: bool) -> Window | None:
    if no_window:
        return None
    from coach.io.capture import display_available

    if not display_available():
        print(
            "coach: no display found — running without a window (as with --no-window)",
            file=sys.stderr,
        )
        return None
    return CvWindow(screen_size())


def print_keys(window: bool) -> None:
    """The controls, printed at the start in every mode."""
    where = (
        "in the window, or type the letter and Enter here"
        if window
        else ("type the letter and Enter here")
    )
    print(f"coach: keys — {KEYS_TEXT} ({where})", file=sys.stderr, flush=True)
