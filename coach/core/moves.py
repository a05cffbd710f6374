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
