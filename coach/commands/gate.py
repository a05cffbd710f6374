"""The gate at the start of `coach run`: the pain follow-up, then the daily limits.

Each concern is said plainly and then asked about; the rules themselves are core/limits.py and
the records come from the store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from coach.core.limits import LimitWarning
from coach.io import store as history
from coach.io.config import Limits, load_config


def limit_gate(
    db: history.DbPath | None,
    exercise: str,
    now: datetime,
    force: bool,
    ask: Callable[[str], bool],
    say: Callable[[str], None],
    limits: Limits | None = None,
) -> bool:
    """True if the session may start. Gives the pain follow-up, then any daily-limit warnings.

    Each concern is said plainly and then asked about; `force` skips the asking (the caller stores
    the session with forced=True). `limits` defaults to the user's config file.
    """
    followup = history.pain_followup(db, now)
    if followup is not None:
        say(followup.message)
        if force:
            say("Starting because of --force; this is recorded. Stop at once if anything hurts.")
        elif not ask(followup.question):
            say(_decline_after_pain(followup.firm))
            return False
    limits = limits if limits is not None else load_config().limits
    warnings = history.check_limits(db, exercise, now, limits)
    if not warnings:
        return True
    for warning in warnings:
        say(warning.message)
    if force:
        say("Starting anyway because of --force; this session is marked as forced in your history.")
        return True
    if ask("Do you still want to start another session today?"):
        return True
    say("Good call. No session now: rest is part of the exercise.")
    return False


def _decline_after_pain(firm: bool) -> str:
    if firm:
        return (
            "Then please don't start a session. Book an appointment with a doctor or "
            "physiotherapist before you stretch again."
        )
    return (
        "Then please rest and don't stretch while it hurts. If the pain stays or comes back, "
        "see a doctor or physiotherapist."
    )


def daily_limit_event(warnings: Sequence[LimitWarning], t: float = 0.0) -> dict[str, Any]:
    """A report event of type `daily_limit` for a session started past a limit (see DESIGN.md)."""
    if not warnings:
        raise ValueError("daily_limit_event needs at least one warning")
    first = warnings[0]
    return {
        "type": "daily_limit",
        "start_s": t,
        "end_s": t,
        "angle": None,
        "value": float(first.value),
        "limit": float(first.limit),
        "message": " ".join(w.message for w in warnings),
    }
