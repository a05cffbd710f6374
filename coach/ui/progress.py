"""Progress bars per input and overall (rich), quiet when not a terminal, and the final table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table


class ProgressDisplay:
    """One bar per input plus an overall bar of frames; does nothing when disabled."""

    def __init__(self, names: list[str], enabled: bool) -> None:
        self.enabled = enabled
        self._totals: dict[str, int] = {}
        self._done: dict[str, int] = {}
        self._tasks: dict[str, TaskID] = {}
        self._progress: Progress | None = None
        self._overall: TaskID | None = None
        if enabled:
            self._progress = Progress(
                TextColumn("{task.description}", justify="left"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[fps]:>6.1f} fps"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            if len(names) > 1:
                self._overall = self._progress.add_task("all inputs", total=None, fps=0.0)
            for name in names:
                short = name if len(name) < 40 else "…" + name[-39:]
                self._tasks[name] = self._progress.add_task(escape(short), total=None, fps=0.0)

    def __enter__(self) -> ProgressDisplay:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def callback(self, name: str) -> Callable[[int, int], None]:
        return lambda done, total: self.update(name, done, total)

    def update(self, name: str, done: int, total: int) -> None:
        self._done[name], self._totals[name] = done, total
        if self._progress is None:
            return
        task = self._tasks[name]
        self._progress.update(task, completed=done, total=total)
        speed = self._progress.tasks[task].speed or 0.0
        self._progress.update(task, fps=speed)
        if self._overall is not None:
            all_done = sum(self._done.values())
            self._progress.update(
                self._overall, completed=all_done, total=sum(self._totals.values()) or None
            )
            overall_speed = self._progress.tasks[self._overall].speed or 0.0
            self._progress.update(self._overall, fps=overall_speed)

    def finish(self, name: str, failed: bool) -> None:
        if self._progress is None:
            return
        task = self._tasks[name]
        total = self._totals.get(name) or 1
        self._progress.update(
            task, completed=total, total=total, description=("✗ " if failed else "✓ ") + name[-39:]
        )


class BatchBar:
    """One bar for a whole batch on any number of machines: recordings done, frames a second
    posed across them all, failures. Does nothing when disabled (not a terminal)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self._start = 0.0
        self._progress: Progress | None = None
        if enabled:
            self._progress = Progress(
                TextColumn("recordings"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[fps]:>7.1f} frames/s"),
                TextColumn("{task.fields[failed]} failed"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
            )
            self._task = self._progress.add_task("batch", total=total, fps=0.0, failed=0)

    def __enter__(self) -> BatchBar:
        import time

        self._start = time.perf_counter()
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, done: int, frames: int, failed: int) -> None:
        if self._progress is None:
            return
        import time

        elapsed = max(1e-6, time.perf_counter() - self._start)
        self._progress.update(self._task, completed=done, fps=frames / elapsed, failed=failed)


def print_table(outcomes: list[Any]) -> None:
    """The final table of a batch: one row per input, failures named with their reason."""
    table = Table(title="coach score")
    for col in ("input", "exercise", "reps", "ok", "safety", "verdict", "time"):
        table.add_column(col)
    for o in outcomes:
        rep = o.report or {}
        summary = rep.get("summary", {})
        safety = sum((summary.get("safety_events") or {}).values())
        verdict = (
            summary.get("verdict", "") if not o.error else "error: " + o.error.split(": ", 1)[-1]
        )
        table.add_row(  # file names and reasons are text, not rich markup: "[red]" stays
            escape(Path(o.input).name),
            str(o.exercise or "-"),
            str(summary.get("reps_total", "-")),
            str(summary.get("reps_ok", "-")),
            str(safety if rep else "-"),
            escape(verdict),
            f"{o.seconds:.1f}s",
        )
    Console().print(table)
