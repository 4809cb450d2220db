"""Markup stage: the one place Python-Markdown and the HTML sanitiser are configured.

Markdown may contain raw HTML. Unless a site trusts its authors (``allow_raw_html``), the
HTML that Markdown produces is cleaned with nh3 (a binding of the Rust crate Ammonia) to the
allow-list below: no scripts, no event handlers, no ``javascript:`` URLs, no styles.
"""

from __future__ import annotations

import html
import re
import threading

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import InlineProcessor
from markdown.util import AtomicString

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "code",
    "em",
    "strong",
    "b",
    "i",
    "u",
    "s",
    "sub",
    "sup",
    "small",
    "mark",
    "abbr",
    "cite",
    "q",
    "bdi",
    "bdo",
    "span",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "a",
    "img",
    "figure",
    "figcaption",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "caption",
}
_GENERIC_ATTRS = {"dir", "lang", "title", "id"}
ALLOWED_ATTRIBUTES = {tag: set(_GENERIC_ATTRS) for tag in ALLOWED_TAGS}
ALLOWED_ATTRIBUTES["a"] |= {"href"}
ALLOWED_ATTRIBUTES["img"] |= {"src", "alt", "width", "height"}
ALLOWED_ATTRIBUTES["td"] |= {"colspan", "rowspan"}
ALLOWED_ATTRIBUTES["th"] |= {"colspan", "rowspan", "scope"}
URL_SCHEMES = {"http", "https", "mailto"}

# What each of Python-Markdown's own inline patterns needs in a text before it can match:
# every match of the pattern's expression contains one of these (literal characters in the
# expressions). Patterns not listed here, or of another class than the one named, are
# always tried.
_GATES = {
    "backtick": ("BacktickInlineProcessor", {"`"}),
    "escape": ("EscapeInlineProcessor", {"\\"}),
    "footnote": ("FootnoteInlineProcessor", {"["}),
    "reference": ("ReferenceInlineProcessor", {"["}),
    "link": ("LinkInlineProcessor", {"["}),
    "image_link": ("ImageInlineProcessor", {"["}),
    "image_reference": ("ImageReferenceInlineProcessor", {"["}),
    "short_reference": ("ShortReferenceInlineProcessor", {"["}),
    "short_image_ref": ("ShortImageReferenceInlineProcessor", {"["}),
    "autolink": ("AutolinkInlineProcessor", {"<"}),
    "automail": ("AutomailInlineProcessor", {"<"}),
    "linebreak": ("SubstituteTagInlineProcessor", {"  \n"}),
    "html": ("HtmlInlineProcessor", {"<"}),
    "entity": ("HtmlInlineProcessor", {"&"}),
    "not_strong": ("SimpleTextInlineProcessor", {"*", "_"}),
    "em_strong": (None, {"*", "_"}),
    "em_strong2": (None, {"*", "_"}),
}
_TOKENS = re.compile(r"[`\\\[<&*_]|  \n")  # every string in the sets above


def _gate(pattern, name: str) -> frozenset[str] | None:
    """What ``pattern`` (registered as ``name``, one of ``_GATES``) needs, one of; None when
    it is not of the class the gate was written for: always try it."""
    cls, needs = _GATES[name]
    return frozenset(needs) if cls is None or type(pattern).__name__ == cls else None


class GatedInlineProcessor(InlineProcessor):
    """Python-Markdown's inline processor, except that a pattern is not tried on a text
    that lacks the characters every match of it contains (a ``*`` for emphasis, a ``[`` for
    links...). The output is the same; what goes is the cost of trying about fifteen
    patterns, one Python call each, on every paragraph of plain prose.

    A text is scanned once for those characters. A match only replaces text by a
    placeholder (which has none of them), so what the scan found stays a superset of what is
    left for the later patterns."""

    _gated: list = []

    def run(self, tree, ancestors=None):
        registry = self.inlinePatterns
        patterns = list(registry)
        if [pattern for pattern, _ in self._gated] != patterns:  # first use, or patterns changed
            self._gated = [(pattern, None) for pattern in patterns]
            for name in _GATES:
                if name in registry:
                    index = registry.get_index_for_name(name)
                    self._gated[index] = (patterns[index], _gate(patterns[index], name))
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        # Same loop as the library's ``__handleInline``, with the gate in front of each try.
        if isinstance(data, AtomicString):
            return data
        present = set(_TOKENS.findall(data))
        apply = self._InlineProcessor__applyPattern
        gated = self._gated
        count = len(gated)
        start = 0
        while patternIndex < count:
            pattern, needs = gated[patternIndex]
            if needs is not None and needs.isdisjoint(present):
                patternIndex += 1
                start = 0
                continue
            data, matched, start = apply(pattern, data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


class _GatedInline(Extension):
    def extendMarkdown(self, md):
        md.treeprocessors.register(GatedInlineProcessor(md), "inline", 20)


def _extensions() -> list[Extension]:
    """Python-Markdown's ``extra`` (its extensions, in its order) and ``sane_lists``, as
    instances: named by string, each build's first converter would scan every installed
    package's entry points (importlib metadata, about 25 ms) to find them. Imported here, as
    Markdown would: a process that converts no Markdown does not import them (nor Pygments,
    which ``fenced_code`` imports)."""
    from markdown.extensions.abbr import AbbrExtension
    from markdown.extensions.attr_list import AttrListExtension
    from markdown.extensions.def_list import DefListExtension
    from markdown.extensions.fenced_code import FencedCodeExtension
    from markdown.extensions.footnotes import FootnoteExtension
    from markdown.extensions.md_in_html import MarkdownInHtmlExtension
    from markdown.extensions.sane_lists import SaneListExtension
    from markdown.extensions.tables import TableExtension

    extra = (FencedCodeExtension, FootnoteExtension, AttrListExtension, DefListExtension, TableExtension)
    return [*(ext() for ext in extra), AbbrExtension(), MarkdownInHtmlExtension(), SaneListExtension()]


_local = threading.local()
# Block-level tags that get dir="auto", so a Latin paragraph inside an Arabic article (or the
# reverse) takes its own direction from its first strong character.
_AUTO_DIR = re.compile(r"<(p|li|blockquote|h[2-6]|td|th|dd|dt|figcaption)(?=[\s>])(?![^>]*\bdir=)")


def new_markdown(*, gated: bool = True) -> markdown.Markdown:
    """A Markdown converter with the site's extensions (``gated=False``: the library's own
    inline processor, which the tests compare against)."""
    extensions = [*_extensions(), _GatedInline()] if gated else _extensions()
    return markdown.Markdown(extensions=extensions, output_format="html")


def _markdown() -> markdown.Markdown:
    """A per-thread Markdown instance (it is stateful: ``reset()`` between documents)."""
    md = getattr(_local, "md", None)
    if md is None:
        md = _local.md = new_markdown()
    return md


def sanitize_html(fragment: str) -> str:
    """Clean untrusted HTML to the allow-list (nh3/Ammonia)."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def add_auto_direction(fragment: str) -> str:
    return _AUTO_DIR.sub(r'<\1 dir="auto"', fragment)


def markdown_to_html(text: str, *, trusted: bool = False) -> str:
    """Render Markdown to HTML; sanitised unless ``trusted``. Deep nesting degrades to text."""
    md = _markdown()
    try:
        out = md.reset().convert(text)
    except RecursionError:
        # An interrupted conversion leaves the instance's parser state half-built, and
        # ``reset()`` does not repair it: every later document would lose its paragraphs and
        # have its raw HTML escaped. Throw the instance away; the next call makes a new one.
        _local.md = None
        out = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n") if p.strip())
    except BaseException:
        _local.md = None
        raise
    if not trusted:
        out = sanitize_html(out)
    return add_auto_direction(out)


def paragraphs_to_html(paragraphs: list[str] | tuple[str, ...]) -> str:
    """Plain-text paragraphs (seeds) to escaped HTML: raw text is never interpreted."""
    return "".join(f'<p dir="auto">{html.escape(p, quote=False)}</p>' for p in paragraphs)


_TAG = re.compile(r"<[^>]+>")


def html_to_paragraphs(fragment: str) -> list[str]:
    """Plain-text paragraphs of an HTML fragment (for summaries, search and reading time)."""
    blocks = re.split(r"</(?:p|li|h[1-6]|blockquote|pre|td|th|dd|dt|figcaption)>", fragment)
    out = []
    for block in blocks:
        text = " ".join(html.unescape(_TAG.sub(" ", block)).split())
        if text:
            out.append(text)
    return out
