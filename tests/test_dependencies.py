"""Every declared dependency is imported by coach, and every third-party import is declared."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
# Imported, but brought in by a declared dependency on purpose (see pyproject.toml).
BROUGHT_BY = {"cv2": "mediapipe"}


def _declared() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    return {r.name.lower(): r for r in reqs}


def _third_party_imports() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "coach").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "coach"}


def _dists_of(module: str) -> set[str]:
    """Distributions that provide `module`; one not installed here (a dependency for other
    platforms only) is taken to be named like its module."""
    return {d.lower() for d in packages_distributions().get(module, [])} or {module.lower()}


def test_every_declared_dependency_is_imported_somewhere():
    imported = set()
    for module in _third_party_imports():
        imported |= _dists_of(module)
    for name in _declared():
        assert name in imported, f"{name} is declared in pyproject.toml but coach never imports it"


def _optional() -> dict[str, Requirement]:
    """Extras that users opt into (not dev tools): their imports must be declared there."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [
        Requirement(r) for k, v in extras["optional-dependencies"].items() if k != "dev" for r in v
    ]
    return {r.name.lower(): r for r in reqs}


def test_every_third_party_import_is_declared():
    declared = {**_declared(), **_optional()}
    for module in _third_party_imports():
        if module in BROUGHT_BY:
            assert BROUGHT_BY[module] in declared
            needed = {Requirement(r).name.lower() for r in requires(BROUGHT_BY[module]) or []}
            assert _dists_of(module) & needed, f"{module} is not brought by {BROUGHT_BY[module]}"
            continue
        assert _dists_of(module) & set(declared), f"coach imports {module} but does not declare it"


def test_pyttsx3_is_only_required_where_coach_uses_it():
    marker = _declared()["pyttsx3"].marker
    assert marker is not None
    assert marker.evaluate({"sys_platform": "darwin"})
    assert marker.evaluate({"sys_platform": "win32"})
    assert not marker.evaluate({"sys_platform": "linux"})
    audio = (ROOT / "coach" / "voice" / "audio.py").read_text()
    assert 'if sys.platform in ("darwin", "win32"):' in audio  # the only road to pyttsx3
