"""Never lose a live session: the history row written as it happens, signals that end the set
like q, and the report, files and history saved at the end (each failure one line).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import signal
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from coach.commands.live_input import Clock
from coach.core.exercises import Exercise
from coach.core.report import build_report, nothing_to_judge, text_summary, write_json
from coach.core.session import Session
from coach.errors import EXIT_NOTHING, CoachError, os_cause, write_error

if TYPE_CHECKING:
    from coach.commands.run import LiveLoop, LiveResult


def local_now() -> datetime:
    """Now in the user's own time zone: daily limits count the user's day, not UTC's."""
    return datetime.now().astimezone()


@contextlib.contextmanager
def ending_signals(loop: LiveLoop) -> Iterator[None]:
    """SIGTERM and SIGHUP end the session like q: the loop stops, the report is printed and
    saved. The handlers stay until the report is saved, so a second signal cannot cut it."""

    def handler(signum: int, frame: object) -> None:
        loop.stop_requested = signal.Signals(signum).name

    previous: dict[int, Any] = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is None:
            continue  # Windows has no SIGHUP
        with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class LivePersist:
    """The loop's per-frame hook: writes the session so far about once a second, and at once
    when a rep or event closes. A failing write warns once and the session goes on."""

    PARTIAL_REASON = "the session did not end normally (the process was stopped)"

    def __init__(
        self, recorder: Any, source: str, every_s: float = 1.0, clock: Clock = time.monotonic
    ) -> None:
        self.recorder = recorder
        self.source = source
        self.every_s = every_s
        self.clock = clock
        self._last = -math.inf
        self._counts = (0, 0)
        self.error: BaseException | None = None

    def __call__(self, session: Session, t: float) -> None:
        counts = (len(session.reps), len(session.events))
        now = self.clock()
        if counts == self._counts and now - self._last < self.every_s:
            return
        self._last, self._counts = now, counts
        report = build_report(session, self.source, True, self.PARTIAL_REASON)
        try:
            self.recorder.update(report)
        except (sqlite3.Error, OSError) as exc:
            if self.error is None:
                cause, fix = os_cause(exc)
                print(
                    f"coach: warning: cannot write the history as the session goes ({cause}) — "
                    f"{fix}; carrying on",
                    file=sys.stderr,
                )
            self.error = exc


def start_history(
    args: argparse.Namespace, exercise: Exercise, started_at: datetime
) -> tuple[list[Any], Any]:
    """Daily limits passed (for the report) and the session's history row, written now."""
    if args.no_history:
        return [], None
    from coach.io.config import load_config
    from coach.io.store import LiveRecorder, check_limits

    warnings = check_limits(args.db, exercise.id, started_at, load_config().limits)
    source = args.source or f"camera {args.camera}"
    try:
        recorder = LiveRecorder(
            args.db, exercise.id, source, started_at, forced=bool(args.force and warnings)
        )
    except (sqlite3.Error, OSError) as exc:
        cause, fix = os_cause(exc)
        raise CoachError(
            f"cannot start the session in the history database ({cause})", fix
        ) from None
    return warnings, recorder


def save_result(
    result: LiveResult,
    args: argparse.Namespace,
    warnings: list[Any],
    recorder: Any,
    json_stdout: TextIO | None = None,
) -> int:
    """The JSON report and files first, then the history row: a full disk or a locked
    database loses neither the other. Every failure is one line naming its real cause."""
    source = args.source or f"camera {args.camera}"
    report = build_report(
        result.session,
        source,
        partial=result.partial_reason is not None,
        partial_reason=result.partial_reason,
    )
    report["ended_by"] = result.ended_by
    if warnings and result.session.frames:
        from coach.commands.gate import daily_limit_event

        report["events"].append(daily_limit_event(warnings))
        report["summary"]["safety_events"]["daily_limit"] = 1
    errors = write_files(report, result, args, json_stdout)
    print(text_summary(report))
    if recorder is not None:
        try:
            if result.session.frames:
                recorder.finish(report)
            else:
                recorder.discard()
        except (sqlite3.Error, OSError) as exc:
            cause, fix = os_cause(exc)
            errors.append(CoachError(f"cannot save the session in the history ({cause})", fix))
    for error in errors:
        print(error.line(), file=sys.stderr)
    if errors:
        return 1
    if result.ended_by not in ("pain", "camera_lost") and nothing_to_judge(report):
        return EXIT_NOTHING  # no person was seen: scripts can tell this from a session done
    if result.ended_by == "camera_lost":
        print(
            "coach: error: the camera was lost — check the cable and run again; "
            "the session so far was saved",
            file=sys.stderr,
        )
        return 1
    return 0


def write_files(
    report: dict[str, Any],
    result: LiveResult,
    args: argparse.Namespace,
    json_stdout: TextIO | None,
) -> list[CoachError]:
    """--json and --out; each failed write is an error returned, not raised, so the history
    row is still saved after it."""
    errors: list[CoachError] = []

    def attempt(path: Any, what: str, write: Callable[[], object]) -> bool:
        try:
            write()
        except OSError as exc:
            errors.append(write_error(path, what, exc))
            return False
        if str(path) != "-":
            print(f"  wrote {path}")
        return True

    if args.json:
        attempt(args.json, "report", lambda: write_json(report, args.json, stdout=json_stdout))
    if args.out:
        out = Path(args.out)
        if not attempt(out, "output folder", lambda: out.mkdir(parents=True, exist_ok=True)):
            return errors
        attempt(out / "report.json", "report", lambda: write_json(report, out / "report.json"))
        summary = out / "summary.txt"
        attempt(
            summary,
            "summary",
            lambda: summary.write_text(text_summary(report) + "\n", encoding="utf-8"),
        )
        from coach.ui.session_page import write_live_extras

        try:
            written = write_live_extras(
                out, report, result.session.exercise, result.poses, args.source
            )
        except OSError as exc:
            errors.append(write_error(out, "session page", exc))
        else:
            for p in written:
                print(f"  wrote {p}")
    return errors
