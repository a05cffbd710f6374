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

MAX_GAP_S = 0.3  # a longer gap in sightings breaks the signal: speeds across it are unknown
# A body angle cannot jump faster than this between two frames (about 20 deg in one frame at
# 30 fps): such a jump is a video cut or a tracking swap, not a movement, and breaks the signal.
MAX_JUMP_DPS = 600.0


def _alpha(cutoff_hz: float, dt: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt)


@dataclass
class OneEuro:
    """One Euro filter on a scalar with real timestamps; also gives a smoothed derivative."""

    min_cutoff_hz: float = 0.8
    beta: float = 0.02
    d_cutoff_hz: float = 1.5
    rate_cutoff_hz: float = 2.5
    _t: float | None = field(default=None, init=False)
    _x: float = field(default=math.nan, init=False)
    _dx: float = field(default=0.0, init=False)
    _rate: float = field(default=0.0, init=False)
    _accel: float = field(default=0.0, init=False)

    def reset(self) -> None:
        self._t, self._x, self._dx, self._rate, self._accel = None, math.nan, 0.0, 0.0, 0.0

    @property
    def acceleration(self) -> float:
        """Rate of change of `derivative`, low-passed the same way, units per second squared."""
        return self._accel

    @property
    def derivative(self) -> float:
        """Rate of change of the filtered output, low-passed, units per second.

        The filter's own internal derivative (raw input minus lagging output) overstates
        speed during a move, so safety checks use this one instead.
        """
        return self._rate

    def __call__(self, t: float, x: float) -> float:
        if not math.isfinite(x):
            return math.nan  # unseen: keep state, the next sighting continues from it
        if self._t is None or not math.isfinite(self._x) or t <= self._t:
            if self._t is None or not math.isfinite(self._x):
                self.reset()
                self._t, self._x = t, x
            return self._x
        dt = t - self._t
        if (
            dt > MAX_GAP_S or abs(x - self._x) / dt > MAX_JUMP_DPS
        ):  # unseen for a while: start afresh rather than read the jump as speed
            self.reset()
            self._t, self._x = t, x
            return x
        dx = (x - self._x) / dt
        self._dx += _alpha(self.d_cutoff_hz, dt) * (dx - self._dx)
        cutoff = self.min_cutoff_hz + self.beta * abs(self._dx)
        previous = self._x
        self._x += _alpha(cutoff, dt) * (x - self._x)
        a = _alpha(self.rate_cutoff_hz, dt)
        previous_rate = self._rate
        self._rate += a * ((self._x - previous) / dt - self._rate)
        self._accel += a * ((self._rate - previous_rate) / dt - self._accel)
        self._t = t
        return self._x


def true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
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


def median3(x: np.ndarray) -> np.ndarray:
    """Median of each seen sample and its seen neighbours: removes one-frame glitches.

    A run's first and last samples take the median of the three nearest: the frame next to
    a dropout is often the glitch that came with it, and the filters read it as speed."""
    out = x.astype(float).copy()
    for a, b in true_runs(np.isfinite(x)):
        if b - a >= 3:
            seg = x[a:b]
            stacked = np.vstack([np.r_[seg[2], seg[:-1]], seg, np.r_[seg[1:], seg[-3]]])
            out[a:b] = np.median(stacked, axis=0)
    return out


def segments(
    t: np.ndarray, x: np.ndarray, breaks: np.ndarray | None = None
) -> list[tuple[int, int]]:
    """Half-open runs of seen samples, also broken where the signal jumps impossibly fast
    and before every sample flagged in `breaks` (a shot cut or fade in the recording)."""
    out: list[tuple[int, int]] = []
    for a, b in true_runs(np.isfinite(x)):
        start = a
        for i in range(a + 1, b):
            dt = t[i] - t[i - 1]
            cut = breaks is not None and bool(breaks[i])
            if cut or dt <= 0 or abs(x[i] - x[i - 1]) / dt > MAX_JUMP_DPS:
                out.append((start, i))
                start = i
        out.append((start, b))
    return out


def zero_phase(
    t: np.ndarray,
    x: np.ndarray,
    cutoff_hz: float = 2.5,
    order: int = 2,
    segs: list[tuple[int, int]] | None = None,
) -> np.ndarray:
    """Zero-lag low-pass of x(t); NaN gaps stay NaN and each seen stretch is filtered alone.

    Samples are put on a uniform grid first (variable frame-rate files exist), filtered,
    and read back at the original times.
    """
    out = np.full_like(x, np.nan, dtype=float)
    for a, b in segments(t, x) if segs is None else segs:
        ts, xs = t[a:b], x[a:b]
        if b - a < 4 or ts[-1] - ts[0] <= 0:
            continue  # a fragment this short between breaks is not a signal to trust
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


def derivative(
    t: np.ndarray, x: np.ndarray, segs: list[tuple[int, int]] | None = None
) -> np.ndarray:
    """d x / d t on irregular timestamps, within each segment (default: the seen runs of x)."""
    out = np.full_like(x, np.nan, dtype=float)
    for a, b in true_runs(np.isfinite(x)) if segs is None else segs:
        if b - a >= 2:
            out[a:b] = np.gradient(x[a:b], t[a:b])
        else:
            out[a:b] = 0.0
    return out


def window_slope(
    t: np.ndarray, x: np.ndarray, half_s: float, segs: list[tuple[int, int]]
) -> np.ndarray:
    """Least-squares slope of x over t within +-half_s of each sample, inside each segment.

    A fitted slope over a fraction of a second tells still from moving far better than a
    point derivative, which pose jitter swamps.
    """
    out = np.full_like(x, np.nan, dtype=float)
    for a, b in segs:
        ts, xs = t[a:b], x[a:b]
        ok = np.isfinite(xs)
        if b - a < 3 or not ok.all():
            continue
        lo = np.searchsorted(ts, ts - half_s, side="left")
        hi = np.searchsorted(ts, ts + half_s, side="right")
        c = np.concatenate(([0.0], np.cumsum(ts)))
        cx = np.concatenate(([0.0], np.cumsum(xs)))
        ctt = np.concatenate(([0.0], np.cumsum(ts * ts)))
        ctx = np.concatenate(([0.0], np.cumsum(ts * xs)))
        n = (hi - lo).astype(float)
        st, sx = c[hi] - c[lo], cx[hi] - cx[lo]
        stt, stx = ctt[hi] - ctt[lo], ctx[hi] - ctx[lo]
        den = n * stt - st * st
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = np.where((n >= 3) & (den > 1e-12), (n * stx - st * sx) / den, np.nan)
        out[a:b] = slope
    return out


RATE_GRID_HZ = 60.0  # rates are taken on this fixed grid, whatever the recording's frame rate
JOLT_SPAN_S = 0.15  # a jolt: the speed spikes and falls back within about this long


def zero_phase_rates(
    t: np.ndarray,
    x: np.ndarray,
    cutoff_hz: float,
    segs: list[tuple[int, int]],
    grid_hz: float = RATE_GRID_HZ,
    span_s: float | None = None,
    order: int = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """Speed of x(t) low-passed at `cutoff_hz`, and its jolt, the same at any frame rate.

    Differencing the samples themselves smooths by the frame interval (a second difference
    spans +-2 frames: 0.27 s at 15 fps, 0.13 s at 30), so a 0.1 s jolt read at 15 fps came
    out at half its size. Here each seen stretch goes onto one fixed fine grid (linear between
    samples), is filtered there with the same digital filter whatever the input rate, and
    differentiated there.

    The jolt (deg/s^2) is how far the speed at a moment stands out, the same way, from the
    speed `span_s` before and `span_s` after, over `span_s`: a brief spike of speed on top
    of whatever the person was doing. A move that starts or stops abruptly, or a fast but
    even move, is no jolt by this (too_fast judges those); a 12 deg jump within a tenth of a
    second is, at 15 fps as at 30. The span is as short as the 5 Hz band allows: the band
    spreads a 0.1 s spike of speed over about +-0.1 s.
    """
    span_s = JOLT_SPAN_S if span_s is None else span_s
    speed = np.full_like(x, np.nan, dtype=float)
    jolt = np.full_like(x, np.nan, dtype=float)
    dt = 1.0 / grid_hz
    bb, aa = butter(order, min(cutoff_hz / (grid_hz / 2.0), 0.99))
    padlen = 3 * max(len(aa), len(bb))
    for a, b in segs:
        ts, xs = t[a:b], x[a:b]
        if b - a < 4 or ts[-1] - ts[0] <= 0 or not np.isfinite(xs).all():
            continue  # too short to trust, as in zero_phase
        grid = np.arange(ts[0], ts[-1] + dt / 2, dt)
        xg = np.interp(grid, ts, xs)
        if len(xg) <= padlen:
            continue
        vg = np.gradient(filtfilt(bb, aa, xg), dt)
        v = np.interp(ts, grid, vg)
        before = v - np.interp(ts - span_s, grid, vg)
        after = v - np.interp(ts + span_s, grid, vg)
        spike = np.where(before * after > 0, np.minimum(np.abs(before), np.abs(after)), 0.0)
        speed[a:b] = v
        jolt[a:b] = np.sign(before) * spike / span_s
    return speed, jolt


def unwrap_deg(x: np.ndarray) -> np.ndarray:
    """Headings in degrees made continuous across the +-180 seam within each seen run."""
    out = x.astype(float).copy()
    for a, b in true_runs(np.isfinite(x)):
        out[a:b] = np.degrees(np.unwrap(np.radians(x[a:b])))
    return out


def running_median(
    t: np.ndarray, x: np.ndarray, half_s: float, segs: list[tuple[int, int]]
) -> np.ndarray:
    """The median of x within +-half_s of each sample, within each segment (NaN outside).

    Why a median, not a low-pass: it drops jitter but keeps a step where it is (a cut, a
    crossfade, the whole body turning at once), so a line steadied so still moves with the
    picture."""
    out = np.full(len(x), np.nan)
    for a, b in segs:
        ts, xs = t[a:b], x[a:b]
        if not np.isfinite(xs).all():
            continue
        lo = np.searchsorted(ts, ts - half_s, side="left")
        hi = np.searchsorted(ts, ts + half_s, side="right")
        out[a:b] = [np.median(xs[i:j]) for i, j in zip(lo, hi, strict=True)]
    return out
