"""Frames and truth for the independent family: camera, frame times, MediaPipe-like noise,
lost view, and truth events read off the motion script (never off the judge's rules).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from coach.core.landmarks import INDEX, PoseFrame
from coach.sim.independent_body import SIDE_NAMES, Build, Camera, Pose, body_points

# The anatomical angle each script channel is, and the published end range past which it is
# an overextension (see coach/sim/independent.py for the sources).
JUDGED = {
    "ext": "trunk extension",
    "neck": "neck extension",
    "twist": "trunk rotation",
    "thigh_l": "hip flexion",
}
NORMAL_END = {"trunk extension": 30.0, "neck extension": 70.0, "trunk rotation": 45.0}
FAST_DPS = 60.0  # gentle moves peak below 35 deg/s, faults at 110 deg/s and more
KEY_POINTS = ("left_shoulder", "right_shoulder", "nose", "left_ear", "right_ear")


def frame_times(duration: float, mode: float | str, rng: np.random.Generator) -> np.ndarray:
    """Fixed rates, or a variable rate wandering between 15 and 30 fps (phones, webcams)."""
    if mode != "variable":
        return np.arange(0.0, duration, 1.0 / float(mode))
    out, t, fps = [], 0.0, rng.uniform(15, 30)
    while t < duration:
        out.append(t)
        if rng.random() < 0.03:
            fps = float(np.clip(fps + rng.normal(0, 6), 15, 30))
        t += float(np.clip(1.0 / fps + rng.normal(0, 0.002), 1 / 30, 1 / 15))
    return np.array(out)


def _spans(t: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    out, start = [], None
    for i, m in enumerate(mask):
        if m and start is None:
            start = t[i]
        if not m and start is not None:
            out.append((float(start), float(t[i - 1])))
            start = None
    if start is not None:
        out.append((float(start), float(t[-1])))
    return out


def truth_events(script: Any, plan: dict, duration: float) -> list[dict[str, Any]]:
    """Safety events as the script made them: spans faster than FAST_DPS, spans past the
    published end range, the jolts, and the lost-view windows; same-type overlaps merged."""
    tt = np.arange(0.0, duration, 0.002)
    ev: list[dict[str, Any]] = []
    for ch, name in JUDGED.items():
        v = script.values(ch, tt)
        angle = 90 + v if ch == "thigh_l" else v  # hip flexion from the thigh's direction
        speed = np.abs(np.gradient(angle, tt))
        for a, b in _spans(tt, speed > FAST_DPS):
            ev.append(
                {
                    "type": "too_fast",
                    "start_s": a,
                    "end_s": b,
                    "angle": name,
                    "value": round(float(speed[(tt >= a) & (tt <= b)].max()), 1),
                }
            )
        if name in NORMAL_END:
            over = (
                (angle > NORMAL_END[name]) if ch != "twist" else (np.abs(angle) > NORMAL_END[name])
            )
            for a, b in _spans(tt, over):
                ev.append(
                    {
                        "type": "overextension",
                        "start_s": a,
                        "end_s": b,
                        "angle": name,
                        "value": round(float(np.abs(angle[(tt >= a) & (tt <= b)]).max()), 1),
                        "limit": NORMAL_END[name],
                    }
                )
    for j in plan["jolts"]:
        ev.append(
            {
                "type": "jerky",
                "start_s": j["start_s"],
                "end_s": j["end_s"],
                "angle": j["angle"],
                "value": round(j["amp"], 1),
            }
        )
    for lost in plan["lost"]:
        ev.append(
            {
                "type": "lost_view",
                "start_s": lost["start_s"],
                "end_s": lost["end_s"],
                "angle": None,
                "how": lost["kind"],
            }
        )
    ev.sort(key=lambda e: (e["type"], e["start_s"]))
    merged: list[dict[str, Any]] = []
    for e in ev:
        last = merged[-1] if merged else None
        if last and last["type"] == e["type"] and e["start_s"] <= last["end_s"] + 0.05:
            last["end_s"] = max(last["end_s"], e["end_s"])
            if e["angle"] and e["angle"] not in (last["angle"] or ""):
                last["angle"] = f"{last['angle']}, {e['angle']}"
            continue
        merged.append(dict(e))
    for e in merged:
        e["start_s"], e["end_s"] = round(e["start_s"], 3), round(e["end_s"], 3)
    return sorted(merged, key=lambda e: e["start_s"])


def fit_camera(cam: Camera, poses: list[Pose], build: Build, rng: np.random.Generator) -> Camera:
    """Move the camera back until the whole movement fits in ~75% of the frame, then centre."""
    pts = np.vstack([cam.to_world(body_points(p, build)) for p in poses])
    img = cam.to_image(pts)
    extent = max(
        (img[:, 0].max() - img[:, 0].min()) / 0.72, (img[:, 1].max() - img[:, 1].min()) / 0.72
    )
    cam = replace(cam, distance=max(cam.distance, cam.distance * extent))
    img = cam.to_image(pts)
    du = 0.5 - (img[:, 0].max() + img[:, 0].min()) / 2 + rng.uniform(-0.04, 0.04)
    dv = 0.5 - (img[:, 1].max() + img[:, 1].min()) / 2 + rng.uniform(-0.04, 0.04)
    return replace(cam, cx=cam.cx + du, cy=cam.cy + dv)


def render(
    script: Any, plan: dict, build: Build, cam: Camera, times: np.ndarray, rng: np.random.Generator
) -> list[PoseFrame]:
    """Landmarks at every frame time, with MediaPipe-like noise, visibility and lost view."""
    chans = {k: script.values(k, times) for k in script.val}
    phase = rng.uniform(0, 2 * np.pi, 4)
    sway = [
        0.5 * np.sin(2 * np.pi * times / p + ph)
        for p, ph in zip((5.0, 6.0, 7.0, 6.5), phase, strict=True)
    ]
    for k, s in zip(("ext", "neck", "twist", "lean"), sway, strict=True):
        chans[k] = chans[k] + s
    rest_world = cam.to_world(body_points(script.start, build))
    side_view = abs(abs(cam.yaw) - 90) < 45
    far = None
    if side_view:
        far = (
            "left"
            if rest_world[INDEX["left_hip"], 2] > rest_world[INDEX["right_hip"], 2]
            else "right"
        )
    far_idx = SIDE_NAMES[far] if far else []
    n = len(times)
    drift = np.zeros((33, 3))
    vis_base = rng.uniform(0.9, 0.99, 33)
    frames: list[PoseFrame] = []
    for i, t in enumerate(times):
        pose = Pose(**{k: float(v[i]) for k, v in chans.items()}, arms=script.start.arms)
        world = cam.to_world(body_points(pose, build))
        drift = 0.9 * drift + rng.normal(0, 0.0009, (33, 3))
        noise = rng.normal(0, 1, (33, 3)) * np.array([0.003, 0.003, 0.008]) + drift
        if far_idx:
            noise[far_idx] += rng.normal(0, 0.005, (len(far_idx), 3))
        world_n = world + noise
        img = cam.to_image(world) + rng.normal(0, 1, (33, 3)) * np.array([0.003, 0.003, 0.01])
        vis = np.clip(vis_base + rng.normal(0, 0.01, 33), 0, 1)
        if far_idx:
            vis[far_idx] = rng.uniform(0.1, 0.4, len(far_idx))
        lost = next((w for w in plan["lost"] if w["start_s"] <= t <= w["end_s"]), None)
        if lost and lost["kind"] == "lost_empty":
            frames.append(PoseFrame(t=float(t)))
            continue
        if lost and lost["kind"] == "lost_low_vis":
            vis = rng.uniform(0.02, 0.3, 33)
            world_n = world_n + rng.normal(0, 0.03, (33, 3))
        if lost and lost["kind"] == "lost_out_of_frame":
            # the camera is knocked aside: the upper body leaves the picture, MediaPipe
            # still extrapolates it with middling visibility
            key = [INDEX[k] for k in KEY_POINTS]
            img[:, 0] += 1.06 - img[key, 0].min()
            outside = (img[:, 0] > 1.0) | (img[:, 0] < 0.0)
            vis[outside] = rng.uniform(0.4, 0.8, int(outside.sum()))
        w4 = np.column_stack([world_n, vis])
        i4 = np.column_stack([img, vis])
        frames.append(PoseFrame(t=float(t), world=w4, image=i4))
    assert len(frames) == n
    return frames
