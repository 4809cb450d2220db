"""The test HTTP server itself (tests/feedserver.py), checked with the standard library's clients."""

from __future__ import annotations

import gzip
import http.client
import threading
import time
import urllib.request
import zlib

import pytest

from feedserver import FeedServer

FEED = "<?xml version='1.0'?><rss><channel><title>Ṣaḥīfa — أخبار</title></channel></rss>"


@pytest.fixture
def server():
    with FeedServer() as feed_server:
        yield feed_server


def fetch(server: FeedServer, path: str, headers: dict[str, str] | None = None, method: str = "GET"):
    """(status, response headers, body) from one request on a fresh connection."""
    conn = http.client.HTTPConnection(server.host, timeout=2)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def handler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "process_request_thread" in t.name]


def test_plain_body_and_content_type(server):
    server.route("/feed.xml", FEED)
    status, headers, body = fetch(server, "/feed.xml")
    assert status == 200
    assert headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert body == FEED.encode("utf-8")
    assert int(headers["Content-Length"]) == len(body)
    assert "Content-Encoding" not in headers
    assert server.url("/feed.xml") == f"http://{server.host}/feed.xml" == server.base + "/feed.xml"

    status, head_headers, head_body = fetch(server, "/feed.xml", method="HEAD")
    assert (status, head_body) == (200, b"")
    assert head_headers["Content-Length"] == headers["Content-Length"]

    with urllib.request.urlopen(server.url("/feed.xml"), timeout=2) as response:
        assert response.read().decode("utf-8") == FEED


def test_custom_content_type_and_headers(server):
    server.route("/a.html", "<p>hi</p>", content_type="text/html", headers={"X-Extra": "1"}, status=203)
    status, headers, body = fetch(server, "/a.html")
    assert (status, headers["Content-Type"], headers["X-Extra"], body) == (
        203,
        "text/html",
        "1",
        b"<p>hi</p>",
    )
    with pytest.raises(ValueError):
        server.route("/bad", headers={"Transfer-Encoding": "chunked"})


def test_unknown_path_is_404(server):
    status, headers, body = fetch(server, "/nowhere.xml")
    assert status == 404
    assert headers["Content-Type"].startswith("text/plain")
    assert int(headers["Content-Length"]) == len(body) > 0


def test_keep_alive_serves_several_requests_on_one_connection(server):
    server.route("/one", "1")
    server.route("/two", "22")
    conn = http.client.HTTPConnection(server.host, timeout=2)
    try:
        for path, expected in [("/one", b"1"), ("/two", b"22"), ("/one", b"1")]:
            conn.request("GET", path)
            response = conn.getresponse()
            assert response.read() == expected
    finally:
        conn.close()


def test_conditional_get_by_etag(server):
    server.route("/feed.xml", FEED, etag='"v1"', last_modified="Mon, 01 Jun 2026 10:00:00 GMT")
    status, headers, _ = fetch(server, "/feed.xml")
    assert (status, headers["ETag"]) == (200, '"v1"')

    for if_none_match in ['"v1"', '"v0", "v1"', "*", 'W/"v1"']:
        status, headers, body = fetch(server, "/feed.xml", {"If-None-Match": if_none_match})
        assert (status, body) == (304, b""), if_none_match
        assert headers["ETag"] == '"v1"'
        assert headers["Last-Modified"] == "Mon, 01 Jun 2026 10:00:00 GMT"

    status, _, body = fetch(server, "/feed.xml", {"If-None-Match": '"v0"'})
    assert (status, body) == (200, FEED.encode())
    # If-None-Match wins over an If-Modified-Since that would match.
    stale = {"If-None-Match": '"v0"', "If-Modified-Since": "Mon, 01 Jun 2026 10:00:00 GMT"}
    assert fetch(server, "/feed.xml", stale)[0] == 200


def test_conditional_get_by_last_modified(server):
    stamp = "Tue, 02 Jun 2026 08:30:00 GMT"
    server.route("/feed.xml", FEED, last_modified=stamp)
    status, headers, body = fetch(server, "/feed.xml", {"If-Modified-Since": stamp})
    assert (status, body, headers["Last-Modified"]) == (304, b"", stamp)
    assert "ETag" not in headers
    status, _, body = fetch(server, "/feed.xml", {"If-Modified-Since": "Mon, 01 Jun 2026 08:30:00 GMT"})
    assert (status, body) == (200, FEED.encode())


def test_gzip_only_when_accepted(server):
    server.route("/feed.xml", FEED * 20, gzip=True)
    status, headers, body = fetch(server, "/feed.xml")
    assert (status, headers.get("Content-Encoding"), body) == (200, None, (FEED * 20).encode())

    for accept in ["gzip", "gzip, deflate, br", "br;q=1.0, GZIP;q=0.5", "*"]:
        status, headers, body = fetch(server, "/feed.xml", {"Accept-Encoding": accept})
        assert headers["Content-Encoding"] == "gzip", accept
        assert int(headers["Content-Length"]) == len(body) < len((FEED * 20).encode())
        assert gzip.decompress(body) == (FEED * 20).encode()

    _, headers, body = fetch(server, "/feed.xml", {"Accept-Encoding": "gzip;q=0, identity"})
    assert (headers.get("Content-Encoding"), body) == (None, (FEED * 20).encode())


def test_deflate(server):
    server.route("/feed.xml", FEED, deflate=True)
    _, headers, body = fetch(server, "/feed.xml", {"Accept-Encoding": "gzip, deflate"})
    assert headers["Content-Encoding"] == "deflate"
    assert zlib.decompress(body) == FEED.encode()
    _, headers, body = fetch(server, "/feed.xml", {"Accept-Encoding": "gzip"})
    assert (headers.get("Content-Encoding"), body) == (None, FEED.encode())


def test_redirect_status_and_location(server):
    server.route("/old.xml", redirect="/feed.xml", status=301)
    server.route("/temp.xml", redirect=server.url("/feed.xml"), status=307)
    server.route("/default.xml", redirect="feed.xml")
    server.route("/feed.xml", FEED)

    status, headers, body = fetch(server, "/old.xml")
    assert (status, headers["Location"], body, headers["Content-Length"]) == (301, "/feed.xml", b"", "0")
    status, headers, _ = fetch(server, "/temp.xml")
    assert (status, headers["Location"]) == (307, server.url("/feed.xml"))
    assert fetch(server, "/default.xml")[0] == 302

    with urllib.request.urlopen(server.url("/old.xml"), timeout=2) as response:
        assert (response.url, response.read()) == (server.url("/feed.xml"), FEED.encode())
    assert [r.path for r in server.requests()][-2:] == ["/old.xml", "/feed.xml"]


def test_requests_are_recorded_with_lower_case_headers_and_query(server):
    server.route("/feed.xml", FEED)
    fetch(server, "/feed.xml?page=2&x=%C3%A9", {"User-Agent": "Sahifa/1.0", "X-Custom": "yes"})
    fetch(server, "/missing", method="HEAD")
    fetch(server, "/feed.xml")

    recorded = server.requests()
    assert [(r.method, r.path) for r in recorded] == [
        ("GET", "/feed.xml?page=2&x=%C3%A9"),
        ("HEAD", "/missing"),
        ("GET", "/feed.xml"),
    ]
    first = recorded[0].headers
    assert first["user-agent"] == "Sahifa/1.0"
    assert first["x-custom"] == "yes"
    assert first["host"] == server.host
    assert all(name == name.lower() for r in recorded for name in r.headers)

    assert [r.path for r in server.requests("/feed.xml")] == ["/feed.xml?page=2&x=%C3%A9", "/feed.xml"]
    assert [r.path for r in server.requests("/feed.xml?page=2&x=%C3%A9")] == ["/feed.xml?page=2&x=%C3%A9"]
    server.reset_requests()
    assert server.requests() == []


def test_replacing_a_route_changes_the_answer(server):
    server.route("/feed.xml", "<rss>one</rss>", etag='"1"')
    assert fetch(server, "/feed.xml")[2] == b"<rss>one</rss>"
    server.route("/feed.xml", "<rss>two</rss>", etag='"2"')
    status, headers, body = fetch(server, "/feed.xml", {"If-None-Match": '"1"'})
    assert (status, headers["ETag"], body) == (200, '"2"', b"<rss>two</rss>")
    server.route("/feed.xml", "gone", status=410, content_type="text/plain")
    assert fetch(server, "/feed.xml")[:1] == (410,)


def test_delay_waits_before_answering(server):
    server.route("/slow.xml", FEED, delay=0.15)
    start = time.monotonic()
    status, _, body = fetch(server, "/slow.xml")
    assert time.monotonic() - start >= 0.15
    assert (status, body) == (200, FEED.encode())


def test_drip_takes_time(server):
    server.route("/drip.xml", b"12345", drip=0.05)
    conn = http.client.HTTPConnection(server.host, timeout=2)
    try:
        start = time.monotonic()
        conn.request("GET", "/drip.xml")
        response = conn.getresponse()
        assert response.headers["Content-Length"] == "5"
        body = response.read()
        elapsed = time.monotonic() - start
    finally:
        conn.close()
    assert body == b"12345"
    assert elapsed >= 0.2


def test_close_cuts_a_dripping_body_quickly():
    server = FeedServer().start()
    server.route("/drip.xml", b"x" * 100, drip=0.5)
    conn = http.client.HTTPConnection(server.host, timeout=2)
    try:
        conn.request("GET", "/drip.xml")
        response = conn.getresponse()
        assert response.headers["Content-Length"] == "100"
        start = time.monotonic()
        server.close()
        assert time.monotonic() - start < 1.0
        with pytest.raises(http.client.IncompleteRead):
            response.read()
    finally:
        conn.close()
    assert handler_threads() == []


def test_hang_times_the_client_out_and_exit_is_quick():
    server = FeedServer()
    server.__enter__()
    try:
        server.route("/hang.xml", FEED, hang=True)
        conn = http.client.HTTPConnection(server.host, timeout=0.3)
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            conn.request("GET", "/hang.xml")
            conn.getresponse()
        assert 0.25 <= time.monotonic() - start < 1.0
        conn.close()
        assert [r.path for r in server.requests()] == ["/hang.xml"]
        assert len(handler_threads()) == 1
    finally:
        start = time.monotonic()
        server.__exit__(None, None, None)
        elapsed = time.monotonic() - start
    assert elapsed < 1.5
    assert handler_threads() == []


def test_exit_is_quick_with_an_idle_keep_alive_connection():
    server = FeedServer().start()
    server.route("/feed.xml", FEED)
    conn = http.client.HTTPConnection(server.host, timeout=2)
    conn.request("GET", "/feed.xml")
    assert conn.getresponse().read() == FEED.encode()
    start = time.monotonic()
    server.close()
    assert time.monotonic() - start < 1.0
    assert handler_threads() == []
    conn.close()


def test_gzip_bomb(server):
    size = 50 * 1024 * 1024
    server.route("/bomb.xml", gzip_bomb=size)
    status, headers, body = fetch(server, "/bomb.xml", {"Accept-Encoding": "identity"})
    assert (status, headers["Content-Encoding"]) == (200, "gzip")
    assert int(headers["Content-Length"]) == len(body) < 200_000

    inflater = zlib.decompressobj(wbits=47)
    first = inflater.decompress(body, 65536)
    assert first == bytes(65536)
    total = len(first)
    while chunk := inflater.decompress(inflater.unconsumed_tail, 4 << 20):
        total += len(chunk)
    total += len(inflater.flush())
    assert inflater.eof
    assert total == size
