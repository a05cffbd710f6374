"""Cached overlay layers must look like drawing directly, and the read-ahead thread must
behave like the iterator it wraps (order, errors, stopping)."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest

from coach.commands.live_input import ahead
from coach.ui.draw import (
    BANNER_RED,
    INK,
    WHITE,
    LayerCache,
    lay,
    panel,
    put_text,
    render_layer,
    text_size,
)


def _painter(canvas: np.ndarray) -> tuple[int, int, int, int]:
    """Translucent rounded panel, anti-aliased text and line: every kind of blend we use."""
    box = (40, 30, 300, 140)
    panel(canvas, box, INK, 0.62, 14)
    panel(canvas, (60, 50, 200, 90), BANNER_RED, 0.9, 10)
    put_text(canvas, "Hold it there 44°", (70, 100), 24, WHITE)
    cv2.line(canvas, (50, 130), (290, 40), WHITE, 3, cv2.LINE_AA)
    return box


def _picture(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (200, 360, 3), dtype=np.uint8)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_laid_layer_looks_like_drawing_directly(seed):
    direct = _picture(seed)
    _painter(direct)
    laid = _picture(seed)
    lay(laid, render_layer(laid.shape, _painter))
    diff = np.abs(direct.astype(int) - laid.astype(int))
    assert diff.max() <= 3  # rounding of the 8-bit blends, nothing a person can see
    assert (diff > 1).mean() < 0.001
    untouched = _picture(seed)
    assert np.array_equal(laid[150:, :], untouched[150:, :])  # outside the box: not touched


def test_the_cache_draws_a_piece_once_and_redraws_when_it_changes():
    calls = []

    def painter_for(text):
        def painter(canvas):
            calls.append(text)
            put_text(canvas, text, (10, 10), 20, WHITE)
            return (5, 5, 200, 40)

        return painter

    cache = LayerCache(size=2)
    img = _picture(3)
    for _ in range(5):
        box = cache.draw(img, ("prompt", "Hold"), painter_for("Hold"))
    assert box == (5, 5, 200, 40)
    renders = calls[::2]  # each render paints twice: over black and over white
    assert renders == ["Hold"]
    cache.draw(img, ("prompt", "Release"), painter_for("Release"))
    cache.draw(img, ("prompt", "Hold"), painter_for("Hold"))
    assert calls[::2] == ["Hold", "Release"]
    cache.draw(img, ("prompt", "Breathe"), painter_for("Breathe"))  # evicts the oldest
    cache.draw(img, ("prompt", "Release"), painter_for("Release"))
    assert calls[::2] == ["Hold", "Release", "Breathe", "Release"]


def test_a_box_partly_outside_the_frame_is_clipped():
    img = _picture(4)
    before = img.copy()

    def painter(canvas):
        panel(canvas, (300, 150, 420, 260), INK, 0.5)
        return (300, 150, 420, 260)

    box = LayerCache().draw(img, "corner", painter)
    assert box == (300, 150, 420, 260)  # what the painter named, for the layout
    changed = np.argwhere(np.any(img != before, axis=2))
    assert changed.min(axis=0).tolist() == [150, 300]  # drawn from the corner to the edges


def test_what_is_drawn_past_the_named_box_still_shows():
    """Text measured a pixel narrower than drawn once lost its last letters to the box."""

    text = "P or space: stop for pain"

    def painter(canvas):
        put_text(canvas, text, (10, 10), 20, WHITE)
        w, h = text_size(text, 19)  # measured a size smaller, as int() once did
        return (10, 10, 10 + w, 10 + h)

    direct = _picture(5)
    painter(direct)
    laid = _picture(5)
    LayerCache().draw(laid, "chip", painter)
    assert np.abs(direct.astype(int) - laid.astype(int)).max() <= 3


def test_read_ahead_keeps_order_and_raises_the_producers_error():
    assert list(ahead(iter(range(50)))) == list(range(50))

    def broken():
        yield 1
        raise ValueError("bad frame")

    got = ahead(broken())
    assert next(got) == 1
    with pytest.raises(ValueError, match="bad frame"):
        next(got)


def test_read_ahead_stops_its_worker_when_the_consumer_stops():
    def endless():
        i = 0
        while True:
            i += 1
            yield i

    before = threading.active_count()
    got = ahead(endless(), name="coach-test-read")
    assert [next(got) for _ in range(3)] == [1, 2, 3]
    got.close()
    deadline = time.monotonic() + 3
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(t.name == "coach-test-read" for t in threading.enumerate())
