"""Live coaching a person can follow: extra reps, the chair variant, the pain stop, keys, the
window size, panels placed off the person, and pose estimation one frame ahead."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest
from helpers import FakeClock, angle_at, twist_frame

from coach.commands.live_input import LiveItem, StdinKeys, file_feed, with_poses
from coach.commands.run import LiveLoop
from coach.core.chair import ChairWatch, seated_on_chair
from coach.core.cues import Cue, Priority
from coach.core.events import PAIN_MESSAGE
from coach.core.extra import extra_counts, extra_flags
from coach.core.landmarks import PoseFrame
from coach.core.moments import Rep
from coach.core.report import build_report
from coach.core.session import Session
from coach.core.view import CueEditor, overlay_state, setup_hint
from coach.io.poses import load_exercise
from coach.ui.window import fit_size, grown_for_bars, window_size
from coach.voice.prompts import RecordingSpeaker, Status

FPS = 30.0


def rep(side: str | None, ok: bool) -> Rep:
    r = Rep(side=side, start_s=0.0, target_hold_s=5.0)
    r.hold_s = 6.0 if ok else 1.0
    return r


# --- extra reps ---------------------------------------------------------------------------------


def test_reps_past_the_planned_good_reps_of_a_side_are_extra_and_short_ones_count_toward_it():
    reps = [rep("right", True), rep("right", False), rep("right", True), rep("right", True)]
    reps += [rep("left", True), rep("right", True), rep("right", False)]
    assert extra_flags(reps, 3, sided=True) == [False] * 5 + [True, True]
    assert extra_flags(reps[:4], 3, sided=True) == [False] * 4  # a short one is no extra
    assert extra_counts(reps, 3, sided=True) == {"right": 2, "left": 0}
    assert extra_flags([rep(None, True)] * 3, 2, sided=False) == [False, False, True]


def twist_plan(n_right: int) -> list[tuple[float, float]]:
    """n right twists held 7 s each, 4 s apart."""
    plan = [(0.0, 0.0), (2.0, 0.0)]
    t = 2.0
    for _ in range(n_right):
        plan += [(t + 1.5, 40.0), (t + 8.5, 40.0), (t + 10.0, 0.0), (t + 14.0, 0.0)]
        t += 14.0
    return plan


def run_plan(plan, exercise, keys=None, until=None, auto_variant=True, seated_chair=True):
    clock = FakeClock()
    speaker = RecordingSpeaker(clock)
    end = until if until is not None else plan[-1][0]

    def feed():
        for i in range(int(end * FPS)):
            t = i / FPS
            clock.now = t
            yield LiveItem(t, pose=twist_frame(t, angle_at(t, plan), seated_chair=seated_chair))

    loop = LiveLoop(exercise, feed(), speaker, keys=keys, clock=clock, auto_variant=auto_variant)
    result = loop.run()
    speaker.flush()
    return loop, result, speaker


def test_reps_past_the_plan_are_said_as_extra_and_flagged_in_the_report():
    exercise = load_exercise("seated-twist").with_variant("chair")
    loop, result, speaker = run_plan(twist_plan(5), exercise)
    counts = result.session.side_counts()
    assert counts["right"] == 5
    texts = [r.cue.text for r in speaker.records if r.status is not Status.DROPPED]
    assert "1 more than planned: rest now." in texts
    assert "2 more than planned: rest now." in texts
    assert not any("That's 4" in t or "That's 5" in t for t in texts)
    # no coaching of the extra reps themselves: "Hold it there." only for the planned three
    holds = [r for r in speaker.records if r.cue.key == "hold" and r.status is not Status.DROPPED]
    assert len(holds) <= 3
    report = build_report(result.session, "test")
    assert report["summary"]["extra_reps"] == 2
    assert [r["extra"] for r in report["reps"]] == [False, False, False, True, True]
    assert any("more than the 3 planned" in reason for reason in report["summary"]["reasons"])
    assert report["summary"]["verdict"] != "good"
    assert loop.state(result.session.t_last, None).extra == {"right": 2, "left": 0}


def test_set_complete_is_said_once():
    session = Session(load_exercise("knees-to-chest"))
    editor = CueEditor()
    done = Cue("Set complete. Well done, rest now.", Priority.INSTRUCTION, "done", 1.0, 30)
    assert editor.edit(session, [done]) == [done]
    assert editor.edit(session, [done]) == []


# --- chair variant ------------------------------------------------------------------------------


def test_chair_posture_is_told_from_floor_sitting_and_needs_the_legs_seen():
    assert seated_on_chair(twist_frame(0.0, 0.0, seated_chair=True)) is True
    assert seated_on_chair(twist_frame(0.0, 0.0, seated_chair=False)) is False
    hidden = twist_frame(0.0, 0.0)
    assert hidden.world is not None
    hidden.world[25:29, 3] = 0.1  # knees and ankles unseen
    assert seated_on_chair(hidden) is None
    watch = ChairWatch(settle_s=0.5)
    assert not watch.update(twist_frame(0.0, 0.0))
    assert not watch.update(twist_frame(0.4, 0.0))
    assert watch.update(twist_frame(0.5, 0.0))


def test_a_person_on_a_chair_gets_the_chair_twist_and_a_restart_keeps_it():
    floor = load_exercise("seated-twist")
    restarted = {"done": False}

    def keys(t: float):
        if t >= 10.0 and not restarted["done"]:
            restarted["done"] = True
            return "r"
        return None

    loop, result, speaker = run_plan(twist_plan(1), floor, keys=keys, until=14.0)
    assert loop.variant == "chair"
    names = {rule.name for rule in result.session.exercise.angles}
    assert "straight_knee" not in names and "crossed_knee" not in names
    assert any("chair" in r.cue.text for r in speaker.records)
    assert not any("Cross your leg" in r.cue.text for r in speaker.records)
    assert "chair" in loop.state(13.0, None).exercise_name


def test_floor_sitting_keeps_the_floor_twist():
    loop, result, _ = run_plan(twist_plan(1), load_exercise("seated-twist"), seated_chair=False)
    assert loop.variant is None
    assert "straight_knee" in {rule.name for rule in result.session.exercise.angles}


def test_set_up_chip_says_which_parts_the_camera_cannot_see():
    session = Session(load_exercise("seated-twist").with_variant("chair"))
    frame = twist_frame(0.0, 0.0)
    assert frame.world is not None
    frame.world[11:13, 3] = 0.05  # shoulders hidden
    session.step(frame)
    assert setup_hint(session, frame) == "Show your shoulders"
    assert setup_hint(session, PoseFrame(0.0)) == "Get into view"
    assert overlay_state(session, "", None, pose=frame).phase_text == "Show your shoulders"


# --- pain stop and keys -------------------------------------------------------------------------


def test_keys_are_read_from_a_pipe_and_a_blank_space_line_is_the_pain_stop():
    keys = StdinKeys(io.StringIO("\nP\n \nq\n"))
    got = []
    for _ in range(200):
        k = keys(0.0)
        if k is not None:
            got.append(k)
        if len(got) == 3:
            break
        threading.Event().wait(0.005)
    assert got == ["p", " ", "q"]


class KeyWindow:
    """Shows images; returns a key only when told to, from the nth show on."""

    def __init__(self, key_at: int | None) -> None:
        self.shown: list[np.ndarray] = []
        self.key_at = key_at

    def show(self, image: np.ndarray) -> int | None:
        self.shown.append(image)
        if self.key_at is not None and len(self.shown) >= self.key_at:
            return ord("p") if len(self.shown) == self.key_at else ord("x")
        return None

    def close(self) -> None:
        pass


def test_pain_stop_keeps_the_advice_on_screen_until_a_key_and_says_it_in_full():
    clock = FakeClock()
    speaker = RecordingSpeaker(clock)
    image = np.zeros((360, 640, 3), np.uint8)
    window = KeyWindow(key_at=40)
    pauses: list[float] = []

    def pause(s: float) -> None:
        pauses.append(s)
        clock.now += s

    def feed():
        for i in range(300):
            clock.now = i / FPS
            yield LiveItem(i / FPS, image=image, pose=twist_frame(i / FPS, 0.0))

    loop = LiveLoop(
        load_exercise("seated-twist").with_variant("chair"),
        feed(),
        speaker,
        window=window,
        clock=clock,
        pause=pause,
    )
    result = loop.run()
    speaker.flush()
    assert result.ended_by == "pain"
    assert len(window.shown) == 41  # the 40th frame's key, then the advice until a key
    assert pauses == []  # the key came at once
    advice = window.shown[-1]
    middle = advice[140:220, 100:540].reshape(-1, 3).mean(axis=0)
    assert middle[2] > 2 * middle[0]  # a red card in the middle (BGR)
    spoken = [r for r in speaker.records if r.cue.text == PAIN_MESSAGE]
    assert spoken and spoken[0].status is Status.SPOKEN


def test_pain_advice_closes_by_itself_after_a_few_seconds():
    clock = FakeClock()
    window = KeyWindow(key_at=None)
    image = np.zeros((360, 640, 3), np.uint8)

    def pause(s: float) -> None:
        clock.now += s

    def keys(t: float):
        return "p" if t >= 1.0 else None

    def feed():
        for i in range(100):
            clock.now = i / FPS
            yield LiveItem(i / FPS, image=image, pose=twist_frame(i / FPS, 0.0))

    loop = LiveLoop(
        load_exercise("seated-twist").with_variant("chair"),
        feed(),
        RecordingSpeaker(clock),
        window=window,
        keys=keys,
        clock=clock,
        pause=pause,
    )
    assert loop.run().ended_by == "pain"
    assert 100 < len(window.shown) < 200  # about 8 s of 0.05 s waits after 31 frames


# --- window, panels, pipelining -----------------------------------------------------------------


def test_window_opens_at_1280x720_or_most_of_a_smaller_screen_keeping_the_aspect():
    assert window_size(None) == (1280, 720)
    assert window_size((1920, 1080)) == (1280, 720)
    w, h = window_size((1024, 768))
    assert w <= 0.9 * 1024 and h <= 0.9 * 768 and abs(w / h - 16 / 9) < 0.01
    w, h = window_size((1600, 900), aspect=4 / 3)
    assert abs(w / h - 4 / 3) < 0.01 and h <= 810


def test_gauges_move_to_the_left_when_the_person_stands_on_the_right():
    from coach.ui.layout import gauges_on_left

    person_right = (700, 100, 1200, 700)
    person_left = (100, 100, 600, 700)
    assert gauges_on_left(2, 1280, 720, 80, 600, 1.0, person_right)
    assert not gauges_on_left(2, 1280, 720, 80, 600, 1.0, person_left)
    assert not gauges_on_left(2, 1280, 720, 80, 600, 1.0, None)
    # lying across the frame: the box is no help, the face decides (head on the left here)
    lying = (60, 100, 1220, 500)
    face = {"nose": (100, 300, 0.9), "left_ear": (110, 290, 0.9)}
    feet = {f"j{i}": (1150, 150 + 10 * i, 0.9) for i in range(6)}
    assert not gauges_on_left(2, 1280, 720, 80, 600, 1.0, lying, {**face, **feet})


class SlowEstimator:
    """Records which thread estimated each frame."""

    def __init__(self) -> None:
        self.threads: list[str] = []

    def estimate(self, frame_bgr: np.ndarray, t: float) -> PoseFrame:
        self.threads.append(threading.current_thread().name)
        threading.Event().wait(0.002)
        return PoseFrame(t)


def test_poses_come_from_a_worker_thread_in_order_and_errors_reach_the_loop():
    est = SlowEstimator()
    image = np.zeros((4, 4, 3), np.uint8)
    items = [LiveItem(i / 30, image=image) for i in range(20)]
    got = list(with_poses(iter(items), est))
    assert [item.t for item, _ in got] == [item.t for item in items]
    assert all(pose is not None and pose.t == item.t for item, pose in got)
    assert set(est.threads) == {"coach-pose"}

    def broken():
        yield items[0]
        raise RuntimeError("camera fell over")

    try:
        list(with_poses(broken(), est))
    except RuntimeError as exc:
        assert "fell over" in str(exc)
    else:
        raise AssertionError("the worker's error was lost")


class RgbEstimator:
    """Records which of its two doors each frame came in by, and the picture it got."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, np.ndarray]] = []

    def estimate(self, frame_bgr: np.ndarray, t: float) -> PoseFrame:
        self.calls.append(("bgr", frame_bgr))
        return PoseFrame(t)

    def estimate_rgb(self, frame_rgb: np.ndarray, t: float) -> PoseFrame:
        self.calls.append(("rgb", frame_rgb))
        return PoseFrame(t)


def test_a_frame_the_decoder_already_turned_to_rgb_is_posed_from_that_copy():
    est = RgbEstimator()
    bgr = np.zeros((4, 4, 3), np.uint8)
    rgb = np.ones((4, 4, 3), np.uint8)
    items = [LiveItem(0.0, image=bgr, rgb=rgb), LiveItem(0.1, image=bgr)]
    got = list(with_poses(iter(items), est))
    assert [pose.t for _, pose in got] == [0.0, 0.1]
    assert [door for door, _ in est.calls] == ["rgb", "bgr"]
    assert est.calls[0][1] is rgb and est.calls[1][1] is bgr
    # an estimator without the RGB door still gets the BGR picture
    slow = SlowEstimator()
    assert len(list(with_poses(iter(items[:1]), slow))) == 1 and slow.threads == ["coach-pose"]


def test_a_played_video_carries_its_pictures_in_rgb_too(tmp_path):
    import cv2

    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    assert writer.isOpened()
    for i in range(5):
        frame = np.zeros((48, 64, 3), np.uint8)
        frame[..., 0], frame[..., 2] = 30 + 20 * i, 200  # blue rises, red stays
        writer.write(frame)
    writer.release()
    items = list(file_feed(str(path), fast=True))
    assert len(items) == 5
    for item in items:
        assert item.image is not None and item.rgb is not None
        assert np.array_equal(item.rgb, item.image[..., ::-1])
        assert item.rgb[0, 0, 2] < item.rgb[0, 0, 0]  # red first: RGB, not BGR


@pytest.mark.parametrize(
    ("window", "shown", "screen", "want"),
    [
        ((1280, 720), (1169, 658), (1920, 1080), (1280, 782)),  # Qt's bars took 62 px
        ((1280, 720), (1169, 658), None, (1280, 782)),  # screen unknown: grown all the same
        ((1280, 720), (1169, 658), (1600, 869), (1280, 782)),  # 782 <= 0.9 * 869 = 782.1
        ((1280, 720), (1169, 658), (1600, 868), None),  # 782 > 0.9 * 868 = 781.2: left as is
        ((1280, 720), (1280, 720), (1920, 1080), None),  # no bars: nothing to gain
        ((1280, 720), (1279, 700), (1920, 1080), None),  # as wide as the window: not the bars
        ((1280, 720), (0, 0), (1920, 1080), None),  # not laid out yet
    ],
)
def test_the_window_grows_by_qts_bars_so_the_picture_is_not_rescaled(window, shown, screen, want):
    assert grown_for_bars(window, shown, screen) == want


@pytest.mark.parametrize(
    ("image", "area", "want"),
    [
        ((640, 360), (1280, 720), (1280, 720)),  # a small webcam fills the window
        ((640, 480), (1280, 720), (960, 720)),  # 4:3 in 16:9: as tall as the window, no wider
        ((1280, 720), (1280, 720), None),  # already fills it: shown as it is
        ((1920, 1080), (1280, 720), None),  # larger: OpenCV's window scales it down itself
        ((1260, 709), (1280, 720), None),  # within 2%: not worth a resize
        ((640, 360), (0, 0), None),  # no window area known yet
    ],
)
def test_a_small_picture_is_scaled_up_to_fill_the_window(image, area, want):
    assert fit_size(image, area) == want
