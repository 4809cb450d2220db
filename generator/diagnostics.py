"""Diagnostics: every message the tool gives about an input, as one type, printed one way.

A ``Diagnostic`` has a level (``fatal``: nothing was built; ``error``: an input was skipped;
``warning``: built, with something to know), the file it concerns, the field or line within
it when there is one, and a message. It is also the text ``file: message``, so the lists of a
``BuildReport`` (``problems`` are errors, ``notices`` warnings) and the build's saved state
keep working as text, and a message made as plain text anywhere (``"path: reason"``, the
form every reader uses) is read back into its parts by ``Diagnostic.parse``.

Printed for a person as ``level: file: message`` (``render``, terminal-safe); for CI as JSON
(``as_dict``, ``python build.py --json``).
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from .report import terminal_safe

LEVELS = ("fatal", "error", "warning")

# What may follow the file name: "line 12: ...", "[languages.ckb] calendars: ...",
# "field 'date' ...", "'date' ...", "tags: ..." (one identifier before a colon).
_LINE = re.compile(r"line (\d+)\b[:;,]?\s*")
_TABLE_KEY = re.compile(r"\[([\w.-]+)\] ([\w.-]+):\s")
_QUOTED_FIELD = re.compile(r"(?:field |front matter field )?'([A-Za-z_][\w.-]*)'[\s:]")
_LEADING_FIELD = re.compile(r"([A-Za-z_][\w.-]*): ")


class Diagnostic(str):
    """One message about one input: ``str(d)`` is ``file: message``."""

    level: str
    file: str
    message: str
    field: str | None
    line: int | None

    def __new__(
        cls,
        file: str,
        message: str,
        *,
        level: str = "warning",
        field: str | None = None,
        line: int | None = None,
    ) -> "Diagnostic":
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
        self = super().__new__(cls, f"{file}: {message}" if file else message)
        self.level, self.file, self.message = level, str(file), message
        self.field, self.line = field, line
        return self

    def __reduce__(self):
        # Diagnostics travel from worker processes: rebuild them from their parts.
        return (_restore, (self.file, self.message, self.level, self.field, self.line))

    @classmethod
    def parse(cls, text: str, level: str = "warning") -> "Diagnostic":
        """``text`` as a diagnostic of ``level``: a ``Diagnostic`` keeps its parts; plain
        ``file: message`` text is split, with the field or line the message starts with."""
        if isinstance(text, Diagnostic):
            return text if text.level == level else text.at(level)
        file, sep, message = str(text).partition(": ")
        if not sep or "\n" in file or not ("/" in file or "." in file):
            return cls("", str(text), level=level)  # no file named: "site.toml", "seeds/a.txt"
        field, line = None, None
        if m := _LINE.match(message):
            line = int(m.group(1))
        elif m := _TABLE_KEY.match(message):
            field = f"{m.group(1)}.{m.group(2)}"
        elif m := _QUOTED_FIELD.match(message):
            field = m.group(1)
        elif m := _LEADING_FIELD.match(message):
            field = m.group(1)
        return cls(file, message, level=level, field=field, line=line)

    def at(self, level: str) -> "Diagnostic":
        return Diagnostic(self.file, self.message, level=level, field=self.field, line=self.line)

    def render(self) -> str:
        """``level: file: message`` for a terminal (control and bidi characters escaped)."""
        return f"{self.level}: {terminal_safe(str(self))}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "file": self.file or None,
            "field": self.field,
            "line": self.line,
            "message": self.message,
        }


def _restore(file: str, message: str, level: str, field: str | None, line: int | None) -> Diagnostic:
    return Diagnostic(file, message, level=level, field=field, line=line)


def diagnostics(problems: Iterable[str], notices: Iterable[str]) -> list[Diagnostic]:
    """A report's messages as diagnostics: skipped inputs are errors, the rest warnings."""
    return [Diagnostic.parse(p, "error") for p in problems] + [
        Diagnostic.parse(n, "warning") for n in notices
    ]
