"""Files that are not rendered templates: feeds, sitemap, robots.txt, search index.

The pipeline calls ``sitemap_entry(spec)`` for every page it writes (in the render workers),
writes feeds and search index while the pages render and the sitemaps once they are done
(``extra_outputs`` is all of them at once). Both are pure; the order of the yielded
files is fixed, so builds stay byte-for-byte reproducible.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Iterable, Iterator

from .config import SiteConfig
from .feeds import FeedWriter
from .model import Site
from .search_index import search_outputs
from .sitemap import MAX_URLS, SitemapEntry, sitemap_outputs
from .urls import Urls

NOT_IN_SITEMAP = frozenset({"404.html", "search.html"})


def _newest(items) -> dt.date | None:
    dates = [a.record.updated or a.date for a in items if a.date]
    return max(dates) if dates else None


def sitemap_entry(spec) -> SitemapEntry | None:
    """What the sitemap needs to know about one planned page (None: leave it out)."""
    if not spec.path or spec.template in NOT_IN_SITEMAP:
        return None
    ctx = spec.context
    alternates = tuple((choice.lang, choice.path) for choice in ctx.get("alternates", ()))
    if "article" in ctx:
        lastmod = _newest((ctx["article"],))
    elif "items" in ctx:
        lastmod = _newest(ctx["items"])
    elif "tags" in ctx:
        lastmod = _newest(t.articles[0] for t in ctx["tags"] if t.articles)
    else:
        lastmod = None
    return SitemapEntry(path=spec.path, alternates=alternates,
                        x_default=ctx.get("x_default") if alternates else None, lastmod=lastmod)


def extra_outputs(site: Site, config: SiteConfig, pages: Iterable[SitemapEntry | None],
                  tag_path: Callable, *, max_sitemap_urls: int = MAX_URLS) -> Iterator[tuple[str, bytes]]:
    """(output path, bytes) of every generated file that is not an HTML page."""
    for task in feed_and_search_tasks(site, config, tag_path):
        yield from task()
    yield from sitemaps(config, pages, max_sitemap_urls=max_sitemap_urls)


def feed_and_search_tasks(site: Site, config: SiteConfig, tag_path: Callable) -> list[Callable[[], list]]:
    """Feeds and search index (they need the model only, not the rendered pages) as
    independent jobs, one per kind and language, biggest first, so that worker processes
    can share them out with the pages."""
    def job(kind: str, lang: str) -> Callable[[], list]:
        if kind == "search":
            return lambda: list(search_outputs(site, config, (lang,)))
        return lambda: list(FeedWriter(site, config, tag_path).outputs((lang,)))
    weight = {lang.code: len(site.articles[lang.code]) for lang in config.languages}
    order = sorted(config.language_codes, key=lambda code: -weight[code])
    kinds = ("search", "feeds") if config.search else ("feeds",)
    return [job(kind, lang) for lang in order for kind in kinds]


def sitemaps(config: SiteConfig, pages: Iterable[SitemapEntry | None], *,
             max_sitemap_urls: int = MAX_URLS) -> Iterator[tuple[str, bytes]]:
    yield from sitemap_outputs((p for p in pages if p is not None), Urls(config),
                               max_urls=max_sitemap_urls)
