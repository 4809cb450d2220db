"""Page keys: a digest of everything one page shows, made without rendering it.

An incremental build renders a page only when its key differs from the key the last build
recorded for that path (``BuildState.pages``); otherwise the output folder's file is right
as it is. A key covers:

- the build's rendering environment (``environment_key``): code and library versions, the
  configuration as parsed, the day, templates, static files and catalogues. When it changes,
  every page is rendered (``BuildState.environment``);
- the page's own declaration: path, kind, template, language, and the language's header
  sections (``nav_terms``, shown on every page of a language);
- what the page's view holds, walked field by field (``PageKeys.view_key``): every article
  stands for its ``article_key`` (its record, placement, terms and images), every term for
  its ``term_key`` (names, slug, identity, and which stories it files, in order);
- for article pages, whose views are made by the render workers: the article, its
  translations, its related stories and its neighbours, as ``ArticleView`` shows them
  (``metadata.article_context``).

Most list pages (term pages, months, the home's later pages) also have an inputs key
(``PageKeys.inputs_key``): what their view is made from, declared by the planner. When it is
the last build's, the page keeps the last build's key without its view being made at all:
with 10,000 stories, one new story changes the inputs of a few hundred of 12,000 list pages.
``VERIFY`` (set by the property tests) makes the full key anyway and checks that it agrees.

What a template can reach beyond the view is the configuration (in the environment key), an
article's record and terms (in its key) and a term's stories (their paths and order are in
the term's key; their text is not: a template showing a term's stories must get them through
the view, as the list pages do).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from functools import partial
from typing import Any

from .calendars import archive_key
from .config import LanguageConfig, SiteConfig, TaxonomyConfig
from .digests import value_digest as _hash
from .model import PACKED_SLOTS, Article, ArticleRecord, Term, stored_body
from .pages import PageKind, PagePlanner, PageSpec
from .profiles import profile_of

_PLAIN = frozenset((str, int, float, bool, type(None), bytes))


def record_key(record: ArticleRecord) -> bytes:
    """The record's ``fingerprint`` if it has one, else ``fingerprint_of`` it."""
    return bytes.fromhex(record.fingerprint) if record.fingerprint else fingerprint_of(record)


def fingerprint_of(record: ArticleRecord) -> bytes:
    """Every field of the record, the bodies as stored (compressed: not unpacked here)."""
    h = hashlib.blake2b(digest_size=16)
    for name, value in sorted(record.__dict__.items()):
        if name == "fingerprint":
            continue
        h.update(name.encode() + b"\0")
        if type(value) is tuple and name in PACKED_SLOTS:
            value = stored_body(value)
        h.update(value if isinstance(value, bytes) else repr(value).encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.digest()


def environment_key(config: SiteConfig, today: dt.date) -> str:
    """What every page depends on besides the model: code, libraries, configuration (as
    parsed, overrides and profile names included), the day, and the template, static and
    catalogue folders (by stat signature, as the build's fingerprint reads them)."""
    from .cache import _scan, code_fingerprint

    h = hashlib.sha256(code_fingerprint().encode())
    h.update(repr(config).encode("utf-8", "surrogatepass"))
    h.update(today.isoformat().encode())
    for folder in (*config.template_dirs, *config.static_dirs, *config.locale_dirs):
        entries: list = []
        _scan(str(folder), "", entries) if folder.is_dir() else entries.append("absent")
        h.update(repr((str(folder), entries)).encode("utf-8", "surrogateescape"))
    return h.hexdigest()


class ArticleKeys:
    """Stories' keys (each digested once) and the keys of files that show stories in order,
    without the page plan: a build digests every story in a process of its own while it
    plans the pages (``pipeline._head_start``), and its page workers ``adopt`` the digests."""

    def __init__(self, pictures) -> None:
        self.pictures = pictures
        self._articles: dict[int, bytes] = {}

    def article_key(self, article: Article) -> bytes:
        found = self._articles.get(id(article))
        if found is None:
            pictures = self.pictures
            found = self._articles[id(article)] = _hash(
                (
                    record_key(article.record),
                    article.slug,
                    article.path,
                    article.translation_group,
                    article.former_paths,
                    tuple(
                        (name, tuple((r.key, r.name, r.slug, r.lang, r.taxonomy) for r in refs))
                        for name, refs in article.terms.items()
                    ),
                    repr(pictures._lead.get(article.path)),
                    repr(
                        tuple(
                            (src, repr(pictures.processed.get(rel)))
                            for src, rel in pictures._body.get(article.path, {}).items()
                        )
                    ),
                )
            )
        return found

    def adopt(self, articles, digests) -> None:
        """Take ``articles``' keys, made elsewhere (``digests``, in the same order, by an
        ``ArticleKeys`` of this build's model and images); None: make them when asked."""
        if digests is not None and len(digests) == len(articles):
            self._articles.update(zip(map(id, articles), digests))

    @staticmethod
    def digest(value: Any) -> bytes:
        """The key of any value made of plain values and other keys."""
        return _hash(value)

    def showing(self, head: tuple, articles) -> bytes:
        """The key of a file that shows ``articles`` in this order and nothing else of the
        model but what ``head`` names (a feed, a language's search index)."""
        return _hash((head, tuple(self.article_key(a) for a in articles)))


class PageKeys(ArticleKeys):
    """The keys of one build's pages (articles and terms digested once each)."""

    def __init__(self, planner: PagePlanner) -> None:
        super().__init__(planner.pictures)
        self.planner = planner
        self._terms: dict[int, bytes] = {}
        self._languages = {
            lang.code: _hash(planner.nav_terms(lang.code)) for lang in planner.config.languages
        }

    @property
    def headers(self) -> dict[str, bytes]:
        """Each language's header key (its sections, shown on every page of the language)."""
        return self._languages

    def known_articles(self):
        """The keys of every article of the site (made now if not made yet)."""
        return (self.article_key(a) for articles in self.planner.site.articles.values() for a in articles)

    def term_key(self, term: Term) -> bytes:
        found = self._terms.get(id(term))
        if found is None:
            found = self._terms[id(term)] = _hash((*_term_head(term), tuple(a.path for a in term.articles)))
        return found

    def head(self, spec: PageSpec) -> tuple:
        return (spec.path, spec.kind.label, spec.template, spec.lang, self._languages.get(spec.lang))

    def inputs_key(self, spec: PageSpec) -> bytes | None:
        """A digest of what a lazy view will be made from: its factory's arguments and what the
        factory declares it reads besides them (``PageSpec.inputs``), walked as views are. Two
        builds with one environment that give a page the same inputs key give it the same
        view, so the page's key need not be made (nor its view): the last one holds. None
        for a page that declares nothing (its view must be made to key it)."""
        factory = spec._factory
        if spec.inputs is None or spec._view is not None or not isinstance(factory, partial):
            return None
        parts: list = [factory.func.__name__]
        self._walk(factory.args, parts)
        self._walk(factory.keywords, parts)
        self._walk(spec.inputs(), parts)
        return _hash((self.head(spec), "inputs", parts))

    def key(self, spec: PageSpec) -> bytes:
        head = self.head(spec)
        if spec.kind is PageKind.ARTICLE and spec.article is not None:
            return _hash((head, self._article_inputs(spec.article)))
        view = spec.view
        # The sitemap entry kept with the key needs the page's lastmod, which may come from
        # the text of a story the view names only through a term (a term index).
        return _hash((head, self.view_key(view), repr(view.lastmod())))

    def frame_key(self, spec: PageSpec) -> bytes:
        """The key of a list page's frame (``render.render_frame``): the page's key with its
        ``items`` counted, not named, and its own term without its list of stories (the
        frame's render cannot use either). The pages of a pagination that moved by one story
        keep their frames' keys until the number of pages changes."""
        variables = spec.context
        items = variables.get("items") or ()
        variables["items"] = ("stand-ins", len(items))
        term = variables.get("term")
        if type(term) is Term:
            variables["term"] = ("term", *_term_head(term))
        parts: list = []
        self._walk(variables, parts)
        return _hash((self.head(spec), "frame", parts))

    def _article_inputs(self, article: Article) -> tuple:
        """An article page's inputs, without making its view: what
        ``PagePlanner._article_view`` and ``metadata.article_context`` read."""
        group, linked, older, newer = self.planner.article_links(article)
        return (
            "article",
            self.article_key(article),
            tuple(self.article_key(a) for a in group),
            tuple(self.article_key(a) for a in linked),
            self.article_key(older) if older is not None else None,
            self.article_key(newer) if newer is not None else None,
        )

    def view_key(self, view) -> bytes:
        parts: list = []
        self._walk(view, parts)
        return _hash(parts)

    def _walk(self, value: Any, parts: list) -> None:
        kind = type(value)
        if kind in _PLAIN:
            parts.append(value)
            return
        # The parts are the same as walking every item; plain values and stories met as
        # fields and items are taken here, without a call each (a page has about 30 of them).
        names = _FIELDS.get(kind)
        if names is not None:  # a dataclass met before (views, choices, pagers, pictures)
            parts.append(kind.__name__)
            for name in names:
                item = getattr(value, name)
                if type(item) in _PLAIN:
                    parts.append(item)
                else:
                    self._walk(item, parts)
        elif kind is Article:
            parts.append(self.article_key(value))
        elif kind is Term:
            parts.append(self.term_key(value))
        elif kind is tuple or kind is list:
            parts.append(len(value))
            known = self._articles
            for item in value:
                step = type(item)
                if step is Article:
                    found = known.get(id(item))
                    parts.append(found if found is not None else self.article_key(item))
                elif step in _PLAIN:
                    parts.append(item)
                else:
                    self._walk(item, parts)
        elif kind is dict:
            parts.append(("dict", len(value)))
            for name, item in value.items():
                if type(name) in _PLAIN:
                    parts.append(name)
                else:
                    self._walk(name, parts)
                if type(item) in _PLAIN:
                    parts.append(item)
                else:
                    self._walk(item, parts)
        elif kind is LanguageConfig or kind is TaxonomyConfig:
            # Configuration is in the environment key: its name says which one.
            parts.append((kind.__name__, getattr(value, "code", None) or value.name))
        elif kind is SiteConfig:
            parts.append("site")
        elif isinstance(value, (dt.date, dt.datetime, dt.time)):
            parts.append(repr(value))
        elif dataclasses.is_dataclass(value):
            _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
            self._walk(value, parts)
        elif isinstance(value, str):  # Markup and other str subclasses
            parts.append(str(value))
        else:
            raise TypeError(f"page keys do not know how to digest a {kind.__name__}")


def _term_head(term: Term) -> tuple:
    """What a term's key digests besides the stories it files."""
    return (term.taxonomy, term.lang, term.key, term.name, term.slug, term.entity)


VERIFY = False
"""Make every page's full key even when its inputs key matched, and fail if the two disagree
(``tests/test_incremental_properties.py``: a view reading something its planner did not
declare shows up there)."""

_FIELDS: dict[type, tuple[str, ...]] = {}
"""Field names of the dataclasses met in views (``dataclasses.fields`` is slow to ask)."""


def story_state(planner: PagePlanner, digests, headers: dict, related_generation: str | None) -> dict | None:
    """What the next build needs to tell which pages cannot have changed (``settled_pages``):
    every story as (path, key, translation group) in its language's order, every term's name,
    slug, entity and number of stories, every month archive's number of stories, each
    language's header key and the related-stories memo's generation. Plain values (the build
    state saves them with ``marshal``). None without every story's key."""
    site = planner.site
    stories = [a for articles in site.articles.values() for a in articles]
    if digests is None or len(digests) != len(stories) or related_generation is None:
        return None
    keyed = iter(digests)
    return {
        "order": {
            lang: [(a.path, next(keyed), a.translation_group) for a in articles]
            for lang, articles in site.articles.items()
        },
        "terms": {
            (t.taxonomy, t.lang, t.key): (t.name, t.slug, t.entity, len(t.articles))
            for per_lang in site.terms.values()
            for terms in per_lang.values()
            for t in terms
        },
        "months": {
            (lang.code, calendar, *month): len(items)
            for lang in planner.config.languages
            for calendar in lang.calendars
            for month, items in planner.month_groups(lang.code, calendar).items()
        },
        "profiled": _profiled(planner),
        "headers": dict(headers),
        "related": related_generation,
    }


def _profiled(planner: PagePlanner) -> list[tuple]:
    """The terms that have a profile (its name, bio and photo show on the term's first page;
    profiles are read from files of their own, outside the stories)."""
    profiles = planner.profiles
    if not profiles:
        return []
    return [
        (term.taxonomy, term.lang, term.key)
        for per_lang in planner.site.terms.values()
        for terms in per_lang.values()
        for term in terms
        if profile_of(term, profiles) is not None
    ]


def _comparable(now: dict | None, before: dict | None, relinked, generation) -> bool:
    return not (
        now is None
        or before is None
        or relinked is None
        or generation[0] != before.get("related")
        or not all(name in before for name in now)
    )


def _changed_stories(now: dict, before: dict) -> tuple[set[str], dict, dict]:
    """The stories new, gone or with another key; where each of them was and is (path ->
    (language, place, key, translation group)). The rows alike in both orders (all but a
    few) are set aside as whole sets; the places of the others are looked up, or, when they
    are many, read off every row."""
    try:
        olds: dict[str, tuple] = {}  # path -> (language, row) of the rows in one order only
        news: dict[str, tuple] = {}
        for lang in before["order"].keys() | now["order"].keys():
            old_rows, new_rows = before["order"].get(lang, []), now["order"].get(lang, [])
            if old_rows == new_rows:  # (a language no story of which changed: most of them)
                continue
            olds.update((row[0], (lang, row)) for row in set(old_rows).difference(new_rows))
            news.update((row[0], (lang, row)) for row in set(new_rows).difference(old_rows))
    except TypeError:  # a row that is not plain values: every row read
        return _changed_stories_by_rows(now, before)
    if len(olds) + len(news) > _LOOKED_UP:
        return _changed_stories_by_rows(now, before)
    changed = {
        path for path, (_, row) in news.items() if (old := olds.get(path)) is None or old[1][1] != row[1]
    }
    changed.update(path for path in olds if path not in news)
    return changed, _places(olds, before, changed), _places(news, now, changed)


_LOOKED_UP = 256
"""Rows in one order only from which ``_changed_stories`` reads every row's place instead
of looking each one up (a scan of its language's rows)."""


def _places(rows: dict, state: dict, wanted: set[str]) -> dict:
    found = {}
    for path, (lang, row) in rows.items():
        if path in wanted:
            found[path] = (lang, state["order"][lang].index(row), row[1], row[2])
    return found


def _changed_stories_by_rows(now: dict, before: dict) -> tuple[set[str], dict, dict]:
    old_at: dict[str, tuple] = {}
    for lang, rows in before["order"].items():
        for i, (path, key, group) in enumerate(rows):
            old_at[path] = (lang, i, key, group)
    new_at: dict[str, tuple] = {}
    changed: set[str] = set()
    for lang, rows in now["order"].items():
        for i, (path, key, group) in enumerate(rows):
            new_at[path] = (lang, i, key, group)
            old = old_at.get(path)
            if old is None or old[2] != key:
                changed.add(path)
    changed.update(path for path in old_at if path not in new_at)
    return changed, old_at, new_at


def _changed_headers(now: dict, before: dict) -> set[str]:
    return {lang for lang, header in now["headers"].items() if before["headers"].get(lang) != header}


def settled_articles(
    now: dict | None, before: dict | None, related, relinked, generation, changes: tuple | None = None
) -> set[str]:
    """The article pages whose inputs (``PageKeys._article_inputs`` and the page's head) are
    the last build's, found from the stories that changed instead of by keying every page: a
    story's page shows the story, its translations, its related stories and its older and
    newer neighbour, so it can change only when one of those changed, or the list of them
    did. ``now`` and ``before``: ``story_state`` of this build and of the last one;
    ``related``: every story's related stories (paths); ``relinked``: the stories whose
    related stories differ from the last build's (``related.remembered``), measured from
    the memo generation ``generation[0]``, which must be the one the last build left.

    Dirty (not settled): every story new, gone or with another key (``changed``); its
    neighbours in the old and in the new order; the members of its old and its new
    translation group; every story whose related stories changed or include a changed
    story; every story of a language whose header changed."""
    if not _comparable(now, before, relinked, generation):
        return set()
    changed, old_at, new_at = changes or _changed_stories(now, before)
    dirty = set(changed) | set(relinked)
    groups = set()
    for path in changed:
        for at, state in ((old_at.get(path), before), (new_at.get(path), now)):
            if at is None:
                continue
            lang, i, _, group = at
            groups.add(group)
            rows = state["order"][lang]
            if i > 0:
                dirty.add(rows[i - 1][0])
            if i + 1 < len(rows):
                dirty.add(rows[i + 1][0])
    if groups:
        for rows in now["order"].values():
            dirty.update(row[0] for row in rows if row[2] in groups)
    if changed:
        dirty.update(path for path, linked in related.items() if not changed.isdisjoint(linked))
    for lang in _changed_headers(now, before):
        dirty.update(row[0] for row in now["order"].get(lang, ()))
    return {row[0] for rows in now["order"].values() for row in rows}.difference(dirty)


def _dirty_listings(
    planner: PagePlanner, now: dict, before: dict, changed: set[str], new_at: dict
) -> set[tuple]:
    """The lists (``PageSpec.listing``) whose pages may show something else than the last
    build's (``changed``: the stories new, gone or with another key). A list is dirty when a
    story it holds now changed, when it holds another number of stories (a story left it),
    when it is new, when its language's header changed; a taxonomy's index of terms when a
    story of one of its terms changed or a term came, went or changed; a term also when its
    name, slug or entity changed, when another term of its entity is dirty or gone (the language links
    between them), or when it has or had a profile (profiles are read from their own files); a month
    also when that month appeared or went in any language (the language links)."""
    dirty: set[tuple] = set()
    calendars_of = {lang.code: lang.calendars for lang in planner.config.languages}
    site = planner.site.articles
    for lang, articles in site.items():
        if len(articles) != len(before["order"].get(lang, ())):
            dirty.add(("home", lang))
    # The changed stories there now, found at their place in ``now`` (the site's order),
    # not by a pass over every story.
    found = []
    for path in changed:
        at = new_at.get(path)
        if at is None:
            continue  # gone
        articles = site.get(at[0], ())
        if at[1] >= len(articles) or articles[at[1]].path != path:  # not the site's order: every story
            found = [(lang, a) for lang, articles in site.items() for a in articles if a.path in changed]
            break
        found.append((at[0], articles[at[1]]))
    for lang, article in found:
        dirty.add(("home", lang))
        for taxonomy, refs in article.terms.items():
            dirty.update(("term", taxonomy, lang, ref.key) for ref in refs)
            if refs:  # the index's terms show their newest stories' dates (its lastmod)
                dirty.add(("terms", taxonomy, lang))
        day = article.record.date
        if day is not None:
            dirty.update(("month", lang, cal, *archive_key(day, cal)) for cal in calendars_of.get(lang, ()))
    old_terms, new_terms = before["terms"], now["terms"]
    entities = set()
    for ident, row in new_terms.items():
        if old_terms.get(ident) != row:
            dirty.add(("term", *ident))
            dirty.add(("terms", *ident[:2]))
    for ident, row in old_terms.items():
        if ident not in new_terms:
            dirty.add(("terms", *ident[:2]))
            if row[2]:
                entities.add((ident[0], row[2]))
    for _, taxonomy, lang, key in [d for d in dirty if d[0] == "term"]:
        for rows in (new_terms, old_terms):  # the entity it has and the one it had
            row = rows.get((taxonomy, lang, key))
            if row is not None and row[2]:
                entities.add((taxonomy, row[2]))
    if entities:
        for per_lang in planner.site.terms.values():
            for terms in per_lang.values():
                for term in terms:
                    if term.entity and (term.taxonomy, term.entity) in entities:
                        dirty.add(("term", term.taxonomy, term.lang, term.key))
    # A term with a profile now or at the last build: the profile may have changed or gone.
    dirty.update(("term", *ident) for ident in (*now["profiled"], *before["profiled"]))
    old_months, new_months = before["months"], now["months"]
    came_or_went = {ident[1:] for ident in set(old_months) ^ set(new_months)}  # (calendar, year, month)
    for ident, count in new_months.items():
        if old_months.get(ident) != count or ident[1:] in came_or_went:
            dirty.add(("month", *ident))
    return dirty


def settled_pages(specs, planner: PagePlanner, now, before, relinked, generation) -> set[str]:
    """The paths of the pages (of ``specs``) that show what the last build's showed, told from
    the stories that changed (``settled_articles``, ``_dirty_listings``), without keying them;
    a page of a language whose header changed is never settled."""
    if not _comparable(now, before, relinked, generation):
        return set()
    changes = _changed_stories(now, before)
    articles = settled_articles(now, before, planner.stories.known, relinked, generation, changes)
    if not articles:
        return set()
    dirty = _dirty_listings(planner, now, before, changes[0], changes[2])
    languages = _changed_headers(now, before)
    return {
        spec.path
        for spec in specs
        if (spec.path in articles if spec.kind is PageKind.ARTICLE else spec.listing is not None)
        and spec.listing not in dirty
        and spec.lang not in languages
    }
