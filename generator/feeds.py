"""Feeds: Atom per language and per term (of every taxonomy with ``feeds``), RSS 2.0 per language.

Built with lxml's serializer, so every text and attribute is escaped; characters XML 1.0
forbids are removed first. Bytes depend only on the site: the feed's ``updated`` is the newest
entry's date, never the build's clock. Entry ids are ``urn:uuid:`` values derived from the
language and slug, so they survive a move to another domain or sub-path.

Language feeds carry the newest ``LANG_ENTRIES`` articles with summary and the sanitised body;
term feeds carry the newest ``TAG_ENTRIES`` with summaries only (thousands of tags times full
bodies would dwarf the site). Undated articles are left out: Atom requires a date. Times carry
their UTC offset (the site's ``timezone``); an article with a day only is at its midnight.
"""

from __future__ import annotations

from functools import partial

import copy
import html
import datetime as dt
import re
import uuid
from email.utils import format_datetime
from typing import Callable, Iterable, Iterator

from lxml import etree

from .config import SiteConfig
from .model import Article, Site, Term
from .urls import Urls

ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LANG_ENTRIES = 50
TAG_ENTRIES = 20
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NS = uuid.UUID("5b1d9a8e-0c4f-4d53-9a55-7361686966a1")


def xml_text(value: object) -> str:
    """Text safe for an XML 1.0 document (control characters and lone surrogates removed)."""
    return _ILLEGAL.sub("", str(value))


def rfc3339(moment: dt.datetime) -> str:
    """``2022-01-11T14:30:00+03:00`` (``Z`` for UTC)."""
    text = moment.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def rfc822(moment: dt.datetime) -> str:
    return format_datetime(moment)


def entry_id(article: Article) -> str:
    """Stable id of an article in every feed: independent of domain, path prefix and date."""
    return uuid.uuid5(_NS, f"{article.lang}/{article.slug}").urn


def _sub(parent, tag: str, text: str | None = None, **attrs: str):
    el = etree.SubElement(parent, tag, {k.rstrip("_"): xml_text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = xml_text(text)
    return el


def _dated(articles: Iterable[Article], limit: int) -> list[Article]:
    out = []
    for article in articles:  # newest first, undated last
        if article.date is None:
            break
        out.append(article)
        if len(out) == limit:
            break
    return out


class FeedWriter:
    """Feeds of one site; ``term_path(term_ref)`` gives the output path of a term's first page."""

    def __init__(self, site: Site, config: SiteConfig, term_path: Callable) -> None:
        self.site = site
        self.config = config
        self.urls = Urls(config)
        self.term_path = term_path
        self._entries: dict[tuple[str, bool], etree._Element] = {}
        """Each article's entry is built once; feeds append copies (lxml copies in C)."""

    # ---- Atom -------------------------------------------------------------------------
    def _atom_entry(self, article: Article, *, content: bool):
        ns = f"{{{ATOM}}}"
        entry = etree.Element(ns + "entry")
        _sub(entry, ns + "id", entry_id(article))
        _sub(entry, ns + "title", article.title)
        _sub(entry, ns + "link", rel="alternate", type="text/html", href=self.urls.absolute(article.path))
        _sub(entry, ns + "published", rfc3339(article.published))
        _sub(entry, ns + "updated", rfc3339(article.modified))
        for name in article.sources or (self.config.language(article.lang).title,):
            _sub(_sub(entry, ns + "author"), ns + "name", name)
        for refs in article.terms.values():
            for ref in refs:
                _sub(entry, ns + "category", term=ref.name, scheme=self.urls.absolute(self.term_path(ref)))
        if article.summary:
            _sub(entry, ns + "summary", article.summary, type="text")
        if content and article.body_html:
            _sub(entry, ns + "content", article.body_html, type="html")
        return entry

    def atom(
        self,
        lang: str,
        articles: Iterable[Article],
        *,
        self_path: str,
        page_path: str,
        title: str,
        subtitle: str,
        limit: int,
        content: bool,
    ) -> bytes:
        ns = f"{{{ATOM}}}"
        lcfg = self.config.language(lang)
        items = _dated(articles, limit)
        feed = etree.Element(ns + "feed", {XML_LANG: lang}, nsmap={None: ATOM})
        _sub(feed, ns + "id", self.urls.absolute(self_path))
        _sub(feed, ns + "title", title)
        if subtitle:
            _sub(feed, ns + "subtitle", subtitle)
        _sub(feed, ns + "link", rel="self", type="application/atom+xml", href=self.urls.absolute(self_path))
        _sub(
            feed,
            ns + "link",
            rel="alternate",
            type="text/html",
            hreflang=lang,
            href=self.urls.absolute(page_path),
        )
        newest = max((a.modified for a in items), default=EPOCH)
        _sub(feed, ns + "updated", rfc3339(newest))
        _sub(_sub(feed, ns + "author"), ns + "name", lcfg.title)
        _sub(feed, ns + "generator", "Sahifa")
        for article in items:
            cached = self._entries.get((article.path, content))
            if cached is None:
                cached = self._entries[(article.path, content)] = self._atom_entry(article, content=content)
            feed.append(copy.deepcopy(cached))
        return etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)

    def language_atom(self, lang: str) -> bytes:
        lcfg = self.config.language(lang)
        return self.atom(
            lang,
            self.site.articles[lang],
            self_path=self.urls.feed(lang),
            page_path=self.urls.home(lang),
            title=lcfg.title,
            subtitle=lcfg.description,
            limit=LANG_ENTRIES,
            content=True,
        )

    def term_atom(self, term: Term) -> bytes:
        lcfg = self.config.language(term.lang)
        return self.atom(
            term.lang,
            term.articles,
            self_path=self.urls.term_feed(term.lang, term.taxonomy, term.slug),
            page_path=self.urls.term(term.lang, term.taxonomy, term.slug),
            title=f"{term.name} · {lcfg.title}",
            subtitle="",
            limit=TAG_ENTRIES,
            content=False,
        )

    # ---- RSS 2.0 ----------------------------------------------------------------------
    def language_rss(self, lang: str) -> bytes:
        lcfg = self.config.language(lang)
        items = _dated(self.site.articles[lang], LANG_ENTRIES)
        rss = etree.Element("rss", {"version": "2.0"}, nsmap={"atom": ATOM, "content": CONTENT})
        channel = _sub(rss, "channel")
        _sub(channel, "title", lcfg.title)
        _sub(channel, "link", self.urls.absolute(self.urls.home(lang)))
        _sub(channel, "description", lcfg.description or lcfg.title)
        _sub(channel, "language", lang)
        _sub(
            channel,
            f"{{{ATOM}}}link",
            rel="self",
            type="application/rss+xml",
            href=self.urls.absolute(self.urls.rss(lang)),
        )
        newest = max((a.modified for a in items), default=EPOCH)
        _sub(channel, "lastBuildDate", rfc822(newest))
        _sub(channel, "generator", "Sahifa")
        for article in items:
            item = _sub(channel, "item")
            _sub(item, "title", article.title)
            _sub(item, "link", self.urls.absolute(article.path))
            _sub(item, "guid", entry_id(article), isPermaLink="false")
            _sub(item, "pubDate", rfc822(article.published))
            for refs in article.terms.values():
                for ref in refs:
                    _sub(item, "category", ref.name, domain=self.urls.absolute(self.term_path(ref)))
            if article.summary:
                # RSS readers treat <description> as HTML: the plain-text lead is escaped once
                # more, so "<script>" in a lead stays text (Atom says type="text" instead).
                _sub(item, "description", html.escape(article.summary, quote=False))
            if article.body_html:
                _sub(item, f"{{{CONTENT}}}encoded", article.body_html)
        return etree.tostring(rss, xml_declaration=True, encoding="utf-8", pretty_print=True)

    # ---- all feeds ----------------------------------------------------------------------
    def outputs(self, languages: tuple[str, ...] | None = None) -> Iterator[tuple[str, bytes]]:
        for rel, _, make in self.keyed_outputs(languages):
            yield rel, make()

    def keyed_outputs(
        self, languages: tuple[str, ...] | None = None, keys=None
    ) -> Iterator[tuple[str, bytes | None, Callable[[], bytes]]]:
        """(output path, key, maker of the bytes) of every feed; ``keys`` (a
        ``pagekeys.PageKeys``) keys each feed by what it shows (a build whose key is
        unchanged need not make the feed again); without it, the keys are None."""
        for lcfg in self.config.languages:
            lang = lcfg.code
            if languages is not None and lang not in languages:
                continue
            key = None
            if keys is not None:  # what both language feeds show: the newest dated stories
                shown = _dated(self.site.articles[lang], LANG_ENTRIES)
                key = keys.showing(("language feed", lang), shown)
            yield self.urls.feed(lang), key, partial(self.language_atom, lang)
            yield self.urls.rss(lang), key, partial(self.language_rss, lang)
            for taxonomy in self.config.taxonomies:
                if taxonomy.feeds:
                    for term in self.site.terms[taxonomy.name][lang]:
                        key = None
                        if keys is not None:
                            shown = _dated(term.articles, TAG_ENTRIES)
                            key = keys.showing(("term feed", keys.term_key(term)), shown)
                        path = self.urls.term_feed(lang, term.taxonomy, term.slug)
                        yield path, key, partial(self.term_atom, term)
