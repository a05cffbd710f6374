"""What the person sees, as plain data: the overlay's content built from a Session.

Pure (no cv2) so the content is tested apart from the drawing: overlay.py only decides how
an OverlayState looks, never what it says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from coach.core.angles import uses_lead
from coach.core.cues import Cue, Priority
from coach.core.events import WARNING_TYPES
from coach.core.exercises import AngleRule, Exercise
from coach.core.extra import extra_counts, extra_flags, extra_text
from coach.core.landmarks import INDEX, PoseFrame
from coach.core.session import Phase, Sample, Session, StepResult

WARNING_AFTER_S = 1.5  # a warning stays up while its condition holds and this long after
WARNING_MIN_S = WARNING_AFTER_S  # old name
INSTRUCTION_MIN_S = 1.5  # a routine prompt is not replaced sooner than this

ATTEMPT_PHASES = (Phase.MOVING_IN.value, Phase.HOLDING.value, Phase.RELEASING.value)
PHASE_TEXT = {
    Phase.SETUP: "Get into view",
    Phase.RESTING: "Rest",
    Phase.MOVING_IN: "Move in slowly",
    Phase.HOLDING: "Hold",
    Phase.RELEASING: "Come back slowly",
    Phase.STOPPED: "Stopped",
}


@dataclass(frozen=True)
class Gauge:
    """One judged angle as the rule reads it (mirrored for a left twist), ready to draw."""

    name: str
    label: str
    value: float  # NaN when not seen
    target: tuple[float, float]
    limit: float
    in_range: bool
    over_limit: bool
    role: str  # "target" or "form"
    side: str | None  # the twist side a mirrored or lead/trail angle reads for
    axis: tuple[float, float]  # the span a gauge shows: start, target and limit with margin

    @property
    def seen(self) -> bool:
        return math.isfinite(self.value)

    def fraction(self, v: float) -> float:
        """Where v sits on the gauge's axis, 0..1 (clipped)."""
        lo, hi = self.axis
        return min(1.0, max(0.0, (v - lo) / (hi - lo)))


@dataclass(frozen=True)
class OverlayState:
    """Everything the overlay shows for one moment."""

    exercise_name: str
    phase: str  # Phase value, e.g. "holding"
    phase_text: str  # what the person reads, e.g. "Hold"
    side: str | None
    instruction: str
    warning: str | None
    hold_s: float | None  # None when no attempt is under way
    target_hold_s: float
    reps: dict[str, int]  # {"right": n, "left": n} for sided stretches, else {"total": n}
    target_reps: int  # per side (sided) or in all
    gauges: tuple[Gauge, ...]
    mirrored: bool = False
    done: bool = False
    extra: dict[str, int] = field(default_factory=dict)  # reps past the plan, per side
    variant: str | None = None  # e.g. "chair", shown in the title

    @property
    def holding(self) -> bool:
        return self.phase == Phase.HOLDING.value

    @property
    def attempting(self) -> bool:
        """Moving in, holding or releasing: short of the band is worth flagging only then."""
        return self.phase in ATTEMPT_PHASES

    @property
    def hold_remaining_s(self) -> float | None:
        if self.hold_s is None:
            return None
        return max(0.0, self.target_hold_s - self.hold_s)


def gauge_axis(rule: AngleRule) -> tuple[float, float]:
    """A span wide enough for the start band, the target band and the limit."""
    points = [*rule.target, rule.limit, *(rule.start or ())]
    lo, hi = min(points), max(points)
    pad = max(5.0, 0.12 * (hi - lo))
    return lo - pad, hi + pad


def display_side(session: Session, sample: Sample | None) -> str | None:
    """The side the gauges read for: the attempt's side, else the way the driver leans now."""
    raw = math.nan if sample is None else sample.values.get(session.driver.name, math.nan)
    return session.reading_side(raw)


def make_gauge(rule: AngleRule, value: float, side: str | None) -> Gauge:
    seen = math.isfinite(value)
    lo, hi = rule.target
    label = rule.name.replace("_", " ").capitalize()
    sided = side is not None and (rule.mirror or uses_lead(rule))
    return Gauge(
        name=rule.name,
        label=label,
        value=value,
        target=rule.target,
        limit=rule.limit,
        in_range=seen and lo <= value <= hi,
        over_limit=seen and rule.past_limit(value),
        role=rule.role,
        side=side if sided else None,
        axis=gauge_axis(rule),
    )


def gauges(session: Session) -> tuple[Gauge, ...]:
    sample = session.last_sample
    side = display_side(session, sample)
    out = []
    for rule in session.exercise.angles:
        value = session.value(sample, rule, side) if sample is not None else math.nan
        out.append(make_gauge(rule, value, side))
    return tuple(out)


def rep_counts(session: Session) -> dict[str, int]:
    if session.exercise.sided:
        return session.side_counts()
    return {"total": len(session.reps)}


PART_WORDS = {
    "shoulder": "shoulders",
    "hip": "hips",
    "knee": "knees",
    "ankle": "ankles",
    "ear": "head",
    "nose": "head",
    "elbow": "elbows",
    "wrist": "hands",
    "heel": "feet",
    "foot_index": "feet",
}


def _base(name: str) -> str:
    for prefix in ("{lead}_", "{trail}_", "mid_", "left_", "right_"):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def setup_hint(session: Session, pose: PoseFrame | None) -> str:
    """What keeps the set from starting, in words: nobody seen, or which parts are hidden."""
    if pose is None or not pose.has_pose:
        return "Get into view"
    rule = session.driver
    missing: list[str] = []
    for point in rule.points:
        base = _base(point)
        names = [f"left_{base}", f"right_{base}"] if f"left_{base}" in INDEX else [base]
        names = [n for n in names if n in INDEX]
        either = point.startswith(("{", "mid_")) or len(names) == 1
        seen = [pose.seen(INDEX[n], rule.min_visibility) for n in names]
        if (not any(seen)) if either else (not all(seen)):
            word = PART_WORDS.get(base, base.replace("_", " "))
            if word not in missing:
                missing.append(word)
    if not missing:
        return "Hold still a moment"
    return "Show your " + " and ".join(missing[:2])


def phase_text(session: Session, side: str | None, pose: PoseFrame | None = None) -> str:
    if session.phase is Phase.MOVING_IN and side is not None:
        return f"Turn to your {side}"
    if session.phase is Phase.RESTING and session.done():
        return "Set complete"
    if session.phase is Phase.SETUP and pose is not None:
        return setup_hint(session, pose)
    return PHASE_TEXT[session.phase]


def overlay_state(
    session: Session,
    instruction: str,
    warning: str | None,
    mirrored: bool = False,
    pose: PoseFrame | None = None,
    variant: str | None = None,
) -> OverlayState:
    """The overlay's content for the session's latest moment (`pose` names what is hidden)."""
    side = display_side(session, session.last_sample)
    rep = session.current
    ex = session.exercise
    return OverlayState(
        exercise_name=ex.name if not variant else f"{ex.name} · {variant} variant",
        phase=session.phase.value,
        phase_text=phase_text(session, side, pose),
        side=side,
        instruction=instruction,
        warning=warning,
        hold_s=session.current_hold_s() if rep is not None and rep.reached else None,
        target_hold_s=session.exercise.hold_s,
        reps=rep_counts(session),
        target_reps=session.exercise.reps_per_side,
        gauges=gauges(session),
        mirrored=mirrored,
        done=session.done(),
        extra={k: v for k, v in extra_counts(session.reps, ex.reps_per_side, ex.sided).items()},
        variant=variant,
    )


class CueEditor:
    """Live wording on top of the session's cues: after the planned reps, each further rep is
    said as extra ("2 more than planned: rest now") and "Set complete" is said once; once the
    set is complete the coach stops coaching further reps (only safety and the extra count)."""

    AFTER_DONE = frozenset({"done", "extra", "variant"})

    def __init__(self, placement_said: bool = False) -> None:
        self._done_said = False
        self._placement_said = placement_said  # a switch of variant does not repeat it

    @staticmethod
    def _side_done(session: Session) -> bool:
        """Whether the side being worked (the attempt's, else the last rep's) has its reps."""
        ex = session.exercise
        if not ex.sided:
            return session.done()
        rep = session.current or (session.reps[-1] if session.reps else None)
        if rep is None:
            return False
        good = sum(1 for r in session.reps if r.ok and r.side == rep.side)
        if rep is not session.current:
            good -= int(rep.ok)  # the rep just counted: its own words still apply
        return good >= ex.reps_per_side

    def edit(self, session: Session, cues: list[Cue]) -> list[Cue]:
        ex = session.exercise
        out = []
        for cue in cues:
            if cue.key == "placement" and self._placement_said:
                continue
            if cue.key == "done":
                if self._done_said:
                    continue
                self._done_said = True
            extra = session.reps and extra_flags(session.reps, ex.reps_per_side, ex.sided)[-1]
            if cue.key == "rep" and extra:
                last = session.reps[-1]
                counts = extra_counts(session.reps, ex.reps_per_side, ex.sided)
                n = counts[(last.side or "right") if ex.sided else "total"]
                cue = Cue(extra_text(n), Priority.INSTRUCTION, "extra", cue.t, 0)
            if (
                self._side_done(session)
                and cue.priority is not Priority.SAFETY
                and cue.key not in self.AFTER_DONE
            ):
                continue
            out.append(cue)
        return out


class Prompts:
    """Which instruction and warning to show, from the cues and events each step gives.

    A safety warning stays up while its event is open and WARNING_AFTER_S after it closes
    (a 0.1 s jolt shows for about 1.5 s, not into the next hold); an
    instruction stays until a newer one replaces it (not sooner than INSTRUCTION_MIN_S,
    unless the newer one is more urgent). Live use and the annotated video share this.
    """

    def __init__(self, exercise: Exercise) -> None:
        self.instruction = exercise.placement
        self._instruction_t = -math.inf
        self._instruction_priority = Priority.INSTRUCTION
        self._open: dict[tuple[str, str | None], str] = {}
        self._warning: str | None = None
        self._warning_until = -math.inf

    def update(self, t: float, result: StepResult) -> tuple[str, str | None]:
        for ev in result.opened:
            if ev.type in WARNING_TYPES:
                self._open[(ev.type, ev.angle)] = ev.message
                self._warning = ev.message
                self._warning_until = t + WARNING_AFTER_S
        for ev in result.closed:
            message = self._open.pop((ev.type, ev.angle), None)
            if message is not None and not self._open:
                self._warning = message
                self._warning_until = t + WARNING_AFTER_S
        for cue in result.cues:
            if cue.priority is Priority.SAFETY:
                continue  # shown as the warning banner
            fresh = t - self._instruction_t >= INSTRUCTION_MIN_S
            if fresh or cue.priority <= self._instruction_priority:
                self.instruction = cue.text
                self._instruction_t = t
                self._instruction_priority = cue.priority
        return self.instruction, self.warning(t)

    def warning(self, t: float) -> str | None:
        if self._open:
            return next(reversed(self._open.values()))
        return self._warning if t < self._warning_until else None
