"""`coach score --engine ray`: the same scoring on a Ray cluster, from a laptop to many machines.

Ray is an optional extra, imported here only. Each CPU of the cluster holds one actor that
keeps a pose estimator warm (reset between recordings, so it poses exactly like a new one);
each recording is one actor call that returns a `Scored` (frames, report, series), and
results stream back with `ray.wait` as each completes. Nothing is written on the cluster:
the driver hands each result to `score_output.deliver`, the same writer the local engine uses, so
reports, outputs and history rows are written by one process in one place.

Inputs are paths: on a multi-machine cluster they must be readable at the same path on every
node (a shared mount), and coach must be installed there.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from coach.commands.score_compute import Outcome, Scored, ScoreOptions, compute
from coach.errors import CoachError
from coach.io.inputs import Loaded, kind_of, load_frames

INSTALL_HINT = 'pip install "coach[ray]"'
_TALLY_EVERY = 25  # frames between progress messages from an actor
_IN_FLIGHT = 2  # calls queued per actor, so it never waits for the driver between recordings
_state: dict[str, bool] = {"owned": False}


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise CoachError("--engine ray needs Ray, which is not installed", INSTALL_HINT) from None
    return ray


def connect(address: str | None, num_cpus: int) -> None:
    """Join the cluster at `address`, or start a local one with `num_cpus` CPUs.

    A Ray session that is already open in this process (a test's, a notebook's) is used as is
    and left open; one started here is shut down when the batch ends.
    """
    ray = _ray()
    if ray.is_initialized():
        return
    quiet = {"logging_level": logging.ERROR, "log_to_driver": False}
    if address:
        _check_reachable(address)
    try:
        if address:
            ray.init(address=address, **quiet)
        else:
            ray.init(num_cpus=num_cpus, include_dashboard=False, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = address or "a local cluster"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CoachError(
            f"cannot connect to Ray at {where} ({first})",
            "check the address printed by `ray start --head`, or drop --ray-address",
        ) from None
    _state["owned"] = True


def _check_reachable(address: str) -> None:
    """Fail in seconds, in one line, where Ray itself would retry for minutes."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # "auto" and the like: Ray finds the cluster itself
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise CoachError(
            f"no Ray cluster answers at {address} ({exc.strerror or exc})",
            "start one with `ray start --head` there, or drop --ray-address to score here",
        ) from None


def disconnect() -> None:
    """Shut down a Ray session this module started; leave anyone else's alone."""
    if _state["owned"]:
        _ray().shutdown()
        _state["owned"] = False


class _Tally:
    """Frames posed across the cluster, for the driver's frames-a-second."""

    def __init__(self) -> None:
        self.frames = 0

    def add(self, n: int) -> None:
        self.frames += n

    def total(self) -> int:
        return self.frames


class _Scorer:
    """One per CPU: a warm pose estimator that scores recording after recording."""

    def __init__(self, model: str | None, tally: str) -> None:
        import ray

        self._model = model
        self._tally = ray.get_actor(tally)  # by name: a restarted actor finds it again
        self._estimator: Any = None

    def _warm(self) -> Any:
        if self._estimator is None:
            from coach.io.pose import PoseEstimator

            # max_side=None: what estimate_video gives the local engine
            self._estimator = PoseEstimator(model_path=self._model, max_side=None)
        return self._estimator

    def _counter(self) -> tuple[Callable[[int], None], Callable[[int], None]]:
        """A frame callback that tells the tally every few frames, and its final flush."""
        sent = [0]

        def on_frame(done: int) -> None:
            if done - sent[0] >= _TALLY_EVERY:
                self._tally.add.remote(done - sent[0])
                sent[0] = done

        def flush(done: int) -> None:
            if done > sent[0]:
                self._tally.add.remote(done - sent[0])

        return on_frame, flush

    def _load(self, path: Path, opts: ScoreOptions) -> Loaded:
        if kind_of(path) == "video" and path.exists():
            from coach.io.pose_pipeline import plan_video, pose_chunk

            plan = plan_video(
                path,
                start_s=opts.start_s,
                end_s=opts.end_s,
                sample_fps=opts.sample_fps,
                model_path=opts.model,
                jobs=1,
            )
            on_frame, flush = self._counter()
            frames, error = pose_chunk(plan, 0, self._warm(), on_frame)
            flush(len(frames))
            return frames, plan.info.fps, (error.problem if error else None)
        frames, fps, cut_short = load_frames(path, opts, None)
        self._tally.add.remote(len(frames))
        return frames, fps, cut_short

    def score(self, path: str, opts: ScoreOptions) -> Scored:
        p = Path(path)
        return compute(p, opts, lambda: self._load(p, opts))

    def pose_chunk(self, plan: Any, index: int) -> tuple[list[Any], tuple[str, str] | None]:
        from coach.io.pose_pipeline import pose_chunk

        on_frame, flush = self._counter()
        frames, error = pose_chunk(plan, index, self._warm(), on_frame)
        flush(len(frames))
        return frames, (None if error is None else (error.problem, error.fix))


@cache
def _remote_classes() -> tuple[Any, Any]:
    ray = _ray()
    tally = ray.remote(num_cpus=0)(_Tally)
    # A crashed actor restarts; the call that crashed it is retried once, then reported.
    scorer = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=1)(_Scorer)
    return tally, scorer


def _crash_line(path: str, exc: BaseException) -> str:
    cause = getattr(exc, "cause", None) or exc
    text = str(cause).strip().splitlines()
    return f"{path}: scoring crashed ({text[-1] if text else type(cause).__name__})"


def score_on_ray(
    paths: list[Path], opts: ScoreOptions, finish: Callable[[Scored], Outcome]
) -> list[Outcome]:
    """Score `paths` on the connected cluster; `finish` (the driver's writer) gets each result
    as it arrives. A failed recording is one outcome with its reason; the others go on."""
    from coach.ui.progress import BatchBar

    ray = _ray()
    outcomes: list[Outcome] = []
    try:
        if not paths:
            return outcomes
        tally_cls, scorer_cls = _remote_classes()
        name = f"coach-tally-{os.getpid()}-{time.time_ns()}"
        tally = tally_cls.options(name=name).remote()
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        with BatchBar(len(paths), enabled=sys.stderr.isatty()) as bar:
            chunked = _chunked_plan(paths, opts)
            n_workers = min(cpus, len(chunked.chunks) if chunked else len(paths))
            workers = [scorer_cls.remote(opts.model, name) for _ in range(n_workers)]

            def done(outcome: Outcome) -> None:
                outcomes.append(outcome)
                bar.update(
                    len(outcomes), ray.get(tally.total.remote()), sum(o.failed for o in outcomes)
                )

            if chunked is not None:
                scored = _score_chunked(ray, paths[0], opts, chunked, workers, tally, bar)
                done(finish(scored))
            else:
                for scored in _stream(ray, paths, opts, workers, tally, bar, outcomes):
                    done(finish(scored))
        return outcomes
    finally:
        disconnect()


def _chunked_plan(paths: list[Path], opts: ScoreOptions) -> Any:
    """The chunk plan of a single long video, cut as the local engine cuts it; else None."""
    if len(paths) != 1 or opts.pose_jobs <= 1 or kind_of(paths[0]) != "video":
        return None
    from coach.io.pose_pipeline import plan_video

    try:
        plan = plan_video(
            paths[0],
            start_s=opts.start_s,
            end_s=opts.end_s,
            sample_fps=opts.sample_fps,
            model_path=opts.model,
            jobs=opts.pose_jobs,
        )
    except CoachError:
        return None  # the actor meets the same problem and reports it as one line
    return plan if len(plan.chunks) > 1 else None


def _wait(ray: Any, refs: list[Any], tally: Any, bar: Any, finished: int, failed: int) -> list[Any]:
    ready, _ = ray.wait(refs, num_returns=1, timeout=0.5)
    bar.update(finished, ray.get(tally.total.remote()), failed)
    return ready


def _score_chunked(
    ray: Any, path: Path, opts: ScoreOptions, plan: Any, workers: list[Any], tally: Any, bar: Any
) -> Scored:
    """One long recording: its overlapping chunks posed on several actors, merged here."""
    from coach.io.pose_pipeline import merge_chunks

    refs = [workers[i % len(workers)].pose_chunk.remote(plan, i) for i in range(len(plan.chunks))]
    pending = list(refs)
    try:
        while pending:
            for ref in _wait(ray, pending, tally, bar, 0, 0):
                pending.remove(ref)
        parts = [(f, None if e is None else CoachError(*e)) for f, e in ray.get(refs)]
    except Exception as exc:  # a crashed actor: this recording fails, with its reason
        return Scored(Outcome(str(path), error=_crash_line(str(path), exc)))
    frames, error = merge_chunks(plan, parts)
    return compute(path, opts, lambda: (frames, plan.info.fps, error.problem if error else None))


def _stream(
    ray: Any,
    paths: list[Path],
    opts: ScoreOptions,
    workers: list[Any],
    tally: Any,
    bar: Any,
    outcomes: list[Outcome],
) -> Iterator[Scored]:
    """Each recording's result as soon as it is ready; each actor kept _IN_FLIGHT calls busy."""
    queue = deque(paths)
    inflight: dict[Any, tuple[int, Path]] = {}

    def submit(slot: int) -> None:
        if queue:
            path = queue.popleft()
            inflight[workers[slot].score.remote(str(path), opts)] = (slot, path)

    for _ in range(_IN_FLIGHT):
        for slot in range(len(workers)):
            submit(slot)
    while inflight:
        failed = sum(o.failed for o in outcomes)
        for ref in _wait(ray, list(inflight), tally, bar, len(outcomes), failed):
            slot, path = inflight.pop(ref)
            try:
                scored = ray.get(ref)
            except Exception as exc:  # RayTaskError / RayActorError: one failed recording
                scored = Scored(Outcome(str(path), error=_crash_line(str(path), exc)))
            submit(slot)
            yield scored
