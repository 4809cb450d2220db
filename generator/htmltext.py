"""Main text of a scraped HTML page: title, paragraphs and the published date.

Input: HTML source text. Output: ``Page(title, paragraphs, date)`` with plain-text strings
(nothing of the markup survives; the caller escapes it again), or None when it cannot be
parsed.

Own rules first, because they are predictable on small Arabic/Persian pages: the title is the
first ``<h1>``, else ``og:title``, else ``<title>`` without a `` | Site`` suffix; paragraphs are
the text of ``p``, ``h2``-``h4``, ``li``, ``blockquote`` and ``pre`` blocks of the main
content (``<article>`` or ``<main>`` when present, else ``<body>``), outside navigation,
headers, footers, scripts and forms. The date comes from ``article:published_time``,
``<time datetime>`` or ``date``/``pubdate`` meta tags. When those rules find no paragraph and
trafilatura is installed (with its lxml HTML-cleaner dependency), its extraction is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BLOCKS = {"p", "h2", "h3", "h4", "li", "blockquote", "pre", "dd", "figcaption"}
_SKIP = {
    "script",
    "style",
    "nav",
    "header",
    "footer",
    "form",
    "aside",
    "noscript",
    "template",
    "button",
    "select",
    "iframe",
    "svg",
}
_SUFFIX = re.compile(r"\s+[|｜\-–—]\s+[^|｜\-–—]{2,40}$")
_DATE_META = (
    "article:published_time",
    "og:published_time",
    "datePublished",
    "date",
    "pubdate",
    "publishdate",
    "dc.date",
    "dc.date.issued",
)


@dataclass(frozen=True)
class Page:
    title: str | None
    paragraphs: tuple[str, ...]
    date: str | None


def _text(el) -> str:
    return " ".join("".join(el.itertext()).split())


def extract(source: str) -> Page | None:
    """See the module docstring."""
    try:
        import lxml.etree
        import lxml.html
    except ImportError:  # pragma: no cover - lxml is a dependency
        return None
    try:
        root = lxml.html.document_fromstring(
            source.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8")
        )
    except (lxml.etree.ParserError, ValueError, lxml.etree.XMLSyntaxError):
        return None
    for bad in root.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    title = _title(root)
    scope = (root.xpath("//article") or root.xpath("//main") or root.xpath("//body") or [root])[0]
    paragraphs = [text for text in (_text(el) for el in _blocks(scope)) if text]
    date = _date(root)
    if not paragraphs:
        rescued = _trafilatura(source)
        if rescued:
            paragraphs = rescued
    return Page(title, tuple(paragraphs), date)


def _blocks(scope) -> list:
    """The block elements whose text is a paragraph, in document order, in one walk (linear
    in the size of the tree, whatever its depth): not inside a skipped element (navigation,
    forms ...), not inside another paragraph-like block (``p``, ``li``, ``blockquote``;
    a ``li`` inside a ``li`` counts), and no ``li``/``blockquote`` that holds ``p``s."""
    if any(anc.tag in _SKIP for anc in scope.iterancestors()):
        return []
    holds_p: set = set()
    for p in scope.iter("p"):
        for anc in p.iterancestors():
            if anc in holds_p:
                break
            holds_p.add(anc)
    found = []
    stack = [(scope, any(anc.tag in ("p", "li", "blockquote") for anc in scope.iterancestors()))]
    while stack:
        el, in_text = stack.pop()
        tag = el.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if (
            tag in _BLOCKS
            and (not in_text or tag == "li")
            and not (tag in ("li", "blockquote") and el in holds_p)
        ):
            found.append(el)
        inner = in_text or tag in ("p", "li", "blockquote")
        stack.extend((child, inner) for child in reversed(el))
    return found


def _title(root) -> str | None:
    for h1 in root.xpath("//h1"):
        text = _text(h1)
        if text:
            return text
    for meta in root.xpath("//meta[@property='og:title' or @name='og:title']"):
        if meta.get("content", "").strip():
            return " ".join(meta.get("content").split())
    for el in root.xpath("//title"):
        text = _text(el)
        if text:
            return _SUFFIX.sub("", text)
    return None


def _date(root) -> str | None:
    for meta in root.xpath("//meta"):
        name = meta.get("property") or meta.get("name") or meta.get("itemprop") or ""
        if name.lower() in {n.lower() for n in _DATE_META} and meta.get("content"):
            return meta.get("content").strip()
    for el in root.xpath("//time[@datetime]"):
        return el.get("datetime").strip()
    return None


def _trafilatura(source: str) -> list[str]:
    try:
        import trafilatura
    except Exception:  # noqa: BLE001 - broken optional installs raise more than ImportError
        return []
    try:
        text = trafilatura.extract(source, include_comments=False, include_tables=False)
    except Exception:  # noqa: BLE001 - third-party heuristics must not crash a build
        return []
    return [" ".join(p.split()) for p in (text or "").split("\n") if p.strip()]
