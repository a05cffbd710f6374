"""Every report a test makes is checked against the JSON Schema that ships in the package."""

from __future__ import annotations

from typing import Any

import pytest

from coach.core import report as report_module

_original_report_json = report_module.report_json


def validate_report(report: Any) -> None:
    """Raise if `report` does not follow the shipped schema (after NaN became null)."""
    import json

    import jsonschema

    data = json.loads(_original_report_json(report))
    jsonschema.validate(data, report_module.report_schema())


@pytest.fixture(autouse=True)
def _reports_follow_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    def checked(report: dict[str, Any]) -> str:
        validate_report(report)
        return _original_report_json(report)

    monkeypatch.setattr(report_module, "report_json", checked)
