"""Model stage, kept: the last build's model, patched for the stories that changed.

``assemble`` passes over every story several times (slugs, term names, the terms' lists, the
translations): 2.5-3 s at 100,000 stories, where a newsroom's build changes one. A build keeps
the model it made (``model.pickle``, each story's record by its path) with what
``assemble`` decided on the way (``assemble.Assembly``: each step's messages by file, the
slugs taken, the register's holders, the spellings of each term), and the next build starts
from it (``patched``): the stories that changed, came or went are taken out and put in as
``assemble`` places them. Where a change could move another story or rename a term (a slug
another story holds or was numbered against, a term whose display form or URL would change, a
source id used twice, a registered slug taken) the patch gives up and ``assemble`` runs: the
model is the one ``assemble`` makes of the same inputs, field for field and message for
message (``tests/test_modelstate.py`` compares them after random edits).

What a kept model stands for (``patched`` checks it): the code, the configuration and the day
(``model_key``), the problems met finding and reading the sources, and the permalink register
as the last build left it (the digest of the text it wrote, in ``model-since.marshal`` with
the register lines written since the model was kept); each record by its fingerprint.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import marshal
import pickle
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .assemble import (
    Assembly,
    SlugMemo,
    _NUMBERED,
    _newest_first,
    admit,
    assembled,
    explicit_slug,
    numbered_notice,
    owners_after,
    said,
    screen_memo,
    term_name,
    term_refs,
    title_slug,
    translation_group,
    translation_groups,
    write_line,
)
from .cache import _drop, _load, code_fingerprint
from .collation import sort_key
from .config import SiteConfig
from .entities import entity_resolver
from .model import Article, ArticleRecord, Site, Term, TermRef
from .permalinks import Entry, Register
from .tagger import tag_key
from .textnorm import fold_key
from .urls import Urls, slugify
from .write import atomic_write

BASE = "model.pickle"
SINCE = "model-since.marshal"
VERSION = 2
PATCH_LIMIT = 64
"""Stories changed, new or deleted since the kept model beyond which a build assembles its
model anew: each is taken out of or put into lists of the whole site."""
REBASE = 32
"""Stories changed since the kept model from which a patched build keeps its own model (a
build patches the kept model for every change since, one build's or many's)."""


def model_key(config: SiteConfig, today: dt.date) -> str:
    """What a model depends on besides the records and the register: the code, the
    configuration as parsed (profile names included) and the day (stories held back until it)."""
    h = hashlib.sha256(code_fingerprint().encode())
    h.update(repr(config).encode("utf-8", "surrogatepass"))
    h.update(today.isoformat().encode())
    return h.hexdigest()


def _digest(data: bytes | None) -> str:
    return "" if data is None else hashlib.sha256(data).hexdigest()


def _pickled(value) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _base(
    site: Site, assembly: Assembly, records: list[ArticleRecord], problems: list, key: str, token: str
) -> bytes | None:
    """The model as kept (pickled): each story's record by its path (with its source id and
    terms as written, to take it out again), and what stands for it; None when it cannot be
    kept (a record without a fingerprint, two records of one path)."""
    raw = {r.path: r for r in records}
    if len(raw) != len(records) or not all(r.fingerprint for r in records):
        return None
    articles = [a for found in site.articles.values() for a in found]
    held = [a.record for a in articles]
    try:
        for article, record in zip(articles, held):
            article.record = (record.path, record.source_id, record.terms, raw.get(record.path) is not record)
        entries = site.permalinks.entries
        return _pickled(
            {
                "version": VERSION,
                "token": token,
                "key": key,
                "initial": _pickled(list(problems)),
                "fps": {path: r.fingerprint for path, r in raw.items()},
                "articles": site.articles,
                "terms": site.terms,
                "redirects": site.redirects,
                "entries": [(ident, *entries[ident]) for ident in entries],
                "said": (
                    assembly.admitted,
                    assembly.duplicates,
                    assembly.explicit_problems,
                    assembly.explicit_notices,
                    assembly.registered_notices,
                    assembly.numbered,
                    list(site.permalinks.problems),
                ),
                "taken": assembly.taken,
                "owners": assembly.owners,
                "counts": assembly.counts,
                "owner_said": assembly.owner_said,
            }
        )
    finally:
        for article, record in zip(articles, held):
            article.record = record


def _round_trip(entries: dict, idents: Iterable[str]) -> bool:
    """True when the register lines of ``idents`` read back as these entries (an id written
    as a comment line, say, would not): the next build reads the register the patch
    assumes."""
    lines = {ident: entries[ident] for ident in idents}
    if not lines:
        return True
    again = Register.parse(Register(lines).dump().decode("utf-8"))
    return again.entries == lines and not again.problems


class _GiveUp(Exception):
    """The patch cannot be sure to give ``assemble``'s model: assemble it."""


def _merge(entries: list, fresh: list, gone: set[str]) -> list:
    """``entries`` ((path, ...) in path order) without those of ``gone``, with ``fresh``
    ((path, ...), each path's in their order) put in path order."""
    kept = [e for e in entries if e[0] not in gone] if gone else list(entries)
    for item in sorted(fresh, key=lambda e: e[0]):  # stable: one path's entries keep their order
        kept.insert(bisect.bisect_right(kept, item[0], key=lambda e: e[0]), item)
    return kept


@dataclass
class Patched:
    site: Site
    assembly: Assembly
    since: int
    """Stories changed, new or deleted since the kept model."""


def patched(
    base: dict,
    since: dict,
    records: list[ArticleRecord],
    config: SiteConfig,
    *,
    today: dt.date,
    problems: list,
    register_data: bytes | None,
    screened: dict | None,
    slugged: SlugMemo | None,
) -> Patched | None:
    """``assembled(records, ...)`` made by patching the kept model (``base``, with the
    register lines written ``since``), or None when they do not stand for these inputs or the
    patch gives up."""
    if base.get("version") != VERSION or base.get("token") != since.get("token"):
        return None
    if base.get("key") != model_key(config, today) or since.get("register") != _digest(register_data):
        return None
    if base["initial"] != _pickled(list(problems)):
        return None
    fps = base["fps"]
    current = {r.path: r for r in records}
    if len(current) != len(records):
        return None
    now = {path: r.fingerprint for path, r in current.items()}
    if "" in now.values():
        return None  # a record not digested: nothing says whether it changed
    changed = [path for path, _ in now.items() - fps.items()]
    removed = list(fps.keys() - now.keys())
    if len(changed) + len(removed) > PATCH_LIMIT:
        return None
    try:
        site, assembly = _patch(
            base,
            since,
            current,
            set(changed),
            set(removed),
            config,
            today,
            problems,
            register_data,
            screened,
            slugged,
        )
    except _GiveUp:
        return None
    except Exception:  # noqa: BLE001 - a kept model that does not fit is an absent one
        return None
    return Patched(site, assembly, len(changed) + len(removed))


def _patch(base, since, current, changed, removed, config, today, problems, register_data, screened, slugged):
    (
        admitted,
        duplicates,
        explicit_problems,
        explicit_notices,
        registered_notices,
        numbered,
        register_problems,
    ) = base["said"]
    if duplicates or explicit_problems or registered_notices or register_problems:
        raise _GiveUp  # a story skipped or moved for another's sake: any change may undo it
    dirty = changed | removed
    slug_of = slugify if slugged is None else slugged
    limits = config.term_limits
    configured = set(config.taxonomy_names)
    langs = config.language_codes
    urls = Urls(config)
    if list(base["articles"]) != list(langs):
        raise _GiveUp

    # The model as kept, each story with its record as read now.
    gone: dict[str, tuple[Article, str, tuple]] = {}  # path -> (article, source id, terms as written)
    lang_of: dict[int, str] = {}
    ids: set[str] = set()
    by_lang: dict[str, list[Article]] = {}
    for lang, articles in base["articles"].items():
        for article in articles:
            path, sid, rterms, was_screened = article.record
            if path in dirty:
                gone[path] = (article, sid, rterms)
                lang_of[id(article)] = lang
                continue
            record = current[path]
            if was_screened:
                record = screen_memo(record, [], [], limits, screened)
            article.record = record
            ids.add(sid)
        by_lang[lang] = list(articles)
    site_terms: dict[str, dict[str, list[Term]]] = base["terms"]

    taken: dict = base["taken"]
    owners: dict = base["owners"]
    counts: dict = base["counts"]
    new = tuple.__new__
    entries = {ident: new(Entry, rest) for ident, *rest in base["entries"]}
    written = since.get("entries", {})
    if written:
        before = {ident: entries[ident] for ident in written if ident in entries}
        for ident, rest in written.items():
            entries[ident] = new(Entry, rest)
        owners = owners_after(owners, before, list(written), entries)
    read_entries = dict(entries)
    others_numbered = {place for path, place, _ in numbered if path not in dirty}
    former_places: set = set()
    for entry in entries.values():
        if entry.former:
            for slug in entry.former:
                former_places.add((entry.lang, slug))
                former_places.add((entry.lang, fold_key(slug)))

    def unmoved(place) -> None:
        """Give up when ``place`` (taken or freed now) changes what another story is told
        or where its former addresses lead."""
        if place in others_numbered or place in former_places:
            raise _GiveUp

    touched: set[tuple[str, str, str]] = set()  # (taxonomy, language, key) whose spellings changed

    def count(rterms, lang: str, step: int) -> None:
        for taxonomy, values in rterms:
            if taxonomy not in configured:
                continue
            for value in values:
                key = tag_key(value)
                if not key:
                    continue
                ident = (taxonomy, lang, key)
                touched.add(ident)
                spellings = counts.get(ident)
                if step > 0:
                    if spellings is None:
                        counts[ident] = {value: 1}
                    else:
                        spellings[value] = spellings.get(value, 0) + 1
                else:
                    left = spellings[value] - 1
                    if left:
                        spellings[value] = left
                    else:
                        del spellings[value]
                        if not spellings:
                            del counts[ident]

    # Out: the stories changed or deleted.
    leaving: set[int] = set()
    freed: dict = {}  # place -> the path that left it
    redirects = list(base["redirects"])
    gone_paths = set()
    for rpath, (article, sid, rterms) in gone.items():
        lang = lang_of[id(article)]
        place = (lang, fold_key(article.slug))
        if owners.get(place) not in (None, sid) or taken.get(place) != rpath:
            raise _GiveUp
        freed[place] = rpath
        del taken[place]
        count(rterms, lang, -1)
        leaving.add(id(article))
        gone_paths.add(article.path)
        ids.discard(sid)
    if gone_paths:
        redirects = [pair for pair in redirects if pair[1] not in gone_paths]

    # In: the stories changed or new, step by step as ``assemble`` places them.
    fresh_admitted: list = []
    arriving: list[ArticleRecord] = []
    for rpath in sorted(changed):
        record, problems_of, notices_of = admit(current[rpath], config, today, screened)
        if problems_of or notices_of:
            fresh_admitted.append((rpath, problems_of, notices_of))
        if record is None:
            continue
        if record.source_id in ids:
            raise _GiveUp  # an id used twice: which story is skipped depends on the others
        ids.add(record.source_id)
        arriving.append(record)
    slugs: dict[str, str] = {}
    fresh_explicit: list = []
    fresh_numbered: list = []
    owner_said = [entry for entry in base["owner_said"] if entry[0] not in dirty]
    for record in arriving:  # explicit slugs
        if not record.slug:
            continue
        path = record.path
        slug, said_of = explicit_slug(record, slug_of)
        fresh_explicit.extend((path, notice) for notice in said_of)
        place = (record.lang, fold_key(slug))
        if place in taken or owners.get(place, record.source_id) != record.source_id:
            raise _GiveUp
        taken[place] = path
        slugs[path] = slug
    for record in arriving:  # registered slugs
        if record.slug:
            continue
        entry = entries.get(record.source_id)
        if entry is None or entry.lang != record.lang:
            continue
        place = (record.lang, fold_key(entry.slug))
        if place in taken or owners.get(place, record.source_id) != record.source_id:
            raise _GiveUp
        taken[place] = record.path
        slugs[record.path] = entry.slug

    for record in arriving:  # slugs made from titles, numbered when taken
        if record.slug:
            continue
        registered = slugs.get(record.path)
        if registered is not None and not (registered[-1:].isdigit() and _NUMBERED.search(registered)):
            continue
        stem = title_slug(record, slug_of)
        if registered is not None:
            if re.fullmatch(re.escape(stem) + r"-\d+", registered):
                fresh_numbered.append(numbered_notice(record, stem, registered, taken, owners, owner_said))
            continue
        slug, n = stem, 1
        while (record.lang, fold_key(slug)) in taken or owners.get(
            (record.lang, fold_key(slug)), record.source_id
        ) != record.source_id:
            n += 1
            slug = f"{stem}-{n}"
        if n > 1:
            fresh_numbered.append(numbered_notice(record, stem, slug, taken, owners, owner_said))
        taken[(record.lang, fold_key(slug))] = record.path
        slugs[record.path] = slug
    arrived = {(record.lang, fold_key(slugs[record.path])): record.path for record in arriving}
    for place in {*freed, *arrived}:
        if freed.get(place) != arrived.get(place):  # not a story back in its own place
            unmoved(place)
    # The register as this build leaves it, and the redirects it asks for.
    updated: list[str] = []
    before: dict[str, Entry] = {}
    former: dict[str, tuple[str, ...]] = {}
    for record in arriving:
        moved = write_line(record, slugs[record.path], entries, taken, before, updated)
        if moved:
            former[record.path] = moved
    owners = owners_after(owners, before, updated, entries)

    # Terms: a changed display form or a new URL another term could want: assemble.
    for record in arriving:
        count(record.terms, record.lang, +1)
    term_index: dict[tuple[str, str], dict[str, Term]] = {}

    def terms_of(taxonomy: str, lang: str) -> dict[str, Term]:
        found = term_index.get((taxonomy, lang))
        if found is None:
            found = term_index[(taxonomy, lang)] = {t.key: t for t in site_terms[taxonomy][lang]}
        return found

    new_refs: dict[tuple[str, str, str], TermRef] = {}
    for ident in sorted(touched):
        taxonomy, lang, key = ident
        if taxonomy not in site_terms or lang not in site_terms[taxonomy]:
            raise _GiveUp
        known = terms_of(taxonomy, lang).get(key)
        spellings = counts.get(ident)
        if spellings is None:
            if known is not None:
                _freed(known.slug, site_terms[taxonomy][lang], key)
            continue
        name = term_name(spellings)
        if known is not None:
            if name != known.name:
                raise _GiveUp
            continue
        stem = slug_of(name, key)
        if stem in ("page", "feed.xml"):
            stem += "-"
        folded = fold_key(stem)
        if any(fold_key(t.slug) == folded for t in site_terms[taxonomy][lang]) or any(
            r.taxonomy == taxonomy and r.lang == lang and fold_key(r.slug) == folded
            for r in new_refs.values()
        ):
            raise _GiveUp
        new_refs[ident] = TermRef(key=key, name=name, slug=stem, lang=lang, taxonomy=taxonomy)

    def placed(taxonomy: str, lang: str, key: str, value: str) -> TermRef:
        ref = new_refs.get((taxonomy, lang, key))
        if ref is None:
            term = terms_of(taxonomy, lang)[key]
            ref = new_refs[(taxonomy, lang, key)] = TermRef(
                key=key, name=term.name, slug=term.slug, lang=lang, taxonomy=taxonomy
            )
        return ref

    # The stories' lists.
    coming: list[Article] = []
    for record in arriving:
        slug = slugs[record.path]
        path = urls.article(record.lang, slug)
        old_paths = tuple(urls.article(record.lang, s) for s in former.get(record.path, ()))
        redirects.extend((old, path) for old in old_paths)
        coming.append(
            Article(
                record=record,
                slug=slug,
                path=path,
                terms=term_refs(record, configured, placed),
                translation_group=translation_group(record),
                former_paths=old_paths,
            )
        )
    for lang in langs:
        articles = by_lang[lang]
        if leaving:
            articles = [a for a in articles if id(a) not in leaving]
        for article in coming:
            if article.lang == lang:
                articles.insert(
                    bisect.bisect_left(articles, _newest_first(article), key=_newest_first), article
                )
        by_lang[lang] = articles
    affected: dict[tuple[str, str], None] = {}
    for article in [*(a for a, _, _ in gone.values()), *coming]:
        lang = lang_of.get(id(article)) or article.lang
        for taxonomy, found in article.terms.items():
            affected[(taxonomy, lang)] = None
    for taxonomy, lang in affected:
        if taxonomy not in site_terms:
            continue
        known = terms_of(taxonomy, lang)
        joining: dict[str, list[Article]] = {}
        for article in coming:
            if article.lang == lang:
                for ref in article.terms.get(taxonomy, ()):
                    joining.setdefault(ref.key, []).append(article)
        keys = set(joining)
        for article, _, _ in gone.values():
            if lang_of[id(article)] == lang:
                keys.update(ref.key for ref in article.terms.get(taxonomy, ()))
        collate = None
        resolve = None
        replaced: dict[str, Term | None] = {}
        added: list[Term] = []
        for key in sorted(keys):
            term = known.get(key)
            members = [a for a in term.articles if id(a) not in leaving] if term is not None else []
            for article in joining.get(key, ()):
                members.insert(
                    bisect.bisect_left(members, _newest_first(article), key=_newest_first), article
                )
            if term is not None:
                replaced[key] = (
                    Term(lang, key, term.name, term.slug, tuple(members), term.entity, taxonomy)
                    if members
                    else None
                )
                continue
            ref = new_refs[(taxonomy, lang, key)]
            entity = None
            if config.taxonomy(taxonomy).entities:
                resolve = resolve or entity_resolver(config)
                entity = resolve(ref.name)
            added.append(Term(lang, key, ref.name, ref.slug, tuple(members), entity, taxonomy))
        listed = [replaced.get(t.key, t) for t in site_terms[taxonomy][lang]]
        listed = [t for t in listed if t is not None]
        if added:
            collate = sort_key(config.language(lang).locale)
            for fresh in added:
                at = bisect.bisect_left(
                    listed, (collate(fresh.name), fresh.key), key=lambda t: (collate(t.name), t.key)
                )
                listed.insert(at, fresh)
        site_terms[taxonomy][lang] = tuple(listed)
        term_index.pop((taxonomy, lang), None)

    translations, translated = translation_groups(by_lang, langs)
    assembly = Assembly(
        admitted=_merge(admitted, fresh_admitted, dirty),
        duplicates=[],
        explicit_problems=[],
        explicit_notices=_merge(explicit_notices, fresh_explicit, dirty),
        registered_notices=[],
        numbered=_merge(numbered, fresh_numbered, dirty),
        taken=taken,
        owners=owners,
        updated=updated,
        counts=counts,
        owner_said=owner_said,
    )
    register = Register(entries, [], None)
    if register_data is not None:
        text = register_data.decode("utf-8", "replace")
        register.read = (text, read_entries)
    problems_all, notices = said(assembly, problems, [], translated)
    site = Site(
        articles={lang: tuple(by_lang[lang]) for lang in langs},
        terms=site_terms,
        translations=translations,
        problems=problems_all,
        notices=notices,
        redirects=tuple(sorted(redirects)),
        permalinks=register,
    )
    return site, assembly


def _freed(slug: str, listed: list[Term], key: str) -> None:
    """Give up when a term that goes leaves a URL another term of its list was numbered
    away from (``assemble._term_slugs``)."""
    base = re.sub(r"-\d+\Z", "", fold_key(slug))
    for term in listed:
        if term.key != key:
            other = fold_key(term.slug)
            if other == base or other.startswith(base + "-"):
                raise _GiveUp


@dataclass
class Model:
    """The site's model and how it was made (``make``)."""

    site: Site
    assembly: Assembly
    key: str
    folder: Path | None
    """The build cache's folder, where the model is kept (None: not kept)."""
    base: str | None = None
    """The kept model's token when this one is patched from it (None: assembled)."""
    since: dict | None = None
    """The register lines written since the kept model was (patched: the next build's too)."""
    changes: int = 0
    """Stories changed, new or deleted since the kept model (patched)."""

    @property
    def patched(self) -> bool:
        return self.base is not None

    def keep(self, records: list[ArticleRecord], problems: list) -> None:
        """Keep what the next build patches, once the register is saved (its digest says
        which register the kept model goes with): a model assembled, or patched far from the
        one kept, is kept whole; else the register lines written since."""
        if self.folder is None:
            return
        digest = getattr(self.site.permalinks, "saved", None)
        since_path = self.folder / SINCE
        owners = self.assembly.owners
        if (
            digest is None
            or not _round_trip(self.site.permalinks.entries, self.assembly.updated)
            or any(owners.get(place) != holder for _, place, holder in self.assembly.owner_said)
        ):
            # The next build reads a register that says something else than this model does
            # (a story's line now names it the holder of an address another had): assemble.
            _drop(since_path)
            return
        entries = self.site.permalinks.entries
        if self.patched and self.changes <= REBASE:
            token = self.base
            since = dict(self.since or {})
            since.update((ident, tuple(entries[ident])) for ident in self.assembly.updated)
        else:
            token = secrets.token_hex(8)
            data = _base(self.site, self.assembly, records, problems, self.key, token)
            if data is None:
                _drop(since_path)
                _drop(self.folder / BASE)
                return
            _save(self.folder / BASE, data)
            since = {}
        _save(since_path, marshal.dumps({"token": token, "register": digest, "entries": since}))


def _save(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data)


def make(
    records: list[ArticleRecord],
    config: SiteConfig,
    *,
    today: dt.date,
    problems: list,
    screened: dict | None,
    slugged: SlugMemo | None,
    folder: Path | None,
) -> Model:
    """The site's model: patched from the one the last build kept (``folder``: the build
    cache's) where that is exact, else assembled."""
    path = config.permalinks_path
    data: bytes | None = None
    register: Register | None = None
    if path is None:
        register = Register()
    else:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            register = Register()
        except OSError:
            register = Register.load(path)  # says why it cannot be read
    key = model_key(config, today)
    if folder is not None and path is not None and (register is None or not register.problems):
        since = _load(folder / SINCE, plain=True)
        if isinstance(since, dict) and since.get("register") == _digest(data):
            base = _load(folder / BASE)
            if isinstance(base, dict) and base.get("version") == VERSION:
                done = patched(
                    base,
                    since,
                    records,
                    config,
                    today=today,
                    problems=problems,
                    register_data=data,
                    screened=screened,
                    slugged=slugged,
                )
                if done is not None:
                    return Model(
                        done.site, done.assembly, key, folder, base["token"], since["entries"], done.since
                    )
    if register is None:
        register = Register.parse(data.decode("utf-8", "replace"), path.name)
    site, assembly = assembled(
        records, config, today=today, problems=problems, register=register, screened=screened, slugged=slugged
    )
    return Model(site, assembly, key, folder if path is not None else None)
