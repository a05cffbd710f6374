"""Exercise definitions: poses/*.toml loaded into frozen, validated dataclasses.

Definitions are data so a physiotherapist can read and adjust them; validation is strict so
a typo fails loudly with the file, the key and the fix, instead of silently judging nothing.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from coach.core.judge import JudgeSettings, Reading, read
from coach.core.landmarks import LANDMARK_NAMES, is_point_name
from coach.errors import CoachError, UsageError

KINDS = {"joint": (3,), "sagittal": (2, 4), "rotation": (4,)}
ROLES = ("target", "form")
VIEWS = ("side", "front")
POSTURES = ("standing", "seated", "floor", "lying")
TEMPLATES = ("{near}", "{far}", "{lead}", "{trail}")

EXERCISE_KEYS = {
    "id": str,
    "name": str,
    "seed_step": int,
    "summary": str,
    "view": str,
    "placement": str,
    "setup": list,
    "sided": bool,
    "driver": str,
    "hold_s": (int, float),
    "reps_per_side": int,
    "rest_s": (int, float),
    "max_accel_dps2": (int, float),
    "postures": list,
    "angles": list,
    "variants": dict,
    "judge": dict,
    "in_view": list,
    "facing": list,
    "recognise": dict,
}
EXERCISE_OPTIONAL = {
    "summary",
    "variants",
    "max_accel_dps2",
    "postures",
    "judge",
    "in_view",
    "facing",
    "recognise",
}
FACINGS = ("up", "forward", "down")
ANGLE_KEYS = {
    "name": str,
    "kind": str,
    "points": list,
    "description": str,
    "role": str,
    "start": list,
    "target": list,
    "limit": (int, float),
    "max_speed_dps": (int, float),
    "mirror": bool,
    "min_visibility": (int, float),
    "short_cue": str,
    "over_cue": str,
    "limit_cue": str,
    "check_limit": bool,
    "norm": list,
    "norm_source": str,
}
ANGLE_OPTIONAL = {
    "norm",
    "norm_source",
    "start",
    "mirror",
    "min_visibility",
    "short_cue",
    "over_cue",
    "limit_cue",
    "check_limit",
}
VARIANT_KEYS = {"description": str, "ignore": list}
# Body placement that tells a stretch from look-alikes (coach/core/recognize.py measures each).
RECOGNISE_KEYS = {
    "thigh_spread_max_deg": (int, float),
    "shin_tilt_max_deg": (int, float),
    "thigh_rise_deg": list,
    "shoulders_above_feet_min": (int, float),
    "hands_to_knees_max": (int, float),
    "hips_above_shoulders_max": (int, float),
    "start": dict,
}

DEFAULT_MAX_ACCEL_DPS2 = 1500.0


@dataclass(frozen=True)
class AngleRule:
    """One measured angle and its rule: target band, overextension limit, speed limit."""

    name: str
    kind: str
    points: tuple[str, ...]
    description: str
    role: str
    target: tuple[float, float]
    limit: float
    max_speed_dps: float
    start: tuple[float, float] | None = None
    mirror: bool = False
    min_visibility: float = 0.5
    short_cue: str = ""
    over_cue: str = ""
    limit_cue: str = ""
    check_limit: bool = True  # False: the limit only bounds the gauge, it is no safety rule
    norm: tuple[float, float] | None = None  # published normal range, in this angle's units
    norm_source: str = ""  # who published it (e.g. "AAOS"), shown beside it in reports

    @property
    def limit_is_high(self) -> bool:
        """True when overextension means going above the target band (most stretches)."""
        return self.limit > self.target[1]

    def past_limit(self, value: float) -> bool:
        return value > self.limit if self.limit_is_high else value < self.limit

    def judge_still(self, raw: float) -> str:
        """One reading on its own: 'in_range', 'short' or 'over' (a mirrored angle either side)."""
        verdict = read(self, abs(raw) if self.mirror else raw)
        if verdict is Reading.PAST_LIMIT:
            return "over"
        return "in_range" if verdict is Reading.IN_BAND else "short"

    def in_band(self, value: Any, band: tuple[float, float] | None = None) -> Any:
        """Whether a reading (or an array of them) sits in the target band, or in `band`,
        read as the rule reads it: a mirrored angle (a twist to either side) by its size."""
        lo, hi = self.target if band is None else band
        v = np.abs(value) if self.mirror else value
        with np.errstate(invalid="ignore"):
            return (v >= lo) & (v <= hi)

    def toward_target(self) -> float:
        """+1 when the stretch raises this angle from its start, -1 when it lowers it."""
        if self.start is None:
            return 1.0 if self.limit_is_high else -1.0
        return 1.0 if sum(self.target) > sum(self.start) else -1.0


@dataclass(frozen=True)
class Recognise:
    """Where the body is during the stretch, beyond its angles: what a physiotherapist would
    check to tell it from a look-alike (a bridge from the ball, a camel from the roller).
    Checked by recognition only, while the target angles are in their bands; None = no check."""

    thigh_spread_max_deg: float | None = None  # the two thighs (hip to knee) at most this apart
    shin_tilt_max_deg: float | None = None  # both shins within this of vertical: feet planted
    thigh_rise_deg: tuple[float, float] | None = None  # hip-to-knee rise from level (+ = knee up)
    shoulders_above_feet_min: float | None = None  # torso lengths: shoulders held off the floor
    hands_to_knees_max: float | None = None  # torso lengths: each hand at most this from a knee
    hips_above_shoulders_max: float | None = None  # torso lengths: hips resting, not lifted
    # The start position's own placement, for a stretch whose set-up alone tells it (lying
    # face up with the knees bent): a photo of it is named "start position of ...". None: a
    # start that shows nothing particular (standing, sitting) is never named from a photo.
    start: Recognise | None = None


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    ignore: tuple[str, ...]


@dataclass(frozen=True)
class Exercise:
    id: str
    name: str
    seed_step: int
    view: str
    placement: str
    setup: tuple[str, ...]
    sided: bool
    driver: str
    hold_s: float
    reps_per_side: int
    rest_s: float
    angles: tuple[AngleRule, ...]
    summary: str = ""
    max_accel_dps2: float = DEFAULT_MAX_ACCEL_DPS2
    variants: Mapping[str, Variant] = field(default_factory=dict)
    postures: tuple[str, ...] = POSTURES
    path: str = ""
    judge: JudgeSettings = field(default_factory=JudgeSettings)
    in_view: tuple[str, ...] = ()  # landmarks that must be inside the picture to judge a frame
    facing: tuple[str, ...] = ()  # where the face may point during the stretch (recognition)
    recognise: Recognise = field(default_factory=Recognise)

    def angle(self, name: str) -> AngleRule:
        for rule in self.angles:
            if rule.name == name:
                return rule
        raise KeyError(name)

    @property
    def driver_rule(self) -> AngleRule:
        return self.angle(self.driver)

    def with_variant(self, variant: str | None) -> Exercise:
        """The same exercise without the angles a variant does not check."""
        if not variant:
            return self
        if variant not in self.variants:
            known = ", ".join(sorted(self.variants)) or "none"
            raise UsageError(
                f"exercise '{self.id}' has no variant '{variant}'",
                f"use one of: {known}",
            )
        ignored = set(self.variants[variant].ignore)
        kept = tuple(a for a in self.angles if a.name not in ignored)
        return Exercise(**{**self.__dict__, "angles": kept})


def _err(path: Path, key: str, problem: str, fix: str) -> CoachError:
    return CoachError(f"{path}: '{key}' {problem}", fix)


def _check_keys(
    path: Path, where: str, table: Mapping[str, Any], spec: Mapping[str, Any], optional: set[str]
) -> None:
    for key in table:
        if key not in spec:
            raise _err(
                path,
                f"{where}{key}",
                "is not a known key",
                f"remove it or use one of: {', '.join(sorted(spec))}",
            )
    for key, types in spec.items():
        if key not in table:
            if key in optional:
                continue
            fix = "add it (the README section 'Add your own stretch' lists every key)"
            raise _err(path, f"{where}{key}", "is missing", fix)
        value = table[key]
        # bool is an int in Python: a `true` where a number belongs is still a mistake.
        ok = isinstance(value, types) and not (isinstance(value, bool) and types is not bool)
        if not ok:
            expected = types.__name__ if isinstance(types, type) else "a number"
            raise _err(path, f"{where}{key}", f"must be {expected}", f"got {value!r}")


def _range(path: Path, key: str, value: Any) -> tuple[float, float]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        raise _err(path, key, "must be a [low, high] pair of numbers", f"got {value!r}")
    lo, hi = float(value[0]), float(value[1])
    if not lo < hi:
        raise _err(path, key, f"is inverted or empty ({lo} >= {hi})", "write it as [low, high]")
    return lo, hi


def _check_point(path: Path, key: str, name: Any) -> None:
    if not isinstance(name, str):
        raise _err(path, key, "must be a list of landmark names", f"got {name!r}")
    for tmpl in TEMPLATES:
        if name.startswith(tmpl + "_"):
            for side in ("left", "right"):
                _check_point(path, key, side + name[len(tmpl) :])
            return
    if not is_point_name(name):
        raise _err(
            path,
            key,
            f"names an unknown landmark '{name}'",
            "use a MediaPipe landmark name (e.g. left_hip), a mid_ point (e.g. mid_shoulder) "
            "or a {near}_/{far}_/{lead}_/{trail}_ template",
        )


def _parse_angle(path: Path, index: int, table: Any, sided: bool) -> AngleRule:
    where = f"angles[{index}]."
    if not isinstance(table, dict):
        raise _err(path, f"angles[{index}]", "must be a table", "write it as [[angles]]")
    _check_keys(path, where, table, ANGLE_KEYS, ANGLE_OPTIONAL)
    name = table["name"]
    kind = table["kind"]
    if kind not in KINDS:
        raise _err(path, where + "kind", f"is '{kind}'", f"use one of: {', '.join(KINDS)}")
    points = table["points"]
    if len(points) not in KINDS[kind]:
        counts = " or ".join(str(n) for n in KINDS[kind])
        raise _err(
            path, where + "points", f"needs {counts} points for kind '{kind}'", "fix the list"
        )
    for p in points:
        _check_point(path, where + "points", p)
        if not sided and (p.startswith("{lead}") or p.startswith("{trail}")):
            raise _err(
                path, where + "points", "uses {lead}/{trail}", "set sided = true or use left/right"
            )
    if table["role"] not in ROLES:
        raise _err(path, where + "role", f"is '{table['role']}'", f"use one of: {', '.join(ROLES)}")
    target = _range(path, where + "target", table["target"])
    start = _range(path, where + "start", table["start"]) if "start" in table else None
    limit = float(table["limit"])
    if target[0] <= limit <= target[1]:
        raise _err(
            path,
            where + "limit",
            f"({limit}) lies inside the target {list(target)}",
            "put the limit beyond the target band",
        )
    if start is not None and start[0] < target[1] and target[0] < start[1]:
        raise _err(
            path,
            where + "start",
            f"{list(start)} overlaps the target {list(target)}",
            "the start band must be apart from the target band",
        )
    speed = float(table["max_speed_dps"])
    if not (speed > 0 and math.isfinite(speed)):
        raise _err(path, where + "max_speed_dps", "must be positive", f"got {speed}")
    vis = float(table.get("min_visibility", 0.5))
    if not 0.0 <= vis <= 1.0:
        raise _err(path, where + "min_visibility", "must be within 0..1", f"got {vis}")
    return AngleRule(
        name=name,
        kind=kind,
        points=tuple(points),
        description=table["description"],
        role=table["role"],
        target=target,
        limit=limit,
        max_speed_dps=speed,
        start=start,
        mirror=bool(table.get("mirror", False)),
        min_visibility=vis,
        short_cue=table.get("short_cue", ""),
        over_cue=table.get("over_cue", ""),
        limit_cue=table.get("limit_cue", ""),
        check_limit=bool(table.get("check_limit", True)),
        norm=_range(path, where + "norm", table["norm"]) if "norm" in table else None,
        norm_source=table.get("norm_source", ""),
    )


def parse_exercise(data: Mapping[str, Any], path: Path) -> Exercise:
    _check_keys(path, "", data, EXERCISE_KEYS, EXERCISE_OPTIONAL)
    if data["view"] not in VIEWS:
        raise _err(path, "view", f"is '{data['view']}'", f"use one of: {', '.join(VIEWS)}")
    sided = data["sided"]
    angles = tuple(_parse_angle(path, i, a, sided) for i, a in enumerate(data["angles"]))
    names = [a.name for a in angles]
    if len(set(names)) != len(names):
        raise _err(path, "angles", "has two angles with the same name", "rename one")
    driver = data["driver"]
    if driver not in names:
        raise _err(
            path, "driver", f"names unknown angle '{driver}'", f"use one of: {', '.join(names)}"
        )
    drv = next(a for a in angles if a.name == driver)
    if drv.role != "target" or drv.start is None:
        raise _err(
            path, "driver", "must be a target angle with a start band", "add start = [lo, hi]"
        )
    for key in ("hold_s", "rest_s"):
        if float(data[key]) < 0:
            raise _err(path, key, "must not be negative", f"got {data[key]}")
    if data["reps_per_side"] < 1:
        raise _err(path, "reps_per_side", "must be at least 1", f"got {data['reps_per_side']}")
    postures = data.get("postures", list(POSTURES))
    for posture in postures:
        if posture not in POSTURES:
            raise _err(
                path,
                "postures",
                f"names unknown posture {posture!r}",
                f"use any of: {', '.join(POSTURES)}",
            )
    variants: dict[str, Variant] = {}
    for vname, vtable in data.get("variants", {}).items():
        where = f"variants.{vname}."
        if not isinstance(vtable, dict):
            raise _err(path, where[:-1], "must be a table", "write it as [variants.NAME]")
        _check_keys(path, where, vtable, VARIANT_KEYS, set())
        for ignored in vtable["ignore"]:
            if ignored not in names:
                raise _err(
                    path,
                    where + "ignore",
                    f"names unknown angle '{ignored}'",
                    f"use one of: {', '.join(names)}",
                )
            if ignored == driver:
                raise _err(path, where + "ignore", "cannot drop the driver angle", "keep it")
        variants[vname] = Variant(vname, vtable["description"], tuple(vtable["ignore"]))
    try:
        judge = JudgeSettings.from_table(dict(data.get("judge", {})))
    except KeyError as exc:
        raise _err(
            path, f"judge.{exc.args[0]}", "is not a judge setting", "see coach/core/judge.py"
        ) from None
    except ValueError as exc:
        raise _err(
            path, f"judge.{exc.args[0]}", "must be a non-negative number", "fix the value"
        ) from None
    in_view = data.get("in_view", [])
    for name in in_view:
        if not isinstance(name, str) or name not in LANDMARK_NAMES:
            raise _err(path, "in_view", f"names unknown landmark {name!r}", "use MediaPipe names")
    facing = data.get("facing", [])
    for face in facing:
        if face not in FACINGS:
            raise _err(path, "facing", f"names unknown facing {face!r}", "use up, forward or down")
    recognise = _parse_recognise(path, data.get("recognise", {}))
    expected_id = path.name.removesuffix(".toml")
    if data["id"] != expected_id:
        raise _err(
            path,
            "id",
            f"is '{data['id']}' but the file is named {path.name}",
            f'set id = "{expected_id}" or rename the file',
        )
    return Exercise(
        id=data["id"],
        name=data["name"],
        seed_step=data["seed_step"],
        summary=data.get("summary", ""),
        view=data["view"],
        placement=data["placement"],
        setup=tuple(data["setup"]),
        sided=sided,
        driver=driver,
        hold_s=float(data["hold_s"]),
        reps_per_side=data["reps_per_side"],
        rest_s=float(data["rest_s"]),
        angles=angles,
        max_accel_dps2=float(data.get("max_accel_dps2", DEFAULT_MAX_ACCEL_DPS2)),
        variants=variants,
        postures=tuple(postures),
        path=str(path),
        judge=judge,
        in_view=tuple(in_view),
        facing=tuple(facing),
        recognise=recognise,
    )


def _parse_recognise(path: Path, table: Mapping[str, Any], where: str = "recognise.") -> Recognise:
    _check_keys(path, where, table, RECOGNISE_KEYS, set(RECOGNISE_KEYS))
    if "start" in table and where != "recognise.":
        raise _err(path, where + "start", "cannot nest", "keep one [recognise.start] table")
    for key in ("thigh_spread_max_deg", "shin_tilt_max_deg"):
        if key in table and not 0 < float(table[key]) <= 180:
            raise _err(path, f"{where}{key}", "must be within 0..180 deg", f"got {table[key]}")
    rise = table.get("thigh_rise_deg")
    if rise is not None:
        rise = _range(path, where + "thigh_rise_deg", rise)
        if rise[0] < -90 or rise[1] > 90:
            raise _err(path, where + "thigh_rise_deg", "must be within -90..90 deg", "fix it")
    above = table.get("shoulders_above_feet_min")
    return Recognise(
        thigh_spread_max_deg=_opt_float(table, "thigh_spread_max_deg"),
        shin_tilt_max_deg=_opt_float(table, "shin_tilt_max_deg"),
        thigh_rise_deg=rise,
        shoulders_above_feet_min=None if above is None else float(above),
        hands_to_knees_max=_opt_float(table, "hands_to_knees_max"),
        hips_above_shoulders_max=_opt_float(table, "hips_above_shoulders_max"),
        start=_parse_recognise(path, table["start"], "recognise.start.")
        if "start" in table
        else None,
    )


def _opt_float(table: Mapping[str, Any], key: str) -> float | None:
    return float(table[key]) if key in table else None


def parse_exercise_text(text: str, path: Path) -> Exercise:
    """One definition from its TOML text; `path` names it in messages and gives the expected id."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CoachError(f"{path}: not valid TOML ({exc})", "fix the syntax at that line") from None
    return parse_exercise(data, path)
