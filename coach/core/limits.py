"""Daily limits and the pain follow-up: pure rules over past sessions and `now`.

The seed warns that routine over-stretching brings pain and swelling and that pain that comes
back needs a professional. These rules decide what to say before a session; the store only
fetches the records (io/store.py) and the clock comes in as `now`, so both are tested by hand.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from coach.core.records import PainStop, SessionRecord

PAIN_WINDOW = timedelta(days=7)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

FIRM_MESSAGE = (
    "You stopped because of pain {n} times in the last 7 days. Pain that comes back needs a "
    "doctor or physiotherapist, not more stretching. Please see one before you continue with "
    "these stretches."
)
FIRM_QUESTION = "Has a doctor or physiotherapist told you it is fine to continue?"
REMINDER_MESSAGE = (
    "Last time you stopped because of pain. Only stretch if the pain has gone, and stop at once "
    "if anything hurts."
)
REMINDER_QUESTION = "Has the pain gone completely?"
PER_EXERCISE_MESSAGE = (
    "You have already done {done} of {exercise} today; your daily limit is {limit}. Stretching "
    "the same joints again and again can leave them sore and swollen; it is wiser to rest now."
)
SESSIONS_MESSAGE = (
    "You have already done {done} today; your daily limit is {limit}. Rest is part of the exercise."
)
MINUTES_MESSAGE = (
    "You have stretched for {minutes:.0f} minutes today; your daily limit is {limit:g} minutes. "
    "More is not better for your back."
)


@dataclass(frozen=True)
class Limits:
    """Daily limits; a new session that would pass one asks for confirmation first."""

    sessions_per_exercise_per_day: int = 3
    sessions_per_day: int = 6
    minutes_per_day: float = 30.0


@dataclass(frozen=True)
class LimitWarning:
    """A daily limit a new session would pass; `value` is what has been done today."""

    key: str  # the config key: sessions_per_exercise_per_day, sessions_per_day, minutes_per_day
    value: float
    limit: float
    message: str


@dataclass(frozen=True)
class PainFollowup:
    """What to say at the start of a session after a pain stop, and what to ask."""

    firm: bool  # True: two pain stops within PAIN_WINDOW, see a professional first
    message: str
    question: str  # a yes/no question; "no" means: do not start


def day_start(now: datetime) -> datetime:
    """Midnight of `now`'s calendar day in `now`'s own time zone: the user's "today"."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (e.g. datetime.now().astimezone())")
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def count_text(n: int, noun: str) -> str:
    """ "1 session", "2 sessions"."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def passed(
    day: Sequence[SessionRecord],
    limits: Limits,
    new_exercise: str | None = None,
    planned_s: float = 0.0,
) -> list[LimitWarning]:
    """The daily limits one day's sessions pass: the one rule, for the gate and for history.

    Only live sessions count: scoring old recordings is not stretching today. With
    `new_exercise`, the question is whether starting one more session of it (planned to last
    `planned_s`) would pass a limit; a day already at its minutes has no room for even a short
    one. Without it, whether the day as done went past any limit.
    """
    live = [s for s in day if s.kind == "live"]
    minutes = sum(s.duration_s for s in live) / 60.0
    adding = 0 if new_exercise is None else 1
    per_exercise = Counter(s.exercise for s in live)
    checked = [new_exercise] if new_exercise is not None else sorted(per_exercise)
    warnings: list[LimitWarning] = []
    for exercise in checked:
        done = per_exercise[exercise]
        if done + adding > limits.sessions_per_exercise_per_day:
            message = PER_EXERCISE_MESSAGE.format(
                done=count_text(done, "session"),
                exercise=exercise,
                limit=limits.sessions_per_exercise_per_day,
            )
            limit = limits.sessions_per_exercise_per_day
            warnings.append(LimitWarning("sessions_per_exercise_per_day", done, limit, message))
    if len(live) + adding > limits.sessions_per_day:
        message = SESSIONS_MESSAGE.format(
            done=count_text(len(live), "stretching session"), limit=limits.sessions_per_day
        )
        warnings.append(
            LimitWarning("sessions_per_day", len(live), limits.sessions_per_day, message)
        )
    full = adding and minutes >= limits.minutes_per_day
    if full or minutes + planned_s / 60.0 > limits.minutes_per_day:
        message = MINUTES_MESSAGE.format(minutes=minutes, limit=limits.minutes_per_day)
        warnings.append(
            LimitWarning("minutes_per_day", round(minutes, 1), limits.minutes_per_day, message)
        )
    return warnings


def new_session(
    today: Sequence[SessionRecord], exercise: str, limits: Limits, planned_s: float = 0.0
) -> list[LimitWarning]:
    """Daily limits a new session of `exercise` would pass, given today's sessions."""
    return passed(today, limits, exercise, planned_s)


def over_limit(day: Sequence[SessionRecord], limits: Limits) -> bool:
    """Whether one day's live sessions went past any daily limit."""
    return bool(passed(day, limits))


def pain_followup(
    stops: Sequence[PainStop], last_clean_live: datetime | None, now: datetime
) -> PainFollowup | None:
    """What to say before a session that follows a pain stop, or None.

    Two or more pain stops in the 7 days before `now` give a firm recommendation to see a
    professional. Otherwise, a pain stop since the last live session that went without one
    (`last_clean_live`, None if there is none) gives a reminder and the question whether the
    pain has gone. Stops after `now` do not count.
    """
    upto = [s for s in stops if s.at <= now]
    recent = [s for s in upto if s.at >= now - PAIN_WINDOW]
    if len(recent) >= 2:
        return PainFollowup(True, FIRM_MESSAGE.format(n=len(recent)), FIRM_QUESTION)
    since = last_clean_live or EPOCH
    if any(s.at >= since for s in upto):
        return PainFollowup(False, REMINDER_MESSAGE, REMINDER_QUESTION)
    return None
