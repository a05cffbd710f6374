"""One self-contained report.html per session, for the person and their physiotherapist.

Everything is inside the file (CSS, the angle plot and the still frames as data: URIs), so it
opens offline, can be mailed as one attachment, and prints to A4. The page leads with the
verdict in plain words, then reps and holds, peak angles beside the published normal range the
pose file cites, each safety event with a still frame, and the angle plot. Event names and
colours come from coach.core.events, like every other view of a session.
"""

from __future__ import annotations

import base64
import html
import math
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from coach.core import events
from coach.core.exercises import AngleRule, Exercise
from coach.core.landmarks import PoseFrame
from coach.core.scoring import AngleSeries

NOTE = "Checks posture and pace only; not a diagnosis; stop on pain."
MAX_STILLS = 12  # more events than this are listed without frames, to keep the file small
STILL_WIDTH = 480

VERDICTS: dict[str, tuple[str, str]] = {
    # verdict -> (plain words, colour)
    "good": ("Well done: a good session.", "#2e7d32"),
    "needs_work": ("Nearly there: some reps need work.", "#b26a00"),
    "caution": ("Take care: the coach saw movements to watch.", "#c62828"),
    "stopped": ("Stopped for pain. Rest, and get advice if it persists.", "#000000"),
    "no_pose": ("No person was seen in this recording.", "#555555"),
    "not_recognised": ("This recording was not recognised as one of the stretches.", "#555555"),
}

CSS = """
:root { --ink:#1b1b1b; --muted:#5f6368; --line:#dadce0; --ok:#2e7d32; --short:#b26a00; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--ink); margin: 0; background: #fff; }
main { max-width: 980px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.45em; margin: 0 0 4px; }
h2 { font-size: 1.12em; margin: 22px 0 8px; border-bottom: 1px solid var(--line);
  padding-bottom: 3px; }
.meta { color: var(--muted); font-size: .9em; margin: 0 0 12px; }
.verdict { border-left: 8px solid; padding: 10px 14px; background: #f7f7f7; border-radius: 4px; }
.verdict .words { font-size: 1.3em; font-weight: 700; margin: 0 0 4px; }
.verdict ul { margin: 4px 0 0; padding-left: 20px; }
.note { font-weight: 600; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .93em; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: #f1f3f4; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
.bar { position: relative; height: 12px; min-width: 90px; background: #eceff1;
  border-radius: 6px; overflow: hidden; }
.bar > span { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 6px; }
.ok { color: var(--ok); font-weight: 600; }
.muted { color: var(--muted); }
.short { color: var(--short); font-weight: 600; }
.chip { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff;
  font-size: .85em; font-weight: 600; white-space: nowrap; }
.events { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr));
  gap: 12px; }
.event { border: 1px solid var(--line); border-radius: 6px; padding: 8px; break-inside: avoid;
  page-break-inside: avoid; }
.event img { width: 100%; height: auto; display: block; margin-top: 6px; border-radius: 3px; }
.event p { margin: 4px 0 0; }
figure { margin: 0; }
figure img { width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: .88em; }
code { overflow-wrap: anywhere; }
footer { margin-top: 24px; padding-top: 8px; border-top: 1px solid var(--line);
  color: var(--muted); font-size: .88em; }
@media (max-width: 600px) {
  main { padding: 10px; }
  body { font-size: 14px; }
  th, td { padding: 4px 5px; }
  .hide-narrow { display: none; }
}
@page { size: A4; margin: 12mm; }
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2, .verdict, table, figure { break-inside: avoid; page-break-inside: avoid; }
  .events { grid-template-columns: repeat(3, 1fr); }
}
"""


def esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def fmt_s(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    return f"{int(x // 60)}:{x % 60:04.1f}" if x >= 60 else f"{x:.1f} s"


def fmt_deg(x: float | None) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{x:.0f}°"


def title(name: str) -> str:
    return name.replace("_", " ").capitalize()


# ----- pictures --------------------------------------------------------------------------------
def plot_png(series: AngleSeries, report: dict[str, Any], exercise: Exercise) -> bytes:
    """The angle plot of coach.ui.plots, as PNG bytes."""
    from coach.ui.plots import plot_angles

    with tempfile.TemporaryDirectory() as tmp:
        path = plot_angles(series, report, exercise, Path(tmp) / "angles.png")
        return path.read_bytes()


def nearest_frame(frames: Sequence[PoseFrame], t: float) -> PoseFrame | None:
    if not frames:
        return None
    times = np.array([f.t for f in frames])
    return frames[int(np.argmin(np.abs(times - t)))]


def _canvas_pose(pose: PoseFrame, w: int, h: int) -> PoseFrame:
    """The pose fitted into a blank w x h canvas: image coordinates when there are any
    (normalised to an unknown frame shape), else the world ones seen from the front."""
    if pose.image is not None:
        pts = np.asarray(pose.image, dtype=float).copy()
    elif pose.world is not None:
        pts = np.asarray(pose.world, dtype=float).copy()
    else:
        return pose
    seen = np.isfinite(pts[:, 0]) & np.isfinite(pts[:, 1]) & (pts[:, 3] >= 0.3)
    if seen.sum() < 2:
        return pose
    xy = pts[seen, :2]
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    centre = (lo + hi) / 2
    # One scale for both axes, in pixels per unit, so the body keeps its proportions.
    scale = 0.85 * min(w / max(hi[0] - lo[0], 1e-6), h / max(hi[1] - lo[1], 1e-6))
    pts[:, 0] = 0.5 + (pts[:, 0] - centre[0]) * scale / w
    pts[:, 1] = 0.5 + (pts[:, 1] - centre[1]) * scale / h
    return PoseFrame(pose.t, world=pose.world, image=pts)


def still_frame(
    frames: Sequence[PoseFrame], t: float, video: str | Path | None = None
) -> bytes | None:
    """A JPEG of the moment `t`: the video frame (or a blank canvas) with the skeleton drawn."""
    import cv2

    from coach.ui.overlay import scale_for
    from coach.ui.skeleton import draw_skeleton

    pose = nearest_frame(frames, t)
    img = None
    if video is not None:
        cap = cv2.VideoCapture(str(video))
        try:
            cap.set(cv2.CAP_PROP_POS_MSEC, max(0.0, t) * 1000.0)
            ok, got = cap.read()
            img = got if ok else None
        finally:
            cap.release()
    if img is None:
        if pose is None or not pose.has_pose:
            return None
        img = np.full((360, 640, 3), 64, np.uint8)
        pose = _canvas_pose(pose, 640, 360)
    if pose is not None and pose.has_pose:
        draw_skeleton(img, pose, False, scale_for(img))
    h, w = img.shape[:2]
    if w > STILL_WIDTH:
        img = cv2.resize(
            img, (STILL_WIDTH, round(h * STILL_WIDTH / w)), interpolation=cv2.INTER_AREA
        )
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 82])
    return buf.tobytes() if ok else None


# ----- sections --------------------------------------------------------------------------------
def verdict_html(report: dict[str, Any]) -> str:
    s = report.get("summary", {})
    verdict = s.get("verdict", "")
    words, colour = VERDICTS.get(verdict, (title(verdict or "no verdict"), "#555555"))
    reasons = "".join(f"<li>{esc(r)}</li>" for r in s.get("reasons", []))
    partial = ""
    if report.get("partial"):
        why = report.get("partial_reason", "scoring did not finish")
        partial = f"<p><strong>Partial:</strong> {esc(why)}</p>"
    return (
        f'<section class="verdict" id="verdict" style="border-color:{colour}">'
        f'<p class="words" style="color:{colour}">{esc(words)}</p>'
        f"<ul>{reasons}</ul>{partial}"
        f'<p class="note">{esc(NOTE)}</p></section>'
    )


def _hold_bar(hold: float, target: float, ok: bool) -> str:
    frac = 1.0 if target <= 0 else max(0.0, min(1.0, hold / target))
    colour = "var(--ok)" if ok else "var(--short)"
    return (
        f'<div class="bar" title="{hold:.1f} of {target:.0f} s">'
        f'<span style="width:{100 * frac:.0f}%;background:{colour}"></span></div>'
    )


def reps_html(report: dict[str, Any]) -> str:
    s = report.get("summary", {})
    sides = s.get("sides", {})
    target_n = s.get("target_reps_per_side", 0)
    target_hold = s.get("target_hold_s", 0)
    rows = []
    for side, d in sides.items():
        who = "both sides" if side == "both" else f"{side} side"
        cls = "ok" if d["ok"] >= target_n else "short"
        rows.append(
            f"<tr><td>{esc(who)}</td><td class='num'>{d['reps']}</td>"
            f"<td class='num {cls}'>{d['ok']} of {target_n}</td>"
            f"<td class='num'>{d['hold_s']:.1f} s</td></tr>"
        )
    summary = (
        "<div class='scroll'><table id='sides'><tr><th>Side</th><th class='num'>Reps</th>"
        f"<th class='num'>Held {target_hold:.0f} s+ <small>of planned</small></th>"
        "<th class='num'>Time held</th></tr>" + "".join(rows) + "</table></div>"
    )
    reps = report.get("reps", [])
    if not reps:
        return summary + "<p>No rep reached the target pose.</p>"
    lines = []
    for i, r in enumerate(reps, 1):
        ok = bool(r.get("ok"))
        if ok:
            mark = "<span class='ok'>held</span>"
        elif r["hold_s"] < r["target_hold_s"]:
            mark = "<span class='short'>short</span>"
        else:  # held long enough, yet not a good rep: a safety event during it
            mark = "<span class='short'>see events</span>"
        lines.append(
            f"<tr><td class='num'>{i}</td><td>{esc(r.get('side') or '–')}</td>"
            f"<td class='num'>{fmt_s(r['start_s'])} – {fmt_s(r['end_s'])}</td>"
            f"<td class='num'>{r['hold_s']:.1f} / {r['target_hold_s']:.0f} s</td>"
            f"<td class='hide-narrow'>{_hold_bar(r['hold_s'], r['target_hold_s'], ok)}</td>"
            f"<td>{mark}</td></tr>"
        )
    return (
        summary + "<div class='scroll'><table id='reps'><tr><th class='num'>#</th><th>Side</th>"
        "<th class='num'>From – to</th><th class='num'>Hold / target</th>"
        "<th class='hide-narrow'>Hold</th>"
        "<th></th></tr>" + "".join(lines) + "</table></div>"
    )


def _peak(values: list[float], rule: AngleRule) -> float | None:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return None
    return max(finite) if rule.toward_target() > 0 else min(finite)


def _norm_text(rule: AngleRule, peak: float | None) -> str:
    if rule.norm is None:
        return "<span class='muted'>none cited</span>"
    lo, hi = rule.norm
    text = f"{lo:.0f}° to {hi:.0f}° ({esc(rule.norm_source or 'published')})"
    if peak is None:
        return text
    shown = round(peak)  # judged as shown: a 45.4 deg peak reads 45, within 0-45
    if lo <= shown <= hi:
        return text + " <span class='ok'>within</span>"
    if rule.target[0] <= shown <= rule.target[1]:
        # The stretch's own target reaches past the range (a hug adds lumbar curl to the hip).
        return text + " <span class='muted'>beyond it, as the target is</span>"
    return text + " <span class='short'>beyond</span>"


def peaks_html(report: dict[str, Any], exercise: Exercise) -> str:
    """Each angle's furthest reading per side, beside its target, limit and normal range."""
    reps = report.get("reps", [])
    sides = ["right", "left"] if exercise.sided else [None]
    rows = []
    for rule in exercise.angles:
        for side in sides:
            peak = _peak(
                [r["peak_deg"].get(rule.name) for r in reps if r.get("side") == side], rule
            )
            who = f" ({side})" if side else ""
            role = "" if rule.role == "target" else " <small>(form check)</small>"
            rows.append(
                f"<tr><td>{esc(title(rule.name))}{esc(who)}{role}"
                f"<br><small class='hide-narrow'>{esc(rule.description)}</small></td>"
                f"<td class='num'><strong>{fmt_deg(peak)}</strong></td>"
                f"<td class='num'>{rule.target[0]:.0f}° to {rule.target[1]:.0f}°</td>"
                f"<td class='num'>{rule.limit:.0f}°</td><td>{_norm_text(rule, peak)}</td></tr>"
            )
    return (
        "<div class='scroll'><table id='peaks'><tr><th>Angle</th><th class='num'>Peak</th>"
        "<th class='num'>Target</th><th class='num'>Limit</th>"
        "<th>Published normal range</th></tr>" + "".join(rows) + "</table></div>"
        "<p class='meta'>Peak: the furthest reading toward the target during the reps. The "
        "camera measures landmarks, not bones: compare with the published range as a guide "
        "only.</p>"
    )


def still_angles_html(report: dict[str, Any]) -> str:
    """A photo: each angle as measured, against its target."""
    rows = []
    for key, a in report.get("angles", {}).items():
        target = a.get("target")
        band = f"{target[0]:.0f}° to {target[1]:.0f}°" if target else "–"
        rows.append(
            f"<tr><td>{esc(title(key.replace('@', ' ')))}</td>"
            f"<td class='num'>{fmt_deg(a.get('value'))}</td><td class='num'>{band}</td>"
            f"<td>{esc(str(a.get('verdict', '')).replace('_', ' '))}</td></tr>"
        )
    return (
        "<div class='scroll'><table id='peaks'><tr><th>Angle</th><th class='num'>Value</th>"
        "<th class='num'>Target</th><th>Reading</th></tr>" + "".join(rows) + "</table></div>"
    )


def _event_value(ev: dict[str, Any]) -> str:
    if ev.get("value") is None:
        return ""
    kind = events.KINDS.get(ev["type"])
    unit = kind.unit if kind else ""
    unit = {"deg": "°", "deg/s": "°/s", "deg/s²": "°/s²"}.get(unit, f" {unit}" if unit else "")
    text = f"{ev['value']:.0f}{unit}"
    if ev.get("limit") is not None:
        text += f" (limit {ev['limit']:.0f}{unit})"
    return text


def events_html(
    report: dict[str, Any], frames: Sequence[PoseFrame], video: str | Path | None
) -> str:
    evs = [e for e in report.get("events", []) if e["type"] in events.WARNING_TYPES]
    if not evs:
        return "<p id='events'>No safety events: movements stayed gentle and within range.</p>"
    cards = []
    shown = 0
    for ev in evs:
        kind = ev["type"]
        t0, t1 = float(ev["start_s"]), float(ev["end_s"])
        when = fmt_s(t0) if t1 - t0 < 0.05 else f"{fmt_s(t0)} – {fmt_s(t1)}"
        img = ""
        if kind != "daily_limit" and shown < MAX_STILLS and frames:
            jpg = still_frame(frames, (t0 + t1) / 2, video)
            if jpg:
                shown += 1
                img = (
                    f"<img alt='frame at {fmt_s((t0 + t1) / 2)}' "
                    f"src='{data_uri(jpg, 'image/jpeg')}'>"
                )
        angle = f" · {esc(title(ev['angle']))}" if ev.get("angle") else ""
        cards.append(
            f"<div class='event'><span class='chip' style='background:{events.colour(kind)}'>"
            f"{esc(events.label(kind))}</span> <strong>{esc(when)}</strong>{angle} "
            f"{esc(_event_value(ev))}<p>{esc(ev.get('message', ''))}</p>{img}</div>"
        )
    more = ""
    if len(evs) > shown and shown == MAX_STILLS:
        more = f"<p class='meta'>Frames are shown for the first {MAX_STILLS} events.</p>"
    return f"<div class='events' id='events'>{''.join(cards)}</div>{more}"


def session_page(
    report: dict[str, Any],
    exercise: Exercise | None,
    series: AngleSeries | None,
    frames: Sequence[PoseFrame] = (),
    *,
    video: str | Path | None = None,
    created: datetime | None = None,
) -> str:
    """The whole page as one HTML string (no external URL, no script)."""
    created = created or datetime.now().astimezone()
    name = report.get("exercise_name") or (exercise.name if exercise else "Recording")
    source = str(report.get("source", ""))
    parts = [
        f"<h1>{esc(name)}</h1>",
        f"<p class='meta'>{esc(Path(source).name or source)} · "
        f"{fmt_s(report.get('duration_s'))} · {esc(created.strftime('%d %b %Y, %H:%M'))}</p>",
        verdict_html(report),
    ]
    if report.get("still"):
        parts += ["<h2>Angles in the photo</h2>", still_angles_html(report)]
    elif exercise is not None:
        parts += ["<h2>Reps and holds</h2>", reps_html(report)]
        parts += ["<h2>Peak angles</h2>", peaks_html(report, exercise)]
    if report.get("exercise") is not None:
        parts += ["<h2>Safety events</h2>", events_html(report, frames, video)]
    if series is not None and exercise is not None and len(series.t):
        png = plot_png(series, report, exercise)
        parts.append(
            "<h2>Angles over time</h2><figure id='plot'>"
            f"<img alt='angles over time' src='{data_uri(png, 'image/png')}'>"
            "<figcaption>Green band: target; red dashed line: limit; shaded spans: reps and "
            "events.</figcaption></figure>"
        )
    seen = report.get("frames_with_pose", 0)
    parts.append(
        "<footer id='footer'>"
        f"<p>Made {esc(created.strftime('%Y-%m-%d %H:%M %Z').strip())} by coach from "
        f"<code>{esc(source)}</code>; person seen in {seen} of {report.get('frames', 0)} "
        f"frames.</p><p class='note'>{esc(NOTE)}</p></footer>"
    )
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(name)} — coach report</title><style>{CSS}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def write_session_page(
    path: str | Path,
    report: dict[str, Any],
    exercise: Exercise | None,
    series: AngleSeries | None,
    frames: Sequence[PoseFrame] = (),
    *,
    video: str | Path | None = None,
    created: datetime | None = None,
) -> Path:
    out = Path(path)
    page = session_page(report, exercise, series, frames, video=video, created=created)
    out.write_text(page, encoding="utf-8")
    return out


def write_live_extras(
    out_dir: str | Path,
    report: dict[str, Any],
    exercise: Exercise,
    frames: Sequence[PoseFrame],
    source: str | None = None,
) -> list[Path]:
    """A live session's report.html and angle data, from the poses the loop kept."""
    from coach.core.scoring import angle_series
    from coach.io.export import write_all
    from coach.io.inputs import kind_of

    d = Path(out_dir)
    series = angle_series(list(frames), exercise) if frames else None
    video = source if source and kind_of(Path(source)) == "video" else None
    page = write_session_page(d / "report.html", report, exercise, series, frames, video=video)
    return [page, *write_all(d, series, frames)]
