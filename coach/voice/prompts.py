"""What gets said, in which order and how often: the prompt rules and the simple speakers.

The rules live in `PromptQueue`, a pure class shared by the three speakers (voice, print,
recording), so they are tested once. `Speaker` is the one protocol the live loop talks to.
"""

from __future__ import annotations

import heapq
import itertools
import math
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, TextIO

from coach.core.cues import Cue, Priority

Clock = Callable[[], float]

# How long a routine cue may wait for the speaker before its moment has passed.
MAX_WAIT_S = {Priority.INSTRUCTION: 2.0, Priority.INFO: 1.0}
# ...except a rep count, which stays true until the next attempt starts.
KEY_WAIT_S = {"rep": 3.0}
# Cues tied to an instant the person feels ("Hold it there" as the hold starts): they cut off
# a routine prompt and are dropped if they cannot start within TIMELY_WAIT_S.
TIMELY_KEYS = frozenset({"hold"})
TIMELY_WAIT_S = 0.5
# Said once and worth hearing in full: a timely cue does not cut these off.
NOT_CUT_KEYS = frozenset({"variant", "extra"})
# A cue that makes a playing one moot cuts it off: once the set starts, where to put the camera
# is old news.
SUPERSEDES = frozenset({("go", "placement"), ("variant", "placement")})
# Advice is not given within this long of the last routine prompt.
ROUTINE_GAP_S = 4.0
ADVICE_PREFIXES = ("form:", "over:", "short", "countdown")


def is_advice(cue: Cue) -> bool:
    """Routine advice that may be skipped when the coach has just spoken (not moment cues)."""
    if cue.priority is Priority.SAFETY:
        return False
    if cue.key.startswith(ADVICE_PREFIXES):
        return True
    return cue.priority is Priority.INFO and cue.key != "rep"


def rank(cue: Cue) -> int:
    """Queue order: safety, then timely cues, then instructions, then information."""
    if cue.priority is Priority.SAFETY:
        return 0
    if cue.key in TIMELY_KEYS:
        return 1
    return 1 + int(cue.priority)


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
    - A routine cue belongs to its moment: one that cannot start within its priority's wait
      (`max_wait_s`: an INFO cue 1 s, an INSTRUCTION 2 s, never longer than `stale_after_s`)
      is dropped, not queued behind a backlog ("That's 1 on the right" after the left side's
      "Hold it there" is wrong). Safety cues never go stale.
    - Advice (INFO cues, and form advice keys such as "form:..", "over:..", "short") is not
      accepted within `routine_gap_s` of the last routine cue accepted: during a hold that is
      at most one routine prompt every few seconds. Moment cues (hold, go, rep, ...) are not
      held back by it.
    - A SAFETY cue preempts a playing non-safety cue. A TIMELY cue ("Hold it there", said as
      the hold starts) preempts a playing routine cue that is not itself timely, and is said
      before any other routine cue.
    """

    def __init__(
        self,
        *,
        stale_after_s: float = 5.0,
        max_records: int = 10_000,
        max_wait_s: dict[Priority, float] | None = None,
        routine_gap_s: float = ROUTINE_GAP_S,
    ) -> None:
        self.stale_after_s = stale_after_s
        self.max_wait_s = dict(MAX_WAIT_S if max_wait_s is None else max_wait_s)
        self.routine_gap_s = routine_gap_s
        self._heap: list[tuple[int, int, PromptRecord]] = []
        self._last_accepted: dict[str, PromptRecord] = {}
        self._last_routine_at = -math.inf
        self._seq = itertools.count()
        self.records: deque[PromptRecord] = deque(maxlen=max_records)

    def wait_limit_s(self, cue: Cue) -> float:
        """How long a cue may wait for the speaker before its moment has passed."""
        if cue.priority is Priority.SAFETY:
            return math.inf
        if cue.key in TIMELY_KEYS:
            return min(self.stale_after_s, TIMELY_WAIT_S)
        if cue.key in KEY_WAIT_S:
            return min(self.stale_after_s, KEY_WAIT_S[cue.key])
        return min(self.stale_after_s, self.max_wait_s.get(cue.priority, self.stale_after_s))

    def offer(self, cue: Cue, now: float) -> PromptRecord:
        """Accept (QUEUED) or drop (DROPPED with a reason) a cue raised at `now`."""
        rec = PromptRecord(cue, Status.QUEUED, queued_at=now, seq=next(self._seq))
        self.records.append(rec)
        last = self._last_accepted.get(cue.key)
        if last is not None and now - last.queued_at < cue.cooldown_s:
            return self._drop(rec, now, "cooldown")
        if is_advice(cue) and now - self._last_routine_at < self.routine_gap_s:
            return self._drop(rec, now, "too soon")
        for _, _, old in self._heap:
            if old.cue.key == cue.key and old.status is Status.QUEUED:
                self._drop(old, now, "superseded")
        self._heap = [item for item in self._heap if item[2].status is Status.QUEUED]
        heapq.heapify(self._heap)
        heapq.heappush(self._heap, (rank(cue), rec.seq, rec))
        self._last_accepted[cue.key] = rec
        if cue.priority is not Priority.SAFETY:
            self._last_routine_at = now
        return rec

    def pop(self, now: float) -> PromptRecord | None:
        """The next cue to say, dropping stale routine ones on the way."""
        while self._heap:
            _, _, rec = heapq.heappop(self._heap)
            if now - rec.queued_at > self.wait_limit_s(rec.cue):
                self._unheard(rec, Status.DROPPED, now, "stale")
                continue
            return rec
        return None

    def should_preempt(self, current: PromptRecord) -> bool:
        """True when a pending SAFETY cue must cut off `current` (a routine cue), or a pending
        TIMELY cue a routine cue that is not timely itself."""
        if current.cue.priority is Priority.SAFETY or not self._heap:
            return False
        head = self._heap[0][2].cue
        if head.priority is Priority.SAFETY:
            return True
        if head.key in TIMELY_KEYS and current.cue.key not in TIMELY_KEYS | NOT_CUT_KEYS:
            return True
        return any((rec.cue.key, current.cue.key) in SUPERSEDES for _, _, rec in self._heap)

    def pending(self) -> list[PromptRecord]:
        return [rec for _, _, rec in sorted(self._heap, key=lambda item: item[:2])]

    def start(self, rec: PromptRecord, now: float) -> None:
        rec.status, rec.started_at = Status.PLAYING, now

    def finish(self, rec: PromptRecord, now: float) -> None:
        rec.status, rec.ended_at = Status.SPOKEN, now

    def preempt(self, rec: PromptRecord, now: float) -> None:
        self._unheard(rec, Status.PREEMPTED, now, "cut off by a more urgent cue")

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
        max_wait_s: dict[Priority, float] | None = None,
        routine_gap_s: float = ROUTINE_GAP_S,
    ) -> None:
        self._clock = clock
        self._duration_s = duration_s
        self._queue = PromptQueue(
            stale_after_s=stale_after_s, max_wait_s=max_wait_s, routine_gap_s=routine_gap_s
        )
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
