"""The build recipe: read -> model -> plan -> render -> write, each step timed.

``build_site`` is the only entry point the CLI and the preview server use.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .assemble import assemble
from .config import SiteConfig
from .errors import SahifaError
from .importer import claimed_seeds
from .model import ArticleRecord, Site
from .outputs import extra_outputs, sitemap_entry
from .pages import PagePlanner
from .render import make_environment, render
from .parallel import map_in_processes
from .sources import discover, read_all
from .write import OutputWriter


@dataclass
class BuildReport:
    pages: int = 0
    articles: int = 0
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    site: Site | None = None

    @property
    def exit_code(self) -> int:
        """0 clean; 1 built, but some inputs were skipped or repaired (each one listed)."""
        return 1 if self.problems or self.notices else 0

    def summary(self) -> str:
        return (f"built {self.articles} articles, {self.pages} files; "
                f"skipped {len(self.problems)}, warnings {len(self.notices)}")


def read_records(config: SiteConfig) -> tuple[list[ArticleRecord], list[str]]:
    sources, problems = discover(config)
    records: list[ArticleRecord] = []
    read_one = partial(_read_one, root=config.root, trusted=config.allow_raw_html)
    for item in map_in_processes(read_one, sources):
        if isinstance(item, SahifaError):
            problems.append(str(item))
        else:
            records.append(item)
    claimed = claimed_seeds(records)
    return [r for r in records if not (r.kind == "seed" and r.path in claimed)], problems


def _read_one(source, *, root: Path, trusted: bool):
    """One source -> its record, or the ``SahifaError`` that names it (never raises)."""
    return next(read_all([source], root, trusted=trusted))


def _render_page(spec, *, envs, stage: Path) -> None:
    target = stage / spec.path  # checked by ``OutputWriter.claim`` before any worker starts
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(render(envs[spec.lang], spec.template, spec.context).encode("utf-8"))


def check_output_dir(config: SiteConfig, out_dir: Path) -> Path:
    """The output folder, made absolute, or ``SahifaError`` when it is a dangerous choice.

    The build replaces the whole output folder, so it must not be (or contain) the site root,
    and must not be or lie inside an input folder (``content/``, ``seeds/``, ``templates/``,
    ``static/``, ``locale/``): Pelican users lost whole folders to such a setting.
    """
    out = Path(os.path.abspath(out_dir))
    resolved = out.resolve()
    root = config.root.resolve()
    inputs = [config.content_dir, config.seeds_dir, config.templates_dir, config.static_dir,
              config.root / "locale"]
    if root.is_relative_to(resolved):
        raise SahifaError(str(out_dir), "the output folder is the site folder or contains it; "
                                        "refusing to build (choose e.g. ROOT/public)")
    for folder in inputs:
        folder = folder.resolve()
        if resolved.is_relative_to(folder):
            raise SahifaError(str(out_dir), f"the output folder is inside the input folder "
                                            f"{folder.name}/; refusing to build")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise SahifaError(str(out_dir), "the output path exists and is not a plain folder "
                                        "(a link or a file); refusing to replace it")
    return out


def build_site(config: SiteConfig, out_dir: Path, *, today: dt.date | None = None) -> BuildReport:
    """Build the whole site into ``out_dir`` (replaced atomically when the build succeeds).

    Raises ``SahifaError`` before reading or writing anything when ``out_dir`` is unsafe.
    """
    out_dir = check_output_dir(config, out_dir)
    report = BuildReport()
    today = today or dt.date.today()
    t0 = time.perf_counter()
    records, problems = read_records(config)
    t1 = time.perf_counter()
    site = assemble(records, config, today=today, problems=problems)
    report.site = site
    report.problems.extend(site.problems)
    report.notices.extend(site.notices)
    report.articles = sum(len(v) for v in site.articles.values())
    t2 = time.perf_counter()
    envs = {lang.code: make_environment(config, lang) for lang in config.languages}
    writer = OutputWriter(out_dir)
    try:
        planner = PagePlanner(site, config)
        specs = [spec for spec in planner.plan() if spec.path]
        writer.claim(spec.path for spec in specs)
        map_in_processes(partial(_render_page, envs=envs, stage=writer.stage), specs)
        entries = [sitemap_entry(spec) for spec in specs]
        t_pages = time.perf_counter()
        for path, data in extra_outputs(site, config, entries, planner.tag_path):
            writer.write(path, data)
        t3 = time.perf_counter()
        writer.copy_tree(config.static_dir, "static")
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    report.pages = len(writer.written)
    report.timings = {"read": t1 - t0, "model": t2 - t1, "render": t_pages - t2,
                      "feeds+sitemap+search": t3 - t_pages, "write": time.perf_counter() - t3}
    return report
