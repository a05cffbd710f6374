"""Angle and landmark data in the formats research tools read: CSV, OpenSim .mot and .trc.

A spreadsheet opens angles.csv; OpenSim (and Sports2D's tools) open angles.mot (joint angles,
OpenSim's Storage format) and landmarks.trc (marker positions, OpenSim's TRC format). The angles
are the smoothed ones the judge used, unwrapped so a twist past +-180 deg does not jump by 360;
the landmarks are MediaPipe's world landmarks turned into a y-up frame (x right, y up, z toward
the camera), in metres, the frame OpenSim expects.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from coach.core.exercises import Exercise
from coach.core.landmarks import LANDMARK_NAMES, PoseFrame
from coach.core.scoring import AngleSeries, angle_series

# MediaPipe world: y down, z away from the camera. Turning half a circle about x gives y up
# and keeps the frame right-handed.
Y_UP = np.array([1.0, -1.0, -1.0])


def column_name(key: str) -> str:
    """An angle key as a column label without '@' (OpenSim labels are plain words)."""
    return key.replace("@", "_")


def unwrapped(values: np.ndarray) -> np.ndarray:
    """Degrees unwrapped across +-180 over the seen samples; unseen ones stay NaN."""
    out = np.array(values, dtype=float)
    seen = np.isfinite(out)
    if seen.sum() > 1:
        out[seen] = np.degrees(np.unwrap(np.radians(out[seen])))
    return out


def angle_table(series: AngleSeries) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Column names, times and a (frames x angles) array of judged angles (NaN where unseen)."""
    keys = list(series.smooth)
    cols = []
    for k in keys:
        v = np.where(np.isfinite(series.raw[k]), series.smooth[k], np.nan)
        cols.append(unwrapped(v))
    data = np.column_stack(cols) if cols else np.empty((len(series.t), 0))
    return [column_name(k) for k in keys], np.asarray(series.t, dtype=float), data


def _fmt(x: float, empty: str, digits: int = 3) -> str:
    return empty if not math.isfinite(x) else f"{x:.{digits}f}"


def write_angles_csv(series: AngleSeries, path: str | Path) -> Path:
    """time_s, then one column per judged angle in degrees; an empty cell where unseen."""
    names, t, data = angle_table(series)
    out = Path(path)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["time_s", *[f"{n}_deg" for n in names]])
        for i, ti in enumerate(t):
            w.writerow([f"{ti:.4f}", *[_fmt(v, "") for v in data[i]]])
    return out


def write_mot(series: AngleSeries, path: str | Path, name: str = "coach angles") -> Path:
    """OpenSim Storage (.mot): a header ending in `endheader`, then tab-separated columns."""
    names, t, data = angle_table(series)
    lines = [
        name,
        "version=1",
        f"nRows={len(t)}",
        f"nColumns={len(names) + 1}",
        "inDegrees=yes",
        "endheader",
        "\t".join(["time", *names]),
    ]
    for i, ti in enumerate(t):
        lines.append("\t".join([f"{ti:.4f}", *[_fmt(v, "NaN") for v in data[i]]]))
    out = Path(path)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def data_rate(times: Sequence[float], fps: float | None) -> float:
    """The file's frame rate, else the mean rate of the timestamps (files may vary)."""
    if fps and fps > 0:
        return float(fps)
    if len(times) > 1 and times[-1] > times[0]:
        return (len(times) - 1) / (times[-1] - times[0])
    return 30.0


def write_trc(frames: Sequence[PoseFrame], path: str | Path, fps: float | None = None) -> Path:
    """OpenSim TRC: the 33 world landmarks in metres, y up; NaN where no pose was found."""
    out = Path(path)
    times = [f.t for f in frames]
    rate = data_rate(times, fps)
    n, m = len(frames), len(LANDMARK_NAMES)
    head = [
        f"PathFileType\t4\t(X/Y/Z)\t{out.name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\t"
        "OrigDataStartFrame\tOrigNumFrames",
        f"{rate:.2f}\t{rate:.2f}\t{n}\t{m}\tm\t{rate:.2f}\t1\t{n}",
        "Frame#\tTime\t" + "\t\t\t".join(LANDMARK_NAMES) + "\t\t",
        "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, m + 1)),
        "",
    ]
    rows = []
    for i, f in enumerate(frames, 1):
        if f.world is None:
            xyz = np.full((m, 3), np.nan)
        else:
            xyz = np.asarray(f.world, dtype=float)[:, :3] * Y_UP
        cells = [_fmt(v, "NaN", 5) for v in xyz.ravel()]
        rows.append("\t".join([str(i), f"{f.t:.4f}", *cells]))
    out.write_text("\n".join(head + rows) + "\n", encoding="utf-8")
    return out


def write_all(
    out_dir: str | Path,
    series: AngleSeries | None,
    frames: Sequence[PoseFrame],
    fps: float | None = None,
    exercise: Exercise | None = None,
) -> list[Path]:
    """angles.csv, angles.mot and landmarks.trc into a folder; returns what was written.

    A photo has no series yet: its angles are read from `exercise`. Without judged angles (an
    unrecognised recording) the angle files hold the times only.
    """
    d = Path(out_dir)
    if series is None and exercise is not None and frames:
        series = angle_series(list(frames), exercise)
    if series is None:
        t = np.array([f.t for f in frames], dtype=float)
        series = AngleSeries(t, {}, {}, {}, {}, np.array([f.has_pose for f in frames]))
    return [
        write_angles_csv(series, d / "angles.csv"),
        write_mot(series, d / "angles.mot"),
        write_trc(frames, d / "landmarks.trc", fps),
    ]
