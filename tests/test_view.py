"""The overlay's content: gauges, counters, hold timer and prompts built from a Session."""

from __future__ import annotations

import math

from coach.core.cues import Cue, Priority
from coach.core.events import Event
from coach.core.session import Phase, Sample, Session, StepResult
from coach.core.view import WARNING_AFTER_S, Prompts, gauge_axis, overlay_state
from coach.io.poses import load_exercise


def feed(session: Session, t0: float, t1: float, values: dict[str, float], fps: float = 30.0):
    """Step the machine through a steady pose from t0 to t1."""
    n = round((t1 - t0) * fps)
    for i in range(n):
        t = t0 + i / fps
        speeds = dict.fromkeys(values, 0.0)
        session.step_sample(Sample(t, dict(values), speeds, dict(speeds)))


def knee_session(hip: float) -> Session:
    session = Session(load_exercise("knees-to-chest"))
    feed(session, 0.0, 1.5, {"hip_flexion": 150.0, "head_lift": -2.0})
    feed(session, 1.5, 4.0, {"hip_flexion": hip, "head_lift": -20.0})
    return session


def test_holding_session_gives_in_range_gauges_and_a_running_hold() -> None:
    state = overlay_state(knee_session(40.0), "Hold it there.", None)
    assert state.phase == Phase.HOLDING.value
    assert state.holding
    assert state.phase_text == "Hold"
    hip, head = state.gauges
    assert (hip.name, hip.value, hip.target, hip.limit) == ("hip_flexion", 40.0, (25.0, 75.0), 18.0)
    assert hip.in_range and not hip.over_limit and hip.role == "target"
    assert head.in_range and head.role == "form"
    assert state.hold_s is not None and 2.0 < state.hold_s < 2.6
    assert state.target_hold_s == 30.0
    assert math.isclose(state.hold_remaining_s or 0.0, 30.0 - state.hold_s)
    assert state.reps == {"total": 0}
    assert state.target_reps == 3
    assert state.instruction == "Hold it there."
    assert state.warning is None


def test_past_the_limit_reads_over_limit_and_out_of_range() -> None:
    state = overlay_state(knee_session(12.0), "", "Ease off")
    hip = state.gauges[0]
    assert hip.value == 12.0
    assert hip.over_limit and not hip.in_range
    assert state.warning == "Ease off"


def test_unseen_angle_gives_a_nan_gauge_that_is_neither_in_range_nor_over() -> None:
    session = knee_session(40.0)
    feed(session, 4.0, 4.1, {"hip_flexion": math.nan, "head_lift": math.nan})
    g = overlay_state(session, "", None).gauges[0]
    assert not g.seen and not g.in_range and not g.over_limit


def test_left_twist_reads_mirrored_with_its_side() -> None:
    ex = load_exercise("seated-twist").with_variant("chair")
    session = Session(ex)
    feed(session, 0.0, 1.5, {"trunk_rotation": 0.0, "head_rotation": 0.0})
    feed(session, 1.5, 3.0, {"trunk_rotation": -40.0, "head_rotation": -30.0})
    state = overlay_state(session, "", None, mirrored=True)
    trunk = state.gauges[0]
    assert state.side == "left"
    assert trunk.value == 40.0 and trunk.in_range and trunk.side == "left"
    assert state.reps == {"right": 0, "left": 0}
    assert state.mirrored
    assert state.phase_text == "Hold"


def test_gauge_axis_spans_start_target_and_limit() -> None:
    rule = load_exercise("seated-twist").angle("trunk_rotation")
    lo, hi = gauge_axis(rule)
    assert lo < rule.start[0] and hi > rule.limit


def test_completed_rep_is_counted_on_its_side() -> None:
    ex = load_exercise("seated-twist").with_variant("chair")
    session = Session(ex)
    feed(session, 0.0, 1.5, {"trunk_rotation": 0.0, "head_rotation": 0.0})
    feed(session, 1.5, 8.0, {"trunk_rotation": 40.0, "head_rotation": 30.0})
    feed(session, 8.0, 9.0, {"trunk_rotation": 0.0, "head_rotation": 0.0})
    state = overlay_state(session, "", None)
    assert state.reps == {"right": 1, "left": 0}
    assert state.hold_s is None


def test_warning_stays_while_open_and_for_a_minimum_after() -> None:
    prompts = Prompts(load_exercise("knees-to-chest"))
    ev = Event("too_fast", 1.0, 1.0, "hip_flexion", 200.0, 120.0, "Slow down.")
    assert prompts.update(1.0, StepResult(opened=[ev]))[1] == "Slow down."
    assert prompts.update(5.0, StepResult())[1] == "Slow down."  # still open
    assert prompts.update(5.1, StepResult(closed=[ev]))[1] == "Slow down."  # just closed
    assert prompts.update(5.1 + WARNING_AFTER_S - 0.01, StepResult())[1] == "Slow down."
    assert prompts.update(5.1 + WARNING_AFTER_S + 0.01, StepResult())[1] is None
    prompts.update(6.0, StepResult(opened=[ev]))  # a 0.1 s jolt: up 1.5 s after, not 2.5 s
    assert prompts.update(6.1, StepResult(closed=[ev]))[1] == "Slow down."
    assert prompts.update(6.1 + WARNING_AFTER_S + 0.01, StepResult())[1] is None


def test_instruction_follows_cues_but_not_safety_ones() -> None:
    prompts = Prompts(load_exercise("knees-to-chest"))
    assert "laptop" in prompts.instruction  # placement first
    cue = Cue("Hold it there.", Priority.INSTRUCTION, "hold", 1.0)
    safety = Cue("Slow down.", Priority.SAFETY, "too_fast", 2.0)
    assert prompts.update(1.0, StepResult(cues=[cue]))[0] == "Hold it there."
    assert prompts.update(2.0, StepResult(cues=[safety]))[0] == "Hold it there."
    info = Cue("Hold... 5 more seconds.", Priority.INFO, "countdown", 2.2)
    assert prompts.update(2.2, StepResult(cues=[info]))[0] == "Hold it there."  # too soon
    assert prompts.update(3.0, StepResult(cues=[info]))[0] == "Hold... 5 more seconds."
