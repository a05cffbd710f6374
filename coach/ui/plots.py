"""One PNG of every judged angle over time: target band, limit, holds and safety events.

For a physiotherapist reading a recording afterwards, so it shows the raw signal faintly
behind the smoothed one the judge used, and a mirrored angle as the signed raw reading with
both sides' bands (positive = turned to the right, negative = to the left).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from coach.core import events
from coach.core.angles import series_key, uses_lead
from coach.core.exercises import AngleRule, Exercise
from coach.core.scoring import AngleSeries

SMOOTH = "#1f4e79"
RAW = "#6f9fd0"
SIDE_COLOURS = {"right": "#1f77b4", "left": "#e07b00", None: "#1f4e79"}
BAND = "#3aa655"
LIMIT = "#d62728"


def _title(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _series_keys(rule: AngleRule) -> list[tuple[str, str | None]]:
    """Raw series to draw for a rule: both sides for a {lead}/{trail} angle."""
    if uses_lead(rule):
        return [(str(series_key(rule, side)), side) for side in ("right", "left")]
    return [(rule.name, None)]


def _bands(ax: Axes, rule: AngleRule, sided: bool) -> None:
    """Target band(s) and limit line(s); a mirrored angle gets the left side's too."""
    lo, hi = rule.target
    if rule.mirror and sided:
        ax.axhspan(lo, hi, color=BAND, alpha=0.13, lw=0, label="target band")
        ax.axhspan(-hi, -lo, color=BAND, alpha=0.13, lw=0)
        ax.axhline(rule.limit, color=LIMIT, lw=1.2, ls="--", label="limit")
        ax.axhline(-rule.limit, color=LIMIT, lw=1.2, ls="--")
        ax.axhline(0, color="#999999", lw=0.6)
        for y, text in (((lo + hi) / 2, "right"), (-(lo + hi) / 2, "left")):
            ax.text(
                1.005,
                y,
                text,
                transform=ax.get_yaxis_transform(),
                va="center",
                fontsize=8,
                color=BAND,
            )
    else:
        ax.axhspan(lo, hi, color=BAND, alpha=0.13, lw=0, label="target band")
        ax.axhline(rule.limit, color=LIMIT, lw=1.2, ls="--", label="limit")


def _y_limits(ax: Axes, rule: AngleRule, values: list[np.ndarray], sided: bool) -> None:
    """Keep bands and limits in view even when the data stays near the start."""
    pts = [*rule.target, rule.limit, *(rule.start or ())]
    if rule.mirror and sided:
        pts += [-p for p in pts]
    finite = [v[np.isfinite(v)] for v in values]
    data = np.concatenate(finite) if finite else np.array([])
    if data.size:
        pts += [float(np.percentile(data, 0.5)), float(np.percentile(data, 99.5))]
    lo, hi = min(pts), max(pts)
    pad = max(5.0, 0.08 * (hi - lo))
    ax.set_ylim(lo - pad, hi + pad)


def _held(series: AngleSeries, exercise: Exercise, rep: dict[str, Any]) -> np.ndarray:
    """Moments of a rep with every target angle inside its band (as the judge read them)."""
    t = series.t
    mask = (t >= rep["start_s"]) & (t <= rep["end_s"])
    for rule in exercise.angles:
        if rule.role != "target":
            continue
        key = series_key(rule, rep["side"])
        v = None if key is None else series.smooth.get(key)
        if v is None:  # not measured, or a lead/trail angle of a rep with no known side
            continue
        if rule.mirror and rep["side"] == "left":
            v = -v
        with np.errstate(invalid="ignore"):
            mask &= (v >= rule.target[0]) & (v <= rule.target[1])
    return mask


def _spans(t: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """Contiguous runs of True as (start, end) times."""
    out = []
    start = None
    for i, m in enumerate(mask):
        if m and start is None:
            start = t[i]
        if not m and start is not None:
            out.append((start, t[i - 1]))
            start = None
    if start is not None:
        out.append((start, t[-1]))
    return out


def _reps(
    ax: Axes, series: AngleSeries, exercise: Exercise, report: dict[str, Any], labels: bool
) -> None:
    trans = ax.get_xaxis_transform()
    counts: dict[str | None, int] = {}
    for rep in report.get("reps", []):
        side = rep["side"]
        counts[side] = counts.get(side, 0) + 1
        ax.axvspan(rep["start_s"], rep["end_s"], color=SIDE_COLOURS[side], alpha=0.06, lw=0)
        colour = BAND if rep["ok"] else "#e0a800"
        for a, b in _spans(series.t, _held(series, exercise, rep)):
            ax.plot(
                [a, b], [0.985, 0.985], transform=trans, color=colour, lw=5, solid_capstyle="butt"
            )
        if labels:
            mark = "✓" if rep["ok"] else "short"
            who = f"{side} {counts[side]}" if side else f"rep {counts[side]}"
            ax.text(
                (rep["start_s"] + rep["end_s"]) / 2,
                0.95,
                f"{who}: held {rep['hold_s']:.1f}/{rep['target_hold_s']:.0f} s {mark}",
                transform=trans,
                ha="center",
                va="top",
                fontsize=8.5,
                color=SIDE_COLOURS[side],
                bbox={"facecolor": "white", "alpha": 0.7, "lw": 0, "pad": 1},
            )


def _events(ax: Axes, rule: AngleRule, report: dict[str, Any]) -> None:
    trans = ax.get_xaxis_transform()
    for ev in report.get("events", []):
        kind = ev["type"]
        if kind not in events.WARNING_TYPES or ev["angle"] not in (None, rule.name):
            continue
        colour = events.colour(kind)
        a, b = ev["start_s"], ev["end_s"]
        if b - a < 0.05:
            ax.axvline(a, color=colour, lw=2, alpha=0.8)
        else:
            ax.axvspan(a, b, color=colour, alpha=0.28, lw=0)
        text = events.label(kind)
        if ev.get("value") is not None and kind in ("too_fast", "jerky"):
            unit = "°/s" if kind == "too_fast" else "°/s²"
            text += f" {ev['value']:.0f}{unit}"
        elif ev.get("value") is not None:
            text += f" {ev['value']:.0f}°"
        ax.text(
            a,
            0.03,
            " " + text,
            transform=trans,
            fontsize=8,
            color=colour,
            fontweight="bold",
            va="bottom",
            ha="left",
            bbox={"facecolor": "white", "alpha": 0.75, "lw": 0, "pad": 1},
        )


def _panel(
    ax: Axes,
    series: AngleSeries,
    rule: AngleRule,
    exercise: Exercise,
    report: dict[str, Any],
    first: bool,
) -> None:
    _bands(ax, rule, exercise.sided)
    drawn = []
    for key, side in _series_keys(rule):
        if key not in series.smooth:
            continue
        colour = SIDE_COLOURS[side] if side else SMOOTH
        suffix = f" ({side} twist)" if side else ""
        ax.plot(
            series.t,
            series.raw[key],
            color=RAW if not side else colour,
            lw=0.9,
            alpha=0.45,
            label=f"raw{suffix}",
        )
        ax.plot(series.t, series.smooth[key], color=colour, lw=1.8, label=f"smoothed{suffix}")
        drawn.append(series.smooth[key])
    _y_limits(ax, rule, drawn, exercise.sided)
    _reps(ax, series, exercise, report, labels=first)
    _events(ax, rule, report)
    unit = "deg (+ right / − left)" if rule.mirror and exercise.sided else "deg"
    ax.set_ylabel(unit)
    role = "" if rule.role == "target" else " (form check)"
    ax.set_title(
        f"{_title(rule.name)}{role} — target {rule.target[0]:.0f} to "
        f"{rule.target[1]:.0f}°, limit {rule.limit:.0f}°",
        loc="left",
        fontsize=10.5,
        fontweight="bold",
    )
    ax.grid(True, alpha=0.25)


def _legend(fig: Any, axes: Any) -> None:
    """One legend for the figure, top right: every panel uses the same marks."""
    seen: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(label, handle)
    fig.legend(
        list(seen.values()),
        list(seen),
        loc="upper right",
        ncol=3,
        fontsize=8.5,
        frameon=False,
        bbox_to_anchor=(0.995, 0.998),
    )


def plot_angles(
    series: AngleSeries, report: dict[str, Any], exercise: Exercise, path_png: str | Path
) -> Path:
    """Write the plot; one panel per judged angle, shared time axis. Returns the path."""
    rules = list(exercise.angles)
    # A bare Figure renders with Agg and leaves pyplot's global backend and state alone,
    # so plotting is safe beside a live window and from worker processes.
    fig = Figure(figsize=(12, 0.8 + 2.8 * len(rules)))
    axes = fig.subplots(len(rules), 1, sharex=True, squeeze=False)
    for i, (ax, rule) in enumerate(zip(axes[:, 0], rules, strict=True)):
        _panel(ax, series, rule, exercise, report, first=i == 0)
    axes[-1, 0].set_xlabel("time (s)")
    if len(series.t):
        axes[-1, 0].set_xlim(float(series.t[0]), float(series.t[-1]))
    summary = report.get("summary", {})
    verdict = summary.get("verdict", "")
    source = Path(str(report.get("source", ""))).name
    fig.suptitle(
        f"{exercise.name} — {source}   verdict: {verdict}",
        x=0.01,
        ha="left",
        y=1 - 0.12 / fig.get_figheight(),
        va="top",
        fontsize=12.5,
        fontweight="bold",
    )
    _legend(fig, axes[:, 0])
    reasons = "; ".join(summary.get("reasons", []))
    if reasons:
        fig.text(0.01, 1 - 0.45 / fig.get_figheight(), reasons, fontsize=9.5, color="#444444")
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.62 / fig.get_figheight()))
    out = Path(path_png)
    fig.savefig(out, dpi=110)
    return out
