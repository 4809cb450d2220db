"""Template views: what each kind of page gives its template, as typed records.

A view's fields are the template's variables (``variables``). Each view also says which
articles and terms it shows (``articles``, ``terms``) and its ``lastmod``: the page planner's
declarations that the sitemap, the preview server and the cache read, instead of guessing
from variable names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any

from .model import Article, Term


@dataclass(frozen=True)
class Choice:
    lang: Any
    path: str


def newest(articles) -> dt.datetime | None:
    """Newest publication or correction among ``articles`` (None when none is dated)."""
    moments = [a.modified for a in articles if a.published is not None]
    return max(moments) if moments else None


@dataclass
class PageView:
    page_path: str
    switcher: list = field(default_factory=list)
    alternates: list = field(default_factory=list)
    """hreflang alternates (``Choice``), this page included; empty: none."""
    x_default: str = ""

    def variables(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def articles(self) -> tuple[Article, ...]:
        return ()

    def terms(self) -> tuple[tuple[str, str, str], ...]:
        return tuple(
            (ref.taxonomy, ref.lang, ref.key)
            for article in self.articles()
            for refs in article.terms.values()
            for ref in refs
        )

    def lastmod(self) -> dt.datetime | None:
        return newest(self.articles())


@dataclass
class RootView(PageView):
    choices: list = field(default_factory=list)
    site_title: str = ""


@dataclass(frozen=True)
class ProfileView:
    """A term's profile as its page shows it, in the page's language."""

    name: str
    bio: str = ""
    photo: Any = None
    """An ``images.Picture`` (or None)."""


@dataclass
class ListView(PageView):
    """Home, term and archive-month pages: a river of cards."""

    heading: str = ""
    intro: str = ""
    items: tuple = ()
    pager: Any = None
    term: Term | None = None
    taxonomy: Any = None
    feed: str | None = None
    """Output path of the term's Atom feed (None: no feed)."""
    jsonld: dict | None = None
    """A front page's ``WebSite`` structured data (None elsewhere)."""
    sections: tuple = ()
    """A front page's section blocks: (term, its newest stories) in front-page order."""
    lead: bool = False
    """The first story is shown as the lead (a front page, a section front's first page)."""
    lead_article: Article | None = None
    """A front page's lead (``top``, else with an image, else the newest); not in ``items``."""
    breaking: tuple = ()
    """A front page's breaking-news banner: stories flagged ``breaking``, still in their hours."""
    profile: Any = None
    """A term page's ``ProfileView`` (an author's photo and biography), if the term has one."""

    def articles(self) -> tuple[Article, ...]:
        if not self.breaking and self.lead_article is None and not self.sections:
            return tuple(self.items)  # all but a front page's first (a story is listed once)
        shown = {id(a): a for a in (*self.breaking, *((self.lead_article,) if self.lead_article else ()))}
        shown.update((id(a), a) for a in self.items)
        for _, stories in self.sections:
            shown.update((id(a), a) for a in stories)
        return tuple(shown.values())

    def terms(self):
        own = ((self.term.taxonomy, self.term.lang, self.term.key),) if self.term else ()
        return own + super().terms()


@dataclass
class ArticleView(PageView):
    article: Article | None = None
    translations: tuple = ()
    related: tuple = ()
    older_article: Article | None = None
    newer_article: Article | None = None
    reading_minutes: int = 1
    jsonld: dict = field(default_factory=dict)
    social_image: str = ""
    """The absolute address of the picture shared with a link to the page (og:image)."""

    def articles(self) -> tuple[Article, ...]:
        others = (*self.translations, *self.related, self.older_article, self.newer_article)
        return (self.article, *(a for a in others if a is not None))

    def terms(self):
        article = self.article
        return tuple((ref.taxonomy, ref.lang, ref.key) for refs in article.terms.values() for ref in refs)

    def lastmod(self):
        return newest((self.article,))


@dataclass
class TermIndexView(PageView):
    taxonomy: Any = None
    items: tuple = ()
    """The language's terms of this taxonomy, in alphabetical order."""

    def articles(self) -> tuple[Article, ...]:
        return tuple(term.articles[0] for term in self.items if term.articles)

    def terms(self):
        return tuple((t.taxonomy, t.lang, t.key) for t in self.items)


@dataclass
class ArchiveView(PageView):
    sections: list = field(default_factory=list)
    shown: tuple = ()
    """The language's articles (the month counts depend on every one of them)."""

    def articles(self) -> tuple[Article, ...]:
        return tuple(self.shown)

    def terms(self):
        return ()


@dataclass
class SearchView(PageView):
    search_index: str = ""

    def lastmod(self):
        return None


@dataclass
class NotFoundView(PageView):
    def lastmod(self):
        return None


@dataclass
class RedirectView(PageView):
    target: str = ""
    """Output path of the page that moved here from ``page_path``."""
