"""The live overlay: top bar and rep counters, hold timer, banners, prompts, pain stop and the
setup card, put together with the skeleton (skeleton.py), gauges (gauges.py) and their
placement (layout.py). With draw.py these are the only places that draw with cv2.

Every size is scaled by the frame height so 640x360 and 1280x720 look alike. The text and
shape primitives (Pillow text, translucent panels) and the palette are in draw.py.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from coach.core.exercises import Exercise
from coach.core.landmarks import PoseFrame
from coach.core.view import OverlayState
from coach.ui.draw import (
    AMBER,
    BANNER_RED,
    GREEN,
    INK,
    LAYERS,
    MUTED,
    RED,
    TRACK,
    WHITE,
    Box,
    panel,
    put_text,
    px,
    text_size,
    wrap_lines,
)
from coach.ui.gauges import draw_gauge
from coach.ui.layout import gauge_boxes, gauges_on_left, person_box
from coach.ui.skeleton import draw_skeleton, image_points


# ----- status ------------------------------------------------------------------------------
def _dots(img, x: int, y: int, done: int, target: int, s: float, extra: int = 0) -> int:
    """Filled dots for reps done out of target (extra reps add amber dots); returns the end x."""
    r = px(7 * s)
    for i in range(max(target, done)):
        cx = x + r + i * (2 * r + px(6 * s))
        if i >= done - extra and i < done:
            cv2.circle(img, (cx, y), r, AMBER, -1, cv2.LINE_AA)
        elif i < done:
            cv2.circle(img, (cx, y), r, GREEN, -1, cv2.LINE_AA)
        else:
            cv2.circle(img, (cx, y), r, MUTED, px(2 * s), cv2.LINE_AA)
    return x + max(target, done) * (2 * r + px(6 * s))


def draw_top_bar(img: np.ndarray, state: OverlayState, s: float) -> int:
    """Exercise and phase on the left, rep counters on the right; returns the bar's bottom."""
    key = (
        "top bar",
        s,
        state.exercise_name,
        state.variant,
        state.phase,
        state.phase_text,
        tuple(sorted(state.reps.items())),
        state.target_reps,
        state.side,
        tuple(sorted(state.extra.items())),
    )
    return LAYERS.draw(img, key, lambda canvas: _paint_top_bar(canvas, state, s))[3]


def _paint_top_bar(img: np.ndarray, state: OverlayState, s: float) -> Box:
    w = img.shape[1]
    bar_h = px(56 * s)
    panel(img, (0, 0, w, bar_h), INK, 0.72)
    pad = px(16 * s)
    mid = bar_h // 2
    _, _, nx1, _ = put_text(img, state.exercise_name, (pad, mid), 22 * s, WHITE, anchor="lm")
    pill_px = 19 * s
    tw, th = text_size(state.phase_text, pill_px)
    px0 = nx1 + px(14 * s)
    colour = GREEN if state.holding else RED if state.phase == "stopped" else (160, 110, 40)
    panel(
        img,
        (px0, mid - th // 2 - px(4 * s), px0 + tw + 2 * px(12 * s), mid + th // 2 + px(4 * s)),
        colour,
        0.95,
        px(14 * s),
    )
    put_text(img, state.phase_text, (px0 + px(12 * s), mid), pill_px, WHITE, anchor="lm")
    _rep_counters(img, state, w - pad, mid, s)
    return 0, 0, w, bar_h


def _rep_counters(img, state: OverlayState, right: int, mid: int, s: float) -> None:
    items = [("Right", "right"), ("Left", "left")] if "right" in state.reps else [("Reps", "total")]
    r = px(7 * s)
    gap = px(22 * s)
    widths = []
    for label, key in items:
        n = max(state.target_reps, state.reps.get(key, 0))
        widths.append(text_size(label, 17 * s)[0] + px(8 * s) + n * (2 * r + px(6 * s)))
    x = right - sum(widths) - gap * (len(items) - 1)
    for (label, key), width in zip(items, widths, strict=True):
        active = state.side == key
        _, _, lx1, _ = put_text(
            img, label, (x, mid), 17 * s, WHITE if active or key == "total" else MUTED, anchor="lm"
        )
        _dots(
            img,
            lx1 + px(8 * s),
            mid,
            state.reps.get(key, 0),
            state.target_reps,
            s,
            state.extra.get(key, 0),
        )
        x += width + gap


def draw_hold(
    img: np.ndarray, state: OverlayState, top: int, s: float, right: bool = False
) -> None:
    """A big countdown ring on the left (or right) while an attempt is held."""
    remaining = state.hold_remaining_s
    if remaining is None:
        return
    r = px(62 * s)
    pad = px(16 * s)
    x0 = img.shape[1] - pad - 2 * r - px(20 * s) if right else pad
    centre = (x0 + r + px(10 * s), top + pad + r + px(10 * s))
    thick = px(10 * s)
    box = (x0, top + pad, x0 + 2 * r + px(20 * s), top + pad + 2 * r + px(52 * s))

    def ring(canvas: np.ndarray) -> Box:
        panel(canvas, box, INK, 0.62, px(14 * s))
        cv2.circle(canvas, centre, r - thick // 2, TRACK, thick, cv2.LINE_AA)
        return box

    LAYERS.draw(img, ("hold ring", s, box), ring)
    frac = 1.0 - remaining / state.target_hold_s if state.target_hold_s > 0 else 1.0
    colour = GREEN if state.holding else AMBER
    if frac > 0:
        cv2.ellipse(
            img,
            centre,
            (r - thick // 2, r - thick // 2),
            -90,
            0,
            360 * frac,
            colour,
            thick,
            cv2.LINE_AA,
        )
    if remaining > 0:
        put_text(img, f"{math.ceil(remaining - 1e-6):d}", centre, 64 * s, WHITE, anchor="cm")
        caption = "seconds" if state.holding else "paused"
    else:
        put_text(img, "✓", centre, 64 * s, GREEN, anchor="cm")
        caption = f"held {state.hold_s:.0f}s"
    put_text(img, caption, (centre[0], centre[1] + r + px(6 * s)), 18 * s, MUTED, anchor="ct")


PAIN_CHIP = "P or space: stop for pain"


def draw_pain_chip(img: np.ndarray, s: float) -> int:
    """The pain stop key, always in sight at the bottom left; returns the chip's top."""
    return LAYERS.draw(img, ("pain chip", s), lambda canvas: _paint_pain_chip(canvas, s))[1]


def _paint_pain_chip(img: np.ndarray, s: float) -> Box:
    h = img.shape[0]
    size = 18 * s
    pad = px(8 * s)
    tw, th = text_size(PAIN_CHIP, size)
    y1 = h - px(8 * s)
    y0 = y1 - th - 2 * pad
    x0 = px(10 * s)
    panel(img, (x0, y0, x0 + tw + 2 * pad, y1), BANNER_RED, 0.9, px(10 * s))
    put_text(img, PAIN_CHIP, (x0 + pad, y0 + pad), size, WHITE)
    return x0, y0, x0 + tw + 2 * pad, y1


def draw_extra(img: np.ndarray, state: OverlayState, top: int, s: float) -> int:
    """After reps past the plan: an amber bar saying so, under the top bar; returns its bottom."""
    n = sum(state.extra.values())
    if not n:
        return top
    key = ("extra", s, n, top)
    return LAYERS.draw(img, key, lambda canvas: _paint_extra(canvas, n, top, s))[3]


def _paint_extra(img: np.ndarray, n: int, top: int, s: float) -> Box:
    text = f"{n} more than planned: rest now"
    size = 24 * s
    pad = px(8 * s)
    tw, th = text_size(text, size)
    w = img.shape[1]
    x0 = (w - tw) // 2 - pad
    panel(img, (x0, top + pad, x0 + tw + 2 * pad, top + th + 3 * pad), AMBER, 0.92, px(10 * s))
    put_text(img, text, (w // 2, top + 2 * pad), size, INK, anchor="ct")
    return x0, top + pad, x0 + tw + 2 * pad, top + th + 3 * pad


def draw_pain_stop(img: np.ndarray, text: str) -> np.ndarray:
    """The pain-stop advice, large and centred over a dimmed picture."""
    img = img.copy()
    s = scale_for(img)
    h, w = img.shape[:2]
    panel(img, (0, 0, w, h), INK, 0.55)
    card_w = int(w * 0.8)
    pad = px(24 * s)
    title_px, body_px = 40 * s, 30 * s
    lines = wrap_lines(text, body_px, card_w - 2 * pad, max_lines=5)
    line_h = text_size("Hg", body_px)[1]
    title_h = text_size("Hg", title_px)[1]
    foot = "Press any key to close"
    foot_h = text_size("Hg", 18 * s)[1]
    card_h = 2 * pad + title_h + px(14 * s) + len(lines) * line_h + px(14 * s) + foot_h
    x0, y0 = (w - card_w) // 2, max(0, (h - card_h) // 2)
    panel(img, (x0, y0, x0 + card_w, y0 + card_h), BANNER_RED, 0.95, px(18 * s))
    y = y0 + pad
    put_text(img, "Stopped for pain", (w // 2, y), title_px, WHITE, anchor="ct")
    y += title_h + px(14 * s)
    for line in lines:
        put_text(img, line, (w // 2, y), body_px, WHITE, anchor="ct")
        y += line_h
    put_text(img, foot, (w // 2, y + px(14 * s)), 18 * s, MUTED, bold=False, anchor="ct")
    return img


def draw_instruction(img: np.ndarray, text: str, s: float, bottom: int | None = None) -> int:
    """The current prompt in large text on a dark band at the bottom; returns the band's top."""
    if not text:
        return img.shape[0] if bottom is None else bottom
    key = ("instruction", s, text, bottom)
    return LAYERS.draw(img, key, lambda canvas: _paint_instruction(canvas, text, s, bottom))[1]


def _paint_instruction(img: np.ndarray, text: str, s: float, bottom: int | None) -> Box:
    h, w = img.shape[:2]
    if bottom is not None:
        h = bottom + px(12 * s)
    size = 30 * s
    pad = px(14 * s)
    lines = wrap_lines(text, size, int(w * 0.86) - 2 * pad, max_lines=3)
    line_h = text_size("Hg", size)[1]
    band_h = len(lines) * line_h + 2 * pad
    y0 = h - band_h - px(12 * s)
    widest = max(text_size(line, size)[0] for line in lines)
    x0 = (w - widest) // 2 - pad
    panel(img, (x0, y0, x0 + widest + 2 * pad, y0 + band_h), INK, 0.75, px(14 * s))
    for i, line in enumerate(lines):
        put_text(img, line, (w // 2, y0 + pad + i * line_h), size, WHITE, anchor="ct")
    return x0, y0, x0 + widest + 2 * pad, y0 + band_h


def draw_warning(img: np.ndarray, text: str, top: int, s: float) -> int:
    """A full-width red banner under the top bar; returns its bottom."""
    key = ("warning", s, text, top)
    return LAYERS.draw(img, key, lambda canvas: _paint_warning(canvas, text, top, s))[3]


def _paint_warning(img: np.ndarray, text: str, top: int, s: float) -> Box:
    w = img.shape[1]
    size = 28 * s
    pad = px(12 * s)
    icon_w = text_size("⚠ ", size)[0]
    lines = wrap_lines(text, size, w - 2 * pad - icon_w)
    line_h = text_size("Hg", size)[1]
    y1 = top + len(lines) * line_h + 2 * pad
    panel(img, (0, top, w, y1), BANNER_RED, 0.92)
    widest = max(text_size(line, size)[0] for line in lines) + icon_w
    x = (w - widest) // 2
    put_text(img, "⚠", (x, top + pad), size, WHITE)
    for i, line in enumerate(lines):
        put_text(img, line, (x + icon_w, top + pad + i * line_h), size, WHITE)
    return 0, top, w, y1


# ----- public ------------------------------------------------------------------------------
MIN_SCALE = 0.6  # below this small frames get relatively larger text, or it cannot be read


def scale_for(img: np.ndarray) -> float:
    """Sizes are designed for 720 lines; smaller frames shrink them, down to MIN_SCALE."""
    return max(MIN_SCALE, img.shape[0] / 720.0)


def draw_overlay(
    frame_bgr: np.ndarray,
    pose_frame: PoseFrame | None,
    state: OverlayState,
    mirror: bool | None = None,
) -> np.ndarray:
    """A new image: the camera frame (flipped when mirrored) with the coaching drawn on it.

    Pass the frame as captured: analysis uses it unmirrored, and with mirror=True (default:
    state.mirrored) the picture and skeleton are flipped like a mirror while the text is not.
    """
    mirror = state.mirrored if mirror is None else mirror
    img = cv2.flip(frame_bgr, 1) if mirror else frame_bgr.copy()
    s = scale_for(img)
    if pose_frame is not None:
        draw_skeleton(img, pose_frame, mirror, s)
    top = draw_top_bar(img, state, s)
    if state.warning:
        top = draw_warning(img, state.warning, top, s)
    top = draw_extra(img, state, top, s)
    chip_top = draw_pain_chip(img, s)
    bottom = draw_instruction(img, state.instruction, s, chip_top - px(6 * s))
    h, w = img.shape[:2]
    g_top, g_bottom = top + px(12 * s), bottom - px(10 * s)
    person = person_box(pose_frame, w, h, mirror)
    points = image_points(pose_frame, w, h, mirror) if pose_frame is not None else None
    left = gauges_on_left(len(state.gauges), w, h, g_top, g_bottom, s, person, points)
    draw_hold(img, state, top, s, right=left)
    boxes = gauge_boxes(len(state.gauges), w, h, g_top, g_bottom, s, left)
    for g, box in zip(state.gauges, boxes, strict=True):
        draw_gauge(img, g, box, s, state.attempting)
    return img


def setup_screen(
    frame_bgr: np.ndarray,
    exercise: Exercise,
    message: str,
    pose_frame: PoseFrame | None = None,
    mirror: bool = False,
) -> np.ndarray:
    """Guidance before the set: where the laptop goes, and what to fix now (large, yellow)."""
    img = cv2.flip(frame_bgr, 1) if mirror else frame_bgr.copy()
    s = scale_for(img)
    h, w = img.shape[:2]
    panel(img, (0, 0, w, h), INK, 0.45)
    if pose_frame is not None:
        draw_skeleton(img, pose_frame, mirror, s)
    card_w = int(w * 0.78)
    x0 = (w - card_w) // 2
    pad = px(22 * s)
    body_px, msg_px = 21 * s, 34 * s
    view = "SIDE VIEW" if exercise.view == "side" else "FRONT VIEW"
    place = wrap_lines(exercise.placement, body_px, card_w - 2 * pad, 3)
    msg = wrap_lines(message, msg_px, card_w - 2 * pad, 2)
    body_h = text_size("Hg", body_px)[1]
    msg_h = text_size("Hg", msg_px)[1]
    card_h = 2 * pad + px(40 * s) + len(place) * body_h + px(18 * s) + len(msg) * msg_h
    y = max(px(10 * s), (h - card_h) // 2)
    panel(img, (x0, y, x0 + card_w, y + card_h), INK, 0.8, px(18 * s))
    y += pad
    put_text(img, f"Set up: {exercise.name}", (x0 + pad, y), 24 * s, WHITE)
    put_text(img, view, (x0 + card_w - pad, y + px(3 * s)), 18 * s, AMBER, anchor="rt")
    y += px(40 * s)
    for line in place:
        put_text(img, line, (x0 + pad, y), body_px, MUTED, bold=False)
        y += body_h
    y += px(18 * s)
    for line in msg:
        put_text(img, line, (w // 2, y), msg_px, (60, 220, 255), anchor="ct")
        y += msg_h
    return img
