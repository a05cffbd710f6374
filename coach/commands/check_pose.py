"""`coach check-pose FILE...`: is this exercise definition one coach will load?

Exit 0 when every file is valid, 1 when any is not, with one line per bad file naming the file,
the key and the fix: the same check coach makes when it loads your folder.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from coach.core.exercises import Exercise
from coach.errors import CoachError
from coach.io.poses import builtin_entries, load_exercise_file, user_dir


def check_file(path: Path) -> Exercise:
    """The exercise in `path`, or a CoachError saying what to fix."""
    if path.suffix != ".toml":
        raise CoachError(
            f"{path}: coach loads only .toml files", "rename it to ID.toml (ID = its id)"
        )
    return load_exercise_file(path)


def _note(ex: Exercise, path: Path, builtin_ids: set[str]) -> str:
    angles = ", ".join(a.name for a in ex.angles)
    line = f"{path}: ok — '{ex.id}' ({ex.name}), angles: {angles}"
    if ex.id in builtin_ids:
        line += f"; it replaces the built-in '{ex.id}'"
    if path.resolve().parent != user_dir().resolve():
        line += f"; to use it, copy it into {user_dir()} or pass --poses {path.parent}"
    return line


def check_pose_command(files: Sequence[str]) -> int:
    builtin_ids = set(builtin_entries())
    failed = 0
    for name in files:
        path = Path(name)
        try:
            ex = check_file(path)
        except CoachError as exc:
            failed += 1
            print(exc.line(), file=sys.stderr)
            continue
        print(_note(ex, path, builtin_ids))
    return 1 if failed else 0
