"""Synthetic MediaPipe-like landmark sessions with exact ground truth, for testing the core.

Why: real footage is scarce and unlabelled. A kinematic body with human proportions, posed by
scripted joint-angle trajectories, gives recordings whose reps, holds and safety events are
known exactly, so the core can be measured (tests, benchmarks/event_accuracy.py).

Conventions are MediaPipe's (coach/core/landmarks.py, coach/core/angles.py): world
landmarks in metres, origin mid-hip, y down, the person's left +x when they face the camera,
the camera looking along +z. The body is built in a "scene" frame (person facing -z,
sagittal angles measured from straight up, positive toward +z = backward) and then turned by
the view yaw.

The truth is computed from the noise-free scripted angles on a 1 kHz grid, with the report
contract's definitions (DESIGN.md): a rep runs from leaving the driver's start band to
returning to it; hold_s is the time every target angle is inside its target band; an event
spans the time its condition holds, and spans closer than MERGE_GAP_S are one event.

The parts, one job each: script.py (scenario, trajectories, script), body.py (kinematic body),
camera.py (camera, visibility, noise, frame times), truth.py (ground truth), cli.py (the
command); this module puts them together and writes the files.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from coach.core.exercises import Exercise
from coach.core.landmarks import INDEX, N_LANDMARKS, PoseFrame
from coach.io.landmark_file import LandmarkWriter, Rounding
from coach.io.poses import load_exercise
from coach.sim.body import BUILDERS, Angles, Body, rot_y
from coach.sim.camera import choose_camera, frame_times, jitter, place_camera, project, visibility
from coach.sim.script import FAULTS, PROFILES, SCENARIOS, Scenario, Script, build_script
from coach.sim.truth import compute_truth

SOURCE = "coach.simulate"


# ----- putting it together ----------------------------------------------------------------
def _angles(script: Script, t: np.ndarray) -> Angles:
    raw = script.driver.at(t)
    sign = script.side_sign(t) if script.exercise.sided else np.ones_like(t)
    u = script.progress(raw, sign)
    return Angles(driver=raw, aux=script.aux(u), u=u, sign=sign, legs=script.legs.at(t))


def simulate(
    exercise_id: str,
    scenario: str | Scenario = "good",
    seed: int = 0,
    exercise: Exercise | None = None,
) -> tuple[list[PoseFrame], dict[str, Any]]:
    """A landmark sequence of one scripted session and its ground truth (see module doc)."""
    sc = Scenario.named(scenario) if isinstance(scenario, str) else scenario
    ex = exercise or load_exercise(exercise_id)
    rng = np.random.default_rng(seed)
    script = build_script(ex, sc, rng)
    body = Body.random(rng)
    times = frame_times(script.duration_s, sc.fps, rng)
    scene = BUILDERS[script.profile.builder](body, _angles(script, times)).stack()
    cam = choose_camera(ex, sc, scene[:1], rng)
    world = np.einsum("ij,tnj->tni", rot_y(np.array(cam.yaw_deg)), scene)
    world -= (world[:, INDEX["left_hip"]] + world[:, INDEX["right_hip"]])[:, None] / 2
    cam = place_camera(cam, world, rng)
    vis = visibility(world, rng)
    if sc.noise:
        world = world + jitter(times, N_LANDMARKS, vis, rng)
    image = project(cam, world)
    hidden = np.zeros(len(times), dtype=bool)
    for t0, t1 in script.gaps:
        hidden |= (times >= t0) & (times < t1)
    dropped = (rng.random(len(times)) < 0.002) & sc.noise & ~hidden
    frames = []
    for i, ti in enumerate(times):
        if hidden[i] or dropped[i]:
            frames.append(PoseFrame(t=float(ti)))
            continue
        w = np.concatenate([world[i], vis[i][:, None]], axis=1)
        im = np.concatenate([image[i], vis[i][:, None]], axis=1)
        frames.append(PoseFrame(t=float(ti), world=w, image=im))
    truth = compute_truth(script, times)
    truth = {
        "exercise": ex.id,
        "scenario": sc.name,
        "seed": seed,
        "fps": sc.fps if sc.fps != "variable" else None,
        "view": ex.view,
        "camera_yaw_deg": round(cam.yaw_deg, 1),
        "camera_distance_m": round(cam.distance_m, 2),
        "height_m": round(body.height, 3),
        "duration_s": round(float(times[-1]), 3),
        "driver": {
            "name": ex.driver,
            "rest_deg": round(script.rest, 1),
            "hold_deg": round(script.hold, 1),
        },
        **truth,
        "injected": script.injected,
        "dropped_frames": int(dropped.sum()),
    }
    return frames, truth


def truth_path(path: str | Path) -> Path:
    p = str(path)
    for suffix in (".landmarks.jsonl", ".jsonl"):
        if p.endswith(suffix):
            return Path(p[: -len(suffix)] + ".truth.json")
    return Path(p + ".truth.json")


def write_session(
    path: str | Path, frames: list[PoseFrame], truth: dict[str, Any], compact: bool = False
) -> Path:
    """The landmark file (truth also in the header) and a *.truth.json sidecar.

    compact rounds world coordinates to 1 mm and image ones to 1e-4 (well below the jitter)
    so shipped samples stay small; the format is the same contract."""
    rounding = Rounding(world=3, image=4, visibility=2) if compact else Rounding(visibility=2)
    p = Path(path)
    with LandmarkWriter(p, truth["fps"], SOURCE, rounding, truth=truth) as writer:
        for f in frames:
            writer.write(f)
    side = truth_path(p)
    side.write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    return side


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m coach.sim` and the old `python -m coach.sim.generator` entry point."""
    from coach.sim.cli import main as cli_main

    return cli_main(argv)


__all__ = [
    "FAULTS",
    "INDEX",
    "PROFILES",
    "SCENARIOS",
    "SOURCE",
    "PoseFrame",
    "Scenario",
    "Script",
    "build_script",
    "main",
    "simulate",
    "truth_path",
    "write_session",
]

if __name__ == "__main__":
    sys.exit(main())
