"""Holds within one attempt: the still stretches of time in the target pose (plateaus).

A hold is the time the person stays in the target pose and holds it still. Within one
attempt there may be several plateaus: a rest part-way in (lying back onto the roller before
arching over it), the hold itself, a stir in the middle of it. Which of them count is decided
here, once, from the plateaus' levels. Pure: times and progress values only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coach.core.moments import _Plateau

MIN_PLATEAU_S = 0.5  # still for less than this is a pause in a movement, not a hold


@dataclass
class Holds:
    """The plateaus of the attempt under way; `track` is fed every seen moment."""

    gap_s: float  # a hold survives a stir this short
    edge_deg: float  # a hold's ends: within this of the hold's median level
    closed: list[_Plateau] = field(default_factory=list)
    open: _Plateau | None = None

    def reset(self) -> None:
        self.closed, self.open = [], None

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
        """Seconds held so far in the hold under way, or None when not holding."""
        return None if self.open is None else self.open.end - self.open.start

    def held_s(self, tol: float) -> float:
        """Time held on the plateaus within `tol` of the highest one: a stir (or a jolt) in
        the hold does not restart it, and a rest part-way in is not the hold."""
        plateaus = self.all
        if not plateaus:
            return 0.0
        top = max(pl.level for pl in plateaus)
        return sum(pl.held_s(self.edge_deg) for pl in plateaus if pl.level >= top - tol)

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
