"""Prompts the core asks the front end to speak or show.

The core decides what to say and how urgent it is; voice.py and overlay.py decide how.
Lower priority numbers are more urgent: a safety prompt cuts off a routine one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coach.core.exercises import Exercise
    from coach.core.moments import Rep


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


@dataclass(frozen=True)
class CueKind:
    """How urgent one kind of prompt is, how soon it may repeat, and its fixed words."""

    priority: Priority
    cooldown_s: float
    text: str = ""  # empty: the words come with the moment (a count, a pose file's cue)


# The one table of the session's prompts: key -> urgency, cooldown, words.
CUE_KINDS: dict[str, CueKind] = {
    "placement": CueKind(Priority.INSTRUCTION, 30.0),
    "go": CueKind(Priority.INSTRUCTION, 4.0),
    "go_again": CueKind(Priority.INSTRUCTION, 10.0),  # after a rest: the same words, less often
    "hold": CueKind(Priority.INSTRUCTION, 3.0, "Hold it there."),
    "hold_done": CueKind(Priority.INSTRUCTION, 2.0, "Well done. Now come back slowly."),
    "countdown": CueKind(Priority.INFO, 1.0),
    "rep": CueKind(Priority.INFO, 2.0),
    "switch": CueKind(Priority.INSTRUCTION, 10.0),
    "done": CueKind(Priority.INSTRUCTION, 30.0, "Set complete. Well done, rest now."),
    "short": CueKind(Priority.INSTRUCTION, 8.0),
    "form": CueKind(Priority.INFO, 12.0),
    "over": CueKind(Priority.INSTRUCTION, 10.0),
    "safety": CueKind(Priority.SAFETY, 6.0),
    "lost_view": CueKind(Priority.SAFETY, 8.0),
    "pain_stop": CueKind(Priority.SAFETY, 0.0),
}


def cue(kind: str, t: float, text: str = "", key: str = "") -> Cue:
    """A prompt of one kind from the table; `key` (default: the kind) shares a cooldown."""
    k = CUE_KINDS[kind]
    return Cue(text or k.text, k.priority, key or kind, t, k.cooldown_s)


# ----- the coach's words, one place each -------------------------------------------------------
def placement_text(exercise: Exercise) -> str:
    """Short enough to say aloud; the full advice is on screen and in `coach show`."""
    view = "side-on" if exercise.view == "side" else "from the front"
    return f"Place the camera so it sees your whole body {view}."


def go_text(exercise: Exercise, side_counts: dict[str, int], last_side: str | None) -> str:
    """What to do next: the next side of a twist, else the stretch's own short cue."""
    if not exercise.sided:
        return exercise.driver_rule.short_cue or exercise.summary
    need = exercise.reps_per_side
    if side_counts["right"] < need and not (last_side == "left" and side_counts["left"] < need):
        side = "right"
    else:
        side = "left"
    return f"Now turn slowly to your {side}."


def rep_text(rep: Rep, n: int) -> str:
    """The count after a rep ("That's 2 on the left."), and why it was short if it was."""
    text = f"That's {n} on the {rep.side}." if rep.side is not None else f"That's {n}."
    if not rep.ok and not rep.overextended:
        text += f" Try to hold still for the full {rep.target_hold_s:.0f} seconds next time."
    return text
