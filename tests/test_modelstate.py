"""A model patched from the one the last build kept (``modelstate``) is the one ``assemble``
makes of the same inputs: stories, terms and their order, translations, slugs, redirects, the
register, every problem and notice in order, after random sequences of edits."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import modelstate, permalinks
from generator.assemble import assembled
from generator.config import load_config
from generator.pagekeys import fingerprint_of
from generator.permalinks import Register
from conftest import markdown_record, scratch_site

TODAY = dt.date(2025, 1, 10)
LANGUAGES = {"en": "", "ar": ""}


def shape(site) -> tuple:
    """Everything a model holds, as values (articles by path; order kept wherever it is one)."""

    def said(items):
        return [(str(d), getattr(d, "level", None), getattr(d, "field", None)) for d in items]

    return (
        {
            lang: [
                (
                    a.record,
                    a.slug,
                    a.path,
                    a.translation_group,
                    a.former_paths,
                    [(k, list(v)) for k, v in a.terms.items()],
                )
                for a in articles
            ]
            for lang, articles in site.articles.items()
        },
        {
            taxonomy: {
                lang: [
                    (t.lang, t.key, t.name, t.slug, t.entity, t.taxonomy, [a.path for a in t.articles])
                    for t in found
                ]
                for lang, found in per_lang.items()
            }
            for taxonomy, per_lang in site.terms.items()
        },
        [(k, [a.path for a in v]) for k, v in site.translations.items()],
        said(site.problems),
        said(site.notices),
        site.redirects,
        sorted(site.permalinks.entries.items()),
        list(site.permalinks.problems),
    )


def story(name: str, s: dict):
    published = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(hours=s["hour"])
    fields = {
        "title": s["title"],
        "slug": s["slug"],
        "translation_key": s["key"],
        "draft": s["draft"],
        "source_id": s["id"] or f"{s['lang']}/{name}",
    }
    record = markdown_record(
        name, published, lang=s["lang"], tags=s["tags"], body_html=f"<p>{s['body']}</p>", **fields
    )
    if s["sources"]:
        record = record.with_terms("sources", s["sources"])
    return replace(record, fingerprint=fingerprint_of(record).hex())


TITLES = ("Gaza talks", "Gaza Talks", "Rain", "Rain 2", "rain-2", "page", "Feed.xml", "Straße", "STRASSE")
TITLES += ("σοφος", "σοφοσ", "", "\u202eRain", "Tags", "محادثات غزة")
stories = st.fixed_dictionaries(
    {
        "lang": st.sampled_from(("en", "en", "ar", "xx")),
        "hour": st.integers(0, 300),  # past TODAY after 216 hours: held back
        "title": st.sampled_from(TITLES),
        "slug": st.sampled_from(
            (None, None, None, None, "gaza", "rain", "rain-2", "page", "../x", "straße", "σοφοσ", "Rain")
        ),
        "key": st.sampled_from((None, None, "k1", "k2")),
        "id": st.sampled_from((None, None, None, "s1", "s2")),
        "draft": st.just(False),
        "tags": st.lists(
            st.sampled_from(
                ("Gaza", "gaza", "GAZA", "Gaza!", "Rain", "Rain 2", "rain-2", "page", "Page", "feed.xml")
            )
            | st.sampled_from(("غزة", "Straße", "STRASSE", "\u200b", "Аpple", "Kazakhstan", "X 2")),
            max_size=4,
            unique=True,
        ).map(tuple),
        "sources": st.lists(
            st.sampled_from(("Reuters", "reuters", "AFP", "Fr", "France")), max_size=2, unique=True
        ).map(tuple),
        "body": st.integers(0, 3),
    }
)
edits = st.tuples(
    st.sampled_from(
        (
            "add",
            "add",
            "delete",
            "body",
            "retitle",
            "reslug",
            "retag",
            "redate",
            "relang",
            "rekey",
            "draft",
            "resource",
            "day",
        )
    ),
    st.integers(0, 99),
    stories,
)
FIELDS = {
    "body": ("body",),
    "retitle": ("title",),
    "reslug": ("slug",),
    "retag": ("tags",),
    "redate": ("hour",),
    "relang": ("lang",),
    "rekey": ("key", "id"),
    "resource": ("sources",),
}


def _make(records, config, folder):
    return modelstate.make(
        records, config, today=TODAY, problems=[], screened={}, slugged=None, folder=folder
    )


def _clean(records, config):
    register = Register.load(config.permalinks_path)
    return assembled(records, config, today=TODAY, problems=[], register=register)[0]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.lists(stories, min_size=1, max_size=10),
    steps=st.lists(st.lists(edits, min_size=1, max_size=3), max_size=5),
)
def test_patched_model_is_the_assembled_one(tmp_path_factory, start, steps):
    root = scratch_site(tmp_path_factory.mktemp("site"), LANGUAGES)
    config = load_config(root)
    folder = root / ".sahifa-cache"
    held = {f"n{i}": dict(s) for i, s in enumerate(start)}
    counter = len(held)
    today = TODAY
    for step in [[]] + steps:
        for operation, pick, new in step:
            names = sorted(held)
            name = names[pick % len(names)] if names else None
            if operation == "day":  # a build on the next day: stories held back come out
                today += dt.timedelta(days=1)
            elif operation == "add" or name is None:
                held[f"n{counter}"] = dict(new)
                counter += 1
            elif operation == "delete":
                del held[name]
            elif operation == "draft":
                held[name]["draft"] = not held[name]["draft"]
            else:
                for field in FIELDS[operation]:
                    held[name][field] = new[field]
        records = [story(name, s) for name, s in held.items()]
        model = modelstate.make(
            records, config, today=today, problems=[], screened={}, slugged=None, folder=folder
        )
        clean = assembled(
            records, config, today=today, problems=[], register=Register.load(config.permalinks_path)
        )
        assert shape(model.site) == shape(clean[0])
        permalinks.save(model.site.permalinks, config.permalinks_path)
        model.keep(records, [])


def test_a_new_story_a_correction_and_a_deletion_are_patched(tmp_path):
    """The newsroom's builds: each patches the kept model (none assembles the site anew)."""
    root = scratch_site(tmp_path / "site", LANGUAGES)
    config = load_config(root)
    folder = root / ".sahifa-cache"
    base = {"lang": "en", "hour": 1, "title": "Rain", "slug": None, "key": None, "id": None, "draft": False}
    base.update(tags=("Rain",), sources=("AFP",), body=0)
    held = {f"n{i}": dict(base, hour=i, title=f"Rain {i}", tags=("Rain", f"t{i % 3}")) for i in range(12)}

    def build():
        records = [story(name, s) for name, s in held.items()]
        model = _make(records, config, folder)
        assert shape(model.site) == shape(_clean(records, config))
        permalinks.save(model.site.permalinks, config.permalinks_path)
        model.keep(records, [])
        return model

    assert not build().patched  # nothing kept yet
    held["new"] = dict(base, hour=40, title="Rain", tags=("Rain", "Flood"))  # a numbered slug, a new tag
    assert build().patched
    held["n3"]["body"] = 2
    assert build().patched
    del held["n5"]
    assert build().patched
    del held["new"]  # its tag goes with it, and nothing was numbered away from its URL
    assert build().patched


def test_a_changed_register_or_day_or_configuration_is_assembled(tmp_path):
    root = scratch_site(tmp_path / "site", LANGUAGES)
    config = load_config(root)
    folder = root / ".sahifa-cache"
    s = {"lang": "en", "hour": 1, "title": "Rain", "slug": None, "key": None, "id": None, "draft": False}
    s.update(tags=("Rain",), sources=(), body=0)
    records = [story("a", s), story("b", dict(s, hour=2))]
    model = _make(records, config, folder)
    permalinks.save(model.site.permalinks, config.permalinks_path)
    model.keep(records, [])
    assert _make(records, config, folder).patched
    # Someone edits the register by hand: it is read, not the kept model.
    path = config.permalinks_path
    path.write_text(path.read_text(encoding="utf-8").replace("\train\n", "\tdrizzle\n"), encoding="utf-8")
    again = _make(records, config, folder)
    assert not again.patched and {a.slug for a in again.site.articles["en"]} == {"drizzle", "rain-2"}
    assert shape(again.site) == shape(_clean(records, config))
    permalinks.save(again.site.permalinks, path)
    again.keep(records, [])
    assert _make(records, config, folder).patched
    later = modelstate.make(
        records,
        config,
        today=TODAY + dt.timedelta(days=1),
        problems=[],
        screened={},
        slugged=None,
        folder=folder,
    )
    assert not later.patched
    other = load_config(root, base_url="https://example.com/")
    assert not _make(records, other, folder).patched


def test_a_story_moved_to_another_language_leaves_its_old_address_to_others(tmp_path):
    """The first build of a day assembles and a story (a fixed source id) moves from English
    to Arabic; a story published later that day in English with the same title gets the
    address the first one left, patched as assembled (the register's holders of the old
    language's addresses counted again; found by an outside review)."""
    root = scratch_site(tmp_path / "site", LANGUAGES)
    config = load_config(root)
    folder = root / ".sahifa-cache"
    base = {"lang": "en", "hour": 1, "title": "Rain", "slug": None, "key": None, "id": "a", "draft": False}
    base.update(tags=(), sources=(), body=0)

    def build(held, today):
        records = [story(name, s) for name, s in held.items()]
        model = modelstate.make(
            records, config, today=today, problems=[], screened={}, slugged=None, folder=folder
        )
        clean = assembled(
            records, config, today=today, problems=[], register=Register.load(config.permalinks_path)
        )[0]
        assert shape(model.site) == shape(clean)
        permalinks.save(model.site.permalinks, config.permalinks_path)
        model.keep(records, [])
        return model

    build({"A": base}, TODAY)
    assert not build({"A": dict(base, lang="ar")}, TODAY + dt.timedelta(days=1)).patched
    later = build({"A": dict(base, lang="ar"), "B": dict(base, id="b", hour=2)}, TODAY + dt.timedelta(days=1))
    assert later.patched and [a.slug for a in later.site.articles["en"]] == ["rain"]


def test_no_redirect_where_a_case_variant_is_another_story(tmp_path):
    """A story's former address is not kept as a redirect once another story holds a case
    variant of it (one folder on a case-insensitive disk: the redirect would overwrite it)."""
    from generator.textnorm import fold_key

    root = scratch_site(tmp_path / "site", {"en": ""})
    config = load_config(root)
    base = {"lang": "en", "hour": 1, "title": "ΣΟΦΟΣ", "slug": None, "key": None, "id": "s1", "draft": False}
    base.update(tags=(), sources=(), body=0)

    def build(held):
        site = _clean([story(name, s) for name, s in held.items()], config)
        permalinks.save(site.permalinks, config.permalinks_path)
        return site

    first = build({"A": base})
    moved = build({"A": dict(base, slug="other")})
    assert [old for old, _ in moved.redirects] == [first.articles["en"][0].path]  # the old address redirects
    both = build({"A": dict(base, slug="other"), "B": dict(base, id="s2", title="x", slug="σοφοσ", hour=2)})
    pages = {fold_key(a.path) for a in both.articles["en"]}
    assert not [old for old, _ in both.redirects if fold_key(old) in pages]
