"""Shot cuts and fades in edited recordings, found from the pixels.

A cut or a cross-fade changes most of the picture at once; a person stretching in front of a
still camera changes only the part they fill. Motion read across such a break is the edit,
not the person, so frames flagged here break the angle signal (PoseFrame.cut).
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

THUMB = (64, 36)  # small enough to ignore sensor noise and compression blocks
CHANGED_LEVEL = 12.0  # grey levels: the median pixel moving this much is a change of scene
REFERENCE_S = 0.4  # a fade is slow: compare with the picture this long ago as well


class SceneBreaks:
    """Feed frames in order; `update` says whether a cut or fade ends at this frame."""

    def __init__(self) -> None:
        self._history: deque[tuple[float, np.ndarray]] = deque()

    def update(self, frame_bgr: np.ndarray, t: float) -> bool:
        grey = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY) if frame_bgr.ndim == 3 else frame_bgr
        thumb = cv2.resize(grey, THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)
        history = self._history
        broke = False
        if history:
            broke = self._changed(thumb, history[-1][1])
            older = [img for when, img in history if t - when >= REFERENCE_S]
            if older:
                broke = broke or self._changed(thumb, older[-1])
        history.append((t, thumb))
        while len(history) > 2 and t - history[1][0] >= REFERENCE_S:
            history.popleft()
        return broke

    @staticmethod
    def _changed(a: np.ndarray, b: np.ndarray) -> bool:
        return float(np.median(np.abs(a - b))) > CHANGED_LEVEL
