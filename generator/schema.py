"""The one declaration of what ``site.toml`` may hold: every key, its type, its range or
choices, its default and what it does.

``config`` reads the file through ``read_table``; ``docs/configuration.md`` is made from the
same declaration (``reference``; a test checks the file is current). Values are checked
strictly: ``search = "false"`` is text, not a truth value, and is an error, as is a
``page_size`` of ``"ten"`` or ``0``. Every error names the file, the table, the key, what was
found and what was expected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .errors import SahifaError
from .languages import FONT_FAMILIES, SEARCH_CLITICS


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str
    """``bool``, ``int``, ``seconds``, ``text``, ``choice``, ``texts`` (a list of texts),
    ``choices`` (a list of choices), ``table`` (checked by its own reader), ``tables`` (a list
    of tables: ``[[name]]``), ``any``."""
    default: Any
    doc: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    expect: str = ""
    """What a value must be, in words, when the kind alone does not say it."""


def _found(value: Any) -> str:
    kinds = {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "the text",
        list: "a list",
        dict: "a table",
    }
    kind = next((name for t, name in kinds.items() if isinstance(value, t)), type(value).__name__)
    shown = repr(value) if not isinstance(value, (list, dict)) else ""
    if isinstance(value, str):
        shown = '"' + value[:60] + ('..."' if len(value) > 60 else '"')
    elif isinstance(value, bool):
        return "true" if value else "false"
    return f"{kind} {shown}".strip()


def _expected(setting: Setting) -> str:
    if setting.expect:
        return setting.expect
    kind = setting.kind
    if kind == "bool":
        return "true or false"
    if kind in ("int", "seconds", "number"):
        what = {"int": "a whole number", "seconds": "a number of seconds", "number": "a number"}[kind]
        if setting.minimum is not None and setting.maximum is not None:
            return f"{what} from {setting.minimum:g} to {setting.maximum:g}"
        if setting.minimum is not None:
            return f"{what} of at least {setting.minimum:g}"
        return what
    if kind == "text":
        return "a text in quotes"
    if kind == "choice":
        return "one of " + ", ".join(f'"{c}"' for c in setting.choices)
    if kind == "texts":
        return 'a list of texts, such as ["a", "b"]'
    if kind == "choices":
        return "a list of " + ", ".join(f'"{c}"' for c in setting.choices)
    if kind == "table":
        return "a table"
    if kind == "tables":
        return f"one [[{setting.name}]] table each"
    return "a value"


def check(setting: Setting, value: Any, where: str, path: Path | str) -> Any:
    """``value`` if it fits ``setting``, else ``SahifaError`` naming the key."""
    kind, ok = setting.kind, True
    if kind == "bool":
        ok = isinstance(value, bool)
    elif kind in ("int", "seconds", "number"):
        number = (int,) if kind == "int" else (int, float)
        ok = isinstance(value, number) and not isinstance(value, bool) and math.isfinite(value)
        ok = ok and (setting.minimum is None or value >= setting.minimum)
        ok = ok and (setting.maximum is None or value <= setting.maximum)
    elif kind == "text":
        ok = isinstance(value, str)
    elif kind == "file-or-false":
        ok = isinstance(value, str) or value is False
    elif kind == "choice":
        ok = isinstance(value, str) and value in setting.choices
    elif kind == "texts":
        ok = isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)
    elif kind == "choices":
        ok = isinstance(value, list) and bool(value) and all(v in setting.choices for v in value)
    elif kind == "table":
        ok = isinstance(value, Mapping)
    elif kind == "tables":
        ok = isinstance(value, list) and all(isinstance(v, Mapping) for v in value)
    if not ok:
        raise SahifaError(
            str(path), f"{where}{setting.name}: found {_found(value)}, expected {_expected(setting)}"
        )
    return float(value) if kind in ("seconds", "number") else value


def read_table(
    table: Mapping[str, Any], settings: tuple[Setting, ...], where: str, path: Path | str
) -> dict[str, Any]:
    """Every setting of ``settings`` from ``table`` (checked) or its default; unknown keys are
    an error listing the known ones. ``where`` prefixes the key in messages
    (``"[languages.fa] "``)."""
    if not isinstance(table, Mapping):
        raise SahifaError(
            str(path), f"{where.strip() or 'the top level'}: found {_found(table)}, expected a table"
        )
    known = {s.name: s for s in settings}
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise SahifaError(
            str(path),
            f"{where}unknown setting(s) {', '.join(unknown)}; known here: {', '.join(known)}",
        )
    return {
        name: check(setting, table[name], where, path) if name in table else setting.default
        for name, setting in known.items()
    }


CALENDAR_NAMES = ("gregorian", "islamic-umalqura", "islamic-civil", "persian")
DIGIT_SYSTEMS = ("default", "latn", "arab", "arabext")
MONTH_STYLES = ("egyptian", "levantine", "maghrebi", "both")
SHOW_PLACES = ("header", "footer", "none")
JSONLD_PROPERTIES = ("keywords", "author", "articleSection", "sourceOrganization")

TOP = (
    Setting("title", "text", "Sahifa", "the site's name (each language may give its own)"),
    Setting(
        "base_url",
        "text",
        "http://127.0.0.1:8000/",
        "the address the site is published at, with an optional sub-path",
        expect='an absolute http(s) URL in quotes ("https://example.org/news/")',
    ),
    Setting("default_language", "text", None, "the language of `/` (default: the first language)"),
    Setting(
        "default_language_at_root",
        "bool",
        False,
        "the default language's pages live at `/` instead of `/<code>/`",
    ),
    Setting("page_size", "int", 10, "stories per home, term and archive page", minimum=1, maximum=1000),
    Setting(
        "breaking_hours",
        "int",
        6,
        "hours a story flagged `breaking` keeps its front-page banner after its time (decided "
        "when the site is built: a scheduled rebuild takes the banner down)",
        minimum=0,
        maximum=24 * 14,
    ),
    Setting(
        "publish_future",
        "bool",
        False,
        "publish stories dated after the build's clock (else they are held back, with a warning)",
    ),
    Setting(
        "timezone",
        "text",
        "UTC",
        "the zone of times written without an offset",
        expect='an IANA zone name in quotes ("Asia/Riyadh", "UTC")',
    ),
    Setting(
        "permalinks",
        "file-or-false",
        "permalinks.tsv",
        "the register of each story's first URL (commit it); false: URLs follow the titles",
        expect="a file name in the site folder, in quotes, or false",
    ),
    Setting(
        "article_time_limit",
        "seconds",
        10.0,
        "seconds one input may take to read and convert (0: no limit)",
        minimum=0,
        maximum=3600,
    ),
    Setting(
        "allow_raw_html", "bool", False, "trusted sites: keep raw HTML in Markdown (else it is sanitised)"
    ),
    Setting("search", "bool", True, "the search page and its static index"),
    Setting("languages", "table", None, "one `[languages.<code>]` table per language (below)"),
    Setting(
        "taxonomies", "table", None, "one `[taxonomies.<name>]` table per way of grouping stories (below)"
    ),
    Setting(
        "term_translations",
        "table",
        None,
        'terms that name one thing in several languages: `id = { ar = "...", en = "..." }`',
    ),
    Setting("tag_translations", "table", None, "the former name of `term_translations`, still read"),
    Setting(
        "feeds",
        "tables",
        None,
        "the feeds `python build.py fetch` follows: one `[[feeds]]` table each (below)",
    ),
    Setting("fetch", "table", None, "how `python build.py fetch` behaves on the network: `[fetch]` (below)"),
)

FETCH = (
    Setting(
        "contact",
        "text",
        "",
        "a URL or e-mail address put in the User-Agent, so that feed owners can reach you "
        "(default: the site's base_url)",
    ),
    Setting(
        "concurrency", "int", 32, "requests in flight at once, all hosts together", minimum=1, maximum=512
    ),
    Setting("per_host", "int", 2, "requests in flight at once to one host", minimum=1, maximum=16),
    Setting("host_delay", "seconds", 0.5, "seconds between two requests to one host", minimum=0, maximum=60),
    Setting(
        "timeout",
        "seconds",
        20.0,
        "seconds to connect, and seconds a host may stay silent while answering",
        minimum=1,
        maximum=600,
    ),
    Setting(
        "deadline",
        "seconds",
        60.0,
        "seconds one whole answer may take (a host dripping bytes is cut off)",
        minimum=1,
        maximum=3600,
    ),
    Setting(
        "max_mb", "number", 10.0, "megabytes one feed or page may be, decompressed", minimum=0.01, maximum=500
    ),
    Setting(
        "report_after",
        "seconds",
        86400.0,
        "a feed failing this many seconds in a row is reported (once, until it recovers)",
        minimum=0,
        maximum=90 * 86400,
    ),
)

FEED = (
    Setting(
        "url",
        "text",
        None,
        "the feed's address (RSS, Atom or JSON Feed); required",
        expect="an http(s) URL in quotes",
    ),
    Setting("name", "text", None, "the outlet's name as readers see it (default: the feed's host)"),
    Setting(
        "lang",
        "text",
        None,
        "the site language of its stories (default: the feed's own language, else each story's text)",
    ),
    Setting("section", "text", None, "the section its stories get when nothing else gives one"),
    Setting(
        "full_text",
        "bool",
        False,
        "fetch each story's page and extract its text (for feeds that carry summaries)",
    ),
    Setting("max_items", "int", 50, "items read per fetch (the newest)", minimum=1, maximum=10_000),
    Setting(
        "min_interval",
        "seconds",
        900.0,
        "seconds between two fetches of this feed (its server's own cache headers may ask for more)",
        minimum=0,
        maximum=7 * 86400,
    ),
    Setting(
        "categories",
        "table",
        None,
        'the feed\'s categories that are sections here: `{ "Politique" = "politics" }`; others become tags',
    ),
)

LANGUAGE = (
    Setting("name", "text", None, "the language's own name in its own script (default: the code)"),
    Setting(
        "locale",
        "text",
        None,
        "month names, digits and collation follow it (default: the code)",
        expect='a CLDR locale in quotes ("ar_SY", "fa_IR")',
    ),
    Setting("title", "text", None, "the site's title in this language (default: the code)"),
    Setting("description", "text", "", "a line under the title on the language chooser"),
    Setting(
        "calendars",
        "choices",
        None,
        "the calendars each date is shown in, in order (default, from ICU: the locale's own "
        "calendar, then the Gregorian one; Umm al-Qura beside the Gregorian one in Arabic script)",
        choices=CALENDAR_NAMES,
    ),
    Setting(
        "digits",
        "choice",
        "default",
        "`default` (the locale's), `latn`, `arab` or `arabext`",
        choices=DIGIT_SYSTEMS,
    ),
    Setting(
        "arabic_months",
        "choice",
        "both",
        "Arabic Gregorian month names: `egyptian` يناير, `levantine` كانون الثاني, `maghrebi` جانفي, `both`",
        choices=MONTH_STYLES,
    ),
    Setting(
        "font",
        "choice",
        None,
        "the theme's font family for the language (default: `generator/data/fonts.toml`, by "
        "language, then by script)",
        choices=FONT_FAMILIES,
    ),
    Setting(
        "line_height",
        "number",
        None,
        "the body's line height, if the font family's is not right for the language",
        minimum=1,
        maximum=4,
    ),
    Setting(
        "search_clitics",
        "choice",
        None,
        "clitics the search index reads off words: `arabic` (و ف ب ل ك ال) or `none` (default: "
        "`generator/data/search.toml`, by language)",
        choices=SEARCH_CLITICS,
    ),
    Setting(
        "reading_speed",
        "int",
        None,
        "words per minute for the reading time (default: `generator/data/reading.toml`, by script)",
        minimum=20,
        maximum=1000,
    ),
    Setting("weight", "int", None, "order among the languages (default: the order in the file)"),
)

TAXONOMY = (
    Setting("segment", "text", None, "its URL segment: `/<lang>/<segment>/<term>/` (default: the name)"),
    Setting(
        "fields", "texts", None, "the front matter and sidecar fields that fill it (the name always does)"
    ),
    Setting("title", "text", None, "the heading of its index page, an interface string"),
    Setting(
        "singular", "text", None, "the label before an article's terms (`Section:`), an interface string"
    ),
    Setting("feeds", "bool", True, "an Atom feed per term"),
    Setting("index", "bool", True, "an index page of every term"),
    Setting("entities", "bool", True, "terms are matched across languages"),
    Setting(
        "max_terms",
        "int",
        50,
        "terms one article may have (more are dropped with a warning)",
        minimum=1,
        maximum=1000,
    ),
    Setting("show", "choice", None, "where an article names its terms", choices=SHOW_PLACES),
    Setting("jsonld", "choice", None, "the schema.org property its terms fill", choices=JSONLD_PROPERTIES),
    Setting(
        "order",
        "texts",
        None,
        "its terms in this order in the header and on the front page: term-translation ids or "
        "names; terms not named follow, those with most stories first",
    ),
    Setting(
        "nav",
        "bool",
        None,
        "its terms are links in every page's header (default: true for `sections`)",
    ),
    Setting(
        "profiles",
        "text",
        None,
        "a folder under `content/` of one YAML file per term (`<id>.yml`: `name`, `bio` and `photo`, "
        "shown on the term's page; e.g. `authors` for bylines)",
    ),
)


def reference() -> str:
    """``docs/configuration.md``: every setting, from this declaration."""
    lines = [
        "# `site.toml` reference",
        "",
        "Made from `generator/schema.py` (`python -m generator.schema > docs/configuration.md`); a",
        "test checks that this file is current. Unknown keys are errors; every value is checked",
        'for its type and range (`search = "false"` is text, not a truth value, and an error).',
        "",
    ]
    for title, settings in (
        ("Top level", TOP),
        ("`[languages.<code>]`", LANGUAGE),
        ("`[taxonomies.<name>]`", TAXONOMY),
        ("`[[feeds]]`", FEED),
        ("`[fetch]`", FETCH),
    ):
        lines += [f"## {title}", "", "| key | value | default | what it does |", "| --- | --- | --- | --- |"]
        for s in settings:
            default = "" if s.default is None else _toml(s.default)
            lines.append(f"| `{s.name}` | {_expected(s)} | {default} | {s.doc} |")
        lines.append("")
    return "\n".join(lines)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, str):
        return f'`"{value}"`' if value else '`""`'
    if isinstance(value, list):
        return "`[" + ", ".join(f'"{v}"' for v in value) + "]`"
    return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"


if __name__ == "__main__":
    print(reference())
