"""What a build reports: counts, the problems and warnings per input file, stage timings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .textnorm import BIDI_CONTROL_RANGES, BIDI_MARK_RANGES, char_class

_UNPRINTABLE = re.compile(
    f"[\x00-\x1f\x7f-\x9f\ud800-\udfff{char_class(BIDI_MARK_RANGES, BIDI_CONTROL_RANGES)}]"
)


def terminal_safe(text: str) -> str:
    """Messages quote input text (titles, file names): control characters (ANSI escapes that
    set the terminal's title or clear the screen, line feeds that would forge a message),
    bidi controls and undecodable file-name bytes are shown as escapes, never sent to the
    terminal."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


@dataclass
class BuildReport:
    pages: int = 0
    articles: int = 0
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    site: Any = None
    """The assembled ``model.Site`` (None when nothing was built)."""
    changed: int = 0
    """Files written (a full build writes all of them; an incremental one only changed files)."""
    kept: dict[str, Any] = field(default_factory=dict)
    """With ``build_site(keep=True)``: the planned pages, planner, environments and manifest."""
    unchanged: bool = False
    """True when the cache showed nothing had changed since the last build: nothing was done."""
    processes: int = 1
    """Processes that rendered the pages (``parallel.run_tasks``)."""

    @property
    def exit_code(self) -> int:
        """0 built (warnings, if any, listed); 1 built, but some inputs were skipped (each one
        listed). A warning (a repaired input, a future article held back) is no failure."""
        return 1 if self.problems else 0

    def diagnostics(self) -> list:
        """Every message as a ``diagnostics.Diagnostic``: skipped inputs are errors, the rest
        warnings."""
        from .diagnostics import diagnostics

        return diagnostics(self.problems, self.notices)

    def strict_exit_code(self) -> int:
        """``--strict``: any warning is a failure too."""
        return 1 if self.problems or self.notices else 0

    @classmethod
    def replay(cls, state, seconds: float) -> "BuildReport":
        """The report of a build that had nothing to do: the last build's messages, again."""
        return cls(
            articles=state.articles,
            problems=list(state.problems),
            notices=list(state.notices),
            timings={"check": seconds},
            unchanged=True,
        )

    def summary(self) -> str:
        if self.unchanged:
            return (
                f"nothing changed since the last build ({self.articles} articles); "
                f"skipped {len(self.problems)}, warnings {len(self.notices)}"
            )
        processes = f" in {self.processes} processes" if self.processes > 1 else ""
        return (
            f"built {self.articles} articles, {self.pages} files ({self.changed} written){processes}; "
            f"skipped {len(self.problems)}, warnings {len(self.notices)}"
        )
