"""Configuration stage: ``site.toml`` -> one frozen ``SiteConfig``, passed along explicitly.

Nothing here is global: every other stage receives the config object it needs. Unknown keys
are rejected so that a typo is an error, not a silently ignored setting.
"""

from __future__ import annotations

import re
import tomllib
import urllib.parse
import zoneinfo
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from babel import Locale

from .calendars import default_calendars
from .errors import SahifaError
from .languages import default_font, default_reading_speed, default_search_clitics, direction
from .schema import CALENDAR_NAMES, FEED, FETCH, LANGUAGE, TAXONOMY, TOP, read_table

SHIPPED = Path(__file__).resolve().parent.parent
"""The folder holding the templates, static files and catalogues Sahifa ships (``templates/``,
``static/``, ``locale/`` beside ``generator/``). Any site folder builds with them."""

CALENDARS = CALENDAR_NAMES
RESERVED_SEGMENTS = frozenset(
    {
        "articles",
        "archive",
        "page",
        "static",
        "search",
        "feed.xml",
        "rss.xml",
        "404.html",
        "index.html",
        "sitemaps",
    }
)
"""URL segments a taxonomy may not take: the site's other page kinds live there."""
_SEGMENT = re.compile(r"^[^\s/\\?#%.][^\s/\\?#%]{0,60}$")


@dataclass(frozen=True)
class LanguageConfig:
    """One language of the site (Hugo's Language value object)."""

    code: str
    """BCP 47 code used in URLs and ``lang`` attributes (``ar``, ``fa`` ...)."""
    name: str
    """The language's own name in its own script (for switchers and "also in" links)."""
    locale: str
    """CLDR locale id (``ar_SY``): month names, digits and collation follow it."""
    title: str
    description: str
    calendars: tuple[str, ...]
    """Calendars shown for each date, in order (first is the main one)."""
    digits: str
    """``default`` (the locale's CLDR numbering system), ``latn``, ``arab`` or ``arabext``."""
    arabic_months: str = "both"
    weight: int = 0
    font: str = "latin"
    """The theme's font family (``[data-font]`` in the stylesheet; ``languages.default_font``)."""
    line_height: float | None = None
    """The body's line height when the family's own is not right for the language."""
    search_clitics: str = "none"
    """Clitics the search index reads off words (``arabic`` or ``none``; data/search.toml)."""
    reading_speed: int = 220
    """Words per minute for the reading time (data/reading.toml, by script)."""

    @property
    def direction(self) -> str:
        """``rtl`` or ``ltr``: the direction of the locale's script (``languages.direction``,
        from ICU and Unicode, not from a hand-kept list)."""
        return direction(self.locale)

    @property
    def babel_locale(self) -> Locale:
        return Locale.parse(self.locale)


@lru_cache(maxsize=None)
def zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone ``name`` (``ZoneInfoNotFoundError`` when there is none)."""
    return zoneinfo.ZoneInfo(name)


@dataclass(frozen=True)
class TaxonomyConfig:
    """One way of grouping articles (tags, sections, authors, sources, regions ...).

    Everything a taxonomy does is read from here: which input fields fill it, its URL segment,
    whether its terms get feeds and whether it has an index page. Nothing in code names one.
    """

    name: str
    """Key in ``[taxonomies.<name>]``; also the front matter field that fills it."""
    segment: str
    """URL segment: ``/<lang>/<segment>/<term slug>/``."""
    title: str
    """Heading of the index page, an interface string (looked up in the catalogues)."""
    singular: str
    """Label before an article's terms (``Section:``), an interface string."""
    fields: tuple[str, ...]
    """Input fields that fill it, the name first (``section``, ``category`` for sections)."""
    feeds: bool = True
    """An Atom feed per term."""
    index: bool = True
    """An index page listing every term of the language."""
    entities: bool = True
    """Terms are matched across languages (CLDR territories and ``[term_translations]``)."""
    max_terms: int = 50
    """Terms after this many on one article are dropped with a warning."""
    show: str = "header"
    """Where an article page names its terms: ``header`` (a labelled line under the date),
    ``footer`` (a titled list of links, as tags are usually shown) or ``none``."""
    jsonld: str | None = None
    """The schema.org ``NewsArticle`` property its terms fill (``keywords``, ``author``,
    ``articleSection``, ``sourceOrganization``), or None."""
    order: tuple[str, ...] = ()
    """Term-translation ids or names: the header's and the front page's order of its terms."""
    nav: bool = False
    """Its terms are links in every page's header (``order`` first)."""
    profiles: str | None = None
    """Folder under ``content/`` with one ``<id>.yml`` per term (``profiles.Profile``)."""


KNOWN_TAXONOMIES = {
    "tags": {
        "fields": ["tags", "tag", "keywords"],
        "title": "Tags",
        "singular": "Tags:",
        "show": "footer",
        "jsonld": "keywords",
    },
    "sources": {
        "fields": ["sources", "source"],
        "title": "Sources",
        "singular": "Sources:",
        "jsonld": "sourceOrganization",
    },
    "authors": {"fields": ["authors", "author"], "title": "Authors", "singular": "By", "jsonld": "author"},
    "sections": {
        "fields": ["sections", "section", "category"],
        "title": "Sections",
        "singular": "Section:",
        "jsonld": "articleSection",
        "nav": True,
    },
}
"""Defaults for taxonomies of these names (each setting can be given in ``site.toml``)."""
DEFAULT_TAXONOMIES = ("tags", "sources")
"""Used when ``site.toml`` configures no taxonomy: tags, and the publishers and agencies."""


@dataclass(frozen=True)
class FeedConfig:
    """One ``[[feeds]]`` subscription: a feed ``python build.py fetch`` follows."""

    url: str
    name: str
    """As readers see it (default: the feed's host)."""
    lang: str | None = None
    """The site language its stories go to when neither the feed nor the text says."""
    section: str | None = None
    full_text: bool = False
    max_items: int = 50
    min_interval: float = 900.0
    categories: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """The feed's category names that are sections here (category -> section)."""


@dataclass(frozen=True)
class FetchConfig:
    """``[fetch]``: how ``python build.py fetch`` behaves on the network."""

    contact: str = ""
    concurrency: int = 32
    per_host: int = 2
    host_delay: float = 0.5
    timeout: float = 20.0
    deadline: float = 60.0
    max_mb: float = 10.0
    report_after: float = 86400.0


def feed_key(url: str) -> str:
    """A feed URL compared as one: scheme and host in lower case, no default port, no fragment."""
    parts = urllib.parse.urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:  # not a number: compared as written
        return url.strip()
    if port and not (
        (parts.scheme.lower() == "http" and port == 80) or (parts.scheme.lower() == "https" and port == 443)
    ):
        host = f"{host}:{port}"
    return urllib.parse.urlunsplit((parts.scheme.lower(), host, parts.path or "/", parts.query, ""))


@dataclass(frozen=True)
class SiteConfig:
    root: Path
    """Folder holding ``site.toml``, ``content/``, ``seeds/``, ``templates/``, ``static/``."""
    title: str
    base_url: str
    """Absolute URL of the site, always ending in ``/`` (may carry a sub-path)."""
    default_language: str
    default_language_at_root: bool
    page_size: int
    publish_future: bool
    languages: tuple[LanguageConfig, ...]
    tag_translations: Mapping[str, Mapping[str, str | tuple[str, ...]]] = field(default_factory=dict)
    allow_raw_html: bool = False
    """Trusted sites may keep raw HTML in Markdown; otherwise it is sanitised."""
    search: bool = True
    """The search page and its static index (``false``: neither, and no link to them)."""
    breaking_hours: int = 6
    """Hours a ``breaking`` story keeps its front-page banner after its time."""
    taxonomies: tuple[TaxonomyConfig, ...] = ()
    """The configured groupings, in ``site.toml`` order (see ``TaxonomyConfig``)."""
    timezone: str = "UTC"
    """IANA zone for times written without an offset and for date-only articles in feeds."""
    article_time_limit: float = 10.0
    """Seconds one input may take to read and convert before it is skipped with an error
    (``budget.time_limit``); 0 turns the limit off. The default is about 100 times what a
    long real article needs, and far below the minutes pathological shapes take."""
    permalinks: str = "permalinks.tsv"
    """Register of source id -> URL, relative to the root (empty: URLs follow the titles)."""
    feeds: tuple[FeedConfig, ...] = ()
    """The ``[[feeds]]`` subscriptions, in ``site.toml`` order."""
    fetch: FetchConfig = field(default_factory=FetchConfig)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zone(self.timezone)

    def taxonomy(self, name: str) -> TaxonomyConfig:
        for taxonomy in self.taxonomies:
            if taxonomy.name == name:
                return taxonomy
        raise KeyError(name)

    @property
    def taxonomy_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.taxonomies)

    @property
    def term_limits(self) -> dict[str, int]:
        """Taxonomy -> most terms one article may have (``TaxonomyConfig.max_terms``)."""
        return {t.name: t.max_terms for t in self.taxonomies}

    @property
    def permalinks_path(self) -> Path | None:
        return self.root / self.permalinks if self.permalinks else None

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def content_data_dirs(self) -> frozenset[str]:
        """Folders of ``content/`` that hold no stories: ``images`` (lead images and the images
        in stories) and each taxonomy's ``profiles`` folder."""
        return frozenset({"images", *(t.profiles for t in self.taxonomies if t.profiles)})

    @property
    def seeds_dir(self) -> Path:
        return self.root / "seeds"

    @property
    def theme_layers(self) -> tuple[Path, ...]:
        """Folders that may hold ``templates/``, ``static/`` and ``locale/``, the first one that
        has a file winning: the site's ``theme/`` (its own overrides), the site folder itself
        (the demo, and sites made before ``theme/``), then what Sahifa ships (``SHIPPED``)."""
        layers: list[Path] = []
        for folder in (self.root / "theme", self.root, SHIPPED):
            if folder.resolve() not in [layer.resolve() for layer in layers]:
                layers.append(folder)
        return tuple(layers)

    @property
    def template_dirs(self) -> tuple[Path, ...]:
        return tuple(layer / "templates" for layer in self.theme_layers)

    @property
    def static_dirs(self) -> tuple[Path, ...]:
        return tuple(layer / "static" for layer in self.theme_layers)

    @property
    def locale_dirs(self) -> tuple[Path, ...]:
        return tuple(layer / "locale" for layer in self.theme_layers)

    @property
    def input_dirs(self) -> tuple[Path, ...]:
        """Every folder a build reads (the configuration file aside)."""
        return (self.content_dir, self.seeds_dir, *self.template_dirs, *self.static_dirs, *self.locale_dirs)

    @cached_property
    def language_codes(self) -> tuple[str, ...]:
        """(Asked once per story by the model: made once.)"""
        return tuple(lang.code for lang in self.languages)

    def language(self, code: str) -> LanguageConfig:
        for lang in self.languages:
            if lang.code == code:
                return lang
        raise KeyError(code)

    @property
    def base_path(self) -> str:
        """The URL path part of ``base_url`` (``/`` or ``/news/``)."""
        rest = self.base_url.split("://", 1)[-1]
        path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
        return path if path.endswith("/") else path + "/"


def _language(code: str, table: Mapping[str, Any], index: int, path: Path) -> LanguageConfig:
    where = f"[languages.{code}] "
    values = read_table(table, LANGUAGE, where, path)
    locale = values["locale"] or code
    try:
        Locale.parse(locale)
    except (ValueError, TypeError) as exc:
        raise SahifaError(str(path), f'{where}locale: found "{locale}", not a CLDR locale ({exc})') from None
    return LanguageConfig(
        code=code,
        name=values["name"] or code,
        locale=locale,
        title=values["title"] or code,
        description=values["description"],
        calendars=tuple(values["calendars"] or default_calendars(locale)),
        digits=values["digits"],
        arabic_months=values["arabic_months"],
        weight=index if values["weight"] is None else values["weight"],
        font=values["font"] or default_font(code, locale),
        line_height=values["line_height"],
        search_clitics=values["search_clitics"] or default_search_clitics(code, locale),
        reading_speed=values["reading_speed"] or default_reading_speed(code, locale),
    )


def parse_config(data: Mapping[str, Any], root: Path, path: Path | None = None) -> SiteConfig:
    """Validate a parsed TOML mapping into a ``SiteConfig`` (the keys and their types are
    declared once, in ``schema``)."""
    path = path or root / "site.toml"
    values = read_table(data, TOP, "", path)
    langs_table = values["languages"] or {"en": {"locale": "en"}}
    languages = tuple(
        sorted(
            (_language(code, table, i, path) for i, (code, table) in enumerate(langs_table.items())),
            key=lambda lang: (lang.weight, lang.code),
        )
    )
    default = values["default_language"] or languages[0].code
    if default not in {lang.code for lang in languages}:
        raise SahifaError(
            str(path),
            f'default_language: found "{default}", expected one of the languages '
            f"({', '.join(lang.code for lang in languages)})",
        )
    # A value is one name or a list of spellings: { ar = ["قاسم جومرت توكاييف", "توكاييف"] }.
    # ``term_translations`` (any taxonomy) and its older name ``tag_translations``.
    tables = {**(values["tag_translations"] or {}), **(values["term_translations"] or {})}
    tag_tr = {}
    for key, spellings in tables.items():
        if not isinstance(spellings, Mapping) or not all(
            isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
            for v in spellings.values()
        ):
            raise SahifaError(
                str(path),
                f'[term_translations] {key}: expected a table of language = "name" or ["names"]',
            )
        tag_tr[str(key)] = MappingProxyType(
            {str(lk): tuple(lv) if isinstance(lv, list) else lv for lk, lv in spellings.items()}
        )
    timezone = values["timezone"]
    try:
        zone(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise SahifaError(
            str(path),
            f'timezone: found "{timezone}", expected an IANA zone name such as "Asia/Riyadh" or "UTC"',
        ) from exc
    permalinks = values["permalinks"]
    if permalinks is False:
        permalinks = ""
    if not isinstance(permalinks, str) or permalinks.startswith(("/", "\\")) or ".." in permalinks.split("/"):
        raise SahifaError(
            str(path),
            f"permalinks: found {permalinks!r}, expected a file name inside the site folder, or false",
        )
    return SiteConfig(
        root=root,
        title=values["title"],
        base_url=check_base_url(values["base_url"], path),
        default_language=default,
        default_language_at_root=values["default_language_at_root"],
        page_size=values["page_size"],
        breaking_hours=values["breaking_hours"],
        publish_future=values["publish_future"],
        languages=languages,
        tag_translations=MappingProxyType(tag_tr),
        allow_raw_html=values["allow_raw_html"],
        search=values["search"],
        taxonomies=_taxonomies(values["taxonomies"], path),
        timezone=timezone,
        permalinks=permalinks,
        article_time_limit=values["article_time_limit"],
        feeds=_feeds(values["feeds"] or [], {lang.code for lang in languages}, path),
        fetch=FetchConfig(**read_table(values["fetch"] or {}, FETCH, "[fetch] ", path)),
    )


def _valid_port(parts: urllib.parse.SplitResult) -> bool:
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return False
    return True


def _feeds(tables: list, codes: set[str], path: Path) -> tuple[FeedConfig, ...]:
    """``[[feeds]]`` tables: each URL an absolute http(s) address, given once; ``lang`` a
    configured language."""
    result: list[FeedConfig] = []
    seen: dict[str, int] = {}
    for n, table in enumerate(tables, 1):
        where = f"[[feeds]] #{n} "
        values = read_table(table, FEED, where, path)
        url = (values["url"] or "").strip()
        if not url:
            raise SahifaError(
                str(path), f"{where}url: missing; every [[feeds]] table names its feed's address"
            )
        parts = urllib.parse.urlsplit(url) if url else None
        if (
            parts is None
            or parts.scheme.lower() not in ("http", "https")
            or not parts.hostname
            or re.search(r"[\s<>\"]", url)
            or not _valid_port(parts)
        ):
            raise SahifaError(
                str(path), f"{where}url: found {url[:80]!r}, expected an absolute http(s) URL of the feed"
            )
        key = feed_key(url)
        if key in seen:
            raise SahifaError(str(path), f"{where}url: {url[:80]} is already feed #{seen[key]}")
        seen[key] = n
        lang = values["lang"]
        if lang is not None and lang not in codes:
            raise SahifaError(
                str(path),
                f'{where}lang: found "{lang}", expected one of the languages ({", ".join(sorted(codes))})',
            )
        categories = values["categories"] or {}
        if not all(isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in categories.items()):
            raise SahifaError(str(path), f'{where}categories: expected a table of "category" = "section"')
        name = (values["name"] or "").strip() or parts.hostname
        result.append(
            FeedConfig(
                url=url,
                name=name,
                lang=lang,
                section=values["section"],
                full_text=values["full_text"],
                max_items=values["max_items"],
                min_interval=values["min_interval"],
                categories=MappingProxyType(dict(categories)),
            )
        )
    return tuple(result)


_BASE_URL = re.compile(
    r"^https?://(?:[^\s/?#<>\"'\\@:\[\]]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?(?:/[^\s?#<>\"'\\]*)?$", re.I
)


def check_base_url(value: Any, path: Path) -> str:
    """``base_url`` as an absolute http(s) URL ending in ``/``, or ``SahifaError``: every
    internal link starts with it, so ``javascript:...`` or a bare word would make every
    link on the site wrong (or a script)."""
    if (
        not isinstance(value, str)
        or not _BASE_URL.match(value.strip())
        or "//" in value.strip().split("://", 1)[1]
    ):
        raise SahifaError(
            str(path),
            f"base_url: found {str(value)[:80]!r}, expected an absolute http(s) URL such as "
            "'https://example.org/' or 'https://example.org/news/' "
            "(no query, fragment, spaces or quotes)",
        )
    value = value.strip()
    return value if value.endswith("/") else value + "/"


def _taxonomies(table: Any, path: Path) -> tuple[TaxonomyConfig, ...]:
    """``[taxonomies.<name>]`` tables, in file order; none at all means tags and sources."""
    if table is None:
        table = {name: {} for name in DEFAULT_TAXONOMIES}
    result: list[TaxonomyConfig] = []
    segments: dict[str, str] = {}
    fields: dict[str, str] = {}
    for name, options in table.items():
        where = f"[taxonomies.{name}]"
        values = read_table(options, TAXONOMY, where + " ", path)
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,30}", name):
            raise SahifaError(
                str(path),
                f"{where}: a taxonomy name is lower-case ASCII letters, "
                "digits and _ (it is also a front matter field)",
            )
        defaults = KNOWN_TAXONOMIES.get(name, {})
        segment = values["segment"] or name
        if not _SEGMENT.match(segment) or segment in RESERVED_SEGMENTS:
            raise SahifaError(
                str(path),
                f"{where} segment: found {segment!r}, expected a URL segment "
                f"(no spaces, slashes, ?, #, %; not one of {sorted(RESERVED_SEGMENTS)})",
            )
        if segment in segments:
            raise SahifaError(
                str(path), f"{where} segment: {segment!r} is already used by {segments[segment]}"
            )
        segments[segment] = name
        names = tuple(dict.fromkeys([name, *(values["fields"] or defaults.get("fields", []))]))
        for field_name in names:
            if field_name in fields:
                raise SahifaError(
                    str(path), f"{where} fields: {field_name!r} already fills {fields[field_name]}"
                )
            fields[field_name] = name
        title = values["title"] or defaults.get("title", name.replace("_", " ").capitalize())
        singular = values["singular"] or defaults.get("singular", f"{title}:")
        result.append(
            TaxonomyConfig(
                name=name,
                segment=segment,
                title=title,
                singular=singular,
                fields=names,
                max_terms=values["max_terms"],
                show=values["show"] or defaults.get("show", "header"),
                jsonld=values["jsonld"] or defaults.get("jsonld"),
                feeds=values["feeds"],
                index=values["index"],
                entities=values["entities"],
                order=tuple(values["order"] or ()),
                nav=values["nav"] if values["nav"] is not None else defaults.get("nav", False),
                profiles=_profiles_folder(values["profiles"], where, path),
            )
        )
    return tuple(result)


def _profiles_folder(value: str | None, where: str, path: Path) -> str | None:
    if value is None:
        return None
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,40}", value):
        raise SahifaError(
            str(path),
            f"{where} profiles: found {value!r}, expected the name of a folder under content/ "
            "(lower-case ASCII letters, digits, - and _)",
        )
    return value


def load_config(root: Path, path: Path | None = None, **overrides: Any) -> SiteConfig:
    """Read ``site.toml`` (or ``path``) under ``root``; ``overrides`` replace top-level keys."""
    root = root.resolve()
    path = path or root / "site.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SahifaError(str(path), f"cannot read the configuration: {exc}") from exc
    data.update({k: v for k, v in overrides.items() if v is not None})
    return parse_config(data, root, path)
