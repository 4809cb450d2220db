"""i18n stage: gettext catalogues (managed with Babel) and locale-aware numbers.

Catalogues live in ``locale/<lang>/LC_MESSAGES/messages.po``. They are read with Babel and
compiled in memory, so a fresh clone builds without a separate ``pybabel compile`` step
(``pybabel compile`` still works and is how translators check their files).
"""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from babel import Locale
from babel.lists import format_list
from markupsafe import Markup, escape
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import UnsupportedNumberingSystemError, format_decimal
from babel.support import NullTranslations, Translations

from .calendar_format import DIGITS, apply_digits


def catalogue_path(locale_dir: Path, lang: str) -> Path:
    return locale_dir / lang / "LC_MESSAGES" / "messages.po"


def _mo_bytes(po_files: tuple[tuple[str, str], ...], lang: str) -> bytes:
    """One catalogue from several (path, digest), the first file's translation of a
    message winning (a theme's catalogue overrides single messages of the shipped one),
    compiled (``.mo`` bytes)."""
    merged = None
    for po_path, *_ in reversed(po_files):
        with open(po_path, "rb") as fh:
            catalog = read_po(fh, locale=lang)
        if merged is None:
            merged = catalog
            continue
        for message in catalog:
            if not message.id or not message.string:
                continue
            existing = merged.get(message.id, context=message.context)
            if existing is None:
                merged[message.id] = message
            else:  # (assigning to the catalogue would keep the old translation)
                existing.string = message.string
    buf = io.BytesIO()
    write_mo(buf, merged)
    return buf.getvalue()


@lru_cache(maxsize=64)
def _translations(mo: bytes) -> Translations:
    return Translations(io.BytesIO(mo))


_COMPILED: dict = {}
"""The catalogues this process compiled, for a caller without the build cache's memo."""


def _kept(compiled: dict | None, key: tuple, stamp: tuple, make):
    """``make()``, kept in ``compiled`` (this process's own when None) under ``key`` with the
    ``stamp`` of the files it was made from, and made again when the stamp is not the same."""
    compiled = _COMPILED if compiled is None else compiled
    kept = compiled.get(key)
    if kept is None or kept[0] != stamp:
        kept = compiled[key] = (stamp, make())
    return kept[1]


def _stamped(path: Path) -> tuple[str, str] | None:
    """(path, digest of the bytes) of a file; None if there is none. Reading and digesting a
    catalogue takes a fraction of parsing it."""
    try:
        with open(path, "rb") as fh:
            return (str(path), hashlib.blake2b(fh.read(), digest_size=16).hexdigest())
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def translations_for(
    locale_dirs: Path | Sequence[Path], lang: str, compiled: dict | None = None
) -> NullTranslations:
    """Translations for ``lang`` from the catalogues in ``locale_dirs`` (earlier folders
    override later ones). English, the source language, needs none.

    ``compiled``: catalogues compiled by earlier builds (the build cache's memo, by language:
    the files' (path, digest) and the ``.mo`` bytes; None: this process's own), used while the
    files are the same and updated here when not: reading a ``.po`` file with Babel takes
    milliseconds a file."""
    folders = [locale_dirs] if isinstance(locale_dirs, Path) else list(locale_dirs)
    present = tuple(filter(None, (_stamped(catalogue_path(folder, lang)) for folder in folders)))
    if not present:
        return NullTranslations()
    return _translations(_kept(compiled, ("mo", lang), present, lambda: _mo_bytes(present, lang)))


SOURCE_LANGUAGE = "en"
"""The language the templates are written in (their messages need no catalogue)."""


def _template_ids(pot: tuple[str, str]) -> tuple[str, ...]:
    with open(pot[0], "rb") as fh:
        return tuple(m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id)


def missing_messages(
    locale_dirs: Sequence[Path], lang: str, locale: str, compiled: dict | None = None
) -> list[str]:
    """The interface messages (``messages.pot`` of the theme layers) that ``lang``'s merged
    catalogue does not translate: they show in English. None for the source language.
    ``compiled``: as for ``translations_for`` (the templates' messages kept by file too)."""
    if locale.replace("-", "_").split("_")[0] == SOURCE_LANGUAGE:
        return []
    pots = list(filter(None, (_stamped(folder / "messages.pot") for folder in locale_dirs)))
    if not pots:
        return []
    ids: dict[str, None] = {}
    for pot in pots:
        ids.update(dict.fromkeys(_kept(compiled, ("pot", pot[0]), pot, lambda: _template_ids(pot))))
    translations = translations_for(locale_dirs, lang, compiled)
    catalog = getattr(translations, "_catalog", {})
    return [i for i in ids if not catalog.get(i) and not catalog.get((i, 0))]


def numbering_system(locale: str, digits: str) -> str:
    """The digits a language shows: its setting, or the locale's CLDR default."""
    if digits != "default":
        return digits
    system = Locale.parse(locale).default_numbering_system
    return system if system in DIGITS else "latn"


def to_digits(text: str, system: str) -> str:
    """Write the digits of ``text`` in the numbering system's digits (Babel prints Latin ones)."""
    return apply_digits(text, system)


@lru_cache(maxsize=8192)
def format_number(value: int | float, locale: str, system: str) -> str:
    """``value`` with the locale's grouping and the numbering system's digits and symbols.

    Babel picks the separators that belong to the numbering system (Persian ``۱٬۲۳۴٫۵``, not
    ``۱,۲۳۴.۵``) but always prints ASCII digits, which ``to_digits`` then replaces. A locale
    without symbols for ``system`` falls back to its Latin ones. A whole number of a locale
    that groups by threes from 1,000 on (``_grouping``: most) is grouped here, as Babel
    would: the page numbers of 2,500 front pages are asked for on every publish.
    """
    if type(value) is int and value >= 0:
        separator = _grouping(locale, system)
        if separator is not None:
            return to_digits(f"{value:,}".replace(",", separator) if value >= 1000 else str(value), system)
    return to_digits(_format_decimal(value, locale, system), system)


def _format_decimal(value: int | float, locale: str, system: str) -> str:
    try:
        return format_decimal(value, locale=locale, numbering_system=system)
    except UnsupportedNumberingSystemError:
        return format_decimal(value, locale=locale, numbering_system="latn")


@lru_cache(maxsize=None)
def _grouping(locale: str, system: str) -> str | None:
    """The group separator of a locale that writes whole numbers as ``1,000``, ``12,345`` and
    ``1,234,567`` (with its own separator, nothing around); None for any other way (a
    minimum of two grouped digits, ``1000`` in Spanish; Indian grouping, ``12,34,567``)."""
    samples = {n: _format_decimal(n, locale, system) for n in (7, 999, 1000, 12345, 1234567, 123456789)}
    separator = samples[1000][1:-3]
    if not separator or any(ch.isdigit() for ch in separator):
        return None
    expected = {n: f"{n:,}".replace(",", separator) for n in samples}
    return separator if samples == expected else None


def isolated_list(items, locale: str) -> Markup:
    """Items joined the locale's way (``A، B و C``, ``A, B and C``), each inside ``<bdi>``.

    Names of people, agencies and places can be in any script; isolating each one keeps a
    Latin name from dragging the locale's commas and conjunctions to the wrong side.
    """
    parts = [str(Markup("<bdi>%s</bdi>") % escape(item)) for item in items]
    if not parts:
        return Markup("")
    return Markup(format_list(parts, locale=locale))
