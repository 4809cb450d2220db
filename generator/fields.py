"""One field schema for every reader: front matter, seed sidecars, and what later readers make.

``load_yaml`` is the one YAML loader (safe, aliases refused, timestamps left as text,
size-capped). ``read_fields`` checks a mapping of fields against the schema and returns their
clean values under the record's own names, plus one warning per problem that does not stop
the article (an unknown field, a date that cannot be read, an empty tag). A value that makes
the article unusable (a title that is not text, ``draft: maybe``) raises ``SahifaError``
naming the file and the field.

The rules, the same wherever a field comes from:

- ``title``, ``slug``, ``summary``, ``city``, ``translation_key``, ``id``: text (numbers are
  read as text); bidi controls and control characters removed, white space collapsed.
- ``date``, ``updated``: ``2022-01-11`` (a day), ``2022-01-11 14:30`` or
  ``2022-01-11T14:30:00+03:00`` (a time, with or without a zone; without one the site's
  ``timezone`` applies), Unix seconds, or a written date (``11 كانون الثاني 2022``). A date
  that cannot be read leaves the article undated, with a warning; it is never replaced by
  the build's clock.
- every configured taxonomy (and its other field names, e.g. ``author`` for ``authors``): a
  list, or a text split on ``,`` and ``،``; duplicates and empty items dropped.
- ``image``: a path (beside the article or under ``content/images/``) or an http(s) URL, or a
  mapping with ``src``, ``alt``, ``caption``, ``credit``.
- ``draft``: true or false.
- ``top``: true makes the story its language's front-page lead while it is the newest so flagged.
- ``breaking``: true shows a banner for the story on the front page until ``breaking_hours``
  after its time (decided when the site is built).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any, Mapping

import yaml

from .config import DEFAULT_TAXONOMIES, KNOWN_TAXONOMIES, zone
from .dateparse import parse_date_expression
from .errors import SahifaError
from .model import Image
from .paths import climbs
from .textnorm import clean_value, is_blank

MAX_YAML_BYTES = 256_000
"""Front matter and sidecars above this size are refused (a 21 MB sidecar took minutes)."""

MAX_LIST_ITEMS = 1000
"""Items read from one list field (tags, authors ...); the rest are dropped with a warning
while reading. Taxonomies then keep at most their ``max_terms`` (at most 1000)."""

TEXT_FIELDS = ("title", "slug", "summary", "city", "translation_key", "id")
DATE_FIELDS = ("date", "updated")
FLAG_FIELDS = ("draft", "top", "breaking")
OTHER_FIELDS = (*FLAG_FIELDS, "image", "lang", "format", "seed", "seed_hash")


@dataclass(frozen=True)
class Schema:
    """The fields readers accept, from the configuration (picklable: it goes to workers)."""

    taxonomy_fields: Mapping[str, str]
    """Input field -> taxonomy name (``author`` -> ``authors``)."""
    timezone: str = "UTC"
    languages: tuple[tuple[str, str], ...] = ()
    """The site's languages as (code, locale): a detected language maps onto one of them."""

    @classmethod
    def from_config(cls, config) -> "Schema":
        fields = {field: tax.name for tax in config.taxonomies for field in tax.fields}
        languages = tuple((lang.code, lang.locale) for lang in config.languages)
        return cls(taxonomy_fields=fields, timezone=config.timezone, languages=languages)

    @cached_property
    def known(self) -> frozenset[str]:
        return frozenset(TEXT_FIELDS + DATE_FIELDS + OTHER_FIELDS) | frozenset(self.taxonomy_fields)

    @property
    def tzinfo(self) -> dt.tzinfo:
        return zone(self.timezone)

    def key(self) -> str:
        """What a cached record depends on besides its bytes and the code."""
        return f"{list(self.taxonomy_fields.items())} tz={self.timezone} languages={list(self.languages)}"


DEFAULT_SCHEMA = Schema(
    {field: name for name in DEFAULT_TAXONOMIES for field in KNOWN_TAXONOMIES[name]["fields"]}
)
"""The schema of a site that configures no taxonomy (``config.DEFAULT_TAXONOMIES``)."""


# ---- YAML -----------------------------------------------------------------------------
class _SafeLoader(yaml.SafeLoader):
    """SafeLoader without aliases and without implicit timestamps."""

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(None, None, "aliases (*name) are not allowed", event.start_mark)
        return super().compose_node(parent, index)


_RESOLVERS = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SafeLoader.yaml_implicit_resolvers = _RESOLVERS

_CBase = getattr(yaml, "CSafeLoader", None)
if _CBase is not None:

    class _FastLoader(_CBase):  # type: ignore[misc, valid-type]
        """libyaml's safe loader, same resolvers; used only when no anchor or alias can occur."""

    _FastLoader.yaml_implicit_resolvers = _RESOLVERS
else:  # pragma: no cover - PyYAML built without libyaml
    _FastLoader = _SafeLoader

# Anything that might be an anchor (&a) or an alias (*a) sends the text to the slow loader,
# which refuses aliases; false alarms (an asterisk in a title) only cost speed.
_MAYBE_ALIAS = re.compile(r"[&*]")


def load_yaml(text: str, path: str, what: str, *, line_offset: int = 0) -> dict[str, Any]:
    """A YAML mapping of fields, or ``SahifaError`` naming ``path`` and ``what`` (``front
    matter``, ``sidecar x.yml``). Empty text is an empty mapping."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES:
        raise SahifaError(path, f"{what} is larger than {MAX_YAML_BYTES // 1000} kB; skipped")
    loader = _SafeLoader if _MAYBE_ALIAS.search(text) else _FastLoader
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - both loaders are safe loaders
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1 + line_offset})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SahifaError(path, f"invalid YAML in {what}{where}: {problem}") from exc
    except RecursionError:
        raise SahifaError(path, f"invalid YAML in {what}: nested too deeply") from None
    except Exception as exc:  # noqa: BLE001
        # Explicit tags such as ``!!float x`` or ``!!timestamp 2022-02-31`` fail inside
        # PyYAML's constructors with plain Python errors, which are not ``yaml.YAMLError``.
        raise SahifaError(path, f"invalid YAML in {what}: {type(exc).__name__}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SahifaError(path, f"{what} must be a mapping of fields, not a {type(data).__name__}")
    return data


# ---- values ---------------------------------------------------------------------------
def text_value(meta: Mapping, name: str, path: str, *, required: bool = False) -> str | None:
    value = meta.get(name)
    if value is None:
        if required:
            raise SahifaError(path, f"field '{name}' is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise SahifaError(path, f"field '{name}' must be text, not {type(value).__name__}")
    text = clean_value(str(value))
    if required and is_blank(text):
        raise SahifaError(
            path, f"field '{name}' is empty or shows nothing (only spaces, marks or invisible characters)"
        )
    return text


def list_value(value: Any, name: str, path: str, warnings: list[str]) -> tuple[str, ...]:
    """A list field (tags, authors ...): a list, or a text split on ``,`` and ``،``."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: list = re.split(r"[,،]", value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        items = [str(value)]
    elif isinstance(value, list):
        items = value
    else:
        raise SahifaError(
            path, f"field '{name}' must be a list or a comma-separated text, not {type(value).__name__}"
        )
    out: dict[str, None] = {}  # ordered, and a linear de-duplication
    for index, item in enumerate(items):
        if len(out) >= MAX_LIST_ITEMS:
            warnings.append(
                f"{name}: {len(items)} items; only the first {MAX_LIST_ITEMS} different ones are read"
            )
            break
        if index >= 20 * MAX_LIST_ITEMS:
            warnings.append(
                f"{name}: {len(items)} items, mostly empty or repeated; only the first "
                f"{20 * MAX_LIST_ITEMS} are read"
            )
            break
        if isinstance(item, (dict, list)) or item is None or isinstance(item, bool):
            raise SahifaError(path, f"field '{name}' must hold plain words, not nested lists or mappings")
        raw = str(item)
        text = clean_value(raw)
        if is_blank(text):
            if raw.strip() or isinstance(value, list):
                word = "tag" if name in ("tags", "tag") else "value"
                warnings.append(f"{name}: empty {word} {raw[:40]!r} dropped")
            continue
        if text != " ".join(raw.split()):
            warnings.append(
                f"{name}: {raw[:40]!r} had control or bidi characters; they were removed ({text[:40]!r})"
            )
        out[text] = None
    return tuple(out)


_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?)?$",
    re.I,
)


def moment_value(
    value: Any, name: str, tz: dt.tzinfo, warnings: list[str]
) -> tuple[dt.datetime | None, bool]:
    """(aware date-time in ``tz``, whether a time of day was given) or (None, False).

    A day alone is midnight of that day in ``tz``. A time without an offset is in ``tz``; one
    with an offset is converted to ``tz`` (so every page, list and archive uses the site's
    clock). Whatever cannot be read leaves the article undated, with a warning.
    """
    if value is None or value == "":
        return None, False
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        warnings.append(
            f"'{name}' must be a date like 2022-01-11 or 2022-01-11 14:30, "
            f"not {type(value).__name__}; ignored"
        )
        return None, False
    try:
        if isinstance(value, int):
            if 10**8 <= value < 10**11:
                found = dt.datetime.fromtimestamp(value, tz=dt.timezone.utc).astimezone(tz)
                warnings.append(
                    f"'{name}' {value} read as Unix time: {found.isoformat()}; YYYY-MM-DD is safer"
                )
                return found, True
            warnings.append(f"'{name}' {value} is a number, not a date; ignored")
            return None, False
        text = value.strip()
        iso = _ISO.match(text)
        if iso:
            y, mo, d, hh, mm, ss, frac, zone = iso.groups()
            try:
                day = dt.date(int(y), int(mo), int(d))
                if hh is None:
                    return _midnight(day, tz), False
                local = dt.datetime(day.year, day.month, day.day, int(hh), int(mm), int(ss or 0))
            except ValueError:
                warnings.append(f"'{name}' {text[:40]!r} is not a day or time that exists; ignored")
                return None, False
            if zone:
                offset = dt.timezone.utc if zone.upper() == "Z" else _offset(zone)
                if offset is None:
                    warnings.append(f"'{name}' {text[:40]!r} has an impossible UTC offset; ignored")
                    return None, False
                return local.replace(tzinfo=offset).astimezone(tz), True
            return local.replace(tzinfo=tz), True
        found_day = parse_date_expression(text[:200])
        if found_day is None:
            warnings.append(
                f"'{name}' {text[:40]!r} is not a date Sahifa can read "
                "(use YYYY-MM-DD or YYYY-MM-DD HH:MM); ignored"
            )
            return None, False
        warnings.append(f"'{name}' {text[:40]!r} read as {found_day.isoformat()}; YYYY-MM-DD is safer")
        return _midnight(found_day, tz), False
    except (OverflowError, ValueError):
        warnings.append(_OUT_OF_RANGE.format(name=name, value=str(value)[:40]))
        return None, False


_OUT_OF_RANGE = "'{name}' {value!r} is outside the years Sahifa can place; ignored"
"""Year 1 in a zone east of UTC, year 9999 west of it: outside datetime's range."""


def day_start(day: dt.date, tz: dt.tzinfo, name: str, warnings: list[str]) -> dt.datetime | None:
    """Midnight of ``day`` in ``tz`` (a date found in a text, e.g. a seed's dateline), or None
    with a warning when that instant is outside the range of datetime."""
    try:
        return _midnight(day, tz)
    except (OverflowError, ValueError):
        warnings.append(_OUT_OF_RANGE.format(name=name, value=day.isoformat()))
        return None


def seed_id(path: str) -> str:
    """Source id of a seed (and of an article imported from it): ``seed:<file stem>``."""
    return f"seed:{PurePosixPath(path).stem}"


def _offset(zone: str) -> dt.timezone | None:
    digits = zone.replace(":", "")
    hours, minutes = int(digits[1:3]), int(digits[3:5])
    if hours > 23 or minutes > 59:
        return None
    delta = dt.timedelta(hours=hours, minutes=minutes)
    return dt.timezone(-delta if digits[0] == "-" else delta)


def _midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    value = dt.datetime(day.year, day.month, day.day, tzinfo=tz)
    value.astimezone(dt.timezone.utc)  # raises OverflowError at the edges of datetime's range
    return value


_URL = re.compile(r"^https?://[^\s<>\"']+$", re.I)


def image_value(value: Any, path: str, warnings: list[str]) -> Image | None:
    """``image: photo.jpg`` or ``image: {src, alt, caption, credit}``; a bad value is a warning."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = {"src": value}
    if not isinstance(value, dict):
        warnings.append("'image' must be a path, a URL or a mapping with src and alt; ignored")
        return None
    unknown = sorted(set(map(str, value)) - {"src", "alt", "caption", "credit"})
    if unknown:
        warnings.append(f"'image' has unknown field(s) {', '.join(unknown)}; ignored")
    parts = {}
    for key in ("src", "alt", "caption", "credit"):
        item = value.get(key)
        if item is not None and (isinstance(item, bool) or not isinstance(item, (str, int, float))):
            warnings.append(f"'image.{key}' must be text; the image is ignored")
            return None
        parts[key] = clean_value(str(item)) if item is not None else ""
    src = parts["src"]
    if not src:
        warnings.append("'image' has no src; ignored")
        return None
    remote = bool(_URL.match(src))
    if not remote:
        if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I) or src.startswith(("/", "\\")) or climbs(src):
            warnings.append(
                f"'image' {src[:60]!r} is neither an http(s) URL nor a path inside the site; ignored"
            )
            return None
        if not parts["alt"]:
            warnings.append(
                f"'image' {src[:60]!r} has no alt text (describe the photo for readers who cannot see it)"
            )
    return Image(src=src, alt=parts["alt"], caption=parts["caption"], credit=parts["credit"], remote=remote)


def read_fields(
    meta: Mapping[str, Any],
    path: str,
    schema: Schema,
    *,
    what: str = "front matter",
    require_title: bool = False,
) -> tuple[dict[str, Any], list[str]]:
    """Check ``meta`` against the schema: (record values for the fields present, warnings).

    Keys of the result: ``title slug summary city translation_key source_id published timed
    updated draft top breaking image lang format seed terms`` (only those present in ``meta``); ``terms``
    maps each taxonomy given to its values.
    """
    warnings: list[str] = []
    values: dict[str, Any] = {}
    known = schema.known
    for key in sorted((k for k in meta if k not in known), key=str):
        warnings.append(f"unknown field {str(key)[:60]!r} in {what} ignored")
    for name in TEXT_FIELDS:
        if name in meta or (name == "title" and require_title):
            text = text_value(meta, name, path, required=name == "title")
            if text is not None and text != "":
                values["source_id" if name == "id" else name] = text
    tz = schema.tzinfo
    if "date" in meta:
        values["published"], values["timed"] = moment_value(meta["date"], "date", tz, warnings)
    if "updated" in meta:
        values["updated"], _ = moment_value(meta["updated"], "updated", tz, warnings)
    for flag in FLAG_FIELDS:
        if flag in meta:
            if not isinstance(meta[flag], bool):
                raise SahifaError(path, f"field {flag!r} must be true or false")
            values[flag] = meta[flag]
    if "image" in meta:
        values["image"] = image_value(meta["image"], path, warnings)
    for name in ("lang", "format", "seed", "seed_hash"):
        if name in meta:
            text = text_value(meta, name, path)
            if text:
                values[name] = text
    terms: dict[str, dict[str, None]] = {}
    for field_name, taxonomy in schema.taxonomy_fields.items():
        if field_name in meta:
            bucket = terms.setdefault(taxonomy, {})
            for item in list_value(meta[field_name], field_name, path, warnings):
                bucket[item] = None
    if terms:
        values["terms"] = {name: tuple(items) for name, items in terms.items()}
    return values, warnings
