"""Configuration stage: ``site.toml`` -> one frozen ``SiteConfig``, passed along explicitly.

Nothing here is global: every other stage receives the config object it needs. Unknown keys
are rejected so that a typo is an error, not a silently ignored setting.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from babel import Locale

from .errors import SahifaError

CALENDARS = ("gregorian", "islamic-umalqura", "islamic-civil", "persian")
ARABIC_MONTH_STYLES = ("egyptian", "levantine", "maghrebi", "both")


@dataclass(frozen=True)
class LanguageConfig:
    """One language of the site (Hugo's Language value object)."""

    code: str
    """BCP 47 code used in URLs and ``lang`` attributes (``ar``, ``fa`` ...)."""
    name: str
    """The language's own name in its own script (for switchers and "also in" links)."""
    locale: str
    """CLDR locale id (``ar_SY``): month names, digits and collation follow it."""
    title: str
    description: str
    calendars: tuple[str, ...]
    """Calendars shown for each date, in order (first is the main one)."""
    digits: str
    """``default`` (the locale's CLDR numbering system), ``latn``, ``arab`` or ``arabext``."""
    arabic_months: str = "both"
    weight: int = 0

    @property
    def direction(self) -> str:
        """``rtl`` or ``ltr`` from CLDR (not from a hand-kept list)."""
        return _direction(self.locale)

    @property
    def babel_locale(self) -> Locale:
        return Locale.parse(self.locale)


@lru_cache(maxsize=None)
def _direction(locale: str) -> str:
    return Locale.parse(locale).text_direction


@dataclass(frozen=True)
class SiteConfig:
    root: Path
    """Folder holding ``site.toml``, ``content/``, ``seeds/``, ``templates/``, ``static/``."""
    title: str
    base_url: str
    """Absolute URL of the site, always ending in ``/`` (may carry a sub-path)."""
    default_language: str
    default_language_at_root: bool
    page_size: int
    publish_future: bool
    languages: tuple[LanguageConfig, ...]
    tag_translations: Mapping[str, Mapping[str, str | tuple[str, ...]]] = field(default_factory=dict)
    allow_raw_html: bool = False
    """Trusted sites may keep raw HTML in Markdown; otherwise it is sanitised."""
    search: bool = True
    """The search page and its static index (``false``: neither, and no link to them)."""

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def seeds_dir(self) -> Path:
        return self.root / "seeds"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def static_dir(self) -> Path:
        return self.root / "static"

    @property
    def input_dirs(self) -> tuple[Path, ...]:
        """Every folder a build reads (the configuration file aside)."""
        return (self.content_dir, self.seeds_dir, self.templates_dir, self.static_dir,
                self.root / "locale")

    @property
    def language_codes(self) -> tuple[str, ...]:
        return tuple(lang.code for lang in self.languages)

    def language(self, code: str) -> LanguageConfig:
        for lang in self.languages:
            if lang.code == code:
                return lang
        raise KeyError(code)

    @property
    def base_path(self) -> str:
        """The URL path part of ``base_url`` (``/`` or ``/news/``)."""
        rest = self.base_url.split("://", 1)[-1]
        path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
        return path if path.endswith("/") else path + "/"


_TOP_KEYS = {"title", "base_url", "default_language", "default_language_at_root", "page_size",
             "publish_future", "languages", "tag_translations", "allow_raw_html",
             "search"}
_LANG_KEYS = {"name", "locale", "title", "description", "calendars", "digits", "arabic_months",
              "weight"}


def _check_keys(where: str, table: Mapping[str, Any], allowed: set[str], path: Path) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SahifaError(str(path), f"unknown setting(s) in {where}: {', '.join(unknown)}")


def _language(code: str, table: Mapping[str, Any], index: int, path: Path) -> LanguageConfig:
    _check_keys(f"[languages.{code}]", table, _LANG_KEYS, path)
    locale = str(table.get("locale", code))
    try:
        Locale.parse(locale)
    except (ValueError, TypeError) as exc:
        raise SahifaError(str(path), f"language {code}: unknown locale {locale!r} ({exc})")
    calendars = tuple(table.get("calendars", ("gregorian",)))
    bad = [c for c in calendars if c not in CALENDARS]
    if bad or not calendars:
        raise SahifaError(str(path), f"language {code}: calendars must be among {CALENDARS}, got {bad}")
    digits = str(table.get("digits", "default"))
    if digits not in ("default", "latn", "arab", "arabext"):
        raise SahifaError(str(path), f"language {code}: digits must be default, latn, arab or arabext")
    months = str(table.get("arabic_months", "both"))
    if months not in ARABIC_MONTH_STYLES:
        raise SahifaError(str(path), f"language {code}: arabic_months must be one of {ARABIC_MONTH_STYLES}")
    return LanguageConfig(
        code=code, name=str(table.get("name", code)), locale=locale,
        title=str(table.get("title", code)), description=str(table.get("description", "")),
        calendars=calendars, digits=digits, arabic_months=months,
        weight=int(table.get("weight", index)),
    )


def parse_config(data: Mapping[str, Any], root: Path, path: Path | None = None) -> SiteConfig:
    """Validate a parsed TOML mapping into a ``SiteConfig``."""
    path = path or root / "site.toml"
    _check_keys("the top level", data, _TOP_KEYS, path)
    langs_table = data.get("languages") or {"en": {"locale": "en"}}
    languages = tuple(sorted(
        (_language(code, table, i, path) for i, (code, table) in enumerate(langs_table.items())),
        key=lambda lang: (lang.weight, lang.code)))
    default = str(data.get("default_language", languages[0].code))
    if default not in {lang.code for lang in languages}:
        raise SahifaError(str(path), f"default_language {default!r} is not among the languages")
    base_url = str(data.get("base_url", "http://127.0.0.1:8000/"))
    if not base_url.endswith("/"):
        base_url += "/"
    page_size = int(data.get("page_size", 10))
    if page_size < 1:
        raise SahifaError(str(path), "page_size must be at least 1")
    # A value is one name or a list of spellings: { ar = ["قاسم جومرت توكاييف", "توكاييف"] }.
    tag_tr = {str(k): MappingProxyType({str(lk): tuple(map(str, lv)) if isinstance(lv, list) else str(lv)
                                        for lk, lv in v.items()})
              for k, v in (data.get("tag_translations") or {}).items()}
    return SiteConfig(
        root=root, title=str(data.get("title", "Sahifa")), base_url=base_url,
        default_language=default,
        default_language_at_root=bool(data.get("default_language_at_root", False)),
        page_size=page_size, publish_future=bool(data.get("publish_future", False)),
        languages=languages, tag_translations=MappingProxyType(tag_tr),
        allow_raw_html=bool(data.get("allow_raw_html", False)),
        search=bool(data.get("search", True)),
    )


def load_config(root: Path, path: Path | None = None, **overrides: Any) -> SiteConfig:
    """Read ``site.toml`` (or ``path``) under ``root``; ``overrides`` replace top-level keys."""
    root = root.resolve()
    path = path or root / "site.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SahifaError(str(path), f"cannot read the configuration: {exc}") from exc
    data.update({k: v for k, v in overrides.items() if v is not None})
    return parse_config(data, root, path)
