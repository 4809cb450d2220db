"""The preview's scheduler and change classification, without a server, a port or a build:
a fake builder and a manual clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import copy_site
from generator.changes import Kind, batch_kind, classify, static_output
from generator.config import load_config
from generator.scheduler import Scheduler


class Clock:
    """Timers on a manual clock; background jobs run when ``finish`` says so."""

    def __init__(self) -> None:
        self.now = 0.0
        self.timers: list[tuple[float, int, object]] = []
        self.jobs: list[tuple[object, object]] = []
        self.count = 0

    def call_later(self, delay, callback):
        self.count += 1
        handle = (self.now + delay, self.count, callback)
        self.timers.append(handle)
        return handle

    def cancel(self, handle) -> None:
        if handle in self.timers:
            self.timers.remove(handle)

    def background(self, job, done) -> None:
        self.jobs.append((job, done))

    def advance(self, seconds: float) -> None:
        end = self.now + seconds
        while True:
            due = sorted(t for t in self.timers if t[0] <= end)
            if not due:
                break
            self.timers.remove(due[0])
            self.now = due[0][0]
            due[0][2]()
        self.now = end

    def finish(self) -> None:
        """Let the oldest background job end (a command, or the refresh beside it)."""
        assert self.jobs
        job, done = self.jobs.pop(0)
        done(job())


class FakeBuilder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self.answers: dict[str, dict] = {}

    def run(self, command, arg):
        self.calls.append((command, arg))
        default = {
            "full": {"ok": True, "summary": "built", "problems": []},
            "quick": {"written": ["en/index.html"], "sources": []},
            "static": {"written": ["static/css/site.css"]},
            "extras": {"written": 3, "fingerprint": "F"},
            "record": {},
        }
        return self.answers.get(command, default[command])

    def extras(self):
        return self.run("extras", None)


def run_one(scheduler, clock, name: str) -> None:
    """Save ``name``, let the quiet time pass, and let the command it starts end."""
    scheduler.saved(Path(name))
    clock.advance(0.05)
    clock.finish()


KINDS = {"a.md": Kind.ARTICLE, "b.md": Kind.ARTICLE, "s.css": Kind.STATIC, "t.html": Kind.OTHER}


def make(**kwargs):
    clock, builder, said, reloads = Clock(), FakeBuilder(), [], []
    scheduler = Scheduler(
        builder, lambda p: KINDS.get(p.name), clock, say=said.append, reload=reloads.append, **kwargs
    )
    scheduler.start()
    clock.finish()  # the first build
    builder.calls.clear()
    return scheduler, clock, builder, said, reloads


def test_a_burst_of_saves_is_one_quick_update_then_extras_once_saves_pause():
    scheduler, clock, builder, said, reloads = make()
    for name in ("a.md", "b.md", "a.md"):
        scheduler.saved(Path(name))
    clock.advance(0.05)
    assert builder.calls == [] and len(clock.jobs) == 1
    clock.finish()
    assert builder.calls == [("quick", [Path("a.md"), Path("b.md")])]
    assert reloads[-1] == ["en/index.html"]
    clock.advance(0.5)
    assert clock.jobs == []  # not yet: saves may still come
    clock.advance(0.6)
    clock.finish()
    clock.finish()  # no save came during the refresh: the output is recorded as a build
    assert [c for c, _ in builder.calls] == ["quick", "extras", "record"]
    assert builder.calls[-1] == ("record", "F")
    assert any("search index refreshed" in s for s in said)


def test_saves_during_a_command_wait_for_it_and_go_together():
    scheduler, clock, builder, *_ = make()
    scheduler.saved(Path("t.html"))
    clock.advance(0.05)
    assert len(clock.jobs) == 1  # a full build runs
    scheduler.saved(Path("a.md"))
    scheduler.saved(Path("b.md"))
    clock.advance(0.05)
    assert len(clock.jobs) == 1  # still the one build
    clock.finish()
    clock.finish()
    assert [c for c, _ in builder.calls] == ["full", "quick"]


def test_a_save_during_the_refresh_means_no_record():
    scheduler, clock, builder, *_ = make()
    run_one(scheduler, clock, "a.md")
    clock.advance(1.1)
    assert len(clock.jobs) == 1  # extras
    scheduler.saved(Path("b.md"))
    clock.finish()
    clock.advance(0.05)
    clock.finish()
    assert [c for c, _ in builder.calls] == ["quick", "extras", "quick"]


def test_a_save_during_the_refresh_is_not_held_up_by_it_but_a_full_build_is():
    scheduler, clock, builder, *_ = make()
    run_one(scheduler, clock, "a.md")
    clock.advance(1.1)
    assert scheduler.refreshing and len(clock.jobs) == 1
    scheduler.saved(Path("b.md"))
    clock.advance(0.05)
    assert len(clock.jobs) == 2  # the quick update runs beside the refresh
    clock.jobs.reverse()
    clock.finish()  # the quick update ends first
    scheduler.saved(Path("t.html"))
    clock.advance(0.05)
    assert len(clock.jobs) == 1 and scheduler.pending  # the full build waits for the refresh
    clock.finish()
    assert [c for c, _ in builder.calls] == ["quick", "quick", "extras"]  # (calls run as they finish)
    clock.finish()
    assert [c for c, _ in builder.calls][-1] == "full"


def test_a_quick_update_that_cannot_be_exact_becomes_a_full_build():
    scheduler, clock, builder, said, reloads = make()
    builder.answers["quick"] = {"fallback": True}
    run_one(scheduler, clock, "a.md")
    clock.finish()
    assert [c for c, _ in builder.calls] == ["quick", "full"]
    assert reloads[-1] == ["*"] and scheduler.extras_due is False


def test_a_new_storys_first_look_is_reloaded_before_its_full_build():
    scheduler, clock, builder, said, reloads = make()
    builder.answers["quick"] = {"fallback": True, "written": ["en/articles/new/index.html"]}
    run_one(scheduler, clock, "a.md")
    assert reloads[-1] == ["en/articles/new/index.html"]  # on screen before the full build ends
    clock.finish()
    assert [c for c, _ in builder.calls] == ["quick", "full"]
    assert reloads[-1] == ["*"]


def test_mixed_batches_and_static_files():
    scheduler, clock, builder, *_ = make()
    run_one(scheduler, clock, "s.css")
    scheduler.saved(Path("s.css"))
    run_one(scheduler, clock, "a.md")
    assert [c for c, _ in builder.calls] == ["static", "full"]
    scheduler.saved(Path("notes.txt~"))  # not an input: nothing happens
    clock.advance(1)
    assert clock.jobs == []


def test_a_failed_build_is_the_status_until_a_good_one():
    scheduler, clock, builder, said, _ = make()
    builder.answers["full"] = {"ok": False, "error": "TemplateSyntaxError: x", "detail": "line 3"}
    run_one(scheduler, clock, "t.html")
    assert scheduler.status.last_error == "TemplateSyntaxError: x"
    assert any("build failed" in s for s in said)
    builder.answers["full"] = {"ok": True, "summary": "built", "problems": ["content/en/x.md: bad date"]}
    run_one(scheduler, clock, "t.html")
    assert scheduler.status.last_error is None
    assert scheduler.status.problems == ["content/en/x.md: bad date"]
    builder.answers["quick"] = {"written": [], "sources": ["content/en/x.md"]}
    run_one(scheduler, clock, "a.md")
    assert scheduler.status.problems == []  # the file that was skipped has been fixed


def test_batch_kind():
    assert batch_kind({Kind.ARTICLE}) is Kind.ARTICLE
    assert batch_kind({Kind.STATIC, None}) is Kind.STATIC
    assert batch_kind({Kind.ARTICLE, Kind.STATIC}) is Kind.OTHER
    assert batch_kind({Kind.OTHER}) is Kind.OTHER


@pytest.fixture
def themed(tmp_path):
    root = copy_site(tmp_path / "site")
    (root / "theme/static/css").mkdir(parents=True)
    (root / "theme/static/css/site.css").write_text("/* override */", encoding="utf-8")
    return root, load_config(root)


def test_classify_paths(themed):
    root, config = themed
    toml = root / "site.toml"
    assert classify(root / "content/en/x.md", config, toml) is Kind.ARTICLE
    assert classify(root / "seeds/x.txt", config, toml) is Kind.ARTICLE
    assert classify(root / "static/js/search.js", config, toml) is Kind.STATIC
    assert classify(root / "theme/static/css/site.css", config, toml) is Kind.STATIC
    assert classify(root / "templates/base.html", config, toml) is Kind.OTHER
    assert classify(toml, config, toml) is Kind.OTHER
    assert classify(root / "content/en/.x.md.swp", config, toml) is None
    assert classify(root / "content/en/x.md~", config, toml) is None
    assert classify(root / "public/index.html", config, toml) is None
    assert classify(root / ".sahifa-cache/records-00.pickle", config, toml) is None


def test_a_theme_file_wins_over_the_shipped_one(themed):
    root, config = themed
    rel, winner = static_output(root / "static/css/site.css", config)
    assert rel == "static/css/site.css" and winner == root / "theme/static/css/site.css"
    assert static_output(root / "theme/static/css/gone.css", config) is None


def test_after_a_failed_build_the_output_is_never_recorded_as_these_inputs():
    scheduler, clock, builder, *_ = make()
    builder.answers["full"] = {"ok": False, "error": "TemplateSyntaxError: x", "detail": ""}
    run_one(scheduler, clock, "t.html")
    scheduler.saved(Path("a.md"))  # the quick path still works, with the old templates
    clock.advance(0.05)
    clock.finish()
    clock.advance(1.1)
    clock.finish()  # the refresh
    assert [c for c, _ in builder.calls] == ["full", "quick", "extras"]  # and no "record"
    assert clock.jobs == []


def test_a_quick_update_refused_during_a_refresh_becomes_one_full_build():
    scheduler, clock, builder, *_ = make()
    run_one(scheduler, clock, "a.md")
    clock.advance(1.1)  # the refresh starts
    builder.answers["quick"] = {"fallback": True}
    scheduler.saved(Path("b.md"))
    clock.advance(0.05)
    clock.jobs.reverse()
    clock.finish()  # the quick update ends first: it cannot be exact
    clock.finish()  # the refresh
    clock.finish()
    assert [c for c, _ in builder.calls] == ["quick", "quick", "extras", "full"]
    assert scheduler.needs_full is False and clock.jobs == []


def test_a_command_the_build_process_could_not_run_is_shown_as_an_error():
    scheduler, clock, builder, said, _ = make()
    builder.answers["quick"] = {"ok": False, "error": "the build process stopped", "detail": ""}
    run_one(scheduler, clock, "a.md")
    assert scheduler.status.last_error == "the build process stopped"
    assert not any(s.startswith("updated") for s in said)


def test_every_static_file_counts_but_editor_files_never_do(themed):
    root, config = themed
    toml = root / "site.toml"
    assert classify(root / "theme/static/.htaccess", config, toml) is Kind.STATIC
    assert classify(root / "static/css/.site.css.swp", config, toml) is None
    assert classify(root / "static/css/site.css~", config, toml) is None
    assert classify(root / "content/en/.hidden.md", config, toml) is None
