"""Plan stage: the ``Site`` -> the page set, as ``PageSpec``s (path, kind, template, view).

Nothing is rendered here; this module only decides which pages exist, where they go, what
each one shows, and what each one depends on. Every page declares its ``PageKind`` (which says
whether it is in the sitemap), its ``lastmod`` and the articles and terms it shows; the
sitemap, the preview server and the cache read those declarations and nothing else. The
template gets a typed view (``views``). Every path comes from ``urls.Urls``.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Iterator

from . import calendars
from .config import SiteConfig, TaxonomyConfig
from .entities import entity_index
from .archives import year_groups
from .images import ImageCache, Pictures
from .profiles import profile_of
from .metadata import article_context, website_ld
from .model import Article, Site, Term
from .related import build_index, neighbours, related
from .search_index import index_dir
from .urls import Urls
from .views import (
    ArchiveView,
    ArticleView,
    Choice,
    ListView,
    NotFoundView,
    PageView,
    ProfileView,
    RedirectView,
    RootView,
    SearchView,
    TermIndexView,
)


FRONT_SECTIONS = 6
"""Section blocks on a language's front page."""
FRONT_SECTION_STORIES = 3
"""Stories in each block."""
NAV_TERMS = 8
"""Terms of a ``nav`` taxonomy in the header, at most (the ``order`` setting's first)."""


class PageKind(enum.Enum):
    """What a page is. The value is (name, in the sitemap)."""

    ROOT = ("root", True)
    HOME = ("home", True)
    ARTICLE = ("article", True)
    TERM = ("term", True)
    TERM_INDEX = ("term-index", True)
    ARCHIVE_INDEX = ("archive-index", True)
    ARCHIVE_MONTH = ("archive-month", True)
    HIJRI_ARCHIVE_MONTH = ("hijri-archive-month", True)
    SOLAR_HIJRI_ARCHIVE_MONTH = ("solar-hijri-archive-month", True)
    SEARCH = ("search", False)
    NOT_FOUND = ("404", False)
    REDIRECT = ("redirect", False)

    @property
    def in_sitemap(self) -> bool:
        return self.value[1]

    @property
    def label(self) -> str:
        return self.value[0]


_MONTH_KINDS = {
    "gregorian": PageKind.ARCHIVE_MONTH,
    "islamic-umalqura": PageKind.HIJRI_ARCHIVE_MONTH,
    "islamic-civil": PageKind.HIJRI_ARCHIVE_MONTH,
    "persian": PageKind.SOLAR_HIJRI_ARCHIVE_MONTH,
}


class PageSpec:
    """One page to render: output path (relative to the output folder), kind, template,
    language and the template's typed view. The view may be given as a ``factory`` instead,
    made when first asked for: article pages (related stories, JSON-LD, reading time) are then
    planned by the render worker that renders them, in parallel, and the planning process
    does not hold 10,000 views at once."""

    __slots__ = ("path", "kind", "template", "lang", "_view", "_factory", "article", "inputs", "listing")

    def __init__(
        self,
        path: str,
        kind: PageKind,
        template: str,
        lang: str,
        view: PageView | None = None,
        factory: Callable[[], PageView] | None = None,
        article: Article | None = None,
        inputs: Callable[[], Any] | None = None,
        listing: tuple | None = None,
    ) -> None:
        self.path, self.kind, self.template, self.lang = path, kind, template, lang
        self._view, self._factory = view, factory
        self.article = article
        """An article page's article (its key is made from it: ``pagekeys``)."""
        self.inputs = inputs
        """For a view made by a ``functools.partial`` factory: what the factory reads besides
        its arguments and the configuration. The page keys digest both to tell, without making
        the view, that the page shows what it showed last time (``PageKeys.inputs_key``).
        None: nothing declared, the view must be made to tell."""
        self.listing = listing
        """The list a page of a pagination shows part of, when its view reads nothing but the
        list, its stories and the configuration (besides its declared ``inputs``):
        ``("term", taxonomy, lang, key)``, ``("month", lang, calendar, year, month)`` or
        ``("home", lang)`` (the later pages of a language's front, and its archive index) or
        ``("terms", taxonomy, lang)`` (a taxonomy's index of terms): ``pagekeys.settled_pages``
        keeps the pages of a list none of whose stories changed without keying them, and a
        page with a listing but no ``inputs`` is rendered without its key being made when
        its list did change (it almost always shows something else then)."""

    @property
    def view(self) -> PageView:
        if self._view is None:
            self._view = self._factory() if self._factory is not None else PageView(self.path)
        return self._view

    @property
    def context(self) -> dict[str, Any]:
        """The template's variables: the view's fields."""
        return self.view.variables()

    @property
    def in_sitemap(self) -> bool:
        return self.kind.in_sitemap

    @property
    def lastmod(self):
        """Newest publication or correction among the articles the page shows (or None)."""
        return self.view.lastmod()

    @property
    def articles(self) -> tuple[Article, ...]:
        """Every article whose text, title, date or terms this page shows."""
        return self.view.articles()

    @property
    def terms(self) -> tuple[tuple[str, str, str], ...]:
        """(taxonomy, language, key) of every term this page names."""
        return self.view.terms()

    def __repr__(self) -> str:
        return f"PageSpec({self.path!r}, {self.kind.label}, {self.template!r}, {self.lang!r})"


def _spec(
    path: str,
    kind: PageKind,
    template: str,
    lang: str,
    make: Callable[[], PageView],
    lazy: bool,
    inputs: Callable[[], Any] | None = None,
    listing: tuple | None = None,
) -> PageSpec:
    """A page whose view ``make`` makes: now, or (``lazy``) when first asked for (``inputs``,
    ``listing``: see ``PageSpec``)."""
    return (
        PageSpec(path, kind, template, lang, factory=make, inputs=inputs, listing=listing)
        if lazy
        else PageSpec(path, kind, template, lang, make())
    )


def _nothing() -> tuple:
    """The declared inputs of a view that reads only its arguments and the configuration."""
    return ()


@dataclass(frozen=True)
class Pager:
    number: int
    count: int
    prev: str | None
    next: str | None


def paginate(items: tuple, size: int, path_of) -> Iterator[tuple[Pager, tuple, str]]:
    """Split ``items`` into pages; ``path_of(n)`` gives page n's path. Always one page at least."""
    count = max(1, -(-len(items) // size))
    paths = [None, *(path_of(n) for n in range(1, count + 1)), None]  # each made once
    for n in range(1, count + 1):
        pager = Pager(number=n, count=count, prev=paths[n - 1], next=paths[n + 1])
        yield pager, items[(n - 1) * size : n * size], paths[n]


class PagePlanner:
    """Decides the page set of one site."""

    def __init__(
        self,
        site: Site,
        config: SiteConfig,
        pictures: Pictures | None = None,
        profiles: dict | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        """``pictures``: the build's images; ``profiles``: per taxonomy, the term profiles
        (``profiles.load_profiles``); ``now``: the build's clock (breaking-news banners)."""
        self.site = site
        self.config = config
        self.pictures = pictures if pictures is not None else Pictures(config, ImageCache(None))
        self.profiles = profiles or {}
        self.now = now or dt.datetime.now(config.tzinfo)
        self.urls = Urls(config)
        self.term_slugs = {
            (t.taxonomy, t.lang, t.key): t.slug
            for per_lang in site.terms.values()
            for terms in per_lang.values()
            for t in terms
        }
        self.languages = config.languages
        self._homes = {lang.code: self.urls.home(lang.code) for lang in config.languages}
        self.entities = {name: entity_index(per_lang) for name, per_lang in site.terms.items()}
        self.stories = build_index(site)
        """Positions and tags of the stories (the build may hand it every story's related
        stories, made ahead: ``pipeline._head_start``)."""
        self._month_groups: dict[tuple[str, str], dict[tuple[int, int], list[Article]]] = {}
        self.months = {
            (lang.code, cal, *month)
            for lang in config.languages
            for cal in lang.calendars
            for month in self.month_groups(lang.code, cal)
        }

    def month_groups(self, lang: str, calendar: str) -> dict[tuple[int, int], list[Article]]:
        """A language's dated stories by (year, month) of ``calendar``, newest first in each
        (made once: the month archives and the language links between them both need it)."""
        found = self._month_groups.get((lang, calendar))
        if found is None:
            # One pass over the language's stories for all its calendars (and the asked one):
            # stories come newest first, so a day's stories are met in a row.
            wanted = tuple(dict.fromkeys((*self.config.language(lang).calendars, calendar)))
            groups = {cal: defaultdict(list) for cal in wanted}
            day = None
            lists: list = []
            for article in self.site.articles[lang]:
                published = article.record.published
                if published is None:
                    continue
                if published.date() != day:
                    day = published.date()
                    lists = [groups[cal][calendars.archive_key(day, cal)] for cal in wanted]
                for items in lists:
                    items.append(article)
            for cal in wanted:
                self._month_groups.setdefault((lang, cal), groups[cal])
            found = self._month_groups[(lang, calendar)]
        return found

    # ---- cross-language links -------------------------------------------------------
    def term_path(self, term) -> str:
        """First page of a term (a ``Term`` or an article's ``TermRef``)."""
        slug = self.term_slugs.get((term.taxonomy, term.lang, term.key), term.slug)
        return self.urls.term(term.lang, term.taxonomy, slug)

    def _term_equivalents(self, term: Term, path: str) -> dict[str, str]:
        """The same term in the other languages (one entity), first page; this page for ``term``."""
        index = self.entities.get(term.taxonomy, {})
        found = {
            lang.code: self.urls.term(lang.code, term.taxonomy, other.slug)
            for lang in self.languages
            if term.entity and (other := index.get((term.entity, lang.code)))
        }
        found[term.lang] = path
        return found

    def _month_equivalents(
        self, lang: str, calendar: str, year: int, month: int, path: str
    ) -> dict[str, str]:
        """The same calendar month's archive in the languages that have one; this page for ``lang``."""
        found = {
            other.code: self.urls.archive_month(other.code, calendar, year, month)
            for other in self.languages
            if (other.code, calendar, year, month) in self.months
        }
        found[lang] = path
        return found

    def _switcher(self, equivalents: dict[str, str]) -> list[Choice]:
        homes = self._homes
        return [Choice(lang, equivalents.get(lang.code) or homes[lang.code]) for lang in self.languages]

    def _common(
        self, path: str, equivalents: dict[str, str], *, real: bool, x_default: str | None = None
    ) -> dict[str, Any]:
        """What every page view has: switcher (all languages) and hreflang alternates. Every
        page of one cluster names the same ``x-default``: the default language's member, else
        the first member in the configured order of languages (or ``x_default``, the root
        language chooser for the language homes)."""
        alternates = (
            [Choice(code, p) for code, p in equivalents.items()] if real and len(equivalents) > 1 else []
        )
        if x_default is None:
            order = [self.config.default_language, *self.config.language_codes]
            x_default = next((equivalents[code] for code in order if code in equivalents), path)
        return {
            "page_path": path,
            "switcher": self._switcher(equivalents),
            "alternates": alternates,
            "x_default": x_default,
        }

    def _all_langs(self, path_of) -> dict[str, str]:
        return {lang.code: path_of(lang.code) for lang in self.languages}

    # ---- the pages ---------------------------------------------------------------------
    def plan(self, *, lazy: bool = False) -> Iterator[PageSpec]:
        """Every page, in a fixed order; ``lazy``: the views of article and list pages are
        made on first use (by the render worker that needs them)."""
        if not self.config.default_language_at_root:
            yield self.root_page()
            # GitHub Pages and Netlify serve only the root's 404.html for a missing path.
            yield self.not_found(self.config.default_language, path="404.html")
        for lang in self.languages:
            yield from self.home_pages(lang.code, lazy=lazy)
            for article in self.site.articles[lang.code]:
                yield self.article_page(article, lazy=lazy)
            for taxonomy in self.config.taxonomies:
                if taxonomy.index:
                    yield self.term_index(lang.code, taxonomy)
                for term in self.site.terms[taxonomy.name][lang.code]:
                    yield from self.term_pages(term, taxonomy, lazy=lazy)
            yield from self.archive_pages(lang.code, lazy=lazy)
            if self.config.search:
                yield self.search_page(lang.code)
            yield self.not_found(lang.code)
        for old, new in self.site.redirects:
            yield self.redirect(old, new)

    def root_page(self) -> PageSpec:
        choices = [Choice(lang, self.urls.home(lang.code)) for lang in self.languages]
        homes = [Choice(lang.code, self.urls.home(lang.code)) for lang in self.languages]
        view = RootView(
            page_path="index.html",
            choices=choices,
            site_title=self.config.title,
            alternates=homes,
            x_default="index.html",  # the chooser is the homes' x-default
        )
        return PageSpec("index.html", PageKind.ROOT, "root.html", self.config.default_language, view)

    def home_pages(self, lang: str, *, lazy: bool = False) -> Iterator[PageSpec]:
        for pager, items, path in paginate(
            self.site.articles[lang], self.config.page_size, lambda n: self.urls.home(lang, n)
        ):
            yield _spec(
                path,
                PageKind.HOME,
                "list.html",
                lang,
                partial(self._home_view, lang, pager, items, path),
                lazy,
                # Page 1 (lead, section blocks, banners) reads the whole language: undeclared.
                _nothing if pager.number > 1 else None,
                ("home", lang) if pager.number > 1 else None,
            )

    def _home_view(self, lang: str, pager: Pager, items: tuple, path: str) -> ListView:
        lcfg = self.config.language(lang)
        equivalents = self._all_langs(self.urls.home) if pager.number == 1 else {lang: path}
        chooser = None if self.config.default_language_at_root else "index.html"
        front = pager.number == 1
        lead = self.front_lead(lang) if front else None
        return ListView(
            **self._common(path, equivalents, real=front, x_default=chooser),
            heading=lcfg.title,
            intro=lcfg.description,
            items=tuple(a for a in items if a is not lead),
            pager=pager,
            jsonld=website_ld(lcfg, self.urls) if front else None,
            sections=self._front_sections(lang, lead) if front else (),
            lead=front,
            lead_article=lead,
            breaking=self.breaking(lang) if front else (),
        )

    def front_lead(self, lang: str) -> Article | None:
        """The front page's lead: the newest story flagged ``top``, else the newest with a
        lead image, else the newest."""
        articles = self.site.articles[lang]
        return (
            next((a for a in articles if a.record.top), None)
            or next((a for a in articles if self.pictures.lead(a) is not None), None)
            or (articles[0] if articles else None)
        )

    def breaking(self, lang: str) -> tuple[Article, ...]:
        """Stories flagged ``breaking`` whose banner time (``breaking_hours`` after their
        time) has not run out by the build's clock."""
        return tuple(a for a in self._recent(lang) if self.banner_end(a) is not None)

    def _recent(self, lang: str):
        """A language's stories, newest first, up to the first whose banner time would have
        run out by the build's clock (every story after it is older: none shows a banner)."""
        # By the instant, as the stories are ordered (``assemble._newest_first``): two times
        # of one zone compare by their clock reading, which runs back once a year.
        since = (self.now - dt.timedelta(hours=self.config.breaking_hours)).timestamp()
        for article in self.site.articles[lang]:  # newest first, undated last
            published = article.record.published
            if published is None or published.timestamp() <= since:
                return
            yield article

    def banner_end(self, article: Article) -> dt.datetime | None:
        if not article.record.breaking or article.published is None:
            return None
        end = article.published + dt.timedelta(hours=self.config.breaking_hours)
        return end if article.published <= self.now < end else None

    @property
    def expires(self) -> dt.datetime | None:
        """When the first banner now shown comes down (the output is then out of date)."""
        ends = [end for lang in self.site.articles for a in self._recent(lang) if (end := self.banner_end(a))]
        return min(ends) if ends else None

    def ordered_terms(self, taxonomy: TaxonomyConfig, lang: str) -> list[Term]:
        """A language's terms of ``taxonomy`` that have stories: those ``order`` names first,
        in its order (by term-translation id, or by name), then the rest, most stories first."""
        terms = [t for t in self.site.terms.get(taxonomy.name, {}).get(lang, ()) if t.articles]
        rank = {name: n for n, name in enumerate(taxonomy.order)}
        far = len(rank)

        def place(term: Term) -> tuple[int, int]:
            ident = (term.entity or "").partition(":")[2]  # "tag:politics" -> "politics"
            named = min(
                (rank[k] for k in (ident, term.entity, term.name, term.slug) if k in rank), default=far
            )
            return named, -len(term.articles)

        terms.sort(key=place)  # stable: ties keep the alphabetical order
        return terms

    def nav_terms(self, lang: str) -> tuple[tuple[str, str], ...]:
        """(name, output path) of the terms in the header: the ``nav`` taxonomies' terms."""
        return tuple(
            (term.name, self.urls.term(lang, taxonomy.name, term.slug))
            for taxonomy in self.config.taxonomies
            if taxonomy.nav
            for term in self.ordered_terms(taxonomy, lang)[:NAV_TERMS]
        )

    def _front_sections(self, lang: str, lead: Article | None = None) -> tuple:
        """The front page's section blocks: each section (the taxonomy that fills
        ``articleSection``) with its newest stories other than the lead, in the configured
        order, then the sections with the most stories."""
        taxonomy = next((t for t in self.config.taxonomies if t.jsonld == "articleSection"), None)
        if taxonomy is None:
            return ()
        blocks = []
        for term in self.ordered_terms(taxonomy, lang)[:FRONT_SECTIONS]:
            stories = tuple(a for a in term.articles if a is not lead)[:FRONT_SECTION_STORIES]
            if stories:
                blocks.append((term, stories))
        return tuple(blocks)

    def article_page(self, article: Article, *, lazy: bool = False) -> PageSpec:
        if lazy:
            return PageSpec(
                article.path,
                PageKind.ARTICLE,
                "article.html",
                article.lang,
                factory=lambda: self._article_view(article),
                article=article,
            )
        return PageSpec(
            article.path,
            PageKind.ARTICLE,
            "article.html",
            article.lang,
            self._article_view(article),
            article=article,
        )

    def article_links(self, article: Article) -> tuple[tuple[Article, ...], tuple[Article, ...], Any, Any]:
        """The stories an article page shows besides its own, without making its view: its
        translation group (itself included, in the group's order), its related stories, its
        older and its newer neighbour (or None), as ``_article_view`` (through
        ``metadata.article_context``) shows them; ``pagekeys`` digests the same."""
        older, newer = neighbours(self.stories, article)
        group = self.site.translations.get(article.translation_group, ())
        return group, related(self.stories, article), older, newer

    def article_shows(self, article: Article) -> tuple[Article, ...]:
        """``_article_view(article).articles()``, without making the view (its JSON-LD and
        reading time): the article, its translations, related stories and neighbours."""
        group, linked, older, newer = self.article_links(article)
        others = (*(a for a in group if a.lang != article.lang), *linked, older, newer)
        return (article, *(a for a in others if a is not None))

    def _article_view(self, article: Article) -> ArticleView:
        group = self.site.translations.get(article.translation_group, ())
        others = tuple(a for a in group if a.lang != article.lang)
        equivalents = {a.lang: a.path for a in group} or {article.lang: article.path}
        return ArticleView(
            **self._common(article.path, equivalents, real=True),
            article=article,
            translations=others,
            **article_context(self.stories, article, self.urls, self.config, self.pictures.social(article)),
        )

    def term_index(self, lang: str, taxonomy: TaxonomyConfig) -> PageSpec:
        path = self.urls.term_index(lang, taxonomy.name)
        view = TermIndexView(
            **self._common(
                path, self._all_langs(lambda code: self.urls.term_index(code, taxonomy.name)), real=True
            ),
            taxonomy=taxonomy,
            items=self.site.terms[taxonomy.name][lang],
        )
        return PageSpec(
            path, PageKind.TERM_INDEX, "terms.html", lang, view, listing=("terms", taxonomy.name, lang)
        )

    def term_pages(self, term: Term, taxonomy: TaxonomyConfig, *, lazy: bool = False) -> Iterator[PageSpec]:
        for pager, items, path in paginate(
            term.articles,
            self.config.page_size,
            lambda n: self.urls.term(term.lang, term.taxonomy, term.slug, n),
        ):
            make = partial(self._term_view, term, taxonomy, pager, items, path)
            inputs = partial(self._term_inputs, term, path, pager.number == 1)
            listing = ("term", term.taxonomy, term.lang, term.key)
            yield _spec(path, PageKind.TERM, "list.html", term.lang, make, lazy, inputs, listing)

    def _term_inputs(self, term: Term, path: str, first: bool) -> tuple:
        """What ``_term_view`` reads besides its arguments and the configuration."""
        return self._term_equivalents(term, path), self._profile_view(term) if first else None

    def _term_view(
        self, term: Term, taxonomy: TaxonomyConfig, pager: Pager, items: tuple, path: str
    ) -> ListView:
        feed = self.urls.term_feed(term.lang, term.taxonomy, term.slug) if taxonomy.feeds else None
        return ListView(
            **self._common(path, self._term_equivalents(term, path), real=pager.number == 1),
            heading=term.name,
            intro="",
            items=items,
            pager=pager,
            term=term,
            taxonomy=taxonomy,
            feed=feed,
            lead=pager.number == 1 and taxonomy.jsonld == "articleSection",  # a section front
            profile=self._profile_view(term) if pager.number == 1 else None,
        )

    def _profile_view(self, term: Term) -> ProfileView | None:
        profile = profile_of(term, self.profiles)
        if profile is None:
            return None
        return ProfileView(
            name=profile.name(term.lang) or term.name,
            bio=profile.bio(term.lang),
            photo=self.pictures.profile_photo(profile, term.lang),
        )

    def _month_view(
        self,
        lang: str,
        calendar: str,
        year: int,
        month: int,
        label: str,
        pager: Pager,
        items: tuple,
        path: str,
    ) -> ListView:
        return ListView(
            **self._common(
                path, self._month_equivalents(lang, calendar, year, month, path), real=pager.number == 1
            ),
            heading=label,
            intro="",
            items=items,
            pager=pager,
        )

    def archive_pages(self, lang: str, *, lazy: bool = False) -> Iterator[PageSpec]:
        lcfg = self.config.language(lang)
        sections = []
        for calendar in lcfg.calendars:
            months = self.month_groups(lang, calendar)
            entries = []
            for year, month in sorted(months, reverse=True):
                items = tuple(months[(year, month)])
                label = calendars.archive_label(
                    year,
                    month,
                    lang,
                    calendar,
                    locale=lcfg.locale,
                    digits=None if lcfg.digits == "default" else lcfg.digits,
                )
                first = self.urls.archive_month(lang, calendar, year, month)
                entries.append({"path": first, "label": label, "count": len(items), "year": year})
                for pager, page_items, path in paginate(
                    items,
                    self.config.page_size,
                    lambda n, y=year, m=month: self.urls.archive_month(lang, calendar, y, m, n),
                ):
                    make = partial(
                        self._month_view, lang, calendar, year, month, label, pager, page_items, path
                    )
                    inputs = partial(self._month_equivalents, lang, calendar, year, month, path)
                    listing = ("month", lang, calendar, year, month)
                    yield _spec(path, _MONTH_KINDS[calendar], "list.html", lang, make, lazy, inputs, listing)
            sections.append({"calendar": calendar, "months": entries, "years": year_groups(entries, lcfg)})
        path = self.urls.archive_index(lang)
        view = ArchiveView(
            **self._common(path, self._all_langs(self.urls.archive_index), real=True),
            sections=sections,
            shown=self.site.articles[lang],
        )
        # Its months and their numbers of stories change only with the language's stories,
        # as its front does: it is settled with the front (``pagekeys.settled_pages``).
        yield PageSpec(path, PageKind.ARCHIVE_INDEX, "archive.html", lang, view, listing=("home", lang))

    def search_page(self, lang: str) -> PageSpec:
        path = self.urls.search(lang)
        view = SearchView(
            **self._common(path, self._all_langs(self.urls.search), real=False),
            search_index=index_dir(self.urls, lang),
        )
        return PageSpec(path, PageKind.SEARCH, "search.html", lang, view)

    def not_found(self, lang: str, path: str | None = None) -> PageSpec:
        path = path or self.urls.not_found(lang)
        view = NotFoundView(**self._common(path, self._all_langs(self.urls.not_found), real=False))
        return PageSpec(path, PageKind.NOT_FOUND, "404.html", lang, view)

    def redirect(self, old: str, new: str) -> PageSpec:
        """The page left at ``old`` when an article moved to ``new`` (both in its language)."""
        first = new.split("/", 1)[0]
        lang = first if first in self.config.language_codes else self.config.default_language
        return PageSpec(
            old, PageKind.REDIRECT, "redirect.html", lang, RedirectView(page_path=old, target=new)
        )
