"""Recognition over the real footage: what `--exercise auto` names for each labelled file.

Why: the simulator only ever shows the six stretches, so nothing else measures whether the
judge can say "none". Labels are by eye (tests/data/footage_labels.tsv), never from coach's
output. Pose estimation is the slow part, so landmarks are read from a cache folder when
there (one `<relative path with / as __>.landmarks.jsonl` per file) and estimated otherwise
(videos at 20 frames a second, as `coach score` does); `--write-cache` keeps new ones.

    python benchmarks/recognition.py [--cache DIR] [--footage DIR] [--write-cache] [--only TEXT]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coach.commands.score_compute import ScoreOptions, judge_frames
from coach.core.landmarks import PoseFrame
from coach.io.landmark_file import SUFFIX, read_landmarks, write_landmarks

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "data" / "footage_labels.tsv"
FOOTAGE = ROOT.parent / "shared" / "footage"
CACHE = ROOT / "benchmarks" / ".cache" / "footage"
SAMPLE_FPS = 20.0  # the `coach score` default


@dataclass
class Label:
    path: str
    label: str
    variant: str
    view: str
    kind: str
    pose: str
    reps_total: int | None
    notes: str

    @property
    def is_none(self) -> bool:
        return self.label == "none"

    @property
    def ambiguous(self) -> bool:
        return "[ambiguous]" in self.notes


def read_labels(path: Path = LABELS) -> list[Label]:
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [
        Label(
            path=r["path"],
            label=r["label"],
            variant=r["variant"],
            view=r["view"],
            kind=r["kind"],
            pose=r["pose"],
            reps_total=int(r["reps_total"]) if r["reps_total"] else None,
            notes=r["notes"],
        )
        for r in rows
    ]


def cache_name(rel: str) -> str:
    return rel.replace("/", "__") + SUFFIX


def load_frames(
    label: Label, cache: Path, footage: Path, write_cache: bool = False
) -> tuple[list[PoseFrame], str]:
    """Frames from the cache, else from MediaPipe; the second value says which."""
    cached = cache / cache_name(label.path)
    if cached.exists():
        _, frames = read_landmarks(cached)
        return list(frames), "cache"
    media = footage / label.path
    if label.kind == "photo":
        from coach.io.pose_pipeline import estimate_image

        frames, fps = [estimate_image(media)], None
    else:
        from coach.io.pose_pipeline import estimate_video

        info, frames, _ = estimate_video(media, sample_fps=SAMPLE_FPS)
        fps = info.fps
    if write_cache:
        cache.mkdir(parents=True, exist_ok=True)
        write_landmarks(cached, frames, fps, label.path)
    return frames, "mediapipe"


def judge(frames: list[PoseFrame], source: str, photo: bool) -> dict[str, Any]:
    """The report `coach score --exercise auto` would give (photos as one still moment)."""
    opts = ScoreOptions(sample_fps=SAMPLE_FPS)
    return judge_frames(source, frames, opts, photo=photo and len(frames) == 1)[0]


@dataclass
class Row:
    label: Label
    got: str | None
    confidence: float
    reps: int | None
    source: str
    seconds: float
    position: str | None = None  # photos: "start" or "target", as recognised
    verdict: str | None = None

    @property
    def right(self) -> bool:
        return (self.got or "none") == self.label.label


def run(labels: list[Label], cache: Path, footage: Path, write_cache: bool) -> list[Row]:
    rows: list[Row] = []
    for lab in labels:
        if not (cache / cache_name(lab.path)).exists() and not (footage / lab.path).exists():
            print(
                f"skip {lab.path}: neither cached landmarks nor the footage file", file=sys.stderr
            )
            continue
        start = time.perf_counter()
        frames, source = load_frames(lab, cache, footage, write_cache)
        report = judge(frames, lab.path, lab.kind == "photo")
        rec = report.get("recognition") or {}
        reps = None if report.get("still") else len(report.get("reps") or [])
        rows.append(
            Row(
                lab,
                report.get("exercise"),
                float(rec.get("confidence") or 0.0),
                reps,
                source,
                time.perf_counter() - start,
                rec.get("position"),
                report["summary"]["verdict"],
            )
        )
    return rows


def print_table(rows: list[Row]) -> None:
    print(f"{'file':60} {'label':24} {'recognised':24} {'conf':>5} {'reps':>9}  ok")
    for r in rows:
        name = r.label.path if len(r.label.path) <= 60 else "…" + r.label.path[-59:]
        reps = ""
        if r.label.kind == "video" and not r.label.is_none:
            counted = "?" if r.label.reps_total is None else str(r.label.reps_total)
            reps = f"{'-' if r.reps is None else r.reps}/{counted}"
        flag = "right" if r.right else "WRONG"
        if r.label.ambiguous:
            flag += " (ambiguous)"
        got = (r.got or "none") + (" (start)" if r.position == "start" else "")
        print(f"{name:60} {r.label.label:24} {got:24} {r.confidence:5.2f} {reps:>9}  {flag}")


def totals(rows: list[Row]) -> dict[str, Any]:
    sure = [r for r in rows if not r.label.ambiguous]
    stretches = [r for r in sure if not r.label.is_none]
    nones = [r for r in sure if r.label.is_none]
    fps = [r for r in nones if r.got is not None]
    rep_rows = [r for r in stretches if r.label.kind == "video" and r.label.reps_total is not None]
    photos = [r for r in stretches if r.label.kind == "photo" and r.label.pose in ("start", "held")]
    held = [r for r in photos if r.label.pose == "held"]
    return {
        "files": len(rows),
        "ambiguous_left_out": len(rows) - len(sure),
        "stretch_accuracy": sum(r.right for r in stretches) / len(stretches) if stretches else None,
        "stretches": len(stretches),
        "none_false_positive_rate": len(fps) / len(nones) if nones else None,
        "nones": len(nones),
        "false_positives": [(r.label.path, r.got, round(r.confidence, 2)) for r in fps],
        "exact_reps": sum(r.reps == r.label.reps_total for r in rep_rows),
        "rep_videos": len(rep_rows),
        # Photos of a stretch labelled "start" or "held": named right, in the right position,
        # and a held one judged "good" or at least not for missing reps.
        "photo_positions": sum(
            r.right and r.position == ("start" if r.label.pose == "start" else "target")
            for r in photos
        ),
        "photos": len(photos),
        "held_photos_good": sum(r.right and r.verdict == "good" for r in held),
        "held_photos": len(held),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--footage", type=Path, default=FOOTAGE)
    ap.add_argument("--cache", type=Path, default=CACHE, help=f"landmark cache (default {CACHE})")
    ap.add_argument("--write-cache", action="store_true", help="save newly estimated landmarks")
    ap.add_argument("--only", help="only files whose path contains this text")
    args = ap.parse_args(argv)
    if not args.labels.exists():
        print(f"{args.labels}: no labels file — run from the project checkout", file=sys.stderr)
        return 2
    labels = [lab for lab in read_labels(args.labels) if not args.only or args.only in lab.path]
    rows = run(labels, args.cache, args.footage, args.write_cache)
    if not rows:
        print(
            "no footage and no cached landmarks: nothing to measure "
            f"(looked in {args.footage} and {args.cache})",
            file=sys.stderr,
        )
        return 2
    print_table(rows)
    t = totals(rows)
    acc, fpr = t["stretch_accuracy"], t["none_false_positive_rate"]
    print()
    print(f"files: {t['files']} ({t['ambiguous_left_out']} ambiguous left out of the totals)")
    if acc is not None:
        print(f"accuracy on stretches: {acc:.2f} ({t['stretches']} files)")
    if fpr is not None:
        print(f"false-positive rate on none: {fpr:.2f} ({len(t['false_positives'])}/{t['nones']})")
    print(f"exact reps on stretch videos: {t['exact_reps']}/{t['rep_videos']}")
    print(
        f"stretch photos named in the right position (start/held): "
        f"{t['photo_positions']}/{t['photos']}; held photos judged good: "
        f"{t['held_photos_good']}/{t['held_photos']}"
    )
    for path, got, conf in t["false_positives"]:
        print(f"  false positive: {path} -> {got} ({conf:.2f})")
    print(
        f"seconds: {sum(r.seconds for r in rows):.1f} "
        f"({sum(r.source == 'mediapipe' for r in rows)} files through MediaPipe)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
