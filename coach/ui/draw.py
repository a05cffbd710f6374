"""Text and shape primitives for the overlay: Pillow-rendered text, translucent panels.

Text goes through Pillow with the DejaVu fonts matplotlib ships: Hershey fonts have no degree
sign and read poorly when small. Rendered text and panel masks are cached, as the same strings
and boxes recur every frame. The colours are BGR, as cv2 draws.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

WHITE = (255, 255, 255)
INK = (24, 24, 24)
MUTED = (180, 180, 180)
GREEN = (90, 200, 70)
AMBER = (0, 175, 255)
RED = (50, 50, 225)
BANNER_RED = (30, 30, 200)
TRACK = (90, 90, 90)
LEFT_BODY = (60, 160, 255)  # the person's left side: orange
RIGHT_BODY = (230, 190, 60)  # the person's right side: sky blue
MID_BODY = (235, 235, 235)

_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


# ----- text --------------------------------------------------------------------------------
@lru_cache(maxsize=32)
def _font(size_px: int, bold: bool) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(_FONT_DIR / name), size_px)


@lru_cache(maxsize=512)
def _text_mask(text: str, size_px: int, bold: bool) -> np.ndarray:
    """Coverage (0..1 float32) of one line of text, as tall as the font's line."""
    font = _font(size_px, bold)
    ascent, descent = font.getmetrics()
    width = max(1, math.ceil(font.getlength(text)) + 2)
    img = Image.new("L", (width, ascent + descent), 0)
    ImageDraw.Draw(img).text((1, 0), text, font=font, fill=255)
    return np.asarray(img, dtype=np.float32) / 255.0


def text_size(text: str, size_px: float, bold: bool = True) -> tuple[int, int]:
    """Width and height of one line as put_text draws it (the same rounding of the size)."""
    h, w = _text_mask(text, max(6, round(size_px)), bold).shape
    return w, h


def put_text(
    img: np.ndarray,
    text: str,
    org: tuple[int, int],
    size_px: float,
    color: tuple[int, int, int] = WHITE,
    bold: bool = True,
    anchor: str = "lt",
    shadow: bool = False,
) -> tuple[int, int, int, int]:
    """Draw one line; anchor is x in l/c/r and y in t/m/b. Returns its box x0, y0, x1, y1."""
    size = max(6, round(size_px))
    mask = _text_mask(text, size, bold)
    h, w = mask.shape
    x = org[0] - {"l": 0, "c": w // 2, "r": w}[anchor[0]]
    y = org[1] - {"t": 0, "m": h // 2, "b": h}[anchor[1]]
    if shadow:
        off = max(1, size // 16)
        blend_mask(img, mask, x + off, y + off, INK, 0.8)
    blend_mask(img, mask, x, y, color, 1.0)
    return x, y, x + w, y + h


def blend_mask(
    img: np.ndarray, mask: np.ndarray, x: int, y: int, color: tuple[int, int, int], alpha: float
) -> None:
    h, w = mask.shape
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(img.shape[1], x + w), min(img.shape[0], y + h)
    if x1 <= x0 or y1 <= y0:
        return
    a = mask[y0 - y : y1 - y, x0 - x : x1 - x]
    if alpha != 1.0:
        a = a * np.float32(alpha)
    roi = img[y0:y1, x0:x1]
    paint = np.empty_like(roi)
    paint[:] = color
    # blendLinear is OpenCV's per-pixel weighted sum: several times faster than numpy floats
    img[y0:y1, x0:x1] = cv2.blendLinear(paint, roi, a, 1.0 - a)


def wrap_lines(text: str, size_px: float, max_w: int, max_lines: int = 2) -> list[str]:
    """Greedy word wrap by rendered width; the last line ends in an ellipsis if cut."""
    size = max(6, round(size_px))
    words = text.split()
    lines: list[str] = []
    line = ""
    for word in words:
        trial = f"{line} {word}".strip()
        if text_size(trial, size)[0] <= max_w or not line:
            line = trial
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and text_size(last + "…", size)[0] > max_w:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


# ----- shapes ------------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _panel_mask(w: int, h: int, radius: int, alpha: float) -> np.ndarray:
    """Coverage of a (rounded) rectangle times its opacity; cached as panels recur."""
    r = min(radius, w // 2, h // 2)
    if r <= 0:
        return np.full((h, w), alpha, np.float32)
    m = np.zeros((h, w), np.float32)
    cv2.rectangle(m, (r, 0), (w - 1 - r, h - 1), (1.0,), -1)
    cv2.rectangle(m, (0, r), (w - 1, h - 1 - r), (1.0,), -1)
    for cx, cy in ((r, r), (w - 1 - r, r), (r, h - 1 - r), (w - 1 - r, h - 1 - r)):
        cv2.circle(m, (cx, cy), r, (1.0,), -1, cv2.LINE_AA)
    return m * np.float32(alpha)


def panel(
    img: np.ndarray,
    box: tuple[int, int, int, int],
    color: tuple[int, int, int] = INK,
    alpha: float = 0.65,
    radius: int = 0,
) -> None:
    """A translucent (optionally rounded) rectangle, blended in place."""
    x0, y0, x1, y1 = box
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(img.shape[1], x1), min(img.shape[0], y1)
    if x1 <= x0 or y1 <= y0:
        return
    mask = _panel_mask(x1 - x0, y1 - y0, radius, alpha)
    blend_mask(img, mask, x0, y0, color, 1.0)


def px(v: float) -> int:
    return max(1, round(v))


# ----- cached layers -----------------------------------------------------------------------
Box = tuple[int, int, int, int]
LAYER_MARGIN = 24  # px around a layer's named box searched for what was drawn past it


@dataclass(frozen=True)
class Layer:
    """A drawn piece of the overlay that does not depend on the picture under it.

    Kept as premultiplied colour plus how much of the picture stays (in 255ths), so laying it
    on a new frame is one integer blend however many panels and lines of text it holds. The
    text, panels and shapes stay the same for many frames (the title, the prompt, a gauge's
    dial), and redrawing them every frame cost more than a sixth of pose estimation's time.
    """

    x: int
    y: int
    paint: np.ndarray  # uint8 HxWx3, premultiplied
    keep: np.ndarray  # uint8 HxWx3, 0..255
    box: Box = (0, 0, 0, 0)  # the box the painter named, for laying out what comes next


def render_layer(shape: tuple[int, ...], painter: Callable[[np.ndarray], Box]) -> Layer:
    """Run a painter (drawing in frame coordinates, returning the box it drew in) over black
    and over white frames of this shape.

    Every primitive here blends linearly with what is under it, so the black result is the
    premultiplied colour and white minus black is how much of the picture shows through.
    """
    h, w = shape[0], shape[1]
    black = np.zeros((h, w, 3), np.uint8)
    white = np.full((h, w, 3), 255, np.uint8)
    named = box = painter(black)
    painter(white)
    # Whatever was drawn, even a little past the box the painter named (text a pixel wider
    # than measured), belongs to the layer: it would show if drawn straight on the frame.
    # Only a margin around the box is searched: the whole frame would cost ~20 ms a miss.
    mx0, my0, mx1, my1 = clip_box(
        (
            box[0] - LAYER_MARGIN,
            box[1] - LAYER_MARGIN,
            box[2] + LAYER_MARGIN,
            box[3] + LAYER_MARGIN,
        ),
        w,
        h,
    )
    b_near, w_near = black[my0:my1, mx0:mx1], white[my0:my1, mx0:mx1]
    drawn = (b_near.max(axis=2) > 0) | (w_near.min(axis=2) < 255)
    rows, cols = np.flatnonzero(drawn.any(axis=1)), np.flatnonzero(drawn.any(axis=0))
    if len(rows):
        box = (
            min(box[0], mx0 + int(cols[0])),
            min(box[1], my0 + int(rows[0])),
            max(box[2], mx0 + int(cols[-1]) + 1),
            max(box[3], my0 + int(rows[-1]) + 1),
        )
    x0, y0, x1, y1 = clip_box(box, w, h)
    paint = black[y0:y1, x0:x1].copy()
    keep = cv2.subtract(white[y0:y1, x0:x1], paint)  # 255 = the picture shows through fully
    return Layer(x0, y0, paint, keep, tuple(named))  # type: ignore[arg-type]


def lay(img: np.ndarray, layer: Layer) -> None:
    """Blend a layer onto the frame in place (clipped to the frame)."""
    h, w = layer.paint.shape[:2]
    x1, y1 = min(img.shape[1], layer.x + w), min(img.shape[0], layer.y + h)
    if x1 <= layer.x or y1 <= layer.y:
        return
    roi = img[layer.y : y1, layer.x : x1]
    keep = layer.keep[: y1 - layer.y, : x1 - layer.x]
    paint = layer.paint[: y1 - layer.y, : x1 - layer.x]
    # OpenCV's saturating 8-bit arithmetic (vectorised, and it lets other threads run)
    img[layer.y : y1, layer.x : x1] = cv2.add(cv2.multiply(roi, keep, scale=1 / 255), paint)


class LayerCache:
    """The last few layers drawn, by what they show; an unchanged piece is never redrawn."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._layers: OrderedDict[Hashable, Layer] = OrderedDict()

    def draw(self, img: np.ndarray, key: Hashable, painter: Callable[[np.ndarray], Box]) -> Box:
        """Lay the layer for key onto img, drawn by painter on a miss; returns its box."""
        full = (key, img.shape)
        layer = self._layers.get(full)
        if layer is None:
            layer = render_layer(img.shape, painter)
            self._layers[full] = layer
            if len(self._layers) > self.size:
                self._layers.popitem(last=False)
        else:
            self._layers.move_to_end(full)
        lay(img, layer)
        return layer.box


def clip_box(box: Box, w: int, h: int) -> Box:
    """The part of a box inside a w x h frame (empty when it lies outside)."""
    x0, y0, x1, y1 = box
    x0, y0 = min(max(0, x0), w), min(max(0, y0), h)
    return x0, y0, max(x0, min(w, x1)), max(y0, min(h, y1))


LAYERS = LayerCache()
