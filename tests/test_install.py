"""Installing coach the ways people do: a wheel (not editable) and an editable install.

Each builds with pip (the build backend comes from the package index), installs into a fresh
virtualenv that borrows only the third-party dependencies of the running one, and runs coach
from a folder far from the checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _run(*argv: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COACH_POSES")}
    if cwd is not None:
        env |= {"COACH_DB": str(cwd / "h.sqlite3"), "XDG_CONFIG_HOME": str(cwd / "config")}
    return subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, cwd=cwd, env=env, timeout=600
    )


def _pip(*argv: str | Path) -> None:
    result = _run(sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *argv)
    if result.returncode != 0:
        pytest.skip(f"pip could not build or install (no package index?): {result.stderr[-300:]}")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _pip("wheel", ROOT, "--no-deps", "-w", out)
    (whl,) = out.glob("coach-*.whl")
    return whl


def _fresh_venv(where: Path) -> Path:
    """A venv whose own site-packages comes first; the running env's packages only behind it."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", where], check=True)
    py = where / "bin" / "python"
    site = _run(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    Path(site.stdout.strip(), "deps-from-test-runner.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )
    return py


def test_the_wheel_holds_every_module_and_every_builtin_pose(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for src in (ROOT / "coach").rglob("*.py"):
        assert src.relative_to(ROOT).as_posix() in names, f"{src} is missing from the wheel"
    poses = sorted(p.name for p in (ROOT / "poses").glob("*.toml"))
    assert len(poses) == 6
    for name in poses:
        assert f"coach/poses/{name}" in names
    assert "coach/core/report_schema.json" in names  # the report's JSON Schema ships too


def test_the_installed_wheel_lists_shows_and_scores_from_another_folder(wheel: Path, tmp_path):
    py = _fresh_venv(tmp_path / "venv")
    _pip("--python", py, "install", "--no-deps", wheel)
    away = tmp_path / "elsewhere"
    away.mkdir()
    where = _run(py, "-c", "import coach.io.poses as p; print(p.builtin_dir())", cwd=away)
    assert str(tmp_path / "venv") in where.stdout, where.stderr  # package data, not the checkout
    version = _run(tmp_path / "venv" / "bin" / "coach", "--version", cwd=away)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert version.stdout.strip() == f"coach {pyproject['project']['version']}", version.stderr
    listed = _run(tmp_path / "venv" / "bin" / "coach", "list", cwd=away)
    assert listed.returncode == 0, listed.stderr
    for ex_id in ("seated-twist", "knees-to-chest", "chair-back-extension"):
        assert ex_id in listed.stdout
    shown = _run(py, "-m", "coach", "show", "seated-twist", cwd=away)
    assert shown.returncode == 0 and "Seated floor twist" in shown.stdout, shown.stderr
    sample = ROOT / "samples" / "seated-twist-good.landmarks.jsonl"
    scored = _run(py, "-m", "coach", "score", sample, "--json", away / "r.json", "-q", cwd=away)
    assert scored.returncode == 0, scored.stderr
    assert json.loads((away / "r.json").read_text())["exercise"] == "seated-twist"


def test_an_editable_install_still_finds_the_poses(tmp_path):
    py = _fresh_venv(tmp_path / "venv")
    _pip("--python", py, "install", "--no-deps", "-e", ROOT)
    away = tmp_path / "elsewhere"
    away.mkdir()
    probe = (
        "import importlib.resources, coach.io.poses as p;"
        "print(importlib.resources.files('coach.poses').joinpath('seated-twist.toml').is_file());"
        "print(p.builtin_dir())"
    )
    result = _run(py, "-c", probe, cwd=away)
    assert result.stdout.split() == ["True", str(ROOT / "poses")], result.stderr
    listed = _run(py, "-m", "coach", "list", cwd=away)
    assert listed.returncode == 0 and "knees-to-chest" in listed.stdout, listed.stderr
