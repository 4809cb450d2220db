"""Search: the static index, queried by static/js/search.js in headless Chromium.

Arabic queries in variant spellings (hamza-less alef, clitics glued on) must find the seed
story; English and Persian queries find theirs. The JavaScript normalisation is compared with
the Python one on a sample of words from every language.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator import search_index
from conftest import REPO
from generator.textnorm import search_ignored_ranges
from generator.search_index import clitic_forms, search_key, tokens
from newsite import SEED_SLUG, CHROMIUM, BrowserThread, build_demo, reserve_server, start

SEED_HREF = f"/news/ar/articles/{SEED_SLUG}/"
WORDS = [
    "الأمن",
    "إلى",
    "آمن",
    "مدرسة",
    "مستشفى",
    "كازاخستان",
    "بكازاخستان",
    "وللأمن",
    "می‌شود",
    "کتاب",
    "ہے",
    "پاکستان",
    "Élysée",
    "STRASSE",
    "Straße",
    "naïve",
    "توكاييف",
    "٢٠٢٢",
    "۱۴۰۳",
]


def test_python_normalisation():
    assert search_key("الأمن") == search_key("الامن") == search_key("الإمن")
    assert search_key("مدرسة") == search_key("مدرسه")
    assert search_key("مستشفى") == search_key("مستشفي")
    assert search_key("کتاب") == search_key("كتاب")
    assert search_key("Élysée") == "elysee"
    assert search_key("١٢٣") == "123"
    assert tokens("و الأمنُ، جيّد") == ["امن", "جيد"] or tokens("و الأمنُ، جيّد") == ["الامن", "جيد"]
    assert "كازاخستان" in clitic_forms("بكازاخستان")
    assert "امن" in clitic_forms("وللامن") and "امن" in clitic_forms("الامن")
    assert clitic_forms("بلد") == {"بلد"}  # too short to be a clitic + stem


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    server, port, _ = reserve_server("/news/")
    base = f"http://127.0.0.1:{port}/news/"
    # Tiny shards, so that the browser has to pick among many (as on a 10,000-article site),
    # and the index cut after every fourth document, so that the newest are in "r-" shards.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(search_index, "SHARD_LIMIT", 40)
        mp.setattr(search_index, "RECENT", 4)
        mp.setattr(search_index, "RECENT_SHARD_LIMIT", 20)
        _, out = build_demo(tmp_path_factory.mktemp("search"), base_url=base)
    assert len(list((out / "ar" / "search" / "index").glob("t-*.json"))) > 20
    assert list((out / "ar" / "search" / "index").glob("r-*.json"))
    start(server, out, "/news/")
    yield base, out
    server.shutdown()
    server.server_close()


class _Browser:
    """Proxy so tests read as ``browser.new_page()`` while Playwright runs in its own thread."""

    def __init__(self, worker: BrowserThread) -> None:
        self.worker = worker


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    worker = BrowserThread()
    yield _Browser(worker)
    worker.close()


def _search(browser, url: str, query: str) -> list[dict]:
    return browser.worker.run(lambda b: _search_in(b, url, query))


def _search_in(browser, url: str, query: str) -> list[dict]:
    page = browser.new_page()
    try:
        page.goto(url)
        label = page.locator("label[for=search-input]")
        assert label.inner_text().strip()
        page.fill("#search-input", query)
        page.wait_for_selector("#search-form[data-state=done]", timeout=10_000)
        return page.eval_on_selector_all(
            "#search-results li",
            "els => els.map(li => ({href: li.querySelector('a').getAttribute('href'),"
            " title: li.querySelector('a').textContent,"
            " date: (li.querySelector('time') || {}).textContent || ''}))",
        )
    finally:
        page.close()


@pytest.mark.parametrize(
    "query", ["كازاخستان", "بكازاخستان", "الامن الجماعي", "توكاييف", "وللأمن", "منظمة معاهدة", "كازاخ"]
)
def test_arabic_variants_find_the_seed(served, browser, query):
    base, _ = served
    hits = _search(browser, base + "ar/search/", query)
    assert hits, query
    assert hits[0]["href"] == SEED_HREF, hits
    assert "قوات الأمن الجماعي" in hits[0]["title"] and "شويغو" in hits[0]["title"]


def test_english_query(served, browser):
    base, _ = served
    hits = _search(browser, base + "en/search/", "Tokayev troops")
    assert hits and hits[0]["href"].startswith("/news/en/articles/tokayev-says-csto")
    assert _search(browser, base + "en/search/", "zzzqqq nothing") == []


def test_persian_query(served, browser):
    base, out = served
    hits = _search(browser, base + "fa/search/", "قزاقستان")
    assert hits and all(h["href"].startswith("/news/fa/articles/") for h in hits)
    assert any("توکایف" in h["title"] for h in hits)


def test_results_show_dates_exactly_as_the_pages_do(served, browser):
    """Every calendar the language shows, in its digits and month names: the date line of the
    article's card on the language's home page, not the browser's Gregorian ``Intl`` date."""
    import html
    import re

    base, out = served
    for lang, query in (("fa", "قزاقستان"), ("ar", "كازاخستان")):
        hits = _search(browser, base + f"{lang}/search/", query)
        assert hits
        home = (out / lang / "index.html").read_text(encoding="utf-8")
        card = next(
            c.split("</article>")[0]
            for c in home.split('<article class="card">')
            if f'<h2 class="card-title"><a href="{hits[0]["href"]}"' in c.split("</article>")[0]
        )
        line = re.search(r'<time class="dates"[^>]*>(.*?)</time>', card, re.S).group(1)
        expected = html.unescape(re.sub(r"<[^>]+>", "", line))
        assert hits[0]["date"] == expected, (hits[0], expected)
        assert " · " in expected  # two calendars


def test_words_of_the_newest_stories_are_found_on_both_sides_of_the_cut(served, browser):
    """The newest documents' postings are in the "r-" shards (``search_index.RECENT``, 4 in
    this build): a word only they have is found, and a word that older documents have too
    finds those as well (both shards of the word are read and their hits joined)."""
    import json

    base, out = served
    folder = out / "ar" / "search" / "index"
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    postings: dict[str, dict[str, list[int]]] = {"t": {}, "r": {}}
    for kind, plan in (("t", meta["shards"]), ("r", meta["recent"])):
        for prefix, terminal in plan:
            name = search_index.shard_name(prefix, terminal)
            postings[kind].update(json.loads((folder / f"{kind}-{name}.json").read_text(encoding="utf-8")))
    docs = {}
    for n in range(-(-meta["count"] // meta["chunk"])):
        lines = json.loads((folder / f"d-{n}.json").read_text(encoding="utf-8"))
        docs.update({n * meta["chunk"] + i: line[1] for i, line in enumerate(lines)})
    newest = sorted(k for k in postings["r"] if len(k) >= 4 and k not in postings["t"] and k.isalpha())
    shared = sorted(k for k in postings["r"] if len(k) >= 4 and k in postings["t"] and k.isalpha())
    assert newest and shared, "the build has no word on each side of the cut"
    for word in (newest[0], shared[0]):
        numbers = postings["t"].get(word, [])[::2] + postings["r"][word][::2]
        hits = {h["href"] for h in _search(browser, base + "ar/search/", word)}
        assert {docs[d] for d in numbers} <= hits, (word, numbers, hits)


def test_an_index_of_another_format_is_an_error_not_missing_results(served, browser, tmp_path):
    """The script reads the index format it was written for (``search_index.FORMAT``): an
    index of another one (an old ``meta.json`` left in a cache) shows the error message
    instead of results that miss what the script does not know of."""
    import shutil

    _, out = served
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    meta_path = copy / "ar/search/index/meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["format"] = search_index.FORMAT - 1
    meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    server, port, _ = reserve_server("/news/")
    start(server, copy, "/news/")
    try:

        def state(b):
            page = b.new_page()
            try:
                page.goto(f"http://127.0.0.1:{port}/news/ar/search/")
                page.fill("#search-input", "كازاخستان")
                page.wait_for_selector("#search-form[data-state=error]", timeout=10_000)
                return page.inner_text("#search-status"), page.eval_on_selector_all(
                    "#search-results li", "l => l.length"
                )
            finally:
                page.close()

        message, results = browser.worker.run(state)
        assert message.strip() and results == 0
    finally:
        server.shutdown()
        server.server_close()


def test_urdu_and_french_queries(served, browser):
    base, _ = served
    assert _search(browser, base + "ur/search/", "قازقستان")
    assert any("retrait" in h["href"] for h in _search(browser, base + "fr/search/", "Tokaïev"))
    assert any("retrait" in h["href"] for h in _search(browser, base + "fr/search/", "tokaiev"))


def test_query_in_the_address(served, browser):
    base, _ = served

    def check(b):
        page = b.new_page()
        try:
            page.goto(base + "ar/search/?q=" + "بكازاخستان")
            page.wait_for_selector("#search-form[data-state=done]", timeout=10_000)
            return page.eval_on_selector("#search-results li a", "a => a.getAttribute('href')")
        finally:
            page.close()

    assert browser.worker.run(check) == SEED_HREF


def test_javascript_normalises_like_python(served, browser):
    base, _ = served

    def normalise(b):
        page = b.new_page()
        try:
            page.goto(base + "ar/search/")
            page.wait_for_function("window.sahifaSearch !== undefined")
            keys = {w: page.evaluate("w => window.sahifaSearch.key(w)", w) for w in WORDS}
            forms = {
                t: page.evaluate("t => window.sahifaSearch.forms(t)", t) for w in WORDS for t in tokens(w)
            }
            return keys, forms
        finally:
            page.close()

    keys, forms = browser.worker.run(normalise)
    for word in WORDS:
        assert keys[word] == tokens(word), word
    for tok, js_forms in forms.items():
        assert sorted(js_forms) == sorted(clitic_forms(tok)), tok


def test_index_is_small_and_deterministic(tmp_path):
    _, out = build_demo(tmp_path / "one")
    index = out / "ar" / "search" / "index"
    meta = json.loads((index / "meta.json").read_text(encoding="utf-8"))
    assert meta["clitics"] is True and meta["fold"]["أ"] == "ا" and meta["fold"]["٢"] == "2"
    assert meta["shards"] == [["", 0]]  # a small site: one shard
    assert meta["ignore"] == search_ignored_ranges()
    assert sum(p.stat().st_size for p in index.iterdir()) < 200_000
    _, again = build_demo(tmp_path / "two")
    for path in index.iterdir():
        assert path.read_bytes() == (again / "ar" / "search" / "index" / path.name).read_bytes()


def test_documents_are_numbered_oldest_first(tmp_path):
    """The browser ranks equal scores newest first by taking the higher document number
    (``search.js``): documents must be numbered oldest first, every language."""
    _, out = build_demo(tmp_path / "site")
    for meta_path in out.glob("*/search/index/meta.json"):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        docs = []
        for n in range(-(-meta["count"] // meta["chunk"])):
            docs.extend(json.loads((meta_path.parent / f"d-{n}.json").read_text(encoding="utf-8")))
        assert len(docs) == meta["count"] > 0
        dates = [doc[2] for doc in docs if doc[2]]
        assert dates == sorted(dates) and dates[0] < dates[-1], meta_path


def test_shards_partition_the_keys():
    from generator.search_index import plan_shards

    sizes = {k: n for k, n in [("ab", 5), ("abc", 9), ("abd", 9), ("ac", 3), ("b", 1), ("bz", 30), ("a", 4)]}
    plan = plan_shards(sizes, limit=10)
    placed = sorted(k for keys in plan.values() for k in keys)
    assert placed == sorted(sizes)
    for (prefix, terminal), keys in plan.items():
        for key in keys:
            assert key == prefix if terminal else key.startswith(prefix)
    assert plan_shards(sizes, limit=1_000) == {("", False): sorted(sizes)}


def test_a_site_without_search(tmp_path):
    """``search = false`` (or ``--no-search``): no search page, no index, no link to them;
    everything else is built as before."""
    from conftest import build, copy_site

    root = copy_site(tmp_path / "site")
    _, with_search = build(root, tmp_path / "with")
    _, out = build(root, tmp_path / "without", search=False)
    assert list(with_search.rglob("search/index.html")) and list(with_search.rglob("index/meta.json"))
    assert not [p for p in out.rglob("*") if "search" in p.relative_to(out).parts]
    pages = list(out.rglob("*.html"))
    assert len(pages) == len(list(with_search.rglob("*.html"))) - len(
        list(with_search.rglob("search/index.html"))
    )
    for page in pages:
        assert "/search/" not in page.read_text(encoding="utf-8"), page
    assert (out / "ar" / "feed.xml").read_bytes() == (with_search / "ar" / "feed.xml").read_bytes()
    seed = with_search / "ar" / "articles" / SEED_SLUG / "index.html"
    html = seed.read_text(encoding="utf-8")
    assert html.count("/search/") == 1  # the nav link is the only difference
    assert (out / seed.relative_to(with_search)).read_text(encoding="utf-8") == "".join(
        line for line in html.splitlines(keepends=True) if "/search/" not in line
    )


def test_the_browser_takes_its_character_classes_from_the_one_home():
    """Diacritics, tatweel, bidi and invisible characters are listed once, in textnorm; the
    browser's normaliser reads them from meta.json instead of keeping its own copy."""
    import re

    from generator.textnorm import ARABIC_MARKS, INVISIBLE_AND_BIDI, match_key

    script = (REPO / "static/js/search.js").read_text(encoding="utf-8")
    assert not re.search(r"\\u(?:064b|0640|202a|2066|200b|200e|061c)", script, re.I)
    for path in (
        "generator/urls.py",
        "generator/seeds.py",
        "generator/report.py",
        "generator/search_index.py",
    ):
        assert not re.search(r"\\u(?:064b|202a|2066)", (REPO / path).read_text(encoding="utf-8"), re.I), path
    word = "\u202bا\u0644\u064e\u0640\u0623\u0645\u0652\u0646\u200f\u202c"  # RLE الـأمْن RLM PDF
    assert ARABIC_MARKS.sub("", INVISIBLE_AND_BIDI.sub("", word)) == "الأمن"
    assert match_key(word) == "الامن"


def test_a_search_script_of_another_index_format_is_named_in_a_warning(tmp_path):
    """A site's own copy of ``static/js/search.js`` made for an older index (it declares
    another ``FORMAT``, or none) would miss the newest stories' shards: the build says so,
    naming the file; the theme's own script, or a copy of it, gets no warning, nor does a
    site without search."""
    from conftest import build, scratch_site

    root = scratch_site(tmp_path / "site", {"en": 'locale = "en"'})
    (root / "content/en/a.md").write_text("---\ntitle: A\ndate: 2025-01-02\n---\n\nText.\n", encoding="utf-8")
    report, _ = build(root, tmp_path / "out1")
    assert not [n for n in report.notices if "search.js" in n]
    script = root / "theme/static/js/search.js"
    script.parent.mkdir(parents=True)
    shipped = (REPO / "static/js/search.js").read_text(encoding="utf-8")
    script.write_text(shipped + "\n// our change\n", encoding="utf-8")
    report, _ = build(root, tmp_path / "out2")
    assert not [n for n in report.notices if "search.js" in n]
    script.write_text(
        shipped.replace(f"var FORMAT = {search_index.FORMAT};", "var FORMAT = 4;"), encoding="utf-8"
    )
    report, _ = build(root, tmp_path / "out3")
    [notice] = [n for n in report.notices if "search.js" in n]
    assert notice.startswith("theme/static/js/search.js:") and f"format {search_index.FORMAT}" in notice
    report, _ = build(root, tmp_path / "out4", search=False)
    assert not [n for n in report.notices if "search.js" in n]
