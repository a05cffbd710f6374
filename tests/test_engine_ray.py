"""`coach score --engine ray` on a local two-CPU Ray: the same reports as the local engine."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from helpers import FOOTAGE, KNEE_CLIP, need_footage

from coach.cli import main

ray = pytest.importorskip("ray", reason='Ray is an optional extra: pip install "coach[ray]"')

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples").glob("*.landmarks.jsonl"))
TIMING_KEYS: set[str] = set()  # reports carry no timings today; list any added here


@pytest.fixture(scope="module")
def local_ray():
    """One two-CPU Ray for the module, shut down after it (score uses an open session as is)."""
    if ray.is_initialized():
        pytest.skip("a Ray session is already open in this process")
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": path}},
    )
    yield
    ray.shutdown()


def _reports(out: Path) -> dict[str, dict]:
    found = {}
    for f in sorted(out.glob("*/report.json")):
        report = json.loads(f.read_text())
        found[f.parent.name] = {k: v for k, v in report.items() if k not in TIMING_KEYS}
    return found


def test_ray_gives_the_local_reports_and_a_bad_input_stops_nothing(tmp_path, local_ray, capsys):
    bad = tmp_path / "holiday.mp4"
    bad.write_text("not a video")
    inputs = [*map(str, SAMPLES), str(bad)]
    common = ["--no-history", "-q"]
    local = main(["score", *inputs, "--out", str(tmp_path / "local"), *common, "-j", "1"])
    capsys.readouterr()
    on_ray = main(["score", *inputs, "--out", str(tmp_path / "ray"), *common, "--engine", "ray"])
    captured = capsys.readouterr()
    assert local == on_ray == 1  # the bad input fails the batch's exit code, on both engines
    errors = [line for line in captured.err.splitlines() if line.startswith("coach: error:")]
    assert len(errors) == 1 and "holiday.mp4" in errors[0], captured.err
    ray_reports = _reports(tmp_path / "ray")
    assert set(ray_reports) == {s.name.removesuffix(".landmarks.jsonl") for s in SAMPLES}
    assert ray_reports == _reports(tmp_path / "local")
    assert ray.is_initialized()  # a session the caller opened is left open


def test_ray_resume_skips_what_the_local_engine_already_scored(tmp_path, local_ray, capsys):
    out = tmp_path / "out"
    main(["score", str(SAMPLES[0]), "--out", str(out), "--no-history", "-q"])
    report = out / SAMPLES[0].name.removesuffix(".landmarks.jsonl") / "report.json"
    stamp = report.stat().st_mtime_ns
    inputs = [str(SAMPLES[0]), str(SAMPLES[1])]
    flags = ["--no-history", "--engine", "ray", "--resume"]
    code = main(["score", *inputs, "--out", str(out), *flags])
    said = capsys.readouterr().out
    assert code == 0
    assert f"{SAMPLES[0]}: already scored" in said and f"{SAMPLES[1]}: already scored" not in said
    assert report.stat().st_mtime_ns == stamp
    assert len(list(out.glob("*/report.json"))) == 2


@pytest.mark.footage
@pytest.mark.slow
def test_ray_poses_a_real_clip_in_chunks_exactly_as_the_local_engine(tmp_path, local_ray):
    clip = need_footage(KNEE_CLIP)
    # 10 s with two jobs: two overlapping chunks, posed by two actors with warm estimators
    common = ["--end", "10", "-e", "knees-to-chest", "--no-history", "-q", "-j", "2"]
    local, on_ray = tmp_path / "local.json", tmp_path / "ray.json"
    main(["score", str(clip), "--json", str(local), *common])
    main(["score", str(clip), "--json", str(on_ray), *common, "--engine", "ray"])
    a, b = json.loads(local.read_text()), json.loads(on_ray.read_text())
    assert a["frames"] > 150 and a["frames_with_pose"] > 0
    assert {k: v for k, v in a.items() if k not in TIMING_KEYS} == {
        k: v for k, v in b.items() if k not in TIMING_KEYS
    }


@pytest.mark.footage
def test_warm_actors_score_a_batch_of_real_clips_as_the_local_engine(tmp_path, local_ray):
    short = FOOTAGE / "Vivgang__Hackathon-Wellness"
    clips = [need_footage(short / name) for name in ("dog.mp4", "taichi.mp4", "cobra.mp4")]
    # three recordings on two actors: one actor's estimator poses a second, different video
    common = ["--no-history", "-q", "-e", "seated-twist", "--end", "4"]
    main(["score", *map(str, clips), "--out", str(tmp_path / "local"), *common, "-j", "1"])
    main(["score", *map(str, clips), "--out", str(tmp_path / "ray"), *common, "--engine", "ray"])
    ray_reports = _reports(tmp_path / "ray")
    assert len(ray_reports) == 3
    assert any(r["frames_with_pose"] > 0 for r in ray_reports.values())
    assert ray_reports == _reports(tmp_path / "local")


def test_an_address_where_no_cluster_answers_fails_in_seconds_in_one_line():
    from coach.commands.engine_ray import _check_reachable
    from coach.errors import CoachError

    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(CoachError) as caught:
        _check_reachable(f"127.0.0.1:{port}")
    assert f"127.0.0.1:{port}" in caught.value.line() and "ray start --head" in caught.value.line()
    _check_reachable("auto")  # Ray finds a local cluster itself: nothing to check here
