"""Prompt rules (once, in PromptQueue), the three speakers, and real espeak-ng synthesis."""

from __future__ import annotations

import ctypes.util
import io
import shutil
import signal
import time
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from coach.core.cues import Cue, Priority
from coach.errors import CoachError
from coach.voice.audio import (
    EspeakSynthesizer,
    ProcessPlayback,
    ProcessPlayer,
    Pyttsx3Synthesizer,
    SpeechUnavailable,
    resolve_voice,
)
from coach.voice.prompts import PrintSpeaker, PromptQueue, RecordingSpeaker, Status
from coach.voice.worker import VoiceSpeaker, make_speaker


class FakeClock:
    def __init__(self, t: float = 100.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        self.t += dt


def safety(text: str = "Slow down", key: str = "too_fast", cooldown_s: float = 8.0) -> Cue:
    return Cue(text, Priority.SAFETY, key, 0.0, cooldown_s)


def instruction(
    text: str = "Twist to the right", key: str = "twist", cooldown_s: float = 8.0
) -> Cue:
    return Cue(text, Priority.INSTRUCTION, key, 0.0, cooldown_s)


def info(text: str = "Rep two of five", key: str = "count", cooldown_s: float = 8.0) -> Cue:
    return Cue(text, Priority.INFO, key, 0.0, cooldown_s)


# --- PromptQueue ------------------------------------------------------------------------------


def test_more_urgent_cues_come_first_and_equal_ones_in_arrival_order() -> None:
    q = PromptQueue()
    q.offer(info("a", key="a"), 0.0)
    q.offer(instruction("b", key="b"), 0.1)
    q.offer(safety("c", key="c"), 0.2)
    q.offer(instruction("d", key="d"), 0.3)
    said = [rec.cue.text for rec in iter(lambda: q.pop(1.0), None)]
    assert said == ["c", "b", "d", "a"]


def test_same_key_is_dropped_within_its_cooldown_and_accepted_after_it() -> None:
    q = PromptQueue()
    first = q.offer(safety(cooldown_s=3.0), 10.0)
    q.finish(first, 10.5)
    again = q.offer(safety(cooldown_s=3.0), 12.9)
    later = q.offer(safety(cooldown_s=3.0), 13.0)
    assert first.status is Status.SPOKEN
    assert (again.status, again.reason) == (Status.DROPPED, "cooldown")
    assert later.status is Status.QUEUED


def test_cooldown_is_per_key() -> None:
    q = PromptQueue()
    assert q.offer(safety("Slow down", key="too_fast"), 0.0).status is Status.QUEUED
    assert q.offer(safety("Ease off", key="overextension"), 0.1).status is Status.QUEUED
    assert q.offer(safety("Slow down", key="too_fast"), 0.2).status is Status.DROPPED


def test_newer_cue_supersedes_a_pending_one_with_the_same_key() -> None:
    q = PromptQueue(routine_gap_s=0.0)
    old = q.offer(info("Five more seconds", key="count", cooldown_s=0.0), 0.0)
    new = q.offer(info("Four more seconds", key="count", cooldown_s=0.0), 1.0)
    assert (old.status, old.reason) == (Status.DROPPED, "superseded")
    assert q.pending() == [new]


def test_only_a_safety_cue_preempts_and_only_a_routine_one() -> None:
    q = PromptQueue()
    playing = q.offer(info(), 0.0)
    q.start(q.pop(0.0) or playing, 0.0)
    q.offer(instruction(), 0.1)
    assert not q.should_preempt(playing)
    q.offer(safety(), 0.2)
    assert q.should_preempt(playing)

    q2 = PromptQueue()
    warning = q2.offer(safety("Ease off", key="over"), 0.0)
    q2.start(q2.pop(0.0) or warning, 0.0)
    q2.offer(safety(), 0.1)
    assert not q2.should_preempt(warning)


def test_a_preempted_cue_frees_its_key_for_the_core_to_raise_again() -> None:
    q = PromptQueue()
    rec = q.offer(instruction(), 0.0)
    q.start(q.pop(0.0) or rec, 0.0)
    q.preempt(rec, 0.5)
    assert (rec.status, rec.ended_at) == (Status.PREEMPTED, 0.5)
    assert q.offer(instruction(), 1.0).status is Status.QUEUED


def test_stale_routine_cues_are_dropped_but_safety_cues_never_go_stale() -> None:
    q = PromptQueue(stale_after_s=2.0)
    old_info = q.offer(info(), 0.0)
    old_warning = q.offer(safety(), 0.0)
    assert q.pop(5.0) is old_warning
    assert q.pop(5.0) is None
    assert (old_info.status, old_info.reason) == (Status.DROPPED, "stale")
    assert q.offer(info(), 5.0).status is Status.QUEUED  # its key was freed


def test_a_routine_cue_whose_moment_passed_is_dropped_not_queued() -> None:
    q = PromptQueue()
    count = q.offer(info("Rep two of five", key="count"), 0.0)
    turn = q.offer(instruction("Now turn to your left", key="go"), 0.0)
    assert q.pop(0.9) is turn  # said first; the count may still follow within a second
    assert q.pop(1.1) is None  # ...but not later than that
    assert (count.status, count.reason) == (Status.DROPPED, "stale")
    late = q.offer(instruction("Now turn to your left", key="go2"), 5.0)
    assert q.pop(7.01) is None and late.reason == "stale"


def test_advice_waits_a_few_seconds_after_any_routine_prompt_but_moments_do_not() -> None:
    q = PromptQueue(routine_gap_s=4.0)
    assert q.offer(instruction("Hold it there.", key="hold"), 0.0).status is Status.QUEUED
    look = q.offer(info("Look behind you", key="form:head"), 0.1)
    assert (look.status, look.reason) == (Status.DROPPED, "too soon")
    far = q.offer(instruction("That is far enough", key="over:trunk"), 3.9)
    assert far.status is Status.DROPPED  # advice, even at instruction priority
    assert q.offer(instruction("Well done", key="hold_done"), 3.95).status is Status.QUEUED
    assert q.offer(info("Look behind you", key="form:head"), 8.0).status is Status.QUEUED
    assert q.offer(safety(), 8.1).status is Status.QUEUED  # safety is never held back


def test_hold_it_there_cuts_off_routine_talk_but_not_a_warning() -> None:
    q = PromptQueue()
    talk = q.offer(info("Look behind you", key="form:head"), 0.0)
    q.start(q.pop(0.0) or talk, 0.0)
    q.offer(instruction("Turn a little", key="short"), 0.1)
    q.offer(instruction("Hold it there.", key="hold"), 0.2)
    assert q.should_preempt(talk)
    q.preempt(talk, 0.2)
    said = q.pop(0.2)
    assert said is not None and said.cue.key == "hold"  # before the older instruction
    q2 = PromptQueue()
    warning = q2.offer(safety(), 0.0)
    q2.start(q2.pop(0.0) or warning, 0.0)
    hold = q2.offer(instruction("Hold it there.", key="hold"), 0.1)
    assert not q2.should_preempt(warning)
    assert q2.pop(0.7) is None and hold.reason == "stale"  # 0.6 s late: moment passed


def test_drop_pending_marks_every_waiting_cue() -> None:
    q = PromptQueue()
    recs = [q.offer(info(key="a"), 0.0), q.offer(instruction(key="b"), 0.0)]
    q.drop_pending(1.0, "closed")
    assert [(r.status, r.reason) for r in recs] == [(Status.DROPPED, "closed")] * 2
    assert q.pop(1.0) is None


# --- RecordingSpeaker ---------------------------------------------------------------------------


def fixed(duration_s: float) -> Callable[[Cue], float]:
    return lambda cue: duration_s


def test_recording_speaker_plays_queued_cues_back_to_back_in_priority_order() -> None:
    clock = FakeClock(0.0)
    waits = {Priority.INSTRUCTION: 5.0, Priority.INFO: 5.0}
    sp = RecordingSpeaker(clock, duration_s=fixed(2.0), max_wait_s=waits, routine_gap_s=0.0)
    sp.say(instruction("Twist to the right"))
    clock.advance(0.5)
    sp.say(info("Rep one"))
    sp.say(instruction("Breathe out", key="breath"))
    clock.advance(10.0)
    spoken = [(r.cue.text, r.started_at, r.ended_at) for r in sp.records]
    assert spoken == [
        ("Twist to the right", 0.0, 2.0),
        ("Rep one", 4.0, 6.0),
        ("Breathe out", 2.0, 4.0),
    ]
    assert sp.texts() == ["Twist to the right", "Rep one", "Breathe out"]


def test_recording_speaker_safety_cue_cuts_off_a_routine_prompt_at_once() -> None:
    clock = FakeClock(0.0)
    sp = RecordingSpeaker(clock, duration_s=fixed(3.0))
    sp.say(instruction())
    clock.advance(1.0)
    sp.say(safety())
    routine, warning = sp.records
    assert (routine.status, routine.ended_at) == (Status.PREEMPTED, 1.0)
    assert (warning.status, warning.started_at, warning.latency_s) == (Status.PLAYING, 1.0, 0.0)
    clock.advance(5.0)
    assert sp.texts(Status.SPOKEN) == ["Slow down"]
    assert sp.texts(Status.PREEMPTED) == ["Twist to the right"]


def test_recording_speaker_applies_cooldowns_on_its_clock() -> None:
    clock = FakeClock(0.0)
    sp = RecordingSpeaker(clock, duration_s=fixed(0.5))
    for _ in range(10):  # a warning raised every frame for a second
        sp.say(safety(cooldown_s=4.0))
        clock.advance(0.1)
    clock.advance(3.5)
    sp.say(safety(cooldown_s=4.0))
    statuses = [r.status for r in sp.records]
    assert statuses.count(Status.SPOKEN) == 1
    assert statuses.count(Status.DROPPED) == 9
    assert statuses[-1] is Status.PLAYING


def test_recording_speaker_flush_plays_out_and_close_drops_the_rest() -> None:
    clock = FakeClock(0.0)
    sp = RecordingSpeaker(clock, duration_s=fixed(1.0), routine_gap_s=0.0)
    sp.say(instruction())
    sp.say(info())
    assert sp.flush()
    assert sp.texts() == ["Twist to the right", "Rep two of five"]

    sp2 = RecordingSpeaker(clock, duration_s=fixed(1.0), routine_gap_s=0.0)
    sp2.say(instruction())
    sp2.say(info())
    sp2.close()
    sp2.say(safety())
    assert [(r.status, r.reason) for r in sp2.records] == [
        (Status.PREEMPTED, "closed"),
        (Status.DROPPED, "closed"),
    ]


# --- PrintSpeaker ---------------------------------------------------------------------------------


def test_print_speaker_prints_prompts_with_the_same_cooldowns() -> None:
    out, clock = io.StringIO(), FakeClock()
    sp = PrintSpeaker(out, clock=clock)
    sp.say(safety())
    sp.say(safety())
    sp.say(instruction())
    clock.advance(9.0)
    sp.say(safety())
    assert out.getvalue().splitlines() == [
        "coach says: Slow down",
        "coach says: Twist to the right",
        "coach says: Slow down",
    ]
    assert [r.status for r in sp.records].count(Status.DROPPED) == 1


def test_make_speaker_without_voice_prints_and_says_nothing_about_it() -> None:
    notices = io.StringIO()
    assert isinstance(make_speaker(False, notice_out=notices), PrintSpeaker)
    assert notices.getvalue() == ""


def test_speech_unavailable_notice_is_one_clear_line() -> None:
    exc = SpeechUnavailable("no speech engine found", "install espeak-ng")
    assert exc.notice() == (
        "coach: no speech engine found (install espeak-ng) — prompts will be printed instead"
    )


# --- VoiceSpeaker with a fake engine and a stoppable fake player ---------------------------------


class FakeSynth:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def render(self, text: str, wav: Path) -> None:
        self.texts.append(text)
        with wave.open(str(wav), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"\x01\x00" * 800)


class SpyPlayer(ProcessPlayer):
    """A real, terminable process standing in for aplay: `sleep`, ignoring the WAV."""

    def __init__(self, seconds: float) -> None:
        super().__init__(["sh", "-c", f"exec sleep {seconds}", "fake-player"], name="fake")
        self.started: list[ProcessPlayback] = []

    def start(self, wav: Path) -> ProcessPlayback:
        assert wav.exists()
        playback = super().start(wav)
        self.started.append(playback)
        return playback


def wait_for(condition: Callable[[], bool], timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def make_voice(player: ProcessPlayer, **kwargs: object) -> tuple[VoiceSpeaker, FakeSynth]:
    synth = FakeSynth()
    sp = VoiceSpeaker(player=player, synthesizer_factory=lambda: synth, **kwargs)  # type: ignore[arg-type]
    return sp, synth


def test_voice_speaker_safety_cue_kills_the_playing_routine_prompt() -> None:
    player = SpyPlayer(30)
    sp, _ = make_voice(player)
    try:
        sp.say(instruction())
        wait_for(lambda: sp.records[0].status is Status.PLAYING)
        sp.say(safety())
        wait_for(lambda: len(sp.records) == 2 and sp.records[1].status is Status.PLAYING)
        routine, warning = sp.records
        assert routine.status is Status.PREEMPTED
        assert player.started[0].proc.returncode == -signal.SIGTERM
        assert player.started[1].proc.poll() is None
        assert warning.latency_s is not None and warning.latency_s < 0.25
    finally:
        sp.close()
    assert player.started[1].proc.returncode == -signal.SIGTERM  # close cuts off speech too


def test_voice_speaker_say_never_blocks_and_finishes_in_order() -> None:
    sp, synth = make_voice(SpyPlayer(0.05), routine_gap_s=0.0)
    try:
        t0 = time.monotonic()
        sp.say(info("one", key="1"))
        assert time.monotonic() - t0 < 0.01
        wait_for(lambda: sp.records[0].status is Status.PLAYING)
        sp.say(info("two", key="2"))
        sp.say(instruction("three", key="3"))
        assert sp.flush(5.0)
        done = sorted(sp.records, key=lambda r: r.started_at or 0.0)
        assert [r.cue.text for r in done] == ["one", "three", "two"]
        assert all(r.status is Status.SPOKEN for r in done)
        assert synth.texts == ["ready", "one", "three", "two"]  # warm-up, then each once
    finally:
        sp.close()


def test_voice_speaker_cooldown_uses_the_injected_clock_and_reuses_rendered_audio() -> None:
    clock = FakeClock()
    sp, synth = make_voice(SpyPlayer(0.01), clock=clock)
    try:
        sp.say(safety(cooldown_s=5.0))
        sp.say(safety(cooldown_s=5.0))
        assert sp.flush()
        clock.advance(5.0)
        sp.say(safety(cooldown_s=5.0))
        assert sp.flush()
        assert [r.status for r in sp.records] == [Status.SPOKEN, Status.DROPPED, Status.SPOKEN]
        assert synth.texts.count("Slow down") == 1
    finally:
        sp.close()


def test_voice_speaker_prints_a_prompt_the_player_could_not_play() -> None:
    out = io.StringIO()
    sp, _ = make_voice(ProcessPlayer(["false"]), fallback_out=out)
    try:
        sp.say(safety())
        assert sp.flush()
        assert sp.records[0].status is Status.FAILED
        assert out.getvalue() == "coach says: Slow down\n"
    finally:
        sp.close()


def test_voice_speaker_close_joins_the_worker() -> None:
    sp, _ = make_voice(SpyPlayer(30))
    sp.say(instruction())
    sp.say(info())
    wait_for(lambda: sp.records[0].status is Status.PLAYING)
    sp.close()
    assert not sp._thread.is_alive()
    assert [r.status for r in sp.records] == [Status.PREEMPTED, Status.DROPPED]


def test_voice_speaker_reports_an_engine_that_fails_to_start() -> None:
    def broken() -> FakeSynth:
        raise RuntimeError("no libespeak-ng.so.1")

    with pytest.raises(SpeechUnavailable, match="no libespeak-ng"):
        VoiceSpeaker(player=SpyPlayer(0.01), synthesizer_factory=broken)


def test_resolve_voice_accepts_ids_names_and_substrings() -> None:
    voices = [
        ("gmw/en", "English (Great Britain)"),
        ("gmw/en-us", "English (America)"),
        ("roa/fr", "French"),
    ]
    assert resolve_voice(voices, "gmw/en-us") == "gmw/en-us"
    assert resolve_voice(voices, "french") == "roa/fr"
    assert resolve_voice(voices, "en") == "gmw/en"
    assert resolve_voice(voices, "America") == "gmw/en-us"
    with pytest.raises(CoachError) as err:
        resolve_voice(voices, "klingonese")
    assert "English (Great Britain), English (America)" in err.value.line()


# --- the real engine ------------------------------------------------------------------------------

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None and ctypes.util.find_library("espeak-ng") is None,
    reason="espeak-ng is not installed (apt-get install espeak-ng)",
)


@needs_espeak
def test_pyttsx3_with_espeak_renders_a_prompt_to_audible_speech(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wav = tmp_path / "slow.wav"
    Pyttsx3Synthesizer().render("Slow down. Ease off.", wav)
    duration_s, rms = wav_stats(wav)
    assert duration_s > 0.3
    assert rms > 300.0  # silence is 0; espeak speech is in the thousands
    assert capsys.readouterr().out == ""  # the driver's "Audio saved to" chatter is muted


def wav_stats(wav: Path) -> tuple[float, float]:
    """(duration in seconds, RMS of the 16-bit samples)."""
    with wave.open(str(wav), "rb") as w:
        assert w.getsampwidth() == 2
        rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    return len(samples) / rate, float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


@needs_espeak
def test_espeak_renders_audible_speech_and_honours_rate_every_time(tmp_path: Path) -> None:
    durations = {}
    for rate in (120, 240, 120, 240):
        wav = tmp_path / "hold.wav"
        EspeakSynthesizer(rate=rate).render("Hold for five more seconds", wav)
        duration_s, rms = wav_stats(wav)
        assert rms > 300.0
        assert durations.setdefault(rate, duration_s) == pytest.approx(duration_s, abs=0.02)
    assert durations[120] > 1.6 * durations[240]


@needs_espeak
def test_espeak_voice_by_name_and_prompt_that_looks_like_an_option(tmp_path: Path) -> None:
    synth = EspeakSynthesizer(voice_name="English (America)")
    assert synth.voice == "en-us"
    wav = tmp_path / "dash.wav"
    synth.render("--help me, ease off", wav)
    assert wav_stats(wav)[0] > 0.5


@needs_espeak
def test_unknown_voice_name_is_a_coach_error() -> None:
    with pytest.raises(CoachError, match="voice 'no-such-voice' not found"):
        VoiceSpeaker(voice_name="no-such-voice", player=SpyPlayer(0.01))


@needs_espeak
def test_voice_speaker_with_real_engine_starts_the_player_quickly() -> None:
    player = SpyPlayer(30)
    with VoiceSpeaker(player=player) as sp:
        sp.say(instruction("Twist to the right and hold"))
        wait_for(lambda: sp.records[0].status is Status.PLAYING)
        sp.say(safety())
        wait_for(lambda: sp.records[-1].status is Status.PLAYING)
        assert sp.records[0].status is Status.PREEMPTED
        latency = sp.records[-1].latency_s
        assert latency is not None and latency < 0.25


def test_process_player_reports_failure_but_not_its_own_cut_off() -> None:
    ok = ProcessPlayer(["true"]).start(Path("x.wav"))
    bad = ProcessPlayer(["false"]).start(Path("x.wav"))
    cut = ProcessPlayer(["sh", "-c", "exec sleep 30"]).start(Path("x.wav"))
    ok.proc.wait()
    bad.proc.wait()
    cut.stop()
    assert (ok.failed(), bad.failed(), cut.failed()) == (False, True, False)
    assert cut.done()


def test_flush_lets_safety_speech_finish_past_the_routine_timeout() -> None:
    """The pain-stop advice is longer than a routine flush allows: it still finishes."""
    sp, _ = make_voice(SpyPlayer(0.8))
    try:
        sp.say(safety("Stop now. Rest, and see a physiotherapist if the pain stays.", "pain"))
        t0 = time.monotonic()
        assert sp.flush(timeout_s=0.1)
        assert time.monotonic() - t0 >= 0.6
        assert sp.records[0].status is Status.SPOKEN
    finally:
        sp.close()


def test_flush_gives_up_on_routine_speech_after_its_timeout() -> None:
    sp, _ = make_voice(SpyPlayer(2.0))
    try:
        sp.say(info("Rep two of five"))
        t0 = time.monotonic()
        assert not sp.flush(timeout_s=0.2)
        assert time.monotonic() - t0 < 1.0
    finally:
        sp.close()
