"""The build recipe: read -> model -> plan -> render -> write, each step timed.

``build_site`` is the only entry point the CLI and the preview server use.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import replace
import time
import zlib
from functools import partial
from pathlib import Path

from .assemble import SlugMemo
from . import modelstate, pagekeys, permalinks
from .cache import (
    BuildCache,
    BuildState,
    CardStore,
    Examination,
    Memo,
    code_fingerprint,
    collector_paused,
    examine,
    file_signature,
    input_fingerprint,
)
from .config import SiteConfig
from .diagnostics import Diagnostic
from .errors import SahifaError
from .images import ImageCache, Pictures, body_images
from .importer import claimed_seeds
from .profiles import load_profiles, with_profile_names
from .model import ArticleRecord
from .outputs import feed_tasks, keyed_sitemaps, search_tasks, sitemap_entry, web_manifest
from .search_index import script_notices
from .pagekeys import ArticleKeys, PageKeys, environment_key, fingerprint_of
from .pages import PagePlanner
from .related import build_index, remembered
from .render import SharedBytecode, frames_possible, load_all, make_environment, render, render_frame, splice
from . import parallel
from .parallel import Ahead, Then, map_in_processes, run_tasks, slice_size, slice_tasks
from .progress import QUIET, Progress
from .report import BuildReport
from .readers import ReadOptions, reader_named
from .sitemap import SitemapLines
from .sources import SourceFile, discover, read_all
from .views import ListView
from .lock import site_lock
from .write import MARKER_TEXT, OUTPUT_MARKER, OutputWriter, SpareCatchUp, check_output_dir, owned_or_empty


def read_records(
    config: SiteConfig, cache: BuildCache | None = None, progress: Progress = QUIET, scans: dict | None = None
) -> tuple[list[ArticleRecord], list[str]]:
    """Every source's records and the problems met.

    A source is read again only when its content changed: an unchanged stat signature is
    the fast path; otherwise the digest of its bytes (and of its sidecar: ``source_hash``,
    which every reader records) is compared with the cached one, so a fresh clone or a
    restored cache folder reuses every record.
    """
    sources, problems = discover(config, scans)  # ``scans``: see ``Examination.scans``
    options = ReadOptions.from_config(config)
    if cache is not None:
        cache.load_records(options.cache_key())
        held = set(cache.records)
    records: list[ArticleRecord] = []
    todo: list[tuple[str, SourceFile]] = []
    signatures: dict[str, tuple] = {}
    prefix = f"{config.root}/" if os.sep == "/" else None  # a path's text is its POSIX form
    for source in sources:
        name = source.name
        if prefix and name.startswith(prefix):
            rel = name[len(prefix) :]
        else:
            rel = source.path.relative_to(config.root).as_posix()
        reader = reader_named(source.kind)
        side = reader.sidecar_of(source.path) if reader.sidecar else None
        own = source.signature or file_signature(source.path)
        sig = signatures[rel] = (own, file_signature(side) if side else None)
        hit = cache.records.get(rel) if cache is not None else None
        if hit is not None and hit[0] != sig:
            digest = _digest(reader, source.path)
            if hit[1] == digest:  # touched or copied, not changed
                hit = cache.records[rel] = (sig, digest, hit[2])
                cache.mark(rel)
            else:
                hit = None
        if hit is not None:
            records.extend(hit[2])
        else:
            todo.append((rel, source))
    read_one = partial(_read_one, options=options)
    reading = progress.stage("reading", len(todo), "files")
    for (rel, source), item in zip(todo, map_in_processes(read_one, [s for _, s in todo], stage=reading)):
        if isinstance(item, SahifaError):
            problems.append(str(item))
            continue
        records.extend(item)
        if cache is not None:
            digest = item[0].source_hash if item else _digest(reader_named(source.kind), source.path)
            cache.records[rel] = (signatures[rel], digest, tuple(item))
            cache.mark(rel)
    if cache is not None:
        cache.same_sources = held == signatures.keys()
        cache.save_records(set(signatures))
    records.sort(key=lambda r: (r.path, r.source_id))
    claimed, records = claimed_seeds(records)
    return [r for r in records if not (r.kind == "seed" and r.path in claimed)], problems


def _digest(reader, path: Path) -> str | None:
    try:
        return reader.digest(path)
    except (OSError, SahifaError):
        return None  # unreadable now: read it again, and let the reader say why


def _read_one(source, *, options: ReadOptions):
    """One source -> its records, each with the images of its body and its ``fingerprint``,
    or the ``SahifaError`` that names it (never raises)."""
    item = next(read_all([source], options))
    if isinstance(item, SahifaError):
        return item
    records = [replace(record, body_images=body_images(record.body_html)) for record in item]
    return [replace(record, fingerprint=fingerprint_of(record).hex()) for record in records]


def _render_pages(specs, *, envs, writer: OutputWriter, keys: PageKeys, previous: dict, frames=None) -> list:
    """``_render_page`` for each of a slice of ``specs``, the cards of all its list pages that
    are rendered asked of the card store at once (one question a slice, not one a page)."""
    steps = [_keep_or_key(spec, writer, keys, previous) for spec in specs]
    wanted: dict[str, list] = {}
    for spec, step in zip(specs, steps):
        if type(step) is _ToRender and isinstance(spec.view, ListView):
            wanted.setdefault(spec.lang, []).extend(spec.articles)
    for lang, articles in wanted.items():
        envs[lang].globals["card"].prefetch(articles)
    return [
        _render_page(spec, step, envs=envs, writer=writer, keys=keys, frames=frames)
        if type(step) is _ToRender
        else step
        for spec, step in zip(specs, steps)
    ]


class _ToRender(tuple):
    """(key, inputs key) of a page ``_keep_or_key`` found must be rendered."""


def _keep_or_key(spec, writer: OutputWriter, keys: PageKeys, previous: dict):
    """What ``_render_page`` answers for a page that need not be rendered: its key is the one
    the last build recorded for its path (``previous``: path -> key, sitemap entry) and the
    output folder still holds that build's file. Else a ``_ToRender``.
    A page whose inputs key is the last build's keeps its last key without its view being made:
    then the answer is None, "all as the last build left it" (most pages of an incremental
    build, which need not be sent back from the worker one by one)."""
    old = previous.get(spec.path)
    written = writer.previous.get(spec.path) if old is not None and writer.previous is not None else None
    inputs = keys.inputs_key(spec)
    if written is not None and inputs is not None and len(old) > 2 and old[2] == inputs:
        if pagekeys.VERIFY and keys.key(spec) != old[0]:
            raise AssertionError(f"{spec.path}: the inputs key is unchanged but the page key is not")
        return None
    # A page with an inputs key is rendered without its page key being made: its inputs
    # changed, and so, but for rare cases, did what it shows (a shifted pagination's pages,
    # hundreds per new story); if not, its bytes are the file's and it is not written.
    # Its page key is then None, and only its inputs key keeps it next time (``VERIFY``
    # makes the key anyway, to check it then). So is a page with a listing (a term index):
    # it is kept while its list is settled (``pagekeys.settled_pages``) and rendered when not.
    key = keys.key(spec) if (inputs is None and spec.listing is None) or pagekeys.VERIFY else None
    if key is not None and written is not None and old[0] == key:
        return written[2], False, old[1], key, None, inputs, None
    return _ToRender((key, inputs))


def _render_page(spec, step: _ToRender, *, envs, writer: OutputWriter, keys: PageKeys, frames=None) -> tuple:
    """Render one page and stage it unless the output folder already has these bytes.
    Returns the digest, whether it was staged, the page's sitemap entry, its key (None for a
    page with an inputs key or a listing: see ``_keep_or_key``), the cards rendered for it
    (``render._memoized_card``; None when none was), its inputs key (``PageKeys.inputs_key``)
    and the list page's frame made for it (``_list_page``; None when none was)."""
    key, inputs = step
    env = envs[spec.lang]
    made = None
    if isinstance(spec.view, ListView):  # the pages that show cards (``list.html``)
        data, made = _list_page(spec, env, keys, frames)
    else:
        data = render(env, spec.template, spec.context).encode("utf-8")
    cards = env.globals["card"].take_fresh()
    return (
        *writer.stage_file(spec.path, data),
        sitemap_entry(spec),
        key,
        cards or None,
        inputs,
        made,
    )


_TEMPLATES = b"templates"
"""The frame store's answer to ``render.frames_possible`` for its environment's templates."""


def _frames_possible(envs: dict, frames: CardStore, made: list) -> bool:
    """Whether the templates allow list pages from frames (``render.frames_possible``: the
    same templates for every language), as the frame store recorded it for this rendering
    environment; asked of the templates (and added to ``made``) when it did not."""
    kept = frames.frame(_TEMPLATES)
    frames.close()  # the workers about to be forked open their own
    if kept is None:
        kept = b"yes" if frames_possible(next(iter(envs.values()))) else b"no"
        made.append((_TEMPLATES, kept))
    return kept == b"yes"


def _list_page(spec, env, keys: PageKeys, frames: CardStore | None) -> tuple[bytes, tuple | None]:
    """A list page's UTF-8 bytes, from its frame where one is kept (``render.render_frame``:
    the cards put in place as the card store keeps them, the template not rendered), and the
    (key, frame) made for it, if one was. ``frames``: the store of an incremental build whose
    templates allow frames (``_frames_possible``; None: render as always: a full build
    renders every page once, and its frames would mostly never be used)."""
    if frames is None:
        return render(env, spec.template, spec.context).encode("utf-8"), None
    key = keys.frame_key(spec)
    kept = frames.frame(key)
    if kept is None:
        # A new frame is kept only if, with this page's cards, it is the page the template
        # renders: what the stand-ins cannot see (a card copied into a string and changed
        # as text) shows here, and the frame is refused.
        framed = render_frame(env, spec.template, spec.context)
        data = render(env, spec.template, spec.context).encode("utf-8")
        frame = framed.encode("utf-8") if framed is not None else None
        if frame is not None and splice(frame, env.globals["card"].utf8(spec.view.items)) != data:
            frame = None
        return data, (key, zlib.compress(frame, 1) if frame is not None else b"")
    if not kept:  # the template uses its stories otherwise than through their cards
        return render(env, spec.template, spec.context).encode("utf-8"), None
    data = splice(zlib.decompress(kept), env.globals["card"].utf8(spec.view.items))
    if pagekeys.VERIFY and data != render(env, spec.template, spec.context).encode("utf-8"):
        raise AssertionError(f"{spec.path}: its frame with its cards is not the page")
    return data, None


def _stage_outputs(task, *, writer: OutputWriter, previous: dict) -> list[tuple[str, bytes, bool, object]]:
    """Run a task that makes files (feeds, search index) and stage them in the worker: the
    parent only claims the paths and notes the digests. A file with a key that the last
    build recorded for its path (``previous``) is not made again."""
    out = []
    for rel, key, make in task():
        old = previous.get(rel) if key is not None else None
        entry = writer.previous.get(rel) if old is not None and old[0] == key and writer.previous else None
        if entry is not None:
            out.append((rel, entry[2], False, key))
        else:
            out.append((rel, *writer.stage_file(rel, make()), key))
    return out


def _take_staged(writer: OutputWriter, files: list, page_keys: dict) -> None:
    """Claim and note the files ``_stage_outputs`` staged, and keep each one's key."""
    writer.claim(rel for rel, _, _, _ in files)
    for rel, data_digest, staged, key in files:
        writer.note(rel, data_digest, staged)
        if key is not None:
            page_keys[rel] = (key, None)


HEAD_SHARE = 0.55
"""The share of the stories whose keys the head start makes: the rest are made by the build's
process once it has planned the pages, so that both are done about together (at 100,000
stories the related stories take the head start about as long as planning takes the build;
the keys, 0.9 s, are shared out)."""


def _head_start(site, pictures, stories: list, cache: BuildCache | None) -> tuple[list, dict]:
    """The keys of ``stories`` (``pagekeys.ArticleKeys``, in their order) and every story's
    related stories by path (``_related_stories``): made in ``Ahead``'s process."""
    keys = ArticleKeys(pictures)
    index, save = _related_stories(site, build_index(site), cache)
    answer = [keys.article_key(a) for a in stories], index.known, index.relinked, index.generation
    # The memo is saved once the build has its answer, beside the build's own work (it
    # waits for the save before it saves its state: ``Ahead.finish``).
    return Then(answer, save)


def _search_ahead(site, config: SiteConfig, writer: OutputWriter, previous: dict, memo_dir) -> list:
    """Every language's search index, staged (``_stage_outputs``'s answer for all of them)."""
    return [
        item
        for task in search_tasks(site, config, memo_dir)
        for item in _stage_outputs(task, writer=writer, previous=previous)
    ]


def _related_stories(site, index, cache: BuildCache | None) -> tuple:
    """``index`` with every story's related stories, taken from the build cache's memo where
    they cannot have changed (``related.remembered``), and what saves the memo (None: it did
    not change)."""
    linked = _memo(cache, "related.marshal", code_fingerprint(), plain=True)
    index = remembered(site, index, linked.entries)
    return index, partial(linked.save, force=True) if index.memo_changed else None


def _memo(cache: BuildCache | None, name: str, key: str, *, plain: bool = False) -> Memo:
    """A memo of the build cache (without a cache: one that is never read nor saved)."""
    return Memo(cache.folder / name if cache is not None else None, key, plain=plain)


def _grew_much(memo: Memo) -> bool:
    """More than a few entries (and a hundredth) were added to ``memo`` since it was loaded."""
    return len(memo.entries) - memo.loaded > max(64, memo.loaded // 100)


def _save_cards(cards: CardStore, fresh: dict, keys: PageKeys) -> None:
    """Keep the cards rendered now, and only the cards of the stories the site now has."""
    if not fresh:
        return
    cards.add(fresh)
    stories = sum(len(articles) for articles in keys.planner.site.articles.values())
    cards.prune(keys.known_articles(), stories)


def build_site(
    config: SiteConfig,
    out_dir: Path,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    cache_dir: Path | None = None,
    cache: BuildCache | None = None,
    examined: Examination | None = None,
    keep: bool = False,
    force: bool = False,
    progress: Progress = QUIET,
    leaving: list | None = None,
) -> BuildReport:
    """Build the whole site into ``out_dir``.

    Without ``cache_dir`` every file is rendered into a staging folder that replaces
    ``out_dir`` atomically. With it, unchanged sources are not read again, a build with
    nothing changed stops after checking the fingerprint, and only files whose bytes
    changed are written (see ``cache``). Either way the output is the same, byte for byte.

    ``cache`` (instead of ``cache_dir``) is a cache object that outlives the build (the
    preview server keeps one, so records stay in memory); ``examined`` is what
    ``cache.examine`` said just before, if the caller asked already (the command line does,
    to answer a no-op build without loading the renderer); ``keep`` puts the planned pages, the
    planner, the environments and the new manifest into the report for the caller.

    The whole build holds the site's lock (``lock.site_lock``): a second run waits for it.
    ``progress`` shows how far reading and rendering are (on a terminal, for long builds).
    ``now`` is the build's clock for what depends on the moment (the breaking-news banner;
    default: the current time), as ``today`` is for which stories are published yet.
    ``leaving``: the caller is a process that leaves (``os._exit``) when the build returns
    (the command line), and keeps in this list what it will not free object by object: the
    build adds what it made.

    Raises ``SahifaError`` before reading or writing anything when ``out_dir`` is unsafe, or
    when it is a folder Sahifa did not make (no ``OUTPUT_MARKER``, not empty) and ``force``
    is not given: a build replaces its output folder as a whole, and ``--out /var/www/html``
    must not delete what someone else keeps there.
    """
    out_dir = check_output_dir(config, out_dir)
    with site_lock(config.root, out_dir), collector_paused():
        return _build_locked(
            config,
            out_dir,
            today=today,
            now=now,
            cache_dir=cache_dir,
            cache=cache,
            examined=examined,
            keep=keep,
            force=force,
            progress=progress,
            leaving=leaving,
        )


def _check_owned(out_dir: Path) -> None:
    if not owned_or_empty(out_dir):
        raise SahifaError(
            str(out_dir),
            "this folder exists, is not empty and was not made by Sahifa "
            f"(it has no {OUTPUT_MARKER} file); the build replaces its output "
            "folder as a whole, so it refuses to. Choose an empty or new folder, "
            "or give --force to replace it",
        )


def _build_locked(
    config: SiteConfig,
    out_dir: Path,
    *,
    today,
    now,
    cache_dir,
    cache,
    examined,
    keep,
    force,
    progress,
    leaving,
) -> BuildReport:
    report = BuildReport()
    today = today or dt.date.today()
    t0 = time.perf_counter()
    state = None
    if cache is None and cache_dir is not None:
        cache = BuildCache(Path(cache_dir))
    if cache is not None:
        if examined is None or (examined.out_dir, examined.today) != (out_dir, today):
            examined = examine(cache, config, out_dir, today)
        if examined.unchanged:
            return BuildReport.replay(examined.previous, time.perf_counter() - t0)
        state = examined.previous
    if not force and state is None:
        _check_owned(out_dir)
    # The tree the last build replaced, to be brought up to it meanwhile (``_build_from``).
    catching = None
    if state is not None and state.manifest is not None and getattr(state, "spare", None) is not None:
        catching = SpareCatchUp.prepare(cache.spare_path(out_dir), out_dir, state.manifest, state.spare)
    build = partial(
        _build_from,
        config,
        out_dir,
        t0=t0,
        today=today,
        now=now,
        cache=cache,
        keep=keep,
        force=force,
        progress=progress,
        leaving=leaving,
    )
    try:
        return build(report=report, examined=examined, state=state, catching=catching)
    except _OutputChanged:
        pass  # (``catching`` finished before the writer took its tree)
    except BaseException:
        if catching is not None:
            catching.cancel()
        if examined is not None and examined.check is not None:
            examined.check.cancel()  # its process not left running (the preview's builder goes on)
        raise
    # The output folder's check, answered only before the commit, failed: someone changed
    # the output folder since the last build. Nothing of this attempt is in place; a full
    # build, as if the last one's state had been lost (its reading of the sources' folders
    # used up: they are listed again).
    if not force:
        _check_owned(out_dir)
    examined = replace(examined, previous=None, check=None, scans=None)
    return build(report=BuildReport(), examined=examined, state=None, catching=None)


class _OutputChanged(Exception):
    """The output folder's check (``Examination.check``), asked just before the commit,
    found it changed since the last build: the build is made again as a full one."""


def _build_from(
    config: SiteConfig,
    out_dir: Path,
    *,
    report: BuildReport,
    t0: float,
    today,
    now,
    cache,
    examined,
    state,
    catching,
    keep,
    force,
    progress,
    leaving=None,
) -> BuildReport:
    """The build once the last one's state is known (``state``, None: none to go on from),
    and the spare tree is being caught up (``catching``; ``SpareCatchUp``)."""
    scans = examined.scans if examined is not None else None
    # The output folder's check against the last state (a walk of the whole folder: seconds
    # at 100,000 stories on a slow disk) goes on in its own process, started
    # by ``examine``, while this build goes as far as it can without changing anything the
    # last build left: its answer is asked just before the commit (``_OutputChanged``).
    verify = examined.check if state is not None and examined is not None else None
    records, problems = read_records(config, cache, progress, scans)
    if scans is not None:
        scans.clear()  # read: not kept through the build (100,000 entries)
    if catching is not None and cache.same_sources:
        # Only when no story came or went: a new or deleted story shifts the paginations the
        # last one shifted again, and the spare tree may hold their new text already.
        catching.start()
    t1 = time.perf_counter()
    profiles, profile_notes = load_profiles(config)
    config = with_profile_names(config, profiles)  # an author's names link their stories
    screening = f"{code_fingerprint()} {config.term_limits!r}"  # what the memo's entries depend on
    screened = _memo(cache, "screened.pickle", screening)
    slugs = _memo(cache, "slugs.pickle", code_fingerprint())
    slugged = SlugMemo(slugs.entries)
    model = modelstate.make(
        records,
        config,
        today=today,
        problems=problems,
        screened=screened.entries,
        slugged=slugged,
        folder=cache.folder if cache is not None else None,
    )
    site = model.site
    # A patched model screened and slugged the few stories it placed: their entries are
    # kept once they add up (each save writes a memo of 100,000 entries), the others when
    # the model was assembled.
    if not model.patched or _grew_much(screened):
        screened.save(keep={r.fingerprint for r in records})
    if not model.patched or _grew_much(slugs):
        slugs.save(keep=None if model.patched else slugged.asked)
    del screened, slugs, slugged  # saved: not kept through the build (and its workers)
    report.site = site
    report.problems.extend(site.problems)
    report.notices.extend(site.notices)
    # The catalogues, compiled by an earlier build while their files are the same.
    catalogues = _memo(cache, "catalogues.marshal", code_fingerprint(), plain=True)
    compiled_before = dict(catalogues.entries)
    report.notices.extend(catalogue_notices(config, catalogues.entries))
    report.notices.extend(calendar_notices(config))
    report.notices.extend(script_notices(config))
    report.articles = sum(len(v) for v in site.articles.values())
    pictures = Pictures(config, ImageCache(cache.folder / "images" if cache is not None else None))
    pictures.add_site(site)
    pictures.add_profiles(profiles)
    report.notices.extend(profile_notes)
    report.notices.extend(pictures.warnings)
    environment = environment_key(config, today)
    previous_pages = {}
    if state is not None and getattr(state, "environment", None) == environment:
        previous_pages = state.pages or {}
    t2 = time.perf_counter()
    if cache is not None:
        cache.forget_state(out_dir)  # from here on the output folder may change
    spare_manifest = getattr(state, "spare", None)
    if catching is not None:
        spare_manifest = catching.finish(keep=state is not None, spare=spare_manifest)
    writer = OutputWriter(
        out_dir,
        previous=state.manifest if state is not None else None,
        spare=cache.spare_path(out_dir) if cache is not None else None,
        spare_manifest=spare_manifest,
    )
    head = searching = None
    memo_dir = cache.folder if cache is not None else None
    try:
        # While this process plans the pages, another digests every story (page keys need
        # them) and finds every story's related stories (from the last build's where they
        # cannot have changed): the page workers, forked after, then make neither. A third
        # brings the search index up to date (it needs the model only), from now until the
        # pages are done.
        stories = [a for articles in site.articles.values() for a in articles]
        # The related stories and the keys of part of the stories there; the keys of the
        # others here, once the pages are planned (``HEAD_SHARE``).
        ahead = int(len(stories) * HEAD_SHARE)
        head = Ahead(partial(_head_start, site, pictures, stories[:ahead], cache), size=len(stories))
        if config.search:
            search = partial(_search_ahead, site, config, writer, previous_pages, memo_dir)
            searching = Ahead(search, size=len(stories), later=True)
        compiled = _memo(cache, "templates.pickle", code_fingerprint())
        bytecode = SharedBytecode(compiled.entries)
        envs = {
            lang.code: make_environment(
                config, lang, bytecode=bytecode, pictures=pictures, catalogues=catalogues.entries
            )
            for lang in config.languages
        }
        catalogues.save(force=catalogues.entries != compiled_before)
        planner = PagePlanner(site, config, pictures, profiles, now)
        for lang_code, env in envs.items():
            env.globals["nav_terms"] = planner.nav_terms(lang_code)
        # Lazy pages: their views are made by the worker that renders them (if it must).
        specs = [spec for spec in planner.plan(lazy=True) if spec.path]
        writer.claim(spec.path for spec in specs)
        load_all(envs)  # compiled once here, not in every worker
        compiled.save(force=bytecode.dumped)
        # One pool for everything that can run in parallel: feeds and search index per
        # language (biggest first) and the pages in contiguous slices, handed out as workers
        # become free.
        keys = PageKeys(planner)
        rest = [keys.article_key(a) for a in stories[ahead:]] if head.forked else None
        started = head.result()
        digests = None
        if started is not None:
            digests, known, relinked, generation = started
            keys.adopt(stories[:ahead], digests)
            digests = digests + rest
            planner.stories = replace(planner.stories, known=known, relinked=relinked, generation=generation)
        elif cache is not None:  # nothing forked: the related stories and the keys made here
            planner.stories, save = _related_stories(site, planner.stories, cache)
            if save is not None:
                save()
            digests = [keys.article_key(a) for a in stories]
        told = pagekeys.story_state(planner, digests, keys.headers, planner.stories.generation[1])
        # Pages none of whose stories changed are kept without being keyed (nor sent to a
        # worker); the other pages are keyed and, if their key changed, rendered.
        settled = set()
        if previous_pages and writer.previous is not None:
            settled = pagekeys.settled_pages(
                specs,
                planner,
                told,
                getattr(state, "stories", None),
                planner.stories.relinked,
                planner.stories.generation,
            )
            settled = settled.intersection(previous_pages, writer.previous)
            if pagekeys.VERIFY:
                for spec in specs:
                    if spec.path in settled and keys.key(spec) != previous_pages[spec.path][0]:
                        raise AssertionError(f"{spec.path}: settled, but its page key changed")
        pending = [spec for spec in specs if spec.path not in settled] if settled else specs
        cards = CardStore(cache.folder / "cards.sqlite" if cache is not None else None, environment)
        for lang_code, env in envs.items():
            env.globals["card"].use(keys.article_key, cards.lookup(lang_code))
        made_here = feed_tasks(site, config, planner.term_path, keys)
        if searching is None or not searching.forked:  # no search process: the pool makes it
            made_here = search_tasks(site, config, memo_dir) + made_here
        extras = [partial(_stage_outputs, task, writer=writer, previous=previous_pages) for task in made_here]
        fresh_frames: list[tuple[bytes, bytes]] = []
        framing = previous_pages and cache is not None and _frames_possible(envs, cards, fresh_frames)
        # Most pages of a build that knows the last one's are kept as they are, and those
        # rendered cluster (a shifted pagination: 500 home pages in a row): small slices share
        # them out. A build that renders everything takes big contiguous slices, so that each
        # worker renders mostly one language and each story's card once.
        pages = slice_tasks(
            partial(
                _render_pages,
                envs=envs,
                writer=writer,
                keys=keys,
                previous=previous_pages,
                frames=cards if framing else None,
            ),
            pending,
            per_worker=64 if previous_pages else 8,
            whole=True,
        )
        rendering = progress.stage("rendering", len(pending), "pages")
        tasks = extras + pages
        try:
            outcome = run_tasks(
                tasks, size=len(pending), done=lambda i: rendering.advance(slice_size(tasks[i]))
            )
        finally:
            cards.close()  # this process's reader, if it rendered pages itself
        progress.clear()
        for env in envs.values():
            # Pages rendered after the build (the preview's quick updates) change stories in
            # place: their cards are found by path and forgotten, never by a key made before.
            env.globals["card"].use(None, {})
        report.processes = parallel.last_processes
        t_pages = time.perf_counter()
        page_keys: dict[str, tuple] = {}
        _take_staged(writer, [item for files in outcome[: len(extras)] for item in files], page_keys)
        if searching is not None and searching.forked:
            searched = searching.result()
            if searched is None:  # it failed or died: made here
                searched = search()
            _take_staged(writer, searched, page_keys)
        results = [result for part in outcome[len(extras) :] for result in part]
        fresh_cards: dict[str, dict] = {}
        # The pages as the last build left them: the settled ones, and those a worker found
        # unchanged (answer None, ``_keep_or_key``). They are most pages of an incremental
        # build (190,000 at 100,000 stories), taken in whole sets, not one by one.
        kept = settled  # (added to)
        for spec, result in zip(pending, results):
            path = spec.path
            if result is None:
                kept.add(path)
                continue
            data_digest, staged, entry, key, made, inputs, frame = result
            writer.note(path, data_digest, staged)
            page_keys[path] = (key, tuple(entry) if entry is not None else None, inputs)
            if made:
                fresh_cards.setdefault(spec.lang, {}).update(made)
            if frame is not None:
                fresh_frames.append(frame)
        # (the last build's table copied whole and the others taken out: in its order, not
        # the set's, which is also the order the sitemap's entries are asked in below)
        fresh_keys, page_keys = page_keys, dict(previous_pages)
        for path in previous_pages.keys() - kept:
            del page_keys[path]
        page_keys.update(fresh_keys)  # the kept pages are not noted (``writer.note``)
        entries = [page_keys[spec.path][1] for spec in specs]
        lines: list[tuple[Memo, SitemapLines]] = []  # loaded only if a sitemap file is made

        def sitemap_lines() -> SitemapLines:
            memo = _memo(cache, "sitemap-lines.pickle", f"{code_fingerprint()} {config.base_url}")
            lines.append((memo, SitemapLines(memo.entries)))
            return lines[-1][1]

        sitemap = partial(
            keyed_sitemaps, config, entries, keys, lines=sitemap_lines if cache is not None else None
        )
        _take_staged(writer, _stage_outputs(sitemap, writer=writer, previous=previous_pages), page_keys)
        writer.write("manifest.webmanifest", web_manifest(config))
        t3 = time.perf_counter()
        writer.copy_layers(config.static_dirs, "static")
        for rel, data in sorted(pictures.files.items()):
            writer.write(rel, data)
        writer.write(OUTPUT_MARKER, MARKER_TEXT)
        if verify is not None and not verify():
            raise _OutputChanged()
        manifest = writer.commit()
    except BaseException:
        for started in (head, searching):
            if started is not None:
                started.cancel()
        writer.abort()
        raise
    # The files the commit moved out of the spare tree's way are removed by another process
    # while this one finishes the build (``OutputWriter.discard_meanwhile``).
    writer.discard_meanwhile()
    try:
        # Only now that the pages are out are their addresses on the register (site state,
        # written atomically; unchanged bytes are not rewritten).
        registered = permalinks.save(site.permalinks, config.permalinks_path)
        model.keep(records, problems)  # with the register it goes with
        report.pages = len(writer.written)
        report.changed = len(writer.changed)
        if keep:
            report.kept = {
                "specs": specs,
                "planner": planner,
                "envs": envs,
                "manifest": manifest,
                "spare": writer.kept_spare,
                "pages": page_keys,
                "environment": environment,
            }
        head.finish()  # the related stories' memo saved before the state that names it
        if cache is not None:
            _save_cards(cards, fresh_cards, keys)
            cards.add_frames(fresh_frames, limit=len(specs))
            for memo, made in lines:  # the runs this sitemap has, for the next one
                memo.entries = made.used
                memo.save(force=True)
            fingerprint = examined.fingerprint
            if registered:  # the register is an input too: describe the inputs as they now are
                fingerprint = input_fingerprint(config, out_dir, today, inputs=examined.inputs or None)
            saved = BuildState(
                fingerprint,
                manifest,
                tuple(report.problems),
                tuple(report.notices),
                report.articles,
                expires=planner.expires,
                spare=writer.kept_spare,
                pages=page_keys,
                environment=environment,
                stories=told,
            )
            cache.save_state(out_dir, saved, since=state)  # (its changes from the state it started from)
    finally:
        writer.discard()  # that work done (or done here) before the build returns
    if leaving is not None:  # not freed object by object when this returns
        leaving.append(dict(locals()))
    report.timings = {
        "read": t1 - t0,
        "model and images": t2 - t1,
        "render (pages, feeds, search)": t_pages - t2,
        "sitemap": t3 - t_pages,
        "static and commit": time.perf_counter() - t3,
    }
    return report


def calendar_notices(config: SiteConfig) -> list[str]:
    """A warning per language and calendar whose month names CLDR has only in another script
    (ICU's root fallback: Sorani Hijri dates would read ``Muharram``)."""
    from .calendar_format import foreign_month_names, icu_locale_id

    notices = []
    for lang in config.languages:
        for calendar in lang.calendars:
            foreign = foreign_month_names(icu_locale_id(lang.code, lang.locale, calendar, None), calendar)
            if foreign:
                notices.append(
                    Diagnostic(
                        "site.toml",
                        f"[languages.{lang.code}] calendars: CLDR has no {lang.name} month names "
                        f"for {calendar} in the locale {lang.locale}, so its dates show "
                        f"{', '.join(foreign[:3])} …; choose a locale that has them or another calendar",
                        field=f"languages.{lang.code}.calendars",
                    )
                )
    return notices


def catalogue_notices(config: SiteConfig, catalogues: dict | None = None) -> list[str]:
    """A warning per language whose catalogue leaves interface strings untranslated (they
    show in English), naming the catalogue and the strings (``catalogues``: compiled ones
    kept by the build cache, ``i18n.translations_for``)."""
    from .i18n import catalogue_path, missing_messages

    notices = []
    for lang in config.languages:
        missing = missing_messages(config.locale_dirs, lang.code, lang.locale, catalogues)
        if not missing:
            continue
        shown = ", ".join(repr(m) for m in missing[:5])
        shown += f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        found = [p for p in (catalogue_path(d, lang.code) for d in config.locale_dirs) if p.is_file()]
        if found:
            name = (
                found[0].relative_to(config.root).as_posix()
                if found[0].is_relative_to(config.root)
                else str(found[0])
            )
            notices.append(
                f"{name}: {len(missing)} interface strings have no {lang.name} translation and show "
                f"in English: {shown}"
            )
        else:
            target = catalogue_path(config.locale_dirs[0], lang.code).relative_to(config.root).as_posix()
            notices.append(
                f"{target}: no catalogue for {lang.name} ({lang.code}): its {len(missing)} interface "
                f"strings show in English ({shown}); start one from messages.pot"
            )
    return notices
