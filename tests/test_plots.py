"""The angle plot: a valid, readable PNG for sided and symmetric stretches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from coach.core.scoring import AngleSeries
from coach.io.poses import load_exercise
from coach.ui.plots import _held, _spans, plot_angles


def series(values: dict[str, np.ndarray], t: np.ndarray) -> AngleSeries:
    speed = {k: np.gradient(v, t) for k, v in values.items()}
    return AngleSeries(
        t, dict(values), dict(values), speed, dict(speed), np.ones(len(t), dtype=bool)
    )


def twist_series() -> AngleSeries:
    t = np.arange(0, 20, 1 / 30)
    trunk = np.where((t > 2) & (t < 8), 40.0, np.where((t > 11) & (t < 17), -38.0, 0.0))
    return series({"trunk_rotation": trunk, "head_rotation": trunk * 0.8}, t)


def report(reps: list[dict[str, Any]], events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "source": "/videos/twist.mp4",
        "reps": reps,
        "events": events,
        "summary": {"verdict": "caution", "reasons": ["1 time(s) past a safe range"]},
    }


TWIST_REPS = [
    {"side": "right", "start_s": 1.5, "end_s": 8.5, "hold_s": 5.9, "target_hold_s": 5, "ok": True},
    {
        "side": "left",
        "start_s": 10.5,
        "end_s": 17.5,
        "hold_s": 5.9,
        "target_hold_s": 5,
        "ok": False,
    },
]
EVENTS = [
    {
        "type": "overextension",
        "start_s": 5.0,
        "end_s": 6.0,
        "angle": "trunk_rotation",
        "value": 70.0,
        "limit": 65.0,
        "message": "Ease off",
    },
    {
        "type": "too_fast",
        "start_s": 8.0,
        "end_s": 8.0,
        "angle": "trunk_rotation",
        "value": 150.0,
        "limit": 120.0,
        "message": "Slow down",
    },
    {
        "type": "rep_complete",
        "start_s": 1.5,
        "end_s": 8.5,
        "angle": "trunk_rotation",
        "value": 40.0,
        "limit": None,
        "message": "That's 1",
    },
]


def assert_png(path: Path, min_w: int = 1000, min_h: int = 500) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as img:
        w, h = img.size
    assert w >= min_w and h >= min_h


def test_twist_plot_is_a_png_with_a_panel_per_angle(tmp_path: Path) -> None:
    ex = load_exercise("seated-twist").with_variant("chair")
    out = plot_angles(twist_series(), report(TWIST_REPS, EVENTS), ex, tmp_path / "p.png")
    assert out == tmp_path / "p.png"
    assert_png(out)
    with Image.open(out) as img:
        two_panels = img.size[1]
    full = load_exercise("seated-twist")
    t = np.arange(0, 20, 1 / 30)
    more = {"trunk_rotation": np.zeros_like(t), "head_rotation": np.zeros_like(t)}
    for side in ("right", "left"):
        more[f"crossed_knee@{side}"] = np.full_like(t, 90.0)
        more[f"straight_knee@{side}"] = np.full_like(t, 170.0)
    out4 = plot_angles(series(more, t), report([], []), full, tmp_path / "p4.png")
    with Image.open(out4) as img:
        assert img.size[1] > 1.6 * two_panels  # taller with four panels


def test_symmetric_plot_with_unseen_stretches_still_draws(tmp_path: Path) -> None:
    ex = load_exercise("knees-to-chest")
    t = np.arange(0, 10, 1 / 30)
    hip = np.where(t < 3, np.nan, np.where(t < 5, 140.0, 40.0))
    head = np.full_like(t, -10.0)
    out = plot_angles(
        series({"hip_flexion": hip, "head_lift": head}, t),
        report(
            [
                {
                    "side": None,
                    "start_s": 5.0,
                    "end_s": 10.0,
                    "hold_s": 4.9,
                    "target_hold_s": 30,
                    "ok": False,
                }
            ],
            [],
        ),
        ex,
        tmp_path / "k.png",
    )
    assert_png(out)


def test_held_span_reads_the_left_twist_mirrored() -> None:
    ex = load_exercise("seated-twist").with_variant("chair")
    s = twist_series()
    held = _spans(s.t, _held(s, ex, TWIST_REPS[1]))
    assert len(held) == 1
    a, b = held[0]
    assert 11.0 <= a < 11.1 and 16.9 < b < 17.0
