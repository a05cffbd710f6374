"""The live loop: frames a second with and without the overlay, and safety-event-to-speech time.

    .venv/bin/python benchmarks/live_loop.py [--clip PATH] [--seconds 15]

1. Loop speed: the real loop (MediaPipe pose, One Euro, session, prompts) over a real clip fed
   as fast as it goes, once headless and once drawing the overlay for a window (the window
   itself is a stand-in that only receives the image: no display here). Both in one run, as a
   ratio.
2. Warning latency: a scripted too-fast twist played in real time through the loop with the
   real speech engine (espeak-ng); the time from the moment the twist crosses the speed limit
   (media time, mapped to the wall clock) to the start of the spoken "Slow down" — detection
   and debounce, synthesis and player start. Where no audio device works, a `sleep` stand-in
   player is started and stopped the same way (the device's own start-up is not included).
"""

from __future__ import annotations

import argparse
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

from coach.commands.run import LiveItem, LiveLoop, file_feed, paced  # noqa: E402
from coach.core.exercises import load_exercise  # noqa: E402
from coach.io.pose import PoseEstimator  # noqa: E402
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


def loop_fps(clip: Path, seconds: float, window: bool) -> tuple[float, int]:
    exercise = load_exercise("seated-twist").with_variant("chair")
    feed = (item for item in file_feed(str(clip), fast=True) if item.t <= seconds)
    with open("/dev/null", "w") as sink, PoseEstimator() as estimator:
        loop = LiveLoop(
            exercise,
            feed,
            PrintSpeaker(sink),
            estimator=estimator,
            window=NullWindow() if window else None,
        )
        result = loop.run()
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
        out.append(started - (start_wall + crossed))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=TWIST_CLIP)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()
    if args.clip.exists():
        print(f"loop speed on {args.clip.name} (first {args.seconds:g} s, real MediaPipe):")
        headless, n = loop_fps(args.clip, args.seconds, window=False)
        drawn, _ = loop_fps(args.clip, args.seconds, window=True)
        print(f"  headless:        {headless:6.1f} frames/s ({n} frames)")
        print(f"  with overlay:    {drawn:6.1f} frames/s")
        print(f"  overlay cost:    {headless / drawn:6.2f}x time per frame")
    else:
        print(f"loop speed skipped: {args.clip} missing")
    print("safety warning latency (limit crossed -> speech starts):")
    lat = warning_latency(args.trials)
    if lat:
        ms = [1000 * x for x in lat]
        print(
            f"  trials {len(ms)}: median {statistics.median(ms):.0f} ms, "
            f"min {min(ms):.0f} ms, max {max(ms):.0f} ms (aim: under 250 ms)"
        )


if __name__ == "__main__":
    main()
