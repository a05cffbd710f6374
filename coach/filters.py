"""Smoothing of angle signals with their real timestamps.

Live: a causal One Euro filter (Casiez et al., CHI 2012) that follows fast moves with little
lag yet flattens jitter when still. Offline: a zero-phase Butterworth (scipy.signal.filtfilt)
over the whole recording, which has no lag at all, applied per stretch of seen samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.signal import butter, filtfilt


def _alpha(cutoff_hz: float, dt: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt)


@dataclass
class OneEuro:
    """One Euro filter on a scalar with real timestamps; also gives a smoothed derivative."""

    min_cutoff_hz: float = 0.8
    beta: float = 0.02
    d_cutoff_hz: float = 1.5
    _t: float | None = field(default=None, init=False)
    _x: float = field(default=math.nan, init=False)
    _dx: float = field(default=0.0, init=False)

    def reset(self) -> None:
        self._t, self._x, self._dx = None, math.nan, 0.0

    @property
    def derivative(self) -> float:
        """Smoothed rate of change, units per second (0 until two samples are seen)."""
        return self._dx

    def __call__(self, t: float, x: float) -> float:
        if not math.isfinite(x):
            return math.nan  # unseen: keep state, the next sighting continues from it
        if self._t is None or not math.isfinite(self._x) or t <= self._t:
            if self._t is None or not math.isfinite(self._x):
                self._t, self._x, self._dx = t, x, 0.0
            return self._x
        dt = t - self._t
        if dt > 1.0:  # a long gap: start afresh rather than read the jump as speed
            self._t, self._x, self._dx = t, x, 0.0
            return x
        dx = (x - self._x) / dt
        self._dx += _alpha(self.d_cutoff_hz, dt) * (dx - self._dx)
        cutoff = self.min_cutoff_hz + self.beta * abs(self._dx)
        self._x += _alpha(cutoff, dt) * (x - self._x)
        self._t = t
        return self._x


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges where mask is True."""
    runs, start = [], None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        elif not m and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(mask)))
    return runs


def zero_phase(t: np.ndarray, x: np.ndarray, cutoff_hz: float = 2.5, order: int = 2) -> np.ndarray:
    """Zero-lag low-pass of x(t); NaN gaps stay NaN and each seen stretch is filtered alone.

    Samples are put on a uniform grid first (variable frame-rate files exist), filtered,
    and read back at the original times.
    """
    out = np.full_like(x, np.nan, dtype=float)
    for a, b in _runs(np.isfinite(x)):
        ts, xs = t[a:b], x[a:b]
        if b - a < 4 or ts[-1] - ts[0] <= 0:
            out[a:b] = xs
            continue
        dt = float(np.median(np.diff(ts)))
        fs = 1.0 / dt if dt > 0 else 30.0
        grid = np.arange(ts[0], ts[-1] + dt / 2, dt)
        xg = np.interp(grid, ts, xs)
        wn = min(cutoff_hz / (fs / 2.0), 0.99)
        bb, aa = butter(order, wn)
        padlen = 3 * max(len(aa), len(bb))
        if len(xg) <= padlen:
            out[a:b] = xs
            continue
        out[a:b] = np.interp(ts, grid, filtfilt(bb, aa, xg))
    return out


def derivative(t: np.ndarray, x: np.ndarray) -> np.ndarray:
    """d x / d t on irregular timestamps, NaN where x is unseen."""
    out = np.full_like(x, np.nan, dtype=float)
    for a, b in _runs(np.isfinite(x)):
        if b - a >= 2:
            out[a:b] = np.gradient(x[a:b], t[a:b])
        else:
            out[a:b] = 0.0
    return out
