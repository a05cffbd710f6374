"""How much the coach talks: prompts a minute, speaker busy time, and how late "Hold it there" is.

    .venv/bin/python benchmarks/prompt_rate.py FILE.landmarks.jsonl -e seated-twist \
        [--variant chair] [--loops 30]

The real live loop (session, prompts, extra-rep rules) over a landmark file (write one with
`coach score VIDEO --save-landmarks --out DIR`), looped `--loops` times to make a long session
(a cut marks each restart of the loop). Time is the file's own media time, and speech is
simulated by the recording speaker (each prompt lasts as long as its words take at 180 words a
minute), so the figures do not depend on this machine's speed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coach.commands.live_input import LiveItem
from coach.commands.run import LiveLoop
from coach.io.landmark_file import read_landmarks
from coach.io.poses import load_exercise
from coach.voice.prompts import RecordingSpeaker, Status


class MediaClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def looped(path: Path, loops: int, clock: MediaClock) -> Iterator[LiveItem]:
    _, frames = read_landmarks(path)
    frames = list(frames)
    span = frames[-1].t - frames[0].t + (frames[1].t - frames[0].t)
    for k in range(loops):
        for i, f in enumerate(frames):
            t = f.t + k * span
            clock.now = t
            yield LiveItem(t, pose=replace(f, t=t, cut=f.cut or (i == 0 and k > 0)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("-e", "--exercise", required=True)
    parser.add_argument("--variant")
    parser.add_argument("--loops", type=int, default=1)
    args = parser.parse_args()
    exercise = load_exercise(args.exercise).with_variant(args.variant)
    clock = MediaClock()
    speaker = RecordingSpeaker(clock)
    loop = LiveLoop(exercise, looped(args.file, args.loops, clock), speaker, clock=clock)
    result = loop.run()
    speaker.flush()
    records = speaker.records
    minutes = max(1e-9, clock.now / 60.0)
    spoken = [r for r in records if r.status is Status.SPOKEN]
    accepted = [r for r in records if r.started_at is not None]
    busy = sum((r.ended_at or 0) - (r.started_at or 0) for r in accepted)
    print(f"{args.file.name} x{args.loops}: {clock.now:.1f} s of media")
    print(f"  prompts started: {len(accepted)} ({len(accepted) / minutes:.1f} a minute)")
    print(f"  spoken in full:  {len(spoken)} ({len(spoken) / minutes:.1f} a minute)")
    print(f"  speaker busy:    {busy:.1f} s of {clock.now:.1f} s ({100 * busy / clock.now:.0f}%)")
    late = [r.started_at - r.cue.t for r in accepted if r.started_at is not None]
    if late:
        print(
            f"  raised -> start: median {1000 * statistics.median(late):.0f} ms, "
            f"max {1000 * max(late):.0f} ms"
        )
    holds = [r.started_at - r.cue.t for r in accepted if r.cue.key == "hold"]
    if holds:
        print(f"  'Hold it there' raised -> start: max {1000 * max(holds):.0f} ms (n={len(holds)})")
    dropped = Counter(r.reason for r in records if r.status is Status.DROPPED)
    print(f"  dropped: {dict(dropped)}")
    counts = Counter(r.cue.text for r in spoken)
    for text, n in counts.most_common(8):
        print(f"    {n:3d}  {text}")
    s = result.session
    print(f"  reps: {len(s.reps)} ({s.side_counts() if exercise.sided else ''})")


if __name__ == "__main__":
    main()
