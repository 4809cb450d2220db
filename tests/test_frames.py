"""List pages from their frames: a page of a pagination that moved by one story is its kept
frame with the cards put in place, byte for byte the page the template renders; a template
that uses its stories otherwise is rendered as always."""

from __future__ import annotations

import re
import shutil
import sqlite3
from types import SimpleNamespace

import jinja2
import pytest
from markupsafe import Markup

from conftest import copy_site
from generator import parallel, pipeline
from generator.model import Term
from generator.render import frames_possible, render_frame, splice
from test_incremental import assert_same_tree, clean, incremental

RIVER = (
    "<h1>{{ heading }}</h1>{% for a in items %}{{ card(a) }}{% endfor %}"
    "<p>{{ items|length }} · {{ term.name }}</p>{% if items %}<nav>{{ pager }}</nav>{% endif %}"
)


def environment(**templates: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.DictLoader(templates), autoescape=True)
    env.globals["card"] = lambda story: Markup("<article>%s</article>") % story.title
    return env


def stories(*titles: str) -> tuple:
    return tuple(SimpleNamespace(title=title) for title in titles)


def term(*articles) -> Term:
    return Term(lang="ar", key="k", name="اقتصاد", slug="iqtisad", articles=articles)


def context(items: tuple, **more) -> dict:
    return {"heading": "أخبار <العالم>", "items": items, "term": term(*items), "pager": 3, **more}


def page(env, ctx) -> str:
    frame = render_frame(env, "list.html", ctx)
    assert frame is not None
    return splice(
        frame.encode(), [str(env.globals["card"](story)).encode() for story in ctx["items"]]
    ).decode()


def test_a_frame_with_its_cards_is_the_page_for_any_stories_of_that_number():
    env = environment(**{"list.html": RIVER})
    first = context(stories("<b>سوريا</b>", "ب", "ج"))
    frame = render_frame(env, "list.html", first)
    assert "سوريا" not in frame and frame.count("\x00") == 6  # three marks, no story in it
    for items in (first["items"], stories("د", "هـ & و", "ز")):  # one frame for both
        cards = [str(env.globals["card"](story)).encode() for story in items]
        assert splice(frame.encode(), cards).decode() == env.get_template("list.html").render(context(items))
    # Cards placed twice, reversed, or kept in a variable first: the same.
    env = environment(
        **{
            "list.html": "{% for a in items|reverse %}{% set c = card(a) %}{{ c }}{{ c }}{% endfor %}"
            "{{ card(items|first) ~ '!' }}"
        }
    )
    ctx = context(stories("x", "y"))
    assert page(env, ctx) == env.get_template("list.html").render(ctx)


@pytest.mark.parametrize(
    "river",
    [
        "{% for a in items %}{{ a.title }}{% endfor %}",  # an attribute
        "{% for a in items %}{{ a }}{% endfor %}",  # printed
        "{% for a in items %}{% if a in picked %}*{% endif %}{{ card(a) }}{% endfor %}",  # compared
        "{{ items|map(attribute='title')|join }}",
        "{{ items|unique|list|length }}",
        "{% for a in items %}{{ card(a)|upper }}{% endfor %}",  # its card changed as text
        "{% for a in items %}{{ card(a)[:9] }}{% endfor %}",
        "{% for a in items %}{% if card(a) %}+{% endif %}{% endfor %}",
        "{{ term.articles|length }}",  # the term's own stories
        "{% for a in term.articles %}{{ card(a) }}{% endfor %}",
        "{% for a in items %}{{ swallow(a) }}{{ card(a) }}{% endfor %}",  # a helper hides it
        "{% for a in items %}{{ '%s'|format(card(a)) }}{% endfor %}",  # its card as a string
    ],
)
def test_a_template_using_its_stories_otherwise_has_no_frame(river):
    env = environment(**{"list.html": river})

    def swallow(story):
        try:
            return story.title
        except Exception:  # noqa: BLE001 - what a careless helper does
            return ""

    env.globals["swallow"] = swallow
    ctx = context(stories("أ", "ب"), picked=stories("أ"))
    assert render_frame(env, "list.html", ctx) is None
    assert env.globals["card"].__name__ == "<lambda>"  # the real card is back


@pytest.mark.parametrize(
    "capture",
    [
        "{% filter upper %}{% for a in items %}{{ card(a) }}{% endfor %}{% endfilter %}",
        "{% set river %}{% for a in items %}{{ card(a) }}{% endfor %}{% endset %}{{ river|replace('a', 'b') }}",
        "{% macro river() %}{% for a in items %}{{ card(a) }}{% endfor %}{% endmacro %}{{ river()|trim }}",
        "{% macro box() %}<div>{{ caller() }}</div>{% endmacro %}{% call box() %}{{ card(items[0]) }}{% endcall %}",
        "{{ '%s'|format(card(items[0])) }}",  # a card given to a filter
    ],
)
@pytest.mark.parametrize("name", ["partials/river.html", "partials/river.j2"])  # any name
def test_templates_that_can_change_a_card_as_text_never_use_frames(capture, name):
    env = environment(**{"list.html": RIVER, name: capture})
    assert not frames_possible(env)
    assert frames_possible(environment(**{"list.html": RIVER}))


def test_the_themes_templates_allow_frames(tmp_path):
    from conftest import REPO

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(REPO / "templates")), extensions=["jinja2.ext.i18n"]
    )
    assert frames_possible(env)


def _page_size(root, size: int) -> None:
    toml = root / "site.toml"
    toml.write_text(re.sub(r"(?m)^page_size = \d+", f"page_size = {size}", toml.read_text(encoding="utf-8")))


def _publish(root, n: int) -> None:
    source = root / "content/en/global-press-day.md"
    text = source.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^title: ", f"title: Bulletin {n} - ", text, count=1)
    text = re.sub(r"(?m)^date: .*$", f"date: 2026-03-0{n}T09:00:00+00:00", text, count=1)
    text = re.sub(r"(?m)^(translation_key|slug): .*\n", "", text)
    (root / f"content/en/bulletin-{n}.md").write_text(text, encoding="utf-8")


def _frames(root) -> list[tuple[bytes, bytes]]:
    with sqlite3.connect(root / ".sahifa-cache" / "cards.sqlite") as db:
        return db.execute("SELECT key, frame FROM frames").fetchall()


def test_shifted_list_pages_come_from_their_frames_and_equal_a_clean_build(tmp_path, monkeypatch):
    root = copy_site(tmp_path / "site")
    _page_size(root, 2)
    monkeypatch.setattr(parallel, "worker_count", lambda size: 1)  # counted in this process
    rendered, spliced = [], []
    real_render, real_splice = pipeline.render, pipeline.splice
    monkeypatch.setattr(
        pipeline, "render", lambda env, name, ctx: rendered.append(ctx) or real_render(env, name, ctx)
    )
    monkeypatch.setattr(
        pipeline, "splice", lambda frame, cards: spliced.append(1) or real_splice(frame, cards)
    )
    incremental(root)
    assert not _frames(root)  # a full build keeps no frames: most would never be used
    _publish(root, 1)
    incremental(root)
    made = _frames(root)
    assert (b"templates", b"yes") in made and len(made) > 5
    assert spliced  # the pages of a first publish: from the frames just made
    assert_same_tree(root / "public", clean(root, tmp_path))
    # A second story, then deleted: the lists are as they were after the first, and their
    # pages come from the frames made then, none rendered but those whose template uses
    # the first story otherwise (a section front's lead).
    _publish(root, 2)
    incremental(root)
    rendered.clear(), spliced.clear()
    (root / "content/en/bulletin-2.md").unlink()
    incremental(root)
    lists = [ctx for ctx in rendered if "lead" in ctx]  # list pages (ListView)
    assert len(spliced) > 3 and all(ctx["lead"] and ctx["items"] for ctx in lists), [
        ctx["page_path"] for ctx in lists
    ]
    assert_same_tree(root / "public", clean(root, tmp_path))


def test_a_theme_that_captures_cards_renders_its_list_pages_as_always(tmp_path):
    root = copy_site(tmp_path / "site")
    _page_size(root, 2)
    lists = root / "templates" / "list.html"
    text = lists.read_text(encoding="utf-8")
    assert "{{ card(article) }}" in text
    lists.write_text(
        text.replace("{{ card(article) }}", "{% filter trim %}{{ card(article) }}{% endfilter %}")
    )
    incremental(root)
    _publish(root, 1)
    incremental(root)
    assert _frames(root) == [(b"templates", b"no")]
    assert_same_tree(root / "public", clean(root, tmp_path))
    shutil.rmtree(root / "public")


@pytest.mark.parametrize(
    "changed",
    [
        "{{ (card(article) ~ '').replace('class=\"card', 'class=\"card small') }}",
        "{% set c = card(article) %}{{ c|striptags|truncate(60) }}",
    ],
)
def test_a_frame_that_is_not_the_page_is_refused_when_made(tmp_path, changed):
    """A card copied into a string and changed as text gets past the stand-ins and the
    templates' check: a new frame is compared with the page once, and refused."""
    root = copy_site(tmp_path / "site")
    _page_size(root, 2)
    lists = root / "templates" / "list.html"
    text = lists.read_text(encoding="utf-8")
    lists.write_text(text.replace("{{ card(article) }}", changed))
    incremental(root)
    _publish(root, 1)
    incremental(root)
    made = _frames(root)
    assert (b"templates", b"yes") in made and len(made) > 5
    assert all(frame == b"" for key, frame in made if key != b"templates")
    assert_same_tree(root / "public", clean(root, tmp_path))
    _publish(root, 2)
    incremental(root)
    assert_same_tree(root / "public", clean(root, tmp_path))
