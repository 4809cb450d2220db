"""Serve, part two: when to build what. The one owner of the preview's state.

``Scheduler`` turns saves into commands for a builder, one command at a time:

- saves that arrive within ``quiet`` seconds of each other are one batch;
- a batch of saved articles is a ``quick`` update, of static files a ``static`` copy, anything
  else (or a quick update the builder cannot make exactly) a ``full`` build;
- saves during a command wait for it, then go as one batch;
- once saves have paused for ``settle`` seconds after quick updates, ``extras`` brings feeds,
  sitemap and search index up to date, beside the commands (the next save's quick update does
  not wait for it; a full build does); if no save came in meanwhile, ``record`` marks the
  output as what a full build of these inputs makes (a later command-line build is then a
  no-op).

It knows nothing of HTTP, processes or the event loop: the builder (``run(command, paths)``
and ``extras()``, blocking, see ``builder.BuilderProcess``) and the timers (``call_later``,
``cancel``, ``background``) are handed in, so tests drive it with a fake builder and a manual
clock. All its methods run on one thread (the server's event loop); only the builder's calls
run elsewhere, through ``timers.background``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

from .changes import Kind, batch_kind
from .diagnostics import Diagnostic

QUIET = 0.02
"""Seconds to wait for more events after a change (editors write a file in several steps)."""
SETTLE = 1.0
"""Seconds without saves after a quick update before feeds, sitemap and search index are
brought up to date."""


class Builder(Protocol):
    def run(self, command: str, arg: Any) -> dict:
        """Run one command (``full``, ``quick``, ``static``, ``record``) and return its
        result; blocking. See ``builder`` for the results."""

    def extras(self) -> dict:
        """Refresh feeds, sitemap and search index: ``{"written", "fingerprint"}``; blocking,
        while commands may run."""


class Timers(Protocol):
    def call_later(self, delay: float, callback: Callable[[], None]) -> Any: ...

    def cancel(self, handle: Any) -> None: ...

    def background(self, job: Callable[[], dict], done: Callable[[dict], None]) -> None:
        """Run ``job()`` off the scheduler's thread; call ``done(result)`` on it."""


@dataclass
class Status:
    """What the preview shows beside the pages: the last full build's error and problems."""

    last_error: str | None = None
    problems: list[str] = field(default_factory=list)
    builds: int = 0
    """Commands finished so far (tests wait on it)."""


class Scheduler:
    def __init__(
        self,
        builder: Builder,
        classify: Callable[[Path], Kind | None],
        timers: Timers,
        *,
        say: Callable[[str], None] = print,
        reload: Callable[[list[str]], None] = lambda paths: None,
        quiet: float = QUIET,
        settle: float = SETTLE,
    ) -> None:
        self.builder = builder
        self.classify = classify
        self.timers = timers
        self.say = say
        self.reload = reload
        self.quiet = quiet
        self.settle = settle
        self.status = Status()
        self.pending: set[Path] = set()
        self.running: str | None = None
        self.refreshing = False
        """Feeds, sitemap and search index are being refreshed (beside the commands)."""
        self.extras_due = False
        """Quick updates were made since feeds, sitemap and search index were last refreshed."""
        self.needs_full = False
        """A quick update could not be exact while a refresh ran: the next command is a full build."""
        self.saves = 0
        """Saves seen so far: an ``extras`` run records its result only if none came during it."""
        self._flush_timer = None
        self._settle_timer = None

    # ---- events -----------------------------------------------------------------------------
    def start(self, first: dict | None = None) -> None:
        """The first build: its result if it was run already (``serve`` builds before it
        listens), else it runs now."""
        if first is None:
            self._run("full", [])
        else:
            self.status.builds += 1
            self._after_full(first)

    def saved(self, path: Path) -> None:
        """A file changed (created, modified, deleted or moved: each path of the event)."""
        if self.classify(path) is None:
            return
        self.saves += 1
        self.pending.add(path)
        self._cancel_settle()
        if self._flush_timer is None:
            self._flush_timer = self.timers.call_later(self.quiet, self._flush)

    # ---- decisions --------------------------------------------------------------------------
    def _flush(self) -> None:
        self._flush_timer = None
        if self.running is not None or not self.pending:
            return  # a running command takes the batch when it ends
        paths = sorted(self.pending)
        self.pending.clear()
        kind = batch_kind({self.classify(p) for p in paths})
        command = (
            "full" if self.needs_full else {Kind.ARTICLE: "quick", Kind.STATIC: "static"}.get(kind, "full")
        )
        if command == "full" and self.refreshing:
            self.pending.update(paths)  # after the refresh (``_refreshed``)
            return
        self._run(command, paths)

    def _run(self, command: str, arg: Any) -> None:
        self.running = command
        saves = self.saves
        self.timers.background(
            lambda: self.builder.run(command, arg), lambda result: self._done(command, arg, saves, result)
        )

    def _done(self, command: str, arg: Any, saves: int, result: dict) -> None:
        self.running = None
        self.status.builds += 1
        if result.get("fallback"):  # the quick path could not be exact: build instead
            if result.get("written"):  # new stories' first look (``live.LiveSite.first_look``)
                self.reload(list(result["written"]))
            if self.refreshing:
                self.pending.update(arg)
                self.needs_full = True
                return
            self._run("full", arg)
            return
        if command == "full":
            self.needs_full = False
        elif result.get("ok") is False:  # the build process could not run it (stopped, busy)
            self._after_full(result)
            self._next()
            return
        if command == "full":
            self._after_full(result)
        elif command in ("quick", "static"):
            self._after_quick(command, arg, result)
        self._next()

    def _after_full(self, result: dict) -> None:
        self.extras_due = False
        if result.get("ok"):
            self.status.last_error = None
            self.status.problems = list(result.get("problems", ()))
            self.say(f"rebuilt in {result.get('seconds', 0):.2f}s: {result.get('summary', '')}")
            for problem in self.status.problems:
                self.say(Diagnostic.parse(problem, "error").render())
        else:
            self.status.last_error = result.get("error") or "the build failed"
            self.say(f"build failed, still serving the last good site:\n{result.get('detail', '')}")
        self.reload(["*"])

    def _after_quick(self, command: str, paths: list[Path], result: dict) -> None:
        written = list(result.get("written", ()))
        if command == "quick":
            self.extras_due = True
            self.say(f"updated {len(written)} pages in {result.get('seconds', 0):.3f}s")
            fixed = tuple(f"{rel}:" for rel in result.get("sources", ()))
            self.status.problems = [p for p in self.status.problems if not p.startswith(fixed)]
        else:
            self.say(f"copied {len(written)} static files")
        if written:
            self.reload(written)

    def _next(self) -> None:
        if self.pending:
            self._flush()
        elif self.extras_due:
            self._cancel_settle()
            self._settle_timer = self.timers.call_later(self.settle, self._settled)

    def _settled(self) -> None:
        self._settle_timer = None
        if self.running is None and not self.pending and self.extras_due and not self.refreshing:
            self.extras_due = False
            self.refreshing = True
            saves = self.saves
            self.timers.background(self.builder.extras, lambda result: self._refreshed(saves, result))

    def _refreshed(self, saves: int, result: dict) -> None:
        self.refreshing = False
        self.status.builds += 1
        self.say(f"feeds, sitemap and search index refreshed ({result.get('written', 0)} files)")
        # Recorded as a full build's output only if nothing changed meanwhile and the last full
        # build succeeded (after a failed one, the output is the last good build's, not these
        # inputs').
        current = saves == self.saves and self.running is None and not self.pending
        if result.get("fingerprint") and current and self.status.last_error is None:
            self._run("record", result["fingerprint"])
        elif self.running is None:
            self._next()

    def _cancel_settle(self) -> None:
        if self._settle_timer is not None:
            self.timers.cancel(self._settle_timer)
            self._settle_timer = None
