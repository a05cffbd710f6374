"""`coach run`: live coaching from a camera (or a file played as if live).

The loop runs pose, judging and drawing on the main thread (GUI windows must live there on
macOS); the camera and the voice have their own threads. Every dependency (frame feed,
estimator, speaker, window, keys, clock) is passed in, so tests drive the real loop with a
landmark file, a fake clock and a recording speaker.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import queue
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

import numpy as np

from coach.core.chair import ChairWatch
from coach.core.cues import Cue, Priority
from coach.core.events import PAIN_MESSAGE
from coach.core.exercises import Exercise, load_exercise
from coach.core.landmarks import PoseFrame
from coach.core.report import build_report, nothing_to_judge, text_summary, write_json
from coach.core.session import Session
from coach.core.view import CueEditor, Prompts, overlay_state
from coach.errors import EXIT_NOTHING, CoachError, os_cause, write_error
from coach.voice.prompts import Speaker

CAMERA_GIVE_UP_S = 60.0
PAIN_SHOW_S = 8.0  # the pain-stop advice stays on screen this long, or until a key
PAIN_SPEECH_S = 30.0  # the advice takes about 10 s to say at 150 words a minute
KEYS_TEXT = "p or space: stop for pain · q: quit · r: restart"
CHAIR = "chair"

Clock = Callable[[], float]


@dataclass(frozen=True)
class LiveItem:
    """One tick of the feed: a picture and/or a ready pose, or a lost camera."""

    t: float
    image: np.ndarray | None = None
    pose: PoseFrame | None = None
    camera_lost: bool = False


class Estimator(Protocol):
    def estimate(self, frame_bgr: np.ndarray, t: float) -> PoseFrame: ...


class Window(Protocol):
    def show(self, image: np.ndarray) -> int | None: ...

    def close(self) -> None: ...


# ----- feeds --------------------------------------------------------------------------------
def paced(
    items: Iterator[LiveItem], fast: bool, clock: Clock, sleep: Callable[[float], None]
) -> Iterator[LiveItem]:
    """Release a file's frames at their own pace, as a camera would (or at once with --fast)."""
    start_wall: float | None = None
    start_t = 0.0
    for item in items:
        if not fast:
            if start_wall is None:
                start_wall, start_t = clock(), item.t
            wait = (item.t - start_t) - (clock() - start_wall)
            if wait > 0:
                sleep(wait)
        yield item


def file_feed(
    path: str,
    fast: bool,
    clock: Clock = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[LiveItem]:
    """A video or landmark file played as if it were live."""
    from coach.io.inputs import kind_of

    p = Path(path)
    if not p.exists():
        raise CoachError(f"{p}: no such file", "check the --source path")
    kind = kind_of(p)
    if kind == "landmarks":
        from coach.io.landmark_file import read_landmarks

        _, frames = read_landmarks(p)
        return paced((LiveItem(f.t, pose=f) for f in frames), fast, clock, sleep)
    if kind == "video":
        from coach.io.sources import VideoSource

        source = VideoSource(p)
        return paced((LiveItem(t, image=img) for img, t in source), fast, clock, sleep)
    raise CoachError(
        f"{p}: --source must be a video or a .landmarks.jsonl file",
        "give an .mp4/.mov/.avi/.webm/.mkv or a landmark file",
    )


def camera_feed(camera: Any, clock: Clock = time.monotonic) -> Iterator[LiveItem]:
    """Newest frames from a CameraSource; a lost camera shows up as `camera_lost` ticks."""
    while True:
        got = camera.read(timeout=1.0)
        if got is None:
            if camera.lost:
                yield LiveItem(clock(), camera_lost=True)
            continue
        image, t = got
        yield LiveItem(t, image=image)


def with_poses(
    feed: Iterator[LiveItem], estimator: Estimator | None
) -> Iterator[tuple[LiveItem, PoseFrame | None]]:
    """Items with their poses. With an estimator, reading and pose estimation run on a worker
    thread one frame ahead, so frame n+1 is posed while frame n is judged, drawn and shown
    (MediaPipe and OpenCV release the GIL). At most one posed frame waits: no backlog."""
    if estimator is None:
        for item in feed:
            yield item, item.pose
        return
    out: queue.Queue[tuple[LiveItem, PoseFrame | None] | BaseException | None] = queue.Queue(1)
    stop = threading.Event()

    def put(x: tuple[LiveItem, PoseFrame | None] | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                out.put(x, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in feed:
                pose = item.pose
                if pose is None and item.image is not None:
                    pose = estimator.estimate(item.image, item.t)
                if not put((item, pose)):
                    return
            put(None)
        except BaseException as exc:  # handed to the main thread, raised there
            put(exc)

    worker = threading.Thread(target=work, daemon=True, name="coach-pose")
    worker.start()
    try:
        while True:
            got = out.get()
            if got is None:
                return
            if isinstance(got, BaseException):
                raise got
            yield got
    finally:
        stop.set()
        worker.join(timeout=5.0)


# ----- keys ---------------------------------------------------------------------------------
class StdinKeys:
    """Controls from standard input, a terminal or a pipe: p (pain), q (quit) or r (restart)
    and Enter. A line of just a space is the pain stop too, like the space key in the window;
    a bare Enter does nothing."""

    def __init__(self, stream: Any = None) -> None:
        self._q: queue.Queue[str] = queue.Queue()
        self._stream = sys.stdin if stream is None else stream
        if self._stream is not None and not self._stream.closed:
            threading.Thread(target=self._read, daemon=True, name="coach-keys").start()

    def _read(self) -> None:
        try:
            for line in self._stream:
                text = line.strip().lower()
                if text:
                    self._q.put(text[0])
                elif line.startswith(" "):
                    self._q.put(" ")
        except (OSError, ValueError):  # stdin closed under us: no more keys
            return

    def __call__(self, t: float) -> str | None:
        try:
            return self._q.get_nowait()
        except queue.Empty:
            return None


def key_action(code: int | str | None) -> str | None:
    """Window key codes and typed letters -> 'pain', 'quit', 'restart'."""
    if code is None:
        return None
    if isinstance(code, int):
        if code < 0:
            return None
        if code == 27:
            return "quit"
        code = chr(code & 0xFF).lower()
    if code in ("p", " "):
        return "pain"
    if code == "q":
        return "quit"
    if code == "r":
        return "restart"
    return None


def urgent_texts(exercise: Exercise) -> list[str]:
    """What may have to be said at once: the safety messages and "Hold it there."."""
    from coach.core.events import MESSAGES, WARNING_TYPES

    texts = [MESSAGES[k] for k in (*WARNING_TYPES, "lost_view") if k in MESSAGES]
    texts += [rule.limit_cue for rule in exercise.angles if rule.limit_cue]
    return [*texts, "Hold it there.", PAIN_MESSAGE]


# ----- the loop -----------------------------------------------------------------------------
@dataclass
class LiveStats:
    frames: int = 0
    seconds: float = 0.0

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


@dataclass
class LiveResult:
    session: Session
    ended_by: str  # "quit", "pain", "end", "camera_lost", "time", "signal"
    stats: LiveStats
    partial_reason: str | None = None
    poses: list[PoseFrame] = field(default_factory=list)  # for the page and angle data


class LiveLoop:
    """Frames in, judged and spoken and drawn; ends on quit, pain stop or end of feed."""

    def __init__(
        self,
        exercise: Exercise,
        feed: Iterator[LiveItem],
        speaker: Speaker,
        *,
        estimator: Estimator | None = None,
        window: Window | None = None,
        keys: Callable[[float], str | None] | None = None,
        clock: Clock = time.monotonic,
        max_seconds: float | None = None,
        mirror: bool = True,
        variant: str | None = None,
        auto_variant: bool = True,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self.exercise = exercise
        self.variant = variant
        self._base_exercise = exercise
        floor = CHAIR in exercise.variants and (
            exercise.with_variant(CHAIR).angles != exercise.angles  # not the chair variant yet
        )
        self._chair = ChairWatch() if auto_variant and variant is None and floor else None
        self.pause = pause
        self.cue_editor = CueEditor()
        prepare = getattr(speaker, "prepare", None)
        if prepare is not None:
            prepare(urgent_texts(exercise))
        self.feed = feed
        self.speaker = speaker
        self.estimator = estimator
        self.window = window
        self.keys = keys
        self.clock = clock
        self.max_seconds = max_seconds
        self.mirror = mirror
        self.session = Session(exercise)
        self.prompts = Prompts(exercise)
        self._camera_lost_since: float | None = None
        self.poses: list[PoseFrame] = []
        self.on_step: Callable[[Session, float], None] | None = None  # e.g. write the history
        self.stop_requested: str | None = None  # set by a signal handler: end like q

    def _say(self, cues: list[Cue]) -> None:
        for cue in cues:
            self.speaker.say(cue)

    def warning_text(self, t: float) -> str | None:
        return self.prompts.warning(t)

    def state(self, t: float, pose: PoseFrame | None):  # -> OverlayState
        return overlay_state(
            self.session,
            self.prompts.instruction,
            self.warning_text(t),
            mirrored=self.mirror,
            pose=pose,
            variant=self.variant,
        )

    def _draw(self, item: LiveItem, pose: PoseFrame | None) -> int | None:
        if self.window is None or item.image is None:
            return None
        from coach.ui.overlay import draw_overlay

        image = draw_overlay(item.image, pose, self.state(item.t, pose), mirror=self.mirror)
        self._last_image = (item.image, pose)
        return self.window.show(image)

    def _maybe_chair(self, pose: PoseFrame) -> None:
        """A person on a chair doing the floor twist: switch to its chair variant, once, before
        the first rep (the legs are then not checked), and say so."""
        if self._chair is None or CHAIR not in self.exercise.variants:
            return
        if self.session.reps:
            self._chair = None  # too late to change the rules of a set with reps counted
            return
        if not self._chair.update(pose):
            return
        self._chair = None
        self.variant = CHAIR
        self.exercise = self._base_exercise.with_variant(CHAIR)
        old = self.session
        self.session = Session(self.exercise)
        self.session.t0 = old.t0
        self.prompts = Prompts(self.exercise)
        self.cue_editor = CueEditor(placement_said=True)
        text = "You're on a chair: switching to the chair twist."
        self.prompts.instruction = text
        self.speaker.say(Cue(text, Priority.INSTRUCTION, "variant", pose.t, 30))

    def _camera_lost(self, item: LiveItem) -> bool:
        """Pause on a lost camera; True when it has been gone too long to wait for."""
        if self._camera_lost_since is None:
            self._camera_lost_since = item.t
            self.speaker.say(
                Cue(
                    "I lost the camera. Coaching is paused until it is back.",
                    Priority.SAFETY,
                    "camera_lost",
                    item.t,
                    20,
                )
            )
        return item.t - self._camera_lost_since > CAMERA_GIVE_UP_S

    def run(self) -> LiveResult:
        stats = LiveStats()
        started = self.clock()
        t_first: float | None = None
        ended_by, partial = "end", None
        for item, pose in with_poses(self.feed, self.estimator):
            if self.stop_requested:
                ended_by = "signal"
                break
            if item.camera_lost:
                if self._camera_lost(item):
                    ended_by, partial = "camera_lost", "the camera was lost and did not come back"
                    break
                continue
            if self._camera_lost_since is not None:
                self._camera_lost_since = None
                self.speaker.say(
                    Cue(
                        "Camera is back. Carry on gently.",
                        Priority.INSTRUCTION,
                        "camera_back",
                        item.t,
                        5,
                    )
                )
            t_first = item.t if t_first is None else t_first
            if pose is None:
                pose = PoseFrame(item.t)
            self.poses.append(pose)
            self._maybe_chair(pose)
            result = self.session.step(pose)
            result.cues[:] = self.cue_editor.edit(self.session, result.cues)
            self.prompts.update(item.t, result)
            self._say(result.cues)
            stats.frames += 1
            if self.on_step is not None:
                self.on_step(self.session, item.t)
            code = self._draw(item, pose)
            action = key_action(code) or key_action(self.keys(item.t) if self.keys else None)
            if action == "pain":
                self._pain_stop(item.t)
                ended_by = "pain"
                self._pain_screen(item.t)
                self.speaker.flush(timeout_s=PAIN_SPEECH_S)  # the advice, said in full
                break
            if action == "quit":
                ended_by = "quit"
                break
            if action == "restart":  # the same exercise and variant (a chair stays a chair)
                self.session = Session(self.exercise)
                self.prompts = Prompts(self.exercise)
                self.cue_editor = CueEditor()
                self._say(
                    [Cue("Starting the set again.", Priority.INSTRUCTION, "restart", item.t, 2)]
                )
            if self.max_seconds is not None and item.t - t_first >= self.max_seconds:
                ended_by = "time"
                break
        stats.seconds = self.clock() - started
        if ended_by != "pain":
            self.session.finish()
        return LiveResult(self.session, ended_by, stats, partial, self.poses)

    def _pain_stop(self, t: float) -> None:
        result = self.session.pain_stop(t)
        self.prompts.update(t, result)
        self._say(result.cues)

    def _pain_screen(self, t: float) -> None:
        """Keep the pain-stop advice on screen until a key or PAIN_SHOW_S pass (it is also
        spoken in full: the speaker is flushed before exit, and printed)."""
        from coach.voice.prompts import PrintSpeaker

        if not isinstance(self.speaker, PrintSpeaker):  # a printing speaker showed it already
            print(f"coach: {PAIN_MESSAGE}", file=sys.stderr, flush=True)
        if self.window is None or getattr(self, "_last_image", None) is None:
            return
        from coach.ui.overlay import draw_overlay, draw_pain_stop

        image, pose = self._last_image
        state = self.state(t, pose)
        shown = draw_pain_stop(draw_overlay(image, pose, state, mirror=self.mirror), PAIN_MESSAGE)
        until = self.clock() + PAIN_SHOW_S
        while self.clock() < until:
            if self.window.show(shown) is not None:
                break
            self.pause(0.05)


# ----- the command --------------------------------------------------------------------------
def window_size(
    screen: tuple[int, int] | None, aspect: float = 16 / 9, want: tuple[int, int] = (1280, 720)
) -> tuple[int, int]:
    """A window of `want` size, or most (90%) of a smaller screen, keeping the aspect."""
    w, h = want
    if screen is not None and screen[0] > 0 and screen[1] > 0:
        w, h = min(w, int(screen[0] * 0.9)), min(h, int(screen[1] * 0.9))
    if w / h > aspect:
        w = int(h * aspect)
    else:
        h = int(w / aspect)
    return max(320, w), max(180, h)


def screen_size() -> tuple[int, int] | None:
    """The X screen's size where xdpyinfo or tkinter can tell, else None."""
    import shutil
    import subprocess

    if shutil.which("xdpyinfo"):
        try:
            text = subprocess.run(["xdpyinfo"], capture_output=True, text=True, timeout=2.0).stdout
        except (OSError, subprocess.SubprocessError):
            text = ""
        for line in text.splitlines():
            if "dimensions:" in line:
                w, _, h = line.split()[1].partition("x")
                if w.isdigit() and h.isdigit():
                    return int(w), int(h)
    return None


class CvWindow:
    """An OpenCV window; only made where a display exists (imshow aborts without one).

    Opens at 1280x720 or most of a smaller screen, resizable, keeping the picture's aspect.
    """

    NAME = "coach — p/space: pain stop, q: quit, r: restart"

    def __init__(self, screen: tuple[int, int] | None = None) -> None:
        import cv2

        self._cv2 = cv2
        self._screen = screen
        self._sized = False
        cv2.namedWindow(self.NAME, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO)

    def show(self, image: np.ndarray) -> int | None:
        if not self._sized:  # sized to the first picture's aspect
            self._sized = True
            h, w = image.shape[:2]
            self._cv2.resizeWindow(self.NAME, *window_size(self._screen, w / h))
        self._cv2.imshow(self.NAME, image)
        code = self._cv2.waitKey(1)
        return None if code < 0 else code

    def close(self) -> None:
        self._cv2.destroyAllWindows()


def _make_window(no_window: bool) -> Window | None:
    if no_window:
        return None
    from coach.io.capture import display_available

    if not display_available():
        print(
            "coach: no display found — running without a window (as with --no-window)",
            file=sys.stderr,
        )
        return None
    return CvWindow(screen_size())


def print_keys(window: bool) -> None:
    """The controls, printed at the start in every mode."""
    where = (
        "in the window, or type the letter and Enter here"
        if window
        else ("type the letter and Enter here")
    )
    print(f"coach: keys — {KEYS_TEXT} ({where})", file=sys.stderr, flush=True)


def _gate(args: argparse.Namespace, exercise: Exercise, speaker: Speaker) -> bool:
    """Daily limits and pain follow-up before the set; False when the user declines."""
    if args.no_history:
        return True
    from coach.commands.gate import limit_gate
    from coach.voice.prompts import PrintSpeaker

    def ask(question: str) -> bool:
        if sys.stdin is None or not sys.stdin.isatty():
            print(
                f"coach: {question} (no terminal to answer: use --force to go ahead)",
                file=sys.stderr,
            )
            return False
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")

    def say(text: str) -> None:
        speaker.say(Cue(text, Priority.SAFETY, "gate", 0.0, 0))
        if not isinstance(speaker, PrintSpeaker):  # a printing speaker shows it already
            print(f"coach: {text}")

    return bool(limit_gate(args.db, exercise.id, local_now(), args.force, ask, say))


def local_now() -> datetime:
    """Now in the user's own time zone: daily limits count the user's day, not UTC's."""
    return datetime.now().astimezone()


@contextlib.contextmanager
def native_logs_hidden(verbose: bool) -> Iterator[None]:
    """Keep the pose library's native log lines (TFLite delegate, absl, feedback manager) out
    of the terminal: C++ writes to descriptor 2, so that goes to the null device while
    Python's own stderr (our one-line messages) keeps the terminal."""
    if verbose:
        yield
        return
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    old = sys.stderr
    sys.stderr = os.fdopen(os.dup(saved), "w", buffering=1, encoding="utf-8", errors="replace")
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, fd)
        os.close(saved)
        sys.stderr.close()
        sys.stderr = old


def run_command(args: argparse.Namespace) -> int:
    with native_logs_hidden(getattr(args, "verbose", False)):
        if args.json != "-":
            return _run_command(args, None)
        real_stdout = sys.stdout
        with contextlib.redirect_stdout(sys.stderr):  # standard output carries the JSON alone
            return _run_command(args, real_stdout)


def _run_command(args: argparse.Namespace, json_stdout: TextIO | None) -> int:
    exercise = load_exercise(args.exercise).with_variant(args.variant)
    from coach.voice.worker import make_speaker

    speaker = make_speaker(not args.no_voice, args.voice_rate, args.voice)
    camera = None
    recorder = None
    try:
        if not _gate(args, exercise, speaker):
            print("coach: not starting. Rest today; your body recovers between sessions.")
            return 1
        if args.source:
            feed = file_feed(args.source, args.fast)
        else:
            from coach.io.capture import CameraSource

            camera = CameraSource(args.camera)
            feed = camera_feed(camera)
        estimator = None
        if args.source is None or not args.source.endswith(".jsonl"):
            from coach.io.pose import PoseEstimator

            estimator = PoseEstimator(model_path=args.model)
        window = _make_window(args.no_window)
        print_keys(window is not None)
        mirror = args.source is None if getattr(args, "mirror", None) is None else args.mirror
        started_at = local_now()
        warnings, recorder = _start_history(args, exercise, started_at)
        loop = LiveLoop(
            exercise,
            feed,
            speaker,
            estimator=estimator,
            window=window,
            keys=StdinKeys(),
            max_seconds=args.max_seconds,
            mirror=mirror,
            variant=args.variant,
        )
        if recorder is not None:
            loop.on_step = LivePersist(recorder, args.source or f"camera {args.camera}")
        with ending_signals(loop):
            try:
                result = loop.run()
            except KeyboardInterrupt:
                loop.session.finish()
                result = LiveResult(loop.session, "quit", LiveStats())
            finally:
                if window is not None:
                    window.close()
            return _save(result, args, warnings, recorder, json_stdout)
    finally:
        speaker.flush(timeout_s=10.0)  # safety speech (pain-stop advice) always finishes
        speaker.close()
        if recorder is not None:
            recorder.close()
        if camera is not None:
            camera.close()


# ----- never lose a session: signals and the history written as it happens -------------------
@contextlib.contextmanager
def ending_signals(loop: LiveLoop) -> Iterator[None]:
    """SIGTERM and SIGHUP end the session like q: the loop stops, the report is printed and
    saved. The handlers stay until the report is saved, so a second signal cannot cut it."""

    def handler(signum: int, frame: object) -> None:
        loop.stop_requested = signal.Signals(signum).name

    previous: dict[int, Any] = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is None:
            continue  # Windows has no SIGHUP
        with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class LivePersist:
    """The loop's per-frame hook: writes the session so far about once a second, and at once
    when a rep or event closes. A failing write warns once and the session goes on."""

    PARTIAL_REASON = "the session did not end normally (the process was stopped)"

    def __init__(
        self, recorder: Any, source: str, every_s: float = 1.0, clock: Clock = time.monotonic
    ) -> None:
        self.recorder = recorder
        self.source = source
        self.every_s = every_s
        self.clock = clock
        self._last = -math.inf
        self._counts = (0, 0)
        self.error: BaseException | None = None

    def __call__(self, session: Session, t: float) -> None:
        counts = (len(session.reps), len(session.events))
        now = self.clock()
        if counts == self._counts and now - self._last < self.every_s:
            return
        self._last, self._counts = now, counts
        report = build_report(session, self.source, True, self.PARTIAL_REASON)
        try:
            self.recorder.update(report)
        except (sqlite3.Error, OSError) as exc:
            if self.error is None:
                cause, fix = os_cause(exc)
                print(
                    f"coach: warning: cannot write the history as the session goes ({cause}) — "
                    f"{fix}; carrying on",
                    file=sys.stderr,
                )
            self.error = exc


def _start_history(
    args: argparse.Namespace, exercise: Exercise, started_at: datetime
) -> tuple[list[Any], Any]:
    """Daily limits passed (for the report) and the session's history row, written now."""
    if args.no_history:
        return [], None
    from coach.io.config import load_config
    from coach.io.store import LiveRecorder, check_limits

    warnings = check_limits(args.db, exercise.id, started_at, load_config().limits)
    source = args.source or f"camera {args.camera}"
    try:
        recorder = LiveRecorder(
            args.db, exercise.id, source, started_at, forced=bool(args.force and warnings)
        )
    except (sqlite3.Error, OSError) as exc:
        cause, fix = os_cause(exc)
        raise CoachError(
            f"cannot start the session in the history database ({cause})", fix
        ) from None
    return warnings, recorder


def _save(
    result: LiveResult,
    args: argparse.Namespace,
    warnings: list[Any],
    recorder: Any,
    json_stdout: TextIO | None = None,
) -> int:
    """The JSON report and files first, then the history row: a full disk or a locked
    database loses neither the other. Every failure is one line naming its real cause."""
    source = args.source or f"camera {args.camera}"
    report = build_report(
        result.session,
        source,
        partial=result.partial_reason is not None,
        partial_reason=result.partial_reason,
    )
    report["ended_by"] = result.ended_by
    if warnings and result.session.frames:
        from coach.commands.gate import daily_limit_event

        report["events"].append(daily_limit_event(warnings))
        report["summary"]["safety_events"]["daily_limit"] = 1
    errors = _write_files(report, result, args, json_stdout)
    print(text_summary(report))
    if recorder is not None:
        try:
            if result.session.frames:
                recorder.finish(report)
            else:
                recorder.discard()
        except (sqlite3.Error, OSError) as exc:
            cause, fix = os_cause(exc)
            errors.append(CoachError(f"cannot save the session in the history ({cause})", fix))
    for error in errors:
        print(error.line(), file=sys.stderr)
    if errors:
        return 1
    if result.ended_by not in ("pain", "camera_lost") and nothing_to_judge(report):
        return EXIT_NOTHING  # no person was seen: scripts can tell this from a session done
    if result.ended_by == "camera_lost":
        print(
            "coach: error: the camera was lost — check the cable and run again; "
            "the session so far was saved",
            file=sys.stderr,
        )
        return 1
    return 0


def _write_files(
    report: dict[str, Any],
    result: LiveResult,
    args: argparse.Namespace,
    json_stdout: TextIO | None,
) -> list[CoachError]:
    """--json and --out; each failed write is an error returned, not raised, so the history
    row is still saved after it."""
    errors: list[CoachError] = []

    def attempt(path: Any, what: str, write: Callable[[], None]) -> bool:
        try:
            write()
        except OSError as exc:
            errors.append(write_error(path, what, exc))
            return False
        if str(path) != "-":
            print(f"  wrote {path}")
        return True

    if args.json:
        attempt(args.json, "report", lambda: write_json(report, args.json, stdout=json_stdout))
    if args.out:
        out = Path(args.out)
        if not attempt(out, "output folder", lambda: out.mkdir(parents=True, exist_ok=True)):
            return errors
        attempt(out / "report.json", "report", lambda: write_json(report, out / "report.json"))
        summary = out / "summary.txt"
        attempt(
            summary,
            "summary",
            lambda: summary.write_text(text_summary(report) + "\n", encoding="utf-8"),
        )
        from coach.ui.session_page import write_live_extras

        try:
            written = write_live_extras(
                out, report, result.session.exercise, result.poses, args.source
            )
        except OSError as exc:
            errors.append(write_error(out, "session page", exc))
        else:
            for p in written:
                print(f"  wrote {p}")
    return errors
