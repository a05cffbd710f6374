"""`coach score`: recorded videos, photos and landmark files -> reports, plots, history.

One input is scored in this process (its pose estimation may use several processes); many
inputs are scored in parallel, one process each. A bad input gets one clear line and a
non-zero exit, and never stops the others; whatever was computed for it is still written.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import os
import queue
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from coach.commands.score_compute import Outcome, Scored, ScoreOptions, compute
from coach.commands.score_output import JSON_STDOUT, already_scored, deliver
from coach.core.report import text_summary
from coach.errors import EXIT_ERROR, EXIT_NOTHING, UsageError
from coach.io.inputs import Progress, expand_inputs, load_frames
from coach.io.native_logs import native_logs_hidden
from coach.io.poses import load_exercise


def score_one(path: Path, opts: ScoreOptions, progress: Progress | None = None) -> Outcome:
    """Score one input and write what it gave; never raises for a bad input."""
    return deliver(compute(path, opts, lambda: load_frames(path, opts, progress)), opts)


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


def score_command(args: argparse.Namespace) -> int:
    with native_logs_hidden(getattr(args, "verbose", False)):
        if args.json != "-":
            return _score_command(args)
        JSON_STDOUT[0] = sys.stdout
        try:
            with contextlib.redirect_stdout(sys.stderr):  # stdout carries the JSON alone
                return _score_command(args)
        finally:
            JSON_STDOUT[0] = None


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
