"""Audio: synthesis (text -> WAV) and players (a stoppable process playing one WAV).

This is the only module that imports pyttsx3; the worker (worker.py) owns the engine in one
thread. pyttsx3 2.99 on Linux has three traps (a second `runAndWait` after `say` can hang,
`stop()` from another thread does not cut speech off, and after one `save_to_file` later
`say()` calls write files), so each prompt is rendered to a WAV and played by a player process
that can be terminated: that is how a safety warning cuts off a routine prompt. On macOS and
Windows pyttsx3's `save_to_file` renders the WAV; on Linux the espeak-ng program does, because
pyttsx3 2.99's espeak driver applies the speech rate only some of the time (see
EspeakSynthesizer).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from coach.errors import CoachError


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


def platform_key(platform: str) -> str:
    return "darwin" if platform == "darwin" else "linux"


def find_player(platform: str = sys.platform) -> Player | None:
    """The first audio player that actually plays here, or None (no sound device)."""
    if platform == "win32":
        return WinsoundPlayer()
    for argv in PLAYER_COMMANDS[platform_key(platform)]:
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
