"""The generator itself: bodies, angles, views, noise and files are what they claim to be.

The core's tests (test_core_sessions.py) trust the generator's truth, so the generator is
pinned here against coach.core.angles on noise-free bodies and against its own specification.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest

from coach.core.angles import frame_angles
from coach.core.exercises import Exercise
from coach.core.landmarks import INDEX, PoseFrame
from coach.io.landmark_file import read_landmarks
from coach.io.poses import load_exercise
from coach.sim import generator as sim

EXERCISES = tuple(sim.PROFILES)


@cache
def exercise(ex_id: str) -> Exercise:
    return load_exercise(ex_id)


def clean(ex_id: str, seed: int = 1, **kw: object) -> tuple[list[PoseFrame], dict, sim.Script]:
    """A noise-free session and the script it was posed from (same seed, same draws)."""
    sc = sim.Scenario(noise=False, reps_per_side=1, **kw)  # type: ignore[arg-type]
    frames, truth = sim.simulate(ex_id, sc, seed)
    script = sim.build_script(exercise(ex_id), sc, np.random.default_rng(seed))
    return frames, truth, script


def point(frame: PoseFrame, name: str) -> np.ndarray:
    assert frame.world is not None
    return frame.world[INDEX[name], :3]


@pytest.mark.parametrize("ex_id", EXERCISES)
def test_noise_free_body_reads_the_scripted_driver_angle_through_coach_angles(ex_id: str) -> None:
    frames, _, script = clean(ex_id)
    ex = exercise(ex_id)
    t = np.array([f.t for f in frames])
    want = script.driver.at(t)
    got = np.array([frame_angles(f, ex)[ex.driver] for f in frames])
    # A side view is read on the near side, not the midpoint the script drives: the body's
    # small left-right asymmetry may show as up to a degree.
    assert np.nanmax(np.abs(got - want)) < (1.0 if ex.view == "side" else 0.05)


@pytest.mark.parametrize("ex_id", EXERCISES)
def test_noise_free_body_reads_the_scripted_form_angle(ex_id: str) -> None:
    frames, _, script = clean(ex_id)
    ex = exercise(ex_id)
    t = np.array([f.t for f in frames])
    sign = script.side_sign(t) if ex.sided else np.ones_like(t)
    want = script.aux(script.progress(script.driver.at(t), sign)) * sign
    got = np.array([frame_angles(f, ex)[script.profile.aux_name] for f in frames])
    assert np.nanmax(np.abs(got - want)) < 0.05


def test_a_right_twist_reads_a_positive_trunk_rotation_and_a_left_one_negative() -> None:
    frames, truth, _ = clean("seated-twist")
    ex = exercise("seated-twist")
    for rep in truth["reps"]:
        mid = (rep["start_s"] + rep["end_s"]) / 2
        frame = min(frames, key=lambda f: abs(f.t - mid))
        value = frame_angles(frame, ex)["trunk_rotation"]
        assert value > 20 if rep["side"] == "right" else value < -20


def test_the_crossed_leg_is_bent_and_the_other_straight_during_each_twist() -> None:
    frames, truth, _ = clean("seated-twist")
    ex = exercise("seated-twist")
    for rep in truth["reps"]:
        mid = (rep["start_s"] + rep["end_s"]) / 2
        angles = frame_angles(min(frames, key=lambda f: abs(f.t - mid)), ex)
        side = rep["side"]
        assert 20 <= angles[f"crossed_knee@{side}"] <= 110
        assert 145 <= angles[f"straight_knee@{side}"] <= 180


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_segment_lengths_follow_stature(seed: int) -> None:
    frames, truth, _ = clean("standing-back-extension", seed=seed)
    f, h = frames[0], truth["height_m"]
    assert 1.5 <= h <= 1.95
    mid_sh = (point(f, "left_shoulder") + point(f, "right_shoulder")) / 2
    thigh = np.linalg.norm(point(f, "left_knee") - point(f, "left_hip"))
    shank = np.linalg.norm(point(f, "left_ankle") - point(f, "left_knee"))
    assert np.linalg.norm(mid_sh) / h == pytest.approx(0.288, rel=0.05)
    assert thigh / h == pytest.approx(0.245, rel=0.05)
    assert shank / h == pytest.approx(0.246, rel=0.05)


def test_world_landmarks_are_hip_centred_with_y_down_and_head_up() -> None:
    frames, _, _ = clean("standing-back-extension")
    f = frames[0]
    mid_hip = (point(f, "left_hip") + point(f, "right_hip")) / 2
    assert np.allclose(mid_hip, 0.0, atol=1e-9)
    assert point(f, "nose")[1] < -0.5 < 0.7 < point(f, "left_ankle")[1]


@pytest.mark.parametrize("facing", ["left", "right"])
def test_side_view_sees_the_near_limbs_well_and_the_far_ones_poorly(facing: str) -> None:
    frames, _, _ = clean("knees-to-chest", facing=facing)
    vis = np.array([f.world[:, 3] for f in frames if f.world is not None])
    left = vis[:, [INDEX[n] for n in ("left_hip", "left_knee", "left_shoulder")]]
    right = vis[:, [INDEX[n] for n in ("right_hip", "right_knee", "right_shoulder")]]
    near, far = (left, right) if facing == "left" else (right, left)
    assert near.min() >= 0.9 and far.min() >= 0.1 and far.max() <= 0.4


def test_front_view_sees_both_sides() -> None:
    frames, _, _ = clean("seated-twist")
    vis = np.array([f.world[:, 3] for f in frames if f.world is not None])
    assert vis.min() >= 0.85


def test_camera_yaw_stays_within_fifteen_degrees_of_the_view() -> None:
    for seed in range(8):
        _, truth, _ = clean("chair-back-extension", seed=seed)
        assert abs(abs(truth["camera_yaw_deg"]) - 90) <= 15.01
        _, truth, _ = clean("seated-twist", seed=seed)
        assert abs(truth["camera_yaw_deg"]) <= 15.01


def test_image_landmarks_keep_the_whole_body_in_frame() -> None:
    for ex_id in EXERCISES:
        frames, _, _ = clean(ex_id)
        img = np.array([f.image[:, :2] for f in frames if f.image is not None])
        assert img.min() > 0.0 and img.max() < 1.0, ex_id


def test_jitter_is_millimetres_larger_in_depth_and_mostly_temporally_correlated() -> None:
    sc = sim.Scenario(reps_per_side=1)
    noisy, _ = sim.simulate("chair-back-extension", sc, 5)
    quiet, _ = sim.simulate("chair-back-extension", sim.Scenario(reps_per_side=1, noise=False), 5)
    pairs = [
        (a.world, b.world)
        for a, b in zip(noisy, quiet, strict=True)
        if a.world is not None and b.world is not None
    ]
    err = np.array([a[:, :3] - b[:, :3] for a, b in pairs])
    near = [INDEX[n] for n in ("nose", "mouth_left", "mouth_right")]
    robust = np.median(np.abs(err[:, near]), axis=(0, 1)) / 0.6745
    assert 0.003 <= robust[0] <= 0.010 and 0.003 <= robust[1] <= 0.010
    assert 0.007 <= robust[2] <= 0.016 and robust[2] > robust[0]
    lag1 = np.corrcoef(err[1:, near[0], 2], err[:-1, near[0], 2])[0, 1]
    assert 0.3 <= lag1 <= 0.8


def test_lost_view_frames_carry_no_pose_for_two_to_four_seconds() -> None:
    frames, truth = sim.simulate("chair-back-extension", sim.Scenario.named("lost_view"), 2)
    gap = next(e for e in truth["events"] if e["type"] == "lost_view")
    hidden = [f for f in frames if gap["start_s"] <= f.t <= gap["end_s"]]
    assert all(f.world is None and f.image is None for f in hidden)
    assert 1.9 <= gap["end_s"] - gap["start_s"] <= 4.0


def test_too_fast_move_peaks_well_over_the_limit_but_is_no_jolt() -> None:
    """1.3-4x the speed limit at its peak, over at least 0.4 s (a 12-20 deg move within
    0.2 s would be a jolt too), or at 1.3x where the move is too small for that."""
    for seed in range(6):
        _, truth = sim.simulate("standing-back-extension", "too_fast", seed)
        ev = next(e for e in truth["events"] if e["type"] == "too_fast")
        assert 1.3 - 0.02 <= abs(ev["value"]) / ev["limit"] <= 4.0 + 1e-6
        move = next(e for e in truth["injected"] if e["type"] == "too_fast")
        took = move["end_s"] - move["start_s"]
        assert took >= 0.4 - 1e-3 or abs(move["speed_x"] - 1.3) < 0.02


def test_good_moves_stay_well_under_the_speed_limit_and_last_1_5_to_several_seconds() -> None:
    for ex_id in EXERCISES:
        _, truth = sim.simulate(ex_id, sim.Scenario(reps_per_side=1), 4)
        assert truth["events"] == [], ex_id
        for rep in truth["reps"]:
            assert rep["ok"] and rep["hold_s"] >= rep["target_hold_s"]


def test_overextension_passes_the_limit_by_5_to_15_degrees_for_at_least_a_second() -> None:
    for ex_id in EXERCISES:
        _, truth = sim.simulate(ex_id, "overextension", 6)
        ev = next(e for e in truth["events"] if e["type"] == "overextension")
        assert 5.0 - 1.1 <= abs(ev["value"] - ev["limit"]) <= 15.0 + 1.1, ex_id
        assert ev["end_s"] - ev["start_s"] >= 1.0


def test_a_short_hold_is_a_rep_that_is_not_ok() -> None:
    _, truth = sim.simulate("seated-twist", sim.Scenario.named("short_hold", fault_rep=1), 3)
    short = truth["reps"][1]
    assert short["hold_s"] < short["target_hold_s"] and not short["ok"]


def test_wrong_side_repeats_the_right_twist_before_the_left_ones() -> None:
    _, truth = sim.simulate("seated-twist", sim.Scenario.named("wrong_side", reps_per_side=2), 1)
    assert [r["side"] for r in truth["reps"]] == ["right"] * 3 + ["left"] * 2


def test_a_still_person_has_no_reps_and_no_events() -> None:
    frames, truth = sim.simulate("seated-twist", sim.Scenario(name="still", still_s=60), 1)
    assert truth["reps"] == [] and truth["events"] == []
    assert frames[-1].t >= 59.0


def test_the_same_seed_gives_the_same_session() -> None:
    a, ta = sim.simulate("knees-to-chest", sim.Scenario(reps_per_side=1), 9)
    b, tb = sim.simulate("knees-to-chest", sim.Scenario(reps_per_side=1), 9)
    assert ta == tb and len(a) == len(b)
    assert all(
        np.array_equal(x.world, y.world) for x, y in zip(a, b, strict=True) if x.world is not None
    )


@pytest.mark.parametrize("fps", [15.0, 30.0])
def test_fixed_rates_give_evenly_spaced_frames(fps: float) -> None:
    frames, _ = sim.simulate("chair-back-extension", sim.Scenario(reps_per_side=1, fps=fps), 1)
    dt = np.diff([f.t for f in frames])
    assert np.allclose(dt, 1 / fps)


def test_variable_rate_gives_irregular_increasing_timestamps() -> None:
    frames, truth = sim.simulate(
        "chair-back-extension", sim.Scenario(reps_per_side=1, fps="variable"), 1
    )
    dt = np.diff([f.t for f in frames])
    assert dt.min() > 0 and dt.max() > 1.5 * np.median(dt) and truth["fps"] is None


def test_session_files_round_trip_through_the_landmark_reader(tmp_path) -> None:
    frames, truth = sim.simulate("seated-twist", sim.Scenario(reps_per_side=1, fps=15.0), 1)
    path = tmp_path / "twist.landmarks.jsonl"
    sidecar = sim.write_session(path, frames, truth, compact=True)
    header, it = read_landmarks(path)
    back = list(it)
    assert header.source == sim.SOURCE and header.fps == 15.0
    assert header.extra["truth"] == json.loads(sidecar.read_text()) == truth
    assert len(back) == len(frames)
    seen = [(a, b) for a, b in zip(frames, back, strict=True) if a.world is not None]
    assert all(np.allclose(a.world[:, :3], b.world[:, :3], atol=6e-4) for a, b in seen)


def test_cli_writes_a_landmark_file_and_its_truth(tmp_path, capsys) -> None:
    out = tmp_path / "s.landmarks.jsonl"
    code = sim.main(
        [
            "--exercise",
            "knees-to-chest",
            "--scenario",
            "too_fast+lost_view",
            "--seed",
            "3",
            "--out",
            str(out),
            "--fps",
            "15",
            "--reps",
            "1",
        ]
    )
    assert code == 0 and out.exists()
    truth = json.loads(sim.truth_path(out).read_text())
    kinds = {e["type"] for e in truth["events"]}
    assert {"too_fast", "lost_view"} <= kinds
    assert f"{len(truth['reps'])} reps" in capsys.readouterr().out


def test_unknown_scenarios_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        sim.Scenario.named("sloppy")
