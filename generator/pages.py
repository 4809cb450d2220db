"""Page stage: the ``Site`` -> a list of ``PageSpec`` (output path, template, context).

Nothing is rendered here; this module only decides which pages exist, where they go and
what each one shows. Every path comes from ``urls.Urls``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from . import calendars
from .config import SiteConfig
from .entities import entity_index
from .archives import year_groups
from .metadata import article_context
from .model import Article, Site, Tag
from .related import build_index
from .search_index import index_dir
from .urls import Urls


class PageSpec:
    """One page to render: output path (relative to the output folder), template, language
    and the template's context. The context may be given as a ``factory`` instead, made when
    first asked for: article pages (related stories, JSON-LD, reading time) are then
    planned by the render worker that renders them, in parallel, and the planning process
    does not hold 10,000 contexts at once."""

    __slots__ = ("path", "template", "lang", "_context", "_factory")

    def __init__(self, path: str, template: str, lang: str, context: dict[str, Any] | None = None,
                 factory: Callable[[], dict[str, Any]] | None = None) -> None:
        self.path, self.template, self.lang = path, template, lang
        self._context, self._factory = context, factory

    @property
    def context(self) -> dict[str, Any]:
        if self._context is None:
            self._context = self._factory() if self._factory is not None else {}
        return self._context

    def __repr__(self) -> str:
        return f"PageSpec({self.path!r}, {self.template!r}, {self.lang!r})"


@dataclass(frozen=True)
class Pager:
    number: int
    count: int
    prev: str | None
    next: str | None


@dataclass(frozen=True)
class Choice:
    lang: Any
    path: str


def paginate(items: tuple, size: int, path_of) -> Iterator[tuple[Pager, tuple, str]]:
    """Split ``items`` into pages; ``path_of(n)`` gives page n's path. Always one page at least."""
    count = max(1, -(-len(items) // size))
    for n in range(1, count + 1):
        pager = Pager(number=n, count=count,
                      prev=path_of(n - 1) if n > 1 else None,
                      next=path_of(n + 1) if n < count else None)
        yield pager, items[(n - 1) * size: n * size], path_of(n)


class PagePlanner:
    """Decides the page set of one site."""

    def __init__(self, site: Site, config: SiteConfig) -> None:
        self.site = site
        self.config = config
        self.urls = Urls(config)
        self.tag_slugs = {(t.lang, t.key): t.slug for tags in site.tags.values() for t in tags}
        self.languages = config.languages
        self.entities = entity_index(site.tags)
        self.stories = build_index(site)
        self.months = {(lang.code, cal, *calendars.archive_key(a.date, cal))
                       for lang in config.languages for cal in lang.calendars
                       for a in site.articles[lang.code] if a.date}

    # ---- cross-language links -------------------------------------------------------
    def tag_path(self, tag) -> str:
        return self.urls.tag(tag.lang, self.tag_slugs.get((tag.lang, tag.key), tag.slug))

    def _tag_equivalents(self, tag: Tag, path: str) -> dict[str, str]:
        """The same tag in the other languages (one entity), first page; this page for ``tag``."""
        found = {lang.code: self.urls.tag(lang.code, other.slug) for lang in self.languages
                 if tag.entity and (other := self.entities.get((tag.entity, lang.code)))}
        found[tag.lang] = path
        return found

    def _month_equivalents(self, lang: str, calendar: str, year: int, month: int, path: str) -> dict[str, str]:
        """The same calendar month's archive in the languages that have one; this page for ``lang``."""
        found = {other.code: self.urls.archive_month(other.code, calendar, year, month)
                 for other in self.languages if (other.code, calendar, year, month) in self.months}
        found[lang] = path
        return found

    def _switcher(self, equivalents: dict[str, str]) -> list[Choice]:
        return [Choice(lang, equivalents.get(lang.code, self.urls.home(lang.code))) for lang in self.languages]

    def _common(self, lang: str, path: str, equivalents: dict[str, str], *, real: bool) -> dict[str, Any]:
        """Context shared by every page: switcher (all languages) and hreflang alternates."""
        alternates = [Choice(code, p) for code, p in equivalents.items()] if real and len(equivalents) > 1 else []
        default = self.config.default_language
        return {
            "page_path": path,
            "switcher": self._switcher(equivalents),
            "alternates": alternates,
            "x_default": equivalents.get(default, path),
            "tag_path": self.tag_path,
        }

    def _all_langs(self, path_of) -> dict[str, str]:
        return {lang.code: path_of(lang.code) for lang in self.languages}

    # ---- the pages ---------------------------------------------------------------------
    def plan(self, *, lazy: bool = False) -> Iterator[PageSpec]:
        """Every page, in a fixed order; ``lazy``: article contexts are made on first use."""
        yield self.root_page()
        for lang in self.languages:
            yield from self.home_pages(lang.code)
            for article in self.site.articles[lang.code]:
                yield self.article_page(article, lazy=lazy)
            yield self.tag_index(lang.code)
            for tag in self.site.tags[lang.code]:
                yield from self.tag_pages(tag)
            yield from self.archive_pages(lang.code)
            if self.config.search:
                yield self.search_page(lang.code)
            yield self.not_found(lang.code)

    def root_page(self) -> PageSpec:
        default = self.config.default_language
        if self.config.default_language_at_root:
            # The default language's home is the root page; nothing else to write here.
            return PageSpec("", "", default, {})
        choices = [Choice(lang, self.urls.home(lang.code)) for lang in self.languages]
        return PageSpec("index.html", "root.html", default,
                        {"choices": choices, "site_title": self.config.title, "page_path": "index.html"})

    def home_pages(self, lang: str) -> Iterator[PageSpec]:
        lcfg = self.config.language(lang)
        for pager, items, path in paginate(self.site.articles[lang], self.config.page_size,
                                           lambda n: self.urls.home(lang, n)):
            equivalents = self._all_langs(self.urls.home) if pager.number == 1 else {lang: path}
            ctx = self._common(lang, path, equivalents, real=pager.number == 1)
            ctx.update(heading=lcfg.title, intro=lcfg.description, items=items, pager=pager)
            yield PageSpec(path, "list.html", lang, ctx)

    def article_page(self, article: Article, *, lazy: bool = False) -> PageSpec:
        if lazy:
            return PageSpec(article.path, "article.html", article.lang,
                            factory=lambda: self._article_context(article))
        return PageSpec(article.path, "article.html", article.lang, self._article_context(article))

    def _article_context(self, article: Article) -> dict[str, Any]:
        group = self.site.translations.get(article.translation_group, ())
        others = tuple(a for a in group if a.lang != article.lang)
        equivalents = {a.lang: a.path for a in group} or {article.lang: article.path}
        ctx = self._common(article.lang, article.path, equivalents, real=True)
        ctx.update(article=article, translations=others)
        ctx.update(article_context(self.stories, article, self.urls, self.config))
        return ctx

    def tag_index(self, lang: str) -> PageSpec:
        path = self.urls.tag_index(lang)
        ctx = self._common(lang, path, self._all_langs(self.urls.tag_index), real=True)
        ctx.update(tags=self.site.tags[lang])
        return PageSpec(path, "tags.html", lang, ctx)

    def tag_pages(self, tag: Tag) -> Iterator[PageSpec]:
        for pager, items, path in paginate(tag.articles, self.config.page_size,
                                           lambda n: self.urls.tag(tag.lang, tag.slug, n)):
            ctx = self._common(tag.lang, path, self._tag_equivalents(tag, path), real=pager.number == 1)
            ctx.update(heading=tag.name, intro="", items=items, pager=pager, tag=tag)
            yield PageSpec(path, "list.html", tag.lang, ctx)

    def archive_pages(self, lang: str) -> Iterator[PageSpec]:
        lcfg = self.config.language(lang)
        sections = []
        for calendar in lcfg.calendars:
            months: dict[tuple[int, int], list[Article]] = defaultdict(list)
            for article in self.site.articles[lang]:
                if article.date:
                    months[calendars.archive_key(article.date, calendar)].append(article)
            entries = []
            for (year, month) in sorted(months, reverse=True):
                items = tuple(months[(year, month)])
                label = calendars.archive_label(year, month, lang, calendar, locale=lcfg.locale,
                                                digits=None if lcfg.digits == "default" else lcfg.digits)
                first = self.urls.archive_month(lang, calendar, year, month)
                entries.append({"path": first, "label": label, "count": len(items), "year": year})
                for pager, page_items, path in paginate(
                        items, self.config.page_size,
                        lambda n, y=year, m=month: self.urls.archive_month(lang, calendar, y, m, n)):
                    ctx = self._common(lang, path, self._month_equivalents(lang, calendar, year, month, path),
                                       real=pager.number == 1)
                    ctx.update(heading=label, intro="", items=page_items, pager=pager)
                    yield PageSpec(path, "list.html", lang, ctx)
            sections.append({"calendar": calendar, "months": entries, "years": year_groups(entries, lcfg)})
        path = self.urls.archive_index(lang)
        ctx = self._common(lang, path, self._all_langs(self.urls.archive_index), real=True)
        ctx.update(sections=sections)
        yield PageSpec(path, "archive.html", lang, ctx)

    def search_page(self, lang: str) -> PageSpec:
        path = self.urls.search(lang)
        ctx = self._common(lang, path, self._all_langs(self.urls.search), real=False)
        ctx.update(search_index=index_dir(self.urls, lang))
        return PageSpec(path, "search.html", lang, ctx)

    def not_found(self, lang: str) -> PageSpec:
        path = self.urls.not_found(lang)
        ctx = self._common(lang, path, self._all_langs(self.urls.not_found), real=False)
        return PageSpec(path, "404.html", lang, ctx)
