"""Reps past the plan: once a side has its planned good reps, further reps there are extra.

Over-doing a stretch within one session is what the daily limits guard against across
sessions, so extra reps are counted, said ("2 more than planned: rest now"), flagged in the
verdict and stored with the reps. Pure: works on the session's list of reps.
"""

from __future__ import annotations

from collections.abc import Sequence

from coach.core.moments import Rep


def _key(rep: Rep, sided: bool) -> str:
    return (rep.side or "right") if sided else "total"


def extra_flags(reps: Sequence[Rep], reps_per_side: int, sided: bool) -> list[bool]:
    """For each rep in order: True when its side already had `reps_per_side` good reps."""
    good: dict[str, int] = {}
    flags = []
    for rep in reps:
        key = _key(rep, sided)
        flags.append(good.get(key, 0) >= reps_per_side)
        if rep.ok:
            good[key] = good.get(key, 0) + 1
    return flags


def extra_counts(reps: Sequence[Rep], reps_per_side: int, sided: bool) -> dict[str, int]:
    """Extra reps per side ({"right": n, "left": n}) or in all ({"total": n})."""
    counts = {"right": 0, "left": 0} if sided else {"total": 0}
    for rep, extra in zip(reps, extra_flags(reps, reps_per_side, sided), strict=True):
        if extra:
            counts[_key(rep, sided)] += 1
    return counts


def extra_text(n: int) -> str:
    """What the coach says after an extra rep."""
    return f"{n} more than planned: rest now."
