"""The skeleton drawn on the picture: joints and bones by body side, the far side thinner.

Also where each landmark lands on screen, which the panel placement uses to keep off the
person.
"""

from __future__ import annotations

import cv2
import numpy as np

from coach.core.landmarks import INDEX, SKELETON_EDGES, PoseFrame
from coach.ui.draw import INK, LEFT_BODY, MID_BODY, RIGHT_BODY, px

MIN_VISIBILITY = 0.3  # joints below this are not drawn
FAINT_VISIBILITY = 0.6  # joints below this are drawn thinner (the far side of a side view)


def _side_colour(name: str) -> tuple[int, int, int]:
    if name.startswith("left_"):
        return LEFT_BODY
    if name.startswith("right_"):
        return RIGHT_BODY
    return MID_BODY


_last: list[tuple] = []  # [((image array, width, height, mirror), points)]: the last answer


def image_points(pose: PoseFrame, width: int, height: int, mirror: bool) -> dict[str, tuple]:
    """Pixel position and visibility of each landmark; x flipped for a mirrored view.

    Asked several times a frame (skeleton, person box, panel placement), so the last answer
    is kept for the same landmark array and size. Callers must not change the dict.
    """
    if pose.image is None:
        return {}
    if _last:
        (image, w, h, m), points = _last[0]
        if image is pose.image and (w, h, m) == (width, height, mirror):
            return points
    a = np.asarray(pose.image, dtype=float)
    x = 1.0 - a[:, 0] if mirror else a[:, 0]
    ok = np.isfinite(a[:, 0]) & np.isfinite(a[:, 1]) & (a[:, 3] >= MIN_VISIBILITY)
    xs = np.rint(np.where(ok, x, 0.0) * width).astype(int).tolist()
    ys = np.rint(np.where(ok, a[:, 1], 0.0) * height).astype(int).tolist()
    vis = a[:, 3].tolist()
    keep = ok.tolist()
    out = {name: (xs[i], ys[i], vis[i]) for name, i in INDEX.items() if keep[i]}
    _last[:] = [((pose.image, width, height, mirror), out)]
    return out


def draw_skeleton(img: np.ndarray, pose: PoseFrame, mirror: bool, s: float) -> None:
    pts = image_points(pose, img.shape[1], img.shape[0], mirror)
    thick = px(4 * s)
    for a, b in SKELETON_EDGES:
        if a in pts and b in pts:
            pa, pb = pts[a], pts[b]
            faint = min(pa[2], pb[2]) < FAINT_VISIBILITY
            colour = _side_colour(a) if a[:4] == b[:4] else MID_BODY
            cv2.line(img, pa[:2], pb[:2], INK, thick + px(3 * s), cv2.LINE_AA)
            cv2.line(img, pa[:2], pb[:2], colour, px(thick / 2) if faint else thick, cv2.LINE_AA)
    for name, (x, y, vis) in pts.items():
        if name.startswith(
            (
                "left_eye_",
                "right_eye_",
                "mouth_",
                "left_pinky",
                "right_pinky",
                "left_thumb",
                "right_thumb",
                "left_index",
                "right_index",
            )
        ):
            continue
        r = px((4 if vis >= FAINT_VISIBILITY else 3) * s)
        cv2.circle(img, (x, y), r + px(1.5 * s), INK, -1, cv2.LINE_AA)
        cv2.circle(img, (x, y), r, _side_colour(name), -1, cv2.LINE_AA)
