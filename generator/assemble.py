"""Model stage: article records -> ``Site`` (slugs, collisions, tags, translations, order).

Pure: records and the configuration in, a ``Site`` out. Decisions that must be stable across
builds (slugs, collision suffixes, tag display forms) depend only on the records, sorted by
source path, never on reading order or time of day (except ``today`` for future articles).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Callable, Iterable

from .collation import sort_key
from .config import SiteConfig
from .diagnostics import Diagnostic
from .entities import link_entities
from .model import Article, ArticleRecord, Site, Term, TermRef, make_terms
from .permalinks import Entry, Register
from .tagger import tag_key
from .urls import RESERVED_ARTICLE_SLUGS, Urls, slugify
from .textnorm import clean_value, fold_key, is_blank

# An explicit slug that looks like a path (``../x``, ``/tmp/x``, ``.``, ``a\\b``).
_PATHLIKE = re.compile(r"[/\\]|^\.+$|\.\.")


def _newest_first(article: Article) -> tuple:
    """Newest first by publication time (stories of one day by their time), undated last."""
    published = article.record.published
    return (published is None, -published.timestamp() if published else 0, article.slug)


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


def screen(
    record: ArticleRecord, problems: list[str], notices: list[str], limits: dict[str, int] | None = None
) -> ArticleRecord | None:
    """Site-wide safety checks on one record, whichever reader made it: no bidi overrides in
    titles and terms, a visible title, a bounded number of terms per taxonomy (``limits``),
    homograph terms reported."""
    title = clean_value(record.title)
    if is_blank(title):
        problems.append(
            f"{record.path}: the title is empty or shows nothing (only spaces, marks or "
            "invisible characters); skipped"
        )
        return None
    terms = {}
    for taxonomy, values in record.terms:
        kept: dict[str, None] = {}
        for value in values:
            clean = clean_value(value)
            if is_blank(clean):
                if value.strip():
                    notices.append(
                        f"{record.path}: {taxonomy}: a value that shows nothing "
                        f"({value[:20].encode('unicode_escape').decode()}) was dropped"
                    )
                continue
            kept[clean] = None
        limit = (limits or {}).get(taxonomy, MAX_TAGS_PER_ARTICLE)
        if len(kept) > limit:
            notices.append(f"{record.path}: {taxonomy}: {len(kept)} values, only the first {limit} are kept")
        kept = list(kept)[:limit]
        for value in kept:
            if _mixed_script(value):
                notices.append(
                    f"{record.path}: {taxonomy}: {value!r} mixes letters of different scripts "
                    "(a look-alike of another word?)"
                )
        terms[taxonomy] = tuple(kept)
    changes = {}
    for name in ("summary", "city"):
        value = getattr(record, name)
        cleaned = clean_value(value) if value else value
        if cleaned != value:
            changes[name] = cleaned
    new_terms = make_terms(terms)
    if title != record.title or new_terms != record.terms or changes:
        record = replace(record, title=title, terms=new_terms, **changes)
    return record


def screen_memo(
    record: ArticleRecord,
    problems: list[str],
    notices: list[str],
    limits: dict[str, int] | None,
    memo: dict | None,
) -> ArticleRecord | None:
    """``screen``, remembered by the record's ``fingerprint`` in ``memo`` (kept by the build
    cache for one set of ``limits``): what the screening changed and what it said."""
    if memo is None or not record.fingerprint:
        return screen(record, problems, notices, limits)
    hit = memo.get(record.fingerprint)
    if hit is None:
        said_problems: list[str] = []
        said_notices: list[str] = []
        result = screen(record, said_problems, said_notices, limits)
        changes = {}
        if result is not None:
            for name in ("title", "terms", "summary", "city"):
                if getattr(result, name) != getattr(record, name):
                    changes[name] = getattr(result, name)
        hit = memo[record.fingerprint] = (result is None, changes, tuple(said_problems), tuple(said_notices))
    skipped, changes, said_problems, said_notices = hit
    problems.extend(said_problems)
    notices.extend(said_notices)
    if skipped:
        return None
    return replace(record, **changes) if changes else record


def placement(record: ArticleRecord, *, stable_urls: bool = True) -> tuple:
    """Every field of a (screened) record that decides where the article goes and what links
    to it: slug, URL, language, order, terms, translations, publication. Two records with the
    same placement give the same site structure; only the pages showing the article differ.
    With the permalink register (``stable_urls``) the title no longer decides the URL."""
    return (
        record.kind,
        record.lang,
        record.draft,
        record.published,
        record.terms,
        record.slug,
        None if record.slug or stable_urls else record.title,
        record.translation_key,
        record.source_id,
        record.extra.get("seed"),
        record.top,  # the front page's lead
        record.breaking,  # the front page's banner
        record.image,  # processed in the full build; its social size is in the page's head
    )


class SlugMemo:
    """``slugify`` through a memo kept between builds (``entries``, by text and fallback seed;
    a pure function of them): a build of 10,000 stories asks for 16,000 slugs, all but a few
    made before. ``asked``: the keys this build asked for (the ones worth keeping)."""

    def __init__(self, entries: dict) -> None:
        self.entries = entries
        self.asked: set[tuple[str, str]] = set()

    def __call__(self, text: str, seed: str = "") -> str:
        key = (text, seed)
        self.asked.add(key)
        found = self.entries.get(key)
        if found is None:
            found = self.entries[key] = slugify(text, seed)
        return found


_NUMBERED = re.compile(r"-\d+\Z")
"""How a slug made unique with a number ends (``-2``, ``-3``)."""


@dataclass
class Assembly:
    """What ``assemble`` decided on the way besides the ``Site``: each step's messages apart,
    by the file they are about (in the order of the files), the slugs taken, the register's
    holders and the spellings of each term. ``modelstate`` keeps it with the model, so that the
    next build can patch the model for a few changed stories and say exactly what a whole
    ``assemble`` would say, in the same order."""

    admitted: list = field(default_factory=list)
    """(path, problems, notices) of each record that had any when admitted, in path order."""
    duplicates: list = field(default_factory=list)
    """(path, problem): records skipped because another holds their source id."""
    explicit_problems: list = field(default_factory=list)
    """(path, problem): explicit slugs already used."""
    explicit_notices: list = field(default_factory=list)
    """(path, notice) about explicit slugs."""
    registered_notices: list = field(default_factory=list)
    """(path, notice): registered slugs taken by another story."""
    numbered: list = field(default_factory=list)
    """(path, (language, folded base slug), notice): slugs made unique with a number."""
    taken: dict = field(default_factory=dict)
    """(language, folded slug) -> path of the story placed there."""
    owners: dict = field(default_factory=dict)
    """(language, folded slug) -> the first source id (in order) the register gives it to,
    current and former slugs alike: of the register as this build leaves it."""
    updated: list = field(default_factory=list)
    """Source ids whose register line this build wrote."""
    owner_said: list = field(default_factory=list)
    """(path, place, holder): a message about ``path`` named the register's holder of
    ``place`` (a model is kept only while the register it leaves names the same one)."""
    counts: dict = field(default_factory=dict)
    """(taxonomy, language, key) -> {spelling: uses}, configured taxonomies only."""


def register_owners(entries: dict) -> dict[tuple[str, str], str]:
    """(language, folded slug) -> the first source id (in sorted order) holding it, current
    and former slugs alike, as ``Register.taken`` says but folded (``fold_key``)."""
    owners: dict[tuple[str, str], str] = {}
    for ident in sorted(entries):
        entry = entries[ident]
        owners.setdefault((entry.lang, fold_key(entry.slug)), ident)
        for slug in entry.former:
            owners.setdefault((entry.lang, fold_key(slug)), ident)
    return owners


def explicit_slug(record: ArticleRecord, slugify: Callable[[str, str], str]) -> tuple[str, list]:
    """A record's explicit slug as its address takes it, and the notices about it (not a
    plain name; reserved)."""
    path = record.path
    slug = slugify(record.slug or "", path)
    notices: list = []
    if _PATHLIKE.search(record.slug or "") or slug.startswith("a-") and not record.slug.startswith("a-"):
        notices.append(
            Diagnostic(
                path,
                f"slug {record.slug!r} is not a plain name (path characters or nothing usable); using {slug!r}",
                field="slug",
            )
        )
    if slug in RESERVED_ARTICLE_SLUGS:
        notices.append(Diagnostic(path, f"slug {slug!r} is reserved; using {slug}-article", field="slug"))
        slug += "-article"
    return slug, notices


def title_slug(record: ArticleRecord, slugify: Callable[[str, str], str]) -> str:
    """The slug a record's title gives (before a number makes it unique)."""
    base = slugify(record.title, record.path)
    return base + "-article" if base in RESERVED_ARTICLE_SLUGS else base


def numbered_notice(
    record: ArticleRecord, base: str, slug: str, taken: dict, owners: dict, owner_said: list
) -> tuple:
    """(path, place of ``base``, notice) for a slug made unique with a number; the holder it
    names is the story placed at ``base``, else the register's (then put in ``owner_said``)."""
    place = (record.lang, fold_key(base))
    holder = taken.get(place)
    if not holder:
        holder = owners.get(place)
        owner_said.append((record.path, place, holder))
    return (
        record.path,
        place,
        Diagnostic(record.path, f"slug {base!r} is used by {holder}; using {slug!r}", field="slug"),
    )


def write_line(
    record: ArticleRecord, slug: str, entries: dict, taken: dict, before: dict, updated: list
) -> tuple[str, ...]:
    """Put ``record``'s line at ``slug`` in the register's ``entries`` (the line written over
    kept in ``before``, its id in ``updated``) unless it is there as it was; the former slugs
    that redirect to it: those no story took, nor a case variant of (one folder on a
    case-insensitive disk)."""
    entry = entries.get(record.source_id)
    if entry is not None and entry.slug == slug and entry.lang == record.lang and not entry.former:
        return ()  # its line as it was: no former slugs, nothing moved
    old = ()
    if entry is not None and entry.lang == record.lang:
        old = tuple(dict.fromkeys(s for s in (*entry.former, entry.slug) if s != slug))
    if entry is not None:
        before.setdefault(record.source_id, entry)
    entries[record.source_id] = Entry(record.lang, slug, old)
    updated.append(record.source_id)
    return tuple(s for s in old if (record.lang, fold_key(s)) not in taken)


def _assign_slugs(
    records: list[ArticleRecord],
    register: Register,
    phases: Assembly,
    slugify: Callable[[str, str], str] = slugify,
) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """Slug per record path, and the former slugs of each (redirects).

    In order: explicit slugs (a duplicate is an error; a change from the registered slug keeps
    the old one as a former slug), then registered slugs (the URL a story was first published
    at), then slugs derived from titles for new stories (``-2``, ``-3`` when taken, also by a
    story that is gone: a published address is never given to another story).
    """
    # Keys compare slugs as a case-insensitive file system does (``fold_key``): ``σοφος`` and
    # ``σοφοσ`` are one folder on macOS and Windows, and on any deploy through one.
    entries = register.entries
    owners = register_owners(entries)
    read_owners = dict(owners)
    taken: dict[tuple[str, str], str] = phases.taken
    slugs: dict[str, str] = {}
    former: dict[str, tuple[str, ...]] = {}
    by_id: dict[str, ArticleRecord] = {}
    for record in records:
        if record.source_id in by_id:
            phases.duplicates.append(
                (
                    record.path,
                    f"{record.path}: source id {record.source_id!r} is already used by "
                    f"{by_id[record.source_id].path}; this article was skipped",
                )
            )
            continue
        by_id[record.source_id] = record
    records = [r for r in records if by_id.get(r.source_id) is r]

    def free(lang: str, slug: str, ident: str) -> bool:
        return (lang, fold_key(slug)) not in taken and owners.get((lang, fold_key(slug)), ident) == ident

    explicit = [r for r in records if r.slug]
    for record in explicit:
        path = record.path
        slug, said_of = explicit_slug(record, slugify)
        phases.explicit_notices.extend((path, notice) for notice in said_of)
        place = (record.lang, fold_key(slug))
        owner = taken.get(place)
        if owner:
            phases.explicit_problems.append(
                (
                    path,
                    Diagnostic(
                        path,
                        f"slug {slug!r} is already used by {owner}; this article was skipped",
                        field="slug",
                    ),
                )
            )
            continue
        holder = owners.get(place)
        if holder is not None and holder != record.source_id:
            phases.owner_said.append((path, place, holder))
            phases.explicit_notices.append(
                (
                    path,
                    Diagnostic(
                        path,
                        f"slug {slug!r} was the address of another story ({holder}); it now belongs to this one",
                        field="slug",
                    ),
                )
            )
        taken[place] = record.path
        slugs[record.path] = slug
    for record in records:
        if record.slug:
            continue
        entry = entries.get(record.source_id)
        if entry is None or entry.lang != record.lang:
            continue
        place = (record.lang, fold_key(entry.slug))
        if place not in taken and owners.get(place, record.source_id) == record.source_id:
            taken[place] = record.path  # as ``free`` says, with the slug folded once
            slugs[record.path] = entry.slug
            continue
        if not free(record.lang, entry.slug, record.source_id):
            phases.registered_notices.append(
                (
                    record.path,
                    Diagnostic(
                        record.path,
                        f"its registered slug {entry.slug!r} is taken; a new one is made",
                        field="slug",
                    ),
                )
            )
            continue
        taken[(record.lang, fold_key(entry.slug))] = record.path
        slugs[record.path] = entry.slug
    for record in records:
        if record.slug:
            continue
        registered = slugs.get(record.path)
        if registered is not None and not (registered[-1:].isdigit() and _NUMBERED.search(registered)):
            continue  # a registered story whose slug has no number: nothing to say again
        base = title_slug(record, slugify)
        if registered is not None:
            # A registered story: say again why it has a numbered slug, so every build of
            # the same inputs prints the same messages as the one that chose it.
            if re.fullmatch(re.escape(base) + r"-\d+", registered):
                phases.numbered.append(
                    numbered_notice(record, base, registered, taken, owners, phases.owner_said)
                )
            continue
        slug, n = base, 1
        while not free(record.lang, slug, record.source_id):
            n += 1
            slug = f"{base}-{n}"
        if n > 1:
            phases.numbered.append(numbered_notice(record, base, slug, taken, owners, phases.owner_said))
        taken[(record.lang, fold_key(slug))] = record.path
        slugs[record.path] = slug
    # The register as this build leaves it, and the redirects it asks for.
    before: dict[str, Entry] = {}  # the lines written over, as read
    for record in records:
        slug = slugs.get(record.path)
        if slug is None:
            continue
        moved = write_line(record, slug, entries, taken, before, phases.updated)
        if moved:
            former[record.path] = moved
    phases.owners = owners_after(read_owners, before, phases.updated, register.entries)
    return slugs, former


def owners_after(owners: dict, before: dict, updated: list[str], entries: dict) -> dict:
    """``register_owners(entries)``, from ``owners`` of the register ``before`` the lines of
    ``updated`` were written: a line that only gained slugs is a holder of more places, the
    first source id still holding each; one that lost some (a story moved to another
    language) is counted again whole."""
    owners = dict(owners) if updated else owners
    for ident in updated:
        entry, old = entries[ident], before.get(ident)
        if old is not None and (
            old.lang != entry.lang or not {old.slug, *old.former} <= {entry.slug, *entry.former}
        ):
            return register_owners(entries)
        for slug in (entry.slug, *entry.former):
            place = (entry.lang, fold_key(slug))
            holder = owners.get(place)
            if holder is None or ident < holder:
                owners[place] = ident
    return owners


def _term_counts(records: Iterable[ArticleRecord]) -> dict[tuple[str, str, str], dict[str, int]]:
    """Uses of each spelling per (taxonomy, lang, key)."""
    counts: dict[tuple[str, str, str], dict[str, int]] = {}
    for record in records:
        lang = record.lang
        for taxonomy, values in record.terms:
            for value in values:
                key = tag_key(value)
                if key:
                    spellings = counts.get((taxonomy, lang, key))
                    if spellings is None:
                        counts[(taxonomy, lang, key)] = {value: 1}
                    else:
                        spellings[value] = spellings.get(value, 0) + 1
    return counts


def term_name(spellings: dict[str, int]) -> str:
    """The display form of a term: its most common spelling; ties by first in order."""
    return (
        next(iter(spellings))
        if len(spellings) == 1
        else min(spellings.items(), key=lambda item: (-item[1], item[0]))[0]
    )


def _term_names(records: Iterable[ArticleRecord]) -> dict[tuple[str, str, str], str]:
    """Display form per (taxonomy, lang, key): the most common spelling; ties by first in order."""
    return {k: term_name(c) for k, c in _term_counts(records).items()}


def _term_slugs(
    names: dict[tuple[str, str, str], str], slugify: Callable[[str, str], str] = slugify
) -> dict[tuple[str, str, str], str]:
    """One URL slug per (taxonomy, language, key); two keys that slugify alike get ``-2``,
    ``-3`` in the order of their keys, so the choice is stable across builds."""
    result: dict[tuple[str, str, str], str] = {}
    used: set[tuple[str, str, str]] = set()
    for taxonomy, lang, key in sorted(names):
        base = slugify(names[(taxonomy, lang, key)], key)
        if base in ("page", "feed.xml"):
            base += "-"
        slug, n = base, 1
        while (taxonomy, lang, fold_key(slug)) in used:
            n += 1
            slug = f"{base}-{n}"
        used.add((taxonomy, lang, fold_key(slug)))
        result[(taxonomy, lang, key)] = slug
    return result


def assemble(
    records: Iterable[ArticleRecord],
    config: SiteConfig,
    *,
    today: dt.date,
    problems: Iterable[str] = (),
    register: Register | None = None,
    screened: dict | None = None,
    slugged: SlugMemo | None = None,
) -> Site:
    """The site's model. ``register`` is the permalink register as read (``None``: read it
    from the site folder); the one this build leaves is ``Site.permalinks``. ``screened``:
    ``screen_memo``'s memo (the build cache keeps it between builds); ``slugged``: the slugs
    made by earlier builds (``SlugMemo``)."""
    return assembled(
        records, config, today=today, problems=problems, register=register, screened=screened, slugged=slugged
    )[0]


def admit(
    record: ArticleRecord, config: SiteConfig, today: dt.date, screened: dict | None
) -> tuple[ArticleRecord | None, list[str], list[str]]:
    """One record as the site takes it (screened), or None (another language, a draft, held
    back, nothing to show), with the problems and notices that says."""
    problems: list[str] = []
    notices: list[str] = []
    if record.lang not in config.language_codes:
        problems.append(
            Diagnostic(
                record.path,
                f"language {record.lang!r} is not configured in site.toml; skipped",
                field="lang",
            )
        )
        return None, problems, notices
    if record.draft:
        return None, problems, notices
    if record.date and record.date > today and not config.publish_future:
        notices.append(
            Diagnostic(
                record.path,
                f"dated {record.date.isoformat()}, in the future; held back (set publish_future to publish)",
                field="date",
            )
        )
        return None, problems, notices
    notices.extend(f"{record.path}: {w}" for w in record.warnings)
    return screen_memo(record, problems, notices, config.term_limits, screened), problems, notices


def said(assembly: Assembly, initial: Iterable[str], register_problems: Iterable[str], translated: list[str]):
    """The site's problems and notices, each step's in turn: ``assemble``'s order."""
    problems = list(initial)
    notices = list(register_problems)
    for _, problems_of, notices_of in assembly.admitted:
        problems.extend(problems_of)
        notices.extend(notices_of)
    problems.extend(d for _, d in assembly.duplicates)
    problems.extend(d for _, d in assembly.explicit_problems)
    notices.extend(d for _, d in assembly.explicit_notices)
    notices.extend(d for _, d in assembly.registered_notices)
    notices.extend(d for _, _, d in assembly.numbered)
    notices.extend(translated)
    return tuple(problems), tuple(notices)


def assembled(
    records: Iterable[ArticleRecord],
    config: SiteConfig,
    *,
    today: dt.date,
    problems: Iterable[str] = (),
    register: Register | None = None,
    screened: dict | None = None,
    slugged: SlugMemo | None = None,
) -> tuple[Site, Assembly]:
    """``assemble``, with what it decided on the way (``Assembly``)."""
    urls = Urls(config)
    if register is None:
        register = Register.load(config.permalinks_path)
    register = Register(dict(register.entries), list(register.problems), register.read)
    phases = Assembly()
    kept: list[ArticleRecord] = []
    configured = set(config.taxonomy_names)
    for record in sorted(records, key=lambda r: r.path):
        record_of, problems_of, notices_of = admit(record, config, today, screened)
        if problems_of or notices_of:
            phases.admitted.append((record.path, problems_of, notices_of))
        if record_of is not None:
            kept.append(record_of)
    slug_of = slugify if slugged is None else slugged
    slugs, former = _assign_slugs(kept, register, phases, slug_of)
    counts = _term_counts(r for r in kept if r.path in slugs)
    names = {k: term_name(c) for k, c in counts.items()}
    phases.counts = {k: c for k, c in counts.items() if k[0] in configured}
    term_slugs = _term_slugs(names, slug_of)

    articles: dict[str, list[Article]] = defaultdict(list)
    redirects: list[tuple[str, str]] = []
    shared_refs: dict[tuple[str, str, str], TermRef] = {}  # one (frozen) object per term

    def placed(taxonomy: str, lang: str, key: str, value: str) -> TermRef:
        ident = (taxonomy, lang, key)
        ref = shared_refs.get(ident)
        if ref is None:
            ref = shared_refs[ident] = TermRef(
                key=key, name=names[ident], slug=term_slugs[ident], lang=lang, taxonomy=taxonomy
            )
        return ref

    for record in kept:
        slug = slugs.get(record.path)
        if slug is None:
            continue
        terms = term_refs(record, configured, placed)
        group = translation_group(record)
        path = urls.article(record.lang, slug)
        old_paths = tuple(urls.article(record.lang, s) for s in former.get(record.path, ()))
        redirects.extend((old, path) for old in old_paths)
        articles[record.lang].append(
            Article(
                record=record,
                slug=slug,
                path=path,
                terms=terms,
                translation_group=group,
                former_paths=old_paths,
            )
        )

    by_lang = {
        lang: tuple(sorted(articles.get(lang, ()), key=_newest_first)) for lang in config.language_codes
    }
    translations, translated = translation_groups(by_lang, config.language_codes)
    terms = {}
    for taxonomy in config.taxonomies:
        per_lang = {
            lang: _terms_of(by_lang[lang], taxonomy.name, config.language(lang).locale)
            for lang in config.language_codes
        }
        terms[taxonomy.name] = link_entities(per_lang, config) if taxonomy.entities else per_lang
    problems, notices = said(phases, problems, register.problems, translated)
    site = Site(
        articles=by_lang,
        terms=terms,
        translations=translations,
        problems=problems,
        notices=notices,
        redirects=tuple(sorted(redirects)),
        permalinks=register,
    )
    return site, phases


def translation_groups(by_lang: dict, languages) -> tuple[dict[str, tuple[Article, ...]], list[str]]:
    """Translation group -> its articles, one per language (the newest), for the groups of
    more than one; and the notices about the others."""
    notices: list[str] = []
    translations: dict[str, list[Article]] = {}
    for lang in languages:  # a group's articles of one language are the last ones put in
        for article in by_lang[lang]:
            group = translations.get(article.translation_group)
            if group is None:
                translations[article.translation_group] = [article]
                continue
            if group[-1].record.lang == lang:
                notices.append(
                    Diagnostic(
                        article.record.path,
                        f"translation key {article.translation_group!r} "
                        f"has two {article.lang} articles; linking the newest only",
                        field="translation_key",
                    )
                )
                continue
            group.append(article)
    return {k: tuple(v) for k, v in translations.items() if len(v) > 1}, notices


def term_refs(
    record: ArticleRecord, configured: set[str], ref: Callable[[str, str, str, str], TermRef]
) -> dict[str, tuple[TermRef, ...]]:
    """A record's terms in each configured taxonomy: ``ref(taxonomy, language, key, value)``
    for the first value of each comparison key (``tag_key``), in the record's order."""
    terms: dict[str, tuple[TermRef, ...]] = {}
    for taxonomy, values in record.terms:
        if taxonomy not in configured:
            continue
        refs: list[TermRef] = []
        seen: set[str] = set()
        for value in values:
            key = tag_key(value)
            if key and key not in seen:
                seen.add(key)
                refs.append(ref(taxonomy, record.lang, key, value))
        if refs:
            terms[taxonomy] = tuple(refs)
    return terms


def translation_group(record: ArticleRecord) -> str:
    """The key that links a story with its translations: its ``translation_key``, else its
    id. The last fallback starts with NUL, which no value read from input can hold."""
    return record.translation_key or record.source_id or f"\x00path:{record.path}"


def _terms_of(articles: tuple[Article, ...], taxonomy: str, locale: str) -> tuple[Term, ...]:
    grouped: dict[str, list[Article]] = defaultdict(list)
    refs: dict[str, TermRef] = {}
    for article in articles:
        for ref in article.terms.get(taxonomy, ()):
            grouped[ref.key].append(article)
            refs[ref.key] = ref
    collate = sort_key(locale)
    return tuple(
        Term(
            lang=refs[key].lang,
            key=key,
            name=refs[key].name,
            slug=refs[key].slug,
            articles=tuple(grouped[key]),
            taxonomy=taxonomy,
        )
        for key in sorted(grouped, key=lambda k: (collate(refs[k].name), k))
    )
