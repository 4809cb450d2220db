"""The gated inline processor (``markup.GatedInlineProcessor``) skips Markdown patterns that
cannot match; it must give exactly the HTML of Python-Markdown's own inline processor."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import committed_path, shared_path
from generator.markup import GatedInlineProcessor, _GATES, new_markdown

# Every character an inline pattern starts from, in the combinations that make links,
# images, footnotes, code spans, escapes, entities, raw HTML, autolinks and hard breaks.
INLINE = st.sampled_from(
    [
        "*",
        "**",
        "***",
        "_",
        "__",
        "`",
        "``",
        "\\",
        "\\*",
        "\\`",
        "[",
        "]",
        "(",
        ")",
        "![",
        "[^1]",
        "[^1]: note\n",
        "[a]: http://x.test\n",
        "[a]",
        "[a][]",
        "[x](http://x.test)",
        "![i](/i.png)",
        "<",
        ">",
        "<http://x.test>",
        "<a@b.test>",
        "<b>",
        "</b>",
        "<!-- c -->",
        "&",
        "&amp;",
        "&#1604;",
        "&copy",
        "  \n",
        "\n",
        "\n\n",
        " ",
        "- ",
        "1. ",
        "> ",
        "    ",
        "| a | b |\n|---|---|\n",
        "{: #id }",
        "*[HTML]: Hyper\n",
        "عاجل",
        "كازاخستان",
        "word",
        "٢٠٢٤",
        "\u200c",
        "\u202b",
    ]
)
DOCS = st.lists(st.one_of(INLINE, st.text(max_size=8)), max_size=80).map("".join)


def convert_both(text: str) -> tuple[str, str]:
    gated, stock = new_markdown(), new_markdown(gated=False)
    try:
        return gated.convert(text), stock.convert(text)
    except RecursionError:
        pytest.skip("nesting too deep for Python-Markdown itself")


def test_the_gated_processor_is_the_one_in_use():
    md = new_markdown()
    assert isinstance(md.treeprocessors["inline"], GatedInlineProcessor)
    assert not isinstance(new_markdown(gated=False).treeprocessors["inline"], GatedInlineProcessor)
    md.convert("*x*")
    gated = [gate for _, gate in md.treeprocessors["inline"]._gated if gate is not None]
    # Every pattern of the installed Python-Markdown that we know is gated (else the gates
    # silently stopped working after an upgrade: correct, but slow).
    known = [name for name in _GATES if name in md.inlinePatterns]
    assert len(gated) == len(known) >= 14


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCS)
def test_same_html_as_python_markdown(text):
    gated, stock = convert_both(text)
    assert gated == stock


@pytest.mark.parametrize(
    "text",
    [
        "a **b** c *d* `e` [f](http://g.test) ![h](/i.png) <j@k.test> <http://l.test> &amp; m  \nn",
        "\\*not em\\* and \\`not code\\`",
        "*[HTML]: Hyper Text\n\nHTML here[^1].\n\n[^1]: A note with *em*.",
        '[ref][r] and [r]\n\n[r]: http://r.test "T"',
        "<span>*inside*</span> and <!-- *not* -->",
        "`code with *stars* and [brackets]` after",
        "**bold with [link](http://x.test) and `code`** end",
        "مرحبا **بالعالم** و[رابط](http://x.test)",
    ],
)
def test_same_html_on_hand_picked_markup(text):
    gated, stock = convert_both(text)
    assert gated == stock
    assert "<" in gated


@pytest.mark.corpus
def test_same_html_on_the_shared_corpora(tmp_path):
    """Every Markdown file of the demo site and of a generated bench site."""
    make_corpus = shared_path("bench", "make_corpus.py")
    subprocess.run(
        [
            sys.executable,
            str(make_corpus),
            "--articles",
            "300",
            "--out",
            str(tmp_path / "site"),
            "--layout",
            "plain",
            "--seed",
            "3",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    files = sorted((tmp_path / "site" / "content").rglob("*.md")) + sorted(
        committed_path("content").rglob("*.md")
    )
    assert len(files) > 300
    gated, stock = new_markdown(), new_markdown(gated=False)
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert gated.reset().convert(text) == stock.reset().convert(text), path.name
