"""Real-browser checks of right-to-left layout, fonts and accessibility (headless Chromium).

For each language's home, one article and the tag index, at 360 and 1280 CSS pixels:
the computed direction of ``html`` and ``h1``; which side the heading's text hugs (a Range
over its text measures the glyphs, not the block); no horizontal scroll; the web fonts of
Arabic, Persian and Urdu loaded *and used*; and axe-core finds no serious or critical
violation. Screenshots go to ``test-artifacts/screenshots/`` and the measurements to
``test-artifacts/browser-report.json``.

Chromium is Debian's (``/usr/bin/chromium``); axe-core is the copy that the PyPI package
``axe-playwright-python`` ships (requirements-dev.txt). Outside CI a missing browser or axe
skips with the reason; in CI it fails.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import urllib.parse
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import REPO
from tools.screenshot import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser


ARTIFACTS = REPO / "test-artifacts"
LANGS = ("ar", "fa", "ur", "ckb", "ps", "en", "fr")
KINDS = ("home", "article", "tags")
WIDTHS = (360, 1280)
DIRECTION = {"ar": "rtl", "fa": "rtl", "ur": "rtl", "ckb": "rtl", "ps": "rtl", "en": "ltr", "fr": "ltr"}
FONTS = {
    "ar": ("Noto Naskh Arabic", "العربية"),
    "fa": ("Vazirmatn", "فارسی"),
    "ur": ("Noto Nastaliq Urdu", "اردو"),
    "ckb": ("Vazirmatn", "کوردی ڕۆژ ڵ ێ"),
    "ps": ("Noto Naskh Arabic", "پښتو ږ ځ ټ ګ ۍ"),
}


def _missing(what: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what}; CI must run the browser tests")
    pytest.skip(what)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output readable
        pass


@pytest.fixture(scope="session")
def site_url(demo_site):
    _, out = demo_site
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(out)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -r requirements-dev.txt)")
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def report():
    """Measurements per page, written to test-artifacts/browser-report.json at the end."""
    data: dict[str, dict] = {}
    yield data
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "browser-report.json").write_text(
        json.dumps(dict(sorted(data.items())), ensure_ascii=False, indent=1), encoding="utf-8"
    )


def _path(demo_site, lang: str, kind: str) -> str:
    report, _ = demo_site
    if kind == "home":
        return f"{lang}/"
    if kind == "tags":
        return f"{lang}/tags/"
    article = report.site.articles[lang][0]
    return article.path.removesuffix("index.html")


def _open(browser, site_url: str, path: str, width: int):
    page = browser.new_page(viewport={"width": width, "height": 900})
    response = page.goto(site_url + urllib.parse.quote(path))
    assert response and response.ok, f"{path}: HTTP {response.status if response else '?'}"
    page.evaluate("document.fonts.ready.then(() => true)")
    return page


MEASURE = """() => {
  const h1 = document.querySelector('main h1');
  const main = document.querySelector('main');
  const ms = getComputedStyle(main);
  const box = main.getBoundingClientRect();
  const range = document.createRange();
  range.selectNodeContents(h1);
  const rects = [...range.getClientRects()].filter(r => r.width > 0);
  return {
    htmlDir: getComputedStyle(document.documentElement).direction,
    h1Dir: getComputedStyle(h1).direction,
    textLeft: Math.min(...rects.map(r => r.left)),
    textRight: Math.max(...rects.map(r => r.right)),
    firstLineWidth: rects.length ? rects[0].width : 0,
    contentLeft: box.left + parseFloat(ms.paddingLeft),
    contentRight: box.right - parseFloat(ms.paddingRight),
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  };
}"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", LANGS)
def test_direction_alignment_and_no_overflow(browser, site_url, demo_site, report, lang, kind, width):
    path = _path(demo_site, lang, kind)
    page = _open(browser, site_url, path, width)
    try:
        m = page.evaluate(MEASURE)
        shots = ARTIFACTS / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"{lang}-{kind}-{width}.png"), full_page=True)
    finally:
        page.close()
    want = DIRECTION[lang]
    entry = report.setdefault(f"{lang}-{kind}", {"path": path})
    entry[f"w{width}"] = {
        "direction": m["htmlDir"],
        "h1_direction": m["h1Dir"],
        "overflow_px": m["scrollWidth"] - m["clientWidth"],
        "h1_gap_start_px": round(
            m["contentRight"] - m["textRight"] if want == "rtl" else m["textLeft"] - m["contentLeft"], 1
        ),
    }
    assert m["htmlDir"] == want and m["h1Dir"] == want, m
    assert m["firstLineWidth"] > 0, "the heading has no text to measure"
    if want == "rtl":
        assert abs(m["textRight"] - m["contentRight"]) <= 2, (
            f"{path}: rtl heading does not start at the right: {m}"
        )
    else:
        assert abs(m["textLeft"] - m["contentLeft"]) <= 2, (
            f"{path}: ltr heading does not start at the left: {m}"
        )
    assert m["scrollWidth"] <= m["clientWidth"], f"{path} scrolls sideways at {width}px: {m}"


HEADER_ROWS = """() => {
  const width = document.documentElement.clientWidth;
  const languages = [...document.querySelectorAll('.lang-switcher a')].map(a => {
    const r = a.getBoundingClientRect();
    return {name: a.textContent, left: r.left, right: r.right};
  });
  const nav = document.querySelector('.site-nav');
  const row = nav.querySelector('ul');
  return {width, languages, mask: getComputedStyle(nav).maskImage || getComputedStyle(nav).webkitMaskImage,
          scrolls: row.scrollWidth > nav.clientWidth};
}"""


@pytest.mark.parametrize("lang", LANGS)
def test_on_a_phone_every_language_is_in_sight(browser, site_url, demo_site, lang):
    """At 360 px the language switcher wraps: every language's link lies inside the screen
    (a scrolling row showed only the last letter of "Français" on Arabic pages). The
    sections' row scrolls instead, and its end side fades out to say so."""
    page = _open(browser, site_url, _path(demo_site, lang, "article"), 360)
    try:
        m = page.evaluate(HEADER_ROWS)
    finally:
        page.close()
    assert len(m["languages"]) == len(LANGS), m
    for link in m["languages"]:
        assert 0 <= link["left"] and link["right"] <= m["width"], f"{link['name']} is cut: {m}"
    assert "gradient" in m["mask"], m
    fades_to = "left" if DIRECTION[lang] == "rtl" else "right"
    assert f"to {fades_to}" in m["mask"], m


def _fonts_used(page, selector: str) -> list[str]:
    """Family names Chromium actually drew ``selector``'s text with (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return [f["familyName"] for f in fonts]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", sorted(FONTS))
def test_web_fonts_load_and_are_used(browser, site_url, demo_site, report, lang, kind):
    family, sample = FONTS[lang]
    page = _open(browser, site_url, _path(demo_site, lang, kind), 1280)
    try:
        state = page.evaluate(
            """([family, sample]) => document.fonts.ready.then(() => ({
            check: document.fonts.check(`16px "${family}"`, sample),
            loaded: [...document.fonts].filter(f => f.family.replace(/"/g, '') === family)
                                       .map(f => f.status),
        }))""",
            [family, sample],
        )
        used = _fonts_used(page, "main h1")
    finally:
        page.close()
    report.setdefault(f"{lang}-{kind}", {})["fonts"] = {
        "family": family,
        "statuses": state["loaded"],
        "h1_drawn_with": used,
    }
    assert state["check"], f"document.fonts.check says {family} is not ready"
    assert "loaded" in state["loaded"], f"no {family} face loaded: {state}"
    assert family in used, f"the heading was drawn with {used}, not {family}"


FONT_FOLDERS = {"naskh": "noto-naskh-arabic", "persian": "vazirmatn", "nastaliq": "noto-nastaliq-urdu"}


def _fonts_fetched(browser, site_url: str, path: str) -> set[str]:
    """The font folders (static/fonts/<folder>/) a page fetches files from."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url) if ".woff" in request.url else None)
    try:
        response = page.goto(site_url + urllib.parse.quote(path))
        assert response and response.ok
        page.evaluate("document.fonts.ready.then(() => true)")
        page.wait_for_load_state("networkidle")
    finally:
        page.close()
    return {url.split("/fonts/")[1].split("/")[0] for url in fetched}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", LANGS)
def test_a_page_downloads_no_font_of_another_language(browser, site_url, demo_site, lang, kind):
    """The switcher's labels and "also in" titles use system faces: the only web font a page
    fetches is its own language's (none for Latin-script pages)."""
    from conftest import committed_path
    from generator.config import load_config

    font = next(x.font for x in load_config(committed_path()).languages if x.code == lang)
    folders = _fonts_fetched(browser, site_url, _path(demo_site, lang, kind))
    assert folders <= ({FONT_FOLDERS[font]} if font in FONT_FOLDERS else set()), (lang, kind, folders)


def test_the_language_chooser_downloads_no_web_font(browser, site_url):
    assert _fonts_fetched(browser, site_url, "") == set()


@pytest.fixture(scope="session")
def axe_source() -> str:
    try:
        import axe_playwright_python
    except ImportError:
        _missing("axe-playwright-python is not installed (pip install -r requirements-dev.txt)")
    axe = Path(axe_playwright_python.__file__).with_name("axe.min.js")
    if not axe.exists():
        _missing(f"{axe} is missing from the axe-playwright-python package")
    return axe.read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", LANGS)
def test_axe_finds_no_serious_violations(browser, site_url, demo_site, report, axe_source, lang, kind):
    page = _open(browser, site_url, _path(demo_site, lang, kind), 360)
    try:
        page.add_script_tag(content=axe_source)
        violations = page.evaluate("""() => axe.run(document, {resultTypes: ['violations']})
            .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                                target: v.nodes[0] && v.nodes[0].target.join(' ')})))""")
    finally:
        page.close()
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    report.setdefault(f"{lang}-{kind}", {})["axe"] = {
        "violations": len(violations),
        "serious_or_critical": bad,
    }
    assert not bad, f"axe-core: {bad}"


def test_axe_reports_a_planted_violation(browser, site_url, axe_source):
    """The axe check is not vacuous: a link without a name on one of our pages is reported."""
    page = _open(browser, site_url, "en/", 360)
    try:
        page.add_script_tag(content=axe_source)
        ids = page.evaluate("""() => {
            const a = document.createElement('a'); a.href = '/'; document.querySelector('main').append(a);
            return axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => v.id));
        }""")
    finally:
        page.close()
    assert "link-name" in ids


def test_preloaded_font_files_exist_and_are_the_stylesheets_faces():
    """Each family's preload list (generator/data/fonts.toml) names files that exist and that
    static/css/fonts.css declares: a renamed font cannot leave pages preloading a 404."""
    from generator.languages import FONT_FAMILIES, font_preloads

    faces = (REPO / "static/css/fonts.css").read_text(encoding="utf-8")
    preloaded = [file for family in FONT_FAMILIES for file in font_preloads(family)]
    assert preloaded and not font_preloads("latin")
    for file in preloaded:
        assert (REPO / "static" / file).is_file(), file
        assert file.rsplit("/", 1)[-1] in faces, file
