"""The user config: defaults when absent, loud errors for typos that would switch a limit off."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.errors import CoachError
from coach.io.config import Limits, config_path, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_the_default_limits(tmp_path: Path) -> None:
    config = load_config(tmp_path / "absent.toml")
    assert config.limits == Limits(3, 6, 30.0)
    assert config.path is None


def test_limits_are_read_from_the_limits_table(tmp_path: Path) -> None:
    path = write(tmp_path, "[limits]\nsessions_per_exercise_per_day = 2\nminutes_per_day = 20\n")
    config = load_config(path)
    assert config.limits == Limits(sessions_per_exercise_per_day=2, minutes_per_day=20.0)
    assert config.path == path


def test_env_var_overrides_the_platform_folder(tmp_path: Path) -> None:
    path = write(tmp_path, "[limits]\nsessions_per_day = 4\n")
    assert config_path({"COACH_CONFIG": str(path)}) == path
    assert load_config(env={"COACH_CONFIG": str(path)}).limits.sessions_per_day == 4


def test_platform_folder_is_used_without_the_env_var(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("platformdirs.user_config_dir", lambda app: str(tmp_path / app))
    assert config_path({}) == tmp_path / "coach" / "config.toml"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[limits]\nsessions_per_dya = 4\n", ["limits.sessions_per_dya", "known keys"]),
        ("[limit]\nsessions_per_day = 4\n", ["'limit'", "[limits]"]),
        ('[limits]\nsessions_per_day = "4"\n', ["limits.sessions_per_day", "whole number"]),
        ("[limits]\nsessions_per_day = 2.5\n", ["limits.sessions_per_day", "whole number"]),
        ("[limits]\nminutes_per_day = true\n", ["limits.minutes_per_day", "a number"]),
        ("[limits]\nminutes_per_day = 0\n", ["limits.minutes_per_day", "greater than 0"]),
        ("limits = 3\n", ["'limits' must be a table"]),
        ("[limits\n", ["not valid TOML"]),
    ],
)
def test_bad_config_names_the_file_the_key_and_a_fix(
    tmp_path: Path, text: str, words: list[str]
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(CoachError) as info:
        load_config(path)
    assert str(path) in info.value.problem
    for word in words:
        assert word in info.value.line()
    assert info.value.fix
