"""The independent family's still time: its scripted plateau plus the slow ends of the eases.

Hand-built scripts, so the number is known from the minimum-jerk profile alone: the speed of
a move of A deg over T s is 30 A/T s^2 (1-s)^2, slower than 5 deg/s for the last s* of it.
"""

from __future__ import annotations

import math

import pytest

from coach.sim.independent import STILL_DPS, Script, still_time
from coach.sim.independent_body import Pose


def slow_end_s(amp: float, dur: float) -> float:
    """Time at the end of a minimum-jerk move slower than STILL_DPS (closed form)."""
    # 30 A/T x^2 (1-x)^2 = v  ->  x (1-x) = sqrt(v T / (30 A))
    q = math.sqrt(STILL_DPS * dur / (30.0 * amp))
    return dur * (1.0 - math.sqrt(1.0 - 4.0 * q)) / 2.0


@pytest.mark.parametrize(("amp", "ease_s"), [(90.0, 6.0), (20.0, 1.2)])
def test_still_time_is_the_plateau_and_the_slow_ends_of_both_eases(amp: float, ease_s: float):
    script = Script(Pose())
    script.move(2.0, ease_s, {"ext": amp})
    hold_start, hold = 2.0 + ease_s, 10.0
    script.move(hold_start + hold, ease_s, {"ext": 0.0})
    rep = {
        "start_s": 2.0,
        "end_s": hold_start + hold + ease_s,
        "hold_start_s": hold_start,
        "hold_s": hold,
        "driver_channel": "ext",
    }
    want = hold + 2 * slow_end_s(amp, ease_s)
    assert still_time(script, rep) == pytest.approx(want, abs=0.01)
    assert still_time(script, rep) > hold + (1.0 if amp == 90.0 else 0.2)


def test_a_move_that_never_stops_has_no_still_time():
    script = Script(Pose())
    script.move(0.0, 10.0, {"ext": 100.0})  # 10 deg/s on average, never still mid-way
    rep = {"start_s": 0.0, "end_s": 10.0, "hold_start_s": 4.0, "hold_s": 2.0}
    assert still_time(script, {**rep, "driver_channel": "ext"}) == 0.0
