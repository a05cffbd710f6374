"""`coach history --html FILE`: one self-contained page of progress over days.

It shows what was done (sessions, minutes, holds achieved, peak range of motion per exercise)
beside what to watch (safety events, pain stops, days past the daily limits): the seed's
"don't over-do it" rule made visible. Charts are inline SVG; nothing is fetched.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from coach.core import events
from coach.core.exercises import Exercise
from coach.core.limits import Limits
from coach.core.records import SessionRecord
from coach.errors import CoachError
from coach.ui.session_page import CSS, NOTE, esc, title

EXTRA_CSS = """
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 10px; }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.tile b { display: block; font-size: 1.5em; }
.tile.warn { border-color: #c62828; color: #c62828; }
tr.over td { background: #fdecea; }
svg { width: 100%; height: auto; display: block; }
svg text { font: 11px system-ui, "DejaVu Sans", sans-serif; fill: #444; }
td.day { white-space: nowrap; }
@media (max-width: 600px) { svg text { font-size: 20px; } }
"""
CHART_W, CHART_H = 720, 200
PAD_L, PAD_R, PAD_T, PAD_B = 44, 10, 12, 28


def by_day(sessions: Sequence[SessionRecord]) -> dict[date, list[SessionRecord]]:
    """Sessions per local day, every day from the first to the last: rest days show too."""
    days: dict[date, list[SessionRecord]] = defaultdict(list)
    for s in sessions:
        days[s.started_at.astimezone().date()].append(s)
    if not days:
        return {}
    first, last = min(days), max(days)
    return {
        first + timedelta(days=i): days.get(first + timedelta(days=i), [])
        for i in range((last - first).days + 1)
    }


def nice_range(lo: float, hi: float, ticks: int = 4) -> tuple[float, float, float]:
    """lo and hi widened to whole steps of 1, 2, 2.5 or 5 x 10^k, and that step."""
    raw = max(hi - lo, 1e-6) / ticks
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step, step


def day_peak(sessions: Sequence[SessionRecord], exercise: Exercise) -> float | None:
    """The furthest reading of the exercise's driver angle toward its target that day."""
    rule = exercise.driver_rule
    values = [
        v
        for s in sessions
        if s.exercise == exercise.id
        for r in s.reps
        if (v := r.peak_deg.get(rule.name)) is not None and math.isfinite(v)
    ]
    if not values:
        return None
    return max(values) if rule.toward_target() > 0 else min(values)


def _x(i: int, n: int) -> float:
    inner = CHART_W - PAD_L - PAD_R
    return PAD_L + (inner * (i + 0.5) / n if n else 0)


def _y(v: float, lo: float, hi: float) -> float:
    return PAD_T + (CHART_H - PAD_T - PAD_B) * (1 - (v - lo) / (hi - lo))


def _axes(days: Sequence[date], lo: float, hi: float, step: float, unit: str) -> list[str]:
    out = []
    for k in range(round((hi - lo) / step) + 1):
        v = lo + step * k
        y = _y(v, lo, hi)
        out.append(
            f"<line x1='{PAD_L}' x2='{CHART_W - PAD_R}' y1='{y:.1f}' y2='{y:.1f}' "
            "stroke='#e5e5e5'/>"
            f"<text x='{PAD_L - 4}' y='{y + 4:.1f}' text-anchor='end'>{v:.0f}{unit}</text>"
        )
    step = max(1, math.ceil(len(days) / 10))
    for i, d in enumerate(days):
        if i % step == 0:
            out.append(
                f"<text x='{_x(i, len(days)):.1f}' y='{CHART_H - 8}' text-anchor='middle'>"
                f"{d.strftime('%d %b')}</text>"
            )
    return out


def minutes_svg(
    days: Mapping[date, list[SessionRecord]], limits: Limits, over: Mapping[date, bool]
) -> str:
    keys = list(days)
    minutes = [sum(s.duration_s for s in days[d] if s.kind == "live") / 60 for d in keys]
    _, hi, step = nice_range(0, max([limits.minutes_per_day * 1.1, *minutes, 1.0]))
    parts = _axes(keys, 0, hi, step, "")
    bw = 0.6 * (CHART_W - PAD_L - PAD_R) / max(1, len(keys))
    for i, (d, m) in enumerate(zip(keys, minutes, strict=True)):
        y0, y1 = _y(0, 0, hi), _y(m, 0, hi)
        colour = "#c62828" if over[d] else "#1f77b4"
        parts.append(
            f"<rect x='{_x(i, len(keys)) - bw / 2:.1f}' y='{y1:.1f}' width='{bw:.1f}' "
            f"height='{y0 - y1:.1f}' fill='{colour}'><title>{d}: {m:.1f} min</title></rect>"
        )
    ly = _y(limits.minutes_per_day, 0, hi)
    parts.append(
        f"<line x1='{PAD_L}' x2='{CHART_W - PAD_R}' y1='{ly:.1f}' y2='{ly:.1f}' "
        "stroke='#c62828' stroke-dasharray='6 4'/>"
        f"<text x='{CHART_W - PAD_R}' y='{ly - 4:.1f}' text-anchor='end' fill='#c62828'>"
        f"daily limit {limits.minutes_per_day:g} min</text>"
    )
    return (
        f"<svg id='minutes' viewBox='0 0 {CHART_W} {CHART_H}' role='img' "
        f"aria-label='minutes of live stretching per day'>{''.join(parts)}</svg>"
    )


def rom_svg(days: Mapping[date, list[SessionRecord]], exercise: Exercise) -> str:
    """Peak of the driver angle per day, over the target band and the limit."""
    rule = exercise.driver_rule
    keys = list(days)
    peaks = [day_peak(days[d], exercise) for d in keys]
    pts = [*rule.target, rule.limit, *(p for p in peaks if p is not None)]
    lo, hi, step = nice_range(min(pts) - 3, max(pts) + 3)
    parts = _axes(keys, lo, hi, step, "°")
    ty0, ty1 = _y(rule.target[1], lo, hi), _y(rule.target[0], lo, hi)
    parts.insert(
        0,
        f"<rect x='{PAD_L}' y='{ty0:.1f}' width='{CHART_W - PAD_L - PAD_R}' "
        f"height='{ty1 - ty0:.1f}' fill='#3aa655' fill-opacity='0.15'/>",
    )
    ly = _y(rule.limit, lo, hi)
    parts.append(
        f"<line x1='{PAD_L}' x2='{CHART_W - PAD_R}' y1='{ly:.1f}' y2='{ly:.1f}' "
        "stroke='#d62728' stroke-dasharray='6 4'/>"
        f"<text x='{CHART_W - PAD_R}' y='{ly - 4:.1f}' text-anchor='end' fill='#d62728'>"
        f"limit {rule.limit:.0f}°</text>"
    )
    line = [
        f"{_x(i, len(keys)):.1f},{_y(p, lo, hi):.1f}" for i, p in enumerate(peaks) if p is not None
    ]
    if len(line) > 1:
        parts.append(
            f"<polyline points='{' '.join(line)}' fill='none' stroke='#1f4e79' stroke-width='2'/>"
        )
    for i, p in enumerate(peaks):
        if p is not None:
            parts.append(
                f"<circle cx='{_x(i, len(keys)):.1f}' cy='{_y(p, lo, hi):.1f}' r='4' "
                f"fill='#1f4e79'><title>{keys[i]}: {p:.0f}°</title></circle>"
            )
    return (
        f"<svg class='rom' viewBox='0 0 {CHART_W} {CHART_H}' role='img' "
        f"aria-label='peak {esc(title(rule.name))} per day'>{''.join(parts)}</svg>"
    )


def _chips(counts: Counter[str]) -> str:
    return " ".join(
        f"<span class='chip' style='background:{events.colour(k)}'>{esc(events.label(k))}"
        f" {counts[k]}</span>"
        for k in events.WARNING_TYPES
        if counts[k]
    )


def progress_page(
    sessions: Sequence[SessionRecord],
    limits: Limits,
    exercises: Mapping[str, Exercise],
    *,
    over_limit: Callable[[Sequence[SessionRecord], Limits], bool] | None = None,
    created: datetime | None = None,
) -> str:
    """The page as one HTML string; `over_limit` is the history command's one rule for it."""
    if over_limit is None:
        from coach.core.limits import over_limit as default_over_limit

        over_limit = default_over_limit
    created = created or datetime.now().astimezone()
    days = by_day(sessions)
    over = {d: over_limit(ss, limits) for d, ss in days.items()}
    reps = [r for s in sessions for r in s.reps]
    held = sum(1 for r in reps if r.ok)
    live_min = sum(s.duration_s for s in sessions if s.kind == "live") / 60
    counts: Counter[str] = Counter(
        e.type for s in sessions for e in s.events if e.type in events.WARNING_TYPES
    )
    safety = sum(counts[k] for k in events.SAFETY_TYPES if k not in ("pain_stop", "daily_limit"))
    pain = counts["pain_stop"]
    n_over = sum(over.values())
    span = f"{min(days):%d %b %Y} to {max(days):%d %b %Y}" if days else "no sessions yet"

    def tile(label: str, value: str, warn: bool = False) -> str:
        return f"<div class='tile{' warn' if warn else ''}'><b>{esc(value)}</b>{esc(label)}</div>"

    parts = [
        "<h1>Stretching progress</h1>",
        f"<p class='meta'>{esc(span)} · made {created:%d %b %Y, %H:%M}</p>",
        "<div class='tiles' id='totals'>",
        tile("sessions", str(len(sessions))),
        tile("minutes stretching (live)", f"{live_min:.0f}"),
        tile("holds achieved", f"{held} of {len(reps)}"),
        tile("safety events", str(safety), safety > 0),
        tile("pain stops", str(pain), pain > 0),
        tile("days past the daily limits", str(n_over), n_over > 0),
        "</div>",
        "<p><strong>Don't over-do it.</strong> Your daily limits: "
        f"{limits.sessions_per_exercise_per_day} sessions of one stretch, "
        f"{limits.sessions_per_day} sessions in all, {limits.minutes_per_day:g} minutes. "
        "Rest days are part of the exercise; pain is a reason to stop, not to push on.</p>",
    ]
    if days:
        parts += ["<h2>Minutes per day</h2>", minutes_svg(days, limits, over)]
        rows = []
        for d, ss in days.items():
            live = [s for s in ss if s.kind == "live"]
            r = [x for s in ss for x in s.reps]
            c: Counter[str] = Counter(
                e.type for s in ss for e in s.events if e.type in events.WARNING_TYPES
            )
            mark = "<strong>past limit</strong>" if over[d] else ("rest day" if not ss else "")
            rows.append(
                f"<tr class='{'over' if over[d] else ''}'><td class='day'>{d:%a %d %b}</td>"
                f"<td class='num'>{len(live)} + {len(ss) - len(live)}</td>"
                f"<td class='num'>{sum(s.duration_s for s in live) / 60:.1f}</td>"
                f"<td class='num'>{f'{sum(1 for x in r if x.ok)} of {len(r)}' if r else '–'}</td>"
                f"<td>{_chips(c)}</td><td>{mark}</td></tr>"
            )
        parts += [
            "<h2>Day by day</h2><div class='scroll'><table id='days'><tr><th>Day</th>"
            "<th class='num'>Sessions <small>live + scored</small></th>"
            "<th class='num'>Minutes <small>live</small></th><th class='num'>Holds</th>"
            "<th>Safety events, pain stops</th><th>Limits</th></tr>"
            + "".join(rows)
            + "</table></div>"
        ]
        parts.append("<h2>Peak range of motion per exercise</h2>")
        done = sorted({s.exercise for s in sessions})
        for ex_id in done:
            ex = exercises.get(ex_id)
            if ex is None:
                parts.append(f"<p>{esc(ex_id)}: not a known exercise any more.</p>")
                continue
            rule = ex.driver_rule
            ex_days = {d: [s for s in ss if s.exercise == ex_id] for d, ss in days.items()}
            norm = (
                f"; published normal range {rule.norm[0]:.0f}° to {rule.norm[1]:.0f}° "
                f"({esc(rule.norm_source or 'published')})"
                if rule.norm
                else ""
            )
            parts.append(
                f"<h3>{esc(ex.name)}</h3><p class='meta'>{esc(title(rule.name))}, the furthest "
                f"reading each day{' (lower is further)' if rule.toward_target() < 0 else ''}; "
                f"green band: target {rule.target[0]:.0f}° to "
                f"{rule.target[1]:.0f}°{norm}.</p>" + rom_svg(ex_days, ex)
            )
    parts.append(
        f"<footer id='footer'><p>Made {created:%Y-%m-%d %H:%M} by coach from its history of "
        f"{len(sessions)} session(s).</p><p class='note'>{esc(NOTE)}</p></footer>"
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>coach progress</title><style>{CSS}{EXTRA_CSS}</style></head>"
        f"<body><main>{''.join(parts)}</main></body></html>\n"
    )


def write_progress_page(
    path: str | Path,
    sessions: Sequence[SessionRecord],
    limits: Limits,
    exercises: Mapping[str, Exercise],
    created: datetime | None = None,
) -> Path:
    out = Path(path)
    try:
        out.write_text(progress_page(sessions, limits, exercises, created=created), "utf-8")
    except OSError as exc:
        raise CoachError(
            f"{out}: cannot write the progress page ({exc.strerror})",
            "choose a writable path for --html",
        ) from None
    return out
