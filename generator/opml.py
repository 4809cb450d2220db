"""OPML 1.0/2.0 import and export of feed subscriptions.

``read_opml`` reads a subscription list written by any feed reader (folders nest; attribute
names are matched case-insensitively because real files spell ``xmlUrl`` as ``xmlurl`` or
``XMLURL``); ``write_opml`` writes an OPML 2.0 document, deterministic byte for byte.

Reading is safe on hostile input: no DTD is loaded, no entity is resolved, nothing is fetched
from the network, the input is capped at ``MAX_BYTES`` and a document that declares entities
is refused outright (billion laughs, external entities).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urlsplit

from lxml import etree

from .errors import SahifaError
from .textnorm import clean_value

MAX_BYTES = 5 * 1024 * 1024
"""The largest OPML document read (a subscription list is a few kilobytes)."""

_XML_NS_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_LANG_ATTRS = ("language", "lang", "xml:lang")
"""Where a language is found on an outline, first match wins (OPML 2.0 says ``language``)."""
_URL_BAD = re.compile(r"[\x00-\x20\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class Subscription:
    """One feed: its URL, display name, language, site and folder path (``News/World``)."""

    url: str
    name: str = ""
    lang: str | None = None
    site_url: str = ""
    category: str = ""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
    )


def _local(name: object) -> str:
    """The lower-cased local name of an element or attribute (``xml:lang`` for that one)."""
    if not isinstance(name, str):
        return ""  # processing instructions, entity references
    if name == _XML_NS_LANG:
        return "xml:lang"
    return etree.QName(name).localname.lower()


def _attrs(el: etree._Element) -> dict[str, str]:
    """An element's attributes keyed by lower-cased local name (first spelling wins)."""
    out: dict[str, str] = {}
    for key, value in el.attrib.items():
        out.setdefault(_local(key), value)
    return out


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in el if _local(child.tag) == name]


def _http_url(value: str) -> str | None:
    """``value`` stripped when it is an absolute http(s) URL with a host, else None."""
    url = value.strip()
    if not url or _URL_BAD.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def url_key(url: str) -> str:
    """What two feed URLs are compared by: stripped, scheme and host lower-cased."""
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc = re.split(r"[/?#]", rest, maxsplit=1)[0]
    userinfo, at, hostport = netloc.rpartition("@")
    return f"{scheme.lower()}://{userinfo}{at}{hostport.lower()}{rest[len(netloc) :]}"


def _path(value: str) -> list[str]:
    """Folder names of a slash-separated path, cleaned, empty ones dropped."""
    return [seg for seg in (clean_value(part) for part in value.split("/")) if seg]


def _category_attr(value: str) -> list[str]:
    """The first item of an OPML 2.0 ``category`` attribute (``/News/World,/Tech``)."""
    for item in value.split(","):
        segments = _path(item)
        if segments:
            return segments
    return []


def _label(name: str, attrs: dict[str, str], number: int) -> str:
    """How a warning names an outline: its name, else its URL, else its position."""
    if name:
        return f"outline {name!r}"
    url = clean_value(attrs.get("xmlurl", ""))
    return f"outline {url!r}" if url else f"outline #{number}"


def read_opml(data: bytes, source: str) -> tuple[list[Subscription], list[str]]:
    """The feed subscriptions of an OPML document, in document order, and warnings.

    Raises ``SahifaError(source, reason)`` when the input is too large, not well-formed XML,
    declares entities, or is not OPML (no ``opml`` root or no ``body``).
    """
    if len(data) > MAX_BYTES:
        raise SahifaError(source, f"the OPML file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if not data.strip():
        raise SahifaError(source, "the OPML file is empty")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as err:
        raise SahifaError(source, f"not well-formed XML ({err.msg})") from None
    except ValueError as err:  # e.g. a str with an encoding declaration
        raise SahifaError(source, f"cannot be read as XML ({err})") from None
    if root is None:
        raise SahifaError(source, "not well-formed XML (no root element)")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise SahifaError(source, "the document declares entities, which OPML never needs; refused")
    if _local(root.tag) != "opml":
        raise SahifaError(source, f"not an OPML document (the root element is <{_local(root.tag)}>)")
    bodies = _children(root, "body")
    if not bodies:
        raise SahifaError(source, "not an OPML document (no <body>)")

    subscriptions: list[Subscription] = []
    warnings: list[str] = []
    seen: dict[str, str] = {}
    counter = 0

    def walk(parent: etree._Element, folders: list[str]) -> None:
        nonlocal counter
        for outline in _children(parent, "outline"):
            counter += 1
            attrs = _attrs(outline)
            name = clean_value(attrs.get("title", "")) or clean_value(attrs.get("text", ""))
            if "xmlurl" not in attrs:
                if attrs.get("type", "").strip().lower() in ("rss", "atom"):
                    warnings.append(f"{_label(name, attrs, counter)} is a feed without an xmlUrl; skipped")
                walk(outline, folders + _path(name))
                continue
            label = _label(name, attrs, counter)
            category = folders
            extra = _category_attr(attrs.get("category", ""))
            if extra and extra[: len(folders)] != folders:
                category = folders + extra
            elif extra:
                category = extra
            _feed(attrs, name, "/".join(category), label)
            walk(outline, folders)  # an outline with a feed and children: keep the children too

    def _feed(attrs: dict[str, str], name: str, category: str, label: str) -> None:
        url = _http_url(attrs["xmlurl"])
        if url is None:
            shown = clean_value(attrs["xmlurl"])[:200]
            warnings.append(f"{label}: the feed URL {shown!r} is not an http(s) URL; skipped")
            return
        key = url_key(url)
        if key in seen:
            warnings.append(
                f"{label}: the feed URL {url!r} is listed twice (first as {seen[key]}); kept once"
            )
            return
        seen[key] = label
        site = ""
        if attrs.get("htmlurl", "").strip():
            site = _http_url(attrs["htmlurl"]) or ""
            if not site:
                shown = clean_value(attrs["htmlurl"])[:200]
                warnings.append(f"{label}: the site URL {shown!r} is not an http(s) URL; left out")
        lang = None
        for attr in _LANG_ATTRS:
            if attrs.get(attr, "").strip():
                lang = clean_value(attrs[attr]) or None
                break
        subscriptions.append(Subscription(url=url, name=name, lang=lang, site_url=site, category=category))

    for body in bodies:
        walk(body, [])
    if not subscriptions and not warnings:
        warnings.append("the OPML file lists no feeds")
    return subscriptions, warnings


class _Folder:
    """A folder of the written document: its entries (feeds and folders) in given order."""

    def __init__(self) -> None:
        self.entries: list[Subscription | tuple[str, _Folder]] = []
        self.folders: dict[str, _Folder] = {}

    def folder(self, name: str) -> _Folder:
        if name not in self.folders:
            self.folders[name] = _Folder()
            self.entries.append((name, self.folders[name]))
        return self.folders[name]


def _xml(value: str) -> str:
    return _XML_ILLEGAL.sub("", value)


def write_opml(subscriptions: Iterable[Subscription], title: str) -> bytes:
    """An OPML 2.0 document (UTF-8, with an XML declaration) listing ``subscriptions``.

    Feeds with a category go into folder outlines (``News/World`` nests ``World`` in
    ``News``); a folder appears where its first feed does, and feeds keep their given order
    within it. No date is written, so the same list always gives the same bytes.
    """
    top = _Folder()
    for sub in subscriptions:
        node = top
        for segment in _path(sub.category):
            node = node.folder(segment)
        node.entries.append(sub)

    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = _xml(clean_value(title))
    body = etree.SubElement(root, "body")

    def emit(parent: etree._Element, folder: _Folder) -> None:
        for entry in folder.entries:
            if isinstance(entry, tuple):
                name, child = entry
                el = etree.SubElement(parent, "outline", text=_xml(name), title=_xml(name))
                emit(el, child)
                continue
            name = _xml(clean_value(entry.name))
            el = etree.SubElement(parent, "outline", type="rss", text=name, title=name)
            el.set("xmlUrl", _xml(entry.url.strip()))
            if entry.site_url:
                el.set("htmlUrl", _xml(entry.site_url.strip()))
            if entry.lang and entry.lang.strip():
                el.set("language", _xml(clean_value(entry.lang)))

    emit(body, top)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
