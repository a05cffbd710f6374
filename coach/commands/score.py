"""`coach score`: recorded videos, photos and landmark files -> reports, plots, history.

One input is scored in this process (its pose estimation may use several processes); many
inputs are scored in parallel, one process each. A bad input gets one clear line and a
non-zero exit, and never stops the others; whatever was computed for it is still written.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import multiprocessing as mp
import os
import queue
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from coach import __version__
from coach.core.angles import rule_name
from coach.core.exercises import Exercise, load_all, load_exercise
from coach.core.landmarks import PoseFrame
from coach.core.recognize import Recognition, guess_variant, recognize
from coach.core.report import (
    build_report,
    nothing_to_judge,
    text_summary,
    unrecognised_report,
    write_json,
)
from coach.core.scoring import AngleSeries, score_frames
from coach.errors import EXIT_ERROR, EXIT_NOTHING, CoachError, UsageError, os_cause, write_error
from coach.io.landmark_file import SUFFIX, read_landmarks, write_landmarks

VIDEO_EXT = {".mp4", ".mov", ".avi", ".webm", ".mkv", ".m4v"}
IMAGE_EXT = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}

Progress = Callable[[int, int], None]
Loaded = tuple[list[PoseFrame], float | None, str | None]  # frames, fps, why reading stopped


@dataclass(frozen=True)
class ScoreOptions:
    exercise: str
    variant: str | None
    json_path: str | None
    out_dir: str | None
    annotated: bool
    save_landmarks: bool
    start_s: float | None
    end_s: float | None
    view: str | None
    model: str | None
    sample_fps: float | None
    pose_jobs: int
    history: bool
    db: str | None
    quiet: bool
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


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def kind_of(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(SUFFIX) or name.endswith(".jsonl"):
        return "landmarks"
    if path.suffix.lower() in VIDEO_EXT:
        return "video"
    if path.suffix.lower() in IMAGE_EXT:
        return "image"
    return "unknown"


def expand_inputs(inputs: list[str]) -> list[Path]:
    """Files as given; folders expanded to the videos, photos and landmark files inside."""
    paths: list[Path] = []
    for raw in inputs:
        p = Path(raw)
        if p.is_dir():
            _say_subfolders(p)
            found = sorted(q for q in p.iterdir() if q.is_file() and kind_of(q) != "unknown")
            if not found:
                raise CoachError(
                    f"{p}: the folder holds no videos, photos or landmark files",
                    "point at a folder of .mp4/.mov/.avi/.webm/.mkv/.jpg/.png/.landmarks.jsonl",
                )
            paths += found
        else:
            paths.append(p)
    return paths


def _say_subfolders(folder: Path) -> None:
    """Folders are read one level deep; say so rather than skip subfolders without a word."""
    subs = sorted(q.name for q in folder.iterdir() if q.is_dir() and not q.name.startswith("."))
    if subs:
        shown = ", ".join(subs[:5]) + (", ..." if len(subs) > 5 else "")
        print(
            f"coach: {folder}: {len(subs)} subfolder(s) not scored ({shown}) — "
            "give them as inputs to score them too",
            file=sys.stderr,
        )


def _clip(frames: list[PoseFrame], start_s: float | None, end_s: float | None) -> list[PoseFrame]:
    return [
        f for f in frames if (start_s is None or f.t >= start_s) and (end_s is None or f.t <= end_s)
    ]


def load_frames(
    path: Path, opts: ScoreOptions, progress: Progress | None
) -> tuple[list[PoseFrame], float | None, str | None]:
    """Frames of any input kind, with the source fps and a reason if reading stopped early."""
    kind = kind_of(path)
    if not path.exists():
        raise CoachError(f"{path}: no such file", "check the path and spelling")
    if kind == "landmarks":
        header, frames_iter = read_landmarks(path)
        frames: list[PoseFrame] = []
        try:
            frames.extend(frames_iter)
        except CoachError as exc:  # keep what came before a damaged line
            if not frames:
                raise
            return _clip(frames, opts.start_s, opts.end_s), header.fps, exc.problem
        return _clip(frames, opts.start_s, opts.end_s), header.fps, None
    if kind == "video":
        from coach.io.pose_pipeline import estimate_video

        info, frames, error = estimate_video(
            path,
            start_s=opts.start_s,
            end_s=opts.end_s,
            sample_fps=opts.sample_fps,
            model_path=opts.model,
            jobs=opts.pose_jobs,
            progress=progress,
        )
        return frames, info.fps, (error.problem if error else None)
    if kind == "image":
        from coach.io.pose_pipeline import estimate_image

        return [estimate_image(path, model_path=opts.model)], None, None
    raise CoachError(
        f"{path}: not a video, photo or landmark file",
        "give an .mp4/.mov/.avi/.webm/.mkv video, a .jpg/.png photo or a .landmarks.jsonl file",
    )


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
    return report


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


def _write(outcome: Outcome, what: str, writer: Callable[[], None], path: Path) -> None:
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
            lambda: write_json(report, opts.json_path or "", stdout=_JSON_STDOUT[0]),
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


def _problem_line(path: Path, report: dict[str, Any], session_seen_s: float) -> str | None:
    if report["frames"] == 0:
        return f"{path}: no frames could be read"
    if report["frames_with_pose"] == 0:
        return (
            f"{path}: no person found in any frame — record with the whole body in view, "
            "in good light, about 2-3 m from the camera"
        )
    if session_seen_s <= 0 and not report.get("still"):
        return (
            f"{path}: a person was found but never fully in view (hips and shoulders) — "
            "step back so your whole body is in the picture"
        )
    return None


def score_one(path: Path, opts: ScoreOptions, progress: Progress | None = None) -> Outcome:
    """Score one input and write what it gave; never raises for a bad input."""
    return deliver(compute(path, opts, lambda: load_frames(path, opts, progress)), opts)


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
        exercises = load_all()
        exercise, rec = choose_exercise(frames, opts, exercises)
        outcome.damaged = cut_short is not None
        if exercise is None:
            assert rec is not None
            outcome.report = {**_unrecognised_report(path, frames, rec), **stamp}
            outcome.exercise = None
            if cut_short:
                outcome.error = f"{_named(path, cut_short)} — the report covers the part before it"
                outcome.report.update(partial=True, partial_reason=outcome.error)
            return scored
        variant = opts.variant or guess_variant(frames, exercise)
        judged = exercise.with_variant(variant)
        outcome.exercise = exercise.id
        if len(frames) == 1 and kind_of(path) == "image":
            report = still_report(frames[0], judged, str(path))
            series = None
            seen = 1.0
        else:
            session, series = score_frames(frames, judged)
            report = build_report(
                session, str(path), partial=cut_short is not None, partial_reason=cut_short
            )
            seen = session.seen_s
        report["variant"] = variant
        if rec is not None:
            report["recognition"] = {
                "exercise": rec.exercise_id,
                "confidence": rec.confidence,
                "scores": rec.scores,
                "reason": rec.reason,
            }
        report.update(stamp)
        outcome.report = report
        problem = _problem_line(path, report, seen)
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


def _unrecognised_report(path: Path, frames: list[PoseFrame], rec: Recognition) -> dict[str, Any]:
    return unrecognised_report(
        str(path),
        frames=len(frames),
        frames_with_pose=sum(f.has_pose for f in frames),
        duration_s=frames[-1].t - frames[0].t if frames else 0.0,
        recognition={
            "exercise": None,
            "confidence": rec.confidence,
            "scores": rec.scores,
            "reason": rec.reason,
        },
    )


# ----- batch -------------------------------------------------------------------------------
def _worker(path: str, opts: ScoreOptions, messages: Any) -> Scored:
    def progress(done: int, total: int) -> None:
        messages.put((path, done, total))

    p = Path(path)
    return compute(p, opts, lambda: load_frames(p, opts, progress))  # the parent writes


def _options(args: argparse.Namespace, n_inputs: int, jobs: int) -> ScoreOptions:
    if args.json and n_inputs > 1:
        raise UsageError("--json takes a single input", "use --out DIR for several inputs")
    return ScoreOptions(
        exercise=args.exercise,
        variant=args.variant,
        json_path=args.json,
        out_dir=args.out,
        annotated=args.annotated,
        save_landmarks=args.save_landmarks,
        start_s=args.start,
        end_s=args.end,
        view=args.view,
        model=args.model,
        sample_fps=args.sample_fps or None,
        pose_jobs=jobs if n_inputs == 1 else 1,
        history=not args.no_history,
        db=args.db,
        quiet=args.quiet,
        resume=getattr(args, "resume", False),
    )


# Where `--json -` writes: the real standard output, while the human text goes to stderr.
_JSON_STDOUT: list[Any] = [None]


def score_command(args: argparse.Namespace) -> int:
    if args.json != "-":
        return _score_command(args)
    _JSON_STDOUT[0] = sys.stdout
    try:
        with contextlib.redirect_stdout(sys.stderr):  # stdout carries the JSON alone
            return _score_command(args)
    finally:
        _JSON_STDOUT[0] = None


def exit_status(outcomes: list[Outcome]) -> int:
    """1 if any input failed, else 3 if any held nothing to judge, else 0."""
    if any(o.failed and not o.nothing for o in outcomes):
        return EXIT_ERROR
    if any(o.nothing for o in outcomes):
        return EXIT_NOTHING
    return 0


def _score_command(args: argparse.Namespace) -> int:
    from coach.ui.progress import ProgressDisplay, print_table

    paths = expand_inputs(args.inputs)
    if args.exercise != "auto":
        # an unknown id or variant fails (usage, status 2) before any video is decoded
        load_exercise(args.exercise).with_variant(args.variant)
    jobs = max(1, args.jobs or os.cpu_count() or 1)
    opts = _options(args, len(paths), jobs)
    if opts.resume and not opts.out_dir:
        raise UsageError("--resume needs --out DIR", "resume looks for finished reports there")
    engine = getattr(args, "engine", "local")
    if engine == "ray":
        from coach.commands.engine_ray import connect

        connect(getattr(args, "ray_address", None), jobs)  # fails here if Ray is missing
    done: dict[str, Outcome] = {}
    todo: list[Path] = []
    for p in paths:
        earlier = already_scored(p, opts) if opts.resume else None
        if earlier is None:
            todo.append(p)
        else:
            done[str(p)] = earlier
            _print_outcome(earlier, opts, len(paths))
    if engine == "ray":
        from coach.commands.engine_ray import score_on_ray

        for outcome in score_on_ray(todo, opts, lambda s: _finish(s, opts, len(paths))):
            done[outcome.input] = outcome
    else:
        with ProgressDisplay([str(p) for p in todo], enabled=sys.stderr.isatty()) as display:
            if len(todo) == 1 or jobs == 1:
                for p in todo:
                    outcome = score_one(p, opts, display.callback(str(p)))
                    display.finish(str(p), outcome.failed)
                    done[str(p)] = outcome
                    _print_outcome(outcome, opts, len(paths))
            elif todo:
                for outcome in _score_parallel(todo, opts, jobs, display, len(paths)):
                    done[outcome.input] = outcome
    outcomes = [done[str(p)] for p in paths]
    if len(paths) > 1:
        print_table(outcomes)
    return exit_status(outcomes)


def _finish(scored: Scored, opts: ScoreOptions, n_inputs: int) -> Outcome:
    """Write one engine result (in the driver) and say what it gave."""
    try:
        outcome = deliver(scored, opts)
    except Exception as exc:  # a bug met while writing one input must not end the batch
        outcome = scored.outcome
        outcome.error = f"{outcome.input}: scoring crashed ({exc!r})"
    _print_outcome(outcome, opts, n_inputs)
    return outcome


def _score_parallel(
    paths: list[Path], opts: ScoreOptions, jobs: int, display: Any, n: int
) -> list[Outcome]:
    ctx = mp.get_context("spawn")  # mediapipe and threads do not survive fork safely
    with ctx.Manager() as manager:
        messages = manager.Queue()
        with ProcessPoolExecutor(max_workers=min(jobs, len(paths)), mp_context=ctx) as pool:
            futures = {pool.submit(_worker, str(p), opts, messages): str(p) for p in paths}
            pending = set(futures)
            results: dict[str, Outcome] = {}
            while pending:
                _drain(messages, display)
                done = [f for f in pending if f.done()]
                for fut in done:
                    pending.discard(fut)
                    name = futures[fut]
                    try:
                        outcome = deliver(fut.result(), opts)
                    except Exception as exc:  # a crashed worker is one failed input
                        outcome = Outcome(name, error=f"{name}: scoring crashed ({exc})")
                    results[name] = outcome
                    display.finish(name, outcome.failed)
                    _print_outcome(outcome, opts, n)
                if pending:
                    time.sleep(0.1)
            _drain(messages, display)
    return [results[str(p)] for p in paths]


def _drain(messages: Any, display: Any) -> None:
    while True:
        try:
            name, done, total = messages.get_nowait()
        except queue.Empty:
            return
        display.update(name, done, total)


def _print_outcome(outcome: Outcome, opts: ScoreOptions, n_inputs: int) -> None:
    if outcome.skipped:
        if not opts.quiet:
            print(f"{outcome.input}: already scored (same file, same coach version), skipped")
        if outcome.error:
            print(f"coach: error: {outcome.error} (from the earlier run)", file=sys.stderr)
        return
    if outcome.error:
        print(f"coach: error: {outcome.error}", file=sys.stderr)
    if outcome.report is not None and not opts.quiet:
        rep = outcome.report
        if rep.get("exercise") is None:
            print(f"{outcome.input}: {rep['summary']['reasons'][0]}")
        else:
            print(text_summary(rep))
            rec = rep.get("recognition")
            if rec:
                print(f"  recognised as {rec['exercise']} (confidence {rec['confidence']:.2f})")
        for w in outcome.written:
            print(f"  wrote {w}")
