"""How the judge reads one angle against one rule, and the judge's tunable thresholds.

One reading is unseen, short of the band, in it, over it, or past the safety limit: decided
here once, for the session, the overlay, photos and recognition alike. The thresholds are
named defaults that a pose file may override in a `[judge]` table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, Protocol


class Reading(StrEnum):
    UNSEEN = "unseen"
    SHORT = "short"
    IN_BAND = "in_range"
    OVER = "over"  # beyond the band, away from the start, but inside the limit
    PAST_LIMIT = "past_limit"


class Banded(Protocol):
    @property
    def target(self) -> tuple[float, float]: ...

    @property
    def limit_is_high(self) -> bool: ...

    def past_limit(self, value: float) -> bool: ...


def read(rule: Banded, value: float, widen: float = 0.0) -> Reading:
    """One value against one rule; `widen` grows the band (hysteresis while inside it)."""
    if not math.isfinite(value):
        return Reading.UNSEEN
    if rule.past_limit(value):
        return Reading.PAST_LIMIT
    lo, hi = rule.target
    if lo - widen <= value <= hi + widen:
        return Reading.IN_BAND
    beyond = value > hi if rule.limit_is_high else value < lo
    return Reading.OVER if beyond else Reading.SHORT


@dataclass(frozen=True)
class JudgeSettings:
    """Thresholds of the session machine; a pose file's `[judge]` table may override any."""

    hysteresis_deg: float = 3.0  # a band must be left by this much before the judge believes it
    seen_to_start_s: float = 0.5  # in view this long before coaching starts
    lost_view_s: float = 1.0  # unseen this long is a lost_view event
    settle_dps: float = 6.0  # slower than this, in band, is holding still
    # ...and a hold under way is left only above this share of it: noise on a still angle
    # reads a few deg/s on the slope, and one flicker over the line must not split the hold.
    settle_leave_ratio: float = 1.25
    hold_gap_s: float = 0.4  # a hold survives a stir this short
    hold_ok_tolerance_s: float = 0.3  # a hold this close to the target counts as full
    rep_enter_deg: float = 6.0  # an attempt starts this far from the resting posture...
    rep_enter_fraction: float = 0.15  # ...or this fraction of the start-to-target distance
    rep_exit_fraction: float = 0.5  # an attempt ends after falling back this share of its rise
    # ...or this many degrees, where the rest lies part-way (0 = no cap): on a roller or ball
    # each arch over it is a rep, and the person rests lying back on it between them.
    rep_exit_cap_deg: float = 0.0
    plateau_edge_deg: float = 1.5  # a hold's ends: within this of the hold's median angle
    plateau_fraction: float = 0.25  # a hold sits within this share of the rise below the peak
    release_dwell_s: float = 0.3  # the fall back must last this long: one stray frame is no end
    overextension_on_s: float = 0.23  # seven frames at 30 fps, four at 15
    overextension_off_s: float = 0.3
    too_fast_on_s: float = 0.11  # four frames at 30 fps, two at 15: one noisy frame is not a move
    # Live, speed comes from the One Euro filter, which already smooths one-frame noise: a
    # shorter debounce gets the warning out sooner (the seed: warn while it happens).
    live_too_fast_on_s: float = 0.0
    too_fast_off_s: float = 0.3
    too_fast_clear_ratio: float = 0.8  # the speed must fall below this share of the limit
    # Offline, a jolt is a spike of speed standing out from the speed 0.15 s either side
    # (core/filters.zero_phase_rates), over 0.15 s, that is a quick step (below) or a big
    # bounce. Measured on both generated families (5 seeds, 600 sessions): every injected
    # jolt read 310-1240 and fitted a step of 10-21 deg; spikes past 300 that were not jolts
    # fitted no step, or one of under 9 deg. Live, the One Euro acceleration is judged
    # against the pose file's max_accel_dps2 instead.
    jolt_dps2: float = 300.0
    # ... a spike that fits no step (out and back) is a jolt only past this: pose noise makes
    # such bumps of up to ~460 (the knee hug's, generated), a 20 deg bounce out and back
    # within 0.15-0.2 s each way reads 630-1120 at 15-30 fps (a 12-16 deg one 500-900 at
    # 30 fps; at 15 fps its peak is a frame or two wide and may read under the line).
    jolt_bump_dps2: float = 500.0
    # ... and a step is one at least this big (degrees): the jolt is 12-20 deg,
    # read 10-21 on these angles.
    jolt_step_min_deg: float = 9.5
    # ... and a jolt is quick: the smooth move fitted to its step (core/moves.step_duration)
    # takes at most this long. The jolt is 12-20 deg within 0.1-0.2 s: a 0.2 s step
    # reads up to 0.22 s at 15 fps (a constant-acceleration one, or where the frames fall),
    # a straight ramp 1.4x its length. Measured on both generated families at 15-30 fps:
    # jolts read 0.04-0.19 s, too-fast moves of 0.28 s or more 0.25 s or more.
    jolt_move_max_s: float = 0.23
    # ... and, where set, no bigger than this (degrees; 0 = any size): a quicker, larger
    # step is a fast move, too_fast's. Set where the jolt line sits close to what a fast
    # move into the stretch reads (the twist: 30-45 deg within 0.2-0.3 s reads like a jolt).
    jolt_step_max_deg: float = 0.0
    # A target rotation whose lower line jitters more than the jolts it must see (the twist:
    # the hips' depth noise) has its jolts read on its upper line against the running
    # median of its lower line over this window, seconds (scoring.steady_rotation). 0 = on
    # the angle itself.
    steady_lower_line_s: float = 0.0
    jerky_off_s: float = 0.4
    jerky_clear_ratio: float = 0.5
    short_cue_after_s: float = 2.5

    @classmethod
    def from_table(cls, table: dict[str, Any]) -> JudgeSettings:
        """Defaults overridden by a pose file's table; unknown keys raise KeyError(name)."""
        names = {f.name for f in fields(cls)}
        for key, value in table.items():
            if key not in names:
                raise KeyError(key)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(key)
        return cls(**{k: float(v) for k, v in table.items()})
