"""Model stage: immutable records that flow from the readers to the renderer.

Both readers (``seeds`` for raw scraped text, ``content`` for Markdown with front matter)
return the same ``ArticleRecord``; ``assemble`` turns records into ``Article``s
with slugs, URLs and translation links. No I/O happens here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import zlib
from dataclasses import dataclass, field
from typing import Any, Mapping


class Packed:
    """A text field kept zlib-compressed inside the record (a descriptor-typed dataclass field).

    Bodies are most of a build's memory (an Arabic letter takes two bytes in a Python string)
    and each is read a few times per build, so they are stored compressed, about a quarter
    of the size, and unpacked on access (tens of microseconds). ``tuple_of_text`` fields hold
    a tuple of paragraphs (stored as a JSON array).
    """

    def __init__(self, default, *, tuple_of_text: bool = False) -> None:
        self.default = default
        self.tuple_of_text = tuple_of_text

    def __set_name__(self, owner, name: str) -> None:
        self.slot = "_packed_" + name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self.default
        data = obj.__dict__[self.slot]
        if data is None:
            return self.default
        if type(data) is tuple:
            data = stored_body(data)
        text = zlib.decompress(data).decode("utf-8", "surrogatepass")
        return tuple(json.loads(text)) if self.tuple_of_text else text

    def __set__(self, obj, value) -> None:
        if self.tuple_of_text:
            value = tuple(value)
            text = json.dumps(value, ensure_ascii=False) if value else None
        else:
            text = value if value else None
        obj.__dict__[self.slot] = (
            None if text is None else zlib.compress(text.encode("utf-8", "surrogatepass"), 1)
        )


def stored_body(ref: tuple[str, int, int]) -> bytes:
    """The packed bytes a record's field left in a file of the build cache: ``ref`` is (path,
    offset, length), what ``cache.BuildCache`` with ``lazy_bodies`` puts in the field instead
    of the bytes. A build that draws a few pages reads a few bodies instead of loading those
    of 100,000 stories (most of the records' bytes)."""
    path, offset, length = ref
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        if hasattr(os, "pread"):
            data = os.pread(fd, length, offset)
        else:
            os.lseek(fd, offset, os.SEEK_SET)
            data = os.read(fd, length)
    finally:
        os.close(fd)
    if len(data) != length:
        raise OSError(f"{path}: cut short (a build cache file changed while in use)")
    return data


PACKED_SLOTS = ("_packed_body_html", "_packed_paragraphs")
"""The ``Packed`` fields of ``ArticleRecord`` as kept in its ``__dict__``."""


@dataclass(frozen=True)
class Image:
    """An article's lead image."""

    src: str
    """A path (beside the article or under ``content/images/``) or an http(s) URL."""
    alt: str = ""
    caption: str = ""
    credit: str = ""
    remote: bool = False
    """True when ``src`` is a URL."""


Terms = tuple[tuple[str, tuple[str, ...]], ...]
"""Taxonomy name -> values as written, as a sorted tuple of pairs (hashable, comparable)."""


def make_terms(mapping) -> Terms:
    return tuple(sorted((name, tuple(values)) for name, values in mapping.items() if values))


@dataclass(frozen=True)
class ArticleRecord:
    """What a reader made of one source file, before site-wide decisions (slugs, URLs)."""

    path: str
    """Source path relative to the site root, with forward slashes (e.g. ``seeds/x.txt``)."""
    kind: str
    """``seed`` or ``markdown``."""
    format: str
    """Detected input format: ``wire``, ``pagetext``, ``print``, ``html``, ``markdown`` ..."""
    lang: str
    """Language code of the article (``ar``, ``fa``, ``ur``, ``en``, ``fr`` ...)."""
    title: str
    published: dt.datetime | None
    """Publication time, aware, in the site's time zone; a day alone is its midnight (see
    ``timed``). None when the source names no date: the article is then undated."""
    summary: str
    """The lead: first paragraph (seeds: the dateline's paragraph without the dateline)."""
    body_html: str = Packed("")  # type: ignore[assignment]
    """Sanitised HTML of the body; safe to insert into a page as is (stored compressed)."""
    paragraphs: tuple[str, ...] = Packed((), tuple_of_text=True)  # type: ignore[assignment]
    """The body as plain-text paragraphs (for inspection, search and reading time; compressed)."""
    terms: Terms = ()
    """Per taxonomy (``tags``, ``sources``, ``sections`` ...), the values as written (display
    forms); keys and slugs are made in ``assemble``. See ``values``."""
    city: str | None = None
    slug: str | None = None
    """Explicit slug from front matter or a sidecar; None lets the pipeline derive one."""
    translation_key: str | None = None
    draft: bool = False
    updated: dt.datetime | None = None
    """Last correction, aware, in the site's time zone (None: never updated)."""
    timed: bool = False
    """True when the source gave a time of day (pages then show it); False: a day only."""
    image: Image | None = None
    top: bool = False
    """Flagged as the front page's lead (``fields``: ``top``)."""
    breaking: bool = False
    """Flagged as breaking news: a front-page banner for ``breaking_hours`` after its time."""
    source_id: str = ""
    """Stable id of the story, not its file path: the permalink register keys URLs on it.
    ``seed:<file stem>``, ``<lang>/<path in content/<lang>/ without .md>``, or the ``id`` field."""
    warnings: tuple[str, ...] = ()
    source_hash: str = ""
    """Hash of the source bytes (and sidecar), used for caching."""
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    """Reader-specific facts that templates may show (e.g. ``encoding``)."""
    body_images: tuple[tuple[str, str], ...] | None = None
    """(src, alt) of the images in ``body_html``, found when the source was read (None: not
    looked for; ``images.Pictures`` then looks, unpacking the body)."""
    fingerprint: str = field(default="", compare=False, hash=False)
    """Digest of every other field as read (``pagekeys.record_key``), set once when the
    source is read and cached with the record. The site-wide clean-up of a record
    (``assemble.screen``) depends on the record and the configuration only, so the cleaned
    record keeps it."""

    @property
    def paragraph_count(self) -> int:
        return len(self.paragraphs)

    @property
    def date(self) -> dt.date | None:
        """Publication day in the site's time zone."""
        return self.published.date() if self.published is not None else None

    def values(self, taxonomy: str) -> tuple[str, ...]:
        for name, values in self.terms:
            if name == taxonomy:
                return values
        return ()

    @property
    def tags(self) -> tuple[str, ...]:
        return self.values("tags")

    @property
    def sources(self) -> tuple[str, ...]:
        """Publisher and agencies named by the dateline or the fields (e.g. Sputnik)."""
        return self.values("sources")

    def with_terms(self, name: str, values) -> "ArticleRecord":
        from dataclasses import replace

        terms = dict(self.terms)
        terms[name] = tuple(values)
        return replace(self, terms=make_terms(terms))


@dataclass(frozen=True)
class TermRef:
    """A term of one taxonomy (a tag, a section, an author, a source) as one article links to it."""

    key: str
    """Normalised comparison key (spelling variants share it)."""
    name: str
    """Display form: the most common written form in the language."""
    slug: str
    lang: str
    taxonomy: str = "tags"


@dataclass(eq=False)
class Article:
    """An article placed in the site: its record plus site-wide decisions.

    An entity, compared by identity: the pages, lists and term pages of one build hold the
    same object. Its fields are set once when the site is assembled; the one change after
    that is ``replace_record``, the preview's quick update of a story's text."""

    record: ArticleRecord
    slug: str
    path: str
    """Output path relative to the output folder (``ar/articles/<slug>/index.html``)."""
    terms: Mapping[str, tuple[TermRef, ...]] = field(default_factory=dict, compare=False)
    """Per configured taxonomy, the terms this article is filed under (in the order written)."""
    translation_group: str = ""
    """Key shared by all translations of one story (the record's key, or its source id)."""
    former_paths: tuple[str, ...] = ()
    """Output paths the article was published at before an explicit slug change (redirects)."""

    def replace_record(self, record: ArticleRecord) -> None:
        """Put a re-read record of the same source in place (``live.LiveSite.quick_update``,
        only when its placement is unchanged: same language, date, terms, slug and key)."""
        if record.path != self.record.path:
            raise ValueError(f"{record.path} is not the source of {self.path}")
        self.record = record

    # Convenience accessors used by templates.
    @property
    def lang(self) -> str:
        return self.record.lang

    @property
    def title(self) -> str:
        return self.record.title

    @property
    def date(self):
        return self.record.date

    @property
    def published(self):
        return self.record.published

    @property
    def timed(self) -> bool:
        return self.record.timed

    @property
    def summary(self) -> str:
        return self.record.summary

    @property
    def body_html(self) -> str:
        return self.record.body_html

    @property
    def sources(self) -> tuple[str, ...]:
        return self.record.sources

    @property
    def tags(self) -> tuple[TermRef, ...]:
        return self.terms.get("tags", ())

    @property
    def source_id(self) -> str:
        return self.record.source_id

    @property
    def modified(self):
        """The later of publication and last correction (None when undated)."""
        published, updated = self.record.published, self.record.updated
        if published is None:
            return None
        return updated if updated is not None and updated > published else published


@dataclass(frozen=True)
class Term:
    """One term of one taxonomy in one language, with the articles filed under it (newest first)."""

    lang: str
    key: str
    name: str
    slug: str
    articles: tuple[Article, ...]
    entity: str | None = None
    """Cross-language identity (a CLDR territory code or a term-translation id), if known."""
    taxonomy: str = "tags"


Tag = Term


@dataclass(frozen=True)
class Site:
    """Everything the renderer needs, grouped per language. Built by ``assemble``."""

    articles: dict[str, tuple[Article, ...]]
    """Per language, newest first (undated last, then by slug)."""
    terms: dict[str, dict[str, tuple[Term, ...]]]
    """Per taxonomy, per language, the terms in the language's alphabetical order."""
    translations: dict[str, tuple[Article, ...]]
    """Translation group -> its articles (one per language)."""
    problems: tuple[str, ...] = ()
    """Person-readable errors for inputs that were skipped (``path: reason``)."""
    notices: tuple[str, ...] = ()
    """Warnings for inputs that were built but repaired or guessed."""
    redirects: tuple[tuple[str, str], ...] = ()
    """(old output path, article output path) for every explicit slug change (see ``permalinks``)."""
    permalinks: Any = None
    """The permalink register as this build leaves it (``permalinks.Register``)."""

    @property
    def tags(self) -> dict[str, tuple[Term, ...]]:
        return self.terms.get("tags", {})
