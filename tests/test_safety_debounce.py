"""The safety debounce counts each frame for its own interval, at any frame rate.

A move too fast for two frames at 15 fps lasted as long as four frames at 30; one noisy frame
is never a move. Hand-built condition sequences fed to the detector, no smoothing involved.
"""

from __future__ import annotations

import pytest

from coach.core.safety import Detector

ON_S = 0.11  # "about a tenth of a second" too fast (README): two 15 fps frames cover 0.133 s


def opens(fps: float, frames_true: int) -> bool:
    det = Detector("too_fast", "hip_flexion", 90.0, "slow down", on_s=ON_S, off_s=0.3)
    t, opened = 0.0, False
    for i in range(40):
        cond = 10 <= i < 10 + frames_true
        change = det.update(t, cond, not cond, 120.0 if cond else 10.0)
        opened |= change is not None and change[0] == "open"
        t += 1.0 / fps
    return opened


@pytest.mark.parametrize(
    "fps, frames_true, warns",
    [
        (15.0, 1, False),
        (15.0, 2, True),
        (30.0, 3, False),
        (30.0, 4, True),
        (60.0, 6, False),
        (60.0, 7, True),
    ],
)
def test_too_fast_needs_about_a_tenth_of_a_second_at_any_frame_rate(
    fps: float, frames_true: int, warns: bool
) -> None:
    assert opens(fps, frames_true) is warns


def test_a_gap_before_a_single_frame_is_no_evidence() -> None:
    """One frame over the limit after a 2 s dropout does not warn: the gap's length is not
    time spent too fast."""
    det = Detector("too_fast", "hip_flexion", 90.0, "slow down", on_s=ON_S, off_s=0.3)
    for i in range(10):
        det.update(i / 30, False, True, 10.0)
    assert det.update(2.3, True, False, 150.0) is None
    assert det.update(2.3 + 1 / 30, False, True, 10.0) is None
