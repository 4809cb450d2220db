"""URL stage: the single mapping from model objects to output paths and URLs.

Every page lives in a folder with an ``index.html`` so URLs end in ``/`` and work on any static
host. Paths here are relative to the output folder (``ar/articles/<slug>/index.html``);
``href()`` turns one into a link under the site's base path (``/news/ar/...``).

Slugs are readable in their own script: Arabic stays Arabic, never transliterated. See
``slugify`` for the exact rules.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from urllib.parse import quote

from .config import SiteConfig
from .textnorm import ARABIC_MARKS

# Characters unsafe in a path segment on some host or file system, and URL syntax characters.
_UNSAFE = re.compile(
    r"[\s<>:\"/\\|?*#%&+=;,'`!$@^~\[\]{}()\u060c\u061b\u061f\u06d4\u066a-\u066c.\u2010-\u2015\u00ab\u00bb\u2018-\u201f\u2026]+"
)
_DEVICE = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)$", re.I)
MAX_SLUG_BYTES = 120
RESERVED_ARTICLE_SLUGS = frozenset({"tags", "archive", "page", "static", "search", "feed.xml"})


@lru_cache(maxsize=65536)
def slugify(text: str, fallback_seed: str = "") -> str:
    """A stable, readable path segment for ``text``.

    NFKC (folds presentation forms) -> lower-case -> no tashkeel, tatweel or invisible format
    characters, except ZWNJ, which Persian spelling needs (kept, never doubled or at the ends) ->
    runs of white space, punctuation and path-syntax characters become one ``-`` -> at most
    120 UTF-8 bytes, cut on a character boundary. An empty result (or ``.``/``..``) becomes
    ``a-<8 hex digits of a hash>`` so that every article and tag has a usable, stable URL.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = ARABIC_MARKS.sub("", text)
    text = "".join(
        ch for ch in text if ch == "\u200c" or unicodedata.category(ch) not in ("Cf", "Cc", "Cs", "Co", "Cn")
    )
    text = _UNSAFE.sub("-", text)
    # A run of hyphens and ZWNJs is one hyphen (a word break) or, without a hyphen, one ZWNJ.
    text = re.sub("[-\u200c]+", lambda m: "-" if "-" in m.group(0) else "\u200c", text)
    text = text.strip("-\u200c")
    encoded = text.encode("utf-8")
    if len(encoded) > MAX_SLUG_BYTES:
        text = encoded[:MAX_SLUG_BYTES].decode("utf-8", "ignore")
        if "-" in text[len(text) // 2 :]:
            text = text.rsplit("-", 1)[0]
        text = text.strip("-\u200c")
    if _DEVICE.match(text):
        text += "-"
    if not text or set(text) <= {"."}:
        digest = hashlib.sha256((fallback_seed or "empty").encode("utf-8")).hexdigest()[:8]
        text = f"a-{digest}"
    return text


_URL_SAFE = "/:@-._~!$&'()*+,;=%"


_PLAIN_ASCII = re.compile(r"[A-Za-z0-9/:@\-._~!$&'()*+,;=%]*")


@lru_cache(maxsize=65536)
def iri(path: str) -> str:
    """A link as an IRI: letters of any script stay readable (``/ar/tags/كازاخستان/``);
    ASCII that is not URL-safe and invisible format characters (e.g. ZWNJ) are percent-encoded."""
    if _PLAIN_ASCII.fullmatch(path):
        return path
    return "".join(
        ch
        if (ord(ch) > 127 and unicodedata.category(ch) != "Cf") or ch in _URL_SAFE or ch.isalnum()
        else quote(ch, safe="")
        for ch in path
    )


_NOT_URL_SAFE = re.compile(rb"[^A-Za-z0-9/:@\-._~!$&'()*+,;=%]+")


def percent_encoded(text: str) -> str:
    """``quote(iri(text), safe=_URL_SAFE)`` (what ``absolute`` is: an IRI as a URI, RFC 3987),
    made in one pass over the UTF-8 bytes with one replacement per run of bytes to encode
    (``quote`` looks up every byte in Python: a 100,000-story sitemap asked it 270,000
    times). ``tests/test_urls.py`` checks the two agree on any text."""
    return _NOT_URL_SAFE.sub(_encode_run, text.encode("utf-8")).decode("ascii")


def _encode_run(match: re.Match) -> bytes:
    return b"%" + match.group().hex("%").upper().encode("ascii")


def _folder(path: str) -> str:
    return path[: -len("index.html")] if path.endswith("index.html") else path


class Urls:
    """Output paths for one site configuration (pure; no I/O)."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self.base_path = config.base_path
        self.base_url = config.base_url
        self.origin = config.base_url[: len(config.base_url) - len(config.base_path)]
        # Links already made (a page links to the same few dozen paths as its neighbours);
        # emptied when large, so 100,000 articles do not keep every link in memory.
        self._links: dict[tuple[str, bool], str] = {}
        self._segments: dict[str, str] = {}

    def lang_prefix(self, lang: str) -> str:
        if lang == self.config.default_language and self.config.default_language_at_root:
            return ""
        return f"{lang}/"

    # Paths relative to the output folder, always ending in a file name.
    def home(self, lang: str, page: int = 1) -> str:
        return f"{self.lang_prefix(lang)}{self._page(page)}index.html"

    def article(self, lang: str, slug: str) -> str:
        return f"{self.lang_prefix(lang)}articles/{slug}/index.html"

    def _segment(self, taxonomy: str) -> str:
        segment = self._segments.get(taxonomy)
        if segment is None:
            try:
                segment = self.config.taxonomy(taxonomy).segment
            except KeyError:
                segment = taxonomy
            self._segments[taxonomy] = segment
        return segment

    def term(self, lang: str, taxonomy: str, slug: str, page: int = 1) -> str:
        return f"{self.lang_prefix(lang)}{self._segment(taxonomy)}/{slug}/{self._page(page)}index.html"

    def term_index(self, lang: str, taxonomy: str) -> str:
        return f"{self.lang_prefix(lang)}{self._segment(taxonomy)}/index.html"

    def term_feed(self, lang: str, taxonomy: str, slug: str) -> str:
        return f"{self.lang_prefix(lang)}{self._segment(taxonomy)}/{slug}/feed.xml"

    def archive_index(self, lang: str) -> str:
        return f"{self.lang_prefix(lang)}archive/index.html"

    def archive_month(self, lang: str, calendar: str, year: int, month: int, page: int = 1) -> str:
        part = {
            "gregorian": "",
            "islamic-umalqura": "hijri/",
            "islamic-civil": "hijri-civil/",
            "persian": "shamsi/",
        }[calendar]
        return f"{self.lang_prefix(lang)}archive/{part}{year:04d}/{month:02d}/{self._page(page)}index.html"

    def feed(self, lang: str) -> str:
        return f"{self.lang_prefix(lang)}feed.xml"

    def rss(self, lang: str) -> str:
        return f"{self.lang_prefix(lang)}rss.xml"

    def not_found(self, lang: str) -> str:
        return f"{self.lang_prefix(lang)}404.html"

    def search(self, lang: str) -> str:
        return f"{self.lang_prefix(lang)}search/index.html"

    @staticmethod
    def _page(page: int) -> str:
        return "" if page <= 1 else f"page/{page}/"

    # Links
    def href(self, path: str) -> str:
        """Link to an output path under the base path; ``index.html`` is dropped."""
        link = self._links.get((path, False))
        if link is None:
            link = self._remember(path, False, iri(self.base_path + _folder(path)))
        return link

    def absolute(self, path: str) -> str:
        """Absolute URL, percent-encoded as RFC 3986 asks (feeds, sitemaps, canonical links)."""
        link = self._links.get((path, True))
        if link is None:
            link = self._remember(path, True, self.origin + percent_encoded(self.base_path + _folder(path)))
        return link

    def _remember(self, path: str, absolute: bool, link: str) -> str:
        if len(self._links) >= 20_000:
            self._links.clear()
        self._links[(path, absolute)] = link
        return link

    def static(self, name: str) -> str:
        return self.href(f"static/{name}")
