"""What a language tag says by itself, from ICU's data (never from a list of codes): its
likely script and the direction that script is written in.

``arz`` (Egyptian Arabic) → Arab → right to left; ``syr`` → Syriac → right to left; ``dv`` →
Thaana → right to left; ``az-Arab`` → right to left; ``ku`` (Kurmanji, Latin) → left to right.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

import icu

_FONTS = tomllib.loads((Path(__file__).parent / "data" / "fonts.toml").read_text(encoding="utf-8"))
FONT_FAMILIES: tuple[str, ...] = tuple(_FONTS["families"])
"""The theme's font families (``data/fonts.toml``; faces in ``static/css/site.css``)."""
_READING = tomllib.loads((Path(__file__).parent / "data" / "reading.toml").read_text(encoding="utf-8"))
_SEARCH = tomllib.loads((Path(__file__).parent / "data" / "search.toml").read_text(encoding="utf-8"))
SEARCH_CLITICS: tuple[str, ...] = (*_SEARCH["clitics"], "none")
"""How a search index may read clitics off words (``data/search.toml``)."""


@lru_cache(maxsize=1024)
def script(tag: str) -> str:
    """The ISO 15924 code of the script ``tag`` is likely written in (``Arab``, ``Latn``);
    ``""`` when ICU knows nothing of it (or the tag is not one)."""
    try:
        return icu.Locale.addLikelySubtags(icu.Locale(tag.replace("-", "_"))).getScript()
    except icu.ICUError:
        return ""


@lru_cache(maxsize=8192)
def char_script(ch: str) -> str:
    """The ISO 15924 code of one character's script (``Arab``, ``Latn``; ``Zyyy`` for digits
    and punctuation, ``Zinh`` for combining marks), from ICU."""
    return icu.Script.getScript(ch).getShortName()


def base_language(tag: str) -> str:
    """The language part of a tag or locale id: ``ar_EG`` → ``ar``, ``ku-Arab`` → ``ku``."""
    return tag.replace("-", "_").split("_")[0]


@lru_cache(maxsize=1024)
def direction(tag: str) -> str:
    """``rtl`` or ``ltr``: the direction of the language's likely script (Unicode's)."""
    codes = icu.Script.getCode(script(tag)) if script(tag) else ()
    return "rtl" if codes and icu.Script(codes[0]).isRightToLeft() else "ltr"


@lru_cache(maxsize=1024)
def default_font(code: str, locale: str | None = None) -> str:
    """The font family a language uses when its configuration names none: its own entry in
    ``data/fonts.toml``, else its script's, else ``latin``."""
    for base in _bases(code, locale):
        if base in _FONTS["languages"]:
            return _FONTS["languages"][base]
    return _FONTS["scripts"].get(script(locale or code), "latin")


def font_preloads(family: str) -> tuple[str, ...]:
    """The static files a page set in ``family`` preloads (``data/fonts.toml``)."""
    return tuple(_FONTS.get("preload", {}).get(family, ()))


def _bases(code: str, locale: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(base_language(tag) for tag in (code, locale or code)))


@lru_cache(maxsize=1024)
def default_search_clitics(code: str, locale: str | None = None) -> str:
    """The clitics a language's search index reads off words when its configuration names
    none: the entry of ``data/search.toml`` that lists its code's or locale's base language,
    else ``none``."""
    for base in _bases(code, locale):
        for kind, languages in _SEARCH["clitics"].items():
            if base in languages:
                return kind
    return "none"


@lru_cache(maxsize=1024)
def default_reading_speed(code: str, locale: str | None = None) -> int:
    """Words per minute for a language whose configuration names none: its script's entry
    in ``data/reading.toml``, else the default there."""
    return int(_READING["scripts"].get(script(locale or code), _READING["default"]))
