"""The one error type a user sees: what is wrong, and what to do about it."""

from __future__ import annotations


class CoachError(Exception):
    """A problem with the user's input or machine, reported as one line without a traceback."""

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    def line(self) -> str:
        return f"coach: error: {self.problem}" + (f" — {self.fix}" if self.fix else "")
