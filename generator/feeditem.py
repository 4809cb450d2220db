"""One feed item (and, for summary-only feeds, its fetched page) -> a seed to write.

Input: an ``feedparse.Entry``, the subscription's settings (``ItemRules``) and optionally the
item's page. Output: a ``Draft``: the seed's text (title line, blank line, paragraphs), its
sidecar fields, the language, a near-duplicate signature and the canonical URL. Pure and
picklable both ways, so a process pool can run it.

The feed's own fields win where they are reliable: its GUID and link identify the item, its
published time (with its offset) is the story's date, its authors and categories (mapped onto
sections through the subscription's ``categories`` table; the others become tags) fill the
sidecar. The page, read with trafilatura, gives the full text, and the date, author, lead
image and canonical URL where the feed is silent. The text is text: item HTML is reduced to
paragraphs (scripts, styles, forms and embedded frames dropped with their content), so nothing
from a feed can run on the site. The seed reader cleans the rest at build time (datelines,
agencies, wire markers, boilerplate), as it does for every seed.
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .feedparse import Entry

_HIDE = "\u00a4\u034f"
"""Stands for ZWNJ while trafilatura reads a page (a pair no text has; both survive it)."""
SUMMARY_CHARS = 600
"""An item whose text is shorter than this carries a summary, not the story."""
_DROP = ("script", "style", "noscript", "template", "iframe", "object", "embed", "form", "svg", "button")
_BLOCK = {
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "blockquote",
    "pre",
    "tr",
    "section",
    "article",
}


@dataclass(frozen=True)
class ItemRules:
    """What a subscription says about its items (a picklable view of ``FeedConfig``)."""

    name: str
    lang: str | None = None
    section: str | None = None
    full_text: bool = False
    categories: tuple[tuple[str, str], ...] = ()
    languages: tuple[tuple[str, str], ...] = ()
    """The site's (code, locale) pairs, to map a feed's language onto the site's."""
    term_names: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    """``term_translations`` as (id, ((language, name), ...)): a section given by its id
    (``economy``) is written in the story's language (``اقتصاد``)."""

    def term_name(self, value: str, lang: str | None) -> str:
        for ident, names in self.term_names:
            if ident == value:
                return dict(names).get(lang or "", value)
        return value


@dataclass(frozen=True)
class Page:
    """An item's fetched page."""

    url: str
    body: bytes
    content_type: str = ""


@dataclass(frozen=True)
class Draft:
    name: str
    text: str
    sidecar: Mapping
    lang: str | None
    signature: bytes | None
    canonical_url: str | None
    published: datetime | None
    warnings: tuple[str, ...] = field(default=())


def needs_page(entry: Entry, rules: ItemRules) -> bool:
    """The subscription asks for full text and the item carries only a summary."""
    if not rules.full_text or not entry.link:
        return False
    return len(" ".join(html_paragraphs(entry.content_html))) < SUMMARY_CHARS


def item_name(entry: Entry, published: datetime | None) -> str:
    """The seed's file name (without ``.txt``): the day and a digest of the item's identity,
    so the same item always gets the same name and names sort by date."""
    identity = entry.guid or entry.link or entry.title
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    day = published.strftime("%Y%m%d") if published else "undated"
    return f"{day}-{digest}"


def make_draft(entry: Entry, rules: ItemRules, *, extracted: dict | None, fetched_at: datetime) -> Draft:
    """See the module docstring. ``extracted``: ``extract_page``'s reading of the item's page
    (``{"failed": url}`` when the page had no story text), or None without a page."""
    from .langdetect import detect_language, site_language
    from .neardup import signature

    warnings: list[str] = []
    paragraphs = html_paragraphs(entry.content_html) or html_paragraphs(entry.summary_html)
    title = entry.title
    published = entry.published or entry.updated
    authors = list(entry.authors)
    image, image_alt = entry.image, entry.image_alt
    canonical = None
    if extracted and "failed" in extracted:
        warnings.append(
            f"{str(extracted['failed'])[:100]}: no story text found on the page; the feed's text is used"
        )
    elif extracted:
        if len(" ".join(extracted["paragraphs"])) > len(" ".join(paragraphs)):
            paragraphs = list(extracted["paragraphs"])
        title = title or extracted["title"] or ""
        published = published or extracted["date"]
        authors = authors or list(extracted["authors"])
        if image is None and extracted["image"]:
            image, image_alt = extracted["image"], extracted["image_alt"]
        canonical = extracted["canonical"]
    if not title and paragraphs:
        title = paragraphs[0][:120]
    paragraphs = [p for p in paragraphs if " ".join(p.split()) != title]
    if published is None:
        published = fetched_at
        warnings.append("the item has no date; the time it was fetched is used")
    body = "\n\n".join(paragraphs)
    lang = _language(entry.lang, rules)
    if lang is None:
        lang = (
            site_language(detect_language(f"{title}\n{body}"[:5000]), rules.languages)
            if body or title
            else None
        )
    sections, tags = [], []
    mapping = dict(rules.categories)
    for category in entry.categories:
        if category in mapping:
            sections.append(mapping[category])
        else:
            tags.append(category)
    if not sections and rules.section:
        sections.append(rules.section)
    sections = [rules.term_name(section, lang) for section in sections]
    sidecar: dict = {"title": title, "date": published.isoformat(timespec="seconds")}
    if lang:
        sidecar["lang"] = lang
    sidecar["source"] = [rules.name]
    if authors:
        sidecar["author"] = authors
    if sections:
        sidecar["section"] = list(dict.fromkeys(sections))
    if tags:
        sidecar["tags"] = list(dict.fromkeys(tags))[:12]
    if image and image_alt:
        sidecar["image"] = {"src": image, "alt": image_alt}
    text = f"{title}\n\n{body}\n" if body else f"{title}\n"
    return Draft(
        name=item_name(entry, published),
        text=text,
        sidecar=sidecar,
        lang=lang,
        signature=signature(body),
        canonical_url=canonical,
        published=published,
        warnings=tuple(warnings),
    )


def _language(code: str | None, rules: ItemRules) -> str | None:
    """The subscription's ``lang`` when it has one (the operator knows the feed better than
    its ``<language>`` element, often left at ``en-us``), else the site language for the
    feed's own code (``ar-SA`` -> ``ar``); None: the text decides."""
    from .languages import base_language

    if rules.lang:
        return rules.lang
    codes = [c for c, _ in rules.languages]
    if code:
        if code in codes:
            return code
        base = code.split("-")[0]
        for c, locale in rules.languages:
            if c == base or base_language(locale) == base:
                return c
    return rules.lang


def html_paragraphs(html: str) -> list[str]:
    """Item HTML as plain paragraphs: block elements and ``<br><br>`` break them; scripts,
    styles, forms and frames go with their content; everything else is its text."""
    if not html or not html.strip():
        return []
    import lxml.etree
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return [" ".join(html.split())] if "<" not in html else []
    for bad in root.xpath("|".join(f"//{tag}" for tag in _DROP)):
        bad.drop_tree()
    parts: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = "".join(current)
        current.clear()
        for piece in re.split(r"\n\s*\n", text):
            piece = " ".join(piece.split())
            if piece:
                parts.append(piece)

    # iterwalk, not recursion: a hostile item may nest thousands of elements
    for event, el in lxml.etree.iterwalk(root, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else None
        if event == "start":
            if tag in _BLOCK:
                flush()
            elif tag == "br":
                current.append("\n")
            if tag is not None and el.text:
                current.append(el.text)
        else:
            if tag in _BLOCK:
                flush()
            if el is not root and el.tail:
                current.append(el.tail)
    flush()
    if not parts:  # markup too deep or broken for the parser: its text, scripts dropped
        import html as html_module

        bare = re.sub(r"(?is)<(script|style|noscript|template)\b.*?</\1\s*>", " ", html)
        text = html_module.unescape(re.sub(r"<[^>]*>", " ", bare))
        parts = [" ".join(text.split())] if text.strip() else []
    return parts


def extract_page(page: Page) -> dict | None:
    """Title, paragraphs, date, authors, lead image and canonical URL of an item's page
    (trafilatura); None when it finds no story text."""
    import trafilatura

    from .decode import decode_bytes

    text = decode_bytes(page.body, page.url)[0]
    # trafilatura drops ZWNJ (U+200C), which Persian and Urdu spelling needs: hidden from it
    # behind ``_HIDE`` and put back in its output.
    text = text.replace(_HIDE, "\u00a4").replace("\u200c", _HIDE)
    try:
        doc = trafilatura.bare_extraction(
            text,
            url=page.url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            date_extraction_params={
                "extensive_search": False,
                "original_date": True,
                "outputformat": "%Y-%m-%dT%H:%M:%S%z",
            },
        )
    except Exception:  # noqa: BLE001 - an extractor failure is "no text", never a crash
        return None
    if doc is None or not (doc.text or "").strip():
        return None
    title = " ".join((doc.title or "").replace(_HIDE, "\u200c").split())
    lines = [" ".join(line.replace(_HIDE, "\u200c").split()) for line in doc.text.split("\n")]
    paragraphs = [line for line in lines if line and line != title]
    date = None
    if doc.date:
        try:
            date = datetime.fromisoformat(doc.date)
            if date.tzinfo is None:
                date = None  # a day without a zone: the feed's or the fetch time is better
        except ValueError:
            date = None
    canonical = doc.url if doc.url and re.match(r"https?://", doc.url) else None
    if canonical and urllib.parse.urlsplit(canonical).path in ("", "/"):
        canonical = None  # a site that names its home page as every page's canonical URL
    authors = [
        a.strip() for a in re.split(r";|،|,", (doc.author or "").replace(_HIDE, "\u200c")) if a.strip()
    ][:5]
    alt = _og_image_alt(text) if doc.image else None
    return {
        "title": title,
        "paragraphs": paragraphs,
        "date": date,
        "authors": authors,
        "image": doc.image if doc.image and re.match(r"https?://", doc.image) else None,
        "image_alt": alt,
        "canonical": canonical,
    }


def _og_image_alt(text: str) -> str | None:
    match = re.search(
        r"<meta[^>]+property=[\"']og:image:alt[\"'][^>]*content=[\"']([^\"']{1,300})", text, re.I
    )
    return " ".join(match.group(1).split()) if match else None
