"""Session and progress pages, and the angle/landmark files research tools read."""

from __future__ import annotations

import csv
import math
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from helpers import need_footage, pose

from coach.cli import main
from coach.core import events
from coach.core.exercises import AngleRule
from coach.core.landmarks import INDEX, LANDMARK_NAMES, PoseFrame
from coach.core.report import build_report
from coach.core.scoring import AngleSeries, score_frames
from coach.io import export
from coach.io.config import Limits
from coach.io.landmark_file import read_landmarks
from coach.io.poses import load_all, load_exercise
from coach.io.store import recent_sessions, save_report
from coach.ui.progress_page import by_day, nice_range, progress_page
from coach.ui.session_page import NOTE, _norm_text, session_page, still_frame

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
FOOTAGE = ROOT.parent / "shared" / "footage"
KNEE_CLIP = FOOTAGE / "malikmrllh__exercises" / "kneetochest.mp4"
CREATED = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)


def scored(name: str, exercise: str):
    _, frames_iter = read_landmarks(SAMPLES / name)
    frames = list(frames_iter)
    ex = load_exercise(exercise)
    session, series = score_frames(frames, ex)
    return build_report(session, f"samples/{name}"), ex, series, frames


@pytest.fixture(scope="module")
def faults():
    return scored("standing-back-extension-faults.landmarks.jsonl", "standing-back-extension")


@pytest.fixture(scope="module")
def faults_page(faults):
    report, ex, series, frames = faults
    return session_page(report, ex, series, frames, created=CREATED)


def external_refs(page: str) -> list[str]:
    """Every src/href value and CSS url() that would reach outside the file."""
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", page, flags=re.I)
    refs += re.findall(r"url\(\s*['\"]?([^'\")]*)", page, flags=re.I)
    return [r for r in refs if not r.startswith(("data:", "#"))]


# ----- session page -------------------------------------------------------------------------------
def test_session_page_has_every_part_in_order(faults, faults_page):
    report = faults[0]
    order = ['id="verdict"', "id='sides'", "id='reps'", "id='peaks'", "id='events'"]
    order += ["id='plot'", "id='footer'"]
    positions = [faults_page.find(marker) for marker in order]
    assert all(p > 0 for p in positions), dict(zip(order, positions, strict=True))
    assert positions == sorted(positions), "the verdict comes first, the footer last"
    assert "Take care" in faults_page  # caution, in plain words
    assert NOTE in faults_page
    assert "04 Mar 2026" in faults_page and "2026-03-04" in faults_page
    assert "standing-back-extension-faults.landmarks.jsonl" in faults_page
    assert report["summary"]["verdict"] == "caution"


def test_session_page_reaches_nothing_outside_itself(faults_page):
    assert external_refs(faults_page) == []
    assert "<script" not in faults_page.lower()
    assert "@import" not in faults_page
    assert re.search(r"data:image/png;base64,[A-Za-z0-9+/]{1000}", faults_page)


def test_the_external_url_check_catches_a_link():
    assert external_refs("<img src='https://x.org/a.png'><a href=\"#top\">") == [
        "https://x.org/a.png"
    ]
    assert external_refs("<style>b{background:url(http://x/y.png)}</style>") == ["http://x/y.png"]


def test_each_safety_event_has_its_time_label_colour_and_a_still(faults, faults_page):
    report = faults[0]
    warned = [e for e in report["events"] if e["type"] in events.WARNING_TYPES]
    assert any(e["type"] == "overextension" for e in warned)
    for ev in warned:
        assert events.label(ev["type"]) in faults_page
        assert events.colour(ev["type"]) in faults_page
    over = next(e for e in warned if e["type"] == "overextension")
    assert f"{over['start_s']:.1f} s" in faults_page
    # A pose was seen during the overextension: its still frame is drawn.
    assert faults_page.count("data:image/jpeg;base64,") >= 1


def test_peak_angles_sit_beside_the_published_range_of_the_pose_file(faults_page):
    rule = load_exercise("standing-back-extension").angle("trunk_extension")
    assert rule.norm == (0.0, 25.0) and rule.norm_source == "AAOS"
    assert "0° to 25° (AAOS)" in faults_page
    assert "beyond" in faults_page  # the faults sample bends back 43 deg


def test_norm_is_judged_on_the_value_shown():
    rule = AngleRule("a", "joint", ("a", "b", "c"), "", "target", (20, 40), 60, 90, norm=(0, 45))
    assert "within" in _norm_text(rule, 45.4)  # shown as 45
    assert "beyond" in _norm_text(rule, 45.6)  # shown as 46
    assert "beyond" in _norm_text(rule, -0.6)
    bare = AngleRule("a", "joint", ("a", "b", "c"), "", "target", (20, 40), 60, 90)
    assert "none cited" in _norm_text(bare, 30.0)
    hug = AngleRule("h", "joint", ("a", "b", "c"), "", "target", (25, 75), 18, 90, norm=(60, 180))
    assert "as the target is" in _norm_text(hug, 40.0)  # past the range, as the stretch means
    assert "<span class='short'>beyond</span>" in _norm_text(hug, 20.0)


def test_pose_files_without_norm_still_load(tmp_path):
    src = (ROOT / "poses" / "seated-twist.toml").read_text()
    stripped = "\n".join(ln for ln in src.splitlines() if not ln.startswith("norm"))
    (tmp_path / "seated-twist.toml").write_text(stripped)
    ex = load_all(tmp_path)["seated-twist"]
    assert all(a.norm is None and a.norm_source == "" for a in ex.angles)


def test_a_bad_norm_fails_with_the_file_and_key(tmp_path):
    from coach.errors import CoachError

    src = (ROOT / "poses" / "seated-twist.toml").read_text()
    (tmp_path / "seated-twist.toml").write_text(src.replace("norm = [0, 45]", "norm = [45, 0]"))
    with pytest.raises(CoachError, match=r"angles\[0\]\.norm"):
        load_all(tmp_path)


def test_unrecognised_and_photo_reports_still_make_a_page():
    unrecognised = {
        "exercise": None,
        "source": "walk.mp4",
        "duration_s": 3.0,
        "frames": 90,
        "frames_with_pose": 90,
        "reps": [],
        "events": [],
        "summary": {"verdict": "not_recognised", "reasons": ["none of the six stretches"]},
    }
    page = session_page(unrecognised, None, None, created=CREATED)
    assert "not recognised" in page and NOTE in page and "id='footer'" in page
    assert external_refs(page) == []
    photo = dict(unrecognised, exercise="seated-twist", still=True)
    photo["angles"] = {"trunk_rotation": {"value": 39.0, "target": [20, 55], "verdict": "in_range"}}
    page = session_page(photo, load_exercise("seated-twist"), None, created=CREATED)
    assert "39°" in page and "in range" in page


def test_still_frame_of_a_landmark_file_draws_the_skeleton_on_a_blank_canvas():
    import cv2

    standing = pose(
        1.0,
        left_shoulder=(0.2, -0.5, 0),
        right_shoulder=(-0.2, -0.5, 0),
        left_hip=(0.1, 0, 0),
        right_hip=(-0.1, 0, 0),
        left_knee=(0.1, 0.45, 0),
        right_knee=(-0.1, 0.45, 0),
    )
    jpg = still_frame([PoseFrame(0.0), standing], 0.9)
    assert jpg is not None
    img = cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_COLOR)
    assert img.shape[1] == 480
    background = np.median(img.reshape(-1, 3), axis=0)
    drawn = np.abs(img.astype(int) - background).sum(axis=2) > 60
    assert 0.005 < drawn.mean() < 0.5  # lines drawn, canvas mostly empty
    assert still_frame([PoseFrame(0.0)], 0.0) is None  # nothing to draw, no picture


@pytest.mark.footage
def test_still_frame_of_a_video_is_that_moment_with_the_skeleton_on_it():
    import cv2

    clip = need_footage(KNEE_CLIP)
    image = np.zeros((33, 4))
    image[:, 3] = 0.99
    image[:, :2] = 0.5
    image[INDEX["left_shoulder"], :2] = (0.3, 0.5)
    image[INDEX["left_hip"], :2] = (0.6, 0.55)
    frame = PoseFrame(20.0, world=None, image=image)
    jpg = still_frame([frame], 20.0, clip)
    assert jpg is not None
    img = cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_COLOR)
    cap = cv2.VideoCapture(str(clip))  # read up to 20 s frame by frame, without seeking
    best, raw = math.inf, None
    while True:
        ok, got = cap.read()
        t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        if not ok or t > 20.1:
            break
        if abs(t - 20.0) < best:
            best, raw = abs(t - 20.0), got
    cap.release()
    assert raw is not None
    raw = cv2.resize(raw, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_AREA)
    diff = np.abs(img.astype(int) - raw.astype(int)).sum(axis=2) > 80
    assert diff.mean() < 0.1  # the same moment of the recording...
    row = round(0.52 * img.shape[0])
    assert diff[row - 4 : row + 4, round(0.35 * img.shape[1]) : round(0.55 * img.shape[1])].any()


# ----- angle data ---------------------------------------------------------------------------------
def hand_series() -> AngleSeries:
    t = np.array([0.0, 0.1, 0.2, 0.3, 0.4])
    twist = np.array([170.0, 179.0, -179.0, math.nan, -170.0])
    knee = np.array([90.0, 91.0, 92.0, 93.0, 94.0])
    raw = {"trunk_rotation": twist, "crossed_knee@right": knee}
    return AngleSeries(t, raw, dict(raw), {}, {}, np.ones(5, bool))


def test_csv_has_time_then_every_angle_unwrapped_and_empty_where_unseen(tmp_path):
    path = export.write_angles_csv(hand_series(), tmp_path / "angles.csv")
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["time_s", "trunk_rotation_deg", "crossed_knee_right_deg"]
    twist = [r[1] for r in rows[1:]]
    assert twist[3] == ""  # unseen
    assert [float(v) for v in twist if v] == pytest.approx([170, 179, 181, 190])
    assert [float(r[0]) for r in rows[1:]] == pytest.approx([0, 0.1, 0.2, 0.3, 0.4])


def read_mot(path: Path) -> tuple[dict[str, str], list[str], np.ndarray]:
    """OpenSim Storage as its documentation describes it: key=value lines up to `endheader`,
    then a row of tab-separated column labels and rows of numbers."""
    lines = path.read_text().splitlines()
    end = lines.index("endheader")
    header = dict(ln.split("=", 1) for ln in lines[1:end] if "=" in ln)
    labels = lines[end + 1].split("\t")
    data = np.genfromtxt(path, skip_header=end + 2, delimiter="\t")
    return header, labels, np.atleast_2d(data)


def test_mot_reads_like_a_hand_written_opensim_file(tmp_path):
    example = tmp_path / "example.mot"  # the shape of OpenSim's own coordinates files
    example.write_text(
        "Coordinates\nversion=1\nnRows=2\nnColumns=3\ninDegrees=yes\nendheader\n"
        "time\tpelvis_tilt\thip_flexion_r\n0.00\t-2.5\t10.0\n0.01\t-2.4\tNaN\n"
    )
    header, labels, data = read_mot(example)
    assert header["inDegrees"] == "yes" and labels[0] == "time" and data.shape == (2, 3)

    path = export.write_mot(hand_series(), tmp_path / "angles.mot")
    header, labels, data = read_mot(path)
    assert labels == ["time", "trunk_rotation", "crossed_knee_right"]
    assert int(header["nRows"]) == data.shape[0] == 5
    assert int(header["nColumns"]) == data.shape[1] == 3
    assert header["inDegrees"] == "yes"
    assert math.isnan(data[3, 1]) and data[4, 1] == pytest.approx(190)


def test_trc_parses_with_an_independent_reader_in_metres_y_up(tmp_path):
    trc = pytest.importorskip("trc", reason="trc-data-reader (a dev dependency) is not installed")
    standing = pose(0.0, nose=(0.0, -0.7, -0.05), left_ankle=(0.1, 0.85, 0.0))
    frames = [standing, PoseFrame(0.05), pose(0.1, nose=(0.01, -0.69, -0.05))]
    path = export.write_trc(frames, tmp_path / "landmarks.trc", fps=20.0)
    data = trc.TRCData()
    data.load(str(path))
    assert data["Markers"] == list(LANDMARK_NAMES)
    assert data["NumFrames"] == 3 and data["NumMarkers"] == 33 and data["Units"] == "m"
    assert data["DataRate"] == pytest.approx(20.0)
    assert data["Time"] == pytest.approx([0.0, 0.05, 0.1])
    nose, ankle = data["nose"][0], data["left_ankle"][0]
    assert nose[1] == pytest.approx(0.7) and ankle[1] == pytest.approx(-0.85)  # y up, metres
    assert nose[2] == pytest.approx(0.05)  # turned half a circle about x: stays right-handed
    assert all(math.isnan(v) for v in data["nose"][1])  # no pose in that frame


def test_data_rate_comes_from_the_timestamps_when_the_file_has_none():
    assert export.data_rate([0.0, 0.5, 1.0], None) == pytest.approx(2.0)
    assert export.data_rate([0.0, 0.5, 1.0], 30.0) == 30.0


def test_score_out_writes_page_and_data(tmp_path, capsys):
    sample = SAMPLES / "seated-twist-good.landmarks.jsonl"
    assert main(["score", str(sample), "--out", str(tmp_path), "--no-history", "--quiet"]) in (0, 1)
    d = tmp_path / "seated-twist-good"
    for name in ("report.html", "angles.csv", "angles.mot", "landmarks.trc", "report.json"):
        assert (d / name).stat().st_size > 100, name
    n_frames = sum(1 for _ in read_landmarks(sample)[1])
    assert len((d / "angles.csv").read_text().splitlines()) == n_frames + 1


def test_live_run_out_writes_page_and_data(tmp_path, capsys):
    sample = SAMPLES / "standing-back-extension-faults.landmarks.jsonl"
    argv = ["run", "--exercise", "standing-back-extension", "--source", str(sample), "--fast"]
    argv += ["--no-window", "--no-voice", "--no-history", "--out", str(tmp_path)]
    assert main(argv) == 0
    page = (tmp_path / "report.html").read_text()
    assert "id='events'" in page and "data:image/jpeg" in page and NOTE in page
    assert (tmp_path / "landmarks.trc").exists() and (tmp_path / "angles.mot").exists()


# ----- progress page ------------------------------------------------------------------------------
def report_dict(exercise: str, duration: float, peaks: list[float], ok: list[bool], evs=()):
    rule = load_exercise(exercise).driver
    reps = [
        {
            "side": None,
            "start_s": 5.0 * i,
            "end_s": 5.0 * i + 4,
            "hold_s": 30.0 if k else 10.0,
            "target_hold_s": 30.0,
            "peak_deg": {rule: p},
            "ok": k,
        }
        for i, (p, k) in enumerate(zip(peaks, ok, strict=True))
    ]
    events_ = [
        {"type": t, "start_s": 1.0, "end_s": 1.0, "angle": None, "value": None, "limit": None}
        for t in evs
    ]
    return {
        "exercise": exercise,
        "source": "camera 0",
        "duration_s": duration,
        "frames": 10,
        "frames_with_pose": 10,
        "reps": reps,
        "events": events_,
        "summary": {"verdict": "good"},
    }


@pytest.fixture()
def week_db(tmp_path):
    db = tmp_path / "history.db"
    monday = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for day in (0, 1, 3, 4, 5, 6):  # Wednesday (day 2) is a rest day
        n = 4 if day == 4 else 1  # Friday: past 3 sessions of one stretch
        for k in range(n):
            evs = ("pain_stop",) if (day, k) == (4, 3) else ("too_fast",) if day == 1 else ()
            rep = report_dict("knees-to-chest", 300.0, [60 - 3 * day, 62 - 3 * day], [True, False])
            rep["events"] = report_dict("knees-to-chest", 1, [], [], evs)["events"]
            save_report(db, rep, "live", monday + timedelta(days=day, hours=k))
    return db


def test_progress_page_shows_the_week_and_the_day_past_the_limit(week_db):
    sessions = recent_sessions(week_db)
    page = progress_page(sessions, Limits(), load_all(), created=CREATED)
    assert external_refs(page) == [] and "<script" not in page
    assert "id='totals'" in page and "id='minutes'" in page and "id='days'" in page
    assert "class='rom'" in page and "Lying knees-to-chest" in page
    assert "<b>9</b>sessions" in page and "<b>45</b>minutes" in page
    assert "<b>9 of 18</b>holds achieved" in page
    assert "<b>1</b>pain stops" in page and "<b>1</b>days past the daily limits" in page
    friday = re.search(r"<tr class='over'><td class='day'>Fri 06 Mar</td>.*?</tr>", page)
    assert friday and "past limit" in friday.group(0) and events.label("pain_stop") in page
    assert re.search(r"<td class='day'>Wed 04 Mar</td>(?:(?!</tr>).)*rest day", page)
    assert page.count("<tr class='over'>") == 1
    assert NOTE in page


def test_by_day_fills_rest_days_and_nice_range_rounds():
    assert by_day([]) == {}
    lo, hi, step = nice_range(0, 33)
    assert (lo, hi, step) == (0, 40, 10)
    lo, hi, step = nice_range(15, 72)
    assert lo <= 15 and hi >= 72 and step in (10, 20, 25)


def test_history_html_flag_writes_the_page(week_db, tmp_path, capsys):
    out = tmp_path / "progress.html"
    assert main(["history", "--db", str(week_db), "--html", str(out)]) == 0
    assert "Stretching progress" in out.read_text()
    assert "Wrote the progress page of 9 sessions" in capsys.readouterr().out


def test_history_html_to_an_unwritable_path_is_one_clear_line(week_db, tmp_path, capsys):
    code = main(["history", "--db", str(week_db), "--html", str(tmp_path / "no" / "p.html")])
    err = capsys.readouterr().err
    assert code != 0 and "cannot write the progress page" in err and "Traceback" not in err


def test_peak_per_day_takes_the_furthest_toward_the_target(week_db):
    from coach.ui.progress_page import day_peak

    days = by_day(recent_sessions(week_db))
    ex = load_exercise("knees-to-chest")  # lower hip angle = knees further in
    assert day_peak(days[date(2026, 3, 2)], ex) == pytest.approx(60)
    assert day_peak(days[date(2026, 3, 4)], ex) is None


# ----- a real browser -----------------------------------------------------------------------------
def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium here (Debian: apt-get install chromium; .ci/run installs it)")


def render(page: Path, png: Path, size: tuple[int, int], tmp: Path) -> np.ndarray:
    import cv2

    cmd = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={tmp / 'chromium-profile'}",
        f"--screenshot={png}",
        f"--window-size={size[0]},{size[1]}",
        page.as_uri(),
    ]
    subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    assert png.exists(), "Chromium wrote no screenshot"
    img = cv2.imread(str(png))
    assert img is not None
    return img


def assert_not_blank(img: np.ndarray) -> None:
    grey = img.mean(axis=2)
    assert (grey < 200).mean() > 0.02, "the page rendered nearly blank"
    assert grey.std() > 10


@pytest.mark.parametrize("size", [(1000, 1400), (390, 844)], ids=["desktop", "phone"])
def test_session_page_renders_in_chromium(faults_page, tmp_path, size):
    page = tmp_path / "report.html"
    page.write_text(faults_page)
    img = render(page, tmp_path / "shot.png", size, tmp_path)
    assert (img.shape[1], img.shape[0]) == size
    assert_not_blank(img)


def test_progress_page_renders_in_chromium(week_db, tmp_path):
    page = tmp_path / "progress.html"
    page.write_text(progress_page(recent_sessions(week_db), Limits(), load_all()))
    img = render(page, tmp_path / "shot.png", (1000, 1200), tmp_path)
    assert img.shape[:2] == (1200, 1000)
    assert_not_blank(img)
    # The day past the limit is drawn red in the minutes chart.
    red = (img[:, :, 2] > 170) & (img[:, :, 1] < 80) & (img[:, :, 0] < 80)
    assert red.sum() > 200


def test_session_page_prints_to_a4(faults_page, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(faults_page)
    pdf = tmp_path / "report.pdf"
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    cmd += [f"--user-data-dir={tmp_path / 'p'}", "--no-pdf-header-footer"]
    cmd += [f"--print-to-pdf={pdf}", page.as_uri()]
    subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    data = pdf.read_bytes()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert boxes, "no page size in the PDF"
    for w, h in boxes:  # A4 is 595 x 842 points
        assert abs(float(w) - 595) < 2 and abs(float(h) - 842) < 2
    assert 1 <= len(boxes) <= 6


def test_a_photo_gets_its_angles_in_the_csv_and_an_unrecognised_clip_its_times(tmp_path):
    still = pose(0.0, left_shoulder=(0.2, -0.5, 0.1), right_shoulder=(-0.2, -0.5, -0.1))
    export.write_all(tmp_path, None, [still], None, load_exercise("seated-twist"))
    rows = list(csv.reader((tmp_path / "angles.csv").open()))
    assert "trunk_rotation_deg" in rows[0] and len(rows) == 2
    export.write_all(tmp_path, None, [still, PoseFrame(0.5)], None, None)
    rows = list(csv.reader((tmp_path / "angles.csv").open()))
    assert rows == [["time_s"], ["0.0000"], ["0.5000"]]
    assert (tmp_path / "landmarks.trc").read_text().count("\n") == 5 + 2 + 1
