"""The session's data: phases, smoothed samples, reps and holds, and what one step changed.

Plain data shared by the session machine, the overlay's view model and the reports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from coach.core.cues import Cue
from coach.core.events import Event
from coach.core.exercises import AngleRule

SIDES = ("right", "left")


class Phase(StrEnum):
    SETUP = "setup"
    RESTING = "resting"
    MOVING_IN = "moving in"
    HOLDING = "holding"
    RELEASING = "releasing"
    STOPPED = "stopped"


@dataclass
class Sample:
    """One moment after smoothing: raw (unmirrored) angles and their rates, per angle name."""

    t: float
    values: dict[str, float]
    speeds: dict[str, float]
    accels: dict[str, float]
    settle: dict[str, float] | None = None  # rates over a short window: is the person still?


@dataclass
class Rep:
    side: str | None
    start_s: float
    target_hold_s: float
    end_s: float | None = None
    hold_s: float = 0.0
    reached: bool = False
    peak_deg: dict[str, float] = field(default_factory=dict)
    overextended: bool = False
    hold_announced: bool = False
    tolerance_s: float = 0.0  # measurement slack on the hold (JudgeSettings.hold_ok_tolerance_s)

    @property
    def short(self) -> bool:
        """Held for less than the target (within the measurement slack)."""
        return self.hold_s < self.target_hold_s - self.tolerance_s

    @property
    def ok(self) -> bool:
        return not self.short and not self.overextended

    def to_dict(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s if self.end_s is not None else self.start_s, 3),
            "hold_s": round(self.hold_s, 2),
            "target_hold_s": self.target_hold_s,
            "peak_deg": {k: round(v, 1) for k, v in self.peak_deg.items() if math.isfinite(v)},
            "ok": self.ok,
        }


@dataclass
class StepResult:
    """What one moment changed: events opened or closed, and prompts to give."""

    opened: list[Event] = field(default_factory=list)
    closed: list[Event] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)


def mirrored(rule: AngleRule, raw: float, side: str | None) -> float:
    """The value as the rule reads it: a left twist reads like a right one."""
    if rule.mirror and side == "left":
        return -raw
    return raw


@dataclass
class _Plateau:
    """A stretch of time in the target pose and still: a candidate hold."""

    start: float
    end: float
    level: float  # the driver's progress while held
    samples: list[tuple[float, float]] = field(default_factory=list)
    calm_end: float | None = None  # the last moment below the settle speed's enter line

    def cut_to_calm(self) -> _Plateau:
        """The plateau ending at its last calm moment (see Holds.track)."""
        end = self.start if self.calm_end is None else self.calm_end
        kept = [(t, p) for t, p in self.samples if t <= end] or self.samples[:1]
        self.end, self.samples = end, kept
        self.level = max(p for _, p in kept)
        return self

    def held_span(self, tol: float) -> tuple[float, float]:
        """From and to, less the ends of the moves in and out that the stillness test let in:
        the held part is where the angle sits within `tol` of the plateau's median."""
        if len(self.samples) < 3:
            return self.start, self.end
        values = np.array([p for _, p in self.samples])
        level = float(np.median(values))
        # The held angle wanders by its own noise and sway: only what lies beyond that spread
        # (2.5 robust standard deviations) is a move in or out.
        spread = 2.5 * 1.4826 * float(np.median(np.abs(values - level)))
        tol = max(tol, spread)
        inside = [t for t, p in self.samples if abs(p - level) <= tol]
        return (inside[0], inside[-1]) if inside else (self.start, self.start)
