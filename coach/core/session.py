"""The stretch session state machine: phases, holds, reps, sides, safety events and cues.

Pure: it sees only timestamps and angles, never a camera or a clock. Live use feeds PoseFrames
through `step` (causal One Euro smoothing); offline scoring smooths the whole recording with a
zero-phase filter first and feeds `step_sample` (see scoring.py). Both share this one machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from coach.core.angles import frame_angles, uses_lead
from coach.core.cues import Cue, Priority
from coach.core.events import MESSAGES, Event
from coach.core.exercises import AngleRule, Exercise
from coach.core.filters import OneEuro
from coach.core.landmarks import PoseFrame
from coach.core.safety import Detector

SIDES = ("right", "left")
HYSTERESIS_DEG = 3.0  # a band must be left by this much before the machine believes it
SEEN_TO_START_S = 0.5  # the person must be in view this long before coaching starts
LOST_VIEW_S = 1.0
RELEASE_DWELL_S = 0.3
SHORT_CUE_AFTER_S = 2.5


class Phase(StrEnum):
    SETUP = "setup"
    RESTING = "resting"
    MOVING_IN = "moving in"
    HOLDING = "holding"
    RELEASING = "releasing"
    STOPPED = "stopped"


@dataclass
class Sample:
    """One moment after smoothing: raw (unmirrored) angles and their rates, per angle name."""

    t: float
    values: dict[str, float]
    speeds: dict[str, float]
    accels: dict[str, float]


@dataclass
class Rep:
    side: str | None
    start_s: float
    target_hold_s: float
    end_s: float | None = None
    hold_s: float = 0.0
    reached: bool = False
    peak_deg: dict[str, float] = field(default_factory=dict)
    overextended: bool = False
    hold_announced: bool = False

    @property
    def ok(self) -> bool:
        return self.hold_s >= self.target_hold_s and not self.overextended

    def to_dict(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s if self.end_s is not None else self.start_s, 3),
            "hold_s": round(self.hold_s, 2),
            "target_hold_s": self.target_hold_s,
            "peak_deg": {k: round(v, 1) for k, v in self.peak_deg.items() if math.isfinite(v)},
            "ok": self.ok,
        }


@dataclass
class StepResult:
    """What one moment changed: events opened or closed, and prompts to give."""

    opened: list[Event] = field(default_factory=list)
    closed: list[Event] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)


def mirrored(rule: AngleRule, raw: float, side: str | None) -> float:
    """The value as the rule reads it: a left twist reads like a right one."""
    if rule.mirror and side == "left":
        return -raw
    return raw


def lead_key(name: str, side: str) -> str:
    return f"{name}@{side}"


class Session:
    """One set of one exercise. `step(frame)` for live use; `step_sample` for smoothed input."""

    def __init__(self, exercise: Exercise) -> None:
        self.exercise = exercise
        self.driver = exercise.driver_rule
        self.phase = Phase.SETUP
        self.side: str | None = None
        self.reps: list[Rep] = []
        self.events: list[Event] = []
        self.current: Rep | None = None
        self.t0: float | None = None
        self.t_last: float | None = None
        self.frames = 0
        self.frames_with_pose = 0
        self.time_in_range_s = 0.0
        self.seen_s = 0.0
        self.stopped_reason: str | None = None
        self.last_sample: Sample | None = None
        self.in_range = False
        s = self.driver.toward_target()
        assert self.driver.start is not None
        self._dir = s
        start_p = sorted(s * v for v in self.driver.start)
        target_p = sorted(s * v for v in self.driver.target)
        self._neutral_edge = start_p[1]
        self._target_edge = target_p[0]
        self._release_p = (self._neutral_edge + self._target_edge) / 2.0
        self._seen_since: float | None = None
        self._start_cue_t: float | None = None
        self._unseen_since: float | None = None
        self._below_release_since: float | None = None
        self._home_since: float | None = None
        self._short_since: float | None = None
        self._rest_since: float | None = None
        self._last_hold_cue_remaining: float | None = None
        self._filters: dict[str, OneEuro] = {}
        self._detectors = self._make_detectors()
        self._lost = Detector(
            "lost_view", None, LOST_VIEW_S, MESSAGES["lost_view"], LOST_VIEW_S, 0.2
        )

    # ----- set-up -------------------------------------------------------------------------
    def _make_detectors(self) -> dict[tuple[str, str], Detector]:
        det: dict[tuple[str, str], Detector] = {}
        for rule in self.exercise.angles:
            if not rule.check_limit:
                continue
            det[("overextension", rule.name)] = Detector(
                "overextension",
                rule.name,
                rule.limit,
                rule.limit_cue or MESSAGES["overextension"],
                on_s=0.2,
                off_s=0.3,
            )
            if rule.role != "target":
                continue
            det[("too_fast", rule.name)] = Detector(
                "too_fast",
                rule.name,
                rule.max_speed_dps,
                MESSAGES["too_fast"],
                on_s=0.06,  # two frames at 15 fps, three at 30
                off_s=0.3,
            )
            det[("jerky", rule.name)] = Detector(
                "jerky",
                rule.name,
                self.exercise.max_accel_dps2,
                MESSAGES["jerky"],
                on_s=0.0,
                off_s=0.4,
            )
        return det

    # ----- live input ---------------------------------------------------------------------
    def step(self, frame: PoseFrame) -> StepResult:
        """Live: smooth causally with One Euro, then judge."""
        raw = frame_angles(frame, self.exercise)
        values, speeds, accels = {}, {}, {}
        for name, v in raw.items():
            f = self._filters.setdefault(name, OneEuro())
            values[name] = f(frame.t, v)
            seen = math.isfinite(values[name]) and math.isfinite(v)
            speeds[name] = f.derivative if seen else math.nan
            accels[name] = f.acceleration if seen else math.nan
        return self.step_sample(Sample(frame.t, values, speeds, accels), has_pose=frame.has_pose)

    # ----- the machine --------------------------------------------------------------------
    def value(self, sample: Sample, rule: AngleRule, side: str | None) -> float:
        name = rule.name
        if uses_lead(rule):
            if side is None:
                return math.nan
            name = lead_key(rule.name, side)
        return mirrored(rule, sample.values.get(name, math.nan), side)

    def reading_side(self, raw_driver: float) -> str | None:
        """The side angles are read for: the attempt's, else the way the driver leans now."""
        if not self.exercise.sided:
            return None
        if self.current is not None:
            return self.current.side
        if not math.isfinite(raw_driver):
            return self.side
        return "right" if raw_driver >= 0 else "left"

    def _progress(self, raw_driver: float) -> tuple[float, str | None]:
        """How far the driver is toward the target (p-space), and on which side."""
        side = self.reading_side(raw_driver)
        if not math.isfinite(raw_driver):
            return math.nan, side
        return self._dir * mirrored(self.driver, raw_driver, side), side

    def step_sample(self, sample: Sample, has_pose: bool = True) -> StepResult:
        out = StepResult()
        t = sample.t
        if self.t0 is None:
            self.t0 = t
        dt = 0.0 if self.t_last is None else max(0.0, t - self.t_last)
        self.t_last = t
        self.frames += 1
        if has_pose:
            self.frames_with_pose += 1
        self.last_sample = sample
        if self.phase is Phase.STOPPED:
            return out
        raw_driver = sample.values.get(self.driver.name, math.nan)
        seen = math.isfinite(raw_driver)
        if seen:
            self.seen_s += dt
        self._view(t, seen, out)
        if self.phase is Phase.SETUP:
            self._setup(t, seen, out, raw_driver)
            return out
        if not seen:
            return out
        p, side = self._progress(raw_driver)
        self._safety(sample, self.current.side if self.current else None, out)
        self._advance(sample, t, dt, p, side, out)
        return out

    def _view(self, t: float, seen: bool, out: StepResult) -> None:
        if self.phase is Phase.SETUP and self._seen_since is None and not seen:
            return  # not yet started: the set-up prompt covers it
        change = self._lost.update(t, not seen, seen, math.nan)
        if change is None:
            return
        kind, ev = change
        if kind == "open":
            out.opened.append(ev)
            out.cues.append(Cue(ev.message, Priority.SAFETY, "lost_view", t))
        else:
            out.closed.append(ev)
            self.events.append(ev)

    def _in_start(self, raw_driver: float) -> bool:
        """In the start pose (either side, for a twist): set-up ends only from there."""
        p, _ = self._progress(raw_driver)
        return math.isfinite(p) and p <= self._neutral_edge

    def placement_text(self) -> str:
        """Short enough to say aloud; the full advice is on screen and in `coach show`."""
        view = "side-on" if self.exercise.view == "side" else "from the front"
        return f"Place the camera so it sees your whole body {view}."

    def _start_text(self) -> str:
        return "Get into the starting position: " + self.exercise.setup[0]

    def _setup(self, t: float, seen: bool, out: StepResult, raw_driver: float) -> None:
        if self.frames == 1:
            out.cues.append(Cue(self.placement_text(), Priority.INSTRUCTION, "placement", t, 30))
        if not seen:
            self._seen_since = None
            return
        if self._seen_since is None:
            self._seen_since = t
        if t - self._seen_since >= SEEN_TO_START_S and not self._in_start(raw_driver):
            if self._start_cue_t is None or t - self._start_cue_t >= 8.0:
                self._start_cue_t = t
                out.cues.append(Cue(self._start_text(), Priority.INSTRUCTION, "start_pose", t, 8))
            return
        if t - self._seen_since >= SEEN_TO_START_S:
            self.phase = Phase.RESTING
            self._rest_since = t
            out.cues.append(Cue(self._go_text(), Priority.INSTRUCTION, "go", t, 4))

    def _go_text(self) -> str:
        if self.exercise.sided:
            side = self._next_side()
            return f"Now turn slowly to your {side}."
        return self.driver.short_cue or self.exercise.summary

    def _next_side(self) -> str:
        counts = self.side_counts()
        if counts["right"] < self.exercise.reps_per_side:
            last = self.reps[-1].side if self.reps else None
            if last == "left" and counts["left"] < self.exercise.reps_per_side:
                return "left"
            return "right"
        return "left"

    def side_counts(self) -> dict[str, int]:
        counts = {"right": 0, "left": 0}
        for rep in self.reps:
            if rep.side in counts:
                counts[rep.side] += 1
        return counts

    def _safety(self, sample: Sample, side: str | None, out: StepResult) -> None:
        t = sample.t
        for (kind, name), det in self._detectors.items():
            rule = self.exercise.angle(name)
            if kind == "overextension":
                v = self.value(sample, rule, side)
                if not math.isfinite(v):
                    change = det.update(t, False, True, v)
                else:
                    over = rule.past_limit(v)
                    margin = HYSTERESIS_DEG if rule.limit_is_high else -HYSTERESIS_DEG
                    clear = not rule.past_limit(v + margin)
                    change = det.update(t, over, clear, v)
            else:
                key = rule.name
                series = sample.speeds if kind == "too_fast" else sample.accels
                rate = series.get(key, math.nan)
                if not math.isfinite(rate):
                    change = det.update(t, False, True, rate)
                else:
                    clear_level = 0.8 if kind == "too_fast" else 0.5
                    change = det.update(
                        t, abs(rate) > det.limit, abs(rate) < clear_level * det.limit, abs(rate)
                    )
            if change is None:
                continue
            what, ev = change
            if what == "open":
                out.opened.append(ev)
                out.cues.append(Cue(ev.message, Priority.SAFETY, kind, t, 6))
                if kind == "overextension" and self.current is not None:
                    self.current.overextended = True
            else:
                out.closed.append(ev)
                self.events.append(ev)

    def _in_target(self, sample: Sample, side: str | None) -> bool:
        """Every target angle inside its band, with hysteresis on the way out."""
        for rule in self.exercise.angles:
            if rule.role != "target":
                continue
            v = self.value(sample, rule, side)
            if not math.isfinite(v):
                return False
            lo, hi = rule.target
            if self.in_range:
                lo, hi = lo - HYSTERESIS_DEG, hi + HYSTERESIS_DEG
            if not lo <= v <= hi:
                return False
        return True

    def _advance(
        self, sample: Sample, t: float, dt: float, p: float, side: str | None, out: StepResult
    ) -> None:
        if self.current is None:
            if p > self._neutral_edge:
                self._start_rep(t, side, out)
            else:
                self._rest(t, out)
                return
        rep = self.current
        assert rep is not None
        for rule in self.exercise.angles:
            v = self.value(sample, rule, rep.side)
            if math.isfinite(v):
                old = rep.peak_deg.get(rule.name)
                further = old is None or rule.toward_target() * (v - old) > 0
                rep.peak_deg[rule.name] = v if further else old  # type: ignore[assignment]
        was_in = self.in_range
        self.in_range = self._in_target(sample, rep.side)
        if self.in_range:
            if not rep.reached:
                rep.reached = True
                out.cues.append(Cue("Hold it there.", Priority.INSTRUCTION, "hold", t, 3))
            rep.hold_s += dt if was_in else 0.0
            self.time_in_range_s += dt if was_in else 0.0
            self.phase = Phase.HOLDING
            self._hold_cues(rep, t, out)
            self._form_cues(sample, rep.side, t, out)
        elif rep.reached:
            self.phase = Phase.RELEASING
        else:
            self.phase = Phase.MOVING_IN
            self._short_cue(t, out)
        # The attempt ends back in the start band (or halfway there for a while); both need a
        # short dwell so one stray frame cannot split a rep. The end time is the crossing.
        if p < self._release_p:
            if self._below_release_since is None:
                self._below_release_since = t
            if p <= self._neutral_edge:
                if self._home_since is None:
                    self._home_since = t
            else:
                self._home_since = None
            if self._home_since is not None and t - self._home_since >= RELEASE_DWELL_S:
                self._end_rep(self._home_since, out)
            elif t - self._below_release_since >= RELEASE_DWELL_S + 2.0:
                self._end_rep(self._below_release_since, out)
        else:
            self._below_release_since = None
            self._home_since = None

    def _rest(self, t: float, out: StepResult) -> None:
        self.phase = Phase.RESTING
        self.in_range = False
        if self._rest_since is None:
            self._rest_since = t
        if self.done():
            return
        if t - self._rest_since >= self.exercise.rest_s and self.reps:
            self._rest_since = t
            out.cues.append(Cue(self._go_text(), Priority.INSTRUCTION, "go", t, 10))

    def done(self) -> bool:
        need = self.exercise.reps_per_side
        ok = [r for r in self.reps if r.ok]
        if self.exercise.sided:
            return all(sum(1 for r in ok if r.side == s) >= need for s in SIDES)
        return len(ok) >= need

    def _start_rep(self, t: float, side: str | None, out: StepResult) -> None:
        last_side = self.reps[-1].side if self.reps else None
        self.current = Rep(side=side, start_s=t, target_hold_s=self.exercise.hold_s)
        self.side = side
        self._below_release_since = None
        self._home_since = None
        self._short_since = t
        self._last_hold_cue_remaining = None
        self.phase = Phase.MOVING_IN
        if side is not None and last_side is not None and side != last_side:
            ev = Event(
                "switch_side", t, t, self.driver.name, None, None, f"Switched to the {side} side."
            )
            self.events.append(ev)
            out.opened.append(ev)
        if side is not None:
            done_here = self.side_counts()[side]
            if (
                done_here >= self.exercise.reps_per_side
                and self.side_counts()["left" if side == "right" else "right"]
                < self.exercise.reps_per_side
            ):
                other = "left" if side == "right" else "right"
                out.cues.append(
                    Cue(
                        f"That side is done. Switch to your {other}.",
                        Priority.INSTRUCTION,
                        "switch",
                        t,
                        10,
                    )
                )

    def _end_rep(self, t: float, out: StepResult) -> None:
        rep = self.current
        assert rep is not None
        rep.end_s = t
        self.current = None
        self.in_range = False
        self._rest_since = t
        self.phase = Phase.RESTING
        if not rep.reached:
            return  # an attempt that never reached the target pose is not a rep
        self.reps.append(rep)
        msg = self._rep_message(rep)
        ev = Event(
            "rep_complete",
            rep.start_s,
            t,
            self.driver.name,
            rep.peak_deg.get(self.driver.name),
            None,
            msg,
        )
        self.events.append(ev)
        out.opened.append(ev)
        out.cues.append(Cue(msg, Priority.INFO, "rep", t, 2))
        if self.done():
            out.cues.append(
                Cue("Set complete. Well done, rest now.", Priority.INSTRUCTION, "done", t, 30)
            )

    def _rep_message(self, rep: Rep) -> str:
        if rep.side is not None:
            n = self.side_counts()[rep.side]
            text = f"That's {n} on the {rep.side}."
        else:
            text = f"That's {len(self.reps)}."
        if rep.hold_s < rep.target_hold_s:
            text += f" Try to hold for the full {rep.target_hold_s:.0f} seconds next time."
        return text

    def _hold_cues(self, rep: Rep, t: float, out: StepResult) -> None:
        remaining = rep.target_hold_s - rep.hold_s
        if remaining <= 0:
            if not rep.hold_announced:
                rep.hold_announced = True
                ev = Event(
                    "hold_complete",
                    t,
                    t,
                    self.driver.name,
                    rep.hold_s,
                    rep.target_hold_s,
                    "Well done. Now come back slowly.",
                )
                self.events.append(ev)
                out.opened.append(ev)
                out.cues.append(Cue(ev.message, Priority.INSTRUCTION, "hold_done", t, 2))
            return
        for mark in (20.0, 10.0, 5.0):
            if remaining <= mark < rep.target_hold_s and (
                self._last_hold_cue_remaining is None or self._last_hold_cue_remaining > mark
            ):
                self._last_hold_cue_remaining = mark
                out.cues.append(
                    Cue(f"Hold... {int(mark)} more seconds.", Priority.INFO, "countdown", t, 1)
                )
                return

    def _form_cues(self, sample: Sample, side: str | None, t: float, out: StepResult) -> None:
        for rule in self.exercise.angles:
            v = self.value(sample, rule, side)
            if not math.isfinite(v):
                continue
            lo, hi = rule.target
            short = v < lo if rule.limit_is_high else v > hi
            over = v > hi if rule.limit_is_high else v < lo
            if rule.role == "form" and short and rule.short_cue:
                out.cues.append(Cue(rule.short_cue, Priority.INFO, f"form:{rule.name}", t, 12))
            elif over and rule.over_cue and not rule.past_limit(v):
                out.cues.append(
                    Cue(rule.over_cue, Priority.INSTRUCTION, f"over:{rule.name}", t, 10)
                )

    def _short_cue(self, t: float, out: StepResult) -> None:
        if self._short_since is not None and t - self._short_since >= SHORT_CUE_AFTER_S:
            self._short_since = t
            if self.driver.short_cue:
                out.cues.append(Cue(self.driver.short_cue, Priority.INSTRUCTION, "short", t, 8))

    # ----- ending -------------------------------------------------------------------------
    def pain_stop(self, t: float) -> StepResult:
        """The user reports pain: end the set at once and record it."""
        out = StepResult()
        ev = Event("pain_stop", t, t, None, None, None, MESSAGES["pain_stop"])
        self.finish(t)
        self.events.append(ev)
        out.opened.append(ev)
        out.cues.append(Cue(ev.message, Priority.SAFETY, "pain_stop", t, 0))
        self.stopped_reason = "pain_stop"
        self.phase = Phase.STOPPED
        return out

    def finish(self, t: float | None = None) -> None:
        """Close open events and an unfinished attempt (a rep if it reached the target)."""
        end = t if t is not None else (self.t_last or 0.0)
        if self.current is not None:
            self._end_rep(end, StepResult())
        for det in [*self._detectors.values(), self._lost]:
            change = det.close()
            if change is not None:
                self.events.append(change[1])
        self.events.sort(key=lambda e: (e.start_s, e.end_s))
