"""Model stage: article records -> ``Site`` (slugs, collisions, tags, translations, order).

Pure: records and the configuration in, a ``Site`` out. Decisions that must be stable across
builds (slugs, collision suffixes, tag display forms) depend only on the records, sorted by
source path, never on reading order or time of day (except ``today`` for future articles).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import replace
from functools import lru_cache
from typing import Iterable

from .collation import sort_key
from .config import SiteConfig
from .entities import link_entities
from .model import Article, ArticleRecord, Site, Tag, TagRef
from .urls import RESERVED_ARTICLE_SLUGS, Urls, slugify
from .textnorm import strip_bidi_controls

# Format characters that make a title look empty (marks, zero-width characters, BOM).
# An explicit slug that looks like a path (``../x``, ``/tmp/x``, ``.``, ``a\\b``).
_PATHLIKE = re.compile(r"[/\\]|^\.+$|\.\.")
_INVISIBLE = re.compile("[\u200b-\u200f\u061c\u2060-\u2064\ufeff\u00ad\u034f]")

from .tagger import tag_key


def _newest_first(article: Article) -> tuple:
    date = article.date
    return (date is None, -(date.toordinal()) if date else 0, article.slug)


MAX_TAGS_PER_ARTICLE = 50
"""Tags after the first 50 of one article are dropped with a warning: every tag is a page that
lists the article, and every card lists its tags, so 10,000 tags would make the build
quadratic (badinput m11)."""


def _script_of(ch: str) -> str:
    """Rough Unicode script of a letter, from its character name (LATIN, CYRILLIC, ARABIC ...)."""
    name = unicodedata.name(ch, "")
    word = name.split(" ", 1)[0]
    return "LATIN" if word in ("FULLWIDTH", "HALFWIDTH") and "LATIN" in name else word


@lru_cache(maxsize=65536)  # tags repeat: 40,000 uses of 10,000 tags in a 10k-article site
def _mixed_script(tag: str) -> bool:
    """True when one word of ``tag`` mixes letters of two scripts (a homograph like Cyrillic
    'А' in 'Аpple'); 'قمة G20' (two words, one script each) is not mixed."""
    for word in tag.split():
        scripts = {_script_of(ch) for ch in word if ch.isalpha()}
        if len(scripts) > 1:
            return True
    return False


def screen(record: ArticleRecord, problems: list[str], notices: list[str]) -> ArticleRecord | None:
    """Site-wide safety checks on one record, whichever reader made it: no bidi overrides in
    titles and tags, a visible title, a bounded number of tags, homograph tags reported."""
    title = " ".join(strip_bidi_controls(record.title).split())
    if not _INVISIBLE.sub("", title).strip():
        problems.append(f"{record.path}: the title is empty or invisible (only format characters); skipped")
        return None
    tags = []
    for tag in record.tags:
        clean = " ".join(strip_bidi_controls(tag).split())
        if clean and clean not in tags:
            tags.append(clean)
    if len(tags) > MAX_TAGS_PER_ARTICLE:
        notices.append(f"{record.path}: tags: {len(tags)} tags, only the first {MAX_TAGS_PER_ARTICLE} are kept")
        tags = tags[:MAX_TAGS_PER_ARTICLE]
    for tag in tags:
        if _mixed_script(tag):
            notices.append(f"{record.path}: tags: {tag!r} mixes letters of different scripts (a look-alike of another word?)")
    if title != record.title or tuple(tags) != record.tags:
        record = replace(record, title=title, tags=tuple(tags))
    return record


def placement(record: ArticleRecord) -> tuple:
    """Every field of a (screened) record that decides where the article goes and what links
    to it: slug, URL, language, order, tags, translations, publication. Two records with the
    same placement give the same site structure; only the pages showing the article differ."""
    return (record.kind, record.lang, record.draft, record.date, record.tags, record.slug,
            None if record.slug else record.title, record.translation_key, record.extra.get("seed"))


def _assign_slugs(records: list[ArticleRecord], problems: list[str], notices: list[str]) -> dict[str, str]:
    """Slug per record path; explicit duplicates are errors, derived ones get ``-2``, ``-3``."""
    taken: dict[tuple[str, str], str] = {}
    slugs: dict[str, str] = {}
    explicit = [r for r in records if r.slug]
    derived = [r for r in records if not r.slug]
    for record in explicit:
        slug = slugify(record.slug or "", record.path)
        if _PATHLIKE.search(record.slug or "") or slug.startswith("a-") and not record.slug.startswith("a-"):
            notices.append(f"{record.path}: slug {record.slug!r} is not a plain name (path characters "
                           f"or nothing usable); using {slug!r}")
        if slug in RESERVED_ARTICLE_SLUGS:
            notices.append(f"{record.path}: slug {slug!r} is reserved; using {slug}-article")
            slug += "-article"
        owner = taken.get((record.lang, slug))
        if owner:
            problems.append(f"{record.path}: slug {slug!r} is already used by {owner}; this article was skipped")
            continue
        taken[(record.lang, slug)] = record.path
        slugs[record.path] = slug
    for record in derived:
        base = slugify(record.title, record.path)
        if base in RESERVED_ARTICLE_SLUGS:
            base += "-article"
        slug, n = base, 1
        while (record.lang, slug) in taken:
            n += 1
            slug = f"{base}-{n}"
        if n > 1:
            notices.append(f"{record.path}: slug {base!r} is used by {taken[(record.lang, base)]}; using {slug!r}")
        taken[(record.lang, slug)] = record.path
        slugs[record.path] = slug
    return slugs


def _tag_names(records: Iterable[ArticleRecord]) -> dict[tuple[str, str], str]:
    """Display form per (lang, key): the most common spelling; ties by first in order."""
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for record in records:
        for tag in record.tags:
            key = tag_key(tag)
            if key:
                counts[(record.lang, key)][tag] += 1
    return {k: sorted(c.items(), key=lambda item: (-item[1], item[0]))[0][0] for k, c in counts.items()}


def _tag_slugs(names: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    """One URL slug per (language, tag key); two keys that slugify alike get ``-2``, ``-3``
    in the order of their keys, so the choice is stable across builds."""
    result: dict[tuple[str, str], str] = {}
    used: set[tuple[str, str]] = set()
    for (lang, key) in sorted(names):
        base = slugify(names[(lang, key)], key)
        slug, n = base, 1
        while (lang, slug) in used:
            n += 1
            slug = f"{base}-{n}"
        used.add((lang, slug))
        result[(lang, key)] = slug
    return result


def assemble(records: Iterable[ArticleRecord], config: SiteConfig, *, today: dt.date,
             problems: Iterable[str] = ()) -> Site:
    urls = Urls(config)
    problems = list(problems)
    notices: list[str] = []
    kept: list[ArticleRecord] = []
    for record in sorted(records, key=lambda r: r.path):
        if record.lang not in config.language_codes:
            problems.append(f"{record.path}: language {record.lang!r} is not configured in site.toml; skipped")
            continue
        if record.draft:
            continue
        if record.date and record.date > today and not config.publish_future:
            notices.append(f"{record.path}: dated {record.date.isoformat()}, in the future; held back (set publish_future to publish)")
            continue
        notices.extend(f"{record.path}: {w}" for w in record.warnings)
        record = screen(record, problems, notices)
        if record is not None:
            kept.append(record)
    slugs = _assign_slugs(kept, problems, notices)
    names = _tag_names(r for r in kept if r.path in slugs)
    tag_slugs = _tag_slugs(names)

    articles: dict[str, list[Article]] = defaultdict(list)
    for record in kept:
        slug = slugs.get(record.path)
        if slug is None:
            continue
        refs: list[TagRef] = []
        seen: set[str] = set()
        for tag in record.tags:
            key = tag_key(tag)
            if not key or key in seen:
                continue
            seen.add(key)
            name = names[(record.lang, key)]
            refs.append(TagRef(key=key, name=name, slug=tag_slugs[(record.lang, key)], lang=record.lang))
        group = record.translation_key or f"path:{record.path}"
        articles[record.lang].append(Article(record=record, slug=slug,
                                             path=urls.article(record.lang, slug),
                                             tags=tuple(refs), translation_group=group))

    by_lang = {lang: tuple(sorted(articles.get(lang, ()), key=_newest_first))
               for lang in config.language_codes}
    translations: dict[str, list[Article]] = defaultdict(list)
    for lang in config.language_codes:
        for article in by_lang[lang]:
            group = translations[article.translation_group]
            if any(a.lang == article.lang for a in group):
                notices.append(f"{article.record.path}: translation key {article.record.translation_key!r} "
                               f"has two {article.lang} articles; linking the newest only")
                continue
            group.append(article)
    tags = {lang: _tags_of(by_lang[lang], config.language(lang).locale) for lang in config.language_codes}
    tags = link_entities(tags, config)
    return Site(articles=by_lang, tags=tags,
                translations={k: tuple(v) for k, v in translations.items() if len(v) > 1},
                problems=tuple(problems), notices=tuple(notices))


def _tags_of(articles: tuple[Article, ...], locale: str) -> tuple[Tag, ...]:
    grouped: dict[str, list[Article]] = defaultdict(list)
    refs: dict[str, TagRef] = {}
    for article in articles:
        for ref in article.tags:
            grouped[ref.key].append(article)
            refs[ref.key] = ref
    collate = sort_key(locale)
    result = [Tag(lang=refs[key].lang, key=key, name=refs[key].name, slug=refs[key].slug,
                  articles=tuple(grouped[key]))
              for key in sorted(grouped, key=lambda k: (collate(refs[k].name), k))]
    return tuple(result)
