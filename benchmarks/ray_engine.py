"""Recordings an hour with the local engine and with Ray, on this machine, in one run.

Scores the same batch twice (`coach score DIR --no-history`): with the local engine (a
process per core), then on a local Ray with as many CPUs, and prints recordings an hour for
each, their ratio (Ray's overhead on one machine) and the per-core rate the README's clinic
estimate starts from: seconds of recording scored per core-second. Ray's start-up (once per
batch, about as long as it takes whatever the batch) is timed apart from the batch itself.

    .venv/bin/python benchmarks/ray_engine.py [--clip VIDEO] [--copies N] [--seconds S]

Default batch: 6 copies (links) of the first 10 s of the 640x360 knee clip from
../shared/footage, scored at the default 20 samples a second; without the footage, the
sample landmark files (which time the scoring alone, no pose estimation).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coach.cli import main  # noqa: E402

KNEE_360 = ROOT.parent / "shared" / "footage" / "malikmrllh__exercises" / "kneetochest.mp4"


def _batch(folder: Path, clip: Path | None, copies: int) -> list[Path]:
    folder.mkdir()
    sources = [clip] if clip else sorted((ROOT / "samples").glob("*.landmarks.jsonl"))
    made = []
    for i in range(copies):
        for src in sources:
            link = folder / f"{i:03d}-{src.name}"
            link.symlink_to(src.resolve())
            made.append(link)
    return made


def _timed(argv: list[str]) -> float:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    if code != 0:
        raise SystemExit(f"coach score exited {code}: {' '.join(argv)}")
    return time.perf_counter() - start


def main_bench() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", type=Path, default=KNEE_360 if KNEE_360.exists() else None)
    ap.add_argument("--copies", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=10.0, help="score the first S s of a clip")
    args = ap.parse_args()
    try:
        import ray
    except ImportError:
        raise SystemExit('benchmarks/ray_engine.py needs Ray: pip install "coach[ray]"') from None
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        inputs = _batch(Path(tmp) / "in", args.clip, args.copies)
        common = ["score", str(Path(tmp) / "in"), "--no-history", "-q", "-j", str(cores)]
        if args.clip:
            common += ["--end", str(args.seconds), "-e", "knees-to-chest"]
            recorded_s = args.seconds * len(inputs)
            what = f"{len(inputs)} x first {args.seconds:g} s of {args.clip.name}"
        else:
            recorded_s = 0.0
            what = f"{len(inputs)} sample landmark files (scoring only, no pose estimation)"
        print(f"{cores} cores; load average before: {os.getloadavg()[0]:.2f}; batch: {what}")
        local_s = _timed([*common, "--out", str(Path(tmp) / "local")])
        t0 = time.perf_counter()
        ray.init(
            num_cpus=cores, include_dashboard=False, log_to_driver=False, logging_level="ERROR"
        )
        start_s = time.perf_counter() - t0
        try:
            ray_s = _timed([*common, "--out", str(Path(tmp) / "ray"), "--engine", "ray"])
        finally:
            ray.shutdown()
    n = len(inputs)
    rows = [
        ("local engine", local_s),
        ("ray (batch)", ray_s),
        ("ray (with start-up)", ray_s + start_s),
    ]
    print(f"\n  {'engine':22} {'wall s':>7} {'rec/hour':>9} {'x real':>7} {'per core':>9}")
    for name, wall in rows:
        real = recorded_s / wall if recorded_s else float("nan")
        print(f"  {name:22} {wall:7.1f} {n * 3600 / wall:9.0f} {real:7.2f} {real / cores:9.2f}")
    print(f"\nray start-up: {start_s:.1f} s (once per batch)")
    print(
        f"ray / local, recordings an hour: {local_s / ray_s:.2f} (batch), "
        f"{local_s / (ray_s + start_s):.2f} (with start-up)"
    )
    if recorded_s:
        per_core = recorded_s / ray_s / cores
        need = 10_000 * 300 / (8 * 3600 * per_core)
        print(
            f"per-core rate on Ray: {per_core:.2f} s of recording a core-second -> 10,000 "
            f"five-minute recordings in 8 h need about {need:.0f} such cores"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f} (other work on the machine skews this)")


if __name__ == "__main__":
    main_bench()
