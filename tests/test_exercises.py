import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest
from helpers import SEED_IDS

from coach.errors import CoachError
from coach.io.poses import builtin_dir, load_all, load_exercise, load_exercise_file


def test_every_seed_stretch_has_a_valid_definition():
    exercises = load_all()
    assert list(exercises) == list(SEED_IDS)  # in the guide's order
    for ex in exercises.values():
        assert ex.view in ("side", "front")
        assert ex.driver_rule.role == "target"
        for rule in ex.angles:
            assert not rule.target[0] <= rule.limit <= rule.target[1]


def test_every_number_in_a_pose_file_cites_its_source():
    for path in builtin_dir().glob("*.toml"):
        text = path.read_text()
        assert "AAOS" in text, f"{path.name} cites no range-of-motion source"


def test_twist_mirrors_for_the_left_side_and_chair_variant_drops_legs():
    twist = load_exercise("seated-twist")
    assert twist.sided and twist.angle("trunk_rotation").mirror
    chair = twist.with_variant("chair")
    assert "crossed_knee" not in [a.name for a in chair.angles]
    assert "trunk_rotation" in [a.name for a in chair.angles]


def test_unknown_exercise_names_the_choices():
    with pytest.raises(CoachError) as err:
        load_exercise("backflip")
    assert "backflip" in err.value.problem and "seated-twist" in err.value.fix


def _broken(tmp_path: Path, edit) -> Path:
    src = builtin_dir() / "seated-twist.toml"
    dst = tmp_path / "seated-twist.toml"
    shutil.copy(src, dst)
    dst.write_text(edit(dst.read_text()))
    return dst


@pytest.mark.parametrize(
    ("edit", "key", "words"),
    [
        (
            lambda s: s.replace('view = "front"', 'view = "front"\ncolour = "red"'),
            "colour",
            "not a known key",
        ),
        (lambda s: s.replace("hold_s = 5 ", "# hold_s removed "), "hold_s", "missing"),
        (
            lambda s: s.replace(
                '"right_shoulder", "left_shoulder", "right_hip"',
                '"right_shoulder", "left_sholder", "right_hip"',
            ),
            "points",
            "left_sholder",
        ),
        (lambda s: s.replace("target = [20, 50]", "target = [50, 20]"), "target", "inverted"),
        (lambda s: s.replace("limit = 55", "limit = 30"), "limit", "inside the target"),
        (lambda s: s.replace('kind = "rotation"', 'kind = "spin"', 1), "kind", "spin"),
        (
            lambda s: s.replace("reps_per_side = 3", 'reps_per_side = "three"'),
            "reps_per_side",
            "must be int",
        ),
        (
            lambda s: s.replace('driver = "trunk_rotation"', 'driver = "trunk_twist"'),
            "driver",
            "trunk_twist",
        ),
        (
            lambda s: s.replace(
                'ignore = ["crossed_knee", "straight_knee"]', 'ignore = ["crossed_knees"]'
            ),
            "ignore",
            "crossed_knees",
        ),
        (lambda s: s.replace('id = "seated-twist"', 'id = "twist"'), "id", "rename"),
        (
            lambda s: s.replace("thigh_spread_max_deg = 90", "thigh_spread_max_deg = 190", 1),
            "recognise.thigh_spread_max_deg",
            "0..180",
        ),
        (
            lambda s: s.replace("[recognise.start]", "[recognise.start]\nknee_height = 1"),
            "recognise.start.knee_height",
            "not a known key",
        ),
    ],
)
def test_malformed_pose_file_names_file_key_and_fix(tmp_path, edit, key, words):
    path = _broken(tmp_path, edit)
    with pytest.raises(CoachError) as err:
        load_exercise_file(path)
    message = err.value.line()
    assert str(path) in message
    assert key in message
    assert words in message
    assert err.value.fix


def test_toml_syntax_error_is_one_clear_line(tmp_path):
    path = _broken(tmp_path, lambda s: s.replace("hold_s = 5", "hold_s = = 5"))
    with pytest.raises(CoachError) as err:
        load_exercise_file(path)
    assert "not valid TOML" in err.value.problem and "\n" not in err.value.line()


def test_every_pose_file_parses_as_plain_toml():
    for path in builtin_dir().glob("*.toml"):
        assert tomllib.loads(path.read_text())["id"] == path.stem


def test_in_band_reads_a_mirrored_angle_by_its_size_at_the_band_edges():
    twist = load_exercise("seated-twist").driver_rule
    lo, hi = twist.target
    assert twist.mirror
    assert twist.in_band(lo) and twist.in_band(-hi) and twist.in_band(-(lo + hi) / 2)
    assert not twist.in_band(lo - 0.1) and not twist.in_band(-(hi + 0.1))
    got = twist.in_band(np.array([lo - 0.1, lo, -hi, hi + 0.1, np.nan]))
    assert got.tolist() == [False, True, True, False, False]
    assert twist.in_band(-3.0, (-5.0, 5.0)) and not twist.in_band(-6.0, (-5.0, 5.0))
