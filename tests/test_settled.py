"""Article pages kept without being keyed: ``pagekeys.settled_articles`` names the article
pages whose inputs cannot have changed, from the stories that changed. Checked here as a
function (every reason a page is dirty) and in builds: the pages it settles are the pages a
full keying keeps, and the output is the clean build's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import copy_site
from generator import pagekeys, pipeline
from generator.pagekeys import settled_articles
from test_incremental import assert_same_tree, clean, incremental


@pytest.fixture(autouse=True, params=["looked up", "every row"])
def places(request, monkeypatch):
    """``pagekeys._changed_stories`` finds the changed stories' places by looking each up,
    or, when many changed, from every row: every test here runs both ways."""
    if request.param == "every row":
        monkeypatch.setattr(pagekeys, "_LOOKED_UP", -1)


def state(rows: dict, headers=None, related="g1") -> dict:
    """A ``story_state``: per language, (path, key, group) newest first."""
    return {
        "order": {lang: [tuple(row) for row in items] for lang, items in rows.items()},
        "headers": headers or {lang: b"h" for lang in rows},
        "related": related,
    }


BEFORE = state(
    {
        "en": [("a", b"1", "a"), ("b", b"1", "b"), ("c", b"1", "k"), ("d", b"1", "d"), ("e", b"1", "e")],
        "ar": [("x", b"1", "x"), ("y", b"1", "k"), ("z", b"1", "z")],
    }
)
NO_LINKS = {p: () for p in "abcdexyz"}


def settled(now, related=NO_LINKS, relinked=frozenset(), generation=("g1", "g1"), before=BEFORE):
    return settled_articles(now, before, related, relinked, generation)


def test_nothing_changed_settles_every_page():
    assert settled(BEFORE) == set("abcdexyz")


def test_a_corrected_story_unsettles_itself_its_neighbours_and_its_translations():
    now = state(
        {
            "en": [("a", b"1", "a"), ("b", b"1", "b"), ("c", b"2", "k"), ("d", b"1", "d"), ("e", b"1", "e")],
            "ar": [("x", b"1", "x"), ("y", b"1", "k"), ("z", b"1", "z")],
        }
    )
    assert settled(now) == {"a", "e", "x", "z"}


def test_a_new_story_unsettles_its_new_neighbours_only():
    now = state(
        {
            "en": [("a", b"1", "a"), ("n", b"1", "n"), ("b", b"1", "b"), ("c", b"1", "k"), ("d", b"1", "d")]
            + [("e", b"1", "e")],
            "ar": BEFORE["order"]["ar"],
        }
    )
    assert settled(now) == {"c", "d", "e", "x", "y", "z"}


def test_a_deleted_story_unsettles_its_old_neighbours_and_its_old_group():
    now = state(
        {
            "en": [("a", b"1", "a"), ("b", b"1", "b"), ("d", b"1", "d"), ("e", b"1", "e")],
            "ar": BEFORE["order"]["ar"],
        }
    )
    assert settled(now) == {"a", "e", "x", "z"}  # b and d were c's neighbours, y its translation


def test_a_story_moved_in_time_unsettles_both_places():
    now = state(
        {
            "en": [("a", b"1", "a"), ("c", b"2", "k"), ("b", b"1", "b"), ("d", b"1", "d"), ("e", b"1", "e")],
            "ar": BEFORE["order"]["ar"],
        }
    )
    assert settled(now) == {"e", "x", "z"}


def test_related_stories_unsettle_the_pages_that_show_them():
    now = state(
        {
            "en": [("a", b"2", "a"), *BEFORE["order"]["en"][1:]],
            "ar": BEFORE["order"]["ar"],
        }
    )
    related = dict(NO_LINKS, e=("a",), z=("d",))
    assert settled(now, related) == {"c", "d", "x", "y", "z"}  # e shows a; b is a's neighbour
    assert settled(BEFORE, related, relinked=frozenset({"x"})) == set("abcdeyz")


def test_a_changed_header_unsettles_its_language():
    now = dict(BEFORE, headers={"en": b"h", "ar": b"sections changed"})
    assert settled(now) == set("abcde")


def test_without_a_comparable_last_build_nothing_is_settled():
    assert settled(BEFORE, generation=("g0", "g2")) == set()  # the memo moved on since
    assert settled(BEFORE, relinked=None) == set()  # no related stories to compare with
    assert settled_articles(None, BEFORE, NO_LINKS, frozenset(), ("g1", "g1")) == set()
    assert settled_articles(BEFORE, None, NO_LINKS, frozenset(), ("g1", "g1")) == set()


def story(lang: str, n: int, day: int, tags: str, key: str | None = None) -> str:
    head = [
        "---",
        f'title: "Story {n} of the harbour"',
        f"date: 2026-11-{day:02d}T08:00:00+03:00",
        f"tags: [{tags}]",
        f"section: {'Port' if lang == 'en' else 'ميناء'}",
        "author: Rana Haddad",
        f"slug: story-{n}",
    ]
    if key:
        head.append(f"translation_key: {key}")
    return "\n".join(head + ["---", f"Body of story {n}, about the harbour and its boats.", ""])


@pytest.fixture
def newsroom(tmp_path) -> Path:
    """Twelve English stories sharing tags (so they are each other's related stories), one
    of them filed under an entity, and an Arabic translation of one, three to a page."""
    root = copy_site(tmp_path / "site", content=False, seeds=False)
    toml = root / "site.toml"  # short pages: every list has several
    toml.write_text(re.sub(r"(?m)^page_size = \d+", "page_size = 3", toml.read_text(encoding="utf-8")))
    for n in range(12):
        tags = ", ".join(t for i, t in enumerate(("Harbour", "Boats", "Weather")) if (n + i) % 2 == 0)
        if n == 3:
            tags += ", Egypt"  # one entity with the Arabic story's مصر: their term pages link
        text = story("en", n, 1 + n * 2, tags, "pair" if n == 5 else None)
        (root / "content" / "en").mkdir(parents=True, exist_ok=True)
        (root / "content" / "en" / f"story-{n}.md").write_text(text, encoding="utf-8")
    # A profile found by the author's address, with a name for every language (so the
    # configuration does not change with it), shown on the author's first page.
    (root / "content" / "authors").mkdir(parents=True, exist_ok=True)
    (root / "content" / "authors" / "rana-haddad.yml").write_text(
        'name: Rana Haddad\nbio:\n  en: "Rana Haddad covers the harbour."\n', encoding="utf-8"
    )
    (root / "content" / "ar").mkdir(parents=True, exist_ok=True)
    (root / "content" / "ar" / "story-50.md").write_text(
        story("ar", 50, 11, "الميناء, مصر", "pair"), encoding="utf-8"
    )
    return root


@pytest.fixture
def watched(monkeypatch) -> list:
    """What ``settled_articles`` answers in each build, with every settled page keyed anyway
    (``pagekeys.VERIFY``: a settled page whose key changed fails the build)."""
    answers: list = []
    real = pipeline.pagekeys.settled_pages

    def spy(*args, **kwargs):
        answers.append(real(*args, **kwargs))
        return answers[-1]

    monkeypatch.setattr(pipeline.pagekeys, "settled_pages", spy)
    monkeypatch.setattr(pagekeys, "VERIFY", True)
    return answers


def _set(path: Path, field: str, value: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(rf"(?m)^{field}: .*$", f"{field}: {value}", text, count=1), encoding="utf-8")


EDITS = {
    "correct": lambda root: _set(root / "content/en/story-4.md", "title", '"Story 4, corrected"'),
    "publish": lambda root: (root / "content/en/story-99.md").write_text(
        story("en", 99, 8, "Harbour, Boats"), encoding="utf-8"
    ),
    "delete": lambda root: (root / "content/en/story-6.md").unlink(),
    "redate": lambda root: _set(root / "content/en/story-2.md", "date", "2026-11-20T09:00:00+03:00"),
    "retag": lambda root: _set(root / "content/en/story-8.md", "tags", "[Weather]"),
    "untranslate": lambda root: _set(root / "content/ar/story-50.md", "translation_key", "other"),
    "entity": lambda root: _set(root / "content/en/story-3.md", "tags", "[Harbour]"),
    "new term": lambda root: _set(root / "content/en/story-7.md", "tags", "[Harbour, Lighthouse]"),
    "new section": lambda root: _set(root / "content/en/story-9.md", "section", "Culture"),
    "profile gone": lambda root: (root / "content/authors/rana-haddad.yml").unlink(),
    "profile edited": lambda root: (root / "content/authors/rana-haddad.yml").write_text(
        'name: Rana Haddad\nbio:\n  en: "Rana Haddad covers the harbour and the weather."\n', encoding="utf-8"
    ),
}


@pytest.mark.parametrize("change", sorted(EDITS))
def test_settled_pages_are_the_unchanged_ones_and_the_output_is_the_clean_builds(
    newsroom, tmp_path, watched, change
):
    incremental(newsroom)
    EDITS[change](newsroom)
    report = incremental(newsroom)
    assert not report.problems
    assert_same_tree(newsroom / "public", clean(newsroom, tmp_path))
    settled_now = watched[-1]
    if change.startswith("profile"):
        assert (newsroom / "public/en/authors/rana-haddad/index.html").exists()
        assert not {p for p in settled_now if p.startswith("en/authors/rana-haddad/")}
    assert settled_now, "an edit of one story leaves most pages as they were"
    settled_articles = [p for p in settled_now if "/articles/" in p]
    assert len(settled_articles) == 13 if change.startswith("profile") else len(settled_articles) < 13
    egypt = {p for p in settled_now if p.startswith("ar/") and "مصر" in p}
    if change == "entity":  # the English term left the entity: the Arabic term's links change
        assert not egypt
    elif change != "untranslate":  # (that edit changes the Arabic story itself)
        assert egypt, "the Arabic term pages are as they were"
    if change == "new section":  # a section in the header of every English page
        assert not {p for p in settled_now if p.startswith("en/")}
    # A taxonomy's index of terms and a language's archive index: settled with their lists
    # (in a language no story of which changed, always); the ones a change reaches are
    # rendered without their keys being made (``VERIFY`` checks them all here).
    indexes = {f"ar/{name}/index.html" for name in ("tags", "sections", "authors", "archive")}
    assert all((newsroom / "public" / p).exists() for p in indexes)
    if change != "untranslate":  # (that edit changes the Arabic story itself)
        assert indexes <= settled_now
    if change in ("publish", "delete", "retag", "new term"):  # the English tags' numbers changed
        assert "en/tags/index.html" not in settled_now and "en/archive/index.html" not in settled_now
    if change == "correct":  # the story and every page that shows it are keyed again
        assert "en/articles/story-4/index.html" not in settled_now
        shown = [
            p
            for p in (newsroom / "public").rglob("articles/*/index.html")
            if "story-4/" in p.read_text(encoding="utf-8") and "story-4" not in p.parent.name
        ]
        assert shown, "story 4 is shown on other article pages (related, neighbours)"
        assert not {p.relative_to(newsroom / "public").as_posix() for p in shown} & settled_now
