"""Your own stretches add to the built-ins: user folder, COACH_POSES, --poses, check-pose."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import SEED_IDS

from coach.io import poses

ROOT = Path(__file__).resolve().parents[1]
SIX = set(SEED_IDS)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user config folder and no COACH_POSES, so the machine's own files do not count."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("COACH_POSES", raising=False)
    return tmp_path


def _twist_text(**changes: str) -> str:
    text = (poses.builtin_dir() / "seated-twist.toml").read_text()
    for key, value in changes.items():
        text, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text, count=1)
        assert n == 1, key
    return text


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def coach(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "COACH_DB": str(cwd / "h.sqlite3"), **env}
    full.setdefault("XDG_CONFIG_HOME", str(cwd / "config"))
    if "COACH_POSES" not in env:
        full.pop("COACH_POSES", None)
    return subprocess.run(
        [sys.executable, "-m", "coach", *args], capture_output=True, text=True, cwd=cwd, env=full
    )


def test_the_six_builtins_load_with_no_user_folder(home):
    cat = poses.build_catalog()
    assert set(cat.entries) == SIX
    assert all(e.origin == poses.BUILTIN for e in cat.entries.values())
    assert cat.problems == ()


def test_a_user_file_adds_a_stretch_and_one_with_a_builtin_id_replaces_it(home):
    user = poses.user_dir()
    assert str(home / "config") in str(user)
    _write(user, "seated-twist.toml", _twist_text(hold_s="12"))
    _write(user, "my-twist.toml", _twist_text(id='"my-twist"', seed_step="7"))
    cat = poses.build_catalog()
    assert set(cat.entries) == SIX | {"my-twist"}
    assert cat.entries["seated-twist"].exercise.hold_s == 12
    assert cat.entries["seated-twist"].replaces == poses.BUILTIN
    assert cat.entries["my-twist"].replaces is None
    assert list(cat.exercises)[-1] == "my-twist"  # after the guide's six


def test_a_bad_user_file_is_one_problem_naming_file_key_and_fix_and_is_skipped(home):
    bad = _write(poses.user_dir(), "seated-twist.toml", _twist_text(hold_s='"long"'))
    cat = poses.build_catalog()
    assert set(cat.entries) == SIX
    assert cat.entries["seated-twist"].origin == poses.BUILTIN  # the built-in still works
    (problem,) = cat.problems
    assert str(bad) in problem and "'hold_s'" in problem and "skipped" in problem


def test_coach_poses_and_later_folders_add_in_order(home, monkeypatch):
    a = home / "a"
    b = home / "b"
    _write(a, "seated-twist.toml", _twist_text(hold_s="8"))
    _write(b, "seated-twist.toml", _twist_text(hold_s="9"))
    monkeypatch.setenv("COACH_POSES", str(a))
    poses.add_folders([b])
    assert poses.env_dirs() == [a, b]
    entry = poses.build_catalog().entries["seated-twist"]
    assert entry.exercise.hold_s == 9 and entry.replaces == str(a / "seated-twist.toml")


def test_a_coach_poses_folder_that_does_not_exist_is_a_warning_not_a_failure(home, monkeypatch):
    monkeypatch.setenv("COACH_POSES", str(home / "gone"))
    cat = poses.build_catalog()
    assert set(cat.entries) == SIX
    assert len(cat.problems) == 1 and "COACH_POSES" in cat.problems[0]


def test_list_says_which_stretch_is_yours_and_what_it_replaces(tmp_path):
    mine = tmp_path / "mine"
    _write(mine, "seated-twist.toml", _twist_text(hold_s="12"))
    result = coach("list", "--poses", str(mine), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"seated-twist: yours, from {mine / 'seated-twist.toml'} (replaces the built-in)" in (
        result.stdout.replace("\n", "")
    )


def test_a_bad_file_in_poses_is_one_warning_line_and_show_still_works(tmp_path):
    mine = tmp_path / "mine"
    bad = _write(mine, "seated-twist.toml", _twist_text(view='"top"'))
    result = coach("--poses", str(mine), "show", "seated-twist", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and "'view'" in lines[0]
    assert "use one of: side, front" in lines[0]


def test_poses_reaches_the_scoring_workers(tmp_path):
    mine = tmp_path / "mine"
    _write(mine, "my-twist.toml", _twist_text(id='"my-twist"', seed_step="7"))
    sample = ROOT / "samples" / "seated-twist-good.landmarks.jsonl"
    out = tmp_path / "r.json"
    result = coach(
        "score", str(sample), "-e", "my-twist", "--poses", str(mine), "--json", str(out),
        "--no-history", "-q", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert '"exercise": "my-twist"' in out.read_text()


def test_poses_must_name_a_folder(tmp_path):
    result = coach("list", "--poses", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert result.returncode == 2 and "is not a folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_pose_passes_a_valid_file_and_says_it_replaces_a_builtin(tmp_path):
    good = _write(tmp_path / "p", "seated-twist.toml", _twist_text())
    result = coach("check-pose", str(good), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout and "replaces the built-in 'seated-twist'" in result.stdout


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("seated-twist.toml", _twist_text(hold_s='"long"'), ["'hold_s'", "must be a number"]),
        ("other.toml", _twist_text(), ["'id'", 'set id = "other"']),
        ("seated-twist.toml", "id = [", ["not valid TOML"]),
        ("seated-twist.txt", _twist_text(), ["only .toml", "rename"]),
    ],
)
def test_check_pose_fails_with_one_line_naming_the_problem(tmp_path, name, text, words):
    path = _write(tmp_path / "p", name, text)
    good = _write(tmp_path / "q", "seated-twist.toml", _twist_text())
    result = coach("check-pose", str(good), str(path), cwd=tmp_path)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert str(path) in line and "Traceback" not in result.stderr
    for w in words:
        assert w in line


def test_check_pose_on_a_missing_file(tmp_path):
    result = coach("check-pose", str(tmp_path / "nope.toml"), cwd=tmp_path)
    assert result.returncode == 1 and "no such exercise file" in result.stderr


def test_python_dash_m_coach_and_version_agree_with_the_project(tmp_path):
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    result = coach("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"coach {version}"


def _readme_example() -> tuple[str, str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Add your own stretch", 1)[1].split("\n## ", 1)[0]
    (toml,) = re.findall(r"```toml\n(.*?)```", section, re.S)
    (name,) = re.findall(r"Save it as `([\w-]+\.toml)`", section)
    return name, toml


def test_the_readme_example_passes_check_pose_and_is_listed(tmp_path):
    name, text = _readme_example()
    path = _write(tmp_path / "mine", name, text)
    checked = coach("check-pose", str(path), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    listed = coach("list", "--poses", str(path.parent), cwd=tmp_path)
    assert listed.returncode == 0 and listed.stderr == ""
    assert f"{path.stem}: yours, from {path}" in listed.stdout.replace("\n", "")
