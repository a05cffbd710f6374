"""MediaPipe's 33 pose landmarks, derived points, and the PoseFrame every stage passes on.

A PoseFrame is the one type that crosses the boundary between I/O (camera, MediaPipe,
landmark files) and the pure core. Coordinates follow MediaPipe: world landmarks in metres
with the origin between the hips and y pointing down; image landmarks normalised to 0..1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LANDMARK_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
N_LANDMARKS = len(LANDMARK_NAMES)
INDEX: dict[str, int] = {name: i for i, name in enumerate(LANDMARK_NAMES)}

# Midpoints of a left/right pair: "mid_hip" is the mean of left_hip and right_hip.
DERIVED_NAMES: tuple[str, ...] = tuple(
    "mid_" + n[len("left_") :] for n in LANDMARK_NAMES if n.startswith("left_")
)
ALL_POINT_NAMES: frozenset[str] = frozenset(LANDMARK_NAMES) | frozenset(DERIVED_NAMES)

# The skeleton drawn by overlays: pairs of landmark names.
SKELETON_EDGES: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"),
    ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"),
    ("left_shoulder", "left_elbow"),
    ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("left_ankle", "left_heel"),
    ("left_heel", "left_foot_index"),
    ("right_ankle", "right_heel"),
    ("right_heel", "right_foot_index"),
    ("left_ear", "left_eye"),
    ("right_ear", "right_eye"),
    ("left_eye", "nose"),
    ("right_eye", "nose"),
)

DEFAULT_MIN_VISIBILITY = 0.5
FRAME_MARGIN = 0.02  # normalised image units: a landmark this far outside the picture is guessed


def is_point_name(name: str) -> bool:
    return name in ALL_POINT_NAMES


@dataclass(frozen=True)
class PoseFrame:
    """One moment: its own timestamp and, where a person was found, their landmarks.

    `world` and `image` are float arrays of shape (33, 4): x, y, z, visibility.
    Either may be None (no person found, or a source that gives only one space).
    """

    t: float
    world: np.ndarray | None = None
    image: np.ndarray | None = None
    cut: bool = False  # a shot cut or fade ends just before this frame: no motion across it

    @property
    def has_pose(self) -> bool:
        return self.world is not None or self.image is not None

    def seen(self, index: int, min_visibility: float = DEFAULT_MIN_VISIBILITY) -> bool:
        """A landmark is seen when it is itself visible and inside the frame.

        MediaPipe places a hidden limb plausibly (often on top of the visible one) and may
        put it outside the picture: neither is evidence, so neither is judged.
        """
        arr = self.world if self.world is not None else self.image
        if arr is None:
            return False
        row = arr[index]
        if not (row[3] >= min_visibility and np.all(np.isfinite(row[:3]))):
            return False
        if self.image is not None:
            x, y = self.image[index, 0], self.image[index, 1]
            return bool(
                -FRAME_MARGIN <= x <= 1 + FRAME_MARGIN and -FRAME_MARGIN <= y <= 1 + FRAME_MARGIN
            )
        return True

    def inside(self, name: str, margin: float) -> bool:
        """Whether a landmark lies at least `margin` inside the picture (True without image
        coordinates: a landmark file with world coordinates only)."""
        if self.image is None:
            return True
        x, y = self.image[INDEX[name], 0], self.image[INDEX[name], 1]
        return bool(margin <= x <= 1 - margin and margin <= y <= 1 - margin)

    def point(
        self, name: str, space: str = "world", min_visibility: float = DEFAULT_MIN_VISIBILITY
    ) -> np.ndarray | None:
        """xyz of a landmark or derived midpoint, or None when unseen.

        A midpoint is the mean of the sides that are seen; with one side seen it is that side
        (a side view is judged on its near side); a weakly seen side never joins the mean.
        """
        arr = self.world if space == "world" else self.image
        if arr is None:
            return None
        if name.startswith("mid_"):
            base = name[len("mid_") :]
            rows = [
                arr[INDEX[f"{side}_{base}"], :3]
                for side in ("left", "right")
                if self.seen(INDEX[f"{side}_{base}"], min_visibility)
            ]
            if not rows:
                return None
            return np.mean(rows, axis=0)
        if not self.seen(INDEX[name], min_visibility):
            return None
        return arr[INDEX[name], :3]

    def visibility(self, name: str) -> float:
        arr = self.world if self.world is not None else self.image
        if arr is None:
            return 0.0
        if name.startswith("mid_"):
            base = name[len("mid_") :]
            return float((arr[INDEX["left_" + base], 3] + arr[INDEX["right_" + base], 3]) / 2)
        return float(arr[INDEX[name], 3])

    def side_visibility(self, side: str) -> float:
        """Mean visibility of one body side's torso and leg joints: picks the near side."""
        arr = self.world if self.world is not None else self.image
        if arr is None:
            return 0.0
        names = [f"{side}_{j}" for j in ("shoulder", "hip", "knee", "ankle", "elbow", "ear")]
        return float(np.mean([arr[INDEX[n], 3] for n in names]))
