"""``python build.py new``: a site of one's own, built with the shipped theme and its own
overrides; the preview apart from the deployable build; the README's workflow keeps the
suite green."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import REPO
from newsite import BrowserThread, fetch, serving, wait_for


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "build.py"), *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


def tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    path = tmp_path_factory.mktemp("new") / "akhbar"
    proc = cli("new", str(path), "--languages", "ar,fa,en", "--title", "أخبار")
    assert proc.returncode == 0, proc.stderr
    return path


def test_new_makes_a_site_folder_of_its_own(made):
    assert sorted(p.name for p in made.iterdir()) == [
        ".gitignore",
        "README.md",
        "content",
        "seeds",
        "site.toml",
        "theme",
    ]
    config = tomllib.loads((made / "site.toml").read_text(encoding="utf-8"))
    assert list(config["languages"]) == ["ar", "fa", "en"] and config["default_language"] == "ar"
    assert config["languages"]["fa"]["calendars"] == ["persian", "gregorian"]  # ICU's default first
    assert config["languages"]["ar"]["calendars"] == ["gregorian", "islamic-umalqura"]
    assert config["languages"]["en"]["calendars"] == ["gregorian"]
    assert config["languages"]["fa"]["name"] == "فارسی"
    for lang in ("ar", "fa", "en"):
        assert (made / "content" / lang / "welcome.md").is_file()
    ignored = (made / ".gitignore").read_text(encoding="utf-8")
    for name in ("/public/", "/.sahifa-cache/", "/.sahifa-preview/", "*.sqlite"):
        assert name in ignored
    assert not (made / "templates").exists()  # the shipped theme is used, not copied


def test_the_new_site_builds_with_the_shipped_theme(made, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(made, site)
    proc = cli("--root", str(site))
    assert proc.returncode == 0, proc.stderr
    out = site / "public"
    ar = (out / "ar/index.html").read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl" ' in ar and "مرحباً بكم في موقعكم الإخباري" in ar
    assert (out / "static/css/site.css").read_bytes() == (REPO / "static/css/site.css").read_bytes()
    # The three versions of the example story link to each other.
    article = next((out / "fa/articles").glob("*/index.html")).read_text(encoding="utf-8")
    assert 'hreflang="ar"' in article and 'hreflang="en"' in article
    assert "https://example.org/fa/" in article  # base_url, never the preview's address


def test_theme_files_override_the_shipped_ones(made, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(made, site)
    theme = site / "theme"
    (theme / "templates").mkdir()
    base = (REPO / "templates/base.html").read_text(encoding="utf-8")
    (theme / "templates/base.html").write_text(
        base.replace("<body", '<body data-theme="mine"', 1), encoding="utf-8"
    )
    (theme / "static/css").mkdir(parents=True)
    (theme / "static/css/site.css").write_text("body { color: navy }\n", encoding="utf-8")
    (theme / "static/extra.txt").write_text("mine\n", encoding="utf-8")
    catalogue = theme / "locale/ar/LC_MESSAGES/messages.po"
    catalogue.parent.mkdir(parents=True)
    catalogue.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Sections"\nmsgstr "الأبواب"\n',
        encoding="utf-8",
    )
    proc = cli("--root", str(site))
    assert proc.returncode == 0, proc.stderr
    out = site / "public"
    ar = (out / "ar/index.html").read_text(encoding="utf-8")
    assert 'data-theme="mine"' in ar
    assert (out / "static/css/site.css").read_text(encoding="utf-8") == "body { color: navy }\n"
    assert (out / "static/extra.txt").is_file() and (out / "static/css/fonts.css").is_file()
    sections = (out / "ar/sections/index.html").read_text(encoding="utf-8")
    assert "الأبواب" in sections
    # One message overridden; the others still come from the shipped catalogue.
    shipped = (REPO / "locale/ar/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    tags = re.search(r'msgid "Tags"\nmsgstr "([^"]+)"', shipped).group(1)
    assert tags in (out / "ar/tags/index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args, reason",
    [(("--languages", "ar,,ar"), "named twice"), (("--languages", "en,x y"), "not a language code")],
)
def test_new_refuses_bad_languages(tmp_path, args, reason):
    proc = cli("new", str(tmp_path / "s"), *args)
    assert proc.returncode == 2 and reason in proc.stderr
    assert not (tmp_path / "s").exists() and list(tmp_path.iterdir()) == []


def test_new_never_touches_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "mine.txt").write_text("keep", encoding="utf-8")
    proc = cli("new", str(tmp_path))
    assert proc.returncode == 2 and "not an empty folder" in proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


@pytest.mark.browser
def test_new_site_is_served_and_reads_right_in_chromium(made, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(made, site)
    with serving(site, tmp_path / "serve.log", ready="/ar/") as (base, _):
        browser = BrowserThread()
        try:

            def look(b):
                page = b.new_page(viewport={"width": 390, "height": 844})
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto(base + "/ar/")
                direction = page.evaluate("getComputedStyle(document.body).direction")
                page.locator("main a", has_text="مرحباً بكم").first.click()
                page.wait_for_load_state()
                heading = page.locator("h1").inner_text()
                page.locator('a[hreflang="fa"]').first.click()
                page.wait_for_load_state()
                fa = page.evaluate("[document.documentElement.lang, document.documentElement.dir]")
                width = page.evaluate("document.documentElement.scrollWidth")
                page.screenshot(path=str(REPO / "test-artifacts" / "new-site-fa-390.png"), full_page=True)
                page.close()
                return direction, heading, fa, width, errors

            (REPO / "test-artifacts").mkdir(exist_ok=True)
            direction, heading, fa, width, errors = browser.run(look)
        finally:
            browser.close()
    assert direction == "rtl"
    assert heading == "مرحباً بكم في موقعكم الإخباري"
    assert fa == ["fa", "rtl"]
    assert width <= 390  # nothing overflows on a phone
    assert errors == []


@pytest.mark.slow
def test_public_is_untouched_by_a_preview_session(made, tmp_path):
    """``public/`` holds what ``build`` made for base_url, byte for byte, whatever ``serve``
    did meanwhile (it builds into ``.sahifa-preview/`` for its own address)."""
    site = tmp_path / "site"
    shutil.copytree(made, site)
    proc = cli("--root", str(site), "--base-url", "https://example.org/news/")
    assert proc.returncode == 0, proc.stderr
    before = tree(site / "public")
    with serving(site, tmp_path / "serve.log", ready="/en/") as (base, _):
        article = site / "content/en/welcome.md"
        article.write_text(
            article.read_text(encoding="utf-8") + "\nA line written while previewing.\n", encoding="utf-8"
        )
        wait_for(
            lambda: "written while previewing" in fetch(base + "/en/articles/welcome-to-your-news-site/")[1]
        )
        preview = (site / ".sahifa-preview/en/index.html").read_text(encoding="utf-8")
        assert base + "/en/" in preview  # the preview links to itself
    assert tree(site / "public") == before
    assert not any(b"127.0.0.1" in (site / "public" / rel).read_bytes() for rel in before)


@pytest.mark.slow
def test_the_readme_workflow_keeps_the_suite_green(tmp_path):
    """A user's clone: ``import`` of the seed (the README's example), then ``pytest``. The tests
    take the demo's inputs as committed, so the imported article does not change them."""
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
    )
    if listed.returncode != 0:
        pytest.skip("needs git")
    clone = tmp_path / "clone"
    for rel in listed.stdout.splitlines():
        source = REPO / rel
        if source.is_file() and not source.is_symlink():
            (clone / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / rel)
    git = ["git", "-C", str(clone), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "clone"], check=True)
    imported = subprocess.run(
        [sys.executable, "build.py", "import", "seeds/000_92923d39de616abf.txt"],
        cwd=clone,
        capture_output=True,
        text=True,
    )
    assert imported.returncode == 0, imported.stderr
    assert list((clone / "content/ar").glob("000_92923d39de616abf*.md"))
    env = {k: v for k, v in os.environ.items() if k != "CI"}  # the copy has no ../shared beside it
    tests = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-x",
            "tests/test_build.py",
            "tests/test_import.py",
            "tests/test_determinism.py",
        ],
        cwd=clone,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
