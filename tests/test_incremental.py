"""Incremental builds: the cache never changes what is built, only how much work it takes.

Every check compares an incremental build with a clean build (no cache, a fresh output
folder) of the same inputs, file by file and byte for byte.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import REPO, TODAY, copy_site
from generator import cache as cache_module
from generator import pipeline
from generator.cache import BuildCache
from generator.config import load_config
from generator.errors import SahifaError
from generator.live import LiveSite
from generator.pipeline import build_site
from generator.sources import discover


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def assert_same_tree(a: Path, b: Path) -> None:
    left, right = tree(a), tree(b)
    assert sorted(left) == sorted(right), (sorted(set(left) ^ set(right)))[:10]
    differ = [p for p in left if left[p] != right[p]]
    assert not differ, differ[:10]


@pytest.fixture
def site(tmp_path):
    root = copy_site(tmp_path / "site")
    return root


def incremental(root: Path, today: dt.date = TODAY, **overrides):
    config = load_config(root, **overrides)
    return build_site(config, root / "public", today=today, cache_dir=root / ".sahifa-cache")


def clean(root: Path, tmp: Path, today: dt.date = TODAY, **overrides) -> Path:
    out = tmp / f"clean-{len(list(tmp.glob('clean-*')))}"
    build_site(load_config(root, **overrides), out, today=today)
    return out


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


ARTICLE = "content/en/global-press-day.md"
ARTICLE_EDITS = {
    "body": ("Newsrooms around the world", "Newsrooms on every continent"),
    "title": ("title:", "title: Updated -"),
    "tags": ("tags: [", "tags: [Incremental builds, "),
    "date": ("date: 20", "date: 19"),
}


def test_second_build_with_nothing_changed_does_nothing(site):
    first = incremental(site)
    assert not first.unchanged and first.changed == first.pages
    before = {p: p.stat().st_mtime_ns for p in (site / "public").rglob("*")}
    second = incremental(site)
    assert second.unchanged
    assert second.articles == first.articles
    assert second.notices == first.notices and second.problems == first.problems
    assert {p: p.stat().st_mtime_ns for p in (site / "public").rglob("*")} == before


@pytest.mark.parametrize(
    "change",
    ["body", "title", "tags", "date", "delete", "add", "template", "static", "catalogue", "config", "seed"],
)
def test_incremental_build_equals_clean_build(site, tmp_path, change):
    incremental(site)
    article = site / ARTICLE
    if change in ARTICLE_EDITS:
        edit(article, *ARTICLE_EDITS[change])
    elif change == "delete":
        article.unlink()
    elif change == "add":
        shutil.copy(article, site / "content/en/copy-of-press-day.md")
        edit(site / "content/en/copy-of-press-day.md", "title:", "title: Copy -")  # its own slug
    elif change == "template":
        edit(site / "templates/article.html", '<h1 dir="auto">', '<h1 dir="auto" data-edited="1">')
    elif change == "static":
        (site / "static/css/site.css").write_text(
            (site / "static/css/site.css").read_text(encoding="utf-8") + "\n/* edited */\n", encoding="utf-8"
        )
    elif change == "catalogue":
        po = site / "locale/fr/LC_MESSAGES/messages.po"
        text = po.read_text(encoding="utf-8")
        assert 'msgstr "Mots-clés"' in text
        po.write_text(text.replace('msgstr "Mots-clés"', 'msgstr "Sujets"', 1), encoding="utf-8")
    elif change == "config":
        edit(site / "site.toml", 'title = "', 'title = "Edited ')
    elif change == "seed":
        seed = next((site / "seeds").glob("*.txt"))
        seed.write_text(seed.read_text(encoding="utf-8").replace("توكاييف", "توكايف", 1), encoding="utf-8")
    report = incremental(site)
    assert not report.unchanged
    if change in ("body", "static", "seed"):
        assert 0 < report.changed < report.pages / 4  # only what shows the change was written
    assert_same_tree(site / "public", clean(site, tmp_path))


def count_reads(monkeypatch) -> list:
    """The sources read from now on (records taken from the cache are not reads)."""
    reads: list = []
    real = pipeline._read_one
    monkeypatch.setattr(pipeline, "_read_one", lambda s, **kw: reads.append(s) or real(s, **kw))
    return reads


def test_cache_is_keyed_on_the_day_the_overrides_and_the_code(site, tmp_path, monkeypatch):
    incremental(site)
    # Another day: future-dated articles may now be published.
    assert not incremental(site, today=TODAY + dt.timedelta(days=1)).unchanged
    assert incremental(site, today=TODAY + dt.timedelta(days=1)).unchanged
    # An override from the command line is part of the configuration.
    report = incremental(site, today=TODAY + dt.timedelta(days=1), base_url="https://other.example/")
    assert not report.unchanged and report.changed > 0
    assert_same_tree(
        site / "public",
        clean(site, tmp_path, today=TODAY + dt.timedelta(days=1), base_url="https://other.example/"),
    )
    # New code or library versions: no record is reused.
    reads = count_reads(monkeypatch)
    incremental(site, base_url="https://other.example/")
    assert reads == []  # only the day changed: every record came from the cache
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "another version")
    report = incremental(site, base_url="https://other.example/")
    sources, _ = discover(load_config(site))
    assert not report.unchanged and len(reads) == len(sources) > 0


@pytest.mark.parametrize("early", [False, True])
@pytest.mark.parametrize("story_edited", [False, True])
def test_output_edited_by_hand_is_rebuilt(site, tmp_path, story_edited, early, monkeypatch):
    """Whether the inputs are the last build's (the output folder is checked at once) or a
    story changed too (checked in a forked process while the build goes on; a failed answer,
    asked before the commit, means a second, full attempt)."""
    if early:  # the check forked as examine starts (a big site's way), not after its look
        monkeypatch.setattr(cache_module, "EARLY_CHECK_BYTES", 0)
    incremental(site)
    attempts = []
    build_from = pipeline._build_from
    monkeypatch.setattr(
        pipeline, "_build_from", lambda *a, **k: attempts.append(k["state"]) or build_from(*a, **k)
    )
    for page in ("en/index.html", "ar/index.html"):  # the edit below changes neither
        (site / "public" / page).write_text("defaced", encoding="utf-8")
    (site / "public/stray.html").write_text("stray", encoding="utf-8")
    if story_edited:
        edit(site / ARTICLE, *ARTICLE_EDITS["body"])
    report = incremental(site)
    assert not report.unchanged
    assert [state is not None for state in attempts] == ([True, False] if story_edited else [False])
    assert_same_tree(site / "public", clean(site, tmp_path))
    # When a story changed, the check's answer is asked just before the commit and the build
    # is made again in full: its report is the full build's alone (nothing said twice).
    again = build_site(load_config(site), tmp_path / "again", today=TODAY)
    assert [str(p) for p in report.problems] == [str(p) for p in again.problems]
    assert [str(n) for n in report.notices] == [str(n) for n in again.notices]
    assert report.pages == again.pages and report.changed == again.pages
    assert incremental(site).unchanged


def test_output_replaced_by_a_foreign_folder_while_a_story_changed(site):
    """The output folder's check fails (answered before the commit): the folder, no longer
    Sahifa's, is not replaced without ``force``, and nothing in it is touched."""
    incremental(site)
    shutil.rmtree(site / "public")
    (site / "public").mkdir()
    (site / "public/keep.txt").write_text("someone else's", encoding="utf-8")
    edit(site / ARTICLE, *ARTICLE_EDITS["body"])
    with pytest.raises(SahifaError, match="not made by Sahifa"):
        incremental(site)
    assert [p.name for p in (site / "public").iterdir()] == ["keep.txt"]
    assert not [p.name for p in site.iterdir() if p.name.startswith(".public")]
    build_site(load_config(site), site / "public", today=TODAY, cache_dir=site / ".sahifa-cache", force=True)
    assert not (site / "public/keep.txt").exists() and (site / "public/en/index.html").is_file()


def test_damaged_cache_is_ignored(site, tmp_path):
    incremental(site)
    for path in (site / ".sahifa-cache").rglob("*"):
        if path.is_file():  # records, manifest, and the processed images with their info.json
            path.write_bytes(b"\x80\x05 not a pickle")
    report = incremental(site)
    assert not report.unchanged
    assert_same_tree(site / "public", clean(site, tmp_path))


def test_cli_no_op_rebuild(site):
    cmd = [sys.executable, str(REPO / "build.py"), "--root", str(site)]
    first = subprocess.run(cmd, capture_output=True, text=True)
    assert first.returncode in (0, 1), first.stderr
    second = subprocess.run(cmd, capture_output=True, text=True)
    assert second.returncode == first.returncode
    assert "nothing changed since the last build" in second.stdout
    assert second.stderr == first.stderr  # the same warnings, again
    third = subprocess.run(cmd + ["--no-cache"], capture_output=True, text=True)
    assert "nothing changed" not in third.stdout


def test_cli_leaves_its_state_and_no_staging_or_trash_folder(site, tmp_path):
    """The command line returns once its state is written and the files it moved out of the
    spare tree's way are removed (``OutputWriter.discard``, by another process while
    the state is saved): whoever looks at the site next finds the state and nothing beside the output,
    and a build right after is incremental."""
    cmd = [sys.executable, str(REPO / "build.py"), "--root", str(site)]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert first.returncode in (0, 1), first.stderr
    states = list((site / ".sahifa-cache").glob("state-*.pickle"))
    assert len(states) == 1 and BuildCache(site / ".sahifa-cache").load_state(site / "public")
    assert not [p.name for p in (site / ".sahifa-cache").iterdir() if p.name.startswith(".")]
    edit(site / ARTICLE, *ARTICLE_EDITS["body"])
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert second.returncode == first.returncode, second.stderr
    files, written = map(int, re.search(r"(\d+) files \((\d+) written\)", second.stdout).groups())
    assert 0 < written < files / 4, second.stdout
    # The staging folder swapped in, and the files moved out of its way removed.
    assert not [p.name for p in site.iterdir() if p.name.startswith(".public.")]
    assert_same_tree(site / "public", clean(site, tmp_path))


# ---- the preview server's quick update ---------------------------------------------------


def live_site(root: Path) -> LiveSite:
    live = LiveSite(load_config(root), root / "public", BuildCache(root / ".sahifa-cache"), today=TODAY)
    live.full_build()
    return live


def html_pages(folder: Path) -> dict[str, bytes]:
    return {k: v for k, v in tree(folder).items() if k.endswith(".html")}


def test_quick_update_renders_exactly_what_a_clean_build_renders(site, tmp_path):
    article = site / ARTICLE
    edit(article, "title:", "slug: press-day\ntitle:")  # with a fixed slug, a new title moves nothing
    live = live_site(site)
    edit(article, "title:", "title: Quick -")
    edit(article, "Newsrooms around the world", "Newsrooms on every continent")
    written = live.quick_update([article])
    assert written is not None
    slug_page = next(p for p in written if "/articles/" in p)
    assert "en/index.html" in written  # the home page lists it
    assert any(p.startswith("en/tags/") for p in written)  # so do its tag pages
    expected = clean(site, tmp_path)
    # Every HTML page is now what a clean build makes (feeds and search wait for a full build).
    assert html_pages(site / "public") == html_pages(expected)
    assert "Quick -" in (site / "public" / slug_page).read_text(encoding="utf-8")
    # Then feeds, sitemap and search index (the preview's build process does this once saves
    # pause), and the output is recorded as a build of these inputs.
    written, fingerprint = live.refresh_extras()
    assert any(rel.endswith("feed.xml") for rel in written)
    live.save_state(fingerprint)
    assert_same_tree(site / "public", expected)
    # The output is now exactly a build of these inputs: the next build has nothing to do.
    assert incremental(site).unchanged


@pytest.mark.parametrize("change", ["tags", "date", "slug", "new"])
def test_quick_update_refuses_changes_of_structure(site, change):
    live = live_site(site)
    article = site / ARTICLE
    if change in ARTICLE_EDITS:
        edit(article, *ARTICLE_EDITS[change])
    elif change == "slug":
        edit(article, "title:", "slug: renamed\ntitle:")  # an explicit slug moves the article
    elif change == "new":
        article = site / "content/en/brand-new.md"
        article.write_text("---\ntitle: New\ndate: 2022-01-01\n---\n\nText.\n", encoding="utf-8")
    assert live.quick_update([article]) is None


def test_template_edit_re_renders_without_re_reading_content(site, tmp_path, monkeypatch):
    """The preview server keeps records in memory: a template edit costs rendering only."""
    live = live_site(site)
    reads = count_reads(monkeypatch)
    edit(site / "templates/article.html", '<h1 dir="auto">', '<h1 dir="auto" data-edited="1">')
    report = live.full_build()
    assert reads == []
    assert report.changed >= report.articles  # every article page changed ...
    assert_same_tree(site / "public", clean(site, tmp_path))  # ... exactly as a clean build has it
    # A saved article is then read again, and only that one.
    reads.clear()  # (the clean build above read everything, as it should)
    edit(site / ARTICLE, "Newsrooms around the world", "Newsrooms everywhere")
    live.full_build()
    assert [s.path.name for s in reads] == ["global-press-day.md"]


def test_a_recorded_preview_state_keeps_the_builds_messages(site):
    """The state the preview records carries the last full build's problems, warnings and
    count: a later no-op command-line build reports them again, with the same exit status."""
    (site / "content/en/broken.md").write_text("---\ntitle: [unclosed\n---\nx\n", encoding="utf-8")
    live = live_site(site)
    _, fingerprint = live.refresh_extras()
    live.save_state(fingerprint)
    state = live.cache.load_state(live.out_dir)
    assert any("content/en/broken.md" in p for p in state.problems)
    assert state.articles == live.messages[2] > 0


def test_a_file_put_by_hand_into_the_output_never_survives_a_preview_save(site, tmp_path):
    """A preview that saves its state reads again only the times of the output folders it
    wrote into: a stray file put by hand into another output folder (or into the top one)
    still fails the next build's output check, and the build after leaves a clean build's
    tree (the stray file is neither in the output nor carried over in the kept tree)."""
    live = live_site(site)
    tags = next(p for p in (site / "public/en/tags").iterdir() if p.is_dir())
    (tags / "stray.html").write_text("by hand", encoding="utf-8")
    (site / "public/stray.txt").write_text("by hand", encoding="utf-8")
    article = site / ARTICLE
    edit(article, "Newsrooms around the world", "Newsrooms on every continent")
    assert live.quick_update([article])
    _, fingerprint = live.refresh_extras()
    live.save_state(fingerprint)
    assert not incremental(site).unchanged  # the stray files are seen: the output is not the build's
    assert_same_tree(site / "public", clean(site, tmp_path))
    edit(article, "Newsrooms on every continent", "Newsrooms everywhere")
    incremental(site)  # the tree kept from before (with the stray files) becomes the output
    assert_same_tree(site / "public", clean(site, tmp_path))


def test_a_preview_build_failing_after_its_commit_forgets_the_output(site, tmp_path, monkeypatch):
    """A full build that fails after it put its output in place leaves the preview knowing
    nothing true of the output: no quick update, no first look, no state saved (which
    would name the tree kept before, now replaced); the next build is right."""
    live = live_site(site)
    article = site / ARTICLE
    edit(article, "Newsrooms around the world", "Newsrooms on every continent")

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline.permalinks, "save", full)
    with pytest.raises(OSError):
        live.full_build()
    monkeypatch.undo()
    assert live.quick_update([article]) is None and live.first_look([article]) == []
    live.save_state("F")
    assert live.cache.load_state(live.out_dir) is None
    edit(article, "Newsrooms on every continent", "Newsrooms everywhere")
    live.full_build()
    assert_same_tree(site / "public", clean(site, tmp_path))
    assert live.quick_update([article]) is not None  # known again


def test_a_preview_build_failing_before_its_commit_keeps_the_output_known(site, tmp_path, monkeypatch):
    """One that fails before (a template error, say) leaves the output as it was: quick
    updates go on, and the tree it may have taken for staging is no longer vouched for."""
    live = live_site(site)
    edit(site / "templates/article.html", '<h1 dir="auto">', '<h1 dir="auto">{{ broken(')
    with pytest.raises(Exception):
        live.full_build()
    assert live.spare is None
    edit(site / "templates/article.html", '<h1 dir="auto">{{ broken(', '<h1 dir="auto">')
    article = site / ARTICLE
    edit(article, "Newsrooms around the world", "Newsrooms everywhere")
    assert live.quick_update([article])
    _, fingerprint = live.refresh_extras()
    live.save_state(fingerprint)
    incremental(site)
    assert_same_tree(site / "public", clean(site, tmp_path))


def test_the_build_process_survives_a_failing_command(tmp_path):
    from generator.builder import serve_command

    class Broken:
        def copy_static(self, paths):
            raise PermissionError(13, "Permission denied")

        def save_state(self, fingerprint):
            raise OSError(28, "No space left on device")

        def quick_update(self, paths):
            raise RuntimeError("boom")

    assert serve_command(Broken(), {}, "static", ["x.css"]) == {"fallback": True}
    assert serve_command(Broken(), {}, "quick", ["x.md"]) == {"fallback": True}
    assert serve_command(Broken(), {}, "record", "F") == {}


def test_spare_tree_is_brought_up_to_date_never_written_through(tmp_path):
    """The writer's spare tree (the output folder the build before replaced) becomes the next
    staging folder: after any sequence of builds, including a file that becomes a folder and
    back, the output folder holds exactly this build's files, and the kept tree exactly the
    previous build's (files shared by hard links were replaced, never written through)."""
    from generator.write import OutputWriter

    out, spare = tmp_path / "public", tmp_path / "cache" / "spare-0123456789abcdef"
    builds = [
        {"a/b": b"1", "c/index.html": b"x", "e/f/g.html": b"g"},
        {"a/b/index.html": b"2", "c/index.html": b"x", "e/f/g.html": b"g"},
        {"a/b": b"3", "c/index.html": b"y", "d.html": b"d", "e/f/g.html": b"g"},
        {"a/b/index.html": b"4", "c/index.html": b"y", "e/f/g.html": b"G"},
        {"a/b/index.html": b"4", "c/index.html": b"z"},
        {"a/b": b"6", "c/index.html": b"z", "e/f/g.html": b"g"},
    ]
    state = None
    for number, files in enumerate(builds):
        writer = OutputWriter(
            out,
            previous=state[0] if state else None,
            spare=spare,
            spare_manifest=state[1] if state else None,
        )
        for rel, data in files.items():
            writer.write(rel, data)
        state = (writer.commit(), writer.kept_spare)
        assert tree(out) == files, number
        assert not [d for d in out.rglob("*") if d.is_dir() and not any(d.iterdir())], number
        if number >= 1:  # incremental from the second build on: the replaced tree is kept
            assert tree(spare) == builds[number - 1], number
            assert state[1] is not None
        for rel, entry in state[0].items():  # the manifest describes the output folder
            st = (out / rel).stat()
            assert (st.st_size, st.st_mtime_ns) == entry[:2], (number, rel)
        if number == 1:
            # A file no build made, at the top (the preview's error page, written while the
            # state was recorded): it leaves with this tree and never comes back.
            (out / "_sahifa_build_error.html").write_text("failed", encoding="utf-8")


def test_article_keys_digest_every_field_of_a_term_reference():
    """``PageKeys.article_key`` spells out a ``TermRef``'s fields (quicker than its repr): a
    field added to ``TermRef`` must be added there too, or a page showing it could be kept."""
    import dataclasses

    from generator.model import TermRef

    assert [f.name for f in dataclasses.fields(TermRef)] == ["key", "name", "slug", "lang", "taxonomy"]


def test_card_store_keeps_cards_per_environment_and_survives_damage(tmp_path):
    from generator.cache import CardStore

    path = tmp_path / "cache" / "cards.sqlite"
    store = CardStore(path, "env-1")
    assert store.get("ar", b"k1") is None
    store.add({"ar": {b"k1": "بطاقة".encode(), b"k2": b"two"}, "en": {b"k1": b"one"}})
    assert CardStore(path, "env-1").lookup("ar").get(b"k1") == "بطاقة".encode()
    assert CardStore(path, "env-1").get("en", b"k1") == b"one"
    # Many at once (a list page's cards, in one question; more keys than SQLite binds at once).
    asked = [b"k1", b"k2", b"k9"] + [f"none{n}".encode() for n in range(900)]
    assert CardStore(path, "env-1").lookup("ar").get_many(asked) == {b"k1": "بطاقة".encode(), b"k2": b"two"}
    assert CardStore(path, "env-1").get_many("en", [b"k1", b"k2"]) == {b"k1": b"one"}
    # Pruning keeps the live cards once there are a quarter more than stories.
    store.prune([b"k1"], stories=100)
    assert store.get("ar", b"k2") == b"two"  # 3 cards for 100 stories: nothing to prune
    store.add({"en": {f"old{n}".encode(): b"x" for n in range(150)}})
    store.prune([b"k1"], stories=1)
    assert store.get("ar", b"k2") is None and store.get("en", b"old7") is None
    assert store.get("ar", b"k1") is not None
    # Another rendering environment: the cards of the old one are never served.
    assert CardStore(path, "env-2").get("ar", b"k1") is None
    # A damaged file is a store without cards, and works again.
    path.write_bytes(b"not a database" * 100)
    damaged = CardStore(path, "env-2")
    assert damaged.get("ar", b"k1") is None
    damaged.add({"ar": {b"k3": b"three"}})
    assert CardStore(path, "env-2").get("ar", b"k3") == b"three"
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_a_new_story_is_on_screen_before_the_full_build_that_places_it(site, tmp_path):
    """The preview's first look: a new story's page is written from the last model at once (a
    deleted story's page removed); the full build that follows leaves exactly what a clean
    build makes (lists, neighbours, related stories), and a first look never takes an address
    another story holds."""
    live = live_site(site)
    new = site / "content/en/harbour-reopens.md"
    new.write_text(
        "---\ntitle: Harbour reopens after the storm\ndate: 2022-01-12T09:00:00+03:00\n"
        "tags: [Weather]\n---\n\nThe harbour opened again on Wednesday.\n",
        encoding="utf-8",
    )
    assert live.quick_update([new]) is None  # structure changes: a full build is needed
    written = live.first_look([new])
    assert written == ["en/articles/harbour-reopens-after-the-storm/index.html"]
    page = (site / "public" / written[0]).read_text(encoding="utf-8")
    assert "Harbour reopens after the storm" in page and "opened again on Wednesday" in page
    # A second story wanting an address that is taken gets no first look.
    twin = site / "content/en/harbour-twin.md"
    twin.write_text(new.read_text(encoding="utf-8"), encoding="utf-8")
    live.full_build()
    assert live.first_look([twin]) == []
    live.full_build()
    assert_same_tree(site / "public", clean(site, tmp_path))
    assert incremental(site).unchanged
    # Deleted before its full build: the first look goes with it.
    gone = site / "content/en/gone-soon.md"
    gone.write_text("---\ntitle: Gone soon\ndate: 2022-01-12\n---\n\nText.\n", encoding="utf-8")
    assert live.first_look([gone]) == ["en/articles/gone-soon/index.html"]
    gone.unlink()
    live.full_build()
    assert not (site / "public/en/articles/gone-soon").exists()
    assert_same_tree(site / "public", clean(site, tmp_path))
    # A deleted story's page goes at once, before its full build.
    page = live.by_source[ARTICLE].path
    (site / ARTICLE).unlink()
    assert live.first_look([site / ARTICLE]) == [page]
    assert not (site / "public" / page).exists()
    live.full_build()
    assert_same_tree(site / "public", clean(site, tmp_path))


def test_a_refresh_after_quick_updates_remakes_only_changed_feeds_and_forgets_their_keys(site, tmp_path):
    """The preview's refresh keys feeds as builds do; a file it wrote (in a forked process)
    loses its key in the build process, so a later build never trusts the key it replaced."""
    article = site / ARTICLE
    edit(article, "title:", "slug: press-day\ntitle:")
    live = live_site(site)
    feeds = sum(1 for rel in live.manifest if rel.endswith(("feed.xml", "rss.xml")))
    edit(article, "title:", "title: Corrected -")
    assert live.quick_update([article])
    written = live.write_extras()
    changed_feeds = [rel for rel in written if rel.endswith(("feed.xml", "rss.xml"))]
    assert changed_feeds and len(changed_feeds) < feeds
    live.pages[changed_feeds[0]] = (b"stale", None)
    live.extras_done({rel: live.manifest[rel] for rel in changed_feeds})
    assert changed_feeds[0] not in live.pages
    # Back to the title the feeds had at the last full build: that build's keys match again,
    # but the files hold the correction; the next build must not keep them.
    edit(article, "title: Corrected -", "title:")
    live.full_build()
    assert_same_tree(site / "public", clean(site, tmp_path))


def test_first_look_never_takes_a_case_variant_of_another_storys_address(site, tmp_path):
    """Two addresses that differ only in case are one folder on case-insensitive file systems
    (and so on many hosts): a first look leaves such a story to the full build, which numbers
    it."""
    live = live_site(site)
    taken = live.by_source[ARTICLE].slug
    twin = site / "content/en/twin.md"
    twin.write_text(
        f"---\ntitle: Twin\nslug: {taken.upper()}\ndate: 2022-01-12\n---\n\nText.\n", encoding="utf-8"
    )
    assert live.first_look([twin]) == []
    twin.unlink()
    live.full_build()
    # A renamed source is another story to the register (its id comes from its path): the old
    # address stays the old story's, and the build gives the new one its own.
    page = live.by_source[ARTICLE].path
    moved = site / "content/en/renamed.md"
    (site / ARTICLE).rename(moved)
    assert live.first_look([site / ARTICLE, moved]) == [page]
    live.full_build()
    assert_same_tree(site / "public", clean(site, tmp_path))


def test_a_story_published_again_is_first_shown_at_its_registered_address(site, tmp_path):
    live = live_site(site)
    story = site / "content/en/back-again.md"
    text = "---\ntitle: Back again\ndate: 2022-01-12\n---\n\nText.\n"
    story.write_text(text, encoding="utf-8")
    live.full_build()
    page = live.by_source["content/en/back-again.md"].path
    story.unlink()
    live.full_build()
    story.write_text(text.replace("Back again", "Back again, retitled"), encoding="utf-8")
    assert live.first_look([story]) == [page]  # the register keeps its first address
    live.full_build()
    assert_same_tree(site / "public", clean(site, tmp_path))


def test_the_preview_indexes_article_pages_without_their_views(site):
    """``PagePlanner.article_shows`` (the preview's index of which pages show which story)
    is what the article page's view declares, for every article page."""
    live = live_site(site)
    planner = live.planner
    pages = [spec for spec in live.specs.values() if spec.article is not None]
    assert len(pages) > 10
    for spec in pages:
        assert planner.article_shows(spec.article) == spec.view.articles(), spec.path


_PLAIN_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.binary(max_size=20) | st.dates(),
    lambda inner: st.lists(inner, max_size=4) | st.lists(inner, max_size=4).map(tuple),
    max_leaves=20,
)


def _fresh(value):
    """The same value made of new objects (strings and bytes copied, not shared)."""
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_fresh(v) for v in value)
    if isinstance(value, str):
        return "".join(list(value))
    if isinstance(value, bytes):
        return bytes(bytearray(value))
    return value


@given(_PLAIN_VALUES, _PLAIN_VALUES)
def test_page_keys_digest_values_not_objects(a, b):
    """A key depends on the values it is made of, never on which of them are one object, and
    tells apart values that only look alike (``1``, ``True``, ``"1"``; a list and a tuple)."""
    from generator.pagekeys import _hash

    assert _hash((a, a)) == _hash((_fresh(a), _fresh(a)))
    assert (_hash(a) == _hash(b)) == (repr(a) == repr(b))


def test_unchanged_files_are_never_linked_from_outside_the_output_folder(tmp_path):
    """An incremental build links the files it did not change from the output folder into
    the new tree; a folder of the output folder swapped for a link that leads out of it (at
    any depth) makes it refuse, naming the folder, and leaves the output as it was; a link to
    a folder inside it is followed."""
    from generator.errors import SahifaError
    from generator.write import OutputWriter

    out = tmp_path / "public"
    files = {"a/b/c/index.html": b"c", "a/d.html": b"d", "e/index.html": b"e", "top.html": b"t"}
    writer = OutputWriter(out)
    for rel, data in files.items():
        writer.write(rel, data)
    manifest = writer.commit()

    outside = tmp_path / "outside"
    (outside / "c").mkdir(parents=True)
    (outside / "c" / "index.html").write_bytes(b"secret")
    shutil.rmtree(out / "a" / "b")
    (out / "a" / "b").symlink_to(outside, target_is_directory=True)
    writer = OutputWriter(out, previous=manifest)
    for rel, data in files.items():
        writer.write(rel, b"new" if rel == "top.html" else data)
    with pytest.raises(SahifaError) as refused:
        writer.commit()
    writer.abort()
    assert refused.value.args[0] == "a/b" or "a/b" in str(refused.value)
    assert "outside the output folder" in str(refused.value)
    assert (out / "top.html").read_bytes() == b"t"

    (out / "a" / "b").unlink()
    (out / "inner" / "c").mkdir(parents=True)
    (out / "inner" / "c" / "index.html").write_bytes(b"c")
    (out / "a" / "b").symlink_to(out / "inner", target_is_directory=True)
    writer = OutputWriter(out, previous=manifest)
    for rel, data in files.items():
        writer.write(rel, b"new" if rel == "top.html" else data)
    manifest = writer.commit()
    assert (out / "a" / "b" / "c" / "index.html").read_bytes() == b"c"
    assert not (out / "a" / "b").is_symlink()  # a folder of the new tree, not the link
    assert (out / "top.html").read_bytes() == b"new"


def test_a_story_corrected_in_one_language_leaves_the_others_feeds_and_index_alone(
    site, tmp_path, monkeypatch
):
    """The language feeds and the search index of a language are keyed by the stories they
    show: a correction to an English story makes the English ones again and changes nothing
    in any other language's (each worker notes what it made in a file: the build may fork)."""
    from generator import feeds, search_index

    made = tmp_path / "made.txt"

    def noting(name, real):
        def wrapper(*args, **kwargs):
            result = real(*args, **kwargs)
            if name == "search":  # _Index.update(articles, ...): which postings and lines changed
                if not (result or args[0].changed):
                    return result
                lang = args[1][0].lang
            else:
                lang = args[1]
            with made.open("a", encoding="utf-8") as fh:
                fh.write(f"{name} {lang}\n")
            return result

        return wrapper

    monkeypatch.setattr(search_index._Index, "update", noting("search", search_index._Index.update))
    monkeypatch.setattr(feeds.FeedWriter, "language_atom", noting("atom", feeds.FeedWriter.language_atom))
    incremental(site)
    every = set(made.read_text(encoding="utf-8").split("\n")) - {""}
    assert {"search ar", "search en", "atom ar", "atom en"} <= every
    made.unlink()
    edit(site / ARTICLE, *ARTICLE_EDITS["body"])
    incremental(site)
    assert set(made.read_text(encoding="utf-8").split("\n")) - {""} == {"search en", "atom en"}
    assert_same_tree(site / "public", clean(site, tmp_path))


@pytest.mark.parametrize("early", [True, False])
def test_examine_looks_at_the_inputs_in_the_check_process_as_it_would_here(site, early, monkeypatch):
    """With a big last state, ``examine`` takes the inputs' digest and listing from a process
    of its own (``cache.Forked``), started with the output check: the same as made here; with
    a small one, it looks here and forks the check after."""
    if early:
        monkeypatch.setattr(cache_module, "EARLY_CHECK_BYTES", 0)
    forked = []
    real = cache_module.Forked
    monkeypatch.setattr(cache_module, "Forked", lambda *a, **k: forked.append(a) or real(*a, **k))
    incremental(site)
    forked.clear()
    edit(site / ARTICLE, *ARTICLE_EDITS["body"])
    config = load_config(site)
    examined = cache_module.examine(BuildCache(site / ".sahifa-cache"), config, site / "public", TODAY)
    scans: dict = {}
    assert examined.previous is not None and examined.check is not None
    assert examined.inputs == cache_module.inputs_digest(config, site / "public", TODAY, scans)
    assert examined.scans == scans and examined.check() is True
    assert len(forked) == (2 if early else 1)


def test_the_background_output_check_answers_as_the_check_does(tmp_path):
    """``cache.OutputCheck`` (the output folder's walk, forked while a build reads, compared
    with a manifest when asked) gives ``manifest_matches``'s answer: true for a folder as
    recorded, false for a file edited, added (at the top or in a new folder) or removed, and
    for a folder gone; ``cache.Forked`` hands back what the work gave, or its failed answer
    when it raised; ``cancel`` ends one not waited for; nothing is left pending."""
    import os as _os

    from generator import cache as cache_mod

    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "a.html").write_text("x", encoding="utf-8")
    (out / "sub" / "b.html").write_text("yy", encoding="utf-8")
    manifest = {
        "a.html": (1, _os.lstat(out / "a.html").st_mtime_ns, b""),
        "sub/b.html": (2, _os.lstat(out / "sub" / "b.html").st_mtime_ns, b""),
    }

    def check():
        return cache_mod.OutputCheck(out).against(manifest)()

    assert check() is True and cache_mod.manifest_matches(out, manifest) is True
    same = cache_mod.OutputCheck(out).against(manifest)
    assert same() is True and same() is True
    (out / "a.html").write_text("z", encoding="utf-8")  # same size, another time
    _os.utime(out / "a.html", ns=(manifest["a.html"][1] + 1,) * 2)
    assert check() is False and cache_mod.manifest_matches(out, manifest) is False
    _os.utime(out / "a.html", ns=(manifest["a.html"][1],) * 2)
    assert check() is True
    (out / "c.html").write_text("stray", encoding="utf-8")
    assert check() is False  # the folder gained a file
    (out / "c.html").unlink()
    (out / "new").mkdir()
    assert check() is True  # an empty folder is no file of the site
    (out / "new" / "c.html").write_text("stray", encoding="utf-8")
    assert check() is False
    (out / "new" / "c.html").unlink()
    (out / "sub" / "b.html").rename(out / "b.html")
    assert check() is False  # moved: the same file under another path
    (out / "b.html").rename(out / "sub" / "b.html")
    assert check() is True
    (out / "sub" / "b.html").unlink()
    assert check() is False
    assert cache_mod.Forked(lambda: ("seen", {"x": [("/a", (1, 2), 3)]}))() == (
        "seen",
        {"x": [("/a", (1, 2), 3)]},
    )
    assert cache_mod.Forked(lambda: 1 / 0, failed="no")() == "no"
    pending = cache_mod.OutputCheck(out)
    forked = pending.listing.pid is not None  # (a process with other threads answers at once: no fork)
    pending.cancel()
    assert pending.against({"a.html": manifest["a.html"]})() is (False if forked else True)
    assert cache_mod.OutputCheck(tmp_path / "gone").against({})() is False
    assert cache_mod._checks == []


def test_the_sitemap_is_made_again_only_when_its_entries_change(site, tmp_path, monkeypatch):
    """The sitemap files are keyed by the entries they list: a body correction leaves every
    page's address, date and translations as they were, and the sitemap is not made again; a
    new story is a new entry; either way the files are a clean build's."""
    from generator import outputs

    made = []
    real = outputs.sitemap_outputs
    monkeypatch.setattr(outputs, "sitemap_outputs", lambda *a, **k: made.append(1) or real(*a, **k))
    incremental(site)
    assert made
    made.clear()
    edit(site / ARTICLE, *ARTICLE_EDITS["body"])
    incremental(site)
    assert not made
    assert_same_tree(site / "public", clean(site, tmp_path))
    made.clear()
    shutil.copy(site / ARTICLE, site / "content/en/copy-of-press-day.md")
    edit(site / "content/en/copy-of-press-day.md", "title:", "title: Copy -")
    incremental(site)
    assert made
    assert "/copy-newsrooms-mark-world-press-freedom-day/" in (site / "public" / "sitemap.xml").read_text(
        encoding="utf-8"
    )
    assert_same_tree(site / "public", clean(site, tmp_path / "2"))


_RELS = st.sampled_from(
    [
        f"{lang}/{kind}/{n}/index.html"
        for lang in ("ar", "en")
        for kind in ("page", "tags/x/page")
        for n in range(6)
    ]
)
_ENTRIES = st.one_of(
    st.none(), st.tuples(st.integers(0, 9), st.integers(0, 9), st.binary(min_size=0, max_size=2))
)


@given(
    manifest=st.dictionaries(_RELS, _ENTRIES, max_size=20),
    spare=st.one_of(st.none(), st.dictionaries(_RELS, _ENTRIES, max_size=20)),
    same=st.booleans(),
)
def test_the_state_keeps_its_spare_manifest_as_the_output_manifest_differs(
    tmp_path_factory, manifest, spare, same
):
    """The state file keeps the spare tree's manifest as what differs from the output's
    (``cache._spare_delta``): read back, both are as they were, whatever the two hold
    (files only in one, in both with other entries, in both alike)."""
    if same and spare is not None:
        spare = {**manifest, **spare}  # mostly the output as it was: the usual case
    cache = BuildCache(tmp_path_factory.mktemp("state"))
    out = cache.folder / "public"
    state = cache_module.BuildState("F", manifest, spare=spare, pages={"a": (b"k", None)}, stories={})
    cache.save_state(out, state)
    again = cache.load_state(out)
    assert again.manifest == manifest and again.spare == spare and again.pages == state.pages


def test_a_spare_manifest_like_the_output_one_takes_little_room(tmp_path):
    manifest = {f"ar/page/{n}/index.html": (n, n, b"d%d" % n) for n in range(2000)}
    spare = {**manifest, "ar/page/1/index.html": (0, 0, b"old")}
    cache = BuildCache(tmp_path)
    cache.save_state(tmp_path / "public", cache_module.BuildState("F", manifest, spare=spare))
    alone = len(cache.state_bytes(tmp_path / "public"))
    cache.save_state(tmp_path / "public", cache_module.BuildState("F", manifest, spare=None))
    assert alone < len(cache.state_bytes(tmp_path / "public")) + 200
    assert cache.load_state(tmp_path / "public").spare is None
