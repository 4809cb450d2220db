"""A fetched feed's bytes -> its items, whatever the format: RSS 0.9x/1.0/2.0 and Atom through
feedparser, JSON Feed 1.0/1.1 read here (feedparser 6 does not know it).

Input: the body, the answering URL and its Content-Type (for the charset). Output: a
``ParsedFeed`` of ``Entry`` records (plain, picklable values), newest first, at most
``max_items``; or ``FeedError`` when the body is no feed at all (an HTML page, an empty or
unreadable body). A feed with XML errors that feedparser still reads gives its items and a
warning. Item HTML comes out sanitised by feedparser (no scripts, no event handlers); the
fetcher turns it into text anyway.

What is kept of an item: GUID (``id``), link, title, summary and content HTML, published and
updated times *with their own offset* (feedparser's parsed times are UTC only), authors'
names (never their e-mail addresses), categories, an image with its description when the
feed gives one (Media RSS, an image enclosure, JSON Feed's ``image``), and the language.
"""

from __future__ import annotations

import email.utils
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

MAX_TEXT = 2_000_000
"""Characters kept of one item's HTML (a feed item is not a book)."""


class FeedError(Exception):
    """The body is not a feed that can be read."""


@dataclass(frozen=True)
class Entry:
    guid: str | None
    link: str | None
    title: str
    summary_html: str = ""
    content_html: str = ""
    published: datetime | None = None
    updated: datetime | None = None
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    image: str | None = None
    image_alt: str | None = None
    lang: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    format: str
    title: str
    lang: str | None
    link: str | None
    entries: tuple[Entry, ...]
    total: int
    """Items in the feed (``entries`` holds at most ``max_items`` of them)."""
    warnings: tuple[str, ...] = field(default=())


def parse_feed(body: bytes, *, url: str, content_type: str = "", max_items: int = 50) -> ParsedFeed:
    """See the module docstring."""
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise FeedError("the answer is empty")
    if head[:1] in (b"{", b"[") or "json" in content_type.lower():
        parsed = _json_feed(body)
    else:
        parsed = _xml_feed(body, url, content_type)
    fmt, title, lang, link, entries, warnings = parsed
    seen: set[str] = set()
    unique: list[Entry] = []
    repeated = 0
    for entry in entries:
        key = entry.guid or entry.link
        if key and key in seen:
            repeated += 1
            continue
        if key:
            seen.add(key)
        unique.append(entry)
    if repeated:
        warnings.append(f"{repeated} item(s) repeat an earlier item's GUID or link; the first is kept")

    def when(entry: Entry) -> datetime | None:
        return entry.published or entry.updated

    order = sorted(
        range(len(unique)),
        key=lambda i: (when(unique[i]) is None, -(when(unique[i]) or _EPOCH).timestamp(), i),
    )
    chosen = tuple(unique[i] for i in order[:max_items])
    return ParsedFeed(fmt, title, lang, link, chosen, len(unique), tuple(warnings))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _xml_feed(body: bytes, url: str, content_type: str):
    import feedparser

    d = feedparser.parse(
        body,
        response_headers={"content-type": content_type or "application/xml", "content-location": url},
        resolve_relative_uris=True,
        sanitize_html=True,
    )
    warnings: list[str] = []
    if not d.get("version") and not d.entries:
        sniff = body[:4096].lower()
        if b"<html" in sniff or b"<!doctype html" in sniff or "html" in content_type.lower():
            raise FeedError("the address serves an HTML page, not a feed (has the feed moved?)")
        reason = d.get("bozo_exception")
        raise FeedError(f"not a feed: {_short(reason) if reason else 'no RSS, Atom or JSON Feed found'}")
    if d.get("bozo"):
        reason = d.get("bozo_exception")
        if not _harmless(reason):
            warnings.append(f"the feed is malformed ({_short(reason)}); {len(d.entries)} item(s) read anyway")
    lang = _lang(d.feed.get("language"))
    entries = [_xml_entry(e, lang) for e in d.entries]
    return (
        d.get("version") or "xml",
        _plain(d.feed.get("title", "")),
        lang,
        d.feed.get("link"),
        entries,
        warnings,
    )


def _harmless(reason) -> bool:
    """feedparser's notes that are no fault of the feed's (a charset told by HTTP and not XML)."""
    name = type(reason).__name__
    return name in ("CharacterEncodingOverride",)


def _short(reason) -> str:
    return " ".join(str(reason).split())[:160] or type(reason).__name__


def _xml_entry(e, feed_lang: str | None) -> Entry:
    content = ""
    for part in e.get("content") or ():
        if "html" in (part.get("type") or "html") or part.get("type") == "text/plain":
            value = part.get("value") or ""
            if len(value) > len(content):
                content = value
    summary = e.get("summary") or ""
    image, alt = None, None
    for media in (e.get("media_content") or []) + (e.get("media_thumbnail") or []):
        if media.get("url") and (
            media.get("medium") in (None, "image") or "image" in (media.get("type") or "")
        ):
            image = media["url"]
            break
    if image is None:
        for enclosure in e.get("enclosures") or ():
            if (enclosure.get("type") or "").startswith("image/") and enclosure.get("href"):
                image = enclosure["href"]
                break
    if image is not None:
        alt = _plain(e.get("media_description") or e.get("media_title") or "") or None
    authors = []
    raw_author = dict.get(e, "author") or ""
    if "@" in raw_author:  # feedparser splits "mail (Name)" wrongly around non-ASCII names
        authors.append(_author_name(raw_author))
    else:
        for author in dict.get(e, "authors") or ():
            name = _author_name(author.get("name") or "")
            if name:
                authors.append(name)
    authors = [a for a in authors if a]
    categories = []
    for tag in e.get("tags") or ():
        term = _plain(tag.get("label") or tag.get("term") or "")
        if term:
            categories.extend(part.strip() for part in term.split("/") if part.strip())
    return Entry(
        guid=(e.get("id") or "").strip()[:2000] or None,
        link=_link(e),
        title=_plain(e.get("title") or ""),
        summary_html=summary[:MAX_TEXT],
        content_html=content[:MAX_TEXT],
        published=_moment(dict.get(e, "published"), dict.get(e, "published_parsed")),
        updated=_moment(dict.get(e, "updated"), dict.get(e, "updated_parsed")),
        authors=tuple(dict.fromkeys(authors)),
        categories=tuple(dict.fromkeys(categories)),
        image=image,
        image_alt=alt,
        lang=_lang((e.get("content") or [{}])[0].get("language")) or feed_lang,
    )


def _link(e) -> str | None:
    link = e.get("link")
    for candidate in e.get("links") or ():
        if candidate.get("rel") in (None, "alternate") and candidate.get("href"):
            link = candidate["href"]
            break
    link = (link or "").strip()
    return link if re.match(r"https?://", link, re.I) else None


_EMAIL = re.compile(r"\S+@\S+")


def _author_name(text: str) -> str:
    """An RSS author is often ``jane@example.org (Jane Doe)``: the name, never the address."""
    text = _plain(text)
    inner = re.search(r"\(([^()]+)\)", text)
    if inner and _EMAIL.search(text.replace(inner.group(0), "")):
        text = inner.group(1)
    text = _EMAIL.sub("", text).strip(" ,;()<>")
    return text[:120]


def _plain(text: str) -> str:
    """Feed titles may hold tags or entities: plain, single-spaced text."""
    text = text[:4000]  # a title, not a book: cut first, so no pattern ever sees megabytes
    if "<" in text or "&" in text:
        import html

        text = html.unescape(re.sub(r"<[^<>]*>", " ", text))
    return " ".join(text.split())[:1000]


def _lang(value) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip().replace("_", "-").lower()
    return value if re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{1,8})*", value) else None


def _moment(text, parsed) -> datetime | None:
    """The item's time with its own offset; feedparser's UTC reading when the text is odd."""
    if isinstance(text, str) and text.strip():
        raw = text.strip()
        try:
            moment = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            moment = None
        if moment is None:
            try:
                moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                moment = None
        if moment is not None and moment.tzinfo is not None and 1900 < moment.year < 2200:
            return moment
    if parsed:
        try:
            return datetime(*parsed[:6], tzinfo=UTC)
        except (TypeError, ValueError):
            return None
    return None


# --- JSON Feed ---------------------------------------------------------------------------


def _json_feed(body: bytes):
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise FeedError(f"not a feed: the JSON cannot be read ({_short(exc)})") from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise FeedError("not a feed: JSON without a JSON Feed version")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError("not a feed: a JSON Feed without an items list")
    lang = _lang(data.get("language"))
    warnings: list[str] = []
    entries = []
    skipped = 0
    for item in items:
        if not isinstance(item, dict):
            skipped += 1
            continue
        try:
            entries.append(_json_entry(item, data, lang))
        except (TypeError, AttributeError, ValueError):  # a field of the wrong type
            skipped += 1
    if skipped:
        warnings.append(
            f"{skipped} JSON Feed item(s) are not objects or have fields of the wrong type; skipped"
        )
    version = "json" + str(data.get("version")).rsplit("/", 1)[-1].replace(".", "")
    return (
        version,
        _plain(_str(data.get("title"))),
        lang,
        _str(data.get("home_page_url")) or None,
        entries,
        warnings,
    )


def _str(value) -> str:
    return value if isinstance(value, str) else ""


def _json_entry(item: dict, feed: dict, feed_lang: str | None) -> Entry:
    import html

    import nh3

    content = _str(item.get("content_html"))
    if not content and _str(item.get("content_text")):
        content = "".join(f"<p>{html.escape(p)}</p>" for p in _str(item["content_text"]).split("\n\n"))
    authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
    if not authors:
        authors = feed.get("authors") or ([feed["author"]] if isinstance(feed.get("author"), dict) else [])
    names = [_author_name(_str(a.get("name"))) for a in authors if isinstance(a, dict)]
    tags = [_plain(t) for t in item.get("tags") or () if isinstance(t, str) and t.strip()]
    url = _str(item.get("url")).strip()
    guid = item.get("id")
    return Entry(
        guid=(str(guid).strip()[:2000] or None) if isinstance(guid, str | int) else None,
        link=url if re.match(r"https?://", url, re.I) else None,
        title=_plain(_str(item.get("title"))),
        summary_html=html.escape(_str(item.get("summary")))[:MAX_TEXT],
        content_html=nh3.clean(content)[:MAX_TEXT],
        published=_moment(_str(item.get("date_published")), None),
        updated=_moment(_str(item.get("date_modified")), None),
        authors=tuple(n for n in dict.fromkeys(names) if n),
        categories=tuple(dict.fromkeys(tags)),
        image=_str(item.get("image")) or _str(item.get("banner_image")) or None,
        image_alt=None,
        lang=_lang(item.get("language")) or feed_lang,
    )
