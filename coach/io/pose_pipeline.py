"""Video or photo in, PoseFrames out: decoding and pose estimation overlapped.

One pose graph keeps one core busy, so a plain read-then-pose loop leaves the second core
idle. Here decoding runs in a thread beside the pose graph, and with `jobs >= 2` one file
is split into time chunks posed in parallel: the calling process poses the first chunk,
spawned processes the others. The tracker of each later chunk is warmed up over about a
second of frames before the chunk's start; those frames are posed and dropped. Every
frame keeps its own container timestamp.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing as mp
import queue
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from coach.core.landmarks import PoseFrame
from coach.errors import CoachError
from coach.io.pose import PoseEstimator, check_model_file
from coach.io.scene import SceneBreaks
from coach.io.sources import StreamInfo, VideoSource, read_image, truncation_error

Progress = Callable[[int, int], None]

WARMUP_S = 1.0  # the tracker settles (detection, then smoothing) within about a second
MIN_CHUNK_S = 4.0  # shorter chunks cost more in process start-up than they save
CHILD_LAG_S = 2.0  # video seconds the first chunk gets extra while children start up
_QUEUE_FRAMES = 16
_PROGRESS_EVERY = 10  # frames between progress messages from a child


@dataclass(frozen=True)
class _Chunk:
    """Frames with keep_from <= t < end_s are kept; posing starts at read_from."""

    index: int
    read_from: float | None
    keep_from: float | None
    end_s: float | None


@dataclass(frozen=True)
class _Options:
    path: str
    sample_fps: float | None
    max_side: int | None
    model_path: str | None


def _decoded(source: VideoSource, stop: threading.Event) -> Iterator[tuple[np.ndarray, float]]:
    """Frames from a decoding thread, so decoding overlaps the pose graph's work."""
    frames: queue.Queue[tuple[np.ndarray, float] | None] = queue.Queue(maxsize=_QUEUE_FRAMES)
    failure: list[BaseException] = []

    def produce() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        frames.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:  # handed to the consumer, which re-raises it
            failure.append(exc)
        finally:
            while not stop.is_set():
                try:
                    frames.put(None, timeout=0.1)
                    break
                except queue.Full:
                    continue

    worker = threading.Thread(target=produce, name="coach-decode", daemon=True)
    worker.start()
    try:
        while (item := frames.get()) is not None:
            yield item
    finally:
        stop.set()
        worker.join()
    if failure:
        raise failure[0]


def iter_poses(
    source: VideoSource, estimator: PoseEstimator
) -> Iterator[tuple[np.ndarray, PoseFrame]]:
    """Each decoded frame with its pose, decoding in a thread beside the pose graph.

    For callers that need the pictures too (an annotated video); after the loop,
    `source.truncated` and `source.error` tell whether the file ended early.
    """
    stop = threading.Event()
    breaks = SceneBreaks()
    for frame_bgr, t in _decoded(source, stop):
        pose = estimator.estimate(frame_bgr, t)
        if breaks.update(frame_bgr, t):
            pose = replace(pose, cut=True)
        yield frame_bgr, pose


def _pose_chunk(
    opts: _Options,
    chunk: _Chunk,
    on_frame: Callable[[int], None] | None = None,
    estimator: PoseEstimator | None = None,
) -> tuple[list[PoseFrame], CoachError | None]:
    """Pose one chunk of a video in this process; returns kept frames and any read error.

    A warm `estimator` (a long-lived worker's) is reset first, so it poses exactly as a new one.
    """
    source = VideoSource(opts.path, chunk.read_from, chunk.end_s, opts.sample_fps)
    kept: list[PoseFrame] = []
    own = estimator is None
    if estimator is None:
        estimator = PoseEstimator(model_path=opts.model_path, max_side=opts.max_side)
    else:
        estimator.reset()
    try:
        for _, pose in iter_poses(source, estimator):
            if chunk.keep_from is not None and pose.t < chunk.keep_from:
                continue  # warm-up frame: it primed the tracker, the previous chunk owns it
            kept.append(pose)
            if on_frame is not None:
                on_frame(len(kept))
    finally:
        if own:
            estimator.close()
    return kept, source.error


def _child_main(opts: _Options, chunk: _Chunk, messages: Any) -> None:
    """Entry point of a spawned process: pose a chunk and send the result back."""
    last_sent = 0

    def on_frame(done: int) -> None:
        nonlocal last_sent
        if done - last_sent >= _PROGRESS_EVERY:
            messages.put(("progress", chunk.index, done))
            last_sent = done

    try:
        frames, error = _pose_chunk(opts, chunk, on_frame)
    except CoachError as exc:
        messages.put(("failed", chunk.index, (exc.problem, exc.fix)))
        return
    except Exception:  # a bug, not bad input: the parent raises it with this traceback
        messages.put(("crashed", chunk.index, traceback.format_exc()))
        return
    err = None if error is None else (error.problem, error.fix)
    messages.put(("done", chunk.index, (frames, err)))


def _split(
    start: float, end: float, jobs: int, lag_s: float = CHILD_LAG_S
) -> list[tuple[float, float]]:
    """Time chunks for jobs workers; the first (posed in-process) is longer by lag_s."""
    span = end - start
    jobs = max(1, min(jobs, int(span // MIN_CHUNK_S)))
    if jobs == 1:
        return [(start, end)]
    lag = min(lag_s, span / jobs)
    rest = (span - lag) / jobs
    bounds = [start] + [start + lag + rest * (i + 1) for i in range(jobs - 1)] + [end]
    return list(itertools.pairwise(bounds))


def _chunks(
    info: StreamInfo, start_s: float | None, end_s: float | None, jobs: int
) -> list[_Chunk]:
    start = max(0.0, start_s or 0.0)
    end = info.duration_s if end_s is None else min(end_s, info.duration_s)
    if jobs <= 1 or info.fps <= 0 or end - start < 2 * MIN_CHUNK_S:
        return [_Chunk(0, start_s, None, end_s)]
    spans = _split(start, end, jobs)
    chunks = []
    for i, (a, b) in enumerate(spans):
        last = i == len(spans) - 1
        chunk_end = end_s if last else b  # the last chunk reads to the real end of the file
        if i == 0:
            chunks.append(_Chunk(0, start_s, None, chunk_end))
        else:
            chunks.append(_Chunk(i, max(0.0, a - WARMUP_S), a, chunk_end))
    return chunks


class _Children:
    """Spawned processes posing chunks 1..n-1, and their messages."""

    def __init__(self, opts: _Options, chunks: list[_Chunk]) -> None:
        ctx = mp.get_context("spawn")
        self.messages: Any = ctx.Queue()
        self.done: dict[int, int] = {c.index: 0 for c in chunks}
        self.results: dict[int, tuple[list[PoseFrame], CoachError | None]] = {}
        self.procs = {
            c.index: ctx.Process(
                target=_child_main, args=(opts, c, self.messages), name=f"coach-pose-{c.index}"
            )
            for c in chunks
        }
        for proc in self.procs.values():
            proc.daemon = True
            proc.start()

    def frames_done(self) -> int:
        return sum(self.done.values())

    def poll(self, timeout: float) -> bool:
        """Handle one message; False when none came within timeout."""
        try:
            kind, index, payload = self.messages.get(timeout=timeout)
        except queue.Empty:
            self._check_alive()
            return False
        if kind == "progress":
            self.done[index] = payload
        elif kind == "done":
            frames, err = payload
            self.results[index] = (frames, None if err is None else CoachError(*err))
            self.done[index] = len(frames)
        elif kind == "failed":
            self.results[index] = ([], CoachError(*payload))
        elif kind == "crashed":
            raise RuntimeError(f"pose worker {index} failed:\n{payload}")
        return True

    def _check_alive(self) -> None:
        for index, proc in self.procs.items():
            if index not in self.results and proc.exitcode is not None:
                self.results[index] = (
                    [],
                    CoachError(
                        f"pose worker for part {index + 1} stopped (exit code {proc.exitcode})",
                        "try again with --jobs 1",
                    ),
                )

    def finished(self) -> bool:
        return len(self.results) == len(self.procs)

    def close(self) -> None:
        for proc in self.procs.values():
            if proc.is_alive():
                proc.terminate()
            proc.join(timeout=5)
        self.messages.close()


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, max(total, done))


def estimate_video(
    path: str | Path,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    sample_fps: float | None = None,
    max_side: int | None = None,
    model_path: str | Path | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
) -> tuple[StreamInfo, list[PoseFrame], CoachError | None]:
    """Pose every (or every sampled) frame of a video file, in time order.

    Returns the stream properties, the frames, and None or the CoachError that cut the
    reading short (a truncated file): the frames before it are still returned so a partial
    report can be written. Bad input that gives no frames at all raises CoachError.
    `progress(done, total)` is called from this thread as frames complete.
    """
    if mp.current_process().daemon:
        jobs = 1  # a pool worker (a batch scoring files in parallel) may not start processes
    plan = plan_video(
        path, start_s=start_s, end_s=end_s, sample_fps=sample_fps, max_side=max_side,
        model_path=model_path, jobs=jobs,
    )  # fmt: skip
    info, opts, chunks, total = plan.info, plan.options, plan.chunks, plan.total
    if len(chunks) == 1:
        frames, error = _pose_chunk(opts, chunks[0], lambda n: _report(progress, n, total))
        return info, frames, error
    return (info, *_estimate_parallel(opts, list(chunks), plan.end_s, total, progress))


@dataclass(frozen=True)
class VideoPlan:
    """How one video is posed: its stream, the expected frame count and its chunks in order.

    Another engine (coach.commands.engine_ray) poses the chunks wherever it likes with
    `pose_chunk` and joins them with `merge_chunks`: the frames are those of estimate_video.
    """

    info: StreamInfo
    total: int
    end_s: float
    options: _Options
    chunks: tuple[_Chunk, ...]


def plan_video(
    path: str | Path,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    sample_fps: float | None = None,
    max_side: int | None = None,
    model_path: str | Path | None = None,
    jobs: int = 1,
) -> VideoPlan:
    """Probe a video and cut it into the overlapping chunks `jobs` workers would pose."""
    if model_path is not None:
        check_model_file(Path(model_path))
    probe = VideoSource(path, start_s, end_s, sample_fps)
    info = probe.info
    opts = _Options(
        str(path), sample_fps, max_side, None if model_path is None else str(model_path)
    )
    end = info.duration_s if end_s is None else min(end_s, info.duration_s)
    chunks = tuple(_chunks(info, start_s, end_s, jobs))
    return VideoPlan(info, probe.expected_frames(), end, opts, chunks)


def pose_chunk(
    plan: VideoPlan,
    index: int,
    estimator: PoseEstimator | None = None,
    on_frame: Callable[[int], None] | None = None,
) -> tuple[list[PoseFrame], CoachError | None]:
    """Pose chunk `index` of a plan in this process (with a warm estimator if given)."""
    return _pose_chunk(plan.options, plan.chunks[index], on_frame, estimator)


def merge_chunks(
    plan: VideoPlan, parts: list[tuple[list[PoseFrame], CoachError | None]]
) -> tuple[list[PoseFrame], CoachError | None]:
    """The chunks' frames (in plan order) as one recording, with the error that cut it short."""
    return _merge(parts, plan.options.path, plan.end_s)


def _estimate_parallel(
    opts: _Options, chunks: list[_Chunk], end_s: float, total: int, progress: Progress | None
) -> tuple[list[PoseFrame], CoachError | None]:
    children = _Children(opts, chunks[1:])
    own_done = 0

    def on_frame(n: int) -> None:
        nonlocal own_done
        own_done = n
        while children.poll(timeout=0):  # drain without blocking the pose loop
            pass
        _report(progress, own_done + children.frames_done(), total)

    try:
        first, first_error = _pose_chunk(opts, chunks[0], on_frame)
        while not children.finished():
            if children.poll(timeout=0.2):
                _report(progress, own_done + children.frames_done(), total)
    finally:
        children.close()
    results = {0: (first, first_error), **children.results}
    return _merge([results[c.index] for c in chunks], opts.path, end_s)


def _merge(
    parts: list[tuple[list[PoseFrame], CoachError | None]], path: Path | str, end_s: float
) -> tuple[list[PoseFrame], CoachError | None]:
    """Chunks in order; stop after the first damaged one, whose later parts are unreliable.

    A chunk's truncation message gives the chunk's end; it is restated for the whole file.
    """
    frames: list[PoseFrame] = []
    last_t = -math.inf
    for part, error in parts:
        for f in part:
            if f.t > last_t:
                frames.append(f)
                last_t = f.t
        if error is not None:
            if error.problem.startswith(f"{path}: truncated"):
                seen = frames[-1].t if frames else 0.0
                error = truncation_error(path, f"video ends at {seen:.1f} s of {end_s:.1f} s")
            return frames, error
    return frames, None


def estimate_image(
    path: str | Path, *, model_path: str | Path | None = None, max_side: int | None = None
) -> PoseFrame:
    """Pose of one still photo, as a frame at t = 0."""
    image = read_image(path)
    with PoseEstimator(static=True, model_path=model_path, max_side=max_side) as estimator:
        return estimator.estimate(image, 0.0)
