"""`coach simulate` and `python -m coach.sim`: one set of flags, one command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from coach.errors import CoachError, UsageError
from coach.sim.script import PROFILES, SCENARIOS, Scenario


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags, shared by `coach simulate` and `python -m coach.sim`."""
    parser.add_argument("--exercise", "-e", required=True, choices=sorted(PROFILES))
    parser.add_argument(
        "--scenario", default="good", help=f"one of {', '.join(SCENARIOS)}, or faults joined by '+'"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", required=True, metavar="PATH.landmarks.jsonl", help="truth is written beside it"
    )
    parser.add_argument("--fps", default="30", help="frames a second, or 'variable'")
    parser.add_argument("--reps", type=int, default=None, help="reps per side")
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the 'still' scenario")
    parser.add_argument("--compact", action="store_true", help="round coordinates for small files")


def _scenario(args: argparse.Namespace) -> Scenario:
    if args.fps == "variable":
        fps: float | str = "variable"
    else:
        try:
            fps = float(args.fps)
        except ValueError:
            fps = -1.0
        if not fps > 0:
            raise UsageError(
                f"--fps {args.fps!r} is not a frame rate", "give a positive number or 'variable'"
            )
    try:
        return Scenario.named(
            args.scenario, fps=fps, reps_per_side=args.reps, still_s=args.minutes * 60.0
        )
    except ValueError as exc:
        raise UsageError(str(exc), "pick a scenario from the list") from None


def simulate_command(args: argparse.Namespace) -> int:
    """Generate one session, write the landmark file and its truth, say where."""
    from coach.sim.generator import simulate, write_session

    sc = _scenario(args)
    frames, truth = simulate(args.exercise, sc, args.seed)
    try:
        side = write_session(args.out, frames, truth, compact=args.compact)
    except OSError as exc:
        raise CoachError(
            f"{args.out}: cannot write ({exc.strerror})", "check the folder exists"
        ) from None
    print(
        f"{args.out}: {len(frames)} frames, {len(truth['reps'])} reps, "
        f"{len(truth['events'])} events; truth in {side}"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="coach simulate", description="Generate a landmark session and its truth."
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return simulate_command(args)
    except CoachError as exc:
        print(exc.line(), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
