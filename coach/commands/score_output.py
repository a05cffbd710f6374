"""Writing what scoring one input gave: report, summary, page, data, plots, history row.

`deliver` is the one writer for every engine, run in the driver process; report.json in
--out is written last, so `already_scored` (--resume) can trust its presence.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from coach import __version__
from coach.commands.score_compute import Outcome, Scored, ScoreOptions
from coach.core.exercises import Exercise
from coach.core.landmarks import PoseFrame
from coach.core.report import text_summary, write_json
from coach.core.scoring import AngleSeries
from coach.errors import CoachError, os_cause, write_error
from coach.io.inputs import file_sha256, kind_of
from coach.io.landmark_file import SUFFIX, write_landmarks

# Where `--json -` writes: the real standard output, while the human text goes to stderr.
JSON_STDOUT: list[Any] = [None]


def _out_name(opts: ScoreOptions, path: Path) -> Path | None:
    if not opts.out_dir:
        return None
    name = path.name.removesuffix(SUFFIX) if path.name.endswith(SUFFIX) else path.stem
    return Path(opts.out_dir) / name


def _out_dir(opts: ScoreOptions, path: Path) -> Path | None:
    d = _out_name(opts, path)
    if d is None:
        return None
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        cause, _ = os_cause(exc)
        raise CoachError(
            f"{d}: cannot create the output folder ({cause})", "choose a writable --out folder"
        ) from None
    return d


def _write(outcome: Outcome, what: str, writer: Callable[[], object], path: Path) -> None:
    """Run `writer` (its return value, if any, is not needed) and record `path` as written."""
    try:
        writer()
        if str(path) != "-":
            outcome.written.append(str(path))
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise write_error(path, what, exc) from None


def write_outputs(
    outcome: Outcome,
    path: Path,
    opts: ScoreOptions,
    frames: list[PoseFrame],
    fps: float | None,
    exercise: Exercise | None,
    series: AngleSeries | None,
) -> None:
    report = outcome.report
    assert report is not None
    if opts.json_path:
        _write(
            outcome,
            "report",
            lambda: write_json(report, opts.json_path or "", stdout=JSON_STDOUT[0]),
            Path(opts.json_path),
        )
    d = _out_dir(opts, path)
    if d is None:
        return
    summary = d / "summary.txt"
    _write(outcome, "summary", lambda: summary.write_text(text_summary(report) + "\n"), summary)
    if opts.save_landmarks and frames:
        lm = d / f"{d.name}{SUFFIX}"
        _write(outcome, "landmarks", lambda: write_landmarks(lm, frames, fps, str(path)), lm)
    from coach.io.export import write_all
    from coach.ui.session_page import write_session_page

    video = path if kind_of(path) == "video" else None
    page = d / "report.html"
    _write(
        outcome,
        "page",
        lambda: write_session_page(page, report, exercise, series, frames, video=video),
        page,
    )
    data = d / "angles.csv"
    _write(outcome, "angle data", lambda: write_all(d, series, frames, fps, exercise), data)
    outcome.written += [str(d / "angles.mot"), str(d / "landmarks.trc")]
    if report.get("exercise") is None:
        print(
            f"coach: {path}: no angle plot{' or annotated video' if opts.annotated else ''} "
            "without a recognised stretch — give --exercise ID to judge it as one",
            file=sys.stderr,
        )
    if exercise is None or series is None or report.get("still"):
        return
    from coach.ui.plots import plot_angles

    png = d / "angles.png"
    _write(outcome, "plot", lambda: plot_angles(series, report, exercise, png), png)
    if opts.annotated and kind_of(path) == "video":
        from coach.ui.annotate import write_annotated_video

        mp4 = d / "annotated.mp4"
        _write(
            outcome,
            "annotated video",
            lambda: write_annotated_video(
                path, frames, exercise, mp4, start_s=opts.start_s, end_s=opts.end_s
            ),
            mp4,
        )


def _write_out_report(outcome: Outcome, path: Path, opts: ScoreOptions) -> None:
    """report.json in --out, written last and whole (renamed into place): its presence means
    the outputs and the history row are done, which is what --resume relies on."""
    d = _out_dir(opts, path)
    if d is None or outcome.report is None:
        return
    report, final, part = outcome.report, d / "report.json", d / "report.json.part"

    def write() -> None:
        write_json(report, part)
        os.replace(part, final)

    _write(outcome, "report", write, final)


def _store(report: dict[str, Any], opts: ScoreOptions) -> None:
    if not opts.history or report.get("exercise") is None:
        return
    import sqlite3

    from coach.io.store import save_report

    try:
        save_report(opts.db, report, "scored", datetime.now(UTC))
    except (sqlite3.Error, OSError) as exc:
        cause, fix = os_cause(exc)
        raise CoachError(f"cannot save the session in the history ({cause})", fix) from None


def deliver(scored: Scored, opts: ScoreOptions) -> Outcome:
    """The one writer, for every engine: report, summary, plots, landmarks, history row."""
    start = time.perf_counter()
    outcome = scored.outcome
    path = Path(outcome.input)
    try:
        if outcome.report is not None:
            write_outputs(
                outcome, path, opts, scored.frames, scored.fps, scored.exercise, scored.series
            )
            if scored.store:
                _store(outcome.report, opts)
            _write_out_report(outcome, path, opts)
    except CoachError as exc:
        outcome.error = exc.line().removeprefix("coach: error: ")
    finally:
        outcome.seconds += time.perf_counter() - start
    return outcome


def already_scored(path: Path, opts: ScoreOptions) -> Outcome | None:
    """With --resume: the outcome of an earlier run whose report in --out is for this very
    file (same sha256) and this coach version; None when the input must be scored."""
    d = _out_name(opts, path)
    if d is None or not (d / "report.json").is_file() or not path.is_file():
        return None
    try:
        report = json.loads((d / "report.json").read_text())
    except (OSError, ValueError):
        return None  # half-written or unreadable: score it again
    if not isinstance(report, dict) or report.get("coach_version") != __version__:
        return None
    if report.get("input_sha256") != file_sha256(path):
        return None
    error = report.get("partial_reason") if report.get("partial") else None
    return Outcome(
        str(path),
        exercise=report.get("exercise"),
        report=report,
        error=error,
        frames=int(report.get("frames") or 0),
        skipped=True,
    )
