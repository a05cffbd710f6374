"""The small user config file: daily limits that keep stretching from turning into over-use.

The seed warns that routine over-cracking brings joint pain and swelling, so the coach counts
sessions and minutes per day against these limits. The file is optional; a missing file means
the defaults. A typo must not silently switch a limit off, so unknown keys and wrong types are
errors that name the file, the key and the fix.

    # config.toml
    [limits]
    sessions_per_exercise_per_day = 3
    sessions_per_day = 6
    minutes_per_day = 30
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from coach.core.limits import Limits
from coach.errors import CoachError

ENV_VAR = "COACH_CONFIG"
APP_NAME = "coach"


@dataclass(frozen=True)
class Config:
    limits: Limits = field(default_factory=Limits)
    path: Path | None = None  # where it was read from; None when the defaults were used


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """COACH_CONFIG if set, else config.toml in the platform's user config folder."""
    env = os.environ if env is None else env
    override = env.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the config file; a missing file gives the defaults, a broken one a CoachError."""
    path = config_path(env) if path is None else Path(path)
    if not path.exists():
        return Config(path=None)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CoachError(
            f"config file {path} is not valid TOML ({exc})",
            "fix the line it names, or delete the file to use the defaults",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CoachError(
            f"cannot read config file {path} ({exc})",
            f"check its permissions, or point {ENV_VAR} at another file",
        ) from exc
    return Config(limits=_parse_limits(data, path), path=path)


def _parse_limits(data: dict[str, Any], path: Path) -> Limits:
    unknown = sorted(set(data) - {"limits"})
    if unknown:
        raise CoachError(
            f"config file {path}: unknown section or key '{unknown[0]}'",
            "the only section is [limits]; remove or rename it",
        )
    table = data.get("limits", {})
    if not isinstance(table, dict):
        raise CoachError(
            f"config file {path}: 'limits' must be a table", "write it as a [limits] section"
        )
    allowed = {f.name: f for f in fields(Limits)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in allowed:
            raise CoachError(
                f"config file {path}: unknown key 'limits.{key}'",
                f"the known keys are {', '.join(sorted(allowed))}",
            )
        values[key] = _check_limit(key, value, allowed[key].type, path)
    return Limits(**values)


def _is_number(value: Any, whole: bool) -> bool:
    """bool is rejected even though Python treats it as an int: `true` is not a limit."""
    ok_types: tuple[type, ...] = (int,) if whole else (int, float)
    return isinstance(value, ok_types) and not isinstance(value, bool)


def _check_limit(key: str, value: Any, type_name: Any, path: Path) -> int | float:
    """A limit is a positive number, whole where it counts sessions."""
    whole = type_name in (int, "int")
    if not _is_number(value, whole):
        kind = "a whole number" if whole else "a number"
        raise CoachError(
            f"config file {path}: 'limits.{key}' must be {kind}, not {value!r}",
            f"write e.g. {key} = {getattr(Limits, key)!r}",
        )
    if value <= 0:
        raise CoachError(
            f"config file {path}: 'limits.{key}' must be greater than 0, not {value!r}",
            f"write e.g. {key} = {getattr(Limits, key)!r}",
        )
    return int(value) if whole else float(value)
