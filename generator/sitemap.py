"""Sitemap: ``sitemap.xml`` (with hreflang alternates and lastmod) and ``robots.txt``.

Up to ``max_urls`` URLs (50,000, the protocol's limit) go into ``sitemap.xml`` itself. Above
that, ``sitemap.xml`` becomes a sitemap index naming ``sitemaps/sitemap-1.xml``, ``-2`` ...,
so ``robots.txt`` and search consoles always point at the same address.

Every URL is absolute and under ``base_url`` (a sitemap may only list URLs below its own
folder). Pages come from the page planner as ``SitemapEntry`` values, in planning order, so the
output is deterministic.
"""

from __future__ import annotations

import re
import zlib
from typing import Iterable, Iterator, NamedTuple, Sequence

from lxml import etree

from .digests import value_digest
from .feeds import xml_text
from .urls import Urls

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
MAX_URLS = 50_000


class SitemapEntry(NamedTuple):
    """A page as the sitemap lists it. The build cache keeps one per page as a plain tuple of
    these fields (quicker to save and load): the writers below take either."""

    path: str
    """Output path of the page (``ar/articles/x/index.html``)."""
    alternates: tuple[tuple[str, str], ...] = ()
    """(language code, output path) of every language version, this page included."""
    x_default: str | None = None
    lastmod: str | None = None
    """The day the page last changed, ISO 8601 (``2024-05-03``): a plain value, which the
    build cache saves with ``marshal``."""


def _urlset(entries: Sequence[SitemapEntry], urls: Urls, lines: "SitemapLines | None" = None) -> bytes:
    """The ``urlset`` document, written as text: the bytes lxml's ``tostring(pretty_print=True)``
    gives for the same tree (``tests/test_sitemap.py`` checks it against lxml), about four
    times faster, which matters when one new story rebuilds a sitemap of 100,000 pages.
    ``lines``: the text of runs of entries an earlier build wrote (``SitemapLines``)."""
    if not entries:
        return (_URLSET_HEAD[:-2] + "/>\n").encode("utf-8")
    absolute = _absolute(urls)
    blocks: dict[tuple, str] = {}  # every language version of a page lists the same alternates
    if lines is None:
        body = _url_lines(entries, absolute, blocks)
    else:
        parts = []
        for run in _runs(entries):
            key = value_digest(run)
            text = lines.get(key)
            if text is None:
                text = lines.put(key, _url_lines(run, absolute, blocks))
            parts.append(text)
        body = "".join(parts)
    return (_URLSET_HEAD + body + "</urlset>\n").encode("utf-8")


def _url_lines(entries: Iterable[SitemapEntry], absolute, blocks: dict) -> str:
    """The ``<url>`` elements of ``entries``."""
    out: list[str] = []
    add = out.append
    for page, alternates, x_default, lastmod in entries:
        loc = _text(absolute(page))
        if lastmod:
            add(f"  <url>\n    <loc>{loc}</loc>\n    <lastmod>{lastmod}</lastmod>\n")
        else:
            add(f"  <url>\n    <loc>{loc}</loc>\n")
        if len(alternates) > 1:
            block = blocks.get((alternates, x_default))
            if block is None:
                block = blocks[(alternates, x_default)] = _alternates(alternates, x_default, absolute)
            add(block)
        add("  </url>\n")
    return "".join(out)


def _runs(entries: Sequence[SitemapEntry]) -> Iterator[list[tuple]]:
    """``entries`` (as plain tuples) in runs that end where the content says, after a page
    whose path's CRC ends in six zero bits (64 pages a run, on average): a page added or
    removed changes the run it falls in, not every run after it, as fixed-size runs would."""
    run: list[tuple] = []
    for entry in entries:
        run.append(tuple(entry))
        if not zlib.crc32(entry[0].encode("utf-8", "surrogatepass")) & 63:
            yield run
            run = []
    if run:
        yield run


class SitemapLines:
    """The text of runs of sitemap entries (``_runs``), by a digest of the run: the runs an
    earlier build wrote (``known``), and the ones this build used (``used``: what the build
    cache keeps for the next). A new story changes the sitemap, but only the run it is in
    (and the runs of pages whose dates or languages it changed) is written again."""

    def __init__(self, known: dict[bytes, str]) -> None:
        self.known = known
        self.used: dict[bytes, str] = {}

    def get(self, key: bytes) -> str | None:
        text = self.known.get(key)
        if text is not None:
            self.used[key] = text
        return text

    def put(self, key: bytes, text: str) -> str:
        self.used[key] = text
        return text


def _alternates(alternates: tuple[tuple[str, str], ...], x_default: str | None, absolute) -> str:
    lines = [
        f'    <xhtml:link rel="alternate" hreflang="{_attr(lang)}" href="{_attr(absolute(path))}"/>\n'
        for lang, path in alternates
    ]
    if x_default:
        lines.append(
            f'    <xhtml:link rel="alternate" hreflang="x-default" href="{_attr(absolute(x_default))}"/>\n'
        )
    return "".join(lines)


_URLSET_HEAD = (
    f"<?xml version='1.0' encoding='utf-8'?>\n<urlset xmlns=\"{SITEMAP_NS}\" xmlns:xhtml=\"{XHTML_NS}\">\n"
)


def _absolute(urls: Urls):
    """``urls.absolute`` remembered for every path of this sitemap (alternates repeat them)."""
    seen: dict[str, str] = {}

    def absolute(path: str) -> str:
        link = seen.get(path)
        if link is None:
            link = seen[path] = urls.absolute(path)
        return link

    return absolute


def _text(value: str) -> str:
    """XML character data as lxml writes it: illegal characters dropped, ``& < >`` and
    carriage returns escaped."""
    value = xml_text(value)
    return _TEXT_SPECIAL.sub(lambda m: _ESCAPES[m.group()], value) if _TEXT_SPECIAL.search(value) else value


_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_ATTR_SPECIAL = re.compile('[&<>"\n\r\t]')
_TEXT_SPECIAL = re.compile("[&<>\r]")


def _attr(value: str) -> str:
    """An attribute value (in double quotes) as lxml writes it."""
    value = xml_text(value)
    return _ATTR_SPECIAL.sub(lambda m: _ESCAPES[m.group()], value) if _ATTR_SPECIAL.search(value) else value


def _index(parts: Sequence[tuple[str, str | None]], urls: Urls) -> bytes:
    s = f"{{{SITEMAP_NS}}}"
    root = etree.Element(s + "sitemapindex", nsmap={None: SITEMAP_NS})
    for path, lastmod in parts:
        item = etree.SubElement(root, s + "sitemap")
        etree.SubElement(item, s + "loc").text = xml_text(urls.absolute(path))
        if lastmod:
            etree.SubElement(item, s + "lastmod").text = lastmod
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def sitemap_paths(count: int, max_urls: int = MAX_URLS) -> list[str]:
    """The files ``sitemap_outputs`` makes for ``count`` entries, in its order."""
    parts = -(-count // max_urls) if count > max_urls else 0
    return [f"sitemaps/sitemap-{n}.xml" for n in range(1, parts + 1)] + ["sitemap.xml", "robots.txt"]


def sitemap_outputs(
    entries: Iterable[SitemapEntry],
    urls: Urls,
    *,
    max_urls: int = MAX_URLS,
    lines: SitemapLines | None = None,
) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of ``sitemap.xml`` (and its parts when there are more than ``max_urls``);
    ``lines``: see ``SitemapLines``."""
    entries = list(entries)
    paths = sitemap_paths(len(entries), max_urls)
    if len(entries) <= max_urls:
        yield "sitemap.xml", _urlset(entries, urls, lines)
    else:
        parts = []
        for path, start in zip(paths, range(0, len(entries), max_urls)):
            chunk = entries[start : start + max_urls]
            parts.append((path, max((e[3] for e in chunk if e[3]), default=None)))  # lastmod
            yield path, _urlset(chunk, urls, lines)
        yield "sitemap.xml", _index(parts, urls)
    yield "robots.txt", robots_txt(urls)


def robots_txt(urls: Urls) -> bytes:
    """Allow everything, name the sitemap. Crawlers read robots.txt only at a host's root:
    under a sub-path, copy these lines into the host's own robots.txt."""
    return (f"User-agent: *\nAllow: /\n\nSitemap: {urls.absolute('sitemap.xml')}\n").encode("utf-8")
