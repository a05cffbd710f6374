"""`coach` command line: parses arguments, then calls one function. No logic lives here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from coach.errors import EXIT_STATUS_HELP, CoachError

# Pose every frame of a 30 fps video runs at ~1.5x real time per core; sampling at 20 a second
# with both cores scores a 640x480 clip at over 2x real time (benchmarks/pose_speed.py).
DEFAULT_SAMPLE_FPS = 20.0


def _score_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="video files (mp4 mov avi webm mkv), photos (jpg png), "
        "*.landmarks.jsonl files, or folders of them",
    )
    p.add_argument(
        "--exercise",
        "-e",
        default="auto",
        help="exercise id (see `coach list`), or 'auto' to recognise it (default)",
    )
    p.add_argument(
        "--variant",
        help="exercise variant, e.g. 'chair' for the seated twist "
        "(default: recognised from the posture)",
    )
    p.add_argument(
        "--json",
        metavar="PATH",
        help="write the JSON report here (single input); '-' = standard output",
    )
    p.add_argument("--out", metavar="DIR", help="write report, summary, plots per input here")
    p.add_argument(
        "--annotated", action="store_true", help="also write an annotated mp4 into --out"
    )
    p.add_argument(
        "--save-landmarks", action="store_true", help="also write the landmark file into --out"
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=_positive_int,
        default=None,
        help="processes to use, 1 or more (default: number of cores)",
    )
    p.add_argument("--start", type=float, help="score from this second")
    p.add_argument("--end", type=float, help="score up to this second")
    view = p.add_mutually_exclusive_group()
    view.add_argument(
        "--side-view",
        action="store_const",
        const="side",
        dest="view",
        help="the camera sees the person side-on",
    )
    view.add_argument(
        "--front-view",
        action="store_const",
        const="front",
        dest="view",
        help="the camera faces the person",
    )
    p.add_argument(
        "--model",
        metavar="PATH.task",
        help="a MediaPipe Tasks pose model to use instead of the bundled one",
    )
    p.add_argument(
        "--sample-fps",
        type=float,
        default=DEFAULT_SAMPLE_FPS,
        help=f"pose at most this many frames a second (default {DEFAULT_SAMPLE_FPS:g}: stretches "
        "are slow, a 90 deg/s move is still seen every 4.5 deg); 0 = every frame",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="print only the final table")
    p.add_argument(
        "--verbose", action="store_true", help="show the pose library's own log lines too"
    )
    p.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: processes on this machine (default); ray: a Ray cluster (pip install "
        '"coach[ray]"), local unless --ray-address is given',
    )
    p.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="an existing Ray cluster (e.g. 10.0.0.5:6379, or 'auto'); default: start one here",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="skip inputs whose report in --out is for the same file and coach version",
    )
    _history_flags(p)


def _history_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-history", action="store_true", help="do not store this session")
    p.add_argument("--db", metavar="PATH", help="history database (default: user data folder)")


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--exercise", "-e", required=True, help="exercise id (see `coach list`)")
    p.add_argument("--variant", help="exercise variant, e.g. 'chair' for the seated twist")
    p.add_argument("--camera", type=int, default=0, help="camera device number (default 0)")
    p.add_argument(
        "--source", metavar="FILE", help="run a video or landmark file as if it were live"
    )
    p.add_argument("--fast", action="store_true", help="with --source: as fast as possible")
    p.add_argument("--no-window", action="store_true", help="no overlay window (headless)")
    p.add_argument("--no-voice", action="store_true", help="print prompts instead of speaking")
    p.add_argument("--voice-rate", type=int, default=150, help="speech rate, words a minute")
    p.add_argument("--voice", metavar="NAME", help="speech voice (name or id)")
    p.add_argument(
        "--force",
        action="store_true",
        help="start even past a daily limit (recorded in the history)",
    )
    p.add_argument(
        "--json",
        metavar="PATH",
        help="write the session report here on quit ('-': standard output)",
    )
    p.add_argument("--out", metavar="DIR", help="write report and summary here on quit")
    p.add_argument("--model", metavar="PATH.task", help="a MediaPipe Tasks pose model")
    p.add_argument(
        "--max-seconds", type=float, default=None, help="end the session after this many seconds"
    )
    p.add_argument(
        "--mirror",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show the picture mirrored (default: a camera is mirrored, a --source file is not)",
    )
    p.add_argument(
        "--verbose", action="store_true", help="show the pose library's own log lines too"
    )
    _history_flags(p)


def version() -> str:
    """The installed version; the source's own when coach runs from a checkout."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("coach")
    except PackageNotFoundError:
        import coach

        return coach.__version__


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of 1 or more")
    return number


def _poses_folder(value: str) -> str:
    from pathlib import Path

    if not Path(value).expanduser().is_dir():
        raise argparse.ArgumentTypeError(f"{value} is not a folder (give a folder of .toml files)")
    return value


def _poses_arg(p: argparse.ArgumentParser, dest: str = "poses") -> None:
    p.add_argument(
        "--poses",
        metavar="DIR",
        action="append",
        default=[],
        dest=dest,
        type=_poses_folder,
        help="also load your exercise definitions (*.toml) from DIR, adding to the built-ins "
        "(repeatable; a file with a built-in's id replaces it)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coach",
        description="A webcam coach for gentle home back stretches. It checks posture and "
        "pace only and cannot diagnose: stop at once if you feel pain.",
        epilog=EXIT_STATUS_HELP + ". `--json -` writes the report to standard output.",
    )
    parser.add_argument("--version", action="version", version=f"coach {version()}")
    _poses_arg(parser, "poses_global")
    sub = parser.add_subparsers(dest="command", required=True)
    _poses_arg(sub.add_parser("list", help="list the exercises"))
    show = sub.add_parser("show", help="explain one exercise: set-up, camera, checks, limits")
    show.add_argument("exercise")
    _poses_arg(show)
    check = sub.add_parser(
        "check-pose", help="check your exercise definition files (exit 0 valid, 1 not)"
    )
    check.add_argument("files", nargs="+", metavar="FILE")
    score = sub.add_parser("score", help="score recorded videos, photos or landmark files")
    _score_args(score)
    _poses_arg(score)
    run = sub.add_parser("run", help="live coaching in front of a camera")
    _run_args(run)
    _poses_arg(run)
    hist = sub.add_parser("history", help="past sessions, daily limits, plots and export")
    from coach.commands.history import add_history_arguments

    add_history_arguments(hist)
    from coach.sim.cli import add_arguments as add_simulate_arguments

    sim = sub.add_parser("simulate", help="generate a landmark sequence with its ground truth")
    add_simulate_arguments(sim)
    _poses_arg(sim)
    return parser


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "list":
        from coach.commands.info import list_command

        return list_command()
    if args.command == "show":
        from coach.commands.info import show_command

        return show_command(args.exercise)
    if args.command == "check-pose":
        from coach.commands.check_pose import check_pose_command

        return check_pose_command(args.files)
    if args.command == "score":
        from coach.commands.score import score_command

        return score_command(args)
    if args.command == "run":
        from coach.commands.run import run_command

        return run_command(args)
    if args.command == "history":
        from coach.commands.history import history_command

        return int(history_command(args) or 0)
    if args.command == "simulate":
        from coach.sim.cli import simulate_command

        return simulate_command(args)
    raise AssertionError(args.command)


def _reader_gone() -> int:
    """The reader of our output left (`coach ... | head -1`): stop quietly, as Unix tools do.

    Standard output is pointed at /dev/null so the interpreter's final flush cannot raise again.
    """
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except BrokenPipeError:  # --help into `| head -1`
        return _reader_gone()
    try:
        poses = [*args.poses_global, *getattr(args, "poses", [])]
        if poses:
            from coach.io.poses import add_folders

            add_folders(poses)
        status = dispatch(args)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        return _reader_gone()
    except CoachError as exc:
        print(exc.line(), file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print("coach: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
