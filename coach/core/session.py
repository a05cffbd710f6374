"""The stretch session state machine: phases, holds, reps, sides, safety events and cues.

A rep is an excursion from the person's own resting posture toward the target pose and back,
counted once the target pose is reached; its hold is the longest time spent in the target
pose and still, near the attempt's peak. Safety checks run from the first moment a person is
seen, in every phase. Pure: it sees only timestamps and angles, never a camera or a clock.
Live use feeds PoseFrames through `step` (causal One Euro smoothing); offline scoring smooths
the whole recording with a zero-phase filter first and feeds `step_sample` (see scoring.py).
Both share this one machine.
"""

from __future__ import annotations

import math

from coach.core.angles import frame_angles, series_key
from coach.core.cues import CUE_KINDS, cue, go_text, placement_text, rep_text
from coach.core.events import MESSAGES, Event
from coach.core.exercises import AngleRule, Exercise
from coach.core.filters import OneEuro
from coach.core.holds import MIN_PLATEAU_S, Holds
from coach.core.judge import Reading, read
from coach.core.landmarks import PoseFrame
from coach.core.moments import SIDES, Phase, Rep, Sample, StepResult, mirrored
from coach.core.safety import Detector, SafetyMonitor, merge_movements

__all__ = ["SIDES", "Phase", "Rep", "Sample", "Session", "StepResult", "mirrored"]


class Session:
    """One set of one exercise. `step(frame)` for live use; `step_sample` for smoothed input."""

    def __init__(self, exercise: Exercise) -> None:
        self.exercise = exercise
        self.judge = exercise.judge
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
        assert self.driver.start is not None
        self._dir = self.driver.toward_target()
        start_p = sorted(self._dir * v for v in self.driver.start)
        target_p = sorted(self._dir * v for v in self.driver.target)
        # How far a stretch moves from its start band to its target band, in degrees.
        self._span = max(1.0, target_p[0] - (start_p[0] + start_p[1]) / 2.0)
        self._target_edge = target_p[0]
        self._seen_since: float | None = None
        self._trough = math.nan  # the resting posture: least progress since the last attempt
        self._leave_t = 0.0  # the last moment at the resting posture
        self._peak = math.nan
        # The highest level the attempt sat still at, in its band or past it (arched beyond
        # the band over a ball is still the arch): the rep is measured back from there.
        self._still_top = math.nan
        self._still_since: float | None = None
        self._fall_since: float | None = None
        self._holds = Holds(self.judge.hold_gap_s, self.judge.plateau_edge_deg)
        self._short_since: float | None = None
        self._rest_since: float | None = None
        self._last_hold_cue_remaining: float | None = None
        self._filters: dict[str, OneEuro] = {}
        self.safety = SafetyMonitor(exercise)
        self._lost = Detector(
            "lost_view",
            None,
            self.judge.lost_view_s,
            MESSAGES["lost_view"],
            self.judge.lost_view_s,
            0.2,
        )

    # ----- live input ---------------------------------------------------------------------
    def step(self, frame: PoseFrame) -> StepResult:
        """Live: smooth causally with One Euro, then judge."""
        if self.frames == 0:
            self.safety = SafetyMonitor(self.exercise, live=True)
        raw = frame_angles(frame, self.exercise)
        values, speeds, accels = {}, {}, {}
        for name, v in raw.items():
            f = self._filters.setdefault(name, OneEuro())
            if frame.cut:
                f.reset()
            values[name] = f(frame.t, v)
            seen = math.isfinite(values[name]) and math.isfinite(v)
            speeds[name] = f.derivative if seen else math.nan
            accels[name] = f.acceleration if seen else math.nan
        return self.step_sample(Sample(frame.t, values, speeds, accels), has_pose=frame.has_pose)

    # ----- reading the sample -------------------------------------------------------------
    def _series(self, table: dict[str, float] | None, rule: AngleRule, side: str | None) -> float:
        key = series_key(rule, side)
        if table is None or key is None:
            return math.nan
        return table.get(key, math.nan)

    def value(self, sample: Sample, rule: AngleRule, side: str | None) -> float:
        return mirrored(rule, self._series(sample.values, rule, side), side)

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
        """How far the driver is toward the target (degrees, larger = further), and the side."""
        side = self.reading_side(raw_driver)
        if not math.isfinite(raw_driver):
            return math.nan, side
        return self._dir * mirrored(self.driver, raw_driver, side), side

    def _judged(self, sample: Sample, side: str | None) -> dict[str, float]:
        """The angles a hold waits for (as `_stir`)."""
        return {
            rule.name: self.value(sample, rule, side)
            for rule in self.exercise.angles
            if rule.role == "target" or rule.check_limit
        }

    def _stir(self, sample: Sample, side: str | None) -> float:
        """How fast the body still moves, as the largest share of its settle speed any judged
        angle turns at: at most 1 is still, and a hold under way lasts up to the leave share
        (a pair of thresholds, so noise cannot flicker it). A hold starts once the head has
        arrived too, not when the trunk alone has. An unseen form angle does not count
        against it; an unseen target angle does (infinite)."""
        table = sample.settle if sample.settle is not None else sample.speeds
        stir = 0.0
        for rule in self.exercise.angles:
            if rule.role != "target" and not rule.check_limit:
                continue
            rate = self._series(table, rule, side)
            if not math.isfinite(rate):
                if rule.role == "target":
                    return math.inf
                continue
            form = rule.role != "target"  # the head's reading is noisier: twice the margin
            line = max(self.judge.settle_dps * (2.0 if form else 1.0), 1e-9)
            stir = max(stir, abs(rate) / line)
        return stir

    # ----- the machine --------------------------------------------------------------------
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
        # Safety first, in every phase: getting into position too fast or too far counts too.
        self._safety(sample, self.reading_side(raw_driver), out)
        if self.phase is Phase.SETUP:
            self._setup(t, seen, out)
            if self.phase is Phase.SETUP or not seen:
                return out
        if not seen:
            return out
        p, side = self._progress(raw_driver)
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
            out.cues.append(cue("lost_view", t, ev.message))
        else:
            out.closed.append(ev)
            self.events.append(ev)

    def _safety(self, sample: Sample, side: str | None, out: StepResult) -> None:
        changes = self.safety.update(
            sample.t,
            side,
            lambda rule, s: self.value(sample, rule, s),
            lambda rule, s: self._series(sample.speeds, rule, s),
            lambda rule, s: self._series(sample.accels, rule, s),
        )
        for what, ev in changes:
            if what == "open":
                out.opened.append(ev)
                out.cues.append(cue("safety", sample.t, ev.message, key=ev.type))
                if ev.type == "overextension" and self.current is not None:
                    self.current.overextended = True
            else:
                out.closed.append(ev)
                self.events.append(ev)

    def _setup(self, t: float, seen: bool, out: StepResult) -> None:
        """Wait until the person has been in view a moment; coach from wherever they are."""
        if self.frames == 1:
            out.cues.append(cue("placement", t, self.placement_text()))
        if not seen:
            self._seen_since = None
            return
        if self._seen_since is None:
            self._seen_since = t
        if t - self._seen_since >= self.judge.seen_to_start_s:
            self.phase = Phase.RESTING
            self._rest_since = t
            out.cues.append(cue("go", t, self._go_text()))

    def _in_target(self, sample: Sample, side: str | None) -> bool:
        """Every target angle inside its band, with hysteresis on the way out."""
        widen = self.judge.hysteresis_deg if self.in_range else 0.0
        for rule in self.exercise.angles:
            if rule.role != "target":
                continue
            verdict = read(rule, self.value(sample, rule, side), widen)
            if verdict is not Reading.IN_BAND:
                return False
        return True

    def _enter_deg(self) -> float:
        return max(self.judge.rep_enter_deg, self.judge.rep_enter_fraction * self._span)

    def _advance(
        self, sample: Sample, t: float, dt: float, p: float, side: str | None, out: StepResult
    ) -> None:
        j = self.judge
        self._holds.see(t, self._judged(sample, side))
        if self.current is None:
            if not math.isfinite(self._trough) or p < self._trough:
                self._trough = p
            if p <= self._trough + j.hysteresis_deg:
                self._leave_t = t
            if p - self._trough >= self._enter_deg():
                self._start_rep(self._leave_t, side, p, out)
            else:
                self._rest(t, out)
                return
        rep = self.current
        assert rep is not None
        self._peak = max(self._peak, p)
        for rule in self.exercise.angles:
            v = self.value(sample, rule, rep.side)
            if math.isfinite(v):
                old = rep.peak_deg.get(rule.name)
                further = old is None or rule.toward_target() * (v - old) > 0
                rep.peak_deg[rule.name] = v if further else old  # type: ignore[assignment]
        was_in = self.in_range
        self.in_range = self._in_target(sample, rep.side)
        if self.in_range:
            self.time_in_range_s += dt if was_in else 0.0
            rep.reached = True
        rise = max(self._peak - self._trough, 0.0)
        near_peak = p >= self._peak - max(j.hysteresis_deg, j.plateau_fraction * rise)
        stir = self._stir(sample, rep.side)
        self._track_still_top(t, p, stir)
        leave = j.settle_leave_ratio if self._holds.open is not None else 1.0
        holding = self.in_range and stir <= leave
        calm = holding and stir <= 1.0
        change = self._holds.track(t, p, holding, calm)
        if change == "opened":
            self._last_hold_cue_remaining = None
        if self._holds.open is not None:
            self.phase = Phase.HOLDING
            if change == "opened" and not rep.hold_announced:
                out.cues.append(cue("hold", t))
            self._hold_cues(rep, t, out)
            self._form_cues(sample, rep.side, t, out)
        elif rep.reached and not near_peak:
            self.phase = Phase.RELEASING
        else:
            self.phase = Phase.MOVING_IN
            if not rep.reached:
                self._short_cue(t, out)
        # The attempt ends back at the resting posture, or, for a stretch whose rest lies
        # part-way (lying back on a roller between arches), once the person has come back a
        # good share of the way and settled. A short dwell so one stray frame cannot split a
        # rep; the end time is the crossing.
        home = p <= self._trough + max(j.hysteresis_deg, 0.25 * rise)
        exit_deg = j.rep_exit_fraction * rise
        if j.rep_exit_cap_deg > 0:
            exit_deg = min(exit_deg, j.rep_exit_cap_deg)
        # Fallen back from the hold (the highest still plateau): a spike past it (too far, a
        # jolt) is not where the rep is measured from.
        top = self._holds.top_level()
        if math.isfinite(self._still_top):
            top = self._still_top if top is None else max(top, self._still_top)
        fallen = (self._peak if top is None else top) - p >= max(self._enter_deg(), exit_deg)
        settled = fallen and stir <= 1.0
        if home or settled:
            if self._fall_since is None:
                self._fall_since = t
            dwell = j.release_dwell_s if home else j.release_dwell_s + 0.7
            if t - self._fall_since >= dwell:
                self._end_rep(self._fall_since, out)
                self._trough = p
                self._leave_t = t
        else:
            self._fall_since = None

    def _track_still_top(self, t: float, p: float, stir: float) -> None:
        """Raise the still top once the person has sat still a plateau's length (the turn
        at the top of a jolt is still for a moment only), wherever the band is. Only for a
        stretch whose rest lies part-way (rep_exit_cap_deg: back onto the roller or ball from
        an arch ends the rep, however far the arch went); elsewhere easing back into the band
        from past the limit is the hold going on."""
        if self.judge.rep_exit_cap_deg <= 0 or stir > 1.0:
            self._still_since = None
            return
        if self._still_since is None:
            self._still_since = t
        if t - self._still_since >= MIN_PLATEAU_S:
            self._still_top = p if not math.isfinite(self._still_top) else max(self._still_top, p)

    def _held(self) -> float:
        """Time held near the attempt's highest plateau (see Holds.held_s)."""
        rise = max(self._peak - self._trough, 0.0)
        near = min(self.judge.plateau_fraction * rise, self._enter_deg())
        return self._holds.held_s(max(self.judge.hysteresis_deg, near))

    def _only_got_into_position(self) -> bool:
        """An attempt still open at the end that only lay back onto the roller or ball (its
        rest lies inside the target band) and never arched beyond that first settle."""
        if self.judge.rep_exit_cap_deg <= 0 or self._trough >= self._target_edge:
            return False
        first = self._holds.first_level()
        return first is not None and self._peak - first < self._enter_deg()

    def current_hold_s(self) -> float | None:
        """Seconds held so far in the hold under way, or None when not holding."""
        return self._holds.current_s()

    def _rest(self, t: float, out: StepResult) -> None:
        self.phase = Phase.RESTING
        self.in_range = False
        if self._rest_since is None:
            self._rest_since = t
        if self.done():
            return
        if t - self._rest_since >= self.exercise.rest_s and self.reps:
            self._rest_since = t
            out.cues.append(cue("go_again", t, self._go_text(), key="go"))

    def good_counts(self) -> dict[str, int]:
        """Good reps per side ("right", "left") and in all ("total")."""
        ok = [r for r in self.reps if r.ok]
        counts = {s: sum(1 for r in ok if r.side == s) for s in SIDES}
        counts["total"] = len(ok)
        return counts

    def done(self) -> bool:
        """The one rule for "enough good reps": the planned number on each side (or in all)."""
        need = self.exercise.reps_per_side
        good = self.good_counts()
        if self.exercise.sided:
            return all(good[s] >= need for s in SIDES)
        return good["total"] >= need

    def _start_rep(self, t: float, side: str | None, p: float, out: StepResult) -> None:
        last_side = self.reps[-1].side if self.reps else None
        self.current = Rep(
            side=side,
            start_s=t,
            target_hold_s=self.exercise.hold_s,
            tolerance_s=self.judge.hold_ok_tolerance_s,
        )
        self.side = side
        self._peak = p
        self._still_top, self._still_since = math.nan, None
        self._fall_since = None
        self._holds.reset(t)
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
            other = "left" if side == "right" else "right"
            counts = self.side_counts()
            need = self.exercise.reps_per_side
            if counts[side] >= need and counts[other] < need:
                out.cues.append(cue("switch", t, f"That side is done. Switch to your {other}."))

    def _end_rep(self, t: float, out: StepResult, finished: bool = True) -> None:
        rep = self.current
        assert rep is not None
        self._holds.close()
        rep.hold_s = self._held()
        rep.start_s = self._holds.settled_start(rep.start_s, self._enter_deg())
        self._holds.reset()  # between attempts: the trace keeps only its last few seconds
        rep.end_s = t
        self.current = None
        self.in_range = False
        self._fall_since = None
        self._rest_since = t
        self.phase = Phase.RESTING
        if not rep.reached or not finished:
            # Never reached the target pose, or still under way when the recording ended
            # (a rep is an excursion toward the target and back): not a rep.
            return
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
        out.cues.append(cue("rep", t, msg))
        if self.done():
            out.cues.append(cue("done", t))

    def _rep_message(self, rep: Rep) -> str:
        n = self.side_counts()[rep.side] if rep.side is not None else len(self.reps)
        return rep_text(rep, n)

    def _hold_cues(self, rep: Rep, t: float, out: StepResult) -> None:
        held = self.current_hold_s() or 0.0
        remaining = rep.target_hold_s - held
        if remaining <= 0:
            if not rep.hold_announced:
                rep.hold_announced = True
                ev = Event(
                    "hold_complete",
                    t,
                    t,
                    self.driver.name,
                    held,
                    rep.target_hold_s,
                    CUE_KINDS["hold_done"].text,
                )
                self.events.append(ev)
                out.opened.append(ev)
                out.cues.append(cue("hold_done", t, ev.message))
            return
        for mark in (20.0, 10.0, 5.0):
            if remaining <= mark < rep.target_hold_s and (
                self._last_hold_cue_remaining is None or self._last_hold_cue_remaining > mark
            ):
                self._last_hold_cue_remaining = mark
                out.cues.append(cue("countdown", t, f"Hold... {int(mark)} more seconds."))
                return

    def _form_cues(self, sample: Sample, side: str | None, t: float, out: StepResult) -> None:
        for rule in self.exercise.angles:
            verdict = read(rule, self.value(sample, rule, side))
            if rule.role == "form" and verdict is Reading.SHORT and rule.short_cue:
                out.cues.append(cue("form", t, rule.short_cue, key=f"form:{rule.name}"))
            elif verdict is Reading.OVER and rule.over_cue:
                out.cues.append(cue("over", t, rule.over_cue, key=f"over:{rule.name}"))

    def _short_cue(self, t: float, out: StepResult) -> None:
        if self._short_since is not None and t - self._short_since >= self.judge.short_cue_after_s:
            self._short_since = t
            if self.driver.short_cue:
                out.cues.append(cue("short", t, self.driver.short_cue))

    # ----- words --------------------------------------------------------------------------
    def placement_text(self) -> str:
        return placement_text(self.exercise)

    def _go_text(self) -> str:
        return go_text(self.exercise, self.side_counts(), self.reps[-1].side if self.reps else None)

    def side_counts(self) -> dict[str, int]:
        counts = {"right": 0, "left": 0}
        for rep in self.reps:
            if rep.side in counts:
                counts[rep.side] += 1
        return counts

    # ----- ending -------------------------------------------------------------------------
    def pain_stop(self, t: float) -> StepResult:
        """The user reports pain: end the set at once and record it."""
        out = StepResult()
        ev = Event("pain_stop", t, t, None, None, None, MESSAGES["pain_stop"])
        self.finish(t)
        self.events.append(ev)
        out.opened.append(ev)
        out.cues.append(cue("pain_stop", t, ev.message))
        self.stopped_reason = "pain_stop"
        self.phase = Phase.STOPPED
        return out

    def finish(self, t: float | None = None) -> None:
        """Close open events and an unfinished attempt (a rep if it reached the target)."""
        end = t if t is not None else (self.t_last or 0.0)
        if self.current is not None:
            self._end_rep(end, StepResult(), finished=not self._only_got_into_position())
        self.events.extend(self.safety.close_all())
        change = self._lost.close()
        if change is not None:
            self.events.append(change[1])
        self.events = merge_movements(self.events)
