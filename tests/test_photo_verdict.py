"""A photo is one moment: judged on its angles alone, and told apart as start or stretch."""

from __future__ import annotations

from test_recognize_body import KNEES_HUGGED, SUPINE_KNEES_BENT, person

from coach.commands.score_compute import still_report
from coach.core.report import report_json, still_position, still_verdict
from coach.io.poses import load_exercise

KNEES = load_exercise("knees-to-chest")
TWIST = load_exercise("seated-twist")


def angle(value: float, rule_name: str, exercise=KNEES) -> dict:
    rule = exercise.angle(rule_name)
    return {
        "value": value,
        "target": list(rule.target),
        "limit": rule.limit,
        "verdict": rule.judge_still(value),
    }


def test_a_held_photo_with_every_angle_in_band_is_good():
    angles = {"hip_flexion": angle(40, "hip_flexion"), "head_lift": angle(-20, "head_lift")}
    assert still_position(KNEES, angles) == "target"
    verdict, reasons = still_verdict(KNEES, angles, "target")
    assert verdict == "good"
    assert not any("rep" in r for r in reasons)


def test_a_held_photo_with_one_angle_short_says_which():
    angles = {"hip_flexion": angle(40, "hip_flexion"), "head_lift": angle(0, "head_lift")}
    verdict, reasons = still_verdict(KNEES, angles, "target")
    assert verdict == "needs_work" and reasons == ["head_lift 0 is outside its band -45--5"]


def test_a_start_photo_says_start_position():
    angles = {"hip_flexion": angle(140, "hip_flexion"), "head_lift": angle(0, "head_lift")}
    assert still_position(KNEES, angles) == "start"
    verdict, reasons = still_verdict(KNEES, angles, "start")
    assert verdict == "needs_work" and "start position" in reasons[0]


def test_past_a_safety_limit_is_caution_but_leg_placement_past_its_bound_is_not():
    angles = {"hip_flexion": angle(10, "hip_flexion"), "head_lift": angle(-20, "head_lift")}
    assert still_verdict(KNEES, angles, "target")[0] == "caution"
    twist = {
        "trunk_rotation": angle(35, "trunk_rotation", TWIST),
        "head_rotation": angle(40, "head_rotation", TWIST),
        "crossed_knee@right": angle(60, "crossed_knee", TWIST),
        "straight_knee@right": angle(100, "straight_knee", TWIST),  # folded: the limit is 120
        "crossed_knee@left": angle(130, "crossed_knee", TWIST),
        "straight_knee@left": angle(60, "straight_knee", TWIST),
    }
    verdict, reasons = still_verdict(TWIST, twist, "target")
    assert verdict == "needs_work"
    assert any("straight_knee@right" in r for r in reasons)


def test_a_twist_photo_is_judged_on_the_side_that_is_crossed():
    twist = {
        "trunk_rotation": angle(35, "trunk_rotation", TWIST),
        "head_rotation": angle(40, "head_rotation", TWIST),
        "crossed_knee@right": angle(60, "crossed_knee", TWIST),
        "straight_knee@right": angle(170, "straight_knee", TWIST),
        "crossed_knee@left": angle(170, "crossed_knee", TWIST),  # the other side's reading
        "straight_knee@left": angle(60, "straight_knee", TWIST),
    }
    assert still_verdict(TWIST, twist, "target")[0] == "good"


def test_photo_reports_carry_their_position_and_follow_the_schema():
    start = still_report(person(**SUPINE_KNEES_BENT), KNEES, "start.jpg")
    assert start["position"] == "start" and start["summary"]["verdict"] == "needs_work"
    held = still_report(person(**KNEES_HUGGED), KNEES, "held.jpg")
    assert held["position"] == "target"
    assert "no rep reached" not in " ".join(held["summary"]["reasons"])
    for report in (start, held):
        report["recognition"] = {
            "exercise": "knees-to-chest",
            "confidence": 0.6,
            "scores": {},
            "reason": "start position of knees-to-chest scored 0.60",
            "position": report["position"],
        }
        report_json(report)  # the test suite checks every report against the shipped schema
