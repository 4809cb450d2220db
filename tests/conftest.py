"""Shared fixtures: the repository's demo site built once, scratch sites, ../shared."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TODAY = dt.date(2026, 12, 31)
"""A fixed clock for builds in tests: output never depends on the day the tests run."""


def markdown_record(
    name: str,
    published: dt.datetime,
    *,
    lang: str = "en",
    tags: tuple[str, ...] = (),
    summary: str = "s",
    body_html: str = "<p>b</p>",
    paragraphs: tuple[str, ...] = ("b",),
    **fields,
):
    """A story as the Markdown reader gives it (``content/<lang>/<name>.md``), for tests that
    make a model without files: its title is ``name`` unless ``fields`` give one."""
    from generator.model import ArticleRecord

    fields.setdefault("title", name)
    return ArticleRecord(
        path=f"content/{lang}/{name}.md",
        kind="markdown",
        format="markdown",
        lang=lang,
        published=published,
        summary=summary,
        body_html=body_html,
        paragraphs=paragraphs,
        terms=(("tags", tuple(tags)),) if tags else (),
        **fields,
    )


def shared_path(*parts: str) -> Path:
    """A path under ../shared; skips the test when it is absent, except in CI where it must exist."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing, and CI must run the tests that read ../shared")
        pytest.skip(f"{path} is not here (a fresh clone has no ../shared); these tests need it")
    return path


DEMO_INPUTS = ("site.toml", "content", "seeds")
"""The demo site's own inputs: tests take them as committed, never as a user has edited them."""


def committed_demo(dest: Path, names: tuple[str, ...] = DEMO_INPUTS) -> None:
    """Write the committed version (git's HEAD) of ``names`` under ``dest``: a user's own edits
    of the demo (an ``import``, a new article, a changed ``site.toml``) never change what the
    tests see. Without git (an unpacked archive of the project), the files as they are."""
    import io
    import subprocess
    import tarfile

    try:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "--format=tar", "HEAD", "--", *names],
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        for name in names:
            source = REPO / name
            if source.is_dir():
                shutil.copytree(source, dest / name)
            elif source.exists():
                shutil.copy2(source, dest / name)
        return
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")


_COMMITTED: list[Path] = []


def committed_path(*parts: str) -> Path:
    """A file or folder of the demo's committed inputs (``committed_demo``), extracted once
    per test process into a temporary folder."""
    if not _COMMITTED:
        import atexit
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="sahifa-demo-"))
        atexit.register(shutil.rmtree, folder, True)
        committed_demo(folder)
        _COMMITTED.append(folder)
    return _COMMITTED[0].joinpath(*parts)


def copy_site(dest: Path, *, content: bool = True, seeds: bool = True) -> Path:
    """A scratch copy of the demo site: its committed inputs (``committed_demo``), and the
    templates, static files and catalogues of this checkout (the code under test)."""
    dest.mkdir(parents=True, exist_ok=True)
    committed_demo(dest, ("site.toml",) + (("content",) if content else ()) + (("seeds",) if seeds else ()))
    for name in ("content", "seeds"):
        (dest / name).mkdir(exist_ok=True)
    for name in ("templates", "static", "locale"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, dest / name)
    return dest


def scratch_site(root: Path, languages: dict[str, str], files: dict[str, str] | None = None) -> Path:
    """A minimal site in ``root``: a ``site.toml`` with a base URL and a ``[languages.<code>]``
    table per entry (its body as given), a content folder per language, and ``files``
    (path under ``root`` -> text)."""
    root.mkdir(parents=True, exist_ok=True)
    tables = "".join(f"[languages.{code}]\n{body}\n" for code, body in languages.items())
    (root / "site.toml").write_text('base_url = "https://example.org/"\n' + tables, encoding="utf-8")
    for code in languages:
        (root / "content" / code).mkdir(parents=True, exist_ok=True)
    for rel, text in (files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def build(root: Path, out: Path | None = None, **overrides):
    from generator.config import load_config
    from generator.pipeline import build_site

    config = load_config(root, **overrides)
    out = out or root / "public"
    return build_site(config, out, today=TODAY), out


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory):
    """The repository's demo site, built once into a temporary folder."""
    root = copy_site(tmp_path_factory.mktemp("demo"))
    report, out = build(root)
    return report, out


@pytest.fixture(scope="session")
def news_site(tmp_path_factory):
    """The demo site built under a sub-path base URL, once per session: (report, out, base)."""
    from newsite import BASE_URL, build_demo

    report, out = build_demo(tmp_path_factory.mktemp("news"), base_url=BASE_URL)
    return report, out, BASE_URL


def pytest_collection_modifyitems(config, items):
    """Browser tests are slow tests too: ``-m "not slow"`` is the quick loop without Chromium."""
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.slow)


# --- a test that needs the machine to itself -------------------------------------------------
#
# Lighthouse's performance score is measured on the machine's own clock: with pytest-xdist, the
# other worker's builds slow the page's first paint and main thread and the score with them
# (0.88-0.95 against 0.99-1 on a quiet machine). A test marked ``alone`` waits until the other
# workers are between tests and keeps them there while it runs. Two lock files shared by the
# workers (flock): every test holds the "room" shared for its whole run (its fixtures' setup
# included) after passing through the "door"; a test marked ``alone`` holds the door, so no
# test enters, then the room exclusively, so none is inside. Without xdist nothing is locked.


def _locks_folder(config) -> Path | None:
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return None
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None:
        return None
    return factory.getbasetemp().parent


@contextlib.contextmanager
def _flock(path: Path, mode: int):
    with open(path, "a+b") as handle:
        fcntl.flock(handle, mode)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    folder = _locks_folder(item.config)
    if folder is None:
        yield
        return
    door, room = folder / "sahifa-door.lock", folder / "sahifa-room.lock"
    if item.get_closest_marker("alone") is not None:
        with _flock(door, fcntl.LOCK_EX), _flock(room, fcntl.LOCK_EX):
            yield
        return
    with _flock(door, fcntl.LOCK_EX):
        pass
    with _flock(room, fcntl.LOCK_SH):
        yield
