"""Scoring one input without writing anything: the options, what it gives, and how.

`compute` turns the frames of one input into a report (recognising the stretch when asked);
`Scored` carries everything the writer needs, so any engine can compute and the driver alone
writes (see score_output.deliver).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coach import __version__
from coach.core.angles import rule_name
from coach.core.exercises import Exercise
from coach.core.landmarks import PoseFrame
from coach.core.recognize import Recognition, guess_variant, recognize
from coach.core.report import (
    build_report,
    nothing_to_judge,
    still_position,
    still_verdict,
    unrecognised_report,
)
from coach.core.scoring import AngleSeries, score_frames
from coach.errors import CoachError
from coach.io.inputs import Loaded, file_sha256, kind_of
from coach.io.poses import load_all, load_exercise


@dataclass(frozen=True)
class ScoreOptions:
    """`coach score`'s options; the defaults score as `--exercise auto` with no outputs."""

    exercise: str = "auto"
    variant: str | None = None
    json_path: str | None = None
    out_dir: str | None = None
    annotated: bool = False
    save_landmarks: bool = False
    start_s: float | None = None
    end_s: float | None = None
    view: str | None = None
    model: str | None = None
    sample_fps: float | None = None
    pose_jobs: int = 1
    history: bool = False
    db: str | None = None
    quiet: bool = True
    resume: bool = False


@dataclass
class Outcome:
    """What scoring one input produced; `error` is the one line shown for a bad input."""

    input: str
    exercise: str | None = None
    report: dict[str, Any] | None = None
    error: str | None = None
    seconds: float = 0.0
    frames: int = 0
    written: list[str] = field(default_factory=list)
    skipped: bool = False  # --resume found its report already written
    damaged: bool = False  # reading stopped at a bad frame or a broken video: an input error

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def nothing(self) -> bool:
        """Read, but nothing to judge: no person seen or no stretch recognised (exit status 3)."""
        return self.report is not None and not self.damaged and nothing_to_judge(self.report)


@dataclass
class Scored:
    """One input scored, nothing written yet: all the writer needs, and picklable.

    Any engine (this process, a process pool, Ray actors) computes it; the driver alone
    hands it to `deliver`, the one place where reports, outputs and history rows are written.
    """

    outcome: Outcome
    frames: list[PoseFrame] = field(default_factory=list)
    fps: float | None = None
    exercise: Exercise | None = None
    series: AngleSeries | None = None
    store: bool = False


def choose_exercise(
    frames: list[PoseFrame], opts: ScoreOptions, exercises: dict[str, Exercise]
) -> tuple[Exercise | None, Recognition | None]:
    if opts.exercise != "auto":
        return load_exercise(opts.exercise), None
    rec = recognize(frames, exercises, view=opts.view)
    return (exercises[rec.exercise_id] if rec.exercise_id else None), rec


def still_report(frame: PoseFrame, exercise: Exercise, source: str) -> dict[str, Any]:
    """A photo is one moment: each angle against its target, no reps."""
    session, series = score_frames([frame], exercise)
    report = build_report(session, source)
    angles: dict[str, Any] = {}
    for rule in exercise.angles:
        for key, values in series.raw.items():
            if rule_name(key) != rule.name:
                continue
            v = float(values[0])
            if v != v:  # NaN: not seen
                angles[key] = {"value": None, "verdict": "unseen"}
                continue
            verdict = rule.judge_still(v)
            lo, hi = rule.target
            angles[key] = {
                "value": round(v, 1),
                "target": [lo, hi],
                "limit": rule.limit,
                "verdict": verdict,
            }
    report["still"] = True
    report["angles"] = angles
    # A photo shows one moment: judge its angles, never "no rep reached" or a hold.
    position = still_position(exercise, angles)
    report["position"] = position
    if report["summary"]["verdict"] != "no_pose":
        verdict, reasons = still_verdict(exercise, angles, position)
        report["summary"]["verdict"], report["summary"]["reasons"] = verdict, reasons
    return report


def _problem_line(
    path: Path, report: dict[str, Any], session_seen_s: float, no_world: bool = False
) -> str | None:
    if report["frames"] == 0:
        return f"{path}: no frames could be read"
    if report["frames_with_pose"] == 0:
        return (
            f"{path}: no person found in any frame — record with the whole body in view, "
            "in good light, about 2-3 m from the camera"
        )
    if no_world and session_seen_s <= 0:
        return (
            f"{path}: the landmark file has image landmarks only, and the angles are judged "
            "in 3-D from world landmarks — write it with world landmarks (e.g. `coach score "
            "VIDEO --save-landmarks --out DIR`)"
        )
    if session_seen_s <= 0 and not report.get("still"):
        return (
            f"{path}: a person was found but never fully in view (hips and shoulders) — "
            "step back so your whole body is in the picture"
        )
    return None


def compute(path: Path, opts: ScoreOptions, load: Callable[[], Loaded]) -> Scored:
    """Score one input from the frames `load` gives; writes nothing, never raises for bad input.

    The report carries the input's sha256 and the coach version, so --resume can tell a
    report of this very recording from a stale one.
    """
    start = time.perf_counter()
    outcome = Outcome(str(path))
    scored = Scored(outcome)
    try:
        frames, fps, cut_short = load()
        scored.frames, scored.fps = frames, fps
        outcome.frames = len(frames)
        if not frames:
            raise _no_frames(path, opts)
        stamp = {"input_sha256": file_sha256(path), "coach_version": __version__}
        photo = len(frames) == 1 and kind_of(path) == "image"
        report, judged, series, seen = judge_frames(str(path), frames, opts, photo, cut_short)
        outcome.damaged = cut_short is not None
        if judged is None:
            outcome.report = {**report, **stamp}
            outcome.exercise = None
            if cut_short:
                outcome.error = f"{_named(path, cut_short)} — the report covers the part before it"
                outcome.report.update(partial=True, partial_reason=outcome.error)
            return scored
        outcome.exercise = judged.id
        report.update(stamp)
        outcome.report = report
        no_world = seen <= 0 and all(f.world is None for f in frames)
        problem = _problem_line(path, report, seen, no_world)
        if cut_short:
            problem = f"{_named(path, cut_short)} — the report covers the part before it (partial)"
        if problem:
            report["partial"] = True
            report.setdefault("partial_reason", problem)
            outcome.error = problem
        scored.exercise, scored.series, scored.store = judged, series, not problem
    except CoachError as exc:
        outcome.error = exc.line().removeprefix("coach: error: ")
    finally:
        outcome.seconds = time.perf_counter() - start
    return scored


def judge_frames(
    source: str,
    frames: list[PoseFrame],
    opts: ScoreOptions,
    photo: bool,
    cut_short: str | None = None,
) -> tuple[dict[str, Any], Exercise | None, AngleSeries | None, float]:
    """The report for these frames as `coach score` makes it (a photo as one still moment),
    the exercise as judged (None when no stretch is recognised), its angle series and the
    seconds the body was seen. One place, for the command and the recognition benchmark."""
    exercise, rec = choose_exercise(frames, opts, load_all())
    if exercise is None:
        assert rec is not None
        return _unrecognised_report(Path(source), frames, rec), None, None, 0.0
    variant = opts.variant or guess_variant(frames, exercise)
    judged = exercise.with_variant(variant)
    series: AngleSeries | None = None
    if photo:
        report = still_report(frames[0], judged, source)
        seen = 1.0
    else:
        session, series = score_frames(frames, judged)
        report = build_report(
            session, source, partial=cut_short is not None, partial_reason=cut_short
        )
        seen = session.seen_s
    report["variant"] = variant
    if rec is not None:
        report["recognition"] = rec.as_report()
    return report, judged, series, seen


def _named(path: Path, problem: str) -> str:
    """The problem with the file named once at the front (readers' messages often name it)."""
    return problem if problem.startswith(str(path)) else f"{path}: {problem}"


def _no_frames(path: Path, opts: ScoreOptions) -> CoachError:
    """Blame --start/--end only when they were given."""
    if opts.start_s is not None or opts.end_s is not None:
        return CoachError(
            f"{path}: no frames in the chosen time range",
            "check --start/--end against the recording's length",
        )
    if kind_of(path) == "landmarks":
        return CoachError(
            f"{path}: the landmark file holds a header but no frames",
            "it was cut short while being written; record or export it again",
        )
    return CoachError(f"{path}: no frames could be read", "check the file plays in a video player")


def _unrecognised_report(path: Path, frames: list[PoseFrame], rec: Recognition) -> dict[str, Any]:
    return unrecognised_report(
        str(path),
        frames=len(frames),
        frames_with_pose=sum(f.has_pose for f in frames),
        duration_s=frames[-1].t - frames[0].t if frames else 0.0,
        recognition={**rec.as_report(), "exercise": None},
    )
