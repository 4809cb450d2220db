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
from .search_index import index_dir, search_outputs
from .sitemap import MAX_URLS, SitemapEntry, sitemap_outputs, sitemap_paths
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
        lastmod=lastmod.date() if lastmod is not None else None,
    )


def feed_and_search_tasks(
    site: Site, config: SiteConfig, term_path: Callable, keys=None, memo_dir=None, previous=None
) -> list[Callable[[], list]]:
    """Feeds and search index (they need the model only, not the rendered pages) as
    independent jobs, one per kind and language, biggest first, so that worker processes
    can share them out with the pages. Each job gives (output path, key, maker of the
    bytes): see ``FeedWriter.keyed_outputs`` (``keys``: a ``pagekeys.PageKeys``); ``memo_dir``:
    see ``search_outputs``.

    With ``keys``, every file of a language's search index has one key: the keys of all the
    language's stories, in order. ``previous`` (output path -> key, as the last build
    recorded them) then names the files an index with the same key was made of, and the
    job gives those without making the index (a story published in Arabic leaves the
    English index alone); the makers make it only if a file is asked for."""

    def job(kind: str, lang: str) -> Callable[[], list]:
        if kind == "search":
            return partial(_search_job, site, config, lang, keys, memo_dir, previous)
        return lambda: list(FeedWriter(site, config, term_path).keyed_outputs((lang,), keys))

    weight = {lang.code: len(site.articles[lang.code]) for lang in config.languages}
    order = sorted(config.language_codes, key=lambda code: -weight[code])
    kinds = ("search", "feeds") if config.search else ("feeds",)
    return [job(kind, lang) for lang in order for kind in kinds]


def _search_job(site: Site, config: SiteConfig, lang: str, keys, memo_dir, previous) -> list:
    """One language's search index: (output path, key, maker) of its files. Every file has
    the index's key but ``meta.json``, whose key also names the other files: a file that lost
    its key (rewritten by the preview since) or is missing makes the whole index again."""
    key = keys.showing(("search index", lang), site.articles[lang]) if keys is not None else None
    base = index_dir(Urls(config), lang)
    meta = f"{base}meta.json"
    if key is not None and previous and meta in previous:
        kept = sorted(rel for rel, entry in previous.items() if entry[0] == key and rel.startswith(base))
        if previous[meta][0] == keys.digest(("search files", key, tuple(kept))):
            make = _made_once(lambda: search_outputs(site, config, (lang,), memo_dir))
            keyed = [(rel, key) for rel in kept] + [(meta, previous[meta][0])]
            return [(rel, k, partial(make, rel)) for rel, k in keyed]
    files = list(search_outputs(site, config, (lang,), memo_dir))
    listed = None
    if key is not None:
        listed = keys.digest(("search files", key, tuple(sorted(rel for rel, _ in files if rel != meta))))
    return [(rel, listed if rel == meta else key, partial(_same, data)) for rel, data in files]


def _same(data: bytes) -> bytes:
    return data


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
    config: SiteConfig, pages: Iterable[SitemapEntry | None], keys, *, max_sitemap_urls: int = MAX_URLS
) -> list[tuple[str, bytes, Callable[[], bytes]]]:
    """``sitemaps`` as (output path, key, maker) of each file (the shape of the feed and
    search tasks): every file has the key of the entries it lists, in order, so a build whose
    pages have the entries the last build's had (a correction that leaves dates and
    translations alone) does not write 22,000 URLs again for nothing."""
    listed = [p for p in pages if p is not None]
    key = keys.digest(
        (
            "sitemap",
            max_sitemap_urls,
            [(p[0], p[1], p[2], p[3].isoformat() if p[3] else None) for p in listed],
        )
    )
    make = _made_once(lambda: sitemap_outputs(listed, Urls(config), max_urls=max_sitemap_urls))
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
