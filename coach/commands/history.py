"""`coach history`: past sessions as a table, JSON, CSV or a plot; `--forget` deletes them.

The store (io/store.py) knows what was done; the views (ui/history_view.py) make it readable;
the start-of-session gate that `coach run` calls is commands/gate.py.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from coach.core.limits import count_text
from coach.core.records import SessionRecord
from coach.errors import UsageError, write_error
from coach.io import store as history
from coach.io.config import load_config
from coach.ui.history_view import plot_history, print_table, sessions_json, write_csv

TABLE_ROWS = 20


# ---------------------------------------------------------------------------------------------
# `coach history`


def add_history_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `coach history` flags to a (sub)parser."""
    parser.add_argument(
        "--db",
        metavar="PATH",
        help=f"history database (default: ${history.ENV_VAR} or the user data folder)",
    )
    parser.add_argument("--exercise", metavar="NAME", help="only sessions of this exercise")
    parser.add_argument(
        "--since",
        metavar="WHEN",
        help="only sessions since a date (YYYY-MM-DD) or the last N days (7d)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help=f"at most N sessions, newest first (table default: {TABLE_ROWS})",
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="PATH",
        help="the sessions as JSON: alone or with '-' on standard output, else into PATH",
    )
    parser.add_argument(
        "--plot", metavar="FILE.png", help="draw reps, hold quality and safety events per day"
    )
    parser.add_argument("--export", metavar="FILE.csv", help="write one CSV row per session")
    parser.add_argument("--html", metavar="FILE.html", help="write a progress page over days")
    parser.add_argument(
        "--forget", action="store_true", help="delete the whole history (asks first)"
    )
    parser.add_argument("--yes", action="store_true", help="with --forget: do not ask")


def history_command(
    args: argparse.Namespace, out: TextIO | None = None, now: datetime | None = None
) -> int:
    """Run `coach history` with parsed arguments; returns the exit status."""
    out = out or sys.stdout
    now = now or datetime.now().astimezone()
    path = history.resolve_db_path(args.db)
    if args.forget:
        if args.json or args.plot or args.export:
            raise UsageError(
                "--forget cannot be combined with --json, --plot or --export",
                "run --forget on its own",
            )
        return _forget(path, args.yes, out)
    since = parse_since(args.since, now) if args.since else None
    limit = args.limit
    if limit is not None and limit < 1:
        raise UsageError(f"--limit must be at least 1, not {limit}", "e.g. --limit 20")
    sessions: list[SessionRecord] = []
    if path.exists():
        sessions = history.recent_sessions(path, exercise=args.exercise, since=since, limit=limit)
    notes = out if args.json != "-" else sys.stderr
    if args.export:
        write_csv(sessions, Path(args.export))
        print(f"Wrote {count_text(len(sessions), 'session')} to {args.export}", file=notes)
    if args.plot:
        plot_history(sessions, Path(args.plot), load_config().limits)
        what = count_text(len(sessions), "session")
        print(f"Wrote the plot of {what} to {args.plot}", file=notes)
    if getattr(args, "html", None):
        from coach.io.poses import load_all
        from coach.ui.progress_page import write_progress_page

        write_progress_page(args.html, sessions, load_config().limits, load_all())
        n = count_text(len(sessions), "session")
        print(f"Wrote the progress page of {n} to {args.html}", file=notes)
    if args.json:
        _write_json(sessions_json(sessions, path), args.json, out, notes)
    elif not (args.export or args.plot or getattr(args, "html", None)):
        filtered = bool(args.exercise or args.since)
        print_table(sessions[: limit or TABLE_ROWS], path, out, filtered)
    return 0


def _write_json(data: object, where: str, out: TextIO, notes: TextIO) -> None:
    """`--json` alone or `--json -`: standard output; `--json PATH`: that file."""
    text = json.dumps(data, indent=2) + "\n"
    if where == "-":
        out.write(text)
        return
    try:
        Path(where).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise write_error(where, "sessions JSON", exc) from None
    print(f"Wrote the sessions as JSON to {where}", file=notes)


def parse_since(text: str, now: datetime) -> datetime:
    """`YYYY-MM-DD` is local midnight of that day; `Nd` is N days before `now`."""
    match = re.fullmatch(r"\s*(\d+)\s*d\s*", text)
    if match:
        return now - timedelta(days=int(match.group(1)))
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"--since must be a date like 2024-05-01 or a number of days like 7d, not {text!r}",
            "e.g. --since 7d",
        ) from None
    return datetime(day.year, day.month, day.day, tzinfo=now.tzinfo)


def _forget(path: Path, yes: bool, out: TextIO) -> int:
    copies = sorted(path.parent.glob(f"{path.name}.corrupt-*")) if path.parent.exists() else []
    if not path.exists() and not copies:
        print(f"Nothing to forget: there is no history at {path}.", file=out)
        return 0
    count = len(history.recent_sessions(path)) if path.exists() else 0
    extra = f" and {len(copies)} set-aside damaged copies" if copies else ""
    question = f"Delete all {count} sessions in {path}{extra}? This cannot be undone. [y/N] "
    if not yes and not _confirm(question, out):
        print("Nothing deleted.", file=out)
        return 1
    if path.exists():
        history.forget_all(path)
    for copy in copies:
        copy.unlink(missing_ok=True)
    print(f"Deleted {count} sessions{extra}.", file=out)
    return 0


def _confirm(question: str, out: TextIO) -> bool:
    out.write(question)
    out.flush()
    answer = sys.stdin.readline()  # "" at end of input: treated as no
    return answer.strip().lower() in ("y", "yes")
