"""The seed's safety rules as debounced detectors: too fast, jerky, overextension, lost view.

A detector opens an event when its condition has held for `on_s` and closes it once the
clear condition has held for `off_s`; the event runs from the first to the last moment the
condition held, so debouncing delays the warning but not the recorded times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from coach.core.events import Event


@dataclass
class Detector:
    """Hysteresis and minimum dwell for one condition on one angle."""

    type: str
    angle: str | None
    limit: float
    message: str
    on_s: float
    off_s: float
    peak_abs: bool = True  # the event's value is its largest magnitude
    event: Event | None = field(default=None, init=False)
    _cond_since: float | None = field(default=None, init=False)
    _clear_since: float | None = field(default=None, init=False)
    _last_true: float = field(default=0.0, init=False)
    _pending_peak: float = field(default=math.nan, init=False)

    @property
    def active(self) -> bool:
        return self.event is not None

    def _peak(self, old: float | None, value: float) -> float:
        if old is None or not math.isfinite(old):
            return value
        if not math.isfinite(value):
            return old
        return value if abs(value) > abs(old) else old

    def update(self, t: float, cond: bool, clear: bool, value: float) -> tuple[str, Event] | None:
        """Feed one moment; returns ("open", event) or ("close", event) when that happens."""
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
            if t - self._cond_since >= self.on_s:
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
