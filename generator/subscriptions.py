"""``python build.py feeds import LIST.opml`` and ``feeds export``: the site's ``[[feeds]]``
subscriptions exchanged with other feed readers as OPML.

Import appends one ``[[feeds]]`` table per new feed to ``site.toml`` as text, so the file's
comments and layout stay as the editor left them; the new text is checked by the same parser
as every build before it replaces the file (atomically). A feed already subscribed (the same
URL, compared by ``config.feed_key``) is left as it is. An outline's language becomes the
feed's ``lang`` when the site has that language (``ar-SA`` for a site's ``ar``), else it is
left out with a note.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .config import SiteConfig, feed_key, parse_config
from .errors import SahifaError
from .langdetect import site_language
from .languages import base_language
from .opml import Subscription, read_opml, write_opml
from .write import atomic_write


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    """URLs of the feeds added."""
    known: list[str] = field(default_factory=list)
    """URLs already subscribed."""
    notes: list[str] = field(default_factory=list)


def _toml_string(text: str) -> str:
    # A JSON string is a TOML basic string (the same escapes), UTF-8 kept as it is.
    return json.dumps(text, ensure_ascii=False)


def _site_language(lang: str | None, config: SiteConfig) -> str | None:
    """The site's language for an outline's tag (``ar-SA`` → ``ar``; as seeds land), or None."""
    if not lang:
        return None
    pairs = [(language.code, language.locale) for language in config.languages]
    for candidate in (lang, base_language(lang).lower()):
        code = site_language(candidate, pairs)
        if code in config.language_codes:
            return code
    return None


def feed_table(subscription: Subscription, lang: str | None) -> str:
    lines = ["", "[[feeds]]", f"url = {_toml_string(subscription.url)}"]
    if subscription.name:
        lines.append(f"name = {_toml_string(subscription.name)}")
    if lang:
        lines.append(f"lang = {_toml_string(lang)}")
    return "\n".join(lines) + "\n"


def import_opml(config: SiteConfig, config_path: Path, data: bytes, source: str) -> ImportResult:
    """Add the feeds of an OPML document to ``config_path`` (see the module)."""
    subscriptions, warnings = read_opml(data, source)
    result = ImportResult(notes=list(warnings))
    known = {feed_key(feed.url) for feed in config.feeds}
    tables = []
    for subscription in subscriptions:
        key = feed_key(subscription.url)
        if key in known:
            result.known.append(subscription.url)
            continue
        known.add(key)
        lang = _site_language(subscription.lang, config)
        if subscription.lang and lang is None:
            result.notes.append(
                f"{source}: {subscription.url}: language {subscription.lang!r} is not one of the site's; "
                "its stories go where their text says"
            )
        tables.append(feed_table(subscription, lang))
        result.added.append(subscription.url)
    if not tables:
        return result
    try:
        text = config_path.read_text(encoding="utf-8") if config_path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise SahifaError(str(config_path), f"cannot read the configuration: {exc}") from exc
    new_text = text + ("" if not text or text.endswith("\n") else "\n") + "".join(tables)
    try:
        parse_config(tomllib.loads(new_text), config.root, config_path)
    except tomllib.TOMLDecodeError as exc:  # not expected: every value is a quoted string
        raise SahifaError(
            str(config_path), f"the imported feeds would not read back ({exc}); unchanged"
        ) from exc
    atomic_write(config_path, new_text.encode("utf-8"))
    return result


def export_opml(config: SiteConfig) -> bytes:
    """The site's subscriptions as an OPML 2.0 document."""
    subscriptions = [Subscription(url=feed.url, name=feed.name, lang=feed.lang) for feed in config.feeds]
    return write_opml(subscriptions, f"{config.title}: feeds")


def move_feed(config: SiteConfig, config_path: Path, old_url: str, new_url: str) -> bool:
    """A feed moved for good (301/308): its ``url`` in ``config_path`` becomes ``new_url``.

    Only the quoted value in that feed's table changes (comments and layout stay); when the old
    URL is not written there exactly once, as a ``url = "..."`` line, the file is left alone and
    False is returned (the fetcher goes on following the redirect)."""
    try:
        text = config_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    import re

    pattern = re.compile(r'(?m)^(\s*url\s*=\s*)("(?:[^"\\]|\\.)*"|\'[^\']*\')(\s*(?:#.*)?)$')
    matches = [m for m in pattern.finditer(text) if _toml_value(m.group(2)) == old_url]
    if len(matches) != 1 or any(feed_key(f.url) == feed_key(new_url) for f in config.feeds):
        return False
    match = matches[0]
    new_text = text[: match.start(2)] + _toml_string(new_url) + text[match.end(2) :]
    try:
        moved = parse_config(tomllib.loads(new_text), config.root, config_path)
    except (tomllib.TOMLDecodeError, SahifaError):
        return False
    if new_url not in {f.url for f in moved.feeds}:
        return False
    atomic_write(config_path, new_text.encode("utf-8"))
    return True


def _toml_value(quoted: str) -> str | None:
    try:
        return tomllib.loads(f"v = {quoted}")["v"]
    except tomllib.TOMLDecodeError:
        return None
