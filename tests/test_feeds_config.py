"""``[[feeds]]`` subscriptions in ``site.toml``: read, checked, and errors that name the table."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from generator.config import feed_key, parse_config
from generator.errors import SahifaError

BASE = 'base_url = "https://example.org/"\n[languages.ar]\nlocale = "ar"\n[languages.en]\nlocale = "en"\n'


def config(text: str):
    return parse_config(tomllib.loads(BASE + text), Path("/site"))


def test_subscriptions_are_read_in_order_with_their_defaults():
    site = config(
        '[[feeds]]\nurl = "https://wire.example.net/ar/rss.xml"\nname = "وكالة المثال"\nlang = "ar"\n'
        'section = "سياسة"\nfull_text = true\ncategories = { "أخبار دولية" = "world" }\n'
        '[[feeds]]\nurl = "http://news.example.com/feed?format=atom"\n'
    )
    first, second = site.feeds
    assert (first.name, first.lang, first.section, first.full_text) == ("وكالة المثال", "ar", "سياسة", True)
    assert dict(first.categories) == {"أخبار دولية": "world"}
    assert (second.name, second.lang, second.full_text, second.max_items, second.min_interval) == (
        "news.example.com",
        None,
        False,
        50,
        900.0,
    )
    assert config("").feeds == ()


@pytest.mark.parametrize(
    "table, reason",
    [
        ('url = "ftp://example.net/feed"', "url: found 'ftp://example.net/feed'"),
        ('url = "javascript:alert(1)"', "expected an absolute http(s) URL"),
        ('url = "https:///no-host"', "expected an absolute http(s) URL"),
        ('url = "https://a.example:port/rss"', "expected an absolute http(s) URL"),
        ('name = "no address"', "url: missing"),
        ('url = "https://a.example/f"\nlang = "fr"', 'lang: found "fr"'),
        ('url = "https://a.example/f"\nmax_items = 0', "max_items"),
        ('url = "https://a.example/f"\ncolour = "red"', "unknown setting(s) colour"),
        ('url = "https://a.example/f"\ncategories = { a = 1 }', "categories"),
    ],
)
def test_a_bad_subscription_is_an_error_naming_the_table_and_key(table, reason):
    with pytest.raises(SahifaError) as error:
        config(f'[[feeds]]\nurl = "https://ok.example/rss"\n[[feeds]]\n{table}\n')
    assert "[[feeds]] #2" in str(error.value) and reason in str(error.value)


def test_one_feed_is_subscribed_once():
    with pytest.raises(SahifaError, match="already feed #1"):
        config('[[feeds]]\nurl = "https://A.example/rss#top"\n[[feeds]]\nurl = "https://a.example:443/rss"\n')
    assert feed_key("HTTP://Example.org:80") == feed_key("http://example.org/")
    assert feed_key("https://example.org/a?x=1") != feed_key("https://example.org/a?x=2")
    assert feed_key(" https://a.example:port/rss ") == "https://a.example:port/rss"  # no crash
