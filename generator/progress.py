"""One line on a terminal for long work: which stage, how far (``reading 1200/10000 files``).

Shown only when the stream is a terminal and the work has lasted ``delay`` seconds (a build
of a small site says nothing until its summary); redrawn at most ten times a second; cleared
before anything else is printed. Off a terminal (CI logs, pipes) it writes nothing at all.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(
        self, stream: TextIO | None = None, *, delay: float = 2.0, enabled: bool | None = None
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _is_terminal(self.stream) if enabled is None else enabled
        self.delay = delay
        self.started = time.monotonic()
        self.drawn = 0.0
        self.shown = False

    def stage(self, label: str, total: int, unit: str) -> "Stage":
        return Stage(self, label, total, unit)

    def draw(self, stage: "Stage") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.started < self.delay or (now - self.drawn < 0.1 and stage.done < stage.total):
            return
        self.drawn = now
        percent = 100 * stage.done // stage.total if stage.total else 100
        self.stream.write(f"\r\x1b[K{stage.label} {stage.done}/{stage.total} {stage.unit} ({percent}%)")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


class Stage:
    def __init__(self, progress: Progress, label: str, total: int, unit: str) -> None:
        self.progress, self.label, self.total, self.unit = progress, label, total, unit
        self.done = 0

    def advance(self, count: int = 1) -> None:
        self.done = min(self.total, self.done + count)
        self.progress.draw(self)


QUIET = Progress(enabled=False)
"""Progress that shows nothing (tests, library use)."""


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
