"""The search index kept between builds (``search_index._Index``) and patched for what
changed gives, after any sequence of new, deleted, corrected and re-dated stories, the files
an index made from nothing gives, byte for byte; a file given without being made again has
the key of the bytes it holds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import search_index
from generator.search_index import _content_key, language_files

WORDS = ["press", "freedom", "day", "flood", "river", "vote", "council", "port", "strike", "harvest"]
URLS = SimpleNamespace(href=lambda path: "/" + path, search=lambda lang: f"{lang}/search/index.html")


def _story(n: int, day: int, words: tuple[int, ...], version: int = 0) -> SimpleNamespace:
    text = " ".join(WORDS[w % len(WORDS)] + (str(w) if w >= len(WORDS) else "") for w in words)
    record = SimpleNamespace(
        fingerprint=hashlib.blake2b(f"{n} {day} {words} {version}".encode(), digest_size=16).hexdigest(),
        paragraphs=(text,),
    )
    return SimpleNamespace(
        path=f"en/articles/story-{n}/index.html",
        title=f"Story {n} {WORDS[n % len(WORDS)]}",
        summary=text[:40],
        date=dt.date(2020, 1, 1) + dt.timedelta(days=day),
        tags=(SimpleNamespace(name=WORDS[(n + version) % len(WORDS)]),),
        record=record,
    )


def _ordered(stories: dict) -> tuple:
    """Newest first, as the model orders a language's stories."""
    return tuple(sorted(stories.values(), key=lambda a: (a.date, a.path), reverse=True))


def _made(files) -> dict[str, bytes]:
    out = {}
    for rel, key, make in files:
        data = make()
        assert key == _content_key(data), rel
        out[rel] = data
    return out


edits = st.lists(
    st.tuples(
        st.sampled_from(["publish", "delete", "correct", "redate", "none"]),
        st.integers(0, 30),
        st.integers(0, 400),
        st.lists(st.integers(0, 25), min_size=1, max_size=12),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.integers(0, 12), steps=edits, recent=st.sampled_from([3, 4, 7, 256]))
def test_a_patched_index_is_the_index_made_from_nothing(monkeypatch, start, steps, recent):
    monkeypatch.setattr(search_index, "CHUNK", 3)
    monkeypatch.setattr(search_index, "SHARD_LIMIT", 12)
    monkeypatch.setattr(search_index, "RECENT", recent)  # the cut moves back and forth
    monkeypatch.setattr(search_index, "RECENT_SHARD_LIMIT", 5)
    stories = {n: _story(n, n * 7 % 40, (n, n + 3, n * 2)) for n in range(start)}
    memo: dict = {}
    fresh_count = len(stories)
    for step, (action, pick, day, words) in enumerate(steps):
        if action == "publish" or not stories:
            stories[fresh_count] = _story(fresh_count, day, tuple(words))
            fresh_count += 1
        else:
            n = sorted(stories)[pick % len(stories)]
            old = stories[n]
            if action == "delete":
                del stories[n]
            elif action == "correct":
                stories[n] = _story(n, (old.date - dt.date(2020, 1, 1)).days, tuple(words), version=step + 1)
            elif action == "redate":
                stories[n] = _story(n, day, tuple(words), version=step + 1)
        articles = _ordered(stories)
        memo = pickle.loads(pickle.dumps(memo))  # kept in a file between builds
        before = _kept(memo)
        kept = _made(language_files("en", articles, URLS, None, memo))
        if memo["index"].unchanged:  # then the memo is not saved again: it must hold the same
            assert _kept(memo) == before
        clean = _made(language_files("en", articles, URLS, None, None))
        assert kept == clean
        before = _kept(pickle.loads(pickle.dumps(memo)))
        again = language_files("en", articles, URLS, None, memo)
        assert _made(again) == clean  # nothing changed: the files as kept
        assert memo["index"].unchanged and _kept(memo) == before


def _kept(memo: dict):
    """What a kept index holds for the next build (not what the last update changed)."""
    index = memo.get("index")
    fields = ("clitics", "vocab", "docs", "terms", "weights", "postings", "files", "shards", "config")
    return None if index is None else {name: getattr(index, name) for name in fields}


def test_a_file_that_changed_is_made_and_the_others_are_not(monkeypatch):
    """A correction that touches one word makes the shards holding that word and the chunk
    holding the story; the rest are given as kept (their makers not called)."""
    monkeypatch.setattr(search_index, "CHUNK", 2)
    monkeypatch.setattr(search_index, "SHARD_LIMIT", 6)
    stories = {n: _story(n, n, (n, n + 1)) for n in range(8)}
    memo: dict = {}
    first = _made(language_files("en", _ordered(stories), URLS, None, memo))
    stories[2] = _story(2, 2, (2, 3, 20), version=1)  # the title and summary change too
    files = language_files("en", _ordered(stories), URLS, None, memo)
    fresh = {rel for rel, _, make in files if getattr(make, "func", None) is search_index._same}
    assert "en/search/index/d-1.json" in fresh  # story 2 is document 2: the second chunk
    assert "en/search/index/d-0.json" not in fresh and "en/search/index/d-3.json" not in fresh
    assert len([rel for rel in fresh if "/t-" in rel]) < len([rel for rel in first if "/t-" in rel])
    assert _made(files) == _made(language_files("en", _ordered(stories), URLS, None, None))


def _fresh(files) -> set[str]:
    return {rel for rel, _, make in files if getattr(make, "func", None) is search_index._same}


def test_a_new_story_makes_the_recent_shards_and_leaves_the_big_ones(monkeypatch):
    """Documents after the cut (the last multiple of ``RECENT``) are in ``r-`` shards: a new
    story makes again only those holding its words (and the last chunk and the meta file),
    until the cut moves on and every shard is made again; the browser is given both
    lists of shards, and a word's postings on both sides of the cut are all of them."""
    monkeypatch.setattr(search_index, "CHUNK", 4)
    monkeypatch.setattr(search_index, "SHARD_LIMIT", 8)
    monkeypatch.setattr(search_index, "RECENT", 8)
    monkeypatch.setattr(search_index, "RECENT_SHARD_LIMIT", 4)
    stories = {n: _story(n, n, (n, n + 1, n + 2)) for n in range(17)}  # cut after 16
    memo: dict = {}
    first = _made(language_files("en", _ordered(stories), URLS, None, memo))
    assert [r for r in first if "/r-" in r] and [r for r in first if "/t-" in r]
    stories[17] = _story(17, 17, (3, 4))  # newest: document 17, after the cut
    files = language_files("en", _ordered(stories), URLS, None, memo)
    fresh = _fresh(files)
    assert fresh and not [rel for rel in fresh if "/t-" in rel], fresh
    assert {rel for rel in fresh if "/d-" in rel} == {"en/search/index/d-4.json"}
    made = _made(files)
    assert made == _made(language_files("en", _ordered(stories), URLS, None, None))
    meta = json.loads(made["en/search/index/meta.json"])
    assert meta["recent"] and meta["shards"] and meta["format"] == search_index.FORMAT
    # Every posting of a word is in one of its two shards, each document once.
    word = search_index.tokens(WORDS[3])[0]
    both = []
    for kind, plan in (("t", meta["shards"]), ("r", meta["recent"])):
        for prefix, terminal in plan:
            shard = json.loads(
                made[f"en/search/index/{kind}-{search_index.shard_name(prefix, terminal)}.json"]
            )
            both += shard.get(word, [])[::2]
    assert sorted(both) == sorted(set(both)) and 17 in both and min(both) < 16
    # Six more: the cut moves on to 24, and the big shards take documents 16-23.
    for n in range(18, 24):
        stories[n] = _story(n, n, (n,))
    files = language_files("en", _ordered(stories), URLS, None, memo)
    assert [rel for rel in _fresh(files) if "/t-" in rel]
    made = _made(files)
    assert made == _made(language_files("en", _ordered(stories), URLS, None, None))
    assert not [rel for rel in made if "/r-" in rel]  # 24 documents: nothing after the cut


def test_a_correction_makes_only_the_shards_whose_postings_changed(monkeypatch):
    """A story read again whose words keep their weights changes no posting list: only the
    shards of the word it gained are made (and its chunk), none of its other words'."""
    monkeypatch.setattr(search_index, "CHUNK", 4)
    monkeypatch.setattr(search_index, "SHARD_LIMIT", 6)
    stories = {n: _story(n, n, (n, n + 1)) for n in range(12)}
    memo: dict = {}
    _made(language_files("en", _ordered(stories), URLS, None, memo))
    old = stories[5]
    stories[5] = _story(5, 5, (5, 6, 40), version=0)  # one word more: "press40"
    stories[5].title, stories[5].tags = old.title, old.tags
    files = language_files("en", _ordered(stories), URLS, None, memo)
    made = _made(files)
    shards = {rel for rel in _fresh(files) if "/t-" in rel}
    holding = {rel for rel in made if "/t-" in rel and '"press40"' in made[rel].decode()}
    assert shards == holding, (shards, holding)
    assert made == _made(language_files("en", _ordered(stories), URLS, None, None))
