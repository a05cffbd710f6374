"""The judge at its limits, on hand-built angle series: no generator, no pose model.

Each series is a piecewise-linear script of one stretch's angles at 30 frames a second, fed
through the offline smoothing and the session machine exactly as a recording would be. The
lines are written here as numbers, from the published figures the README and the pose files
cite, never read from the rule objects: a judge (or a pose file) whose limits or speed checks
drift by a few degrees fails here, just over or just under each line.

"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from coach.core.exercises import Exercise
from coach.core.report import build_report
from coach.core.scoring import score_series, smooth_series
from coach.io.poses import load_exercise

FPS = 30.0

# The lines under test, from their sources (not from poses/*.toml):
KNEE_HUG_SPEED_DPS = 90.0  # twice a calm knee pull (20-45 deg/s): "gentle and slow"
NECK_SPEED_DPS = 60.0  # the head lowered back: as slow as the trunk
KNEE_HUG_LIMIT_DEG = 18.0  # shoulder-hip-knee compressed past any hug seen: pulling too hard
TWIST_LIMIT_DEG = 55.0  # AAOS thoracolumbar rotation 45 deg + 10 for shoulder-blade motion
NECK_LIMIT_DEG = 45.0  # AAOS cervical extension 45 deg
STANDING_START_LOW_DEG = -15.0  # the standing start band's low edge (leaning forward a little)


def script(*knots: tuple[float, float], fps: float = FPS) -> tuple[np.ndarray, np.ndarray]:
    """Times and values through (time, value) knots, straight lines between them."""
    ts, vs = zip(*knots, strict=True)
    t = np.arange(0.0, ts[-1] + 1e-9, 1.0 / fps)
    return t, np.interp(t, ts, vs)


def judge(ex: Exercise, t: np.ndarray, **angles: np.ndarray | float) -> dict[str, Any]:
    """The report for these angle series (a number: held still the whole time)."""
    raw = {}
    for rule in ex.angles:
        value = angles.get(rule.name, math.nan)
        raw[rule.name] = np.broadcast_to(np.asarray(value, dtype=float), t.shape).copy()
    session, _ = score_series(smooth_series(t, raw), ex)
    return build_report(session, "hand-built")


def events(report: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in report["events"] if e["type"] == kind]


# ----- gentle and slow ----------------------------------------------------------------------
def knees_at_speed(ratio: float) -> tuple[Exercise, np.ndarray, np.ndarray, float]:
    """Knees pulled from 150 to 40 deg at `ratio` x the hip angle's speed limit."""
    ex = load_exercise("knees-to-chest")
    speed = ratio * KNEE_HUG_SPEED_DPS
    move = 110.0 / speed
    t, hip = script((0, 150), (3, 150), (3 + move, 40), (40, 40), (44, 150), (48, 150))
    return ex, t, hip, 3.0


def test_a_move_at_1_1x_the_speed_limit_warns_within_0_2_s() -> None:
    ex, t, hip, start = knees_at_speed(1.1)
    fast = events(judge(ex, t, hip_flexion=hip, head_lift=-20.0), "too_fast")
    assert fast, "a move 10% over the limit must warn"
    assert fast[0]["start_s"] - start <= 0.2


def test_a_move_at_0_9x_the_speed_limit_never_warns() -> None:
    ex, t, hip, _ = knees_at_speed(0.9)
    report = judge(ex, t, hip_flexion=hip, head_lift=-20.0)
    assert events(report, "too_fast") == []
    assert events(report, "jerky") == []


def test_the_neck_alone_thrown_back_fast_warns() -> None:
    ex = load_exercise("chair-back-extension")
    move = 30.0 / (1.3 * NECK_SPEED_DPS)
    t, neck = script((0, 0), (4, 0), (6, 0), (6 + move, 30), (20, 30), (24, 0), (26, 0))
    _, trunk = script((0, 0), (4, 20), (20, 20), (24, 0), (26, 0))
    fast = events(judge(ex, t, trunk_extension=trunk, neck_extension=neck), "too_fast")
    assert [e["angle"] for e in fast] == ["neck_extension"]
    assert fast[0]["start_s"] == pytest.approx(6.0, abs=0.3)


# ----- never overextend ---------------------------------------------------------------------
def knees_hugged_to(hip_deg: float) -> dict[str, Any]:
    ex = load_exercise("knees-to-chest")
    t, hip = script((0, 150), (3, 150), (8, hip_deg), (20, hip_deg), (25, 150), (28, 150))
    return judge(ex, t, hip_flexion=hip, head_lift=-20.0)


def test_two_degrees_past_the_limit_warns() -> None:
    limit = KNEE_HUG_LIMIT_DEG  # a low limit: past it is below it
    over = events(knees_hugged_to(limit - 2.0), "overextension")
    assert len(over) == 1
    assert over[0]["angle"] == "hip_flexion"
    assert over[0]["value"] == pytest.approx(limit - 2.0, abs=0.5)


def test_two_degrees_inside_the_limit_never_warns() -> None:
    assert events(knees_hugged_to(KNEE_HUG_LIMIT_DEG + 2.0), "overextension") == []


@pytest.mark.parametrize("delta, warns", [(2.0, True), (-2.0, False)])
def test_the_twist_limit_is_judged_on_either_side(delta: float, warns: bool) -> None:
    ex = load_exercise("seated-twist")
    turn = -(TWIST_LIMIT_DEG + delta)  # to the left: the rule reads it mirrored
    t, rot = script((0, 0), (3, 0), (6, turn), (14, turn), (17, 0), (19, 0))
    over = events(judge(ex, t, trunk_rotation=rot), "overextension")
    assert bool(over) is warns


def test_overextension_is_watched_during_set_up_too() -> None:
    """Someone already deep in the stretch from the first frame is still warned."""
    ex = load_exercise("chair-back-extension")
    limit = NECK_LIMIT_DEG
    t, _ = script((0, 0), (12, 0))
    report = judge(ex, t, trunk_extension=20.0, neck_extension=limit + 5.0)
    over = events(report, "overextension")
    assert over and over[0]["start_s"] <= 0.5


# ----- reps and holds -----------------------------------------------------------------------
def chair_rep(hold: float, dip: float = 0.0) -> dict[str, Any]:
    """One chair extension: 20 s/deg gentle moves, a hold at 20 deg, an optional dip."""
    ex = load_exercise("chair-back-extension")
    knots = [(0.0, 0.0), (3.0, 0.0), (4.0, 20.0)]
    if dip:
        mid = 4.0 + hold / 2
        knots += [(mid - 0.4, 20.0), (mid, 20.0 - dip), (mid + 0.4, 20.0)]
    knots += [(4.0 + hold, 20.0), (5.0 + hold, 0.0), (9.0 + hold, 0.0)]
    t, trunk = script(*knots)
    return judge(ex, t, trunk_extension=trunk, neck_extension=10.0)


def test_a_3_s_hold_against_a_10_s_target_is_a_rep_not_ok_with_its_time() -> None:
    report = chair_rep(hold=3.0)
    assert len(report["reps"]) == 1
    rep = report["reps"][0]
    assert rep["target_hold_s"] == 10 and not rep["ok"]
    assert rep["hold_s"] == pytest.approx(3.0, abs=0.3)


def test_a_full_hold_is_ok_and_its_time_is_the_held_plateau() -> None:
    rep = chair_rep(hold=12.0)["reps"][0]
    assert rep["ok"]
    assert rep["hold_s"] == pytest.approx(12.0, abs=0.3)


def test_a_dip_inside_the_hysteresis_does_not_split_the_rep() -> None:
    report = chair_rep(hold=12.0, dip=2.5)
    assert len(report["reps"]) == 1
    assert report["reps"][0]["ok"]


def test_a_rep_is_counted_from_a_resting_posture_outside_the_start_band() -> None:
    """Camera roll of a few degrees puts the rest outside the start band: still coached."""
    ex = load_exercise("standing-back-extension")
    rest = STANDING_START_LOW_DEG - 4.0
    t, trunk = script((0, rest), (3, rest), (4.5, 18), (12, 18), (13.5, rest), (16, rest))
    reps = judge(ex, t, trunk_extension=trunk, neck_extension=5.0)["reps"]
    assert len(reps) == 1 and reps[0]["hold_s"] == pytest.approx(7.5, abs=0.4)


def test_roller_reps_from_lying_back_on_it() -> None:
    """Already lying on the roller: each arch over it and back is one rep."""
    ex = load_exercise("foam-roller-extension")
    knots = [(0.0, 70.0), (3.0, 70.0)]
    t0 = 3.0
    for _ in range(3):
        knots += [(t0 + 1.0, 88.0), (t0 + 12.0, 88.0), (t0 + 13.0, 70.0), (t0 + 16.0, 70.0)]
        t0 += 16.0
    t, trunk = script(*knots)
    _, neck = script(*[(k, 0.0 if v == 70.0 else 25.0) for k, v in knots])
    reps = judge(ex, t, trunk_recline=trunk, neck_extension=neck, hip_opening=150.0)["reps"]
    assert len(reps) == 3
    assert all(r["hold_s"] == pytest.approx(11.0, abs=0.4) for r in reps)


ROLLER_LIMIT_DEG = 115.0  # trunk 25 deg below level: arched past AAOS extension 25 deg
CHAIR_LIMIT_DEG = 40.0  # AAOS 25 + 15 deg of recline a backrest allows


def test_an_arch_held_past_the_limit_and_back_onto_the_roller_is_its_own_rep() -> None:
    """The seed: sit, lie back once onto the roller, arch over it, come back onto it,
    repeat. An arch held past the limit is still a rep (with its overextension) and ends
    back on the roller; the next arch is the next rep."""
    ex = load_exercise("foam-roller-extension")
    over = ROLLER_LIMIT_DEG + 4.0
    t, trunk = script(
        (0, 10), (3, 10), (6, 70), (10, 70), (12, over), (16, over), (18, 70), (22, 70),
        (24, 95), (36, 95), (38, 70), (42, 70), (45, 10), (48, 10),
    )  # fmt: skip
    report = judge(ex, t, trunk_recline=trunk, neck_extension=10.0, hip_opening=150.0)
    reps = report["reps"]
    assert len(reps) == 2
    assert not reps[0]["ok"] and reps[0]["end_s"] < 23.0  # ended back on the roller
    assert reps[1]["ok"] and reps[1]["hold_s"] == pytest.approx(12.0, abs=0.5)
    assert events(report, "overextension")


# Over a ball the trunk lies near flat (90 deg) and a normal arch adds the AAOS 25-30 deg of
# thoracolumbar extension: up to ~118 deg is the held arch. On a roller the trunk rests lower
# (~70) and arches to ~108. Past that is "far enough", short of the limits (125, 115). Moving
# up from inside the band, the judge believes the band left only 3 deg past its edge.
ARCH_TOP_DEG = {"ball-back-extension": (90.0, 118.0), "foam-roller-extension": (70.0, 108.0)}
BAND_HYSTERESIS_DEG = 3.0


@pytest.mark.parametrize("ex_id", sorted(ARCH_TOP_DEG))
@pytest.mark.parametrize("delta, held", [(-2.0, True), (BAND_HYSTERESIS_DEG + 1.0, False)])
def test_an_arch_just_inside_the_normal_range_is_held_and_just_past_it_is_not(
    ex_id: str, delta: float, held: bool
) -> None:
    ex = load_exercise(ex_id)
    rest, top = ARCH_TOP_DEG[ex_id]
    arch = top + delta
    t, trunk = script(
        (0, 10), (3, 10), (6, rest), (10, rest), (12, arch), (24, arch), (26, rest),
        (30, rest), (33, 10), (36, 10),
    )  # fmt: skip
    report = judge(ex, t, trunk_recline=trunk, neck_extension=10.0, hip_opening=150.0)
    reps = report["reps"]
    assert len(reps) == 1  # a rep either way, ended back on the ball or roller
    assert (reps[0]["hold_s"] >= 11.0) is held
    assert reps[0]["ok"] is held
    assert events(report, "overextension") == []  # short of the limit either way


def test_easing_back_into_the_band_from_past_the_limit_is_the_hold_going_on() -> None:
    """On a chair there is no rest part-way: past the limit and back into the band, the
    person is still holding the stretch; one rep, its hold both sides of the excursion."""
    ex = load_exercise("chair-back-extension")
    over = CHAIR_LIMIT_DEG + 5.0
    t, trunk = script(
        (0, 0), (3, 0), (5, 20), (9, 20), (10.5, over), (12.5, over), (14, 20), (22, 20),
        (24, 0), (28, 0),
    )  # fmt: skip
    report = judge(ex, t, trunk_extension=trunk, neck_extension=5.0)
    reps = report["reps"]
    assert len(reps) == 1 and not reps[0]["ok"]  # overextended
    assert reps[0]["hold_s"] >= 11.0  # 4 s before and 8 s after the excursion
    assert events(report, "overextension")


def test_sitting_on_the_roller_without_arching_is_no_rep() -> None:
    ex = load_exercise("foam-roller-extension")
    t, trunk = script((0, 5), (3, 5), (6, 70), (60, 70))
    report = judge(ex, t, trunk_recline=trunk, neck_extension=0.0, hip_opening=150.0)
    assert report["reps"] == []


@pytest.mark.parametrize("delta, warns", [(2.0, True), (-2.0, False)])
def test_the_neck_limit_during_a_chair_extension(delta: float, warns: bool) -> None:
    ex = load_exercise("chair-back-extension")
    neck = NECK_LIMIT_DEG + delta
    t, trunk = script((0, 0), (3, 0), (5, 20), (15, 20), (17, 0), (19, 0))
    _, head = script((0, 0), (3, 0), (5, neck), (15, neck), (17, 0), (19, 0))
    over = events(judge(ex, t, trunk_extension=trunk, neck_extension=head), "overextension")
    assert bool(over) is warns
    if warns:
        assert over[0]["angle"] == "neck_extension"


@pytest.mark.parametrize("ratio, warns", [(1.2, True), (0.85, False)])
def test_the_neck_speed_limit_alone(ratio: float, warns: bool) -> None:
    ex = load_exercise("chair-back-extension")
    move = 30.0 / (ratio * NECK_SPEED_DPS)
    t, neck = script((0, 0), (4, 0), (6, 0), (6 + move, 30), (20, 30), (24, 0), (26, 0))
    _, trunk = script((0, 0), (4, 20), (20, 20), (24, 0), (26, 0))
    fast = events(judge(ex, t, trunk_extension=trunk, neck_extension=neck), "too_fast")
    assert bool(fast) is warns


# ----- jolts ----------------------------------------------------------------------------------
# A jolt, as a plain rule would see it: the angle jumps within a tenth of a second and stays.
# The seed-level jolt is 12-20 deg within 0.1-0.2 s; the line sits near a 9-10 deg step, so
# 12 deg warns and 7 deg does not, wherever the frames fall, at 15 fps as at 30.
JOLT_LINE_DPS2 = 450.0  # a 9 deg jump in 0.1 s, read as a speed spike over 0.15 s
JOLT_OVER_DEG = 12.0
JOLT_UNDER_DEG = 7.0
JOLT_S = 0.1
OFFSETS = (0.0, 0.013, 0.029, 0.047, 0.061)  # where the frames fall on the jump


def hug_with_jolt(jump: float, fps: float, at: float) -> tuple[Exercise, np.ndarray, np.ndarray]:
    """Knees hugged to 50 deg and held; at `at` s the hip angle jumps `jump` deg further in."""
    ex = load_exercise("knees-to-chest")
    knots = ((0, 150), (3, 150), (5, 50), (at, 50), (at + JOLT_S, 50 - jump), (40, 50 - jump))
    t, hip = script(*knots, (44, 150), (48, 150), fps=fps)
    return ex, t, hip


@pytest.mark.parametrize("fps", [15.0, 30.0])
@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("jump, warns", [(JOLT_OVER_DEG, True), (JOLT_UNDER_DEG, False)])
def test_a_jolt_just_over_the_line_warns_and_just_under_does_not_at_15_and_30_fps(
    fps: float, offset: float, jump: float, warns: bool
) -> None:
    at = 20.0 + offset
    ex, t, hip = hug_with_jolt(jump, fps, at)
    report = judge(ex, t, hip_flexion=hip, head_lift=-20.0)
    jerky = events(report, "jerky")
    assert bool(jerky) is warns, f"{jump} deg in {JOLT_S} s at {fps:g} fps: {jerky}"
    if warns:
        assert abs(jerky[0]["start_s"] - at) <= 0.2  # warned while it happens
        assert jerky[0]["angle"] == "hip_flexion"
        # 120 deg/s for a tenth of a second: faster than the limit as well
        assert events(report, "too_fast")
    else:
        assert events(report, "too_fast") == []  # 70 deg/s for 0.1 s: under the 90 limit


def jolt_readings(jump: float, fps: float) -> list[float]:
    out = []
    for offset in OFFSETS:
        _, t, hip = hug_with_jolt(jump, fps, 20.0 + offset)
        series = smooth_series(t, {"hip_flexion": hip})
        near = (t > 19.5) & (t < 20.8)
        out.append(float(np.nanmax(np.abs(series.accel["hip_flexion"][near]))))
    return out


def test_a_jolt_reads_alike_at_15_and_30_fps() -> None:
    """The jolt is read on a fixed time grid, not from differences of frames: at 15 fps a
    frame difference spans twice the time and used to halve the reading."""
    slow, fast = jolt_readings(JOLT_OVER_DEG, 15.0), jolt_readings(JOLT_OVER_DEG, 30.0)
    assert min(slow + fast) > JOLT_LINE_DPS2
    assert np.mean(slow) / np.mean(fast) > 0.75


def test_a_move_that_starts_abruptly_is_no_jolt() -> None:
    """A brisk move that starts at full speed (a straight ramp) has no spike of speed."""
    _, t, hip, _ = knees_at_speed(0.9)
    series = smooth_series(t, {"hip_flexion": hip})
    assert np.nanmax(np.abs(series.accel["hip_flexion"])) < 0.2 * JOLT_LINE_DPS2


# ----- a jolt against a fast move of the same size ------------------------------------------
# Both make a spike of speed; what tells them apart is how abrupt the step is. A 20 deg step
# within 0.2 s rises from 10% to 90% of its size in ~0.11 s; the same 20 deg over 0.34 s, a
# fast move (118 deg/s at its peak), in ~0.19 s.
def fast_move(t: np.ndarray, t0: float, dur: float, size: float) -> np.ndarray:
    """Constant acceleration, then constant deceleration: how a quick move is made."""
    s = np.clip((t - t0) / dur, 0.0, 1.0)
    return size * np.where(s < 0.5, 2 * s**2, 1 - 2 * (1 - s) ** 2)


@pytest.mark.parametrize("fps", [15.0, 30.0])
@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("dur, jerky", [(0.2, True), (0.34, False)])
def test_a_jolt_is_an_abrupt_step_and_a_fast_move_of_its_size_is_not(
    fps: float, offset: float, dur: float, jerky: bool
) -> None:
    ex = load_exercise("knees-to-chest")
    at = 20.0 + offset
    t, hip = script((0, 150), (3, 150), (5, 50), (40, 50), (44, 150), (48, 150), fps=fps)
    hip = hip - fast_move(t, at, dur, 20.0) + fast_move(t, 36.0, 4.0, 20.0)  # back gently
    report = judge(ex, t, hip_flexion=hip, head_lift=-20.0)
    assert bool(events(report, "jerky")) is jerky, f"20 deg over {dur} s at {fps:g} fps"
    if jerky:  # a jolt is judged at its own speed too (200 deg/s at its peak)
        fast = events(report, "too_fast")
        assert fast and abs(fast[0]["start_s"] - at) <= 0.3


@pytest.mark.parametrize("fps", [15.0, 30.0])
@pytest.mark.parametrize("offset", OFFSETS[:3])
@pytest.mark.parametrize("jump, warns", [(10.5, True), (8.5, False)])
def test_the_step_size_line_just_over_and_just_under(
    fps: float, offset: float, jump: float, warns: bool
) -> None:
    """A quick step is a jolt from about 9.5 deg (the issue's jolt is 12-20 deg; pose noise
    makes quick steps of up to ~8.5): 1 deg either side is clear."""
    at = 20.0 + offset
    ex, t, hip = hug_with_jolt(jump, fps, at)
    jerky = events(judge(ex, t, hip_flexion=hip, head_lift=-20.0), "jerky")
    assert bool(jerky) is warns, f"{jump} deg in {JOLT_S} s at {fps:g} fps: {jerky}"


def hug_with_bounce(
    size: float, each_s: float, fps: float, at: float = 20.0
) -> tuple[Exercise, np.ndarray, np.ndarray]:
    """Knees hugged to 50 deg; at `at` s the hip angle bounces `size` deg further in and
    back, `each_s` each way (cosine eases), and the hold goes on."""
    ex = load_exercise("knees-to-chest")
    t, hip = script((0, 150), (3, 150), (5, 50), (40, 50), (44, 150), (48, 150), fps=fps)
    s_out = np.clip((t - at) / each_s, 0, 1)
    s_back = np.clip((t - at - each_s) / each_s, 0, 1)
    bump = (1 - np.cos(np.pi * s_out)) / 2 - (1 - np.cos(np.pi * s_back)) / 2
    return ex, t, hip - size * bump


@pytest.mark.parametrize("fps", [15.0, 30.0])
@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize(
    "size, each_s, warns", [(20.0, 0.15, True), (20.0, 0.2, True), (6.0, 0.15, False)]
)
def test_a_bounce_out_and_back_is_a_jolt_and_a_small_one_is_not(
    fps: float, offset: float, size: float, each_s: float, warns: bool
) -> None:
    """A ballistic bounce (out and straight back) fits no step; it is jerky when it reads past
    the bump line (20 deg within 0.15-0.2 s each way: 630-1120), not when it is the size of
    pose noise. (At 15 fps a 12-16 deg bounce can read under the line: three frames.)"""
    at = 20.0 + offset
    ex, t, hip = hug_with_bounce(size, each_s, fps, at)
    jerky = events(judge(ex, t, hip_flexion=hip, head_lift=-20.0), "jerky")
    assert bool(jerky) is warns, f"{size} deg bounce, {each_s} s each way at {fps:g} fps"
    if warns:
        assert abs(jerky[0]["start_s"] - at) <= 0.3


def min_jerk_step(t: np.ndarray, t0: float, dur: float, size: float) -> np.ndarray:
    s = np.clip((t - t0) / dur, 0.0, 1.0)
    return size * s**3 * (10 - 15 * s + 6 * s**2)


@pytest.mark.parametrize("fps", [15.0, 30.0])
@pytest.mark.parametrize("offset", OFFSETS[:3])
@pytest.mark.parametrize("size, dur, warns", [(28.0, 0.3, True), (20.0, 0.6, False)])
def test_a_brief_fast_pull_warns_at_15_fps_as_at_30(
    fps: float, offset: float, size: float, dur: float, warns: bool
) -> None:
    """A 28 deg pull further in over 0.3 s peaks at 175 deg/s (1.9x the knee hug's 90), too
    quick to be a long move yet no jolt: warned at 15 fps as at 30, where it is over the
    limit for two or three frames. 20 deg over 0.6 s (62 deg/s) is not."""
    ex = load_exercise("knees-to-chest")
    at = 20.0 + offset
    t, hip = script((0, 150), (3, 150), (5, 80), (40, 80), (44, 150), (48, 150), fps=fps)
    hip = hip - min_jerk_step(t, at, dur, size) + min_jerk_step(t, 34.0, 4.0, size)
    fast = events(judge(ex, t, hip_flexion=hip, head_lift=-20.0), "too_fast")
    near = [e for e in fast if abs(e["start_s"] - at) <= 0.4]
    assert bool(near) is warns, f"{size} deg over {dur} s at {fps:g} fps: {fast}"
