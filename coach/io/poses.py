"""Where exercise definitions come from: the built-ins, the user's folder, COACH_POSES, --poses.

The built-ins ship inside the package (`coach.poses`, read with importlib.resources) so a wheel,
pipx or `pip install .` finds them wherever the package lands. Your own folders *add to* them, in
this order, a later file with the same id replacing an earlier one: the user config folder
(`platformdirs.user_config_dir("coach")/poses`), then every folder in COACH_POSES (separated by
os.pathsep), then every `--poses DIR`. A bad file in your folders is one warning line naming the
file, the key and the fix, and is skipped, so the built-ins keep working. The core only parses;
this module finds and reads.
"""

from __future__ import annotations

import importlib.resources
import multiprocessing
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path

import platformdirs

import coach
from coach.core.exercises import Exercise, parse_exercise_text
from coach.errors import CoachError, UsageError

APP_NAME = "coach"
ENV = "COACH_POSES"
BUILTIN = "built-in"

_warned: set[str] = set()


def user_dir() -> Path:
    """The folder for your own stretches (it need not exist)."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "poses"


def env_dirs() -> list[Path]:
    """The folders named in COACH_POSES, in order (empty entries ignored)."""
    raw = os.environ.get(ENV, "")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]


def add_folders(folders: Iterable[str | Path]) -> None:
    """Add `--poses` folders for this process and every process it starts.

    They go into COACH_POSES (after what is already there) because `coach score` judges in
    spawned worker processes, which inherit the environment and nothing else.
    """
    extra = [str(Path(f).expanduser()) for f in folders]
    if extra:
        os.environ[ENV] = os.pathsep.join([str(p) for p in env_dirs()] + extra)


def builtin_root() -> Traversable:
    """The built-in definitions: the package data, or poses/ beside coach/ in a source checkout.

    A checkout run without installing (PYTHONPATH=.) has no `coach.poses` package to import, and
    an editable install of another checkout could answer for it, so the checkout's own folder
    comes first where it is one.
    """
    top = Path(coach.__file__).resolve().parent.parent
    if (top / "pyproject.toml").is_file() and (top / "poses" / "__init__.py").is_file():
        return top / "poses"
    return importlib.resources.files("coach.poses")


def builtin_dir() -> Path:
    """The built-in folder as a file-system path (it is one in every normal install)."""
    return Path(str(builtin_root()))


@dataclass(frozen=True)
class Entry:
    exercise: Exercise
    origin: str  # BUILTIN or the file it was read from
    replaces: str | None = None  # the origin of the definition this one replaced


@dataclass(frozen=True)
class Catalog:
    entries: dict[str, Entry]
    problems: tuple[str, ...] = field(default=())  # one line per skipped file or folder

    @property
    def exercises(self) -> dict[str, Exercise]:
        """Every exercise by id, in the guide's order (your additions after)."""
        ordered = sorted(self.entries.values(), key=lambda e: e.exercise.seed_step)
        return {e.exercise.id: e.exercise for e in ordered}


def builtin_entries() -> dict[str, Entry]:
    root = builtin_root()
    entries: dict[str, Entry] = {}
    for item in sorted(root.iterdir(), key=lambda t: t.name):
        if not item.name.endswith(".toml"):
            continue
        label = Path(str(item)) if isinstance(item, Path) else Path("coach/poses") / item.name
        ex = parse_exercise_text(item.read_text(encoding="utf-8"), label)
        entries[ex.id] = Entry(ex, BUILTIN)
    if not entries:
        raise CoachError(
            "coach's built-in exercise definitions are missing from this install",
            "reinstall coach (pip install --force-reinstall coach)",
        )
    return entries


def folders() -> list[tuple[Path, bool]]:
    """Your folders in loading order, each with whether it was asked for by name."""
    return [(user_dir(), False)] + [(d, True) for d in env_dirs()]


def build_catalog() -> Catalog:
    """The built-ins plus your folders; a bad file of yours is a problem line, not a failure."""
    entries = builtin_entries()
    problems: list[str] = []
    for folder, named in folders():
        if not folder.is_dir():
            if named:
                problems.append(f"{ENV} names {folder}, which is not a folder — fix or unset {ENV}")
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                ex = load_exercise_file(path)
            except CoachError as exc:
                problems.append(
                    f"{exc.problem} — {exc.fix}; skipped this file"
                    if exc.fix
                    else f"{exc.problem}; skipped this file"
                )
                continue
            before = entries.get(ex.id)
            entries[ex.id] = Entry(ex, str(path), before.origin if before else None)
    return Catalog(entries, tuple(problems))


def _in_main_process() -> bool:
    return multiprocessing.parent_process() is None


def warn(problems: Iterable[str]) -> None:
    """Each problem once per run, on stderr; worker processes leave it to the main one."""
    if not _in_main_process():
        return
    for line in problems:
        if line not in _warned:
            _warned.add(line)
            print(f"coach: warning: {line}", file=sys.stderr)


def catalog() -> Catalog:
    """The catalog, its problems reported (once) on stderr."""
    cat = build_catalog()
    warn(cat.problems)
    return cat


# ----- loading ----------------------------------------------------------------------------
def load_exercise_file(path: str | Path) -> Exercise:
    """One pose file, read and validated; a missing or unreadable file is one clear line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CoachError(f"{p}: no such exercise file", "check the path") from None
    except IsADirectoryError:
        raise CoachError(f"{p}: is a folder, not an exercise file", "name a .toml file") from None
    except UnicodeDecodeError:
        raise CoachError(f"{p}: is not a text file", "save it as UTF-8 TOML") from None
    return parse_exercise_text(text, p)


def load_all(directory: Path | None = None) -> dict[str, Exercise]:
    """Every exercise by id: the built-ins plus your folders, or only `directory` when given."""
    if directory is None:
        return catalog().exercises
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise CoachError(f"no exercise definitions (*.toml) in {directory}", "check the folder")
    exercises = [load_exercise_file(f) for f in files]
    return {e.id: e for e in sorted(exercises, key=lambda e: e.seed_step)}


def load_exercise(exercise_id: str, directory: Path | None = None) -> Exercise:
    exercises = load_all(directory)
    if exercise_id not in exercises:
        raise UsageError(
            f"unknown exercise '{exercise_id}'",
            f"use one of: {', '.join(exercises)} (see `coach list`)",
        )
    return exercises[exercise_id]
