"""The built-in exercise definitions, one TOML file per stretch.

This folder ships inside the package as `coach.poses` (see pyproject.toml) and is read with
importlib.resources, so a wheel or pipx install finds it wherever it lands.
"""
