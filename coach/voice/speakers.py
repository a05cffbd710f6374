"""Speaking cues without ever blocking the live loop.

This is the only module that imports pyttsx3. One worker thread owns the engine. pyttsx3 2.99
on Linux has three traps (a second `runAndWait` after `say` can hang, `stop()` from another
thread does not cut speech off, and after one `save_to_file` later `say()` calls write files),
so each prompt is rendered to a WAV and played by a player process that can be terminated:
that is how a safety warning cuts off a routine prompt. On macOS and Windows pyttsx3's
`save_to_file` renders the WAV; on Linux the espeak-ng program does, because pyttsx3 2.99's
espeak driver applies the speech rate only some of the time (see EspeakSynthesizer).

The rules for what gets said, in which order and how often live in `PromptQueue`, a pure
class shared by the three speakers (voice, print, recording), so they are tested once.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import itertools
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol, TextIO

from coach.core.cues import Cue, Priority
from coach.errors import CoachError

Clock = Callable[[], float]


class SpeechUnavailable(Exception):
    """No speech engine or no audio output here: the caller falls back to printing."""

    def __init__(self, problem: str, hint: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint

    def notice(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"coach: {self.problem}{hint} — prompts will be printed instead"


# ---------------------------------------------------------------------------------------------
# The shared rules


class Status(StrEnum):
    QUEUED = "queued"
    PLAYING = "playing"
    SPOKEN = "spoken"
    PREEMPTED = "preempted"  # cut off (or never started) because a safety cue jumped in
    DROPPED = "dropped"  # never said: see `reason` (cooldown, superseded, stale, closed)
    FAILED = "failed"  # synthesis or playback failed; the text was printed instead


@dataclass(eq=False)
class PromptRecord:
    """What happened to one cue, with speaker-clock times for latency measurements."""

    cue: Cue
    status: Status
    queued_at: float
    reason: str = ""
    started_at: float | None = None
    ended_at: float | None = None
    seq: int = field(default=0, repr=False)

    @property
    def latency_s(self) -> float | None:
        """Time from `say()` to the start of playback."""
        return None if self.started_at is None else self.started_at - self.queued_at


class PromptQueue:
    """Priority, cooldown and preemption rules; pure (times are passed in), not thread-safe.

    - Lower `Priority` values are said first; equal priorities in arrival order.
    - A key is not accepted again within its cue's `cooldown_s` of the last accepted cue with
      that key; a cue that was never heard in full (preempted, stale) frees its key at once so
      the core can raise it again.
    - A new cue replaces a pending one with the same key (the newer text is more current).
    - Routine cues waiting longer than `stale_after_s` are dropped: "five more seconds" is
      wrong by the time a backlog clears. Safety cues never go stale.
    - Only a SAFETY cue preempts, and only a non-safety cue that is playing.
    """

    def __init__(self, *, stale_after_s: float = 5.0, max_records: int = 10_000) -> None:
        self.stale_after_s = stale_after_s
        self._heap: list[tuple[int, int, PromptRecord]] = []
        self._last_accepted: dict[str, PromptRecord] = {}
        self._seq = itertools.count()
        self.records: deque[PromptRecord] = deque(maxlen=max_records)

    def offer(self, cue: Cue, now: float) -> PromptRecord:
        """Accept (QUEUED) or drop (DROPPED with a reason) a cue raised at `now`."""
        rec = PromptRecord(cue, Status.QUEUED, queued_at=now, seq=next(self._seq))
        self.records.append(rec)
        last = self._last_accepted.get(cue.key)
        if last is not None and now - last.queued_at < cue.cooldown_s:
            return self._drop(rec, now, "cooldown")
        for _, _, old in self._heap:
            if old.cue.key == cue.key and old.status is Status.QUEUED:
                self._drop(old, now, "superseded")
        self._heap = [item for item in self._heap if item[2].status is Status.QUEUED]
        heapq.heapify(self._heap)
        heapq.heappush(self._heap, (int(cue.priority), rec.seq, rec))
        self._last_accepted[cue.key] = rec
        return rec

    def pop(self, now: float) -> PromptRecord | None:
        """The next cue to say, dropping stale routine ones on the way."""
        while self._heap:
            _, _, rec = heapq.heappop(self._heap)
            stale = now - rec.queued_at > self.stale_after_s
            if stale and rec.cue.priority is not Priority.SAFETY:
                self._unheard(rec, Status.DROPPED, now, "stale")
                continue
            return rec
        return None

    def should_preempt(self, current: PromptRecord) -> bool:
        """True when a pending SAFETY cue must cut off `current` (a routine cue)."""
        if current.cue.priority is Priority.SAFETY or not self._heap:
            return False
        return self._heap[0][2].cue.priority is Priority.SAFETY

    def pending(self) -> list[PromptRecord]:
        return [rec for _, _, rec in sorted(self._heap, key=lambda item: item[:2])]

    def start(self, rec: PromptRecord, now: float) -> None:
        rec.status, rec.started_at = Status.PLAYING, now

    def finish(self, rec: PromptRecord, now: float) -> None:
        rec.status, rec.ended_at = Status.SPOKEN, now

    def preempt(self, rec: PromptRecord, now: float) -> None:
        self._unheard(rec, Status.PREEMPTED, now, "safety cue")

    def fail(self, rec: PromptRecord, now: float, reason: str) -> None:
        rec.status, rec.ended_at, rec.reason = Status.FAILED, now, reason

    def drop_pending(self, now: float, reason: str) -> None:
        for _, _, rec in self._heap:
            self._drop(rec, now, reason)
        self._heap.clear()

    def _drop(self, rec: PromptRecord, now: float, reason: str) -> PromptRecord:
        rec.status, rec.ended_at, rec.reason = Status.DROPPED, now, reason
        return rec

    def _unheard(self, rec: PromptRecord, status: Status, now: float, reason: str) -> None:
        rec.status, rec.ended_at, rec.reason = status, now, reason
        if self._last_accepted.get(rec.cue.key) is rec:
            del self._last_accepted[rec.cue.key]


class Speaker(Protocol):
    """Where the loop sends cues. `say` never blocks; `flush` waits for queued speech."""

    def say(self, cue: Cue) -> None: ...

    def flush(self, timeout_s: float = 5.0) -> bool: ...

    def close(self) -> None: ...


# ---------------------------------------------------------------------------------------------
# Printing and recording speakers


class PrintSpeaker:
    """Prints accepted prompts at once (no queue: printing is instant), same cooldowns."""

    def __init__(
        self,
        out: TextIO | None = None,
        *,
        clock: Clock = time.monotonic,
        prefix: str = "coach says: ",
    ) -> None:
        self._out = out
        self._clock = clock
        self._prefix = prefix
        self._queue = PromptQueue()
        self._lock = threading.Lock()

    @property
    def records(self) -> list[PromptRecord]:
        with self._lock:
            return list(self._queue.records)

    def say(self, cue: Cue) -> None:
        with self._lock:
            now = self._clock()
            rec = self._queue.offer(cue, now)
            if rec.status is Status.QUEUED:
                self._queue.pop(now)
                self._queue.start(rec, now)
                self._queue.finish(rec, now)
                print(f"{self._prefix}{cue.text}", file=self._out or sys.stdout, flush=True)

    def flush(self, timeout_s: float = 5.0) -> bool:
        return True

    def close(self) -> None:
        return None


def words_duration_s(cue: Cue, words_per_min: float = 180.0) -> float:
    """A stand-in for how long a prompt takes to say."""
    return 0.3 + len(cue.text.split()) * 60.0 / words_per_min


class RecordingSpeaker:
    """A test double: the queue's rules and simulated playback, timed by an injectable clock.

    Playback is simulated: each accepted cue "plays" for `duration_s(cue)` seconds of clock
    time. Nothing runs in the background; the simulation catches up whenever `say`, `records`
    or `flush` is called, so tests drive it by advancing their fake clock.
    """

    def __init__(
        self,
        clock: Clock = time.monotonic,
        *,
        duration_s: Callable[[Cue], float] = words_duration_s,
        stale_after_s: float = 5.0,
    ) -> None:
        self._clock = clock
        self._duration_s = duration_s
        self._queue = PromptQueue(stale_after_s=stale_after_s)
        self._current: PromptRecord | None = None
        self._current_end = 0.0
        self._free_at = float("-inf")
        self.closed = False

    @property
    def records(self) -> list[PromptRecord]:
        self._advance(self._clock())
        return list(self._queue.records)

    def texts(self, status: Status = Status.SPOKEN) -> list[str]:
        """Texts of the cues that ended with `status`, in the order they were raised."""
        return [rec.cue.text for rec in self.records if rec.status is status]

    def say(self, cue: Cue) -> None:
        if self.closed:
            return
        now = self._clock()
        self._advance(now)
        rec = self._queue.offer(cue, now)
        if rec.status is not Status.QUEUED:
            return
        if self._current is not None and self._queue.should_preempt(self._current):
            self._queue.preempt(self._current, now)
            self._current, self._free_at = None, now
        self._advance(now)

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Plays everything queued to the end in simulated time (past the clock if needed)."""
        self._advance(float("inf"))
        return True

    def close(self) -> None:
        now = self._clock()
        self._advance(now)
        if self._current is not None:
            self._queue.preempt(self._current, now)
            self._current.reason = "closed"
            self._current = None
        self._queue.drop_pending(now, "closed")
        self.closed = True

    def _advance(self, now: float) -> None:
        """Plays out, in order, everything that would have finished or started by `now`."""
        while True:
            if self._current is not None:
                if self._current_end > now:
                    return
                self._queue.finish(self._current, self._current_end)
                self._free_at, self._current = self._current_end, None
            pending = self._queue.pending()
            if not pending:
                return
            start = max(self._free_at, pending[0].queued_at)
            if start > now:
                return
            rec = self._queue.pop(start)
            if rec is None:
                return
            self._queue.start(rec, start)
            self._current, self._current_end = rec, start + self._duration_s(rec.cue)


# ---------------------------------------------------------------------------------------------
# Players: a stoppable process (or winsound) playing one WAV


class Playback(Protocol):
    def done(self) -> bool: ...

    def failed(self) -> bool: ...

    def stop(self) -> None: ...


class Player(Protocol):
    name: str

    def start(self, wav: Path) -> Playback: ...


class ProcessPlayback:
    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc

    def done(self) -> bool:
        return self.proc.poll() is not None

    def failed(self) -> bool:
        return self.proc.returncode not in (None, 0) and self.proc.returncode >= 0

    def stop(self) -> None:
        """Terminates the player (this is the cut-off), killing it if it lingers."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class ProcessPlayer:
    """Plays a WAV with `argv + [path]` (aplay -q, paplay, afplay...)."""

    def __init__(self, argv: Sequence[str], name: str | None = None) -> None:
        self.argv = list(argv)
        self.name = name or Path(self.argv[0]).name

    def start(self, wav: Path) -> ProcessPlayback:
        proc = subprocess.Popen(
            [*self.argv, str(wav)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return ProcessPlayback(proc)


class _WinsoundPlayback:
    def __init__(self, end_t: float) -> None:
        self._end_t = end_t

    def done(self) -> bool:
        return time.monotonic() >= self._end_t

    def failed(self) -> bool:
        return False

    def stop(self) -> None:
        if sys.platform == "win32":
            import winsound

            winsound.PlaySound(None, 0)
        self._end_t = 0.0


class WinsoundPlayer:
    """Windows: asynchronous winsound; its end is estimated from the WAV's length."""

    name = "winsound"

    def start(self, wav: Path) -> _WinsoundPlayback:
        if sys.platform == "win32":
            import winsound

            winsound.PlaySound(str(wav), winsound.SND_FILENAME | winsound.SND_ASYNC)
        return _WinsoundPlayback(time.monotonic() + wav_duration_s(wav))


def wav_duration_s(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / float(w.getframerate())


def _write_silence(path: Path, seconds: float = 0.05, rate: int = 22050) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(rate * seconds))


def _player_works(player: ProcessPlayer, timeout_s: float = 3.0) -> bool:
    """Plays 50 ms of silence: aplay exists on machines without a sound card, so try it."""
    with tempfile.TemporaryDirectory(prefix="coach-probe-") as tmp:
        probe = Path(tmp) / "silence.wav"
        _write_silence(probe)
        try:
            playback = player.start(probe)
            playback.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            playback.stop()
            return False
        except OSError:
            return False
        return playback.proc.returncode == 0


PLAYER_COMMANDS: dict[str, list[list[str]]] = {
    "darwin": [["afplay"]],
    "linux": [["aplay", "-q"], ["paplay"]],
}


def _platform_key(platform: str) -> str:
    return "darwin" if platform == "darwin" else "linux"


def find_player(platform: str = sys.platform) -> Player | None:
    """The first audio player that actually plays here, or None (no sound device)."""
    if platform == "win32":
        return WinsoundPlayer()
    for argv in PLAYER_COMMANDS[_platform_key(platform)]:
        if shutil.which(argv[0]) is None:
            continue
        player = ProcessPlayer(argv)
        if _player_works(player):
            return player
    return None


# ---------------------------------------------------------------------------------------------
# Synthesis: text -> WAV file


class Synthesizer(Protocol):
    def render(self, text: str, wav: Path) -> None: ...


ENGINE_HINTS = {"linux": "install espeak-ng"}
RENDER_TIMEOUT_S = 10.0
WAV_HEADER_BYTES = 44
_ENGINE_LOCK = threading.Lock()  # espeak has one global synth callback per process


def _quiet_driver() -> None:
    """pyttsx3 2.99's espeak driver prints "Audio saved to ..." on every save; mute it there
    only (redirecting sys.stdout would swallow the main thread's output too)."""
    module = sys.modules.get("pyttsx3.drivers.espeak")
    if module is not None:
        module.print = lambda *args, **kwargs: None  # type: ignore[attr-defined]


def resolve_voice(voices: Sequence[tuple[str, str]], wanted: str) -> str:
    """The voice id for `wanted`: an exact id or name, an id's last part ("en-us"), or a name
    substring ("america"). Unknown names are a CoachError that lists a few available voices."""
    low = wanted.strip().lower()
    tests: list[Callable[[str, str], bool]] = [
        lambda vid, name: vid.lower() == low,
        lambda vid, name: name.lower() == low,
        lambda vid, name: vid.lower().rsplit("/", 1)[-1] == low,
        lambda vid, name: low in name.lower() or low in vid.lower(),
    ]
    for test in tests:
        for vid, name in voices:
            if test(vid, name):
                return vid
    english = [name for _, name in voices if name.lower().startswith("english")]
    few = (english or [name for _, name in voices])[:5]
    raise CoachError(
        f"voice {wanted!r} not found",
        f"try one of: {', '.join(few)}" if few else "no voices are installed",
    )


class Pyttsx3Synthesizer:
    """Renders text to WAV files with pyttsx3 (SAPI5 on Windows, NSSpeech on macOS).

    Create it in the thread that will use it. pyttsx3.init() hands every caller the same
    engine, so rate and voice are set again before each render, under a process-wide lock.
    """

    def __init__(self, rate: int | None = None, voice_name: str | None = None) -> None:
        try:
            import pyttsx3
        except ImportError as exc:
            raise SpeechUnavailable("no speech engine found", "pip install pyttsx3") from exc
        try:
            self._engine = pyttsx3.init()
            voices = [(v.id, v.name or v.id) for v in self._engine.getProperty("voices")]
        except (OSError, RuntimeError, ImportError) as exc:
            raise SpeechUnavailable(
                f"no speech engine found ({exc})", ENGINE_HINTS.get(sys.platform, "")
            ) from exc
        _quiet_driver()
        self._done = threading.Event()
        self._engine.connect("finished-utterance", lambda **kwargs: self._done.set())
        self.voice_id = resolve_voice(voices, voice_name) if voice_name else None
        self.rate = rate

    def render(self, text: str, wav: Path) -> None:
        with _ENGINE_LOCK:
            self._done.clear()
            if self.rate is not None:
                self._engine.setProperty("rate", int(self.rate))
            if self.voice_id is not None:
                self._engine.setProperty("voice", self.voice_id)
            self._engine.save_to_file(text, str(wav))
            self._engine.runAndWait()
            # Some drivers finish writing after runAndWait returns: wait for their signal.
            self._done.wait(RENDER_TIMEOUT_S)
        if not wav.exists() or wav.stat().st_size <= WAV_HEADER_BYTES:
            raise RuntimeError(f"the speech engine wrote no audio for {text!r}")


class EspeakSynthesizer:
    """Renders text to WAV files with the espeak-ng program (the Linux default).

    pyttsx3 2.99 drives the same espeak-ng library on Linux, but measured here its rate
    setting is applied only some of the time (a 120 and a 240 wpm render of one sentence
    often come out equally long, in a different pattern on each run) and one render in
    thirty came out empty. One espeak-ng process per prompt takes about 25 ms, shares no
    state, honours -s and -v every time, and its WAVs are cached by VoiceSpeaker.
    """

    def __init__(
        self, rate: int | None = None, voice_name: str | None = None, exe: str = "espeak-ng"
    ) -> None:
        path = shutil.which(exe)
        if path is None:
            raise SpeechUnavailable("no speech engine found", "install espeak-ng")
        self.exe = path
        self.rate = rate
        voices = self.voices()
        self.voice = None
        if voice_name:
            voice_id = resolve_voice([(vid, name) for vid, name, _ in voices], voice_name)
            self.voice = next(lang for vid, _, lang in voices if vid == voice_id)

    def voices(self) -> list[tuple[str, str, str]]:
        """(id like "gmw/en-us", name like "English (America)", language like "en-us")."""
        listing = subprocess.run(
            [self.exe, "--voices"], capture_output=True, text=True, check=True, timeout=10
        ).stdout
        found = []
        for line in listing.splitlines()[1:]:
            parts = line.split()
            if len(parts) >= 5:
                found.append((parts[4].lower(), parts[3].replace("_", " "), parts[1]))
        return found

    def render(self, text: str, wav: Path) -> None:
        argv = [self.exe, "-w", str(wav)]
        if self.rate is not None:
            argv += ["-s", str(int(self.rate))]
        if self.voice is not None:
            argv += ["-v", self.voice]
        # The text goes in on stdin so a prompt can never be read as an option.
        subprocess.run(argv, input=text.encode("utf-8"), check=True, timeout=RENDER_TIMEOUT_S)
        if not wav.exists() or wav.stat().st_size <= WAV_HEADER_BYTES:
            raise RuntimeError(f"espeak-ng wrote no audio for {text!r}")


def default_synthesizer(rate: int | None = None, voice_name: str | None = None) -> Synthesizer:
    """espeak-ng directly on Linux (see EspeakSynthesizer for why), pyttsx3 elsewhere."""
    if sys.platform in ("darwin", "win32"):
        return Pyttsx3Synthesizer(rate, voice_name)
    return EspeakSynthesizer(rate, voice_name)


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
        self._queue = PromptQueue(stale_after_s=stale_after_s)
        self._cond = threading.Condition()
        self._closed = False
        self._busy = False
        self._player_warned = False
        self._init_error: BaseException | None = None
        self._ready = threading.Event()
        self._tmp = tempfile.TemporaryDirectory(prefix="coach-voice-")
        self._cache: OrderedDict[str, Path] = OrderedDict()
        self._player: Player | None = player
        self._thread = threading.Thread(target=self._run, name="coach-voice", daemon=True)
        self._thread.start()
        self._wait_until_ready(start_timeout_s)
        if self._player is None:
            self._player = find_player()
        if self._player is None:
            self.close()
            tried = ", ".join(argv[0] for argv in PLAYER_COMMANDS[_platform_key(sys.platform)])
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

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Waits until everything queued has been said (e.g. the pain-stop advice before exit)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._busy or self._queue.pending():
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    return False
                self._cond.wait(min(left, self._poll_s))
        return True

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
            self._speak(synth, rec)
            with self._cond:
                self._busy = False
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

    def _next(self) -> PromptRecord | None:
        with self._cond:
            while not self._closed:
                rec = self._queue.pop(self._clock())
                if rec is not None:
                    self._busy = True
                    return rec
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
