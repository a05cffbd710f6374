"""A finished session -> the report contract (DESIGN.md) and a short text summary.

The report is a plain dict so it serialises as is; keys may be added, never renamed.
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from coach.core.angles import key_side, rule_name
from coach.core.events import WARNING_TYPES
from coach.core.exercises import Exercise
from coach.core.extra import extra_flags
from coach.core.session import SIDES, Session

# The report names its own format; `version` goes up when a key changes meaning (keys are only
# ever added). Its JSON Schema ships in the package: coach/core/report_schema.json.
FORMAT = "coach-report"
VERSION = 1

SAFETY_NOTE = (
    "This coach checks posture and pace only; it cannot diagnose anything. Stop at once if "
    "you feel pain, and see a doctor or physiotherapist if pain persists."
)


def _verdict(session: Session, counts: Counter[str]) -> tuple[str, list[str]]:
    reasons: list[str] = []
    ex = session.exercise
    if counts["pain_stop"]:
        return "stopped", [
            "the set was stopped for pain: rest, and seek professional advice if the pain persists"
        ]
    if session.frames_with_pose == 0:
        return "no_pose", ["no person was seen: check the camera shows your whole body"]
    if not session.reps:
        reasons.append(f"no rep reached the target pose of {ex.name.lower()}")
    short = [r for r in session.reps if r.short]
    if short:
        reasons.append(f"{len(short)} hold(s) shorter than {ex.hold_s:.0f} s")
    if counts["overextension"]:
        reasons.append(f"{counts['overextension']} time(s) past a safe range")
    if counts["too_fast"] or counts["jerky"]:
        reasons.append(f"{counts['too_fast'] + counts['jerky']} fast or jerky movement(s)")
    if ex.sided and session.reps:
        sides = session.side_counts()
        if abs(sides["left"] - sides["right"]) >= 2 or 0 in sides.values():
            reasons.append(f"sides unbalanced ({sides['right']} right, {sides['left']} left)")
    if session.reps and session.stopped_reason is None and not session.done():
        need = ex.reps_per_side
        good = session.good_counts()
        if ex.sided:
            reasons.append(
                f"fewer good reps than the {need} per side planned "
                f"({good['right']} right, {good['left']} left)"
            )
        else:
            reasons.append(f"fewer good reps than the {need} planned ({good['total']})")
    if counts["lost_view"]:
        reasons.append(f"out of view {counts['lost_view']} time(s)")
    extra = sum(extra_flags(session.reps, ex.reps_per_side, ex.sided))
    if extra:
        reasons.append(
            f"{extra} rep(s) more than the {ex.reps_per_side} planned"
            f"{' per side' if ex.sided else ''}: more is not better, rest before the next set"
        )
    if not reasons:
        return "good", ["every rep reached the target and was held, with no safety warnings"]
    safety = counts["overextension"] + counts["too_fast"] + counts["jerky"] + extra
    return ("caution" if safety else "needs_work"), reasons


def build_report(
    session: Session, source: str, partial: bool = False, partial_reason: str | None = None
) -> dict[str, Any]:
    ex = session.exercise
    t0 = session.t0 or 0.0
    duration = max(0.0, (session.t_last or t0) - t0)
    events = [e.to_dict() for e in session.events]
    counts: Counter[str] = Counter(e["type"] for e in events)
    verdict, reasons = _verdict(session, counts)
    extras = extra_flags(session.reps, ex.reps_per_side, ex.sided)
    per_side: dict[str, Any]
    if ex.sided:
        per_side = {s: {"reps": 0, "ok": 0, "hold_s": 0.0} for s in SIDES}
        for rep in session.reps:
            d = per_side[rep.side or "right"]
            d["reps"] += 1
            d["ok"] += int(rep.ok)
            d["hold_s"] = round(d["hold_s"] + rep.hold_s, 2)
    else:
        per_side = {
            "both": {
                "reps": len(session.reps),
                "ok": sum(r.ok for r in session.reps),
                "hold_s": round(sum(r.hold_s for r in session.reps), 2),
            }
        }
    seen = session.seen_s
    report: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "exercise": ex.id,
        "exercise_name": ex.name,
        "source": source,
        "duration_s": round(duration, 3),
        "frames": session.frames,
        "frames_with_pose": session.frames_with_pose,
        "reps": [
            {**r.to_dict(), "extra": extra} for r, extra in zip(session.reps, extras, strict=True)
        ],
        "events": events,
        "summary": {
            "sides": per_side,
            "reps_total": len(session.reps),
            "reps_ok": sum(r.ok for r in session.reps),
            "extra_reps": sum(extras),  # reps past the planned good reps on their side
            "target_reps_per_side": ex.reps_per_side,
            "target_hold_s": ex.hold_s,
            "time_in_range_s": round(session.time_in_range_s, 2),
            "time_in_range_pct": round(100.0 * session.time_in_range_s / seen, 1) if seen else 0.0,
            "safety_events": {k: counts[k] for k in WARNING_TYPES},
            "verdict": verdict,
            "reasons": reasons,
            "note": SAFETY_NOTE,
        },
        "partial": partial,
    }
    if partial_reason:
        report["partial_reason"] = partial_reason
    return report


def still_position(exercise: Exercise, angles: dict[str, Any]) -> str:
    """Which pose a photo shows: "target" (the driver angle in its band), "start" (in its start
    band) or "between" (neither, or not seen). `angles` is the photo report's angle table."""
    rule = exercise.driver_rule
    values = [
        a["value"]
        for key, a in angles.items()
        if rule_name(key) == rule.name and a.get("value") is not None
    ]
    if any(rule.in_band(v) for v in values):
        return "target"
    if rule.start is not None and any(rule.in_band(v, rule.start) for v in values):
        return "start"
    return "between"


def still_verdict(
    exercise: Exercise, angles: dict[str, Any], position: str
) -> tuple[str, list[str]]:
    """A photo's verdict from its angles alone: it shows one moment, so nothing about holds
    or reps. Past a limit is "caution"; the stretch held with every seen angle in its band is
    "good"; a start position or an angle short of its band is "needs_work", saying which."""
    angles = likelier_side(angles)
    safety = {r.name for r in exercise.angles if r.check_limit}
    over = [
        f"{k} {a['value']:.0f} is past its safe limit {a['limit']:.0f}"
        for k, a in angles.items()
        if a.get("verdict") == "over" and rule_name(k) in safety
    ]
    if over:
        return "caution", over
    if position == "start":
        return "needs_work", [
            f"the photo shows the start position of {exercise.name.lower()}, not the stretch itself"
        ]
    seen = {k: a for k, a in angles.items() if a.get("verdict") != "unseen"}
    short = [
        f"{k} {a['value']:.0f} is outside its band {a['target'][0]:.0f}-{a['target'][1]:.0f}"
        for k, a in seen.items()
        if a.get("verdict") in ("short", "over")  # "over" here: leg placement, no safety limit
    ]
    if position != "target":
        short.insert(0, f"the photo does not show the target pose of {exercise.name.lower()}")
    if short:
        return "needs_work", short
    return "good", [
        "the photo shows the stretch with every angle in its band "
        "(a photo cannot show how long it is held)"
    ]


def likelier_side(angles: dict[str, Any]) -> dict[str, Any]:
    """A one-sided stretch's photo lists its leg angles for both sides ("name@left",
    "name@right"): keep the side that fits better, since only one is being stretched."""
    sides = {side for k in angles if (side := key_side(k)) is not None}
    if not sides:
        return angles

    def fits(side: str) -> int:
        return sum(a.get("verdict") == "in_range" for k, a in angles.items() if key_side(k) == side)

    best = max(sorted(sides), key=fits)
    return {k: a for k, a in angles.items() if key_side(k) in (None, best)}


def unrecognised_report(
    source: str,
    frames: int,
    frames_with_pose: int,
    duration_s: float,
    recognition: dict[str, Any],
) -> dict[str, Any]:
    """The whole report for a recording that is none of the exercises: every key of the
    contract is there (no reps, no sides), so every writer takes it as it takes any other."""
    reason = recognition.get("reason") or "no stretch matched"
    if frames_with_pose == 0:
        verdict, reasons = "no_pose", ["no person was seen: check the camera shows your whole body"]
    else:
        verdict, reasons = "not_recognised", [f"none of the stretches was recognised ({reason})"]
    return {
        "format": FORMAT,
        "version": VERSION,
        "exercise": None,
        "exercise_name": None,
        "source": source,
        "duration_s": round(max(0.0, duration_s), 3),
        "frames": frames,
        "frames_with_pose": frames_with_pose,
        "reps": [],
        "events": [],
        "summary": {
            "sides": {},
            "reps_total": 0,
            "reps_ok": 0,
            "target_reps_per_side": None,
            "target_hold_s": None,
            "time_in_range_s": 0.0,
            "time_in_range_pct": 0.0,
            "safety_events": {k: 0 for k in WARNING_TYPES},
            "verdict": verdict,
            "reasons": reasons,
            "note": SAFETY_NOTE,
        },
        "recognition": recognition,
        "partial": False,
    }


def nothing_to_judge(report: dict[str, Any]) -> bool:
    """True when the input held nothing to judge: no person seen, or no stretch recognised."""
    return report.get("exercise") is None or not report.get("frames_with_pose")


def _fmt_s(x: float) -> str:
    return f"{int(x // 60)}:{x % 60:04.1f}" if x >= 60 else f"{x:.1f}s"


def text_summary(report: dict[str, Any]) -> str:
    """A few lines a person (or their physiotherapist) can read at a glance."""
    s = report["summary"]
    name = report.get("exercise_name") or report.get("exercise") or "no stretch recognised"
    lines = [
        f"{name} — {report['source']}",
        f"  duration {_fmt_s(report['duration_s'])}, person seen in "
        f"{report['frames_with_pose']}/{report['frames']} frames",
    ]
    if report.get("partial"):
        lines.append(f"  PARTIAL: {report.get('partial_reason', 'scoring did not finish')}")
    for side, d in (s.get("sides") or {}).items():
        label = "reps" if side == "both" else f"{side} side"
        lines.append(
            f"  {label}: {d['reps']} rep(s), {d['ok']} held {s['target_hold_s']:.0f}s+ "
            f"(target {s['target_reps_per_side']})"
        )
    for i, rep in enumerate(report["reps"], 1):
        peaks = ", ".join(f"{k} {v:.0f}°" for k, v in rep["peak_deg"].items())
        side = f" {rep['side']}" if rep["side"] else ""
        mark = "ok" if rep["ok"] else "short" if rep["hold_s"] < rep["target_hold_s"] else "check"
        mark += ", extra" if rep.get("extra") else ""
        lines.append(
            f"    {i}.{side} {_fmt_s(rep['start_s'])}-{_fmt_s(rep['end_s'])} "
            f"held {rep['hold_s']:.1f}/{rep['target_hold_s']:.0f}s [{mark}] {peaks}"
        )
    safety = {k: v for k, v in s["safety_events"].items() if v}
    lines.append("  safety: " + (", ".join(f"{k} x{v}" for k, v in safety.items()) or "none"))
    for ev in report["events"]:
        if ev["type"] in WARNING_TYPES:
            val = "" if ev["value"] is None else f" ({ev['value']:.0f} vs limit {ev['limit']:.0f})"
            lines.append(f"    {_fmt_s(ev['start_s'])} {ev['type']}{val}: {ev['message']}")
    lines.append(f"  verdict: {s['verdict']} — " + "; ".join(s["reasons"]))
    return "\n".join(lines)


def report_json(report: dict[str, Any]) -> str:
    """The report as JSON text; NaN and infinities (not JSON) become null."""

    def clean(o: Any) -> Any:
        if isinstance(o, float) and not math.isfinite(o):
            return None
        if isinstance(o, dict):
            return {k: clean(v) for k, v in o.items()}
        if isinstance(o, list):
            return [clean(v) for v in o]
        return o

    return json.dumps(clean(report), indent=2) + "\n"


def write_json(report: dict[str, Any], path: str | Path, stdout: TextIO | None = None) -> None:
    """Write the report to `path`; "-" means standard output (`stdout`, else sys.stdout)."""
    text = report_json(report)
    if str(path) == "-":
        out = stdout or sys.stdout
        out.write(text)
        out.flush()
        return
    Path(path).write_text(text, encoding="utf-8")


def report_schema() -> dict[str, Any]:
    """The JSON Schema of the report, shipped in the package (coach/core/report_schema.json)."""
    from importlib.resources import files

    text = files("coach.core").joinpath("report_schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
