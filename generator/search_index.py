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
- ``r-<hex>.json``: the same for the newest documents, those after the last multiple of
  ``RECENT`` (``_cut``; none on a site of fewer stories), in smaller shards: a new story's
  words change these and leave the big ``t-`` shards as they are until the cut moves on;
- ``d-<n>.json``: documents ``[title, href, ISO date, snippet, date line]`` in chunks of
  ``CHUNK`` (the date line is the pages' own: every calendar, the language's digits),
  numbered oldest first, so that a new story is the next number and every other keeps its
  own: a build makes again only the shards holding a word of a story that changed and the
  chunk holding its line (``_Index``).

A query loads ``meta.json``, one small shard per query word (and one ``r-`` shard) and the
chunks holding the hits, so a 10,000-article site never sends its whole index to a reader.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
from collections import Counter, defaultdict
from functools import partial
from typing import Callable

from .calendars import language_dates
from .config import LanguageConfig, SiteConfig
from .model import Article, Site
from .textnorm import _DIGITS, _LETTER_FOLD, match_key, search_ignored_ranges
from .urls import Urls

FORMAT = 5
CHUNK = 200
SNIPPET = 180
MIN_TOKEN = 2
SHARD_LIMIT = 24_000
"""Numbers per shard before it is split by the next letter (about 100-150 kB of JSON)."""
RECENT = 256
"""The index is cut after the last multiple of this many documents (``_cut``): ``t-`` shards
hold the documents before the cut, ``r-`` shards the newest ones after it (fewer than this),
so that publishing a story makes again the few small ``r-`` shards holding its words, not
every big shard that does (at 100,000 stories, 50 MB of JSON a publish); the big ones are
made again when the cut moves, one publish in this many. A site of fewer stories has no cut."""
RECENT_SHARD_LIMIT = SHARD_LIMIT // 8
"""Numbers per ``r-`` shard: a query loads one more shard per word, a small one."""
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


def _docs(articles, urls: Urls, config: LanguageConfig | None) -> list:
    """The result lines of ``articles``: [title, href, ISO date, snippet, date line]."""
    return [
        [
            article.title,
            urls.href(article.path),
            article.date.isoformat() if article.date else "",
            _snippet(article.summary),
            language_dates(article.date, config) if article.date and config else "",
        ]
        for article in articles
    ]


class _Index:
    """One language's inverted index, kept between builds (in the build cache:
    ``search_files``) and patched for what changed: documents are numbered oldest first, so a new story is the next number and
    a deleted newest story the last one, and a corrected story keeps its number; only the
    stories from the first whose place changed onwards (a re-dated or deleted older story)
    are taken out and put back. A story's words are read again only when what they depend
    on (``_weights_digest``) is new. Everything is kept as bytes (``array`` buffers): a memo of
    half a million postings loads and saves in milliseconds."""

    def __init__(self, clitics: bool) -> None:
        self.clitics = clitics
        self.vocab: list[str] = []
        self.docs: list[tuple[str, str]] = []  # per number: (article path, ``_weights_digest``)
        self.terms: list[bytes] = []  # per number: its keys (vocabulary numbers, array "I")
        self.weights: list[bytes] = []  # per number: each key's weight (one byte each)
        self.postings: list[bytes] = []  # per key: number, weight, number, weight ... (array "I")
        self.files: dict[str, bytes] = {}  # output path -> digest of the bytes last made
        self.shards: dict[str, bytes] = {}  # shard path -> digest of the keys it held
        self.config = ""
        self.cut = -1  # the cut (``_cut``) the files were last made with
        self.changed: set[int] = set()  # chunks of result lines the last update changed
        self.unchanged = False  # the last ``language_files`` changed nothing worth keeping

    def update(self, articles, weights_of) -> dict[int, bytes]:
        """Make the index hold ``articles`` (newest first); ``weights_of(article)`` gives a
        story's weights when its weights digest is new. Returns the keys whose postings changed,
        each with its postings before (none after a compaction: every file is made again)."""
        from array import array

        new = [(a.path, _weights_digest(a, self.clitics)) for a in reversed(articles)]
        old = self.docs
        same = 0
        limit = min(len(old), len(new))
        while same < limit and old[same][0] == new[same][0]:
            same += 1
        ids = {word: n for n, word in enumerate(self.vocab)}
        lists: dict[int, array] = {}

        def posting(v: int) -> array:
            found = lists.get(v)
            if found is None:
                found = lists[v] = array("I", self.postings[v])
            return found

        by_digest = {digest: n for n, (_, digest) in enumerate(old)}
        terms_of, weights_of_doc = self.terms, self.weights

        def contribution(n: int) -> tuple[bytes, bytes]:
            """(keys, weights) of new document ``n``: kept from the old index, or read now."""
            kept = by_digest.get(new[n][1])
            if kept is not None:
                return terms_of[kept], weights_of_doc[kept]
            article = articles[len(new) - 1 - n]
            keys, values = array("I"), bytearray()
            for word, weight in sorted(weights_of(article).items()):
                v = ids.get(word)
                if v is None:
                    v = ids[word] = len(self.vocab)
                    self.vocab.append(word)
                    self.postings.append(b"")
                keys.append(v)
                values.append(weight if weight < MAX_WEIGHT else MAX_WEIGHT)
            return keys.tobytes(), bytes(values)

        made = {n: contribution(n) for n in range(len(new)) if n >= same or old[n][1] != new[n][1]}
        # Out: every old document from ``same`` on (the tail of every posting list), then the
        # old versions of documents changed in place.
        for n in range(same, len(old)):
            for v in array("I", terms_of[n]):
                plist = posting(v)
                end = len(plist)
                while end and plist[end - 2] >= same:
                    end -= 2
                del plist[end:]
        changed = [n for n in made if n < same]
        for n in changed:
            for v in array("I", terms_of[n]):
                plist = posting(v)
                at = _find(plist, n)
                if at >= len(plist) or plist[at] != n:
                    raise _Inconsistent(self.vocab[v])
                del plist[at : at + 2]
        # In: the new versions of documents changed in place, then the new tail, in order.
        for n in changed:
            keys, values = made[n]
            for v, weight in zip(array("I", keys), values):
                plist = posting(v)
                at = _find(plist, n)
                plist[at:at] = array("I", (n, weight))
        for n in range(same, len(new)):
            keys, values = made[n]
            for v, weight in zip(array("I", keys), values):
                posting(v).extend((n, weight))
        terms = self.terms[: len(new)] + [b""] * (len(new) - len(self.terms))
        weights = self.weights[: len(new)] + [b""] * (len(new) - len(self.weights))
        for n, (keys, values) in made.items():
            terms[n], weights[n] = keys, values
        self.terms, self.weights, self.docs = terms, weights, new
        self.changed = {n // CHUNK for n in made} | {n // CHUNK for n in range(same, len(old))}
        before: dict[int, bytes] = {}
        for v, plist in lists.items():
            data = plist.tobytes()
            if data != self.postings[v]:  # (a story read again may give a word what it had)
                before[v] = self.postings[v]
                self.postings[v] = data
        if len(self.vocab) > 2 * sum(1 for p in self.postings if p) + 1000:
            self._compact()
            return {}
        return before

    def _compact(self) -> None:
        """Drop the words no story has any more (and renumber the others)."""
        from array import array

        live = [v for v, plist in enumerate(self.postings) if plist]
        renumber = {v: n for n, v in enumerate(live)}
        self.vocab = [self.vocab[v] for v in live]
        self.postings = [self.postings[v] for v in live]
        self.terms = [array("I", (renumber[v] for v in array("I", t))).tobytes() for t in self.terms]
        self.files, self.shards, self.cut = {}, {}, -1

    def words(self) -> dict[str, int]:
        """Key -> vocabulary number, for the keys some story has."""
        return {word: v for v, word in enumerate(self.vocab) if self.postings[v]}


class _Inconsistent(Exception):
    """A kept index that does not hold what it says (made again from the stories)."""


def _find(plist, n: int) -> int:
    """Where document ``n`` is (or goes) in a posting list (pairs, ordered by number)."""
    lo, hi = 0, len(plist) // 2
    while lo < hi:
        mid = (lo + hi) // 2
        if plist[2 * mid] < n:
            lo = mid + 1
        else:
            hi = mid
    return 2 * lo


def _cut(count: int) -> int:
    """The first document after the cut (``RECENT``): none of a site of fewer stories."""
    return count if count < RECENT else count - count % RECENT


def _split(postings: bytes, cut: int) -> int:
    """Where in ``postings`` (bytes of pairs of numbers) the documents from ``cut`` on begin."""
    from array import array

    return 4 * _find(array("I", postings), cut)


def _weights_digest(article: Article, clitics: bool) -> str:
    """What a story's weights depend on, as one string made without digesting (every story's,
    each build): its record's fingerprint (a fixed-length digest of title, lead and body:
    ``pagekeys.fingerprint_of``), whether clitics are read, and its tags' names, each after
    its length."""
    record = article.record
    fingerprint = record.fingerprint
    if not fingerprint:
        from .pagekeys import fingerprint_of

        fingerprint = fingerprint_of(record).hex()
    parts = [fingerprint, "+" if clitics else "-"]
    for tag in article.tags:
        parts.append(f"{len(tag.name)}:{tag.name}")
    return "".join(parts)


def _content_key(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def language_files(
    lang: str,
    articles: tuple[Article, ...],
    urls: Urls,
    config: LanguageConfig | None = None,
    memo: dict | None = None,
    *,
    settings: str = "",
) -> list[tuple[str, bytes, Callable[[], bytes]]]:
    """A language's index files as (output path, key, maker of the bytes); a file's key is
    the digest of its bytes. ``config``: the language's settings, for the date line each
    result shows as the pages show it (all its calendars, its digits and month names) and the
    clitics its words are read with (``search_clitics``); without it, no date line and no
    clitics. ``memo``: a dict the index is kept in between builds (``_Index``): only the
    files whose content changed are made, the others are given with the key they were made
    with (made only if asked for); ``settings`` names what the result lines depend on
    besides the stories (the site's configuration)."""
    clitics = config is not None and config.search_clitics == "arabic"
    index = memo.get("index") if memo is not None else None
    if not isinstance(index, _Index) or index.clitics != clitics:
        index = _Index(clitics)
    if index.config != settings:
        index.files, index.shards, index.config, index.cut = {}, {}, settings, -1
    before = (index.docs, len(index.vocab), index.files, index.shards, index.cut)
    words: dict[str, tuple[str, ...]] = {}
    weights_of = partial(_article_weights, clitics=clitics, cache=words)
    try:
        touched = index.update(articles, weights_of)
    except _Inconsistent:  # made again from the stories
        index = _Index(clitics)
        index.config = settings
        touched = index.update(articles, weights_of)
    if memo is not None:
        memo["index"] = index
    files = _files(index, touched, lang, articles, urls, config, index_dir(urls, lang))
    # Nothing new to keep: the same stories with the same weights, the same files.
    index.unchanged = before == (index.docs, len(index.vocab), index.files, index.shards, index.cut)
    return files


def _made_from(
    index: _Index, shards: dict, recent: dict, cut: int, lang: str, articles, urls: Urls, config, base: str
) -> Callable[[str], bytes]:
    """Maker of any one file of the index as it now is."""
    from array import array

    named = {
        f"{base}{kind}-{shard_name(prefix, terminal)}.json": (keys, kind == "r")
        for kind, plan in (("t", shards), ("r", recent))
        for (prefix, terminal), keys in plan.items()
    }

    def make(rel: str) -> bytes:
        found = named.get(rel)
        if found is not None:
            keys, after = found
            lists = {}
            for v in keys:
                postings = array("I", index.postings[v])
                at = _find(postings, cut)
                lists[index.vocab[v]] = (postings[at:] if after else postings[:at]).tolist()
            return _dump(lists)
        name = rel[len(base) :]
        if name == "meta.json":
            return _meta(index, shards, recent, lang)
        return _chunk(int(name[2:-5]), articles, urls, config)  # d-<n>.json

    return make


def _plan(index: _Index, cut: int) -> tuple[dict, dict]:
    """The shards (prefix, terminal) -> keys of the documents before the cut (every key with
    postings there: one shard of none for an empty index) and of those after it."""
    from array import array

    words = index.words()
    after = set()
    for n in range(cut, len(index.docs)):
        after.update(array("I", index.terms[n]))
    before_sizes, after_sizes = {}, {}
    for word, v in words.items():
        size = len(index.postings[v]) // 4
        if v in after:
            at = _split(index.postings[v], cut) // 4
            if at:
                before_sizes[word] = at + 2
            after_sizes[word] = size - at + 2
        else:
            before_sizes[word] = size + 2
    shards = plan_shards(before_sizes, SHARD_LIMIT)  # (one shard of none for an empty index)
    recent = plan_shards(after_sizes, RECENT_SHARD_LIMIT) if after_sizes else {}
    return tuple(
        {shard: [words[word] for word in keys] for shard, keys in sorted(plan.items())}
        for plan in (shards, recent)
    )


def _chunk(n: int, articles, urls: Urls, config) -> bytes:
    """Result lines ``n * CHUNK`` to ``(n + 1) * CHUNK - 1`` (documents number oldest first)."""
    count = len(articles)
    start, stop = n * CHUNK, min(count, (n + 1) * CHUNK)
    return _dump(_docs((articles[count - 1 - d] for d in range(start, stop)), urls, config))


def _meta(index: _Index, shards: dict, recent: dict, lang: str) -> bytes:
    return _dump(
        {
            "format": FORMAT,
            "lang": lang,
            "clitics": index.clitics,
            "fold": fold_table(),
            "ignore": search_ignored_ranges(),
            "chunk": CHUNK,
            "count": len(index.docs),
            "shards": [[prefix, 1 if terminal else 0] for prefix, terminal in shards],
            "recent": [[prefix, 1 if terminal else 0] for prefix, terminal in recent],
            "min": MIN_TOKEN,
        }
    )


def _files(
    index: _Index, touched: dict[int, bytes], lang: str, articles, urls: Urls, config, base: str
) -> list:
    """Every file of the index: made now when its content may have changed (a shard with
    a key whose postings on its side of the cut changed, or with other keys than before; a
    chunk with a result line that changed; everything when the cut moved), else given with
    the key it was made with."""
    from array import array

    cut = _cut(len(index.docs))
    shards, recent = _plan(index, cut)
    moved = cut != index.cut
    changed_before, changed_after = set(), set()
    if not moved:
        for v, old in touched.items():
            new = index.postings[v]
            at_old, at_new = _split(old, cut), _split(new, cut)
            if old[:at_old] != new[:at_new]:
                changed_before.add(v)
            if old[at_old:] != new[at_new:]:
                changed_after.add(v)
    kept, files, listed = index.files, {}, {}
    out = []
    made = _made_from(index, shards, recent, cut, lang, articles, urls, config, base)

    def add(rel: str, fresh: bool) -> None:
        key = kept.get(rel)
        if fresh or key is None:
            data = made(rel)
            key = _content_key(data)
            out.append((rel, key, partial(_same, data)))
        else:
            out.append((rel, key, partial(made, rel)))
        files[rel] = key

    for kind, plan, changed in (("t", shards, changed_before), ("r", recent, changed_after)):
        for (prefix, terminal), keys in plan.items():
            rel = f"{base}{kind}-{shard_name(prefix, terminal)}.json"
            listed[rel] = _content_key(array("I", keys).tobytes())
            add(rel, moved or index.shards.get(rel) != listed[rel] or not changed.isdisjoint(keys))
    for n in range(-(-len(index.docs) // CHUNK)):
        add(f"{base}d-{n}.json", n in index.changed)
    add(f"{base}meta.json", True)
    index.files, index.shards, index.cut = files, listed, cut
    return out


def _same(data: bytes) -> bytes:
    return data


SCRIPT = "js/search.js"
"""The browser's side of the index, in the theme's static files: it declares the index format
it reads (``var FORMAT = <n>;``)."""


def script_notices(config: SiteConfig) -> list:
    """A warning when the search script the site publishes (the first ``js/search.js`` of its
    theme layers: a site's own copy wins over the theme's) reads another index format than
    this build writes: it would miss what the format added (the newest stories' shards)."""
    from .changes import winning_static
    from .diagnostics import Diagnostic

    script = winning_static(config, SCRIPT) if config.search else None
    if script is None:
        return []
    try:
        text = script.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    if re.search(rf"\bFORMAT\s*=\s*{FORMAT}\b", text):
        return []
    where = script.relative_to(config.root).as_posix() if script.is_relative_to(config.root) else str(script)
    return [
        Diagnostic(
            where,
            f"this search script does not read the search index this version writes (format "
            f"{FORMAT}: the newest stories have shards of their own); copy static/{SCRIPT} "
            "from Sahifa's theme again (and make your changes to it again)",
        )
    ]


def search_files(
    site: Site, config: SiteConfig, lang: str, memo_dir=None
) -> list[tuple[str, bytes, Callable[[], bytes]]]:
    """One language's index files as (output path, key, maker): ``language_files``.
    ``memo_dir``: a folder of the build cache where each language's index is kept between
    builds (``search-index-<digest of the language code>.pickle``, for this code only)."""
    from .cache import Memo, code_fingerprint

    lcfg = config.language(lang)
    memo = None
    if memo_dir is not None:
        name = hashlib.sha256(lang.encode()).hexdigest()[:16]
        memo = Memo(memo_dir / f"search-index-{name}.pickle", code_fingerprint())
        try:
            (memo_dir / f"search-{name}.pickle").unlink(missing_ok=True)  # older versions' weights
        except OSError:
            pass
    settings = hashlib.sha256(repr(config).encode("utf-8", "surrogatepass")).hexdigest()
    files = language_files(
        lang,
        site.articles[lang],
        Urls(config),
        lcfg,
        memo.entries if memo is not None else None,
        settings=settings,
    )
    if memo is not None and not (memo.loaded and memo.entries["index"].unchanged):
        memo.save(force=True)
    return files
