"""`coach history` and the start-of-session gate that `coach run` calls.

The store (history.py) knows what was done; this module turns that into something a person can
read (a table, a plot of progress and over-use) or a script can use (JSON, CSV), and asks before a
session that would pass a daily limit or follow a pain stop.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from coach.core.events import SAFETY_TYPES, WARNING_TYPES, colour, label
from coach.errors import CoachError
from coach.io import store as history
from coach.io.config import Limits, load_config
from coach.io.store import LimitWarning, SessionRecord

EVENT_TYPES = WARNING_TYPES
TABLE_ROWS = 20


# ---------------------------------------------------------------------------------------------
# The gate at the start of `coach run`


def limit_gate(
    db: history.DbPath | None,
    exercise: str,
    now: datetime,
    force: bool,
    ask: Callable[[str], bool],
    say: Callable[[str], None],
    limits: Limits | None = None,
) -> bool:
    """True if the session may start. Gives the pain follow-up, then any daily-limit warnings.

    Each concern is said plainly and then asked about; `force` skips the asking (the caller stores
    the session with forced=True). `limits` defaults to the user's config file.
    """
    followup = history.pain_followup(db, now)
    if followup is not None:
        say(followup.message)
        if force:
            say("Starting because of --force; this is recorded. Stop at once if anything hurts.")
        elif not ask(followup.question):
            say(_decline_after_pain(followup.firm))
            return False
    limits = limits if limits is not None else load_config().limits
    warnings = history.check_limits(db, exercise, now, limits)
    if not warnings:
        return True
    for warning in warnings:
        say(warning.message)
    if force:
        say("Starting anyway because of --force; this session is marked as forced in your history.")
        return True
    if ask("Do you still want to start another session today?"):
        return True
    say("Good call. No session now: rest is part of the exercise.")
    return False


def _decline_after_pain(firm: bool) -> str:
    if firm:
        return (
            "Then please don't start a session. Book an appointment with a doctor or "
            "physiotherapist before you stretch again."
        )
    return (
        "Then please rest and don't stretch while it hurts. If the pain stays or comes back, "
        "see a doctor or physiotherapist."
    )


def daily_limit_event(warnings: Sequence[LimitWarning], t: float = 0.0) -> dict[str, Any]:
    """A report event of type `daily_limit` for a session started past a limit (see DESIGN.md)."""
    if not warnings:
        raise ValueError("daily_limit_event needs at least one warning")
    first = warnings[0]
    return {
        "type": "daily_limit",
        "start_s": t,
        "end_s": t,
        "angle": None,
        "value": float(first.value),
        "limit": float(first.limit),
        "message": " ".join(w.message for w in warnings),
    }


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
    parser.add_argument("--json", action="store_true", help="print the sessions as JSON")
    parser.add_argument(
        "--plot", metavar="FILE.png", help="draw reps, hold quality and safety events per day"
    )
    parser.add_argument("--export", metavar="FILE.csv", help="write one CSV row per session")
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
            raise CoachError(
                "--forget cannot be combined with --json, --plot or --export",
                "run --forget on its own",
            )
        return _forget(path, args.yes, out)
    since = parse_since(args.since, now) if args.since else None
    limit = args.limit
    if limit is not None and limit < 1:
        raise CoachError(f"--limit must be at least 1, not {limit}", "e.g. --limit 20")
    sessions: list[SessionRecord] = []
    if path.exists():
        sessions = history.recent_sessions(path, exercise=args.exercise, since=since, limit=limit)
    notes = out if not args.json else sys.stderr
    if args.export:
        write_csv(sessions, Path(args.export))
        print(f"Wrote {_count(len(sessions), 'session')} to {args.export}", file=notes)
    if args.plot:
        plot_history(sessions, Path(args.plot), load_config().limits)
        print(f"Wrote the plot of {_count(len(sessions), 'session')} to {args.plot}", file=notes)
    if args.json:
        json.dump(sessions_json(sessions, path), out, indent=2)
        out.write("\n")
    elif not (args.export or args.plot):
        filtered = bool(args.exercise or args.since)
        print_table(sessions[: limit or TABLE_ROWS], path, out, filtered)
    return 0


def parse_since(text: str, now: datetime) -> datetime:
    """`YYYY-MM-DD` is local midnight of that day; `Nd` is N days before `now`."""
    match = re.fullmatch(r"\s*(\d+)\s*d\s*", text)
    if match:
        return now - timedelta(days=int(match.group(1)))
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise CoachError(
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


# ---------------------------------------------------------------------------------------------
# Per-session figures shared by the table, CSV and plot


def hold_ratios(session: SessionRecord) -> list[float]:
    """Each rep's hold as a fraction of its target: 1.0 is a full hold."""
    return [
        r.hold_s / r.target_hold_s for r in session.reps if r.hold_s is not None and r.target_hold_s
    ]


def _reps_text(session: SessionRecord) -> str:
    if not session.reps:
        return "0"
    by_side: dict[str, list[bool]] = defaultdict(list)
    for rep in session.reps:
        by_side[rep.side or ""].append(bool(rep.ok))
    parts = [
        f"{(side[:1].upper() + ' ') if side else ''}{sum(oks)}/{len(oks)}"
        for side, oks in sorted(by_side.items())
    ]
    return "  ".join(parts)


def _safety_text(session: SessionRecord) -> str:
    counts = Counter(e.type for e in session.events if e.type in SAFETY_TYPES)
    return ", ".join(f"{label(t)} {counts[t]}" for t in SAFETY_TYPES if counts[t])


def _duration_text(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def print_table(
    sessions: Sequence[SessionRecord], path: Path, out: TextIO, filtered: bool = False
) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    wide = out.isatty() if hasattr(out, "isatty") else False
    console = Console(file=out, highlight=False, width=None if wide else 120)
    if not sessions:
        what = "No sessions match" if filtered else "No sessions recorded yet"
        console.print(Text(f"{what} (history: {path})."))
        return
    table = Table(title="Recent sessions", caption="Reps: held the full time / attempts, per side")
    for name, justify, no_wrap in (
        ("When", "left", True),
        ("Exercise", "left", True),
        ("Kind", "left", False),
        ("Time", "right", True),
        ("Reps", "right", True),
        ("Hold", "right", True),
        ("Safety", "left", False),
        ("Verdict", "left", False),
    ):
        table.add_column(name, justify=justify, no_wrap=no_wrap)  # type: ignore[arg-type]
    for s in sessions:
        ratios = hold_ratios(s)
        flags = [f for f, on in (("partial", s.partial), ("forced", s.forced)) if on]
        safety = _safety_text(s)
        table.add_row(  # Text, not markup: stored strings never become rich markup
            Text(s.started_at.astimezone().strftime("%Y-%m-%d %H:%M")),
            Text(s.exercise),
            Text(" ".join([s.kind, *flags])),
            Text(_duration_text(s.duration_s)),
            Text(_reps_text(s)),
            Text(f"{statistics.median(ratios):.0%}" if ratios else "-"),
            Text(safety or "-", style="bold red" if "pain" in safety else ""),
            Text(s.verdict or "-"),
        )
    console.print(table)


def sessions_json(sessions: Iterable[SessionRecord], path: Path) -> dict[str, Any]:
    return {
        "db": str(path),
        "schema_version": history.SCHEMA_VERSION,
        "sessions": [s.to_dict() for s in sessions],
    }


CSV_FIELDS = (
    "session_id",
    "started_at",
    "local_date",
    "exercise",
    "kind",
    "duration_s",
    "partial",
    "forced",
    "verdict",
    "frames",
    "frames_with_pose",
    "reps",
    "reps_ok",
    "reps_left",
    "reps_right",
    "mean_hold_s",
    "mean_hold_ratio",
    *EVENT_TYPES,
)


def csv_row(s: SessionRecord) -> dict[str, Any]:
    holds = [r.hold_s for r in s.reps if r.hold_s is not None]
    ratios = hold_ratios(s)
    counts = Counter(e.type for e in s.events)
    return {
        "session_id": s.id,
        "started_at": s.started_at.isoformat(),
        "local_date": s.started_at.astimezone().date().isoformat(),
        "exercise": s.exercise,
        "kind": s.kind,
        "duration_s": round(s.duration_s, 2),
        "partial": int(s.partial),
        "forced": int(s.forced),
        "verdict": s.verdict or "",
        "frames": "" if s.frames is None else s.frames,
        "frames_with_pose": "" if s.frames_with_pose is None else s.frames_with_pose,
        "reps": len(s.reps),
        "reps_ok": sum(1 for r in s.reps if r.ok),
        "reps_left": sum(1 for r in s.reps if r.side == "left"),
        "reps_right": sum(1 for r in s.reps if r.side == "right"),
        "mean_hold_s": round(statistics.fmean(holds), 2) if holds else "",
        "mean_hold_ratio": round(statistics.fmean(ratios), 3) if ratios else "",
        **{t: counts[t] for t in EVENT_TYPES},
    }


def write_csv(sessions: Sequence[SessionRecord], path: Path) -> None:
    """One row per session, oldest first, as a spreadsheet expects."""
    try:
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
            writer.writeheader()
            for s in sorted(sessions, key=lambda s: (s.started_at, s.id)):
                writer.writerow(csv_row(s))
    except OSError as exc:
        raise CoachError(f"cannot write {path} ({exc})", "check that the folder exists") from exc


# ---------------------------------------------------------------------------------------------
# The plot

def _by_day(sessions: Iterable[SessionRecord]) -> dict[date, list[SessionRecord]]:
    days: dict[date, list[SessionRecord]] = defaultdict(list)
    for s in sessions:
        days[s.started_at.astimezone().date()].append(s)
    return dict(sorted(days.items()))


def plot_history(sessions: Sequence[SessionRecord], path: Path, limits: Limits) -> None:
    """Four panels over days: time stretched (vs the limit), reps, hold quality, safety events."""
    if not sessions:
        raise CoachError(
            "there are no sessions to plot", "record a session first, or widen --since"
        )
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    days = _by_day(sessions)
    xs = list(days)
    fig = Figure(figsize=(10, 11), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(4, 1, sharex=True)
    _plot_minutes(axes[0], days, limits)
    _plot_reps(axes[1], days)
    _plot_holds(axes[2], days)
    _plot_events(axes[3], days)
    first, last = xs[0], xs[-1]
    _date_axis(axes[-1], first, last)
    span = f"on {first:%d %b %Y}" if first == last else f"{first:%d %b %Y} to {last:%d %b %Y}"
    fig.suptitle(f"Stretching history {span}: {_count(len(sessions), 'session')}", fontsize=14)
    try:
        fig.savefig(path, dpi=100)
    except (OSError, ValueError) as exc:
        raise CoachError(
            f"cannot write the plot {path} ({exc})",
            "use an existing folder and a .png, .pdf or .svg name",
        ) from exc


def _date_axis(ax: Any, first: date, last: date) -> None:
    """Whole days as ticks: hours between days would suggest a precision the plot lacks."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, DateFormatter, DayLocator

    ax.set_xlim(first - timedelta(days=1), last + timedelta(days=1))
    days = (last - first).days + 2
    if days <= 24:
        ax.xaxis.set_major_locator(DayLocator(interval=max(1, days // 8)))
        ax.xaxis.set_major_formatter(DateFormatter("%d %b"))
    else:
        locator = AutoDateLocator(minticks=4, maxticks=10)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _legend(
    ax: Any, bars: Sequence[tuple[str, str]], lines: Sequence[tuple[str, str]] = ()
) -> None:
    """Explicit legend handles: a bar series of mixed colours has no single legend colour."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [Patch(color=colour, label=label) for label, colour in bars]
    handles += [Line2D([], [], color=c, linestyle="--", label=label) for label, c in lines]
    ax.legend(handles=handles, loc="upper left", fontsize=9)


def over_limit(sessions: Sequence[SessionRecord], limits: Limits) -> bool:
    """Whether one day's live sessions went past any daily limit."""
    live = [s for s in sessions if s.kind == "live"]
    per_exercise = Counter(s.exercise for s in live)
    return (
        len(live) > limits.sessions_per_day
        or sum(s.duration_s for s in live) / 60 > limits.minutes_per_day
        or any(n > limits.sessions_per_exercise_per_day for n in per_exercise.values())
    )


def _plot_minutes(ax: Any, days: dict[date, list[SessionRecord]], limits: Limits) -> None:
    xs = list(days)
    live = [sum(s.duration_s for s in v if s.kind == "live") / 60 for v in days.values()]
    scored = [sum(s.duration_s for s in v if s.kind != "live") / 60 for v in days.values()]
    over = [over_limit(v, limits) for v in days.values()]
    colours = ["#ff7f0e" if o else "#1f77b4" for o in over]
    ax.bar(xs, live, width=0.8, color=colours)
    if any(scored):
        ax.bar(xs, scored, width=0.8, bottom=live, color="#aec7e8")
    ax.axhline(limits.minutes_per_day, color="#d62728", linestyle="--")
    entries = [("live sessions", "#1f77b4")]
    entries += [("live, past a daily limit", "#ff7f0e")] if any(over) else []
    entries += [("scored recordings", "#aec7e8")] if any(scored) else []
    _legend(ax, entries, [(f"daily limit ({limits.minutes_per_day:g} min)", "#d62728")])
    totals = [a + b for a, b in zip(live, scored, strict=True)]
    span_days = (xs[-1] - xs[0]).days + 1
    labelled = span_days <= 21  # past three weeks the counts would overlap
    for x, v, total in zip(xs, days.values(), totals, strict=True) if labelled else ():
        ax.annotate(
            f"{len(v)}×",
            (x, total),
            ha="center",
            va="bottom",
            fontsize=9,
            xytext=(0, 2),
            textcoords="offset points",
        )
    ax.set_ylabel("minutes")
    title = "Time stretched per day" + (" (number of sessions above each bar)" if labelled else "")
    ax.set_title(title, loc="left")
    ax.set_ylim(0, max(limits.minutes_per_day, *totals) * 1.25)


def _plot_reps(ax: Any, days: dict[date, list[SessionRecord]]) -> None:
    xs = list(days)
    ok = [sum(1 for s in v for r in s.reps if r.ok) for v in days.values()]
    short = [sum(1 for s in v for r in s.reps if not r.ok) for v in days.values()]
    ax.bar(xs, ok, width=0.8, color="#2ca02c", label="held the full time")
    ax.bar(xs, short, width=0.8, bottom=ok, color="#ffbb78", label="held too short")
    ax.set_ylabel("reps")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title("Reps per day", loc="left")
    ax.legend(loc="upper left", fontsize=9)


def _plot_holds(ax: Any, days: dict[date, list[SessionRecord]]) -> None:
    xs, ys, med_x, med_y = [], [], [], []
    for day, v in days.items():
        ratios = [min(r, 2.0) * 100 for s in v for r in hold_ratios(s)]
        xs += [day] * len(ratios)
        ys += ratios
        if ratios:
            med_x.append(day)
            med_y.append(statistics.median(ratios))
    ax.axhline(100, color="#2ca02c", linestyle="--", label="target hold")
    ax.scatter(xs, ys, s=18, alpha=0.5, color="#1f77b4", label="one rep")
    ax.plot(med_x, med_y, marker="o", color="#08306b", label="daily median")
    ax.set_ylabel("% of target hold")
    ax.set_ylim(0, 210)
    ax.set_title("Hold quality: time held against the target", loc="left")
    ax.legend(loc="lower left", fontsize=9)


def _plot_events(ax: Any, days: dict[date, list[SessionRecord]]) -> None:
    xs = list(days)
    bottom = [0] * len(xs)
    for kind in SAFETY_TYPES:
        counts = [sum(s.event_count(kind) for s in v) for v in days.values()]
        if any(counts):
            ax.bar(
                xs,
                counts,
                width=0.8,
                bottom=bottom,
                color=colour(kind),
                label=label(kind),
            )
            bottom = [a + b for a, b in zip(bottom, counts, strict=True)]
    if not any(bottom):
        ax.text(
            0.5,
            0.5,
            "no safety events",
            transform=ax.transAxes,
            ha="center",
            va="center",
            color="#2ca02c",
            fontsize=12,
        )
    else:
        ax.legend(loc="upper left", fontsize=9)
    ax.set_ylabel("events")
    ax.set_ylim(0, max([*bottom, 1]) * 1.25)
    ax.set_title(
        "Safety events per day (pain stops in red: see a professional if they recur)", loc="left"
    )
    ax.yaxis.get_major_locator().set_params(integer=True)
