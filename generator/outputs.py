"""Files that are not rendered templates: feeds, sitemap, robots.txt, search index, the web
manifest.

The pipeline calls ``sitemap_entry(spec)`` for every page it writes (in the render workers),
writes feeds and search index while the pages render and the sitemaps once they are done
(the preview's refresh writes them all at once: ``live.LiveSite.write_extras``). Both are
pure; the order of the yielded files is fixed, so builds stay byte-for-byte reproducible.
"""

from __future__ import annotations

from functools import partial

import json
from typing import Callable, Iterable, Iterator

from .config import SiteConfig
from .feeds import FeedWriter
from .model import Site
from .search_index import search_files
from .sitemap import MAX_URLS, SitemapEntry, SitemapLines, sitemap_outputs, sitemap_paths
from .urls import Urls


def sitemap_entry(spec) -> SitemapEntry | None:
    """What the sitemap needs to know about one planned page (None: leave it out), from the
    page's own declaration: its kind, its alternates and its lastmod."""
    if not spec.path or not spec.in_sitemap:
        return None
    view = spec.view
    alternates = tuple((choice.lang, choice.path) for choice in view.alternates)
    lastmod = spec.lastmod
    return SitemapEntry(
        path=spec.path,
        alternates=alternates,
        x_default=view.x_default if alternates else None,
        lastmod=lastmod.date().isoformat() if lastmod is not None else None,
    )


def feed_and_search_tasks(
    site: Site, config: SiteConfig, term_path: Callable, keys=None, memo_dir=None
) -> list[Callable[[], list]]:
    """Feeds and search index (they need the model only, not the rendered pages) as
    independent jobs, one per kind and language, biggest first, so that worker processes
    can share them out with the pages: ``search_tasks`` and ``feed_tasks``. Each job gives
    (output path, key, maker of the bytes); a file whose key is the one the last build
    recorded for its path is not made again (a story published in Arabic leaves the English
    feeds and index alone, and the Arabic index shards that hold none of its words)."""
    return search_tasks(site, config, memo_dir) + feed_tasks(site, config, term_path, keys)


def feed_tasks(site: Site, config: SiteConfig, term_path: Callable, keys=None) -> list[Callable[[], list]]:
    """One job per language, biggest first, giving (output path, key, maker of the bytes) of
    each of its feeds: see ``FeedWriter.keyed_outputs`` (``keys``: a ``pagekeys.PageKeys``)."""

    def job(lang: str) -> Callable[[], list]:
        return lambda: list(FeedWriter(site, config, term_path).keyed_outputs((lang,), keys))

    return [job(lang) for lang in _biggest_first(site, config)]


def search_tasks(site: Site, config: SiteConfig, memo_dir=None) -> list[Callable[[], list]]:
    """Each language's search index as a job (biggest first) that gives (output path, key,
    maker) of its files, each keyed by its content (``search_index.search_files``; none when
    the site has no search)."""
    if not config.search:
        return []
    return [partial(search_files, site, config, lang, memo_dir) for lang in _biggest_first(site, config)]


def _biggest_first(site: Site, config: SiteConfig) -> list[str]:
    return sorted(config.language_codes, key=lambda code: -len(site.articles[code]))


def _made_once(produce: Callable[[], Iterable[tuple[str, bytes]]]) -> Callable[[str], bytes]:
    """A maker of one file of a set that ``produce`` makes as a whole: the first file asked
    for makes them all, the others are taken from that (none asked: none made)."""
    made: dict[str, bytes] = {}

    def make(rel: str) -> bytes:
        if not made:
            made.update(produce())
        return made[rel]

    return make


def sitemaps(
    config: SiteConfig, pages: Iterable[SitemapEntry | None], *, max_sitemap_urls: int = MAX_URLS
) -> Iterator[tuple[str, bytes]]:
    yield from sitemap_outputs((p for p in pages if p is not None), Urls(config), max_urls=max_sitemap_urls)


def keyed_sitemaps(
    config: SiteConfig,
    pages: Iterable[SitemapEntry | None],
    keys,
    *,
    max_sitemap_urls: int = MAX_URLS,
    lines: Callable[[], SitemapLines] | None = None,
) -> list[tuple[str, bytes, Callable[[], bytes]]]:
    """``sitemaps`` as (output path, key, maker) of each file (the shape of the feed and
    search tasks): every file has the key of the entries it lists, in order, so a build whose
    pages have the entries the last build's had (a correction that leaves dates and
    translations alone) does not write 22,000 URLs again for nothing. ``lines``: gives the
    text of runs of entries the last build wrote (``sitemap.SitemapLines``), asked only when
    a file is made."""
    listed = [p for p in pages if p is not None]
    key = keys.digest(
        (
            "sitemap",
            max_sitemap_urls,
            [tuple(p) for p in listed],
        )
    )
    make = _made_once(
        lambda: sitemap_outputs(
            listed, Urls(config), max_urls=max_sitemap_urls, lines=lines() if lines is not None else None
        )
    )
    return [(rel, key, partial(make, rel)) for rel in sitemap_paths(len(listed), max_sitemap_urls)]


def web_manifest(config: SiteConfig) -> bytes:
    """``manifest.webmanifest``: the site's name, its default language and direction, where
    it starts and its icon (``static/favicon.svg``), for browsers that add a site to a home
    screen."""
    urls = Urls(config)
    lang = config.language(config.default_language)
    data = {
        "name": lang.title or config.title,
        "short_name": (lang.title or config.title)[:12],
        "lang": lang.code,
        "dir": lang.direction,
        "start_url": urls.href(urls.home(lang.code)),
        "display": "browser",
        "background_color": "#fdfcf9",
        "theme_color": "#8a1c1c",
        "icons": [{"src": urls.static("favicon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
