"""The event vocabulary: the Event type and the one table of event kinds.

Every part that names, counts, colours or speaks an event reads it here, so adding a rule
kind touches this table and its detector only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EventKind:
    """How one type of event is spoken, labelled, drawn and counted."""

    message: str  # what the coach says (a detector may say something more specific)
    label: str  # short text for tables and plot legends
    colour: str  # hex colour for plots and pages
    safety: bool  # one of the seed's safety rules (gentle, never overextend, pain, over-doing)
    warning: bool  # shown as a warning and counted in the report's safety summary
    unit: str = ""  # unit of the event's value and limit


PAIN_MESSAGE = (
    "Stopping now. Rest, and do not carry on through pain. If the pain persists or is "
    "new, see a doctor or physiotherapist before you stretch again."
)

KINDS: dict[str, EventKind] = {
    "too_fast": EventKind(
        "Slow down. Move gently and slowly.", "too fast", "#ff7f0e", True, True, "deg/s"
    ),
    "jerky": EventKind(
        "Smooth and steady, no sudden jerks.", "jerky", "#9467bd", True, True, "deg/s²"
    ),
    "overextension": EventKind(
        "Ease off, you are past a safe range.", "too far", "#d62728", True, True, "deg"
    ),
    "pain_stop": EventKind(PAIN_MESSAGE, "pain stop", "#000000", True, True),
    "daily_limit": EventKind(
        "You are past your daily limit. Rest is part of the stretch.",
        "past daily limit",
        "#8c564b",
        True,
        True,
    ),
    "lost_view": EventKind(
        "I can't see you. Move back into view.", "out of view", "#7f7f7f", False, True, "s"
    ),
    "hold_complete": EventKind("Good hold.", "hold complete", "#3aa655", False, False, "s"),
    "rep_complete": EventKind("Rep complete.", "rep complete", "#1f77b4", False, False),
    "switch_side": EventKind("Now the other side.", "switch side", "#17becf", False, False),
}

SAFETY_TYPES: tuple[str, ...] = tuple(k for k, v in KINDS.items() if v.safety)
WARNING_TYPES: tuple[str, ...] = tuple(k for k, v in KINDS.items() if v.warning)
MESSAGES: dict[str, str] = {k: v.message for k, v in KINDS.items()}


def label(kind: str) -> str:
    """Short text for an event type; an unknown type (a newer file) shows as itself."""
    k = KINDS.get(kind)
    return k.label if k else kind.replace("_", " ")


def colour(kind: str) -> str:
    k = KINDS.get(kind)
    return k.colour if k else "#555555"


@dataclass
class Event:
    """One safety or progress event, in the report contract's shape."""

    type: str
    start_s: float
    end_s: float
    angle: str | None = None
    value: float | None = None
    limit: float | None = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        def num(x: float | None) -> float | None:
            return None if x is None or not math.isfinite(x) else round(x, 2)

        return {
            "type": self.type,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "angle": self.angle,
            "value": num(self.value),
            "limit": num(self.limit),
            "message": self.message,
        }
