"""Event precision and recall of the offline core over generated sessions with known truth.

Why: the unit tests pin single cases; this measures how often the core is right across many
people, views, frame rates and faults. A core event matches a truth event of the same type
when their spans overlap once each is widened by TOL_S (0.5 s); each truth event matches
at most one core event.

    python benchmarks/event_accuracy.py [--sessions 60] [--seed 0]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coach.core.report import build_report
from coach.core.scoring import score_frames
from coach.io.poses import load_exercise
from coach.sim import generator as sim

TOL_S = 0.5
SAFETY = ("too_fast", "jerky", "overextension", "lost_view")
SCENARIOS = (
    "good",
    "good",
    "too_fast",
    "overextension",
    "jerky",
    "short_hold",
    "lost_view",
    "wrong_side",
    "too_fast+lost_view",
)
FPS_CHOICES: tuple[float | str, ...] = (30.0, 30.0, 15.0, "variable")


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    start_err: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)


def overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["start_s"] - TOL_S <= b["end_s"] and b["start_s"] - TOL_S <= a["end_s"]


def match_events(truth: list[dict], core: list[dict], tallies: dict[str, Tally], tag: str) -> None:
    for kind in SAFETY:
        want = [e for e in truth if e["type"] == kind]
        got = [e for e in core if e["type"] == kind]
        used: set[int] = set()
        tally = tallies[kind]
        for w in want:
            j = next((j for j, g in enumerate(got) if j not in used and overlaps(w, g)), None)
            if j is None:
                tally.fn += 1
                tally.misses.append(f"{tag} @{w['start_s']:.1f}s")
                continue
            used.add(j)
            tally.tp += 1
            tally.start_err.append(abs(got[j]["start_s"] - w["start_s"]))
        extra = [g for j, g in enumerate(got) if j not in used]
        tally.fp += len(extra)
        tally.extras += [f"{tag} @{g['start_s']:.1f}s {g['angle']}" for g in extra]


@dataclass
class RepStats:
    sessions: int = 0
    count_right: int = 0
    sides_right: int = 0
    ok_right: int = 0
    hold_err: list[float] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


def compare_reps(truth: list[dict], core: list[dict], stats: RepStats, tag: str) -> None:
    stats.sessions += 1
    if len(truth) != len(core):
        stats.wrong.append(f"{tag}: {len(core)} reps, truth {len(truth)}")
        return
    stats.count_right += 1
    stats.sides_right += [r["side"] for r in truth] == [r["side"] for r in core]
    stats.ok_right += [r["ok"] for r in truth] == [r["ok"] for r in core]
    stats.hold_err += [abs(t["hold_s"] - c["hold_s"]) for t, c in zip(truth, core, strict=True)]


def plan(n: int, seed: int) -> list[tuple[str, str, int, float | str]]:
    """A mixed set: every exercise, every scenario that applies, several rates and seeds."""
    rng = np.random.default_rng(seed)
    exercises = list(sim.PROFILES)
    out = []
    for i in range(n):
        ex_id = exercises[i % len(exercises)]
        scenario = SCENARIOS[(i // len(exercises)) % len(SCENARIOS)]
        if scenario == "wrong_side" and ex_id != "seated-twist":
            scenario = "short_hold" if i % 2 else "good"
        fps = FPS_CHOICES[int(rng.integers(len(FPS_CHOICES)))]
        out.append((ex_id, scenario, seed * 1000 + i, fps))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--reps", type=int, default=2, help="reps per side in each session")
    ap.add_argument("--verbose", action="store_true", help="list every miss and extra")
    args = ap.parse_args()
    tallies: dict[str, Tally] = defaultdict(Tally)
    reps = RepStats()
    exercises = {e: load_exercise(e) for e in sim.PROFILES}
    t0 = time.perf_counter()
    for ex_id, scenario, seed, fps in plan(args.sessions, args.seed):
        sc = sim.Scenario.named(scenario, reps_per_side=args.reps, fps=fps)
        frames, truth = sim.simulate(ex_id, sc, seed)
        session, _ = score_frames(frames, exercises[ex_id])
        report = build_report(session, "generated")
        tag = f"{ex_id}/{scenario}/seed{seed}/{fps}"
        match_events(truth["events"], report["events"], tallies, tag)
        compare_reps(truth["reps"], report["reps"], reps, tag)
    print(
        f"{args.sessions} generated sessions in {time.perf_counter() - t0:.0f} s "
        f"(match: same type, spans overlapping within {TOL_S} s)\n"
    )
    print(
        f"{'event':<14}{'truth':>6}{'core':>6}{'TP':>5}{'FP':>5}{'FN':>5}"
        f"{'precision':>11}{'recall':>8}{'|start err| median':>20}"
    )
    for kind in SAFETY:
        t = tallies[kind]
        prec = t.tp / (t.tp + t.fp) if t.tp + t.fp else float("nan")
        rec = t.tp / (t.tp + t.fn) if t.tp + t.fn else float("nan")
        err = f"{np.median(t.start_err):.2f} s" if t.start_err else "-"
        print(
            f"{kind:<14}{t.tp + t.fn:>6}{t.tp + t.fp:>6}{t.tp:>5}{t.fp:>5}{t.fn:>5}"
            f"{prec:>11.2f}{rec:>8.2f}{err:>20}"
        )
    n = reps.sessions
    print(
        f"\nrep count right in {reps.count_right}/{n} sessions; sides right in "
        f"{reps.sides_right}/{reps.count_right} of those; ok flags right in "
        f"{reps.ok_right}/{reps.count_right}"
    )
    if reps.hold_err:
        e = np.array(reps.hold_err)
        print(
            f"hold-time error over {len(e)} reps: median {np.median(e):.2f} s, "
            f"95th percentile {np.percentile(e, 95):.2f} s, max {e.max():.2f} s, "
            f"within 0.5 s: {np.mean(e <= 0.5) * 100:.0f}%"
        )
    for line in reps.wrong:
        print("  rep count:", line)
    for kind in SAFETY:
        t = tallies[kind]
        shown = (t.misses, t.extras) if args.verbose else (t.misses[:5], t.extras[:5])
        for m in shown[0]:
            print(f"  missed {kind}: {m}")
        for x in shown[1]:
            print(f"  extra {kind}: {x}")


if __name__ == "__main__":
    main()
