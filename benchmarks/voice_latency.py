"""Time from `say(safety cue)` to the start of its player process, idle and when preempting.

    .venv/bin/python benchmarks/voice_latency.py [-n 20] [--rate 170] [--voice NAME]

Uses the real speech engine (espeak-ng on Linux, pyttsx3 elsewhere) and the real player where
one works. Where none does (no sound card, as on CI), a stand-in process that lasts as long
as the prompt (`sleep`, capped) is started and terminated the same way, so the figures still
cover queueing, synthesis, cutting off the routine prompt and spawning the player; they do
not include the audio device's own start-up, which comes after the player starts.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coach.core.cues import Cue, Priority
from coach.voice.audio import Player, ProcessPlayback, ProcessPlayer, find_player, wav_duration_s
from coach.voice.prompts import Status
from coach.voice.worker import VoiceSpeaker

ROUTINE = "Twist to the right, keep your hips facing forward, and hold for ten seconds."


class StandInPlayer(ProcessPlayer):
    """`sleep` for the prompt's length (capped to keep the run short): a real process."""

    def __init__(self, cap_s: float) -> None:
        super().__init__(["sleep"], name="sleep (stand-in, no audio device)")
        self.cap_s = cap_s

    def start(self, wav: Path) -> ProcessPlayback:
        seconds = min(wav_duration_s(wav), self.cap_s)
        return ProcessPlayback(subprocess.Popen(["sleep", f"{seconds:.3f}"]))


def wait_status(sp: VoiceSpeaker, index: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while sp.records[index].status is Status.QUEUED:
        if time.monotonic() > deadline:
            raise TimeoutError("the speaker did not start a prompt")
        time.sleep(0.001)


def warning(i: int, cached: bool, scenario: str) -> Cue:
    """A fixed text (rendered once, then cached) or a text never said before."""
    text = "Slow down. Move gently." if cached else f"Slow down, {scenario} warning {i}."
    return Cue(text, Priority.SAFETY, f"warn{i}", t=0.0, cooldown_s=0.0)


def measure_idle(sp: VoiceSpeaker, n: int, cached: bool) -> list[float]:
    latencies = []
    for i in range(n):
        assert sp.flush(30.0)
        index = len(sp.records)
        sp.say(warning(i, cached, "idle"))
        wait_status(sp, index)
        latencies.append(sp.records[index].latency_s or float("nan"))
    assert sp.flush(30.0)
    return latencies


def measure_preempting(sp: VoiceSpeaker, n: int, cached: bool) -> list[float]:
    latencies = []
    for i in range(n):
        assert sp.flush(30.0)
        first = len(sp.records)
        sp.say(Cue(ROUTINE, Priority.INSTRUCTION, f"routine{i}", t=0.0, cooldown_s=0.0))
        wait_status(sp, first)
        time.sleep(0.15)  # well into the routine prompt
        sp.say(warning(i, cached, "preempting"))
        wait_status(sp, first + 1)
        routine, warn = sp.records[first], sp.records[first + 1]
        assert routine.status is Status.PREEMPTED, routine
        latencies.append(warn.latency_s or float("nan"))
    assert sp.flush(30.0)
    return latencies


def describe(name: str, latencies: list[float]) -> str:
    ms = sorted(x * 1000.0 for x in latencies)
    p90 = statistics.quantiles(ms, n=10, method="inclusive")[-1]
    return (
        f"{name:<40} median {statistics.median(ms):6.1f} ms   p90 {p90:6.1f} ms   "
        f"max {ms[-1]:6.1f} ms   (n={len(ms)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="cues per scenario")
    parser.add_argument("--rate", type=int, default=None, help="words a minute")
    parser.add_argument("--voice", default=None, help="voice id or name")
    parser.add_argument("--stand-in-cap-s", type=float, default=1.0)
    args = parser.parse_args()

    player: Player | None = find_player()
    if player is None:
        player = StandInPlayer(args.stand_in_cap_s)
    with VoiceSpeaker(args.rate, args.voice, player=player) as sp:
        print(f"player: {sp.player_name}; goal: under 250 ms from say() to player start")
        for cached in (False, True):
            label = "repeated text (WAV cached)" if cached else "new text (synthesised)"
            print(describe(f"idle, {label}", measure_idle(sp, args.n, cached)))
            print(describe(f"preempting, {label}", measure_preempting(sp, args.n, cached)))


if __name__ == "__main__":
    main()
