"""Is the person sitting on a chair? Used to switch the floor twist to its chair variant.

A person on the floor has their feet about level with their hips (legs out in front, or one
crossed over); on a chair the feet are on the floor a lower leg below knees that are about
level with the hips. Read in world landmarks (metres, y down) in torso lengths, so distance
to the camera does not matter. Measured on the real chair-twist clip: knees 0.26-0.44 and
ankles 1.0-1.3 torso lengths below the hips; standing puts the knees about 0.9 below.
"""

from __future__ import annotations

import math

import numpy as np

from coach.core.landmarks import INDEX, PoseFrame

ANKLE_BELOW = (0.6, 1.6)  # ankles this far below the hips, in torso lengths
KNEE_BELOW_MAX = 0.6  # knees no lower than this below the hips (standing is about 0.9)
UPRIGHT_MIN = 0.8  # shoulders at least this far above the hips: sitting up, not lying
SETTLE_S = 0.5  # a posture held this long is believed


def _mid(w: np.ndarray, base: str, frame: PoseFrame, min_vis: float) -> np.ndarray | None:
    pts = [
        w[INDEX[f"{s}_{base}"], :3]
        for s in ("left", "right")
        if frame.seen(INDEX[f"{s}_{base}"], min_vis)
    ]
    return np.mean(pts, axis=0) if pts else None


def seated_on_chair(frame: PoseFrame, min_visibility: float = 0.5) -> bool | None:
    """True on a chair, False not, None when hips, shoulders, knees or ankles are not seen."""
    w = frame.world
    if w is None:
        return None
    mids = {b: _mid(w, b, frame, min_visibility) for b in ("shoulder", "hip", "knee", "ankle")}
    if any(v is None for v in mids.values()):
        return None
    hip = mids["hip"]
    torso = float(np.linalg.norm(mids["shoulder"] - hip))  # type: ignore[operator]
    if not math.isfinite(torso) or torso < 1e-3:
        return None
    below = {b: float(mids[b][1] - hip[1]) / torso for b in ("shoulder", "knee", "ankle")}  # type: ignore[index]
    upright = -below["shoulder"] >= UPRIGHT_MIN
    lo, hi = ANKLE_BELOW
    return upright and lo <= below["ankle"] <= hi and below["knee"] <= KNEE_BELOW_MAX


class ChairWatch:
    """True once a chair posture has been seen steadily for SETTLE_S (media time)."""

    def __init__(self, settle_s: float = SETTLE_S) -> None:
        self.settle_s = settle_s
        self._since: float | None = None

    def update(self, frame: PoseFrame) -> bool:
        seated = seated_on_chair(frame)
        if seated is None:
            return False  # unseen legs neither start nor break the run
        if not seated:
            self._since = None
            return False
        if self._since is None:
            self._since = frame.t
        return frame.t - self._since >= self.settle_s
