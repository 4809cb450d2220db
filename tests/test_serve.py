"""``python build.py serve``: a real server in a subprocess, a real edit, a real reload."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from conftest import REPO, copy_site


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def wait_for(predicate, timeout: float = 30.0, step: float = 0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(step)
    raise AssertionError(f"timed out; last result: {last!r}")


@pytest.fixture
def server(tmp_path):
    root = copy_site(tmp_path / "site")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "--root", str(root), "--out", str(root / "public"),
         "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: fetch(base + "/en/")[0] == 200)
        yield root, base, proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_serve_answers_with_page_and_livereload_script(server):
    _, base, _ = server
    status, body = fetch(base + "/en/")
    assert status == 200
    assert '<html lang="en" dir="ltr">' in body
    assert "livereload.js" in body


def test_edit_shows_up_in_served_page(server):
    root, base, _ = server
    article = root / "content/en/global-press-day.md"
    text = article.read_text(encoding="utf-8")
    article.write_text(text.replace("Newsrooms around the world", "Newsrooms on every continent"), encoding="utf-8")
    path = "/en/articles/newsrooms-mark-world-press-freedom-day/"
    wait_for(lambda: "Newsrooms on every continent" in fetch(base + path)[1], timeout=30)


def test_broken_template_keeps_serving_and_recovers(server):
    root, base, proc = server
    template = root / "templates/article.html"
    good = template.read_text(encoding="utf-8")
    template.write_text(good.replace("{% endblock %}", "{% endblock", 1), encoding="utf-8")
    wait_for(lambda: fetch(base + "/_sahifa_build_error.html")[0] == 200, timeout=30)
    assert fetch(base + "/en/")[0] == 200  # the last good site is still there
    template.write_text(good.replace("<h1 dir=\"auto\">", "<h1 dir=\"auto\" data-fixed=\"1\">"), encoding="utf-8")
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
