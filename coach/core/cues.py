"""Prompts the core asks the front end to speak or show.

The core decides what to say and how urgent it is; voice.py and overlay.py decide how.
Lower priority numbers are more urgent: a safety prompt cuts off a routine one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Priority(IntEnum):
    SAFETY = 0
    INSTRUCTION = 1
    INFO = 2


@dataclass(frozen=True)
class Cue:
    text: str
    priority: Priority
    key: str  # prompts with the same key share a cooldown ("too_fast", "hold_countdown", ...)
    t: float  # session time at which the core raised it, in seconds
    cooldown_s: float = 8.0
