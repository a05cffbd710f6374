"""The speaking worker: one thread owns the engine and the player, so `say` never blocks.

A safety warning cuts off a routine prompt by terminating the player process (audio.py);
what is said and when is decided by the shared `PromptQueue` (prompts.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from coach.core.cues import Cue, Priority
from coach.errors import CoachError
from coach.voice.audio import (
    ENGINE_HINTS,
    PLAYER_COMMANDS,
    Playback,
    Player,
    SpeechUnavailable,
    Synthesizer,
    default_synthesizer,
    find_player,
    platform_key,
)
from coach.voice.prompts import (
    ROUTINE_GAP_S,
    Clock,
    PrintSpeaker,
    PromptQueue,
    PromptRecord,
    Speaker,
)

# Safety speech is let finish before exit; this only guards against a player that hangs.
SAFETY_FLUSH_CAP_S = 120.0

# ---------------------------------------------------------------------------------------------
# The voice speaker


class VoiceSpeaker:
    """Speaks cues from one worker thread that owns the engine and the player.

    `say` only takes a lock and notifies the worker. The worker renders a WAV (cached by text,
    so repeated warnings start in a few ms), starts the player, and while it plays waits on a
    condition: a SAFETY cue wakes it at once, it terminates the player and says the warning.
    """

    def __init__(
        self,
        rate: int | None = None,
        voice_name: str | None = None,
        *,
        player: Player | None = None,
        synthesizer_factory: Callable[[], Synthesizer] | None = None,
        clock: Clock = time.monotonic,
        stale_after_s: float = 5.0,
        max_wait_s: dict[Priority, float] | None = None,
        routine_gap_s: float = ROUTINE_GAP_S,
        poll_s: float = 0.02,
        start_timeout_s: float = 10.0,
        cache_size: int = 128,
        fallback_out: TextIO | None = None,
    ) -> None:
        self._clock = clock
        self._poll_s = poll_s
        self._cache_size = cache_size
        self._fallback_out = fallback_out
        self._factory = synthesizer_factory or (lambda: default_synthesizer(rate, voice_name))
        self._queue = PromptQueue(
            stale_after_s=stale_after_s, max_wait_s=max_wait_s, routine_gap_s=routine_gap_s
        )
        self._cond = threading.Condition()
        self._closed = False
        self._busy = False
        self._current: PromptRecord | None = None
        self._player_warned = False
        self._init_error: BaseException | None = None
        self._ready = threading.Event()
        self._tmp = tempfile.TemporaryDirectory(prefix="coach-voice-")
        self._cache: OrderedDict[str, Path] = OrderedDict()
        self._to_render: list[str] = []
        self._player: Player | None = player
        self._thread = threading.Thread(target=self._run, name="coach-voice", daemon=True)
        self._thread.start()
        self._wait_until_ready(start_timeout_s)
        if self._player is None:
            self._player = find_player()
        if self._player is None:
            self.close()
            tried = ", ".join(argv[0] for argv in PLAYER_COMMANDS[platform_key(sys.platform)])
            raise SpeechUnavailable(f"no audio output works here (tried {tried})")

    @property
    def player_name(self) -> str:
        return self._player.name if self._player is not None else ""

    @property
    def records(self) -> list[PromptRecord]:
        with self._cond:
            return list(self._queue.records)

    def say(self, cue: Cue) -> None:
        with self._cond:
            if self._closed:
                return
            self._queue.offer(cue, self._clock())
            self._cond.notify_all()

    def prepare(self, texts: list[str]) -> None:
        """Render these texts while idle, so a warning later starts without synthesis
        (about 20-40 ms saved on the path from a safety event to the sound)."""
        with self._cond:
            self._to_render.extend(t for t in texts if t and t not in self._to_render)
            self._cond.notify_all()

    def flush(self, timeout_s: float = 5.0, safety_cap_s: float = SAFETY_FLUSH_CAP_S) -> bool:
        """Waits until everything queued has been said. Routine prompts are given up after
        `timeout_s`; safety speech (the pain-stop advice before exit) always finishes, however
        slow the voice, with `safety_cap_s` only as a guard against a hung player."""
        start = time.monotonic()
        with self._cond:
            while self._busy or self._queue.pending():
                limit = safety_cap_s if self._safety_unsaid() else timeout_s
                left = limit - (time.monotonic() - start)
                if left <= 0 or self._closed:
                    return False
                self._cond.wait(min(left, self._poll_s))
        return True

    def _safety_unsaid(self) -> bool:
        """A safety cue is playing or waiting (call with the lock held)."""
        recs = [*self._queue.pending(), *([self._current] if self._current else [])]
        return any(r.cue.priority is Priority.SAFETY for r in recs)

    def close(self) -> None:
        """Cuts off speech, drops what is queued, joins the worker, removes the WAV cache."""
        with self._cond:
            if not self._closed:
                self._closed = True
                self._queue.drop_pending(self._clock(), "closed")
            self._cond.notify_all()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=3.0)
        if not self._thread.is_alive():
            self._tmp.cleanup()

    def __enter__(self) -> VoiceSpeaker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- worker ----------------------------------------------------------------------------

    def _wait_until_ready(self, timeout_s: float) -> None:
        if not self._ready.wait(timeout_s):
            self.close()
            raise SpeechUnavailable(f"the speech engine did not start within {timeout_s:.0f} s")
        if self._init_error is not None:
            self.close()
            raise self._init_error

    def _run(self) -> None:
        synth = self._start_engine()
        if synth is None:
            return
        while (rec := self._next()) is not None:
            if isinstance(rec, str):  # idle: render ahead
                with contextlib.suppress(Exception):
                    self._render(synth, rec)
                continue
            self._speak(synth, rec)
            with self._cond:
                self._busy = False
                self._current = None
                self._cond.notify_all()

    def _start_engine(self) -> Synthesizer | None:
        """Creates the engine in this thread and renders one word, so the first real cue
        does not pay the start-up cost and a broken engine is found before the session."""
        try:
            synth = self._factory()
            synth.render("ready", Path(self._tmp.name) / "warmup.wav")
        except (CoachError, SpeechUnavailable) as exc:
            self._init_error = exc
        except Exception as exc:  # any engine fault means "no speech": fall back to printing
            self._init_error = SpeechUnavailable(
                f"the speech engine failed ({exc})", ENGINE_HINTS.get(sys.platform, "")
            )
        self._ready.set()
        return None if self._init_error is not None else synth

    def _next(self) -> PromptRecord | str | None:
        with self._cond:
            while not self._closed:
                rec = self._queue.pop(self._clock())
                if rec is not None:
                    self._busy = True
                    self._current = rec
                    return rec
                if self._to_render:
                    return self._to_render.pop(0)
                self._cond.wait()
        return None

    def _speak(self, synth: Synthesizer, rec: PromptRecord) -> None:
        try:
            wav = self._render(synth, rec.cue.text)
        except Exception as exc:  # an engine fault must not kill the worker
            self._fail(rec, f"synthesis failed: {exc}")
            return
        with self._cond:
            if self._closed or self._queue.should_preempt(rec):
                self._queue.preempt(rec, self._clock())
                return
        assert self._player is not None
        try:
            playback = self._player.start(wav)
        except OSError as exc:
            self._fail(rec, f"player failed: {exc}")
            return
        with self._cond:
            self._queue.start(rec, self._clock())
        self._play_until_done_or_cut(rec, playback)

    def _play_until_done_or_cut(self, rec: PromptRecord, playback: Playback) -> None:
        with self._cond:
            while not (cut := self._closed or self._queue.should_preempt(rec)):
                if playback.done():
                    break
                self._cond.wait(self._poll_s)
        if cut:
            playback.stop()
            with self._cond:
                self._queue.preempt(rec, self._clock())
        elif playback.failed():
            self._fail(rec, f"{self.player_name} could not play the prompt")
        else:
            with self._cond:
                self._queue.finish(rec, self._clock())

    def _render(self, synth: Synthesizer, text: str) -> Path:
        """Renders `text` once and reuses the WAV: warnings repeat, and reuse saves ~10 ms."""
        key = hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        wav = Path(self._tmp.name) / f"{key}.wav"
        synth.render(text, wav)
        self._cache[key] = wav
        while len(self._cache) > self._cache_size:
            _, old = self._cache.popitem(last=False)
            with contextlib.suppress(OSError):
                old.unlink()
        return wav

    def _fail(self, rec: PromptRecord, reason: str) -> None:
        """A prompt that could not be played is printed, so a safety warning is never lost."""
        with self._cond:
            self._queue.fail(rec, self._clock(), reason)
            warn = not self._player_warned
            self._player_warned = True
        out = self._fallback_out or sys.stdout
        if warn:
            print(f"coach: speech failed ({reason}) — printing prompts too", file=sys.stderr)
        print(f"coach says: {rec.cue.text}", file=out, flush=True)


# ---------------------------------------------------------------------------------------------


def make_speaker(
    enabled: bool = True,
    rate: int | None = None,
    voice_name: str | None = None,
    *,
    notice_out: TextIO | None = None,
) -> Speaker:
    """A VoiceSpeaker where an engine and a player work, else a PrintSpeaker and one notice.

    An unknown voice name is the user's error and is raised (CoachError), not fallen back from.
    """
    if not enabled:
        return PrintSpeaker()
    try:
        return VoiceSpeaker(rate, voice_name)
    except SpeechUnavailable as exc:
        print(exc.notice(), file=notice_out or sys.stderr)
        return PrintSpeaker()
