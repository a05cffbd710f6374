"""The angle gauges: a half-dial per judged angle with its target band, limit and needle.

Sizes are scaled by `s` (frame height / 720) like the rest of the overlay.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from coach.core.view import Gauge
from coach.ui.draw import (
    AMBER,
    GREEN,
    INK,
    LAYERS,
    MUTED,
    RED,
    TRACK,
    WHITE,
    panel,
    put_text,
    px,
)


def _arc(img, centre, r, f0, f1, colour, thick) -> None:
    """A band along the upper half circle from fraction f0 to f1 (0 = left end, 1 = right).

    Drawn as a filled annular sector: cv2.ellipse with a thick pen gives round blobs at the
    ends of short arcs.
    """
    if f1 <= f0:
        return
    n = max(2, int(40 * (f1 - f0)) + 2)
    fs = np.linspace(f0, f1, n)
    outer = [_on_arc(centre, r + thick / 2, f) for f in fs]
    inner = [_on_arc(centre, r - thick / 2, f) for f in fs[::-1]]
    cv2.fillPoly(img, [np.array(outer + inner, np.int32)], colour, cv2.LINE_AA)


def _on_arc(centre, r, f) -> tuple[int, int]:
    a = math.pi * (1.0 + f)
    return round(centre[0] + r * math.cos(a)), round(centre[1] + r * math.sin(a))


def deg(v: float) -> str:
    """Whole degrees with a true minus sign, which reads better than a hyphen."""
    text = f"{round(v) + 0:d}"  # + 0 turns -0 into 0
    return text.replace("-", "−")


def gauge_colour(g: Gauge, attempting: bool = True) -> tuple[int, int, int]:
    """Green in the band, red past the limit; amber (short) only matters during an attempt."""
    if not g.seen:
        return MUTED
    if g.over_limit:
        return RED
    if g.in_range:
        return GREEN
    return AMBER if attempting else WHITE


def draw_gauge(
    img: np.ndarray, g: Gauge, box: tuple[int, int, int, int], s: float, attempting: bool = True
) -> None:
    """A half-dial: grey track, green target band, red zone past the limit, a needle.

    The dial and its labels change only with the rule, so they are drawn once and laid on
    each frame (draw.LAYERS); the needle and the value are drawn every frame.
    """
    key = ("gauge", s, box, g.label, g.side, g.target, g.limit, g.axis)
    LAYERS.draw(img, key, lambda canvas: _paint_dial(canvas, g, box, s))
    centre, r, thick = _dial_geometry(box, s)
    colour = gauge_colour(g, attempting)
    if g.seen:
        tip = _on_arc(centre, r + thick // 2, g.fraction(g.value))
        cv2.line(img, centre, tip, INK, px(7 * s), cv2.LINE_AA)
        cv2.line(img, centre, tip, WHITE, px(4 * s), cv2.LINE_AA)
        text = f"{deg(g.value)}°"
    else:
        text = "not seen"
    hub = px(6 * s)
    cv2.circle(img, centre, hub, WHITE, -1, cv2.LINE_AA)
    value_px = 30 * s
    put_text(
        img,
        text,
        (centre[0], centre[1] + hub + px(2 * s)),
        value_px if g.seen else value_px * 0.6,
        colour,
        anchor="ct",
    )


def _dial_geometry(box: tuple[int, int, int, int], s: float) -> tuple[tuple[int, int], int, int]:
    """The dial's centre, radius and band thickness inside its box."""
    x0, y0, x1, y1 = box
    r = int(min((x1 - x0) * 0.36, (y1 - y0) * 0.42))
    centre = ((x0 + x1) // 2, y0 + px(12 * s) + r)
    return centre, r, px(max(6, r * 0.2))


def _paint_dial(
    img: np.ndarray, g: Gauge, box: tuple[int, int, int, int], s: float
) -> tuple[int, int, int, int]:
    """The panel, track, target band, limit zone and labels: what a rule fixes."""
    y1 = box[3]
    panel(img, box, INK, 0.62, px(12 * s))
    label_px = 17 * s
    centre, r, thick = _dial_geometry(box, s)
    _arc(img, centre, r, 0.0, 1.0, TRACK, thick)
    lo_f, hi_f = g.fraction(g.target[0]), g.fraction(g.target[1])
    _arc(img, centre, r, lo_f, hi_f, GREEN, thick)
    lim_f = g.fraction(g.limit)
    if g.limit > g.target[1]:
        _arc(img, centre, r, lim_f, 1.0, RED, thick)
    else:
        _arc(img, centre, r, 0.0, lim_f, RED, thick)
    cv2.line(
        img,
        _on_arc(centre, r - thick / 2, lim_f),
        _on_arc(centre, r + thick / 2, lim_f),
        WHITE,
        px(2 * s),
        cv2.LINE_AA,
    )
    band = f"target {deg(g.target[0])} to {deg(g.target[1])}°"
    if g.side:
        band = f"{g.side} · {band}"
    put_text(
        img,
        g.label,
        (centre[0], y1 - px(8 * s) - int(label_px * 1.2)),
        label_px,
        WHITE,
        anchor="cb",
    )
    put_text(
        img, band, (centre[0], y1 - px(8 * s)), label_px * 0.85, MUTED, bold=False, anchor="cb"
    )
    return box
