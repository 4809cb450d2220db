"""The bad-input corpus (``../shared/badinput``): nothing fed to Sahifa may crash the build, lose
another article, run a script in a reader's browser, or write outside the output folder.

As the corpus README says: check every file's sha256 first; build scratch sites in ``tmp_path``
with ``python build.py`` as a subprocess (with a timeout); one build with everything and one
build per manifest entry (the controls plus that file, so a failure points at one file); the
tree outside the output folder is snapshotted before and compared after. Where the manifest
lets the generator choose an outcome, ``CHOSEN`` holds our choice (documented in
``docs/badinput.md``). The ``generated_tests`` that need no server are here; g11 (the dev
server) is in ``test_serve.py``.
"""

from __future__ import annotations

import hashlib
import html
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import REPO, build, copy_site, shared_path

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

BUILD_TIMEOUT = 300  # seconds; the whole corpus builds in well under a minute on an idle machine
BASE_URL = "http://127.0.0.1:8000/"  # site.toml's base_url (absolute links map back to files)

# Our outcome per file where the manifest offers a choice (see docs/badinput.md). Every other
# file gets its ``expected`` outcome.
CHOSEN = {
    "seeds/s04-invalid-utf8-bytes.txt": "rendered-safely",
    "seeds/s06-iso-8859-6.txt": "fixed",
    "seeds/s11-title-only.txt": "rendered-safely",
    "seeds/s14-dateline-future-2099.txt": "skipped-with-error",  # held back, like Hugo
    "seeds/s18-title-only-bidi-marks.txt": "rendered-safely",  # the lead becomes the title
    "seeds/s21-5mb-single-line.txt": "rendered-safely",
    "content/ar/m10-tags-string-arabic-comma.md": "fixed",
    "content/ar/m12-slug-dotdot-etc-passwd.md": "fixed",  # slug sanitised, with a warning
    "content/ar/m13-slug-absolute.md": "fixed",
    "content/ar/m14-slug-dot.md": "fixed",
    "content/ar/m16-duplicate-slug-b.md": "skipped-with-error",
    "content/ar/m17-lang-layout-url-traversal.md": "rendered-safely",
    "content/ar/m25-date-arabic-string.md": "fixed",
    "content/ar/m27-date-epoch-int.md": "fixed",  # integers >= 10^8 are Unix seconds
    "content/ar/m28-date-impossible.md": "rendered-safely",  # undated, with a warning
    "content/ar/m29-date-garbage.md": "rendered-safely",
    "content/ar/m30-date-future.md": "skipped-with-error",  # held back
    "content/ar/m31-nested-lists.md": "rendered-safely",  # escaped text on RecursionError
}
# A file whose problem needs another file to show (collisions) is built with its partner.
PARTNERS = {
    "content/ar/m16-duplicate-slug-b.md": ("content/ar/m15-duplicate-slug-a.md",),
    "seeds/s26-duplicate-title-b.txt": ("seeds/s25-duplicate-title-a.txt",),
}
# Text that appears only in the published article, for files without ``expect_text``.
MARKERS = {
    "content/ar/m12-slug-dotdot-etc-passwd.md": "M12-VISIBLE",
    "content/ar/m13-slug-absolute.md": "M13-VISIBLE",
    "content/ar/m14-slug-dot.md": "M14-VISIBLE",
    "content/ar/m16-duplicate-slug-b.md": "DUPSLUG-B",
    "content/ar/m18-yaml-billion-laughs.md": "M18-BODY",
    "content/ar/m19-yaml-python-object.md": "M19-BODY",
    "content/ar/m20-yaml-non-mapping.md": "M20-BODY",
    "content/ar/m21-yaml-unterminated.md": "M21-BODY",
    "content/ar/m22-yaml-syntax-error.md": "M22-BODY",
    "content/ar/m28-date-impossible.md": "M28-BODY",
    "content/ar/m30-date-future.md": "M30-BODY",
    "content/ar/m31-nested-lists.md": "اختبار قوائم متداخلة بعمق",
    "content/ar/m34-front-matter-type-confusion.md": "M34-BODY",
    "seeds/s14-dateline-future-2099.txt": "توقيع اتفاقية لتطوير شبكة القطارات",
}

# Text the sanitiser is known to drop (tracked by a strict xfail test, so a fix shows up).
KNOWN_LOSSES = {"content/ar/m04-entities-and-mxss.md": "M04-VISIBLE"}

BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))
INVISIBLE = {0x200B, 0x200C, 0x200D, 0xFEFF, 0x2060, 0x00AD}
C0 = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
URL_ATTRS = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "cite",
    "ping",
}
BAD_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base"}
DATA_TYPES = {"application/ld+json", "application/json"}
DEVICE = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.I)
TEXT_EXTS = {".html", ".htm", ".xml", ".rss", ".atom", ".json", ".txt", ".css", ".js"}


# ---- the corpus ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus() -> Path:
    return shared_path("badinput")


def _manifest() -> dict:
    """The manifest, read at collection time (empty when ../shared is absent: tests then skip)."""
    path = Path(__file__).resolve().parents[1].parent / "shared" / "badinput" / "MANIFEST.json"
    if not path.is_file():
        return {"files": [], "generated_tests": []}
    return json.loads(path.read_text(encoding="utf-8"))


MANIFEST = _manifest()
ENTRIES = {e["path"]: e for e in MANIFEST["files"]}
CONTROLS = [e for e in MANIFEST["files"] if e.get("control")]
BAD = [e for e in MANIFEST["files"] if not e.get("control")]


def site_rel(entry: dict) -> str:
    """Where the file lives in the scratch site (and how the generator names it)."""
    path = entry["path"]
    return path.removeprefix("controls/")


def outcome(entry: dict) -> str:
    chosen = CHOSEN.get(entry["path"], entry["expected"])
    assert chosen == entry["expected"] or chosen in entry.get("acceptable", []), entry["path"]
    return chosen


def published_marks(entry: dict) -> list[str]:
    marks = list(entry.get("expect_text", []))
    if entry["path"] in MARKERS:
        marks.append(MARKERS[entry["path"]])
    return marks


# ---- scratch sites and builds ---------------------------------------------------------------


def make_site(dest: Path, corpus: Path, entries: list[dict]) -> Path:
    site = copy_site(dest, content=False, seeds=False)
    for entry in CONTROLS + entries:
        target = site / site_rel(entry)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / entry["path"], target)
    return site


CACHE_NAME = re.compile(
    r"(records-[0-9a-f]{2}|screened|slugs|templates|sitemap-lines|model|(state|search-index)-[0-9a-f]{16})\.pickle"
    r"|(related|model-since|catalogues|state-[0-9a-f]{16}-base-[0-9a-f]{16})\.marshal|bodies-[0-9a-f]{2}-[0-9a-f]{8}\.bin|cards\.sqlite(-journal)?|spare-[0-9a-f]{16}"
)


def check_register(path: Path) -> None:
    """The permalink register is a regular file of well-formed lines: id, language, slugs
    (content chooses ids and slugs, never where the register is or what else is written)."""
    assert path.is_file() and not path.is_symlink()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            cells = line.split("\t")
            assert len(cells) >= 3 and all(cells[:3]), line
            assert not any("/" in c or c in (".", "..") for c in cells[2:]), line


def snapshot(site: Path, output: Path | None) -> dict[str, str]:
    """Every file and link under ``site`` except the output folder, the build cache and the
    permalink register (the site's own state): path -> hash or link target. The cache may only
    hold the files the cache module names (checked here), so content can never choose what is
    written there; the register is checked by ``check_register``."""
    out = os.path.realpath(output) if output else None
    snap: dict[str, str] = {}
    cache = site / ".sahifa-cache"
    if cache.is_dir() and not cache.is_symlink():
        strays = [n for n in os.listdir(cache) if not CACHE_NAME.fullmatch(n)]
        assert not strays, f"unexpected files in the build cache: {strays}"
    for dirpath, dirnames, filenames in os.walk(site):
        if out and os.path.realpath(dirpath) == out:
            dirnames[:] = []
            continue
        if os.path.realpath(dirpath) == os.path.realpath(cache):
            dirnames[:] = []
            continue
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, site)
            if rel == "permalinks.tsv":
                check_register(Path(p))
                continue
            if os.path.islink(p):
                snap[rel] = "link:" + os.readlink(p)
            elif os.path.isfile(p) and os.access(p, os.R_OK):
                snap[rel] = hashlib.sha256(Path(p).read_bytes()).hexdigest()
            else:
                snap[rel] = "special"
    return snap


def tree_hashes(root: Path) -> dict[str, str]:
    """Every file under ``root`` (the output folder) -> sha256."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def clear_tmp_canaries() -> None:
    for tmp in {tempfile.gettempdir(), "/tmp"}:
        for name in os.listdir(tmp) if os.path.isdir(tmp) else []:
            if name.startswith("badinput-"):
                p = os.path.join(tmp, name)
                if os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    os.unlink(p)


def tmp_canaries() -> list[str]:
    return [
        os.path.join(tmp, n)
        for tmp in {tempfile.gettempdir(), "/tmp"}
        if os.path.isdir(tmp)
        for n in os.listdir(tmp)
        if n.startswith("badinput-")
    ]


def run_build(
    site: Path, *args: str, out: str | Path | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    out = str(out if out is not None else site / "public")
    return subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--root", str(site), "--out", out, *args],
        cwd=str(cwd or site),
        capture_output=True,
        timeout=BUILD_TIMEOUT,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


@dataclass
class Built:
    site: Path
    out: Path
    rc: int
    stdout: str
    stderr: str
    before: dict
    after: dict
    scan: "Scan"
    site_files: list[str]

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    def messages(self, rel: str) -> list[str]:
        """Error and warning lines about one site file (``error: PATH: reason``)."""
        return [line for line in self.lines if line.split(": ", 1)[-1].startswith(rel + ":")]

    def pages_with(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFC", text)
        return [rel for rel, t in self.scan.texts.items() if text in t]

    def article_page(self, text: str) -> tuple[str, str]:
        """(output path, raw HTML) of the article page that shows ``text``."""
        pages = [p for p in self.pages_with(text) if "/articles/" in p]
        assert pages, f"no article page shows {text!r}"
        text = unicodedata.normalize("NFC", text)
        for rel in pages:  # its own page: the text is in the headline or the body, not a link
            page = (self.out / rel).read_text(encoding="utf-8")
            own = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1) + body_of(page)
            if text in unicodedata.normalize("NFC", html.unescape(re.sub(r"<[^>]+>", "", own))):
                return rel, page
        raise AssertionError(f"{text!r} is only linked from other articles: {pages}")


def do_build(site: Path, allowed: "Allowed | None") -> Built:
    out = site / "public"
    clear_tmp_canaries()
    before = snapshot(site, out)
    files = sorted(
        p.relative_to(site).as_posix()
        for d in ("content", "seeds")
        for p in (site / d).rglob("*")
        if p.is_symlink() or not p.is_dir()
    )
    proc = run_build(site)
    after = snapshot(site, out)
    scan = scan_output(out, allowed) if out.is_dir() else Scan()
    return Built(
        site,
        out,
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
        before,
        after,
        scan,
        files,
    )


# ---- reading the output ----------------------------------------------------------------------


def scheme_of(value: str) -> str:
    v = "".join(ch for ch in html.unescape(value) if ord(ch) > 0x20 and ord(ch) not in BIDI | INVISIBLE)
    m = re.match(r"([a-zA-Z][a-zA-Z0-9+.\-]*):", v)
    return m.group(1).lower() if m else ""


@dataclass
class Allowed:
    """What our own templates put into pages (learned from a build of the controls only)."""

    script_srcs: set = field(default_factory=set)
    inline_scripts: set = field(default_factory=set)
    risky: set = field(default_factory=set)


@dataclass
class Scan:
    texts: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)
    script_srcs: set = field(default_factory=set)
    inline_scripts: set = field(default_factory=set)
    risky: set = field(default_factory=set)


class PageCheck(html.parser.HTMLParser):
    """Elements and attributes that could run code, found with a real HTML parser."""

    def __init__(self, scan: Scan, where: str, allowed: Allowed | None) -> None:
        super().__init__(convert_charrefs=True)
        self.scan, self.where, self.allowed = scan, where, allowed
        self.script: tuple[str, list[str]] | None = None
        self.links: list[str] = []
        self.text: list[str] = []
        self.in_body = False

    def risky(self, what: tuple) -> None:
        self.scan.risky.add(what)
        if self.allowed is not None and what not in self.allowed.risky:
            self.scan.findings.append(f"{self.where}: {what}")

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag in BAD_TAGS or tag in ("style", "form", "input", "textarea", "button", "svg", "math"):
            self.risky(("element", tag))
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            self.risky(("meta-refresh",))
        for k, v in a.items():
            if k.startswith("on"):
                self.risky(("event-handler", tag, k))
            if k in ("srcdoc", "style"):
                self.risky(("attribute", tag, k, v if k == "style" else ""))
            if k in URL_ATTRS or (
                tag == "meta" and k == "content" and a.get("property", "").endswith(":image")
            ):
                s = scheme_of(v)
                if s in ("javascript", "vbscript", "livescript", "data"):
                    self.risky(("url", tag, k, s))
                # Links our templates write must resolve; links an author wrote in the body
                # (``<img src=x>``) are the author's business.
                if k in ("href", "src") and not self.in_body and (not s or v.startswith(BASE_URL)):
                    self.links.append(v)
        if tag == "div" and "body" in a.get("class", "").split():
            self.in_body = True
        if tag == "script":
            src = a.get("src")
            if src is not None:
                self.scan.script_srcs.add(src)
                if self.allowed is not None and src not in self.allowed.script_srcs:
                    self.scan.findings.append(f"{self.where}: <script src={src!r}> is not one of ours")
            else:
                self.script = (a.get("type", "").lower(), [])

    def handle_endtag(self, tag):
        if tag == "div":
            self.in_body = False  # the sanitiser allows no <div>, so the first </div> ends the body
        if tag == "script" and self.script is not None:
            kind, chunks = self.script
            body = "".join(chunks)
            if kind in DATA_TYPES:
                try:
                    json.loads(body)
                except ValueError:
                    self.scan.findings.append(f"{self.where}: JSON data block does not parse")
                if "</script" in body.lower() or "<!--" in body:
                    self.scan.findings.append(f"{self.where}: JSON data block can break out of <script>")
            else:
                digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
                self.scan.inline_scripts.add(digest)
                if self.allowed is not None and digest not in self.allowed.inline_scripts:
                    self.scan.findings.append(
                        f"{self.where}: inline <script> is not one of ours: {body[:60]!r}"
                    )
            self.script = None

    def handle_data(self, data):
        if self.script is not None:
            self.script[1].append(data)
        else:
            self.text.append(data)


def resolve_link(out: Path, page: Path, link: str) -> bool:
    if link.startswith(BASE_URL):
        link = "/" + link[len(BASE_URL) :]
    path = urllib.parse.unquote(urllib.parse.urlsplit(link).path)
    if not path:
        return True
    target = out / path.lstrip("/") if path.startswith("/") else page.parent / path
    target = Path(os.path.normpath(target))
    return target.is_file() or (target / "index.html").is_file()


def scan_output(out: Path, allowed: Allowed | None) -> Scan:
    """Every output file: names, text, scripts, URLs, feeds, links (the corpus README's step 4)."""
    scan = Scan()
    real_out = os.path.realpath(out)
    for dirpath, dirnames, filenames in os.walk(out):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = p.relative_to(out).as_posix()
            if any(ord(c) in BIDI | INVISIBLE - {0x200C} for c in name):
                scan.findings.append(f"{rel}: bidi or invisible character in a name")
            if len(os.fsencode(name)) > 255:
                scan.findings.append(f"{rel}: name longer than 255 bytes")
            if DEVICE.match(name) or name.endswith((".", " ")):
                scan.findings.append(f"{rel}: not a portable name")
            if p.is_symlink():
                scan.findings.append(f"{rel}: a link in the output")
            elif not os.path.realpath(p).startswith(real_out + os.sep):
                scan.findings.append(f"{rel}: resolves outside the output")
        for name in filenames:
            p = Path(dirpath) / name
            rel = p.relative_to(out).as_posix()
            ext = p.suffix.lower()
            if ext not in TEXT_EXTS:
                continue
            try:
                raw = p.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                scan.findings.append(f"{rel}: not UTF-8")
                continue
            if C0.search(raw):
                scan.findings.append(f"{rel}: C0 control or U+FFFE/U+FFFF character")
            if ext in (".html", ".htm"):
                pc = PageCheck(scan, rel, allowed)
                pc.feed(raw)
                pc.close()
                scan.texts[rel] = unicodedata.normalize("NFC", " ".join(" ".join(pc.text).split()))
                for link in pc.links:
                    if not resolve_link(out, p, link):
                        scan.findings.append(f"{rel}: broken internal link {link!r}")
            elif ext in (".xml", ".rss", ".atom"):
                try:
                    root = ET.fromstring(raw.encode("utf-8"))
                except ET.ParseError as exc:
                    scan.findings.append(f"{rel}: XML does not parse: {exc}")
                    continue
                for el in root.iter():
                    local = el.tag.rsplit("}", 1)[-1]
                    # RSS description/content:encoded hold HTML; Atom says so in ``type``.
                    atom = el.tag.startswith("{http://www.w3.org/2005/Atom}")
                    is_html = not atom or el.get("type") in ("html", "xhtml")
                    if local in ("description", "content", "summary", "encoded") and el.text and is_html:
                        pc = PageCheck(scan, f"{rel}#{local}", Allowed() if allowed is not None else None)
                        pc.feed(el.text)
                        pc.close()
                    for k, v in el.attrib.items():
                        if k.rsplit("}", 1)[-1] in ("href", "src") and scheme_of(v) in (
                            "javascript",
                            "vbscript",
                            "data",
                        ):
                            scan.findings.append(f"{rel}: bad URL scheme in a feed attribute")
            elif ext == ".json":
                try:
                    json.loads(raw)
                except ValueError:
                    scan.findings.append(f"{rel}: JSON does not parse")
            elif "<script" in raw.lower():
                scan.findings.append(f"{rel}: <script in a {ext} file")
    return scan


# ---- fixtures: the baseline (controls only) and the full corpus -------------------------------


@pytest.fixture(scope="module")
def allowed(corpus, tmp_path_factory) -> Allowed:
    """A build of the controls alone: the scripts and attributes found there are our own."""
    site = make_site(tmp_path_factory.mktemp("controls") / "site", corpus, [])
    built = do_build(site, None)
    assert built.rc == 0, built.stderr
    assert built.lines == [], built.stderr
    return Allowed(built.scan.script_srcs, built.scan.inline_scripts, built.scan.risky)


@pytest.fixture(scope="module")
def full(corpus, allowed, tmp_path_factory) -> Built:
    site = make_site(tmp_path_factory.mktemp("full") / "site", corpus, BAD)
    return do_build(site, allowed)


def test_corpus_is_byte_exact(corpus):
    """A checkout that rewrote line ends or encodings would make the CRLF/cp1256/UTF-16 cases
    test nothing: compare every file with the manifest first."""
    assert len(MANIFEST["files"]) >= 60
    for entry in MANIFEST["files"]:
        data = (corpus / entry["path"]).read_bytes()
        assert len(data) == entry["bytes"], entry["path"]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]


# ---- checks shared by the full build and the per-file builds ---------------------------------


def check_common(built: Built, entries: list[dict]) -> None:
    assert "Traceback" not in built.stderr + built.stdout, built.stderr[-3000:]
    assert built.rc in (0, 1), f"exit {built.rc}: {built.stderr[-2000:]}"
    assert re.search(r"built \d+ articles", built.stdout), built.stdout
    # Exit status as documented: 1 exactly when some input was skipped (an error line); a
    # repaired input is a warning line and exit 0 (``--strict`` makes it 1).
    assert built.rc == (1 if any(line.startswith("error: ") for line in built.lines) else 0), built.stderr
    assert "\x1b" not in built.stderr + built.stdout, "ANSI escape echoed to the terminal"
    # Every message names a file of the site, then gives a reason in words.
    for line in built.lines:
        kind, _, rest = line.partition(": ")
        assert kind in ("error", "warning"), line
        assert any(rest.startswith(f + ":") for f in built.site_files), f"message names no input file: {line}"
        reason = rest.split(":", 1)[1] if ":" in rest else ""
        for f in built.site_files:
            if rest.startswith(f + ":"):
                reason = rest[len(f) + 1 :]
        assert re.search(r"[a-zA-Z]{3,}", reason), f"no reason given: {line}"
    # Nothing written outside the output folder; no canary anywhere.
    assert built.after == built.before, "the site tree outside the output folder changed"
    assert not tmp_canaries(), tmp_canaries()
    for dirpath, dirnames, filenames in os.walk(built.site):
        assert "yaml-rce-canary.txt" not in filenames
        assert "passwd" not in filenames + dirnames, dirpath
    # The output is safe: no script, handler or dangerous URL that our templates did not write.
    assert built.scan.findings == [], "\n".join(built.scan.findings[:40])
    # Controls are always there; so is every article we publish.
    every = CONTROLS + entries
    for entry in every:
        marks = published_marks(entry)
        if outcome(entry) in ("rendered-safely", "fixed"):
            for text in marks:
                if KNOWN_LOSSES.get(entry["path"]) == text:
                    continue  # see test_known_loss_after_mxss_vector
                assert built.pages_with(text), f"{entry['path']}: {text!r} not in the built site"
        else:
            msgs = built.messages(site_rel(entry))
            assert msgs, f"{entry['path']} was skipped without a message naming it"
            for text in marks:
                assert not built.pages_with(text), f"{entry['path']} was published: {text!r}"


def test_full_corpus_builds(full):
    assert full.rc == 1, full.stderr
    check_common(full, BAD)


def test_full_corpus_keeps_both_duplicates(full):
    for text in ("DUP-A", "DUP-B", "DUPSLUG-A"):
        assert full.pages_with(text), text
    a, _ = full.article_page("DUP-A")
    b, _ = full.article_page("DUP-B")
    assert a != b


def test_full_corpus_feeds_parse(full):
    feeds = [p for p in full.out.rglob("*.xml")]
    assert len(feeds) >= 5
    for feed in feeds:
        ET.fromstring(feed.read_bytes())


# ---- one build per file ----------------------------------------------------------------------


@pytest.mark.parametrize("path", [e["path"] for e in BAD])
def test_each_file(path, corpus, allowed, tmp_path):
    entry = ENTRIES[path]
    entries = [entry] + [ENTRIES[p] for p in PARTNERS.get(path, ())]
    site = make_site(tmp_path / "site", corpus, entries)
    built = do_build(site, allowed)
    check_common(built, entries)
    for line in built.lines:  # controls never cause messages
        assert not any(site_rel(c) in line for c in CONTROLS), line
    if outcome(entry) == "skipped-with-error":
        # A future-dated story held back (as Hugo does) is reported as a warning: exit 0.
        held = any(
            line.startswith("warning: ") and "in the future; held back" in line for line in built.lines
        )
        assert built.rc == (0 if held else 1), built.stderr
    check = MUST.get(path)
    if check:
        check(built, entry)


# ---- the per-file "must" assertions ----------------------------------------------------------


def body_of(page: str) -> str:
    m = re.search(r'<div class="body">(.*?)</div>', page, re.S)
    return m.group(1) if m else ""


def must_seed_date(built, entry, day="2022-01-11"):
    _, page = built.article_page(entry["expect_text"][0])
    assert f'datetime="{day}"' in page


def must_c01(built, entry):
    _, page = built.article_page("CONTROL-C01")
    assert 'datetime="2022-01-11"' in page
    body = body_of(page)
    assert "(تستمر)" not in body and "جميع الحقوق محفوظة" not in body and "ذات صلة" not in body


def must_s03(built, entry):
    for rel, text in built.scan.texts.items():
        assert "IHDR" not in text and "\ufffdPNG" not in text, rel


def must_warns(words):
    def check(built, entry):
        msgs = " ".join(built.messages(site_rel(entry)))
        assert msgs, f"no warning names {entry['path']}"
        for w in words:
            assert w.lower() in msgs.lower(), (w, msgs)

    return check


def must_s06(built, entry):
    mojibake = re.compile("[\u00c0-\u00ff][\u0621-\u064a]|[\u0621-\u064a][\u00c0-\u00ff]")
    for rel, text in built.scan.texts.items():
        assert not mojibake.search(text), rel


def must_no_char(*chars):
    def check(built, entry):
        for p in built.out.rglob("*"):
            rel = p.relative_to(built.out).as_posix()
            assert not any(c in rel for c in chars), rel
            if p.is_file() and p.suffix in (".html", ".xml"):
                data = p.read_text(encoding="utf-8")
                assert not any(c in data for c in chars), rel
                assert "%EF%BB%BF" not in data.upper() and "&#13;" not in data, rel

    return check


def must_s10(built, entry):
    _, page = built.article_page(entry["expect_text"][0])
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)
    assert html.unescape(h1).strip() == entry["expect_text"][0]
    assert body_of(page).count("<p") >= 2


def must_undated(built, entry):
    must_warns([])(built, entry)
    _, page = built.article_page(published_marks(entry)[0])
    assert "undated" in page and "<time" not in page.split('<div class="body">')[0].split("<article", 1)[-1]


def must_s13(built, entry):
    must_undated(built, entry)
    for p in built.out.rglob("*.html"):
        assert "2022-03-03" not in p.read_text(encoding="utf-8"), p


def must_s15(built, entry):
    _, page = built.article_page(entry["expect_text"][0])
    text = built.scan.texts[built.article_page(entry["expect_text"][0])[0]]
    assert "<script>alert(1)</script>" in text
    assert page.lower().count("<script") == page.lower().count('<script type="application/ld+json"')


def must_s16(built, entry):
    _, page = built.article_page(entry["expect_text"][0])
    assert "<img" not in page.lower()


def must_s17(built, entry):
    rel, page = built.article_page(entry["expect_text"][0])
    low = body_of(page).lower()
    for tag in ("<iframe", "<svg", "<style", "<img"):
        assert tag not in low, tag
    assert "{{ 7*7 }}" in built.scan.texts[rel]
    assert "&amp;lt;script&amp;gt;" in page


def must_s18(built, entry):
    for p in built.out.rglob("*"):
        assert p.name not in (".html", ""), p
    ar_home = built.scan.texts["ar/index.html"]
    assert ENTRIES["controls/content/ar/c02-good-ar.md"]["expect_text"][0] in ar_home
    assert built.messages(site_rel(entry)), "the fallback title is not reported"


def must_s19(built, entry):
    for p in built.out.rglob("*"):
        if p.is_file() and p.suffix in (".html", ".xml", ".json"):
            data = p.read_text(encoding="utf-8")
            assert not any(ord(c) in BIDI for c in data), p


def must_s22(built, entry):
    rel, page = built.article_page(entry["expect_text"][0])
    slug = rel.split("/")[-2]
    assert len(slug.encode("utf-8")) <= 120
    h1 = html.unescape(re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1))
    assert len(h1) > 300


def must_s24(built, entry):
    must_seed_date(built, entry)


def must_m01(built, entry):
    _, page = built.article_page("M01-VISIBLE")
    low = page.lower()
    for tag in ("<iframe", "<object", "<embed", "<svg", "<details", "<video"):
        assert tag not in low, tag
    assert not re.search(r"<[^>]+\son\w+\s*=", page)


def must_m02(built, entry):
    _, page = built.article_page("M02-VISIBLE")
    assert 'href="https://example.org/"' in page


def must_m03(built, entry):
    _, page = built.article_page("M03-VISIBLE")
    body = body_of(page).lower()
    for tag in ("<style", "<meta", "<base", "<link", "<form", "<input", " style="):
        assert tag not in body, tag


def must_m04(built, entry):
    _, page = built.article_page("اختبار الكيانات وتحوير HTML")  # M04-VISIBLE: see KNOWN_LOSSES
    low = body_of(page).lower()
    for tag in ("<script", "<svg", "<math", "<noscript", "<style"):
        assert tag not in low, tag
    assert not re.search(r"""href=["']?\s*(&#|j)""", low)  # entity-obfuscated javascript: links
    assert not re.search(r"<[^>]+\son\w+\s*=", body_of(page))


def must_m05(built, entry):
    _, page = built.article_page("M05-VISIBLE")
    for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S):
        json.loads(block)
    feed = (built.out / "en/feed.xml").read_bytes()
    titles = [el.text for el in ET.fromstring(feed).iter() if el.tag.endswith("title")]
    assert '"><script>alert(1)</script></title><script>alert(2)</script>' in titles


def must_m06(built, entry):
    rel, page = built.article_page("M06-VISIBLE")
    assert "{{ 7*7 }}" in built.scan.texts[rel]
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)
    assert "49" not in h1


def must_m07(built, entry):
    for p in built.out.rglob("*"):
        assert p.name not in ("..", "."), p
    tags = [p for p in (built.out / "ar/tags").iterdir()]
    assert all(p.resolve().is_relative_to((built.out / "ar/tags").resolve()) for p in tags)
    assert any("nul" in m and "control" in m for m in built.messages(site_rel(entry)))


def must_m08(built, entry):
    msgs = " ".join(built.messages(site_rel(entry)))
    assert "empty tag" in msgs
    assert 'class="tag-index"' in (built.out / "en/tags/index.html").read_text(encoding="utf-8")


def tag_links(page: str) -> list[tuple[str, str]]:
    """The article's own tags (the footer after the "Tags" heading)."""
    footer = page.split('class="tags-label"', 1)[1].split('<ul class="tags">', 1)[1].split("</ul>", 1)[0]
    return [
        (urllib.parse.unquote(h), html.unescape(t))
        for h, t in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', footer)
    ]


def must_m09(built, entry):
    _, page = built.article_page("M09-VISIBLE")
    links = tag_links(page)
    names = [t for _, t in links]
    hrefs = [h for h, _ in links]
    assert len(hrefs) == len(set(hrefs))
    kora = [n for n in names if "قدم" in n]
    assert len(kora) == 1, kora
    assert len([n for n in names if n.lower().startswith("caf")]) == 1
    assert len([n for n in names if n.lower() == "sport"]) == 1
    assert "Apple" in names and "\u0410pple" in names  # Cyrillic А is another word
    assert any("mixes letters" in m for m in built.messages(site_rel(entry)))


def must_m10(built, entry):
    _, page = built.article_page("M10-VISIBLE")
    assert sorted(t for _, t in tag_links(page)) == sorted(["سياسة", "اقتصاد", "رياضة"])


def must_m11(built, entry):
    _, page = built.article_page("M11-VISIBLE")
    assert len(tag_links(page)) == 50
    assert any("only the first 50" in m for m in built.messages(site_rel(entry)))
    ET.fromstring((built.out / "ar/feed.xml").read_bytes())


def must_fixed_slug(marker):
    def check(built, entry):
        rel, _ = built.article_page(marker)
        assert rel.startswith("ar/articles/") and rel.count("/") == 3, rel
        assert any("slug" in m for m in built.messages(site_rel(entry)))
        assert not Path("/tmp/badinput-abs-slug").exists()

    return check


def must_m14(built, entry):
    must_fixed_slug("M14-VISIBLE")(built, entry)
    assert (
        ENTRIES["controls/content/ar/c02-good-ar.md"]["expect_text"][0] in built.scan.texts["ar/index.html"]
    )


def must_m16(built, entry):
    assert built.pages_with("DUPSLUG-A")
    msgs = " ".join(built.messages(site_rel(entry)))
    assert "m15-duplicate-slug-a.md" in msgs and "m16-duplicate-slug-b.md" in " ".join(built.lines)


def must_m17(built, entry):
    msgs = " ".join(built.messages(site_rel(entry)))
    for key in ("layout", "template", "url", "permalink", "output", "lang"):
        assert key in msgs, key
    for p in built.out.rglob("*.html"):
        assert "root:x:0:0" not in p.read_text(encoding="utf-8")


def must_error_says(*words):
    def check(built, entry):
        msgs = " ".join(built.messages(site_rel(entry)))
        for w in words:
            assert w in msgs, (w, msgs)

    return check


def must_m23(built, entry):
    rel, page = built.article_page(entry["expect_text"][0])
    body = body_of(page)
    assert "title:" not in body and "date:" not in body


def must_m24(built, entry):
    rel, page = built.article_page(entry["expect_text"][0])
    assert "\r" not in page and "&#13;" not in page
    assert ("اختبار",) == tuple(t for _, t in tag_links(page))


def must_m32(built, entry):
    rel, page = built.article_page(entry["expect_text"][0])
    assert "&amp;" in page and "&lt;2022&gt;" in page and "&amp;amp;" not in page
    ET.fromstring((built.out / "ar/feed.xml").read_bytes())


def must_m33(built, entry):
    rel, _ = built.article_page(entry["expect_text"][0])
    assert rel.split("/")[-2]


MUST = {
    "seeds/s04-invalid-utf8-bytes.txt": must_warns(["U+FFFD", "offset"]),
    "seeds/s03-binary-png-as-txt.txt": must_s03,
    "seeds/s05-windows-1256.txt": must_warns(["cp1256"]),
    "seeds/s06-iso-8859-6.txt": must_s06,
    "seeds/s07-utf16le-bom.txt": must_no_char("\ufeff"),
    "seeds/s08-utf8-bom.txt": must_no_char("\ufeff"),
    "seeds/s09-crlf.txt": must_no_char("\r"),
    "seeds/s10-lone-cr.txt": must_s10,
    "seeds/s12-no-dateline.txt": must_undated,
    "seeds/s13-dateline-31-shubat.txt": must_s13,
    "seeds/s15-title-script-tag.txt": must_s15,
    "seeds/s16-title-attribute-breakout.txt": must_s16,
    "seeds/s17-body-raw-html-and-entities.txt": must_s17,
    "seeds/s18-title-only-bidi-marks.txt": must_s18,
    "seeds/s19-title-rlo-override.txt": must_s19,
    "seeds/s20-title-zero-width.txt": must_no_char("\u200b", "\u200d", "\ufeff", "\u00ad", "\u2060"),
    "seeds/s22-long-arabic-title.txt": must_s22,
    "seeds/s24-title-not-repeated.txt": must_s24,
    "content/ar/m01-raw-html.md": must_m01,
    "content/ar/m02-javascript-links.md": must_m02,
    "content/ar/m03-style-and-page-hijack.md": must_m03,
    "content/ar/m04-entities-and-mxss.md": must_m04,
    "content/en/m05-front-matter-xss.md": must_m05,
    "content/en/m06-template-injection.md": must_m06,
    "content/ar/m07-tags-path-traversal.md": must_m07,
    "content/en/m08-tags-url-specials.md": must_m08,
    "content/ar/m09-tags-unicode.md": must_m09,
    "content/ar/m10-tags-string-arabic-comma.md": must_m10,
    "content/ar/m11-tags-10000.md": must_m11,
    "content/ar/m12-slug-dotdot-etc-passwd.md": must_fixed_slug("M12-VISIBLE"),
    "content/ar/m13-slug-absolute.md": must_fixed_slug("M13-VISIBLE"),
    "content/ar/m14-slug-dot.md": must_m14,
    "content/ar/m16-duplicate-slug-b.md": must_m16,
    "content/ar/m17-lang-layout-url-traversal.md": must_m17,
    "content/ar/m18-yaml-billion-laughs.md": must_error_says("alias"),
    "content/ar/m19-yaml-python-object.md": must_error_says("python/object"),
    "content/ar/m20-yaml-non-mapping.md": must_error_says("mapping"),
    "content/ar/m21-yaml-unterminated.md": must_error_says("closing"),
    "content/ar/m22-yaml-syntax-error.md": must_error_says("line"),
    "content/ar/m23-utf8-bom.md": must_m23,
    "content/ar/m24-crlf.md": must_m24,
    "content/ar/m25-date-arabic-string.md": lambda b, e: must_seed_date(b, e),
    "content/ar/m26-date-datetime-tz.md": lambda b, e: must_seed_date(b, e),
    "content/ar/m27-date-epoch-int.md": lambda b, e: must_seed_date(b, e),
    "content/ar/m28-date-impossible.md": must_undated,
    "content/ar/m29-date-garbage.md": must_undated,
    "content/ar/m30-date-future.md": must_error_says("future"),
    "content/ar/m32-title-mixed-ar-en.md": must_m32,
    "content/ar/مقال تجريبي (نسخة 2).md": must_m33,
    "content/ar/m34-front-matter-type-confusion.md": must_error_says("'title'", "list"),
    "seeds/s14-dateline-future-2099.txt": must_error_says("future"),
}


# ---- generated_tests (cases that cannot ship as plain files) ---------------------------------

SECRET = "---\ntitle: Secret\ndate: 2022-01-10\n---\n\nSECRET-OUTSIDE\n"


@pytest.fixture
def gsite(corpus, tmp_path) -> Path:
    site = make_site(tmp_path / "site", corpus, [])
    (site / "outside").mkdir()
    (site / "outside/secret.md").write_text(SECRET, encoding="utf-8")
    return site


def build_generated(site: Path, allowed: Allowed, named: str) -> Built:
    built = do_build(site, allowed)
    check_common(built, [])
    assert built.rc == 1
    assert any(named in line for line in built.lines if line.startswith("error: ")), built.stderr
    assert not any("SECRET-OUTSIDE" in t for t in built.scan.texts.values())
    return built


def test_g01_symlinked_file_outside(gsite, allowed):
    (gsite / "content/ar/g01-link.md").symlink_to(gsite / "outside/secret.md")
    build_generated(gsite, allowed, "content/ar/g01-link.md")


def test_g02_symlinked_folder_outside(gsite, allowed):
    (gsite / "content/ar/g02-dir").symlink_to(gsite / "outside", target_is_directory=True)
    build_generated(gsite, allowed, "content/ar/g02-dir")


def test_g03_symlink_loop(gsite, allowed):
    (gsite / "content/ar/g03-loop").symlink_to(".", target_is_directory=True)
    built = build_generated(gsite, allowed, "content/ar/g03-loop")
    assert len(built.pages_with("CONTROL-C02")) == len(set(built.pages_with("CONTROL-C02")))
    assert len([p for p in built.pages_with("CONTROL-C02") if "/articles/" in p]) == 1


def test_g04_dangling_symlink(gsite, allowed):
    (gsite / "content/ar/g04-dangling.md").symlink_to("does-not-exist.md")
    built = build_generated(gsite, allowed, "content/ar/g04-dangling.md")
    assert "FileNotFoundError" not in built.stderr


def test_g05_symlink_inside_output_is_not_written_through(gsite, allowed):
    (gsite / "outside-tags").mkdir()
    (gsite / "public").mkdir()
    (gsite / "public/tags").symlink_to(gsite / "outside-tags", target_is_directory=True)
    # A folder Sahifa did not make is refused whole (nothing written through the link) ...
    refused = do_build(gsite, allowed)
    assert refused.rc == 2 and "not made by Sahifa" in refused.stderr
    assert list((gsite / "outside-tags").iterdir()) == []
    # ... and in one it made (the marker), the planted link is replaced, not followed.
    (gsite / "public/.sahifa-output").write_text("made by Sahifa\n", encoding="utf-8")
    built = do_build(gsite, allowed)
    check_common(built, [])
    assert list((gsite / "outside-tags").iterdir()) == []
    assert not (gsite / "public/tags").is_symlink()
    assert (gsite / "public/ar/index.html").is_file()


def test_g06_fifo_does_not_block(gsite, allowed):
    os.mkfifo(gsite / "content/ar/g06-fifo.md")
    build_generated(gsite, allowed, "content/ar/g06-fifo.md")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file anyway")
def test_g07_unreadable_file(gsite, allowed):
    path = gsite / "content/ar/g07-unreadable.md"
    path.write_text(SECRET, encoding="utf-8")
    path.chmod(0)
    try:
        built = build_generated(gsite, allowed, "content/ar/g07-unreadable.md")
        assert "ermission" in built.stderr
    finally:
        path.chmod(0o644)


def test_g08_non_utf8_file_name(gsite, allowed):
    name = os.fsencode(gsite / "content/ar") + b"/g08-\xff\xfe.md"
    fd = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, SECRET.replace("SECRET-OUTSIDE", "G08-BODY").encode())
    os.close(fd)
    built = do_build(gsite, allowed)
    assert "Traceback" not in built.stderr and "UnicodeEncodeError" not in built.stderr
    assert built.rc == 1
    assert any("g08-\\xff\\xfe.md" in line and "UTF-8" in line for line in built.lines), built.stderr


@pytest.mark.parametrize("where", ["content", "seeds", "root", "parent", "templates-child"])
def test_g09_output_folder_misconfigured(gsite, where):
    out = {
        "content": gsite / "content",
        "seeds": gsite / "seeds",
        "root": gsite,
        "parent": Path(".."),
        "templates-child": gsite / "templates" / "public",
    }[where]
    scope = gsite.parent
    before = snapshot(scope, None)
    proc = run_build(gsite, out=out, cwd=gsite)
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.decode()
    assert "Traceback" not in err and "refusing" in err
    assert snapshot(scope, None) == before, "a refused build changed files"


def test_g12_file_vanishes_between_listing_and_reading(corpus, tmp_path, monkeypatch):
    import generator.content

    site = make_site(tmp_path / "site", corpus, [])
    real = generator.content.read_markdown
    calls = []

    def flaky(path, *args, **kwargs):
        if path.name == "c02-good-ar.md" and not calls:
            calls.append(path)
            raise FileNotFoundError(2, "No such file or directory", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(generator.content, "read_markdown", flaky)
    report, out = build(site)
    assert calls
    assert any(p.startswith("content/ar/c02-good-ar.md:") for p in report.problems), report.problems
    assert report.articles == 2 and report.exit_code == 1


@pytest.mark.xfail(
    strict=True,
    reason=(
        "m04: after the unclosed mXSS vector <math><mtext><table><mglyph><style>, Python-Markdown "
        "keeps the rest of the file in one raw-HTML block and nh3 drops the text inside it, so the "
        "last paragraph (M04-VISIBLE) is lost from that article. Nothing executes; no other article "
        "is affected."
    ),
)
def test_known_loss_after_mxss_vector(full):
    assert full.pages_with("M04-VISIBLE")
