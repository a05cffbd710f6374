"""The live loop, driven from a scripted twist with a fake clock and a recording speaker."""

from __future__ import annotations

import itertools

from helpers import FakeClock, angle_at, twist_frame

from coach.commands.live_input import LiveItem, key_action
from coach.commands.run import LiveLoop
from coach.core.cues import Priority
from coach.core.report import build_report
from coach.io.poses import load_exercise
from coach.voice.prompts import RecordingSpeaker, Status

FPS = 30.0


# Right twist at a gentle 27 deg/s, a 7 s hold, back to neutral, then a fast (160 deg/s) left
# twist that starts while the next "turn" prompt is still being spoken.
PLAN = [
    (0.0, 0.0),
    (2.0, 0.0),
    (3.5, 40.0),
    (10.5, 40.0),
    (12.0, 0.0),
    (17.3, 0.0),
    (17.55, -40.0),
    (25.0, -40.0),
    (26.5, 0.0),
    (30.0, 0.0),
]


def _feed(clock: FakeClock, until: float = 30.0):
    n = int(until * FPS)
    for i in range(n):
        t = i / FPS
        clock.now = t
        yield LiveItem(t, pose=twist_frame(t, angle_at(t, PLAN)))


def _run(keys=None, until: float = 30.0):
    clock = FakeClock()
    speaker = RecordingSpeaker(clock)
    loop = LiveLoop(
        load_exercise("seated-twist").with_variant("chair"),
        _feed(clock, until),
        speaker,
        keys=keys,
        clock=clock,
    )
    result = loop.run()
    speaker.flush()  # let the simulated speech play out, as `coach run` does on exit
    return result, speaker


def test_scripted_twist_prompts_come_in_order():
    result, speaker = _run()
    spoken = speaker.texts(Status.SPOKEN)
    assert speaker.texts(Status.PREEMPTED)[0].startswith("Place the camera")  # moot once going
    order = [
        "Now turn slowly to your right.",
        "Hold it there.",
        "Well done. Now come back slowly.",
        "That's 1 on the right.",
    ]
    positions = [next(i for i, s in enumerate(spoken) if s.startswith(o)) for o in order]
    assert positions == sorted(positions), spoken
    assert [r.side for r in result.session.reps] == ["right", "left"]


def test_safety_warning_preempts_a_routine_prompt_and_is_spoken_promptly():
    result, speaker = _run()
    records = speaker.records
    slow = [r for r in records if r.cue.key == "too_fast"]
    assert slow and slow[0].cue.priority is Priority.SAFETY
    assert slow[0].status is Status.SPOKEN
    assert slow[0].latency_s is not None and slow[0].latency_s < 0.25
    cut = [r for r in records if r.status is Status.PREEMPTED]
    assert any(r.cue.key == "go" and r.started_at is not None for r in cut)
    events = [e for e in result.session.events if e.type == "too_fast"]
    assert events and 17.3 <= events[0].start_s <= 17.6


def test_the_same_prompt_is_not_repeated_within_its_cooldown():
    _, speaker = _run()
    look = [r for r in speaker.records if r.cue.key == "form:head_rotation"]
    accepted = [r for r in look if r.status is not Status.DROPPED]
    assert len(look) > len(accepted)  # raised on many frames of the hold...
    times = [r.queued_at for r in accepted]
    assert all(b - a >= look[0].cue.cooldown_s for a, b in itertools.pairwise(times))
    assert {r.reason for r in look if r.status is Status.DROPPED} <= {
        "cooldown",
        "superseded",
        "stale",
        "too soon",
    }


def test_pain_key_ends_the_set_at_once_and_says_to_stop():
    def keys(t: float):
        return "p" if abs(t - 6.0) < 1e-6 or 6.0 <= t < 6.0 + 1 / FPS else None

    result, speaker = _run(keys=keys)
    assert result.ended_by == "pain"
    assert result.session.t_last is not None and result.session.t_last < 6.1
    spoken = speaker.texts(Status.SPOKEN)
    assert "Stopping now" in spoken[-1] and "doctor or physiotherapist" in spoken[-1]
    report = build_report(result.session, "test")
    assert [e["type"] for e in report["events"]].count("pain_stop") == 1
    assert report["summary"]["verdict"] == "stopped"
    assert "crack" not in " ".join(spoken).lower()


def test_restart_key_starts_a_fresh_set():
    def keys(t: float):
        return "r" if 13.0 <= t < 13.0 + 1 / FPS else None

    result, _ = _run(keys=keys)
    assert [r.side for r in result.session.reps] == ["left"]


def test_window_and_typed_keys_map_to_actions():
    assert key_action(ord("p")) == key_action(32) == key_action("p") == "pain"
    assert key_action(27) == key_action(ord("q")) == "quit"
    assert key_action(ord("r")) == "restart"
    assert key_action(-1) is None and key_action(ord("x")) is None


class SilentCamera:
    """A camera that is open but sends nothing, and is not (yet) lost."""

    lost = False

    def read(self, timeout: float = 1.0):
        import time

        time.sleep(min(timeout, 0.05))
        return None


def test_a_stop_signal_ends_the_loop_even_while_the_camera_sends_nothing():
    import threading
    import time

    from coach.commands.live_input import camera_feed

    loop = LiveLoop(load_exercise("seated-twist"), camera_feed(SilentCamera()), RecordingSpeaker())
    stopper = threading.Timer(0.3, lambda: setattr(loop, "stop_requested", "SIGTERM"))
    stopper.start()
    started = time.monotonic()
    result = loop.run()
    assert result.ended_by == "signal"
    assert time.monotonic() - started < 2.0
    assert result.stats.frames == 0  # silence is not judged as frames with nobody in them
