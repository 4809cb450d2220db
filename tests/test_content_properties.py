"""Properties of the Markdown reader and the sanitiser: arbitrary text never raises anything
but ``SahifaError``; whatever the input, the HTML that comes out carries no script."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import build, copy_site
from generator.content import parse_markdown, split_front_matter
from generator.errors import SahifaError
from generator.markup import markdown_to_html, sanitize_html
from generator.urls import slugify

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)

# Pieces that steer the generator towards the interesting places: fences, YAML syntax,
# anchors and aliases, tags, raw HTML, Markdown nesting, bidi and control characters.
PIECES = st.sampled_from(
    [
        "---\n",
        "---",
        "...\n",
        "\n",
        "\r\n",
        "\r",
        "\ufeff",
        "title: ",
        "date: ",
        "tags: ",
        "slug: ",
        "draft: ",
        "&a ",
        "*a",
        "[",
        "]",
        "{",
        "}",
        "!!python/object:os.system ",
        "!!float ",
        "!!binary ",
        "!!timestamp ",
        "'",
        '"',
        ": ",
        "- ",
        "> ",
        "    ",
        "`",
        "<script>",
        "<img src=x onerror=alert(1)>",
        "<a href=javascript:alert(1)>",
        "[x](javascript:alert(1))",
        "\u202e",
        "\u2066",
        "\u200c",
        "\x00",
        "\x1b[31m",
        "2022-02-31",
        "1641859200",
        "null",
        "true",
        "~",
        "|",
        "#",
        "%",
        "\\",
        "١٢٣",
        "عاجل",
        "*" * 3,
        "_",
        "<!--",
        "-->",
        "]]>",
        "{{ 7*7 }}",
        "\ud800" if False else "\ufffe",
    ]
)
TEXT = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(PIECES, st.text(max_size=12)), max_size=60).map("".join),
)


@SETTINGS
@given(TEXT)
def test_split_front_matter_raises_only_sahifa_error(text):
    try:
        meta, body = split_front_matter(text, "content/en/x.md")
    except SahifaError as exc:
        assert exc.path == "content/en/x.md" and exc.reason
        return
    assert isinstance(meta, dict) and isinstance(body, str)


@SETTINGS
@given(TEXT)
def test_parse_markdown_raises_only_sahifa_error(text):
    try:
        record = parse_markdown(text, "content/en/x.md", "en")
    except SahifaError as exc:
        assert exc.path == "content/en/x.md" and exc.reason
        return
    assert record.title.strip()
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", record.title)
    assert all(not re.search("[\u202a-\u202e\u2066-\u2069\x00-\x08]", t) and t for t in record.tags)
    assert "<script" not in record.body_html.lower()


@SETTINGS
@given(st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=40).map("".join))
def test_front_matter_fields_of_any_shape(value):
    """Any YAML value in any field: a record or a SahifaError, nothing else."""
    for field in ("title", "date", "tags", "slug", "draft", "sources", "summary"):
        text = f"---\ntitle: ok\n{field}: {value}\n---\nbody\n"
        try:
            parse_markdown(text, "content/ar/x.md", "ar")
        except SahifaError:
            pass


@SETTINGS
@given(TEXT)
def test_sanitised_markdown_has_no_active_content(text):
    out = markdown_to_html(text).lower()
    assert "<script" not in out and "<iframe" not in out and "<style" not in out
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", out)
    # Inside tags only: escaped text such as ``&lt;a href=javascript:...&gt;`` in a code block
    # is shown to the reader, not run.
    for tag in re.findall(r"<[^>]*>", out):
        assert not re.search(r"""(href|src)\s*=\s*["']?\s*(javascript|vbscript|data):""", tag), tag


@SETTINGS
@given(st.text(max_size=200))
def test_slugs_are_safe_path_segments(text):
    slug = slugify(text, "seed")
    assert slug and slug not in (".", "..") and "/" not in slug and "\\" not in slug
    assert len(slug.encode("utf-8")) <= 120
    assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in slug)
    assert not re.search("[\u202a-\u202e\u2066-\u2069\u200b\u200d\ufeff\u00ad\u2060]", slug)
    assert slugify(text, "seed") == slug  # stable


def test_deep_nesting_degrades_to_text():
    html = markdown_to_html("- " * 1000 + "x")
    assert "x" in html


def test_deep_nesting_does_not_spoil_the_next_article():
    """m31 once left the shared Markdown instance broken: later articles lost their
    paragraphs and their (sanitised) HTML was shown escaped."""
    before = markdown_to_html("one *two*\n\nthree <span>four</span>")
    markdown_to_html("- " * 1000 + "x")
    assert markdown_to_html("one *two*\n\nthree <span>four</span>") == before
    assert before.count("<p") == 2 and "<em>two</em>" in before


def test_bidi_override_removed_from_title():
    record = parse_markdown('---\ntitle: "\u202eexe.jpg \u2067x\u2069"\n---\nbody', "content/en/x.md", "en")
    assert record.title == "exe.jpg x"


RAW = '---\ntitle: Embed\ndate: 2022-01-10\n---\n\nTEXT-RAW <span style="color:red">red</span>\n\n<iframe src="https://example.org/embed"></iframe>\n'


@pytest.mark.parametrize("trusted", [False, True])
def test_allow_raw_html_option(tmp_path, trusted):
    """``allow_raw_html = true`` (trusted sites) keeps the author's HTML; the default cleans it."""
    root = copy_site(tmp_path / "site", content=False, seeds=False)
    (root / "content/en").mkdir(parents=True)
    (root / "content/en/embed.md").write_text(RAW, encoding="utf-8")
    if trusted:
        toml = (root / "site.toml").read_text(encoding="utf-8")
        (root / "site.toml").write_text(
            toml.replace("publish_future = false", "publish_future = false\nallow_raw_html = true"),
            encoding="utf-8",
        )
    report, out = build(root)
    page = (out / "en/articles/embed/index.html").read_text(encoding="utf-8")
    assert "TEXT-RAW" in page
    assert ('<iframe src="https://example.org/embed">' in page) is trusted
    assert ('style="color:red"' in page) is trusted


def test_sanitiser_allow_list_is_what_the_readme_says():
    assert sanitize_html('<p dir="rtl" lang="ar">x</p>') in (
        '<p dir="rtl" lang="ar">x</p>',
        '<p lang="ar">x</p>',
    )
    assert (
        sanitize_html('<a href="https://e.org/">x</a>')
        == '<a href="https://e.org/" rel="noopener noreferrer">x</a>'
    )
    assert sanitize_html('<a href="javascript:alert(1)">x</a>') == '<a rel="noopener noreferrer">x</a>'
    assert sanitize_html("<bdi>x</bdi><!-- c -->") == "<bdi>x</bdi>"
