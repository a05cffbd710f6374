"""Where a move into or out of a hold ends: a smooth move fitted to each judged angle.

Why: a smooth move eases in so slowly that the last 0.3-0.5 s of a 2-3 s move covers a degree
or less, under what any stillness test can tell from noise; counted as held, it lengthens
every hold by most of a second (the issue's hold error is against the held plateau). The move
as a whole is clear, though: fitted by least squares, it says where it ends. Pure: numpy on
times and angles.
"""

from __future__ import annotations

import numpy as np

MOVE_MIN_DEG = 6.0  # a move into or out of a hold is at least this big, or none is seen
MOVE_TRIM_MAX_S = 2.0  # the slow end of a move is never trimmed by more than this
MOVE_SEARCH_S = 6.0  # a move into or out of a hold is fitted on this much of the trace
FIT_DT_S = 1.0 / 15  # a move is fitted on samples this far apart (15 fps is plenty)


def _shape_weights(a: np.ndarray) -> np.ndarray:
    """Weights of (straight ramp, cosine ease, minimum-jerk ease) for shapes `a`: 0 a ramp,
    1 a cosine ease, 2 a minimum-jerk one, blends between. Rows per shape."""
    low, high = np.clip(a, 0.0, 1.0), np.clip(a - 1.0, 0.0, 1.0)
    return np.stack([1 - low, np.where(a <= 1, low, 1 - high), high], axis=1)


def _fit_move(
    t: np.ndarray, x: np.ndarray, inward: bool, near: tuple[float, float]
) -> tuple[float, float]:
    """The end (inward) or start (outward) of the move that fits x(t) best by least squares,
    and the move's size (degrees, unsigned).

    The move's shape runs from a straight ramp (no slow end at all: the stillness test is
    right as it is) through a cosine ease to a minimum-jerk one (the longest slow end), and
    blends between. Shape, duration and end time are searched coarse then fine, the end (or
    start) within `near`; the levels before and after are solved exactly. A blend is a
    weighted sum of the three profiles, so its least-squares sums come from theirs: each
    timing is worked out once for every shape."""
    keep = max(1, round(FIT_DT_S / max(float(np.median(np.diff(t))), 1e-3)))
    t, x = t[::keep], x[::keep]
    n, sx, sxx = len(x), float(x.sum()), float(x @ x)

    def best(
        shapes: np.ndarray, durs: np.ndarray, ends: np.ndarray
    ) -> tuple[float, float, float, float]:
        d, c = (g.ravel() for g in np.meshgrid(durs, ends))
        s = np.clip((t[None, :] - c[:, None]) / d[:, None] + (1.0 if inward else 0.0), 0, 1)
        prof = np.stack([s, (1.0 - np.cos(np.pi * s)) / 2.0, s**3 * (10 - 15 * s + 6 * s**2)])
        p1 = prof.sum(axis=2).T  # (timings, 3)
        p2 = np.einsum("itn,jtn->tij", prof, prof)  # (timings, 3, 3)
        px = (prof @ x).T  # (timings, 3)
        w = _shape_weights(shapes)  # (shapes, 3)
        # x = level + size * profile, level and size by least squares for each pair
        sp = p1 @ w.T  # (timings, shapes)
        spp = np.einsum("tij,si,sj->ts", p2, w, w)
        spx = px @ w.T
        size = (n * spx - sp * sx) / np.maximum(n * spp - sp**2, 1e-9)
        level = (sx - size * sp) / n
        err = sxx - level * sx - size * spx
        i, k = np.unravel_index(int(np.argmin(err)), err.shape)
        return float(shapes[k]), float(d[i]), float(c[i]), abs(float(size[i, k]))

    step = 0.05
    a, d, c, _ = best(np.linspace(0.0, 2.0, 17), np.geomspace(0.2, 6.0, 30), np.arange(*near, step))
    a, d, c, size = best(
        np.clip(a + np.linspace(-0.125, 0.125, 5), 0.0, 2.0),
        d * np.linspace(0.9, 1.1, 9),
        c + np.arange(-step, step + 0.005, 0.01),
    )
    return c, size


Moment = tuple[float, dict[str, float]]  # t, {judged angle: value}


def hold_edge(
    trace: list[Moment], start: float, end: float, inward: bool, bound: float
) -> float | None:
    """When the move into the hold [start, end] ended (inward), or the move out of it began;
    None where no judged angle shows a clear move.

    Why: a smooth move eases in so slowly that the last 0.3-0.5 s of a 2-3 s move covers a
    degree or less, under what any stillness test can tell from noise; counted as held, it
    lengthens every hold by most of a second. The move as a whole is clear, though: a smooth
    move fitted to each judged angle (see _fit_move) says where it ends. The fit takes the
    trace back to `bound` (inward: the end of the plateau before; outward: the next one's
    start) and no further than MOVE_SEARCH_S; its answer is kept within MOVE_TRIM_MAX_S
    inside the stillness test's own end of the hold."""
    edge = start if inward else end
    if inward:
        lo, hi = max(bound, start - MOVE_SEARCH_S), start + MOVE_TRIM_MAX_S
        near = (edge - 0.2, edge + MOVE_TRIM_MAX_S)
    else:
        lo, hi = end - MOVE_TRIM_MAX_S, min(bound, end + MOVE_SEARCH_S)
        near = (edge - MOVE_TRIM_MAX_S, edge + 0.2)
    edges: list[float] = []
    for k in {k for _, m in trace for k in m}:
        seg = np.array([(t, m[k]) for t, m in trace if k in m and lo <= t <= hi])
        if len(seg) >= 6:
            seg = seg[np.isfinite(seg[:, 1])]
        if len(seg) < 6:
            continue
        fitted, size = _fit_move(seg[:, 0], seg[:, 1], inward, near)
        if size >= MOVE_MIN_DEG:
            edges.append(fitted)
    if not edges:
        return None
    # The hold starts once the last angle has arrived, and ends when the first leaves.
    out = max(edges) if inward else min(edges)
    if inward:
        return min(max(out, edge), edge + MOVE_TRIM_MAX_S)
    return max(min(out, edge), edge - MOVE_TRIM_MAX_S)


STEP_WINDOW_S = 0.45  # a quick step is fitted on the samples this close to its peak of speed
STEP_MIN_DEG = 6.0  # a smaller fitted step is no step
STEP_SIDE_S = 0.15  # the samples this far before and after it show the drift it rides on
STEP_FIT_MAX = 0.25  # ... nor one the samples stray from by more than this share of it (RMS)


def step_duration(t: np.ndarray, x: np.ndarray, tc: float) -> tuple[float, float]:
    """How long the step of x(t) around `tc` takes, by the smooth move that fits it best, and
    its size (degrees, signed); both NaN where no step of at least STEP_MIN_DEG fits, or fits
    badly (a bump out and back), or too few samples are seen either side.

    Why: a jolt and a fast move both make a spike of speed; what tells them apart is how long
    the step takes (the issue: a jolt is 12-20 deg within 0.1-0.2 s). Read off the samples
    themselves, at 15 fps a step's 10-90% rise is blurred by most of a frame and shifts with
    where the frames fall; a fitted move is not. The move's shape runs from a cosine ease to a
    minimum-jerk one (people move smoothly; a straight ramp reads as the smooth move with its
    speed). A jolt may come on top of a slow move in: where the samples before and after the
    step drift the same way, the slower drift is taken out first. Least squares over a grid of
    shapes, durations and centres."""
    ok = np.isfinite(x) & (np.abs(t - tc) <= STEP_WINDOW_S)
    ts, xs = t[ok] - tc, x[ok]
    before, after = ts <= -STEP_SIDE_S, ts >= STEP_SIDE_S
    if before.sum() < 2 or after.sum() < 2:
        return np.nan, np.nan
    xs = xs - _common_drift(ts[before], xs[before], ts[after], xs[after]) * ts
    durs, centres = np.arange(0.04, 0.605, 0.01), np.arange(-0.2, 0.205, 0.01)
    d, c = (g.ravel() for g in np.meshgrid(durs, centres))
    s = np.clip((ts[None, :] - c[:, None]) / d[:, None] + 0.5, 0.0, 1.0)
    ends = np.stack([(1.0 - np.cos(np.pi * s)) / 2.0, s**3 * (10 - 15 * s + 6 * s**2)])
    mix = np.linspace(0.0, 1.0, 5)[:, None, None]  # cosine ease (0) to minimum jerk (1)
    prof = (ends[0][None] * (1 - mix) + ends[1][None] * mix).reshape(-1, len(ts))
    # x = level + size * profile, level and size by least squares for each candidate
    n, sx, sxx = len(xs), float(xs.sum()), float(xs @ xs)
    sp, spp, spx = prof.sum(axis=1), np.einsum("kn,kn->k", prof, prof), prof @ xs
    size = (n * spx - sp * sx) / np.maximum(n * spp - sp**2, 1e-9)
    level = (sx - size * sp) / n
    err = sxx - level * sx - size * spx
    best = int(np.argmin(err))
    step = float(size[best])
    if abs(step) < STEP_MIN_DEG or np.sqrt(max(err[best], 0.0) / n) > STEP_FIT_MAX * abs(step):
        return np.nan, np.nan
    return float(d[best % len(d)]), step


def _common_drift(tb: np.ndarray, xb: np.ndarray, ta: np.ndarray, xa: np.ndarray) -> float:
    """The slope both sides share (deg/s): the slower of the two where they agree in sign,
    else none (a hold before and a move back after share no drift)."""
    sb, sa = float(np.polyfit(tb, xb, 1)[0]), float(np.polyfit(ta, xa, 1)[0])
    if sb * sa <= 0:
        return 0.0
    return sb if abs(sb) < abs(sa) else sa
