"""The pose library's native log lines (TFLite delegate, absl, inference feedback manager),
kept out of the terminal unless asked for: a person reads coach's own lines there.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_logs_hidden(verbose: bool) -> Iterator[None]:
    """Keep the pose library's native log lines (TFLite delegate, absl, feedback manager) out
    of the terminal: C++ writes to descriptor 2, so that goes to the null device while
    Python's own stderr (our one-line messages) keeps the terminal."""
    if verbose:
        yield
        return
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    old = sys.stderr
    sys.stderr = os.fdopen(os.dup(saved), "w", buffering=1, encoding="utf-8", errors="replace")
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, fd)
        os.close(saved)
        sys.stderr.close()
        sys.stderr = old
