"""``python build.py serve``: a real server in a subprocess, a real edit, a real reload."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time

import pytest

from conftest import REPO, copy_site
from newsite import fetch, free_port, serving, wait_for

pytestmark = pytest.mark.slow  # starts real preview servers


@pytest.fixture
def server(tmp_path):
    root = copy_site(tmp_path / "site")
    with serving(root, tmp_path / "serve.log", "--out", str(root / "public")) as (base, proc):
        yield root, base, proc


def test_serve_answers_with_page_and_livereload_script(server):
    _, base, _ = server
    status, body = fetch(base + "/en/")
    assert status == 200
    assert '<html lang="en" dir="ltr" ' in body
    assert "livereload.js" in body


def save_and_see(root, base, new_words: str) -> None:
    """Change the first words of an article, save, and wait until its page shows them."""
    article = root / "content/en/global-press-day.md"
    text = article.read_text(encoding="utf-8")
    article.write_text(text.replace("Newsrooms around the world", new_words), encoding="utf-8")
    path = "/en/articles/newsrooms-mark-world-press-freedom-day/"
    wait_for(lambda: new_words in fetch(base + path)[1], timeout=30)


def test_edit_shows_up_in_served_page(server):
    root, base, _ = server
    save_and_see(root, base, "Newsrooms on every continent")


def test_saved_articles_take_the_quick_path_and_a_burst_is_one_update(server):
    root, base, _ = server
    log = root.parent / "serve.log"
    seen = len(log.read_bytes())
    articles = sorted((root / "content/en").glob("*.md"))[:3]
    pages = []
    for article in articles:  # where each article is published: the page that has its title
        title = next(
            line[6:].strip()
            for line in article.read_text(encoding="utf-8").splitlines()
            if line.startswith("title:")
        )
        pages.append(
            next(
                p
                for p in (root / "public/en/articles").glob("*/index.html")
                if f">{title}</h1>" in p.read_text(encoding="utf-8")
            )
        )
    for n, article in enumerate(articles):  # three saves at once, as "save all" does
        article.write_text(
            article.read_text(encoding="utf-8") + f"\n\nBurst paragraph {n}.\n", encoding="utf-8"
        )
    for n, page in enumerate(pages):
        url = base + "/" + page.relative_to(root / "public").parent.as_posix() + "/"
        wait_for(lambda: f"Burst paragraph {n}." in fetch(url)[1], timeout=30)
    after = log.read_bytes()[seen:].decode("utf-8", "replace")
    # One batch: one quick update for the three files, and it came before any full build.
    assert after.count("updated ") == 1, after
    assert "rebuilt" not in after.split("updated ")[0], after


def test_feeds_and_search_catch_up_after_a_quick_update(server):
    root, base, _ = server
    save_and_see(root, base, "Newsrooms in every capital")
    # The feed and the search documents follow once the saves stop (a forked process).
    wait_for(lambda: "Newsrooms in every capital" in fetch(base + "/en/feed.xml")[1], timeout=30)
    log = root.parent / "serve.log"
    wait_for(lambda: b"search index refreshed" in log.read_bytes(), timeout=30)
    docs = "".join(p.read_text(encoding="utf-8") for p in (root / "public/en/search/index").glob("d-*.json"))
    assert "Newsrooms in every capital" in docs


def test_broken_template_keeps_serving_and_recovers(server):
    root, base, proc = server
    template = root / "templates/article.html"
    good = template.read_text(encoding="utf-8")
    template.write_text(good.replace("{% endblock %}", "{% endblock", 1), encoding="utf-8")
    wait_for(lambda: fetch(base + "/_sahifa_build_error.html")[0] == 200, timeout=30)
    assert fetch(base + "/en/")[0] == 200  # the last good site is still there
    template.write_text(good.replace('<h1 dir="auto">', '<h1 dir="auto" data-fixed="1">'), encoding="utf-8")
    wait_for(lambda: fetch(base + "/_sahifa_build_error.html")[0] == 404, timeout=30)
    status, body = fetch(base + "/en/articles/newsrooms-mark-world-press-freedom-day/")
    assert status == 200 and 'data-fixed="1"' in body
    assert proc.poll() is None


def test_server_refuses_paths_outside_output(server):
    root, base, _ = server
    (root / "secret.txt").write_text("do not serve", encoding="utf-8")
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/static/..%2f..%2fsecret.txt", "//etc/passwd"):
        status, body = fetch(base + path)
        assert "do not serve" not in body and "root:" not in body, path


# ---- the security of the preview server (badinput g11) ---------------------------------------


def terminal(root) -> str:
    return (root.parent / "serve.log").read_bytes().decode("utf-8", "replace")


def raw_get(base: str, path: str, host_header: str | None = None) -> tuple[int, bytes]:
    """GET with the path sent exactly as written (like ``curl --path-as-is``), and the
    ``Host`` header given (default: the server's own)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host_header or host}\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[-1]


def test_server_listens_on_loopback_only(server):
    _, base, proc = server
    port = int(base.rsplit(":", 1)[1])
    addresses = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table, encoding="ascii").read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hexport = local.split(":")
            if int(hexport, 16) == port and state == "0A":  # LISTEN
                addresses.append(address)
    if not addresses:
        pytest.skip("no /proc/net/tcp here")
    assert set(addresses) <= {"0100007F", "00000000000000000000000001000000"}, addresses


@pytest.mark.parametrize(
    "path",
    [
        "/../build.py",
        "/%2e%2e/build.py",
        "/..%2fbuild.py",
        "/%2E%2E%2Fbuild.py",
        "/static/../../build.py",
        "/static/..%2f..%2fbuild.py",
        "//evil.example",
        "//evil.example/%2e%2e",
        "/etc/passwd",
        "/%2Fetc%2Fpasswd",
        "http://evil.example/../build.py",
    ],
)
def test_traversal_urls_are_refused(server, path):
    root, base, _ = server
    (root / "build.py").write_text("SITE-ROOT-FILE", encoding="utf-8")
    status, body = raw_get(base, path)
    assert status in (400, 403, 404) or (status in (301, 302) and b"evil.example" not in body), (path, status)
    assert b"SITE-ROOT-FILE" not in body and b"root:x:0:0" not in body


def test_symlink_in_output_pointing_outside_is_not_served(server):
    root, base, _ = server
    (root / "secret.txt").write_text("SITE-SECRET", encoding="utf-8")
    (root / "public/leak.txt").symlink_to(root / "secret.txt")
    (root / "public/leakdir").symlink_to(root, target_is_directory=True)
    for path in ("/leak.txt", "/leakdir/secret.txt"):
        status, body = raw_get(base, path)
        assert status in (403, 404), (path, status)
        assert b"SITE-SECRET" not in body


def test_bad_input_while_serving_is_reported_and_fixed(server):
    root, base, proc = server
    bad = root / "content/ar/m22-yaml-syntax-error.md"
    bad.write_text("---\ntitle: [unclosed\ndate: 2022-01-14\n---\n\nSERVE-M22\n", encoding="utf-8")
    wait_for(lambda: "content/ar/m22-yaml-syntax-error.md" in terminal(root), timeout=30)
    assert proc.poll() is None
    assert fetch(base + "/en/")[0] == 200
    bad.write_text("---\ntitle: Fixed now\ndate: 2022-01-14\n---\n\nSERVE-M22\n", encoding="utf-8")
    wait_for(lambda: "SERVE-M22" in fetch(base + "/ar/articles/fixed-now/")[1], timeout=30)


def test_broken_template_error_shows_in_terminal_and_page(server):
    root, base, proc = server
    template = root / "templates/base.html"
    good = template.read_text(encoding="utf-8")
    template.write_text(good.replace("{% endblock %}", "{% endblock", 1), encoding="utf-8")
    wait_for(lambda: "the last rebuild failed" in fetch(base + "/en/")[1], timeout=30)
    status, body = fetch(base + "/en/")
    assert status == 200 and "TemplateSyntaxError" in body and '<html lang="en"' in body
    assert "build failed" in terminal(root) and "TemplateSyntaxError" in terminal(root)
    template.write_text(good, encoding="utf-8")
    wait_for(lambda: "the last rebuild failed" not in fetch(base + "/en/")[1], timeout=30)
    assert proc.poll() is None


def serve_once(root, out) -> subprocess.CompletedProcess:
    """``serve`` on a free port into ``out``, expected to refuse and end at once."""
    return subprocess.run(
        [
            sys.executable,
            str(REPO / "build.py"),
            "--root",
            str(root),
            "--out",
            str(out),
            "serve",
            "--port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_refuses_output_folder_equal_to_content(tmp_path):
    root = copy_site(tmp_path / "site")
    before = sorted(p.name for p in (root / "content").rglob("*"))
    proc = serve_once(root, root / "content")
    assert proc.returncode == 2 and "refusing" in proc.stderr
    assert sorted(p.name for p in (root / "content").rglob("*")) == before


def test_missing_path_gets_the_sites_own_404_page(server):
    _, base, _ = server
    status, body = fetch(base + "/fa/articles/no-such-story/")
    assert status == 404
    assert '<html lang="fa" dir="rtl" ' in body and "livereload.js" in body
    status, body = fetch(base + "/no-such-page/")
    assert status == 404 and '<html lang="ar" dir="rtl" ' in body  # the root's: the default language


@pytest.mark.browser
def test_open_tab_follows_a_page_whose_url_changed(server):
    """An explicit slug change moves a page; the tab open on it reloads, lands on the redirect
    left at the old address and follows it to the new one."""
    from newsite import BrowserThread

    root, base, _ = server
    old = base + "/en/articles/newsrooms-mark-world-press-freedom-day/"
    article = root / "content/en/global-press-day.md"
    browser = BrowserThread()
    try:

        def open_old(b):
            page = b.new_page()
            page.goto(old)
            page.wait_for_function("() => document.querySelector('script[src*=\"livereload\"]') !== null")
            page.wait_for_timeout(500)  # the live-reload socket connects
            return page

        page = browser.run(open_old)
        text = article.read_text(encoding="utf-8")
        article.write_text(text.replace("title:", "slug: press-day-moved\ntitle:", 1), encoding="utf-8")
        url = browser.run(
            lambda b: (page.wait_for_url("**/en/articles/press-day-moved/", timeout=30_000), page.url)[1]
        )
        assert url.endswith("/en/articles/press-day-moved/")
        assert browser.run(lambda b: page.locator("h1").inner_text()).startswith("Newsrooms mark")
    finally:
        browser.close()


def test_preview_answers_only_its_own_host(server):
    """DNS rebinding: a page on evil.example that resolves its name to 127.0.0.1 sends
    ``Host: evil.example``; the preview (unpublished edits) must not answer it."""
    _, base, _ = server
    port = base.rsplit(":", 1)[1]
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.evil.example", "attacker"):
        status, body = raw_get(base, "/en/", host)
        assert status == 403, (host, status)
        assert b"<article" not in body
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost"):
        assert raw_get(base, "/en/", host)[0] == 200, host


def test_nul_in_url_is_a_client_error_without_traceback(server):
    root, base, _ = server
    for path in ("/en/%00", "/%00/index.html", "/en/index.html%00.txt"):
        status, body = raw_get(base, path)
        assert status in (400, 404), (path, status)
        assert b"Traceback" not in body
    assert "Traceback" not in terminal(root)


def test_yaml_typo_in_previewed_article_shows_the_error_and_the_tab_comes_back(server):
    """The article being previewed gets a YAML typo: its address shows the site's 404 page with
    the problem (file and reason) and the live-reload script; fixed, the page is back."""
    root, base, _ = server
    article = root / "content/en/typo-watch.md"
    article.write_text("---\ntitle: Typo watch\ndate: 2022-01-14\n---\n\nTYPO-WATCH-BODY\n", encoding="utf-8")
    url = base + "/en/articles/typo-watch/"
    wait_for(lambda: "TYPO-WATCH-BODY" in fetch(url)[1], timeout=30)
    article.write_text(
        "---\ntitle: [Typo watch\ndate: 2022-01-14\n---\n\nTYPO-WATCH-BODY\n", encoding="utf-8"
    )
    wait_for(lambda: "content/en/typo-watch.md" in fetch(url)[1], timeout=30)
    status, body = fetch(url)
    assert status == 404 and "invalid YAML" in body
    assert "livereload.js" in body  # the open tab reloads after the next build
    article.write_text(
        "---\ntitle: Typo watch\ndate: 2022-01-14\n---\n\nTYPO-WATCH-FIXED\n", encoding="utf-8"
    )
    wait_for(lambda: "TYPO-WATCH-FIXED" in fetch(url)[1], timeout=30)
    wait_for(lambda: "the last build skipped" not in fetch(base + "/en/no-such-page/")[1], timeout=30)


def test_terminal_escapes_in_file_names_are_not_sent_to_the_terminal(server):
    root, base, _ = server
    evil = root / "content/en" / "x\x1b]0;pwned\x07\x1b[2J.md"
    evil.write_text("---\ntitle: [broken\n---\nbody\n", encoding="utf-8")
    wait_for(lambda: "pwned" in terminal(root), timeout=30)
    log = (root.parent / "serve.log").read_bytes()
    assert b"\x1b]0;" not in log and b"\x1b[2J" not in log and b"\x07" not in log


def test_serve_refuses_an_unrelated_output_folder(tmp_path):
    root = copy_site(tmp_path / "site")
    www = tmp_path / "www"
    www.mkdir()
    (www / "index.html").write_text("SOMEONE ELSE'S SITE", encoding="utf-8")
    proc = serve_once(root, www)
    assert proc.returncode == 2 and "not made by Sahifa" in proc.stderr, proc.stderr
    assert (www / "index.html").read_text(encoding="utf-8") == "SOMEONE ELSE'S SITE"
    assert sorted(p.name for p in www.iterdir()) == ["index.html"]


def test_livereload_socket_refuses_foreign_origins(server):
    """The WebSocket a page opens to be told to reload: only this preview's own pages may."""
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    root, base, _ = server
    url = base.replace("http://", "ws://") + "/livereload"

    async def attempt(origin: str, host: str | None = None) -> str:
        headers = {"Origin": origin}
        if host:
            headers["Host"] = host
        try:
            conn = await websocket_connect(HTTPRequest(url, headers=headers, connect_timeout=5))
        except HTTPClientError as exc:
            return str(exc.code)
        await conn.write_message('{"command":"info","url":"\\u001b]0;PWNED\\u0007"}')
        conn.close()
        return "open"

    import asyncio

    import threading

    def run(make):
        """In a thread with a loop of its own: a loop other tests left running is not touched."""
        result: dict = {}

        def target():
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                result["value"] = loop.run_until_complete(make())
            finally:
                loop.close()

        thread = threading.Thread(target=target)
        thread.start()
        thread.join(60)
        return result.get("value")

    assert run(lambda: attempt("http://evil.example")) == "403"
    assert run(lambda: attempt(base, "evil.example")) == "403"
    assert run(lambda: attempt(base)) == "open"
    time.sleep(0.5)
    assert "\x1b]0;PWNED" not in terminal(root)


def test_full_rebuilds_under_serve_run_through_the_worker_pool(tmp_path):
    """A site big enough for the worker pool: the preview's builds fork their workers from the
    build process (one thread), never from the server, and a new story goes through it."""
    import generator.parallel as parallel

    if parallel.worker_count(parallel.MIN_PARALLEL_ITEMS) < 2:
        pytest.skip("one CPU: the build never uses a pool here")
    root = tmp_path / "site"
    subprocess.run(
        [sys.executable, str(REPO / "benchmarks/corpus.py"), "--articles", "350", "--out", str(root)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    copy_site(root, content=False, seeds=False)
    log = tmp_path / "serve.log"
    with serving(root, log) as (base, proc):
        wait_for(lambda: b"rebuilt" in log.read_bytes())
        first = log.read_bytes().decode("utf-8", "replace")
        assert re.search(
            r"rebuilt in [\d.]+s: built 35\d articles, \d+ files \(\d+ written\) in [2-8] processes", first
        ), first
        story = root / "content/en/pool-story.md"
        story.write_text(
            "---\ntitle: Through the pool\ndate: 2024-05-01T10:00:00+00:00\n---\n\nA new story.\n",
            encoding="utf-8",
        )
        wait_for(lambda: log.read_bytes().count(b"rebuilt in") >= 2, timeout=60)
        assert "Through the pool" in fetch(base + "/en/")[1]
        second = log.read_bytes().decode("utf-8", "replace").split("rebuilt in")[2]
        assert re.match(r" [\d.]+s: built 351 articles, .* in [2-8] processes", second), second
        assert proc.poll() is None


def test_a_page_replaced_while_it_is_served_comes_whole(server):
    """Each answer is one file, whole: its length, its bytes (a rebuild replaces pages under
    the preview all the time; tornado asked the path for the length, then again for the
    bytes, and a page replaced in between came cut short or with the wrong length)."""
    import http.client
    import os
    import threading

    root, base, _ = server
    page = root / "public" / "race.html"
    versions = [
        b"<!DOCTYPE html><title>a</title>" + b"a" * 3000,
        b"<!DOCTYPE html><title>b</title>" + b"b" * 90,
    ]
    page.write_bytes(versions[0])
    stop = threading.Event()

    def replace() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            tmp = page.with_name(f".race-{n}")
            tmp.write_bytes(versions[n % 2])
            os.replace(tmp, page)

    writer = threading.Thread(target=replace, daemon=True)
    writer.start()
    host, port = base.removeprefix("http://").split(":")
    seen = set()
    try:
        for _ in range(400):
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            try:
                connection.request("GET", "/race.html")
                answer = connection.getresponse()
                body = answer.read()  # IncompleteRead when fewer bytes come than announced
                assert answer.status == 200
                assert int(answer.headers["Content-Length"]) == len(body)
                assert body in versions, body[:80]
                seen.add(body)
            finally:
                connection.close()
    finally:
        stop.set()
        writer.join()
    assert len(seen) == 2  # both versions were served: the file did change under the server
