"""The live loop: frames a second against bare MediaPipe, and safety-event-to-speech time.

    DISPLAY=:99 .venv/bin/python benchmarks/live_loop.py [--clip PATH] [--seconds 15]

1. Loop speed, all against the same source in one run: bare MediaPipe (decode, then pose,
   nothing else), the real loop headless (pose on its worker thread, One Euro, session,
   prompts), the loop drawing the overlay for a stand-in window, and, where a display exists
   (e.g. Xvfb), the loop showing it in the real OpenCV window. Each as a ratio to bare; every
   run stops at the first frame past --seconds. On a quiet 2-core machine, 5 rounds:
   headless 1.00-1.03x, drawn 0.98x, in the window 0.96-0.97x.
2. Warning latency: a scripted too-fast twist played in real time through the loop with the
   real speech engine (espeak-ng); the time from the moment the twist crosses the speed limit
   (media time, mapped to the wall clock) to the start of the spoken "Slow down", split into
   detection (crossing -> the loop raises the cue) and speech (cue -> player started).
   Where no audio device works, a `sleep` stand-in player is started and stopped the same way
   (the device's own start-up is not included).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from helpers import TWIST_CLIP, angle_at, twist_frame  # noqa: E402
from voice_latency import StandInPlayer  # noqa: E402

from coach.commands.live_input import LiveItem, file_feed, paced  # noqa: E402
from coach.commands.run import LiveLoop  # noqa: E402
from coach.io.pose import PoseEstimator  # noqa: E402
from coach.io.poses import load_exercise  # noqa: E402
from coach.voice.audio import find_player  # noqa: E402
from coach.voice.prompts import PrintSpeaker, Status  # noqa: E402
from coach.voice.worker import VoiceSpeaker  # noqa: E402


class NullWindow:
    """Receives the drawn image like a window would, shows nothing."""

    def __init__(self) -> None:
        self.frames = 0

    def show(self, image: np.ndarray) -> int | None:
        self.frames += 1
        return None

    def close(self) -> None:
        pass


def bare_fps(clip: Path, seconds: float) -> tuple[float, int]:
    """Decode and pose every frame, one after the other: MediaPipe's own pace."""
    from coach.io.sources import VideoSource

    n = 0
    with PoseEstimator() as estimator:
        start = time.monotonic()
        for image, t in VideoSource(clip):
            if t > seconds:
                break
            estimator.estimate(image, t)
            n += 1
        return n / (time.monotonic() - start), n


def loop_fps(clip: Path, seconds: float, window: str) -> tuple[float, int]:
    exercise = load_exercise("seated-twist").with_variant("chair")
    # Stop at the first frame past `seconds`, as bare_fps does: a filter would go on decoding
    # the rest of the clip inside the timed run (221 more frames of this one).
    feed = itertools.takewhile(lambda item: item.t <= seconds, file_feed(str(clip), fast=True))
    shown = None
    if window == "null":
        shown = NullWindow()
    elif window == "real":
        from coach.ui.window import CvWindow

        shown = CvWindow((1600, 900))
    with open("/dev/null", "w") as sink, PoseEstimator() as estimator:
        loop = LiveLoop(
            exercise, feed, PrintSpeaker(sink), estimator=estimator, window=shown, mirror=False
        )
        result = loop.run()
    if shown is not None:
        shown.close()
    return result.stats.fps, result.stats.frames


PLAN = [
    (0.0, 0.0),
    (2.0, 0.0),
    (3.5, 38.0),
    (9.5, 38.0),
    (11.0, 0.0),
    (14.0, 0.0),
    (14.3, -40.0),
    (20.0, -40.0),
    (21.5, 0.0),
    (23.0, 0.0),
]
FAST_START = 14.0


parts: list[tuple[float, float]] = []  # (crossing -> cue raised, cue -> player started)


def warning_latency(trials: int) -> list[float]:
    exercise = load_exercise("seated-twist").with_variant("chair")
    player = find_player() or StandInPlayer(cap_s=2.0)
    print(f"  player: {getattr(player, 'name', player)}")
    out = []
    for _ in range(trials):
        speaker = VoiceSpeaker(player=player)
        frames = (
            LiveItem(i / 30, pose=twist_frame(i / 30, angle_at(i / 30, PLAN)))
            for i in range(int(16.5 * 30))
        )
        start_wall = time.monotonic()
        loop = LiveLoop(exercise, paced(frames, False, time.monotonic, time.sleep), speaker)
        result = loop.run()
        speaker.flush(10)
        too_fast = [e for e in result.session.events if e.type == "too_fast"]
        spoken = [r for r in speaker.records if r.cue.key == "too_fast" and r.started_at]
        speaker.close()
        if not too_fast or not spoken:
            print("  (no warning this trial)")
            continue
        # When did the twist first pass the limit? From the noise-free script itself.
        t = np.arange(FAST_START, FAST_START + 0.5, 0.001)
        angle = np.array([angle_at(x, PLAN) for x in t])
        speed = np.abs(np.gradient(angle, t))
        crossed = float(t[np.argmax(speed > exercise.driver_rule.max_speed_dps)])
        started = spoken[0].started_at
        assert started is not None and spoken[0].status in (Status.SPOKEN, Status.PLAYING)
        raised = spoken[0].queued_at - (start_wall + crossed)
        out.append(started - (start_wall + crossed))
        parts.append((raised, started - spoken[0].queued_at))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=TWIST_CLIP)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.clip.exists():
        from coach.io.capture import display_available

        print(
            f"loop speed on {args.clip.name} (first {args.seconds:g} s, real MediaPipe, "
            f"median of {args.rounds} interleaved rounds):"
        )
        runs = [("loop, headless", "none"), ("loop, overlay drawn", "null")]
        if display_available():
            runs.append(("loop, in the window", "real"))
        else:
            print("  (no display: the real window is not measured; run under Xvfb)")
        bare_runs: list[float] = []
        fps_runs: dict[str, list[float]] = {label: [] for label, _ in runs}
        ratios: dict[str, list[float]] = {label: [] for label, _ in runs}
        n = 0
        for _ in range(args.rounds):  # interleaved, so load from elsewhere hits all alike
            bare, n = bare_fps(args.clip, args.seconds)
            bare_runs.append(bare)
            for label, window in runs:
                fps, _ = loop_fps(args.clip, args.seconds, window)
                fps_runs[label].append(fps)
                ratios[label].append(fps / bare)
        bare = statistics.median(bare_runs)
        print(f"  bare MediaPipe:        {bare:6.1f} frames/s ({n} frames)")
        for label, _ in runs:
            fps = statistics.median(fps_runs[label])
            ratio = statistics.median(ratios[label])
            print(f"  {label + ':':<22} {fps:6.1f} frames/s  = {ratio:4.2f}x bare (median ratio)")
    else:
        print(f"loop speed skipped: {args.clip} missing")
    print("safety warning latency (limit crossed -> speech starts):")
    lat = warning_latency(args.trials)
    if lat:
        ms = [1000 * x for x in lat]
        print(
            f"  trials {len(ms)}: median {statistics.median(ms):.0f} ms, "
            f"min {min(ms):.0f} ms, max {max(ms):.0f} ms (aim: 150 ms or less)"
        )
        detect = statistics.median(1000 * a for a, _ in parts)
        speech = statistics.median(1000 * b for _, b in parts)
        print(
            f"  where it goes (medians): crossing -> cue raised {detect:.0f} ms "
            f"(smoothing and debounce in the judge); cue -> player started {speech:.0f} ms"
        )


if __name__ == "__main__":
    main()
