"""The reader registry: which reader handles an input file, asked in one place.

A reader takes one input file and returns zero or more ``ArticleRecord``s, each with a stable
``source_id`` that is not the file path (so one input can carry many stories: a feed, a wire
bundle). The build (``sources.discover`` and ``pipeline.read_records``), ``inspect``,
``import``, the build cache and the preview server all ask ``reader_for``; adding an input
format is one more ``Reader`` in ``READERS``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import SahifaError
from .fields import DEFAULT_SCHEMA, Schema
from .model import ArticleRecord


@dataclass(frozen=True)
class ReadOptions:
    """What every reader is given besides the file (picklable: it goes to worker processes)."""

    root: Path
    trusted: bool = False
    """Raw HTML in Markdown is kept (``allow_raw_html``) instead of sanitised."""
    schema: Schema = DEFAULT_SCHEMA
    time_limit: float = 10.0
    """Seconds one input may take (``budget.time_limit``); not part of the cache key: a
    record that was read is the same whatever the limit was."""

    @classmethod
    def from_config(cls, config) -> "ReadOptions":
        return cls(
            root=config.root,
            trusted=config.allow_raw_html,
            schema=Schema.from_config(config),
            time_limit=config.article_time_limit,
        )

    def cache_key(self) -> str:
        return f"trusted={self.trusted} {self.schema.key()}"


@dataclass(frozen=True)
class Reader:
    """One input format."""

    kind: str
    """``markdown``, ``seed`` ... (recorded on every record it makes)."""
    folder: str
    """The input folder it reads, relative to the site root."""
    suffixes: tuple[str, ...]
    per_language: bool
    """Files live in ``<folder>/<lang>/`` (any depth), and the folder names the language."""
    read: Callable[[Path, "ReadOptions", "str | None"], list[ArticleRecord]]
    sidecar: str | None = None
    """Suffix of a file beside each input that belongs to it (part of its cache signature)."""

    def accepts(self, path: Path) -> bool:
        return path.suffix.lower() in self.suffixes

    def sidecar_of(self, path: Path) -> Path | None:
        return path.with_suffix(self.sidecar) if self.sidecar else None

    def digest(self, path: Path) -> str:
        """``source_digest`` of the file and its sidecar as they are on disk now (what the
        reader would record as ``source_hash``). Raises ``OSError`` or ``SahifaError`` when
        either cannot be read under the input path policy (then the reader says why)."""
        from .paths import read_input

        side = self.sidecar_of(path)
        side_bytes = None
        if side is not None and (side.exists() or side.is_symlink()):
            side_bytes = read_input(side, str(side), folder=path.parent)
        return source_digest(read_input(path, str(path)), side_bytes)


def source_digest(data: bytes, sidecar: bytes | None = None) -> str:
    """The content key of one input: sha256 of its bytes and of its sidecar's, if it has one.
    Readers record it as ``ArticleRecord.source_hash``; the build cache keys records on it."""
    h = hashlib.sha256(data)
    if sidecar is not None:
        h.update(b"\0sidecar\0" + sidecar)
    return h.hexdigest()


def _read_markdown(path: Path, options: ReadOptions, lang: str | None) -> list[ArticleRecord]:
    from .content import read_markdown

    return [read_markdown(path, options.root, lang, trusted=options.trusted, schema=options.schema)]


def _read_seed(path: Path, options: ReadOptions, lang: str | None) -> list[ArticleRecord]:
    from .seeds import read_seed

    return [read_seed(path, options.root, options.schema)]


READERS: tuple[Reader, ...] = (
    Reader("markdown", "content", (".md",), per_language=True, read=_read_markdown),
    Reader("seed", "seeds", (".txt", ".html", ".htm"), per_language=False, read=_read_seed, sidecar=".yml"),
)


_BY_KIND = {reader.kind: reader for reader in READERS}


def reader_named(kind: str) -> Reader:
    return _BY_KIND[kind]


def reader_for(path: Path, root: Path) -> tuple[Reader, str | None] | None:
    """(reader, language from the folder or None) for a file in ``root``'s input folders, or
    None when it is not an input (another suffix, a hidden name, the wrong depth, elsewhere)."""
    path = Path(path)
    for reader in READERS:
        folder = root / reader.folder
        try:
            inner = path.relative_to(folder)
        except ValueError:
            continue
        if not reader.accepts(path) or any(part.startswith(".") for part in inner.parts):
            return None
        if reader.per_language:
            if len(inner.parts) < 2:
                return None
            return reader, inner.parts[0]
        return (reader, None) if len(inner.parts) == 1 else None
    return None


def read_file(
    path: Path, options: ReadOptions, kind: str | None = None, lang: str | None = None
) -> list[ArticleRecord]:
    """The records of one input file; any failure is a ``SahifaError`` naming the file."""
    if kind is not None:
        return reader_named(kind).read(path, options, lang)
    reader, found_lang = choose_reader(path, options.root)
    return reader.read(path, options, lang or found_lang)


def choose_reader(path: Path, root: Path, name: str | None = None) -> tuple[Reader, str | None]:
    """``reader_for`` inside the site; for a file elsewhere (``inspect`` on any file), the
    reader that takes its suffix. ``SahifaError`` (naming ``name`` or the path) when none does."""
    found = reader_for(path, root)
    if found is not None:
        return found
    reader = next((r for r in READERS if r.accepts(path)), None)
    if reader is None:
        raise SahifaError(name or str(path), "no reader takes this kind of file")
    return reader, path.parent.name if reader.per_language else None
