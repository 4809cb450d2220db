"""Sitemap: ``sitemap.xml`` (with hreflang alternates and lastmod) and ``robots.txt``.

Up to ``max_urls`` URLs (50,000, the protocol's limit) go into ``sitemap.xml`` itself. Above
that, ``sitemap.xml`` becomes a sitemap index naming ``sitemaps/sitemap-1.xml``, ``-2`` ...,
so ``robots.txt`` and search consoles always point at the same address.

Every URL is absolute and under ``base_url`` (a sitemap may only list URLs below its own
folder). Pages come from the page planner as ``SitemapEntry`` values, in planning order, so the
output is deterministic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

from lxml import etree

from .feeds import xml_text
from .urls import Urls

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
MAX_URLS = 50_000


@dataclass(frozen=True)
class SitemapEntry:
    path: str
    """Output path of the page (``ar/articles/x/index.html``)."""
    alternates: tuple[tuple[str, str], ...] = ()
    """(language code, output path) of every language version, this page included."""
    x_default: str | None = None
    lastmod: dt.date | None = None


def _urlset(entries: Sequence[SitemapEntry], urls: Urls) -> bytes:
    s, x = f"{{{SITEMAP_NS}}}", f"{{{XHTML_NS}}}"
    root = etree.Element(s + "urlset", nsmap={None: SITEMAP_NS, "xhtml": XHTML_NS})
    for entry in entries:
        url = etree.SubElement(root, s + "url")
        etree.SubElement(url, s + "loc").text = xml_text(urls.absolute(entry.path))
        if entry.lastmod:
            etree.SubElement(url, s + "lastmod").text = entry.lastmod.isoformat()
        if len(entry.alternates) > 1:
            for lang, path in entry.alternates:
                etree.SubElement(
                    url, x + "link", rel="alternate", hreflang=lang, href=xml_text(urls.absolute(path))
                )
            if entry.x_default:
                etree.SubElement(
                    url,
                    x + "link",
                    rel="alternate",
                    hreflang="x-default",
                    href=xml_text(urls.absolute(entry.x_default)),
                )
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _index(parts: Sequence[tuple[str, dt.date | None]], urls: Urls) -> bytes:
    s = f"{{{SITEMAP_NS}}}"
    root = etree.Element(s + "sitemapindex", nsmap={None: SITEMAP_NS})
    for path, lastmod in parts:
        item = etree.SubElement(root, s + "sitemap")
        etree.SubElement(item, s + "loc").text = xml_text(urls.absolute(path))
        if lastmod:
            etree.SubElement(item, s + "lastmod").text = lastmod.isoformat()
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def sitemap_outputs(
    entries: Iterable[SitemapEntry], urls: Urls, *, max_urls: int = MAX_URLS
) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of ``sitemap.xml`` (and its parts when there are more than ``max_urls``)."""
    entries = list(entries)
    if len(entries) <= max_urls:
        yield "sitemap.xml", _urlset(entries, urls)
    else:
        parts = []
        for n, start in enumerate(range(0, len(entries), max_urls), 1):
            chunk = entries[start : start + max_urls]
            path = f"sitemaps/sitemap-{n}.xml"
            parts.append((path, max((e.lastmod for e in chunk if e.lastmod), default=None)))
            yield path, _urlset(chunk, urls)
        yield "sitemap.xml", _index(parts, urls)
    yield "robots.txt", robots_txt(urls)


def robots_txt(urls: Urls) -> bytes:
    """Allow everything, name the sitemap. Crawlers read robots.txt only at a host's root:
    under a sub-path, copy these lines into the host's own robots.txt."""
    return (f"User-agent: *\nAllow: /\n\nSitemap: {urls.absolute('sitemap.xml')}\n").encode("utf-8")
