"""Static search index, one per language, queried in the page by ``static/js/search.js``.

Why our own index and not Pagefind: see README, "Search". In short: Arabic readers type the
same word with or without hamza (الأمن/الامن), with ة or ه, with ى or ي, and glued to clitics
(بكازاخستان, وللأمن). We normalise with ``textnorm.match_key`` (the same keys as tags) plus
accent folding, and index every clitic analysis of a word, so a query in any of these spellings
finds the article. The browser applies the same normalisation: the folding table is exported
from Python into ``meta.json``, so there is one source of truth.

Layout under ``<lang>/search/index/``:

- ``meta.json``: format version, language, whether Arabic clitics apply, the fold table and the
  code point ranges keys leave out (diacritics, tatweel, bidi and invisible characters: one
  home, ``textnorm``), the
  document chunk size and the list of token shards that exist;
- ``t-<hex>.json``: ``{key: [doc, weight, ...]}`` shards, cut from the trie of keys so that
  each stays near ``SHARD_LIMIT`` numbers (``t-all.json`` alone for a small site); ``meta.json``
  lists every shard's prefix, so the browser loads only shards that can hold a query's words;
- ``d-<n>.json``: documents ``[title, href, ISO date, snippet, date line]`` in chunks of
  ``CHUNK`` (the date line is the pages' own: every calendar, the language's digits).

A query loads ``meta.json``, one small shard per query word and the chunks holding the hits,
so a 10,000-article site never sends its whole index to a reader.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
from collections import Counter, defaultdict
from typing import Iterable, Iterator

from .calendars import language_dates
from .config import LanguageConfig, SiteConfig
from .model import Article, Site
from .textnorm import _DIGITS, _LETTER_FOLD, match_key, search_ignored_ranges
from .urls import Urls

FORMAT = 3
CHUNK = 200
SNIPPET = 180
MIN_TOKEN = 2
SHARD_LIMIT = 24_000
"""Numbers per shard before it is split by the next letter (about 100-150 kB of JSON)."""
MAX_DEPTH = 6
MAX_WEIGHT = 255
_TOKEN = re.compile(r"[^\W_]+")


@functools.cache
def _marks() -> re.Pattern:
    """Non-spacing marks (accents, harakat, hamza above/below after NFD), BMP and SMP: made
    when first needed (a character class of 1,700 code points takes a build 25 ms to make,
    and only the search index uses it)."""
    return re.compile(
        "["
        + "".join(
            re.escape(chr(cp))
            for cp in range(0x300, 0x20000)
            if unicodedata.category(chr(cp)) == "Mn" and not 0xD800 <= cp <= 0xDFFF
        )
        + "]"
    )


def search_key(text: str) -> str:
    """``match_key`` plus accent folding (é -> e, ß -> ss): the form tokens are compared in."""
    text = unicodedata.normalize("NFD", match_key(text))
    text = _marks().sub("", text).replace("ß", "ss").replace("ς", "σ")
    return unicodedata.normalize("NFC", text)


def tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(search_key(text)) if len(t) >= MIN_TOKEN]


def clitic_forms(token: str) -> set[str]:
    """Every reading of an Arabic word with its proclitics removed, the word itself included.

    Layers, each optional, in this order: conjunction و/ف, then preposition ب/ل/ك, then the
    article ال (and لل = ل + ال). A stem keeps at least three letters, so short words stay
    whole. Over-generation is harmless: a query's forms must meet a document's forms.
    """
    forms = {token}
    conj = [token] + ([token[1:]] if token[0] in "وف" and len(token) > 3 else [])
    for word in conj:
        forms.add(word)
        if word.startswith("لل") and len(word) > 4:
            forms.add(word[2:])
        preps = [word] + ([word[1:]] if word[0] in "بلك" and len(word) > 3 else [])
        for stem in preps:
            forms.add(stem)
            if stem.startswith("ال") and len(stem) > 4:
                forms.add(stem[2:])
    return forms


def shard_name(prefix: str, terminal: bool) -> str:
    """File stem of a shard: code points of its prefix (``all`` for the root)."""
    name = "-".join(f"{ord(ch):04x}" for ch in prefix) or "all"
    return name + "-end" if terminal else name


def plan_shards(sizes: dict[str, int], limit: int = SHARD_LIMIT) -> dict[tuple[str, bool], list[str]]:
    """Cut the key trie into shards of at most about ``limit`` numbers.

    A shard ``(prefix, False)`` holds every key starting with ``prefix`` that no deeper shard
    holds; ``(prefix, True)`` holds only the key equal to ``prefix`` (its node was split).
    A small site gets one shard (``("", False)``); frequent first letters get split deeper.
    """
    shards: dict[tuple[str, bool], list[str]] = {}
    stack = [("", sorted(sizes))]
    while stack:
        prefix, keys = stack.pop()
        depth = len(prefix)
        if sum(sizes[k] for k in keys) <= limit or depth >= MAX_DEPTH:
            shards[(prefix, False)] = keys
            continue
        children: dict[str, list[str]] = defaultdict(list)
        for key in keys:
            if len(key) == depth:
                shards[(prefix, True)] = [key]
            else:
                children[key[depth]].append(key)
        stack.extend((prefix + ch, sub) for ch, sub in children.items())
    return shards


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= SNIPPET:
        return text
    cut = text[:SNIPPET].rsplit(" ", 1)[0]
    return cut + "…"


def _article_weights(article: Article, clitics: bool, cache: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Key -> weight for one article: title words count 8, tags 4, body words 1 each (max 8).

    Text is split on white space first and each distinct chunk is normalised once per build
    (``cache``): a site's vocabulary is far smaller than its text, so normalisation costs
    per distinct word, not per word read.
    """
    weights: dict[str, int] = defaultdict(int)
    fields = (
        (article.title, 8, 1),
        (" ".join(t.name for t in article.tags), 4, 1),
        (" ".join((article.summary,) + tuple(article.record.paragraphs)), 1, 8),
    )
    for text, weight, cap in fields:
        for chunk, n in Counter(text.split()).items():
            forms = cache.get(chunk)
            if forms is None:
                found: set[str] = set()
                for token in tokens(chunk):
                    found.update(clitic_forms(token) if clitics else (token,))
                forms = cache[chunk] = tuple(sorted(found))
            add = weight * (n if n < cap else cap)
            for form in forms:
                weights[form] += add
    return weights


def weights_key(article: Article, clitics: bool) -> tuple:
    """What an article's weights depend on: its record (title, lead, body), its tags' names
    and whether clitics are read (``pagekeys.record_key``)."""
    from .pagekeys import record_key

    return (record_key(article.record), tuple(t.name for t in article.tags), clitics)


def fold_table() -> dict[str, str]:
    """The letter and digit folding of ``match_key``, for the browser."""
    table = {}
    for source in (_LETTER_FOLD, _DIGITS):
        table.update({chr(k): chr(v) if isinstance(v, int) else v for k, v in source.items()})
    return dict(sorted(table.items()))


def _dump(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def index_dir(urls: Urls, lang: str) -> str:
    """Output folder of a language's index (relative, ending in ``/``)."""
    return urls.search(lang)[: -len("index.html")] + "index/"


def language_index(
    lang: str,
    articles: Iterable[Article],
    urls: Urls,
    config: LanguageConfig | None = None,
    memo: dict | None = None,
) -> Iterator[tuple[str, bytes]]:
    """``config``: the language's settings, for the date line each result shows as the pages
    show it (all its calendars, its digits and month names) and the clitics its words are read
    with (``search_clitics``); without it, no date line and no clitics. ``memo``: each
    article's weights from an earlier build, by ``weights_key`` (new ones are added to it);
    reading every story's words again is most of the index's cost."""
    clitics = config is not None and config.search_clitics == "arabic"
    cache: dict[str, tuple[str, ...]] = {}
    postings: dict[str, list[int]] = defaultdict(list)
    docs = []
    for doc, article in enumerate(articles):
        docs.append(
            [
                article.title,
                urls.href(article.path),
                article.date.isoformat() if article.date else "",
                _snippet(article.summary),
                language_dates(article.date, config) if article.date and config else "",
            ]
        )
        if memo is None:
            weights = _article_weights(article, clitics, cache)
        else:
            mkey = weights_key(article, clitics)
            weights = memo.get(mkey)
            if weights is None:
                weights = memo[mkey] = _article_weights(article, clitics, cache)
        for key, weight in weights.items():
            postings[key].extend((doc, weight if weight < MAX_WEIGHT else MAX_WEIGHT))
    plan = plan_shards({key: len(plist) + 2 for key, plist in postings.items()}, SHARD_LIMIT)
    base = index_dir(urls, lang)
    listing = []
    for prefix, terminal in sorted(plan):
        listing.append([prefix, 1 if terminal else 0])
        shard = {key: postings[key] for key in plan[(prefix, terminal)]}
        yield f"{base}t-{shard_name(prefix, terminal)}.json", _dump(shard)
    for n, start in enumerate(range(0, len(docs), CHUNK)):
        yield f"{base}d-{n}.json", _dump(docs[start : start + CHUNK])
    meta = {
        "format": FORMAT,
        "lang": lang,
        "clitics": clitics,
        "fold": fold_table(),
        "ignore": search_ignored_ranges(),
        "chunk": CHUNK,
        "count": len(docs),
        "shards": listing,
        "min": MIN_TOKEN,
    }
    yield f"{base}meta.json", _dump(meta)


def search_outputs(
    site: Site, config: SiteConfig, languages: tuple[str, ...] | None = None, memo_dir=None
) -> Iterator[tuple[str, bytes]]:
    """``memo_dir``: a folder of the build cache where each language's article weights are
    kept between builds (``search-<digest of the language code>.pickle``, for this code only;
    when it is written, only this build's articles are kept)."""
    from .cache import Memo, code_fingerprint

    urls = Urls(config)
    for lcfg in config.languages:
        if languages is not None and lcfg.code not in languages:
            continue
        memo = None
        if memo_dir is not None:
            name = f"search-{hashlib.sha256(lcfg.code.encode()).hexdigest()[:16]}.pickle"
            memo = Memo(memo_dir / name, code_fingerprint())
        yield from language_index(
            lcfg.code, site.articles[lcfg.code], urls, lcfg, memo.entries if memo else None
        )
        if memo is not None:
            clitics = lcfg.search_clitics == "arabic"
            memo.save(keep={weights_key(a, clitics) for a in site.articles[lcfg.code]})
