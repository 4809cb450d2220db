"""The build recipe: read -> model -> plan -> render -> write, each step timed.

``build_site`` is the only entry point the CLI and the preview server use.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

from .assemble import assemble
from .config import SiteConfig
from .errors import SahifaError
from .importer import claimed_seeds
from .model import ArticleRecord, Site
from .pages import PagePlanner
from .render import make_environment, render
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
    for item in read_all(sources, config.root, trusted=config.allow_raw_html):
        if isinstance(item, SahifaError):
            problems.append(str(item))
        else:
            records.append(item)
    claimed = claimed_seeds(records)
    return [r for r in records if not (r.kind == "seed" and r.path in claimed)], problems


def build_site(config: SiteConfig, out_dir: Path, *, today: dt.date | None = None) -> BuildReport:
    """Build the whole site into ``out_dir`` (replaced atomically when the build succeeds)."""
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
        for spec in PagePlanner(site, config).plan():
            if not spec.path:
                continue
            writer.write(spec.path, render(envs[spec.lang], spec.template, spec.context))
        t3 = time.perf_counter()
        writer.copy_tree(config.static_dir, "static")
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    report.pages = len(writer.written)
    report.timings = {"read": t1 - t0, "model": t2 - t1, "render": t3 - t2,
                      "write": time.perf_counter() - t3}
    return report
