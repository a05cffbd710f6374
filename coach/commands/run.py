"""`coach run`: live coaching from a camera (or a file played as if live).

The loop runs pose, judging and drawing on the main thread (GUI windows must live there on
macOS); the camera and the voice have their own threads. Every dependency (frame feed,
estimator, speaker, window, keys, clock) is passed in, so tests drive the real loop with a
landmark file, a fake clock and a recording speaker. The feeds and keys are in
live_input.py, the window in coach/ui/window.py, and saving the session in live_session.py.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

from coach.commands.live_input import (
    Clock,
    Estimator,
    LiveItem,
    StdinKeys,
    camera_feed,
    file_feed,
    key_action,
    with_poses,
)
from coach.commands.live_session import (
    LivePersist,
    ending_signals,
    local_now,
    save_result,
    start_history,
)
from coach.core.chair import ChairWatch
from coach.core.cues import Cue, Priority
from coach.core.events import PAIN_MESSAGE
from coach.core.exercises import Exercise
from coach.core.landmarks import PoseFrame
from coach.core.session import Session
from coach.core.view import CueEditor, Prompts, overlay_state
from coach.io.native_logs import native_logs_hidden
from coach.io.poses import load_exercise
from coach.ui.window import Window, make_window, print_keys
from coach.voice.prompts import Speaker

CAMERA_GIVE_UP_S = 60.0
PAIN_SHOW_S = 8.0  # the pain-stop advice stays on screen this long, or until a key
PAIN_SPEECH_S = 30.0  # the advice takes about 10 s to say at 150 words a minute
CHAIR = "chair"


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
            if item.idle:  # a silent camera: nothing to judge, but a stop is seen within 1 s
                continue
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
        window = make_window(args.no_window)
        print_keys(window is not None)
        mirror = args.source is None if getattr(args, "mirror", None) is None else args.mirror
        started_at = local_now()
        warnings, recorder = start_history(args, exercise, started_at)
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
            return save_result(result, args, warnings, recorder, json_stdout)
    finally:
        speaker.flush(timeout_s=10.0)  # safety speech (pain-stop advice) always finishes
        speaker.close()
        if recorder is not None:
            recorder.close()
        if camera is not None:
            camera.close()
