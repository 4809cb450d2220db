"""The preview server's site: kept in memory between saves, so one edited article costs a
few pages, not a build.

A full build (``build_site(keep=True)`` with a cache object that stays in memory) gives the
model, the planned pages and the environments. From them ``LiveSite`` indexes which pages
show which article (its own page, its translations, the home, tag and archive pages that
list it, the pages that name it as related or as a neighbour).

When saved files are all articles whose *placement* is unchanged (same language, date, tags,
slug, translation key, publication state: see ``assemble.placement``), ``quick_update``
re-reads just those files, puts the new records into the existing ``Article`` objects,
re-renders the pages that show them and writes the ones whose bytes changed. Anything else
(a new, deleted or moved article, a changed tag or date, templates, catalogues,
configuration) needs ``full_build``, which re-reads only changed files (records are cached by
file signature) and writes only changed files. Feeds, sitemap and search index are refreshed
after quick updates, once saves pause, by ``refresh_extras``.

One ``LiveSite`` lives in the preview's build process (``builder``), whose one thread calls
it, one command at a time: it needs no lock.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from .assemble import placement, screen
from .cache import BuildCache, BuildState, input_fingerprint
from .config import SiteConfig
from .errors import SahifaError
from .images import body_sources
from .model import Article
from .outputs import feed_and_search_tasks, sitemap_entry, sitemaps
from .pagekeys import PageKeys
from .pipeline import build_site
from .progress import QUIET
from .render import render
from .report import BuildReport
from .pages import PageKind
from .readers import ReadOptions, reader_for
from .sources import SourceFile, read_source
from .write import atomic_write, digest, manifest_entry, safe_join


ERROR_PAGE = "_sahifa_build_error.html"


class LiveSite:
    """One site as the preview's build process holds it between commands."""

    def __init__(
        self, config: SiteConfig, out_dir: Path, cache: BuildCache, *, today: dt.date | None = None
    ) -> None:
        self.config = config
        self.options = ReadOptions.from_config(config)
        self.out_dir = out_dir
        self.cache = cache
        self.today = today
        self.progress = QUIET
        """How far a full build is (``builder`` shows it on the terminal)."""
        self.force = False
        """Replace an output folder Sahifa did not make (``serve --force``)."""
        self.specs: dict[str, object] = {}
        self._unindexed: list = []
        """Pages not yet in ``shown_on`` (``index_step``)."""
        self.by_source: dict[str, Article] = {}
        self.shown_on: dict[int, set[str]] = {}
        self.planner = None
        self.envs: dict = {}
        self.manifest: dict[str, tuple] = {}
        self.spare: dict[str, tuple] | None = None
        """The manifest of the tree the last full build kept (quick updates leave it alone)."""
        self.pages: dict[str, tuple] = {}
        """The last full build's page keys, less the pages quick updates wrote since."""
        self.environment = ""
        self.site = None
        """The model of the last full build (None before the first)."""
        self.unsaved = False
        """Files were written since the state was last saved (``first_look``)."""
        self.messages: tuple[tuple[str, ...], tuple[str, ...], int] = ((), (), 0)
        """The last full build's problems, notices and article count: every state saved
        carries them, so a later no-op build reports them again."""

    # ---- full builds ----------------------------------------------------------------------
    def full_build(self, config: SiteConfig | None = None) -> BuildReport:
        """Build everything that changed (records cached in memory) and re-index the pages."""
        config = config or self.config
        if self.unsaved:
            # First looks wrote into the output: the build must see them in the manifest.
            self.save_state()
        before = _identity(self.out_dir)
        try:
            report = build_site(
                config,
                self.out_dir,
                today=self.today or dt.date.today(),
                cache=self.cache,
                keep=True,
                force=self.force,
                progress=self.progress,
            )
        except BaseException:
            # A failed build may have taken the kept tree for its staging folder (and removed
            # it): never vouch for it again. One that failed after putting its output in place
            # (the output folder is another one now) leaves nothing this preview knew of the
            # output true: quick updates stop, and no state is saved, until a build succeeds.
            self.spare = None
            if _identity(self.out_dir) != before:
                self._forget_output()
            raise
        self.config = config
        self.options = ReadOptions.from_config(config)
        if report.kept:
            self._index(report)
        self.messages = (tuple(report.problems), tuple(report.notices), report.articles)
        return report

    def _forget_output(self) -> None:
        self.site = self.planner = None
        self.specs, self.manifest, self.pages, self.shown_on = {}, {}, {}, {}
        self._unindexed = []
        self.unsaved = False

    def _index(self, report: BuildReport) -> None:
        kept = report.kept
        self.specs = {spec.path: spec for spec in kept["specs"]}
        self.planner = kept["planner"]
        self.envs = kept["envs"]
        self.manifest = dict(kept["manifest"])
        self.spare = kept.get("spare")
        self.pages = dict(kept.get("pages") or {})
        self.environment = kept.get("environment", "")
        site = self.site = report.site
        self.by_source = {a.record.path: a for articles in site.articles.values() for a in articles}
        # Which pages show which article: made from the pages' views, which the build made in
        # its workers only; so made here in steps, while the preview waits (``index_step``),
        # or at once by the first quick update that needs it.
        self.shown_on = {}
        self._unindexed = list(kept["specs"])

    def index_step(self, count: int = 200) -> bool:
        """Index the next ``count`` pages (see ``_index``); True while some are left."""
        shown_on = self.shown_on
        planner = self.planner
        for spec in self._unindexed[:count]:
            if spec.kind is PageKind.ARTICLE and spec.article is not None:
                shows = planner.article_shows(spec.article)  # no view made for it
            else:
                shows = spec.articles  # the page's own declaration (``pages.PageSpec``)
            for article in shows:
                shown_on.setdefault(id(article), set()).add(spec.path)
        del self._unindexed[:count]  # only now: a page that failed is tried again
        return bool(self._unindexed)

    # ---- quick updates --------------------------------------------------------------------
    def quick_update(self, paths: list[Path]) -> list[str] | None:
        """Re-render the pages showing the articles in ``paths``; the output paths written.

        None when a quick update cannot be exact (the caller then runs ``full_build``).
        """
        if self.site is None:
            return None
        root = self.config.root
        updates: list[tuple[Article, object]] = []
        for path in paths:
            try:
                rel = path.relative_to(root).as_posix()
            except ValueError:
                return None
            article = self.by_source.get(rel)
            if article is None or not path.is_file() or path.is_symlink():
                return None  # a new, removed, claimed or linked source: structure may change
            found = reader_for(path, root)
            if found is None:
                return None
            source = SourceFile(str(path), found[0].kind, found[1])
            try:
                records = read_source(source, self.options)
            except SahifaError:
                return None  # the full build reports the error and keeps the other articles
            if len(records) != 1:
                return None  # an input that now carries more or fewer stories
            screened = screen(records[0], [], [], self.config.term_limits)
            stable = bool(self.config.permalinks)
            if screened is None or placement(screened, stable_urls=stable) != placement(
                article.record, stable_urls=stable
            ):
                return None
            if body_sources(screened.body_html) != body_sources(article.record.body_html):
                return None  # images in the text are processed by the full build
            updates.append((article, screened))
        while self.index_step(len(self._unindexed)):
            pass
        pages: set[str] = set()
        for article, screened in updates:
            # Every page holding the article sees the new text. (The record cache is left to
            # the next full build, which re-reads this file: its signature has changed.)
            article.replace_record(screened)
            for env in self.envs.values():
                env.globals["card"].forget(article.path)
            pages |= self.shown_on.get(id(article), set())
        written = []
        for path in sorted(pages):
            spec = self.specs[path]
            if spec.kind is PageKind.ARTICLE:
                # Reading time and JSON-LD are computed when the page is planned: plan it again.
                spec = self.specs[path] = self.planner.article_page(spec.view.article)
            data = render(self.envs[spec.lang], spec.template, spec.context).encode("utf-8")
            if self.write_file(path, data):
                written.append(path)
        return written

    # ---- a first look at new stories --------------------------------------------------------
    def first_look(self, paths: list[Path]) -> list[str]:
        """Pages of new stories written before the full build that places them, so a saved
        story is on screen at once, and the pages of deleted stories removed; the output paths
        written or removed (the caller then runs ``full_build``, which makes every page exact:
        lists, neighbours, related stories).

        A first look shows the story as it will be placed, from the model of the last full
        build: at the address ``assemble`` gives it when that is free (its own slug, else the
        one the register has for it, else one made from its title; left to the full build when
        another story holds that address or a case variant of it), its terms under their names
        and slugs where the language has them, its translations by key; no related stories or
        neighbours yet, and only images the last build processed. Nothing else is written."""
        if self.site is None or self.planner is None:
            return []
        from .assemble import RESERVED_ARTICLE_SLUGS, translation_group
        from .pipeline import _read_one
        from .textnorm import fold_key
        from .urls import slugify

        root = self.config.root
        register = self.site.permalinks
        owners: dict[tuple[str, str], str] = {}
        for (lang, slug), ident in register.taken().items():
            owners.setdefault((lang, fold_key(slug)), ident)
        claimed = {a.record.extra.get("seed") for a in self.by_source.values() if a.record.kind == "markdown"}
        written: list[str] = []
        removed: set[str] = set()
        sources = []
        for path in paths:
            try:
                rel = path.relative_to(root).as_posix()
            except ValueError:
                continue
            gone = self.by_source.get(rel)
            if gone is None:
                sources.append(path)
            elif not os.path.lexists(path):
                removed.add(gone.path)
                if self.remove_file(gone.path):
                    written.append(gone.path)  # a deleted story: its page goes at once
        held = {(a.lang, fold_key(a.slug)) for a in self.by_source.values() if a.path not in removed}
        today = self.today or dt.date.today()
        for path in sources:
            found = reader_for(path, root) if path.is_file() and not path.is_symlink() else None
            if found is None:
                continue
            item = _read_one(SourceFile(str(path), found[0].kind, found[1]), options=self.options)
            if isinstance(item, SahifaError) or len(item) != 1:
                continue  # the full build reports it
            record = screen(item[0], [], [], self.config.term_limits)
            if (
                record is None
                or record.draft
                or record.lang not in self.config.language_codes
                or (record.date and record.date > today and not self.config.publish_future)
                or record.extra.get("seed")  # an imported story replacing its seed
                or record.path in claimed  # a seed an imported story replaces
            ):
                continue
            # The address ``assemble`` gives it when it is free: its own slug, else the one
            # it was first published at (the register), else one made from its title.
            entry = register.entries.get(record.source_id)
            if record.slug:
                slug = slugify(record.slug, record.path)
            elif entry is not None and entry.lang == record.lang:
                slug = entry.slug
            else:
                slug = slugify(record.title, record.path)
            page = self.planner.urls.article(record.lang, slug)
            folded = (record.lang, fold_key(slug))
            if (
                slug in RESERVED_ARTICLE_SLUGS
                or folded in held
                or owners.get(folded, record.source_id) != record.source_id
                or (page not in removed and (page in self.specs or page in self.manifest))
            ):
                continue  # another story's address (or a case variant of it): the build decides
            held.add(folded)
            article = Article(
                record=record,
                slug=slug,
                path=page,
                terms=self._first_look_terms(record),
                translation_group=translation_group(record),
            )
            spec = self.planner.article_page(article)
            data = render(self.envs[spec.lang], spec.template, spec.context).encode("utf-8")
            if self.write_file(page, data):
                written.append(page)
                self.unsaved = True
        return written

    def _first_look_terms(self, record) -> dict:
        """The record's terms as the full build will name them: a term the language has
        under its name and slug, a new one under its own spelling."""
        from .assemble import term_refs
        from .model import TermRef
        from .urls import slugify

        known = {
            (t.taxonomy, t.key): t for terms in self.site.terms.values() for t in terms.get(record.lang, ())
        }

        def ref(taxonomy: str, lang: str, key: str, value: str) -> TermRef:
            term = known.get((taxonomy, key))
            name, slug = (term.name, term.slug) if term else (value, slugify(value, key))
            return TermRef(key=key, name=name, slug=slug, lang=lang, taxonomy=taxonomy)

        return term_refs(record, set(self.config.taxonomy_names), ref)

    # ---- feeds, sitemap, search index after quick updates -------------------------------
    def refresh_extras(self) -> tuple[list[str], str]:
        """Bring feeds, sitemap and search index up to date with the quick updates; returns
        the files that changed and the fingerprint of the inputs as they were before. The
        state is saved as "out of date" (``record`` it with that fingerprint once it is
        known that no save came in meanwhile)."""
        fingerprint = self.fingerprint()
        written = self.write_extras()
        self.save_state()
        return sorted(written), fingerprint

    def write_extras(self) -> dict[str, tuple]:
        """Write the feed, sitemap and search index files whose bytes changed; returns their
        manifest entries (a forked process sends them back to be merged: ``extras_done``).
        A feed whose key (``pagekeys``) is the one it was written with is not made again: a
        corrected story remakes the feeds that show it, not the site's thousands."""
        written = {}
        keys = PageKeys(self.planner)
        tasks = feed_and_search_tasks(self.site, self.config, self.planner.term_path, keys, self.cache.folder)
        for task in tasks:
            for rel, key, make in task():
                old = self.pages.get(rel)
                if key is not None and old is not None and old[0] == key and rel in self.manifest:
                    continue  # it shows what it showed when it was written
                if self.write_file(rel, make()):
                    written[rel] = self.manifest[rel]
        entries = (self._sitemap_entry(spec) for spec in self.specs.values())
        for rel, data in sitemaps(self.config, entries):
            if self.write_file(rel, data):
                written[rel] = self.manifest[rel]
        return written

    def _sitemap_entry(self, spec):
        """The entry the last full build recorded with the page's key, unless a quick update
        rewrote the page since (its key and entry are then dropped: made again here)."""
        kept = self.pages.get(spec.path)
        return kept[1] if kept is not None else sitemap_entry(spec)

    def extras_done(self, written: dict[str, tuple]) -> None:
        """Take the manifest entries of files a forked ``write_extras`` wrote (their keys no
        longer say what they hold); the state is saved as "out of date" until ``record``."""
        self.manifest.update(written)
        for rel in written:
            self.pages.pop(rel, None)
        self.save_state()

    # ---- static files and the error page -------------------------------------------------
    def copy_static(self, paths: list[Path]) -> list[str] | None:
        """Copy saved static files (the file that wins over the theme layers for each one's
        output path); the output paths written. None when one is gone (a full build removes
        its copy)."""
        from .changes import static_output

        written = []
        for path in paths:
            found = static_output(path, self.config)
            if found is None:
                return None
            rel, winner = found
            if self.write_file(rel, winner.read_bytes()):
                written.append(rel)
        return written

    def show_error(self, detail: str) -> None:
        """The preview's page for a failed build, served until the next good one (a failed
        first build has no other page)."""
        import html

        if not self.out_dir.is_dir():
            return
        page = (
            '<!DOCTYPE html><html lang="en" dir="ltr"><meta charset="utf-8"><title>Build failed</title>'
            '<body style="font-family:monospace"><h1>Sahifa: build failed</h1>'
            "<p>The last good site is still being served. Fix the file and save to rebuild.</p>"
            f'<pre style="white-space:pre-wrap">{html.escape(detail)}</pre></body></html>'
        )
        atomic_write(self.out_dir / ERROR_PAGE, page.encode("utf-8"), mode=0o644)

    def clear_error(self) -> None:
        try:
            (self.out_dir / ERROR_PAGE).unlink()
        except FileNotFoundError:
            pass

    def fingerprint(self) -> str:
        return input_fingerprint(self.config, self.out_dir, self.today or dt.date.today())

    def write_file(self, rel: str, data: bytes) -> bool:
        """Replace one output file atomically if its bytes changed; keep the manifest true."""
        data_digest = digest(data)
        entry = self.manifest.get(rel)
        if entry is not None and entry[2] == data_digest:
            return False
        target = safe_join(self.out_dir, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, data, mode=0o644)
        self.manifest[rel] = manifest_entry(target, data_digest)
        self.pages.pop(rel, None)  # its key no longer says what the file holds
        return True

    def remove_file(self, rel: str) -> bool:
        """Remove one output file (and its folder, if that leaves it empty); keep the manifest
        true. False when there was none."""
        target = safe_join(self.out_dir, rel)
        try:
            target.unlink()
        except FileNotFoundError:
            return False
        try:
            target.parent.rmdir()
        except OSError:
            pass  # not empty
        self.manifest.pop(rel, None)
        self.pages.pop(rel, None)
        self.unsaved = True
        return True

    def save_state(self, fingerprint: str = "out of date") -> None:
        """Record the output as it now is, so the next build writes only what still differs;
        "out of date" (no inputs have that fingerprint) when feeds, sitemap and search index
        still wait for a refresh."""
        self.unsaved = False
        if self.site is None:
            return  # no build has made the output this preview could describe
        state = BuildState(
            fingerprint,
            dict(self.manifest),
            *self.messages,
            spare=self.spare,
            pages=dict(self.pages),
            environment=self.environment,
        )
        self.cache.save_state(self.out_dir, state)


def _identity(folder: Path) -> tuple[int, int] | None:
    """Which folder is at ``folder`` now (a build's commit puts another one there)."""
    try:
        st = os.stat(folder)
    except OSError:
        return None
    return st.st_dev, st.st_ino
