"""The seed's safety rules as debounced detectors: too fast, jerky, overextension, lost view.

A detector opens an event when its condition has held for `on_s` and closes it once the
clear condition has held for `off_s`; the event runs from the first to the last moment the
condition held, so debouncing delays the warning but not the recorded times.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from coach.core.events import MESSAGES, Event
from coach.core.exercises import AngleRule, Exercise

MAX_FRAME_S = 0.1  # a frame counts for its own interval, up to a 10 fps frame's


@dataclass
class Detector:
    """Hysteresis and minimum dwell for one condition on one angle."""

    type: str
    angle: str | None
    limit: float
    message: str
    on_s: float
    off_s: float
    worse: float = 1.0  # +1: the event's value is its highest reading; -1: its lowest
    event: Event | None = field(default=None, init=False)
    _cond_since: float | None = field(default=None, init=False)
    _clear_since: float | None = field(default=None, init=False)
    _last_true: float = field(default=0.0, init=False)
    _pending_peak: float = field(default=math.nan, init=False)
    _prev_t: float | None = field(default=None, init=False)

    @property
    def active(self) -> bool:
        return self.event is not None

    def _peak(self, old: float | None, value: float) -> float:
        if old is None or not math.isfinite(old):
            return value
        if not math.isfinite(value):
            return old
        return value if self.worse * (value - old) > 0 else old

    def update(self, t: float, cond: bool, clear: bool, value: float) -> tuple[str, Event] | None:
        """Feed one moment; returns ("open", event) or ("close", event) when that happens.

        The condition has held for as long as its frames cover, each frame counting for its
        own interval (at most MAX_FRAME_S: a gap is no evidence): two frames at 15 fps cover
        as long as four at 30."""
        frame_s = 0.0 if self._prev_t is None else min(max(t - self._prev_t, 0.0), MAX_FRAME_S)
        self._prev_t = t
        if cond:
            self._last_true = t
            self._clear_since = None
            if self.event is not None:
                self.event.end_s = t
                self.event.value = self._peak(self.event.value, value)
                return None
            if self._cond_since is None:
                self._cond_since = t
                self._pending_peak = value
            else:
                self._pending_peak = self._peak(self._pending_peak, value)
            if t - self._cond_since + frame_s >= self.on_s:
                self.event = Event(
                    self.type,
                    self._cond_since,
                    t,
                    self.angle,
                    self._pending_peak,
                    self.limit,
                    self.message,
                )
                self._cond_since = None
                return ("open", self.event)
            return None
        if self.event is None:
            self._cond_since = None
            return None
        if clear:
            if self._clear_since is None:
                self._clear_since = t
            if t - self._clear_since >= self.off_s:
                return self.close()
        else:
            self._clear_since = None
        return None

    def close(self) -> tuple[str, Event] | None:
        if self.event is None:
            return None
        ev = self.event
        ev.end_s = max(ev.start_s, self._last_true)
        self.event = None
        self._cond_since = self._clear_since = None
        return ("close", ev)


Reader = Callable[[AngleRule, str | None], float]


class SafetyMonitor:
    """The seed's safety rules on every judged angle that has a limit, in every phase.

    Overextension and speed are checked on each such angle (the neck too: "gentle and slow"
    is about the whole movement); jolts on the angles that drive the stretch. `value`,
    `speed` and `accel` read a rule's series for a side (mirrored where the rule says so).
    """

    def __init__(self, exercise: Exercise, live: bool = False) -> None:
        j = exercise.judge
        self.exercise = exercise
        self.detectors: dict[tuple[str, str], Detector] = {}
        self._rules = {rule.name: rule for rule in exercise.angles}
        for rule in exercise.angles:
            if not rule.check_limit:
                continue
            self.detectors[("overextension", rule.name)] = Detector(
                "overextension",
                rule.name,
                rule.limit,
                rule.limit_cue or MESSAGES["overextension"],
                on_s=j.overextension_on_s,
                off_s=j.overextension_off_s,
                worse=1.0 if rule.limit_is_high else -1.0,
            )
            self.detectors[("too_fast", rule.name)] = Detector(
                "too_fast",
                rule.name,
                rule.max_speed_dps,
                MESSAGES["too_fast"],
                on_s=j.live_too_fast_on_s if live else j.too_fast_on_s,
                off_s=j.too_fast_off_s,
            )
            if rule.role == "target":
                self.detectors[("jerky", rule.name)] = Detector(
                    "jerky",
                    rule.name,
                    exercise.max_accel_dps2 if live else j.jolt_dps2,
                    MESSAGES["jerky"],
                    on_s=0.0,
                    off_s=j.jerky_off_s,
                )

    def update(
        self, t: float, side: str | None, value: Reader, speed: Reader, accel: Reader
    ) -> list[tuple[str, Event]]:
        """Feed one moment; returns the events that opened or closed."""
        j = self.exercise.judge
        changes = []
        for (kind, name), det in self.detectors.items():
            rule = self._rules[name]
            if kind == "overextension":
                v = value(rule, side)
                if not math.isfinite(v):
                    change = det.update(t, False, True, v)
                else:
                    margin = j.hysteresis_deg if rule.limit_is_high else -j.hysteresis_deg
                    change = det.update(t, rule.past_limit(v), not rule.past_limit(v + margin), v)
            else:
                fast = kind == "too_fast"
                rate = (speed if fast else accel)(rule, side)
                if not math.isfinite(rate):
                    change = det.update(t, False, True, rate)
                else:
                    ratio = j.too_fast_clear_ratio if fast else j.jerky_clear_ratio
                    rate = abs(rate)
                    change = det.update(t, rate > det.limit, rate < ratio * det.limit, rate)
            if change is not None:
                changes.append(change)
        return changes

    def close_all(self) -> list[Event]:
        closed = []
        for det in self.detectors.values():
            change = det.close()
            if change is not None:
                closed.append(change[1])
        return closed


MERGED_TYPES = ("too_fast", "jerky")  # one quick movement, however many angles saw it


def merge_movements(events: list[Event], gap_s: float = 0.3) -> list[Event]:
    """One event per quick movement: the trunk and the neck turning too fast together are
    one too-fast move, reported on the angle that went furthest past its limit."""

    def excess(ev: Event) -> float:
        if ev.value is None or not ev.limit or not math.isfinite(ev.value):
            return 0.0
        return abs(ev.value) / abs(ev.limit)

    out: list[Event] = []
    last: dict[str, Event] = {}
    for ev in sorted(events, key=lambda e: (e.start_s, e.end_s)):
        prev = last.get(ev.type)
        if ev.type in MERGED_TYPES and prev is not None and ev.start_s <= prev.end_s + gap_s:
            if excess(ev) > excess(prev):
                prev.angle, prev.value, prev.limit = ev.angle, ev.value, ev.limit
                prev.message = ev.message
            prev.end_s = max(prev.end_s, ev.end_s)
            continue
        out.append(ev)
        last[ev.type] = ev
    return out
