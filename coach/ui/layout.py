"""Where the gauge panels go: a column down one edge, on the side that hides less of the
person (the face most, which the head-lift gauge measures).
"""

from __future__ import annotations

from coach.core.landmarks import PoseFrame
from coach.ui.draw import px
from coach.ui.skeleton import image_points


def gauge_boxes(
    n: int, w: int, h: int, top: int, bottom: int, s: float, left: bool = False
) -> list[tuple]:
    """Gauges stack down the right edge (or the left one); more than fit go in a second
    column."""
    gw, gh, gap = px(200 * s), px(190 * s), px(10 * s)
    avail = bottom - top
    rows = max(1, min(n, (avail + gap) // (gh + gap)))
    if rows < n and n <= 2:
        gh = max(px(120 * s), (avail - gap * (n - 1)) // n)
        rows = n
    boxes = []
    for i in range(n):
        col, row = divmod(i, rows)
        x1 = w - gap - col * (gw + gap)
        y0 = top + row * (gh + gap)
        box = (x1 - gw, y0, x1, y0 + gh)
        if left:
            box = (w - box[2], y0, w - box[0], y0 + gh)
        boxes.append(box)
    return boxes


def person_box(
    pose: PoseFrame | None, w: int, h: int, mirror: bool
) -> tuple[int, int, int, int] | None:
    """The person's box on screen (as drawn), or None when nobody is seen."""
    if pose is None:
        return None
    pts = image_points(pose, w, h, mirror)
    if len(pts) < 4:
        return None
    xs = [p[0] for p in pts.values()]
    ys = [p[1] for p in pts.values()]
    return min(xs), min(ys), max(xs), max(ys)


def overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> int:
    """Area shared by two boxes (x0, y0, x1, y1)."""
    return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))


HEAD_POINTS = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "mouth_left")
HEAD_WEIGHT = 8  # covering the face (which the head-lift gauge measures) is worst


def covered(boxes: list[tuple], points: dict[str, tuple]) -> int:
    """How much of the person the boxes hide: joints inside them, the head counting most."""
    score = 0
    for name, (x, y, _vis) in points.items():
        if any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes):
            score += HEAD_WEIGHT if name in HEAD_POINTS else 1
    return score


def gauges_on_left(
    n: int,
    w: int,
    h: int,
    top: int,
    bottom: int,
    s: float,
    person: tuple | None,
    points: dict[str, tuple] | None = None,
) -> bool:
    """Put the gauge column on whichever side hides less of the person (right on a tie):
    by joints covered (the head most) where the joints are known, else by box overlap."""
    if n == 0:
        return False
    sides = [gauge_boxes(n, w, h, top, bottom, s, left) for left in (False, True)]
    if points:
        cover = [covered(boxes, points) for boxes in sides]
    elif person is not None:
        cover = [sum(overlap(b, person) for b in boxes) for boxes in sides]
    else:  # nothing known about where the person is
        return False
    return cover[1] < cover[0]
