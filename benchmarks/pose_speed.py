"""How fast offline scoring poses a video, against bare MediaPipe on the same frames.

Prints, for each clip: decode-only fps, a bare read-then-pose MediaPipe loop (the
reference), and estimate_video with jobs=1, jobs=2 and jobs=2 sampled at 15 fps, each as
frames a second, x real time and ratio to the bare loop, with the CPU seconds used (so a
busy machine shows as wall time well above CPU time / cores).

    .venv/bin/python benchmarks/pose_speed.py [CLIP ...] [--end S] [--max-side N]

With no CLIP: the 38.6 s 640x360 knee clip from ../shared/footage, and a 640x480 30 fps
copy of the 1280x720 knee clip resized into /tmp (made once).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coach.io.pose_pipeline import estimate_video  # noqa: E402
from coach.io.sources import VideoSource  # noqa: E402

FOOTAGE = ROOT.parent / "shared" / "footage"
KNEE_360 = FOOTAGE / "malikmrllh__exercises" / "kneetochest.mp4"
KNEE_720 = (
    FOOTAGE
    / "Deepasuresh67__AdaptX--Adaptive-Exercise-System-for-Personalized-Recovery-Well-being"
    / "assets/videos/Back_pain/knee_to_chest_ stretching.mp4"
)
KNEE_480 = Path("/tmp/coach_bench_knee_640x480.mp4")


@dataclass(frozen=True)
class Run:
    name: str
    frames: int
    wall_s: float
    cpu_s: float


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(name: str, work: Callable[[], int]) -> Run:
    cpu0, t0 = _cpu(), time.perf_counter()
    frames = work()
    return Run(name, frames, time.perf_counter() - t0, _cpu() - cpu0)


def make_480(src: Path, dst: Path) -> Path:
    """A 640x480 copy of a real clip (plain resize, same frame rate)."""
    if dst.exists():
        return dst
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS)
    tmp = dst.with_suffix(".part.mp4")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (640, 480))
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        writer.write(cv2.resize(frame, (640, 480), interpolation=cv2.INTER_AREA))
    writer.release()
    cap.release()
    tmp.rename(dst)
    return dst


def decode_only(path: Path, end_s: float | None) -> int:
    return sum(1 for _ in VideoSource(path, end_s=end_s))


def bare_mediapipe(path: Path, end_s: float | None) -> int:
    """The reference: read, convert, pose; nothing else (what a plain script would do)."""
    import mediapipe as mp

    cap = cv2.VideoCapture(str(path))
    n = 0
    with mp.solutions.pose.Pose(model_complexity=1) as pose:
        while True:
            ok, frame = cap.read()
            if not ok or (end_s is not None and cap.get(cv2.CAP_PROP_POS_MSEC) >= end_s * 1000):
                break
            pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            n += 1
    cap.release()
    return n


def pipeline(path: Path, end_s: float | None, max_side: int | None, **kw: object) -> int:
    _, frames, error = estimate_video(path, end_s=end_s, max_side=max_side, **kw)  # type: ignore[arg-type]
    if error is not None:
        print(f"  warning: {error.line()}")
    return len(frames)


def coach_score(path: Path, end_s: float | None) -> int:
    """The whole `coach score` path at its defaults: decode, pose, recognise, judge, report."""
    from coach.cli import DEFAULT_SAMPLE_FPS
    from coach.commands.score import score_one
    from coach.commands.score_compute import ScoreOptions

    opts = ScoreOptions(end_s=end_s, sample_fps=DEFAULT_SAMPLE_FPS, pose_jobs=os.cpu_count() or 1)
    outcome = score_one(path, opts)
    return outcome.frames


def bench(path: Path, end_s: float | None, max_side: int | None) -> None:
    info = VideoSource(path).info
    span = info.duration_s if end_s is None else min(end_s, info.duration_s)
    print(f"\n{path.name}: {info.width}x{info.height} @ {info.fps:.2f} fps, {span:.1f} s scored")
    runs = [
        timed("decode only", lambda: decode_only(path, end_s)),
        timed("bare MediaPipe loop", lambda: bare_mediapipe(path, end_s)),
        timed("estimate_video jobs=1", lambda: pipeline(path, end_s, max_side, jobs=1)),
        timed("estimate_video jobs=2", lambda: pipeline(path, end_s, max_side, jobs=2)),
        timed(
            "jobs=2 sample_fps=15",
            lambda: pipeline(path, end_s, max_side, jobs=2, sample_fps=15),
        ),
        timed("coach score (defaults)", lambda: coach_score(path, end_s)),
    ]
    bare = runs[1]
    head = ("run", "frames", "wall s", "fps", "x real", "vs bare", "cpu s")
    print("  {:24} {:>6} {:>7} {:>7} {:>7} {:>8} {:>6}".format(*head))
    for r in runs:
        fps = r.frames / r.wall_s
        print(
            f"  {r.name:24} {r.frames:6d} {r.wall_s:7.1f} {fps:7.1f} {span / r.wall_s:7.2f}"
            f" {bare.wall_s / r.wall_s:8.2f} {r.cpu_s:6.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="*", type=Path)
    parser.add_argument("--end", type=float, default=None, help="score only the first S seconds")
    parser.add_argument("--max-side", type=int, default=None, help="downscale frames for the model")
    args = parser.parse_args()
    clips = args.clips
    if not clips:
        if not KNEE_360.exists():
            sys.exit(f"real footage not found at {FOOTAGE}: pass a clip")
        clips = [KNEE_360, make_480(KNEE_720, KNEE_480)]
    print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.2f}")
    for clip in clips:
        bench(clip, args.end, args.max_side)
    load = os.getloadavg()[0]
    print(f"\nload average after: {load:.2f} (other work on the machine skews wall times)")


if __name__ == "__main__":
    main()
