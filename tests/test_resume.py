"""`coach score --resume`: a batch stopped half-way and started again scores only the rest."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coach import __version__
from coach.cli import main
from coach.io.inputs import file_sha256

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples").glob("*.landmarks.jsonl"))


def _batch(folder: Path, copies: int) -> list[Path]:
    folder.mkdir()
    made = []
    for i in range(copies):
        for s in SAMPLES:
            dst = folder / f"{i}-{s.name}"
            shutil.copy(s, dst)
            made.append(dst)
    return made


def _report(out: Path, src: Path) -> Path:
    return out / src.name.removesuffix(".landmarks.jsonl") / "report.json"


def test_reports_carry_the_input_hash_and_coach_version(tmp_path):
    out = tmp_path / "out"
    src = SAMPLES[0]
    assert main(["score", str(src), "--out", str(out), "--no-history", "-q"]) == 0
    report = json.loads(_report(out, src).read_text())
    assert report["input_sha256"] == file_sha256(src)
    assert report["coach_version"] == __version__


def test_resume_skips_same_file_and_rescores_a_changed_or_older_one(tmp_path, capsys):
    inputs = _batch(tmp_path / "in", 1)
    out = tmp_path / "out"
    args = ["score", *map(str, inputs), "--out", str(out), "--no-history", "-j", "1"]
    main([*args, "-q"])
    capsys.readouterr()
    first = {p: _report(out, p).stat().st_mtime_ns for p in inputs}
    # one input changes, one report comes from another coach version, one is untouched
    changed, older, same = inputs
    lines = changed.read_text().splitlines(keepends=True)
    changed.write_text("".join(lines[:-5]))  # the last frames are gone: a different file
    stale = json.loads(_report(out, older).read_text())
    stale["coach_version"] = "0.0.0-older"
    _report(out, older).write_text(json.dumps(stale))
    main([*args, "--resume"])  # not quiet: the skip line is printed
    said = capsys.readouterr().out
    assert f"{same}: already scored" in said
    assert f"{changed}: already scored" not in said and f"{older}: already scored" not in said
    assert _report(out, same).stat().st_mtime_ns == first[same]
    assert _report(out, changed).stat().st_mtime_ns != first[changed]
    assert json.loads(_report(out, older).read_text())["coach_version"] == __version__
    assert json.loads(_report(out, changed).read_text())["input_sha256"] == file_sha256(changed)


def test_resume_needs_an_out_folder(capsys):
    assert main(["score", str(SAMPLES[0]), "--resume", "--no-history"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--resume needs --out" in err[0]


def test_a_batch_killed_half_way_scores_only_the_rest_when_restarted(tmp_path):
    inputs = _batch(tmp_path / "in", 3)  # 9 recordings, one after another
    out, db = tmp_path / "out", tmp_path / "history.sqlite3"
    env = {**os.environ, "COACH_DB": str(db), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "coach.cli", "score", str(tmp_path / "in"), "--out", str(out)]
    proc = subprocess.Popen(
        [*cmd, "-j", "1", "-q"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while not any(_report(out, p).exists() for p in inputs):
        assert proc.poll() is None, "the batch ended before any report was written"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = {p for p in inputs if _report(out, p).exists()}
    if len(done) == len(inputs):
        pytest.skip("the batch finished before it could be killed (machine too fast)")
    stamps = {p: _report(out, p).stat().st_mtime_ns for p in done}
    again = subprocess.run(
        [*cmd, "-j", "1", "--resume"], env=env, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    skipped = {line.split(": already scored")[0] for line in again.stdout.splitlines()}
    assert skipped - {""} >= {str(p) for p in done}
    assert all(_report(out, p).exists() for p in inputs)
    assert all(_report(out, p).stat().st_mtime_ns == stamps[p] for p in done)
    rescored = [p for p in inputs if p not in done]
    assert all(f"{p}: already scored" not in again.stdout for p in rescored)
    with sqlite3.connect(db) as conn:  # one history row per recording, none twice
        sources = [r[0] for r in conn.execute("SELECT source FROM sessions")]
    assert sorted(sources) == sorted(str(p) for p in inputs)


def test_engine_ray_without_ray_is_one_line_saying_how_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    code = main(["score", str(SAMPLES[0]), "--engine", "ray", "--no-history"])
    assert code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'pip install "coach[ray]"' in err[0], err


def test_the_batch_bar_shows_recordings_done_frames_a_second_and_failures():
    from coach.ui.progress import BatchBar

    with BatchBar(10, enabled=True) as bar:
        time.sleep(0.05)
        bar.update(3, 120, 1)
        task = bar._progress.tasks[0]  # type: ignore[union-attr]
        assert (task.completed, task.total, task.fields["failed"]) == (3, 10, 1)
        assert 0 < task.fields["fps"] < 120 / 0.05
    quiet = BatchBar(10, enabled=False)
    with quiet:
        quiet.update(1, 1, 0)  # nothing drawn, nothing raised
