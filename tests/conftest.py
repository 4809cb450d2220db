"""Shared fixtures: the repository's demo site built once, scratch sites, ../shared."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TODAY = dt.date(2026, 1, 1)
"""A fixed clock for builds in tests: output never depends on the day the tests run."""


def shared_path(*parts: str) -> Path:
    """A path under ../shared; skips the test when it is absent, except in CI where it must exist."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing, and CI must run the tests that read ../shared")
        pytest.skip(f"{path} is not here (a fresh clone has no ../shared); these tests need it")
    return path


def copy_site(dest: Path, *, content: bool = True, seeds: bool = True) -> Path:
    """A scratch copy of the repository's site (config, templates, static, locale, inputs)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("site.toml",):
        shutil.copy2(REPO / name, dest / name)
    for name in ("templates", "static", "locale"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, dest / name)
    if content:
        shutil.copytree(REPO / "content", dest / "content")
    else:
        (dest / "content").mkdir()
    if seeds:
        shutil.copytree(REPO / "seeds", dest / "seeds")
    else:
        (dest / "seeds").mkdir()
    return dest


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
