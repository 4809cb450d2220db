"""Permanent URLs: the register of the URL each story was first published at.

A story's URL is made from its headline the first time it is built; from then on the
register (``permalinks.tsv`` in the site folder, meant to be committed with the site) keeps
it, so a corrected headline, or a seed read better by a newer reader, never moves a
published story. Only an explicit ``slug`` moves it; the old address is then kept as a
former slug and the build leaves a redirect page there (like Hugo's aliases).

The file is plain text, one story per line, sorted by source id, so a diff shows exactly
which URLs a change published or moved::

    # comment lines
    <source id> TAB <language> TAB <slug> [TAB <former slug> ...]

Stories that are gone keep their line: their addresses are never given to another story.
Reading is forgiving (a damaged line is reported and ignored); writing is atomic.
"""

from __future__ import annotations

import hashlib
import re

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

HEADER = (
    "# Sahifa permalink register: the address each story was first published at.\n"
    "# One story per line: source id, language, slug, then its former slugs (each one is a\n"
    "# redirect). Commit this file with the site; edit a line only to move a story on purpose.\n"
)
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(text: str) -> str:
    if not _SPECIAL.search(text):
        return text  # the common case, without a look at every character
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


_SPECIAL = re.compile(r"[\\\t\n\r]")
_HEADER_LINES = HEADER.count("\n")


def _plain_line(parts: list[str], last: str) -> bool:
    """True when a line of ``parts`` other than the common kind is one ``dump`` writes: an
    entry with former slugs, its cells unpadded and nothing to escape, after ``last``."""
    return (
        len(parts) > 3
        and all(part and part == part.strip() and "\\" not in part for part in parts)
        and not parts[0].startswith("#")
        and parts[0] > last
    )


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append({"t": "\t", "n": "\n", "r": "\r"}.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class Entry(NamedTuple):
    """One story's line (a named tuple: a register holds one per story ever published)."""

    lang: str
    slug: str
    former: tuple[str, ...] = ()


@dataclass
class Register:
    entries: dict[str, Entry] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    read: tuple[str, dict[str, Entry]] | None = None
    """The text read and the entries it holds, when that text is the one ``dump`` makes of
    them (the register as a build wrote it): ``save`` then compares entries, not bytes."""
    saved: str | None = field(default=None, compare=False, repr=False)
    """The digest (SHA-256, hex) of the register file's bytes once ``save`` has seen to them."""

    @classmethod
    def parse(cls, text: str, name: str = "permalinks.tsv") -> "Register":
        register = cls()
        entries = register.entries
        lines = text.splitlines()
        # As ``dump`` writes it: the header, then plain lines in order, each ended by "\n".
        canonical = text.startswith(HEADER) and text.count("\n") == len(lines) and "\r" not in text
        last = ""
        for number, line in enumerate(lines, 1):
            parts = line.split("\t")
            if len(parts) == 3 and "\\" not in line:  # the common line: nothing to unescape
                ident, lang, slug = parts
                if ident not in entries and lang == lang.strip() and slug == slug.strip() and lang and slug:
                    if ident.strip() and not ident.startswith("#"):
                        entries[ident] = Entry(lang, slug)
                        if ident <= last:
                            canonical = False
                        last = ident
                        continue
            if canonical and number > _HEADER_LINES:  # not the header: a line dump writes?
                canonical = _plain_line(parts, last)
                if canonical:
                    last = parts[0]
            if not line.strip() or line.startswith("#"):
                continue
            if len(parts) < 3 or not all(p.strip() for p in parts[:3]):
                register.problems.append(f"{name}: line {number} is not 'id TAB language TAB slug'; ignored")
                continue
            ident = _unescape(parts[0])
            if ident in register.entries:
                register.problems.append(
                    f"{name}: line {number}: {ident!r} is listed twice; the first line wins"
                )
                continue
            register.entries[ident] = Entry(
                parts[1].strip(),
                _unescape(parts[2].strip()),
                tuple(_unescape(p.strip()) for p in parts[3:] if p.strip()),
            )
        if canonical and not register.problems:
            register.read = (text, dict(entries))
        return register

    def unchanged(self) -> bool:
        """True when ``dump`` would give the text this register was read from."""
        return self.read is not None and self.entries == self.read[1]

    @classmethod
    def load(cls, path: Path | None) -> "Register":
        if path is None:
            return cls()
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return cls()
        except OSError as exc:
            register = cls()
            register.problems.append(
                f"{path.name}: cannot be read ({exc.strerror or exc}); URLs follow the titles"
            )
            return register
        return cls.parse(data.decode("utf-8", "replace"), path.name)

    def dump(self) -> bytes:
        lines = [HEADER]
        for ident in sorted(self.entries):
            entry = self.entries[ident]
            cells = [_escape(ident), entry.lang, _escape(entry.slug), *map(_escape, entry.former)]
            lines.append("\t".join(cells) + "\n")
        return "".join(lines).encode("utf-8")

    def taken(self) -> dict[tuple[str, str], str]:
        """(language, slug) -> the source id holding it, current and former slugs alike."""
        owners: dict[tuple[str, str], str] = {}
        for ident in sorted(self.entries):
            entry = self.entries[ident]
            for slug in (entry.slug, *entry.former):
                owners.setdefault((entry.lang, slug), ident)
        return owners


def save(register: Register, path: Path | None) -> bool:
    """Write the register if its bytes changed; True when written."""
    if path is None:
        return False
    from .write import atomic_write

    try:
        held = path.read_bytes()
    except OSError:
        held = None
    if held is not None and register.unchanged() and held == register.read[0].encode("utf-8"):
        register.saved = hashlib.sha256(held).hexdigest()
        return False  # as read, and read as this build would write it
    data = register.dump()
    register.saved = hashlib.sha256(data).hexdigest()
    if held == data:
        return False
    atomic_write(path, data, mode=0o644)
    return True
