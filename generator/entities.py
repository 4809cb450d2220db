"""Cross-language tag identity: which tags of different languages name the same thing.

Two sources, both matched with ``textnorm.match_key`` so spelling variants agree:

- ``[tag_translations]`` in ``site.toml``: a tag matching any value of an entry (in any
  language) is that entry's entity. An entry whose id is a CLDR territory code (``KZ``) adds
  spellings to that country instead of making a new entity. Explicit entries win over CLDR,
  which is how a site says that its Arabic ``عمان`` is Amman, not Oman.
- CLDR territory names in every site language (Babel's ``Locale.territories``), so
  ``كازاخستان``, ``Kazakhstan`` and ``قزاقستان`` are one entity without any configuration.

Pure: configuration and tags in, tags with ``entity`` set out.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Callable, Mapping

from babel import Locale

from .config import SiteConfig
from .model import Tag
from .textnorm import match_key


def _territory_id(code: str) -> str:
    return f"territory:{code}"


@lru_cache(maxsize=8)
def _territory_names(locales: tuple[str, ...]) -> dict[str, str]:
    """Comparison key -> entity id for country and region names in ``locales``.

    Keys that would name two different territories are dropped rather than guessed. Made once
    per process and set of locales (every taxonomy with entities asks): callers only read it.
    """
    found: dict[str, set[str]] = {}
    for locale in locales:
        for code, name in Locale.parse(locale).territories.items():
            if not code.isalpha() or code == "ZZ":
                continue  # numeric UN regions ("World", "Europe") and "Unknown Region"
            key = match_key(name)
            if key:
                found.setdefault(key, set()).add(code)
    return {key: _territory_id(next(iter(codes))) for key, codes in found.items() if len(codes) == 1}


@lru_cache(maxsize=8)
def _territory_codes(locale: str) -> frozenset[str]:
    return frozenset(Locale.parse(locale).territories)


def _configured_names(
    tag_translations: Mapping[str, Mapping[str, str | tuple[str, ...]]], territories: set[str]
) -> dict[str, str]:
    names: dict[str, str] = {}
    for ident, values in sorted(tag_translations.items()):
        entity = _territory_id(ident) if ident in territories else f"tag:{ident}"
        for value in values.values():
            for spelling in (value,) if isinstance(value, str) else value:
                key = match_key(spelling)
                if key:
                    names.setdefault(key, entity)
    return names


def entity_resolver(config: SiteConfig) -> Callable[[str], str | None]:
    """A function from a tag's display name to its entity id (or None)."""
    locales = tuple(dict.fromkeys(lang.locale for lang in config.languages))
    territories = _territory_codes(locales[0]) if locales else frozenset()
    cldr = _territory_names(locales)
    configured = _configured_names(config.tag_translations, territories)

    def resolve(name: str) -> str | None:
        key = match_key(name)
        return configured.get(key) or cldr.get(key)

    return resolve


def link_entities(tags: Mapping[str, tuple[Tag, ...]], config: SiteConfig) -> dict[str, tuple[Tag, ...]]:
    """``tags`` (per language) with ``Tag.entity`` filled in where an entity is known."""
    resolve = entity_resolver(config)
    return {
        lang: tuple(replace(tag, entity=tag.entity or resolve(tag.name)) for tag in items)
        for lang, items in tags.items()
    }


def entity_index(tags: Mapping[str, tuple[Tag, ...]]) -> dict[tuple[str, str], Tag]:
    """``(entity, lang)`` -> the tag that stands for the entity in that language.

    When one language has two tags for one entity (two spellings that CLDR and the site's
    table both know), the one with more articles wins, then the first in collation order.
    """
    index: dict[tuple[str, str], Tag] = {}
    for lang, items in tags.items():
        for tag in items:
            if tag.entity is None:
                continue
            current = index.get((tag.entity, lang))
            if current is None or len(tag.articles) > len(current.articles):
                index[(tag.entity, lang)] = tag
    return index
