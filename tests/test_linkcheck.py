"""Crawl the built site through a real HTTP server and follow every internal link.

The site is built for ``http://127.0.0.1:PORT/news/`` and served with the output folder
mounted at ``/news/`` (anything outside it is a 404), then again at the root. Every ``href``
and ``src`` of ``a``, ``link``, ``script`` and ``img`` on every reachable page is fetched, and
every ``#fragment`` must name an element id on its target page.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections import deque
from urllib.parse import quote, unquote, urldefrag, urljoin, urlsplit

import lxml.html
import pytest

from newsite import build_demo, reserve_server, start

SAFE = "/%:@-._~!$&'()*+,;=?"


def _fetch(url: str) -> tuple[int, str, bytes]:
    parts = urlsplit(url)
    target = parts._replace(path=quote(parts.path, safe=SAFE)).geturl()
    try:
        with urllib.request.urlopen(target, timeout=10) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, "", b""


def crawl(start_urls: list[str], site_root: str):
    """Breadth-first crawl of every page under ``site_root``: (pages, links, URLs, broken)."""
    queue = deque(start_urls)
    seen: set[str] = set(start_urls)
    ids: dict[str, set[str]] = {}
    fragments: list[tuple[str, str, str]] = []
    broken: list[tuple[str, str, int]] = []
    pages = links = 0
    referrer = {u: "(start)" for u in start_urls}
    origin = "{0.scheme}://{0.netloc}/".format(urlsplit(site_root))
    while queue:
        url = queue.popleft()
        status, ctype, body = _fetch(url)
        if status != 200:
            broken.append((referrer[url], url, status))
            continue
        if ctype != "text/html":
            continue
        pages += 1
        doc = lxml.html.fromstring(body)
        ids[url] = set(doc.xpath("//@id")) | set(doc.xpath("//a/@name"))
        for el in doc.xpath("//a[@href] | //link[@href] | //script[@src] | //img[@src]"):
            raw = el.get("href") if el.tag in ("a", "link") else el.get("src")
            absolute, fragment = urldefrag(urljoin(url, raw))
            if not absolute.startswith(site_root):
                # Same server, outside the sub-path: a link that forgot the base path.
                assert not absolute.startswith(origin), f"{url} links outside the site: {raw}"
                continue
            links += 1
            absolute = unquote(absolute)
            if fragment:
                fragments.append((url, absolute, unquote(fragment)))
            if absolute not in seen:
                seen.add(absolute)
                referrer[absolute] = url
                queue.append(absolute)
    for page, target, fragment in fragments:
        if target in ids and fragment not in ids[target]:
            broken.append((page, f"{target}#{fragment}", 0))
    return pages, links, len(seen), broken


@pytest.mark.parametrize("prefix", ["/news/", "/"])
def test_no_broken_links(tmp_path, prefix):
    server, port, _ = reserve_server(prefix)
    try:
        base = f"http://127.0.0.1:{port}{prefix}"
        report, out = build_demo(tmp_path / "site", base_url=base)
        start(server, out, prefix)
        langs = [p.name for p in out.iterdir() if (p / "404.html").exists()]
        starts = [base, f"{base}404.html"] + [f"{base}{lang}/404.html" for lang in sorted(langs)]
        pages, links, urls, broken = crawl(starts, base)
        print(
            f"\nlink check under {prefix}: {pages} pages, {links} internal links "
            f"({urls} distinct URLs), {len(broken)} broken"
        )
        assert not broken, "\n".join(f"{src} -> {dst} ({code})" for src, dst, code in broken[:20])
        html_files = [p for p in out.rglob("*.html")]
        assert pages == len(html_files), "every HTML page is reachable from the root"
        if prefix != "/":
            assert _fetch(f"http://127.0.0.1:{port}/ar/")[0] == 404  # the server really mounts /news/
    finally:
        server.shutdown()
        server.server_close()
