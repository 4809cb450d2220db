"""The progress line: on a terminal for long work, never in a log."""

from __future__ import annotations

import io

import generator.parallel as parallel
from generator.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_drawn_on_a_terminal_and_cleared():
    out = Terminal()
    progress = Progress(out, delay=0)
    stage = progress.stage("rendering", 4, "pages")
    for _ in range(4):
        stage.advance()
    progress.clear()
    text = out.getvalue()
    assert "rendering 4/4 pages (100%)" in text and text.endswith("\r\x1b[K")


def test_nothing_is_written_off_a_terminal_or_for_short_work():
    log = io.StringIO()  # a pipe or a CI log
    stage = Progress(log, delay=0).stage("reading", 10, "files")
    stage.advance(10)
    assert log.getvalue() == ""
    short = Terminal()
    progress = Progress(short, delay=60)
    progress.stage("reading", 10, "files").advance(10)
    progress.clear()
    assert short.getvalue() == ""


def test_tasks_report_as_they_finish(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_ITEMS", 10**9)
    out = Terminal()
    stage = Progress(out, delay=0).stage("reading", 25, "files")
    assert parallel.map_in_processes(abs, list(range(-25, 0)), stage=stage) == list(range(25, 0, -1))
    assert stage.done == 25
