"""The daily-limit and pain rules as pure functions of hand-built records and `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coach.core import limits
from coach.core.limits import Limits
from coach.core.records import PainStop, SessionRecord

NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
LIMITS = Limits(sessions_per_exercise_per_day=2, sessions_per_day=3, minutes_per_day=10.0)


def session(
    exercise: str = "seated-twist", minutes: float = 1.0, kind: str = "live"
) -> SessionRecord:
    return SessionRecord(
        id=1,
        exercise=exercise,
        started_at=NOW - timedelta(hours=1),
        duration_s=minutes * 60.0,
        source=None,
        kind=kind,
        partial=False,
        forced=False,
        verdict=None,
        frames=None,
        frames_with_pose=None,
        reps=(),
        events=(),
    )


def keys(warnings: list[limits.LimitWarning]) -> list[str]:
    return [w.key for w in warnings]


def test_a_day_at_its_limit_is_not_over_it_but_leaves_no_room_for_another() -> None:
    day = [session(), session()]
    assert not limits.over_limit(day, LIMITS)
    assert keys(limits.new_session(day, "seated-twist", LIMITS)) == [
        "sessions_per_exercise_per_day"
    ]
    assert limits.new_session(day, "knees-to-chest", LIMITS) == []
    assert limits.over_limit([*day, session()], LIMITS)


def test_scored_recordings_do_not_count() -> None:
    day = [session(kind="scored") for _ in range(5)]
    assert not limits.over_limit(day, LIMITS)
    assert limits.new_session(day, "seated-twist", LIMITS) == []


def test_minutes_limit_counts_the_planned_time_and_a_full_day() -> None:
    day = [session("a", 4.0), session("b", 4.0)]
    assert limits.new_session(day, "c", LIMITS, planned_s=120.0) == []
    [w] = limits.new_session(day, "c", LIMITS, planned_s=121.0)
    assert w.key == "minutes_per_day" and w.value == 8.0 and "10 minutes" in w.message
    full = [session("a", 5.0), session("b", 5.0)]
    assert not limits.over_limit(full, LIMITS)
    assert keys(limits.new_session(full, "c", LIMITS)) == ["minutes_per_day"]


def test_pain_followup_firm_after_two_stops_in_a_week_and_reminder_after_one() -> None:
    def stop(days: float) -> PainStop:
        return PainStop(1, "seated-twist", NOW - timedelta(days=days))

    assert limits.pain_followup([], None, NOW) is None
    firm = limits.pain_followup([stop(1), stop(6.9)], None, NOW)
    assert firm is not None and firm.firm and "2 times" in firm.message
    reminder = limits.pain_followup([stop(1), stop(7.1)], None, NOW)
    assert reminder is not None and not reminder.firm
    assert limits.pain_followup([stop(2)], NOW - timedelta(days=1), NOW) is None
    assert limits.pain_followup([stop(-1)], None, NOW) is None  # a stop after now
