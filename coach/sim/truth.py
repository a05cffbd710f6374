"""The ground truth of a scripted session: reps, holds and safety events, by the report contract.

Why: computed from the noise-free script on a 1 kHz grid, never from the landmarks, so tests
measure the judge against what the person did. A rep runs from leaving the driver's start band
to returning to it; hold_s is the time the script holds the pose (its plateaus) inside the
target band, not the slow ends of the moves in and out; an event spans the time its
condition holds, and spans closer than MERGE_GAP_S are one event. A jerky event is an
injected jolt: truth from what the script did, not from the judge's acceleration line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from coach.core.exercises import AngleRule, Exercise
from coach.sim.script import Script

TRUTH_GRID_HZ = 1000.0
MERGE_GAP_S = 0.3  # a condition that clears for less than this is the same event
# The truth is noise-free, so it needs no debounce; a pose missing for under a second is a
# dropped frame, not the person leaving the view.
LEAVE_DEG = 3.0  # a rep starts this far from the resting posture
MIN_SPAN_S = {"too_fast": 0.0, "overextension": 0.0, "jerky": 0.0, "lost_view": 1.0}


# ----- truth ------------------------------------------------------------------------------
def _spans(t: np.ndarray, cond: np.ndarray, min_s: float) -> list[tuple[int, int]]:
    """Index spans (first, last) where cond holds, merged across short gaps."""
    idx = np.flatnonzero(cond)
    if len(idx) == 0:
        return []
    spans: list[list[int]] = [[int(idx[0]), int(idx[0])]]
    for i in idx[1:]:
        if t[i] - t[spans[-1][1]] <= MERGE_GAP_S:
            spans[-1][1] = int(i)
        else:
            spans.append([int(i), int(i)])
    return [(a, b) for a, b in spans if t[b] - t[a] >= min_s - 1e-9]


def _event(
    kind: str,
    t: np.ndarray,
    a: int,
    b: int,
    angle: str | None,
    values: np.ndarray,
    limit: float,
    worst: Callable[[np.ndarray], np.ndarray],
) -> dict:
    """One truth event; its value is the worst one in the span (by `worst`, larger = worse)."""
    seg = values[a : b + 1]
    value = round(float(seg[np.argmax(worst(seg))]), 2)
    return {
        "type": kind,
        "start_s": round(float(t[a]), 3),
        "end_s": round(float(t[b]), 3),
        "angle": angle,
        "value": value,
        "limit": limit,
    }


def _rep_spans(ex: Exercise, p: np.ndarray) -> list[tuple[int, int]]:
    rule = ex.driver_rule
    assert rule.start is not None
    edge = max(rule.toward_target() * v for v in rule.start)
    outside = p > edge
    starts = np.flatnonzero(outside[1:] & ~outside[:-1]) + 1
    ends = np.flatnonzero(~outside[1:] & outside[:-1]) + 1
    out = []
    for s in starts:
        later = ends[ends > s]
        out.append((int(s), int(later[0]) if len(later) else len(p) - 1))
    return out


def compute_truth(script: Script, times: np.ndarray) -> dict[str, Any]:
    """Reps and safety events of the noise-free script, by the report contract's rules."""
    ex = script.exercise
    rule = ex.driver_rule
    dt = 1.0 / TRUTH_GRID_HZ
    t = np.arange(0.0, script.duration_s + dt / 2, dt)
    raw = script.driver.at(t)
    sign = script.side_sign(t) if ex.sided else np.ones_like(t)
    value = raw * sign  # the driver as the rule reads it (a left twist mirrored)
    p = rule.toward_target() * value
    aux = script.aux(script.progress(raw, sign))
    aux_rule = ex.angle(script.profile.aux_name)
    in_rep = np.zeros(len(t), dtype=bool)
    reps = []
    spans = _rep_spans(ex, p)
    for k, (a, b) in enumerate(spans):
        # A rep runs from leaving the resting posture to coming back to it (within 3 deg).
        crossing = a  # the side is the one the person turns to, read past the start band
        prev_end = spans[k - 1][1] if k else 0
        next_start = spans[k + 1][0] if k + 1 < len(spans) else len(p)
        floor = rule.toward_target() * script.rest  # turning the other way is resting too
        before = np.maximum(p[prev_end : a + 1], floor)
        a = prev_end + int(np.flatnonzero(before <= before.min() + LEAVE_DEG)[-1])
        after = np.maximum(p[b:next_start], floor)
        b = b + int(np.flatnonzero(after <= after.min() + LEAVE_DEG)[0])
        in_rep[a : b + 1] = True
        band = (value[a:b] >= rule.target[0]) & (value[a:b] <= rule.target[1])
        # Held = in band during the scripted holds (breathing sway and all), not the moves
        # in and out, however slowly they ease in.
        still = np.zeros(b - a, dtype=bool)
        for h0, h1 in script.held:
            still |= (t[a:b] >= h0) & (t[a:b] < h1)
        over = bool(np.any(_past(rule, value[a:b])) or np.any(_past(aux_rule, aux[a:b])))
        hold = float((band & still).sum() * dt)
        peak = value[a:b][np.argmax(p[a:b])]
        side = None if not ex.sided else ("right" if sign[crossing] > 0 else "left")
        reps.append(
            {
                "side": side,
                "start_s": round(float(t[a]), 3),
                "end_s": round(float(t[b]), 3),
                "hold_s": round(hold, 2),
                "target_hold_s": ex.hold_s,
                "peak_deg": {rule.name: round(float(peak), 1)},
                "ok": hold >= ex.hold_s and not over,
            }
        )
    jolts = [(j["start_s"], j["end_s"]) for j in script.injected if j["type"] == "jerky"]
    events = _safety_truth(ex, t, raw, value, aux, aux_rule, in_rep, jolts)
    for t0, t1 in script.gaps:
        hidden = times[(times >= t0) & (times < t1)]
        if len(hidden) and hidden[-1] - hidden[0] >= MIN_SPAN_S["lost_view"]:
            events.append(
                {
                    "type": "lost_view",
                    "start_s": round(float(hidden[0]), 3),
                    "end_s": round(float(hidden[-1]), 3),
                    "angle": None,
                    "value": None,
                    "limit": None,
                }
            )
    events.sort(key=lambda e: (e["start_s"], e["type"]))
    return {"reps": reps, "events": events}


def _past(rule: AngleRule, v: np.ndarray) -> np.ndarray:
    return v > rule.limit if rule.limit_is_high else v < rule.limit


def _safety_truth(
    ex: Exercise,
    t: np.ndarray,
    raw: np.ndarray,
    value: np.ndarray,
    aux: np.ndarray,
    aux_rule: AngleRule,
    in_rep: np.ndarray,
    jolts: list[tuple[float, float]],
) -> list[dict[str, Any]]:
    """Too fast, overextended: what the noise-free script did against the guide's figures.
    Jerky: the jolts the script injected (an abrupt step), whatever their acceleration; a
    quick but smooth minimum-jerk move is too fast at most, never jerky."""
    rule = ex.driver_rule
    speed = np.gradient(raw, t)
    accel = np.gradient(speed, t)
    jolting = np.zeros(len(t), dtype=bool)
    for t0, t1 in jolts:
        jolting |= (t >= t0) & (t <= t1)

    def past_worst(r: AngleRule) -> Callable[[np.ndarray], np.ndarray]:
        return (lambda v: v) if r.limit_is_high else (lambda v: -v)

    Worst = Callable[[np.ndarray], np.ndarray]
    checks: list[tuple[str, np.ndarray, str, np.ndarray, float, Worst]] = [
        (
            "too_fast",
            np.abs(speed) > rule.max_speed_dps,
            rule.name,
            speed,
            rule.max_speed_dps,
            np.abs,
        ),
        ("jerky", jolting, rule.name, accel, ex.max_accel_dps2, np.abs),
        ("overextension", _past(rule, value), rule.name, value, rule.limit, past_worst(rule)),
        # Form angles belong to a rep: outside one the person is free to re-cross their legs.
        (
            "overextension",
            _past(aux_rule, aux) & in_rep,
            aux_rule.name,
            aux,
            aux_rule.limit,
            past_worst(aux_rule),
        ),
    ]
    events = []
    for kind, cond, name, vals, limit, worst in checks:
        for a, b in _spans(t, cond, MIN_SPAN_S[kind]):
            events.append(_event(kind, t, a, b, name, vals, limit, worst))
    return events
