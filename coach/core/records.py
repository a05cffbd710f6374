"""What the store gives back: past sessions, their reps and events, and pain stops.

Plain frozen records, so the daily-limit and pain rules (limits.py) and the history views can
be tested with hand-built sessions, without a database.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any


def iso_utc(moment: datetime) -> str:
    """One fixed UTC format, so ISO strings sort and compare as times in SQL."""
    if moment.tzinfo is None:
        raise ValueError("history needs timezone-aware datetimes (use datetime.now(UTC))")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RepRecord:
    side: str | None
    start_s: float | None
    end_s: float | None
    hold_s: float | None
    target_hold_s: float | None
    peak_deg: dict[str, float | None]
    ok: bool | None


@dataclass(frozen=True)
class EventRecord:
    type: str
    start_s: float | None
    end_s: float | None
    angle: str | None
    value: float | None
    limit: float | None
    message: str | None


@dataclass(frozen=True)
class SessionRecord:
    id: int
    exercise: str
    started_at: datetime  # aware, UTC
    duration_s: float
    source: str | None
    kind: str
    partial: bool
    forced: bool
    verdict: str | None
    frames: int | None
    frames_with_pose: int | None
    reps: tuple[RepRecord, ...]
    events: tuple[EventRecord, ...]

    def event_count(self, event_type: str) -> int:
        return sum(1 for e in self.events if e.type == event_type)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with the reps and events in the report contract's shape."""
        return {
            "id": self.id,
            "exercise": self.exercise,
            "started_at": iso_utc(self.started_at),
            "duration_s": self.duration_s,
            "source": self.source,
            "kind": self.kind,
            "partial": self.partial,
            "forced": self.forced,
            "verdict": self.verdict,
            "frames": self.frames,
            "frames_with_pose": self.frames_with_pose,
            "reps": [asdict(r) for r in self.reps],
            "events": [asdict(e) for e in self.events],
        }


@dataclass(frozen=True)
class PainStop:
    session_id: int
    exercise: str
    at: datetime  # session start plus the event's start_s, UTC
