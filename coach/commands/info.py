"""`coach list` and `coach show`: the exercise definitions explained for a person."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from coach.core.exercises import AngleRule, Exercise
from coach.core.report import SAFETY_NOTE
from coach.io.poses import BUILTIN, Catalog, catalog, load_exercise, user_dir


def origin_notes(cat: Catalog) -> list[str]:
    """One line per exercise that is not the built-in one: yours, and what it replaces."""
    lines = []
    for ex_id, entry in cat.entries.items():
        if entry.origin == BUILTIN:
            continue
        if entry.replaces == BUILTIN:
            lines.append(f"{ex_id}: yours, from {entry.origin} (replaces the built-in)")
        elif entry.replaces:
            lines.append(f"{ex_id}: yours, from {entry.origin} (replaces {entry.replaces})")
        else:
            lines.append(f"{ex_id}: yours, from {entry.origin}")
    if not lines:
        lines.append(f"Add your own stretches as .toml files in {user_dir()} (see the README).")
    return lines


def list_command() -> int:
    table = Table(title="Stretches (from the chiropractor's guide)", show_lines=False)
    table.add_column("id", no_wrap=True)
    for col in ("stretch", "camera", "hold", "reps"):
        table.add_column(col)
    cat = catalog()
    for ex in cat.exercises.values():
        reps = f"{ex.reps_per_side} each side" if ex.sided else str(ex.reps_per_side)
        table.add_row(escape(ex.id), escape(ex.name), f"{ex.view} view", f"{ex.hold_s:.0f} s", reps)
    console = Console()
    console.print(table)
    for line in origin_notes(cat):
        console.print(escape(line), soft_wrap=True)
    console.print("Try: coach show seated-twist   |   coach run --exercise seated-twist")
    return 0


def _band(rule: AngleRule) -> str:
    lo, hi = rule.target
    side = "above" if rule.limit_is_high else "below"
    return f"target {lo:.0f}° to {hi:.0f}°, warning {side} {rule.limit:.0f}°"


def describe(ex: Exercise) -> str:
    lines = [f"{ex.name}  ({ex.id}, step {ex.seed_step} of the guide)", ""]
    if ex.summary:
        lines += [ex.summary, ""]
    lines.append("Set-up:")
    lines += [f"  {i}. {step}" for i, step in enumerate(ex.setup, 1)]
    lines += ["", f"Camera: {ex.view} view. {ex.placement}", "", "What is checked:"]
    for rule in ex.angles:
        kind = "held" if rule.role == "target" else "advice"
        lines.append(f"  - {rule.description} [{kind}]: {_band(rule)}")
        if rule.role == "target":
            lines.append(f"    move no faster than {rule.max_speed_dps:.0f}°/s")
    reps = f"{ex.reps_per_side} on each side" if ex.sided else f"{ex.reps_per_side}"
    lines += ["", f"Hold {ex.hold_s:.0f} s, reps {reps}, rest {ex.rest_s:.0f} s between."]
    for name, variant in ex.variants.items():
        lines.append(f"Variant '{name}': {variant.description}")
    lines += [
        "",
        "Safety: move gently and slowly; never push past a comfortable range.",
        "Press p or space during a live session to stop at once if anything hurts.",
        SAFETY_NOTE,
    ]
    return "\n".join(lines)


def show_command(exercise_id: str) -> int:
    print(describe(load_exercise(exercise_id)))
    return 0
