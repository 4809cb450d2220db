"""``python build.py feeds import LIST.opml`` / ``feeds export``: subscriptions exchanged as
OPML; ``site.toml`` keeps its comments and stays valid; a bad list changes nothing."""

from __future__ import annotations

from pathlib import Path

import build as cli
from generator.config import load_config
from generator.opml import read_opml

SITE = """# The newsroom's site. This comment must survive an import.
base_url = "https://example.org/"

[languages.ar]
locale = "ar"   # Arabic first

[languages.en]
locale = "en"

[[feeds]]
url = "https://wire.example.net/ar/rss"
name = "وكالة المثال"
lang = "ar"
"""

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>قائمة الوكالات</title></head>
  <body>
    <outline text="وكالات">
      <outline type="rss" text="وكالة المثال" xmlUrl="https://WIRE.example.net/ar/rss"/>
      <outline type="rss" text="صحيفة الخليج &quot;اليوم&quot;" xmlUrl="https://gulf.example.com/feed.xml" language="ar-SA"/>
    </outline>
    <outline type="rss" title="Zeitung" xmlUrl="https://zeitung.example.de/rss" language="de"/>
  </body>
</opml>
"""


def make(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "content/ar").mkdir(parents=True)
    (root / "site.toml").write_text(SITE, encoding="utf-8")
    return root


def test_import_adds_new_feeds_and_keeps_the_file_as_it_was(tmp_path, capsys):
    root = make(tmp_path)
    listing = tmp_path / "list.opml"
    listing.write_text(OPML, encoding="utf-8")
    assert cli.main(["--root", str(root), "feeds", "import", str(listing)]) == 0
    out, err = capsys.readouterr()
    assert "2 feed(s) added" in out and "1 already subscribed" in out
    assert "'de' is not one of the site's" in err
    text = (root / "site.toml").read_text(encoding="utf-8")
    assert text.startswith(SITE)  # comments, order and layout untouched: only appended
    feeds = load_config(root).feeds
    assert [(f.url, f.name, f.lang) for f in feeds] == [
        ("https://wire.example.net/ar/rss", "وكالة المثال", "ar"),
        ("https://gulf.example.com/feed.xml", 'صحيفة الخليج "اليوم"', "ar"),
        ("https://zeitung.example.de/rss", "Zeitung", None),
    ]
    # Again: nothing new, the file unchanged.
    assert cli.main(["--root", str(root), "feeds", "import", str(listing)]) == 0
    assert (root / "site.toml").read_text(encoding="utf-8") == text


def test_export_writes_the_subscriptions_as_opml(tmp_path):
    root = make(tmp_path)
    listing = tmp_path / "list.opml"
    listing.write_text(OPML, encoding="utf-8")
    cli.main(["--root", str(root), "feeds", "import", str(listing)])
    exported = tmp_path / "out.opml"
    assert cli.main(["--root", str(root), "feeds", "export", str(exported)]) == 0
    subscriptions, warnings = read_opml(exported.read_bytes(), str(exported))
    assert not warnings
    feeds = load_config(root).feeds
    assert [(s.url, s.name, s.lang) for s in subscriptions] == [(f.url, f.name, f.lang) for f in feeds]


def test_a_bad_list_is_an_error_and_changes_nothing(tmp_path, capsys):
    root = make(tmp_path)
    for name, data in (
        ("broken.opml", "<opml><body><outline xmlUrl='https://a.example/rss'></body>"),
        ("page.opml", "<html><body>not a list</body></html>"),
    ):
        listing = tmp_path / name
        listing.write_text(data, encoding="utf-8")
        assert cli.main(["--root", str(root), "feeds", "import", str(listing)]) == 1
        assert name in capsys.readouterr().err
        assert (root / "site.toml").read_text(encoding="utf-8") == SITE
    assert cli.main(["--root", str(root), "feeds", "import", str(tmp_path / "missing.opml")]) == 1
