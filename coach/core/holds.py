"""Holds within one attempt: the still stretches of time in the target pose (plateaus).

A hold is the time the person stays in the target pose and holds it still, from where the
move in ended to where the move out began (core/moves.py: not the slow ends of smooth eases,
which a stillness test lets in). Within one attempt there may be several plateaus: a rest
part-way in (lying back onto the roller before arching over it), the hold itself, a stir in
the middle of it. Which of them count is decided here, once, from the plateaus' levels. Pure:
times and angles only.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from coach.core.moments import _Plateau
from coach.core.moves import MOVE_TRIM_MAX_S, Moment, hold_edge

MIN_PLATEAU_S = 0.5  # still for less than this is a pause in a movement, not a hold
TRACE_S = 8.0  # how far before an attempt the move into its hold is looked for


@dataclass
class Holds:
    """The plateaus of the attempt under way; `track` is fed every seen moment."""

    gap_s: float  # a hold survives a stir this short
    edge_deg: float  # a hold's ends: within this of the hold's median level
    closed: list[_Plateau] = field(default_factory=list)
    open: _Plateau | None = None
    trace: deque[Moment] = field(default_factory=deque)
    since: float | None = None  # the attempt under way began here
    arrivals: dict[float, float | None] = field(default_factory=dict)  # by plateau start

    def see(self, t: float, angles: dict[str, float]) -> None:
        """Every seen moment's judged angles, from TRACE_S before the attempt under
        way (or the last TRACE_S between attempts): the moves into and out of its holds."""
        self.trace.append((t, angles))
        keep = (t if self.since is None else self.since) - TRACE_S
        while self.trace and self.trace[0][0] < keep:
            self.trace.popleft()

    def reset(self, since: float | None = None) -> None:
        """A new attempt began at `since` (None: between attempts)."""
        self.closed, self.open, self.since = [], None, since
        self.arrivals = {}

    def arrival(self, plateau: _Plateau, final: bool = True) -> float | None:
        """When the move into this plateau ended (see hold_edge): worked out once the trace
        runs MOVE_TRIM_MAX_S past its start, then kept; before that, only if `final`."""
        if plateau.start in self.arrivals:
            return self.arrivals[plateau.start]
        complete = bool(self.trace) and self.trace[-1][0] >= plateau.start + MOVE_TRIM_MAX_S
        if not (complete or final):
            return None
        before = [pl.end for pl in self.all if pl.end < plateau.start]
        bound = max(before, default=-math.inf)
        out = hold_edge(list(self.trace), plateau.start, plateau.end, True, bound)
        if complete:
            self.arrivals[plateau.start] = out
        return out

    def track(self, t: float, p: float, holding: bool, calm: bool = True) -> str | None:
        """Open, extend or close the plateau; says "opened" or "closed" when that happens.

        `holding` keeps a hold going (the leave line of the settle speed); `calm` is the
        stricter enter line. A hold that ends is cut back to its last calm moment, so the
        looser line bridges noise inside a hold but never lengthens it into the move out."""
        plateau = self.open
        if holding:
            if plateau is None:
                self.open = _Plateau(t, t, p, [(t, p)])
                return "opened"
            plateau.end = t
            plateau.level = max(plateau.level, p)
            plateau.samples.append((t, p))
            if calm:
                plateau.calm_end = t
        elif plateau is not None and t - plateau.end > self.gap_s:
            self.close()
            return "closed"
        return None

    def close(self) -> None:
        if self.open is not None:
            self.closed.append(self.open.cut_to_calm())
            self.open = None

    @property
    def all(self) -> list[_Plateau]:
        """The plateaus long enough to be a hold or a rest: the turn at the top of a jolt is
        momentarily still, but it is no plateau."""
        plateaus = [*self.closed, *([self.open] if self.open is not None else [])]
        return [pl for pl in plateaus if pl.end - pl.start >= MIN_PLATEAU_S]

    def current_s(self) -> float | None:
        """Seconds held so far in the hold under way, or None when not holding: from the end
        of the move in, once that is known (MOVE_TRIM_MAX_S into the hold)."""
        if self.open is None:
            return None
        arrived = self.arrival(self.open, final=False)
        return max(0.0, self.open.end - max(self.open.start, arrived or self.open.start))

    def held_s(self, tol: float) -> float:
        """Time held on the plateaus within `tol` of the highest one: a stir (or a jolt) in
        the hold does not restart it, and a rest part-way in is not the hold."""
        plateaus = self.all
        if not plateaus:
            return 0.0
        top = max(pl.level for pl in plateaus)
        near = sorted((pl for pl in plateaus if pl.level >= top - tol), key=lambda pl: pl.start)
        spans = [pl.held_span(self.edge_deg) for pl in near]
        # Not the slow ends of the moves in and out (core/moves.py).
        arrived = self.arrival(near[0])
        last = near[-1]
        after = [pl.start for pl in plateaus if pl.start > last.end]
        left = hold_edge(
            list(self.trace), last.start, last.end, False, min(after, default=math.inf)
        )
        if arrived is not None:
            spans[0] = (max(spans[0][0], arrived), spans[0][1])
        if left is not None:
            spans[-1] = (spans[-1][0], min(spans[-1][1], left))
        return sum(max(0.0, b - a) for a, b in spans)

    def settled_start(self, start: float, enter_deg: float) -> float:
        """Where the attempt really began: after the last settle well below its hold (the
        person lying back onto the roller first, then arching over it)."""
        plateaus = self.all
        if not plateaus:
            return start
        top = max(plateaus, key=lambda pl: pl.level)
        lower = [pl for pl in plateaus if pl.end < top.start and pl.level <= top.level - enter_deg]
        return max([start, *(pl.end for pl in lower)])

    def top_level(self) -> float | None:
        """The level of the highest plateau so far, or None before the first."""
        plateaus = self.all
        return max(pl.level for pl in plateaus) if plateaus else None

    def first_level(self) -> float | None:
        plateaus = self.all
        return min(plateaus, key=lambda pl: pl.start).level if plateaus else None
