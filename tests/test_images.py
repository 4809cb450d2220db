"""Images: lead photos and photos in the text become responsive renditions (WebP and the
original's format) with ``srcset``, ``sizes``, ``width`` and ``height``; they are processed
once per content (a cache keyed by hash); EXIF (above all GPS) never reaches the output and
the orientation it recorded is applied; a broken image or a decompression bomb is a warning
naming the file, never a failed build; a local image without alt text is a warning; remote
URLs are used as they are."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import pytest
from lxml import html as lxml_html

import generator.images as images
from conftest import TODAY, scratch_site

PIL = pytest.importorskip("PIL", reason="Pillow is not installed (pip install -r requirements.txt)")
from PIL import Image as PILImage  # noqa: E402

AR = 'locale = "ar"\ntitle = "صحيفة"\ncalendars = ["gregorian"]\n'
BASE = "https://example.org/news/"


def jpeg_with_gps(width: int, height: int, orientation: int = 1) -> bytes:
    """A JPEG carrying what a phone writes: camera, GPS position, orientation."""
    image = PILImage.new("RGB", (width, height), (200, 40, 40))
    for x in range(0, width, 50):  # some structure, so a rotation can be seen
        image.paste((20, 20, 160), (x, 0, min(width, x + 10), height // 4))
    exif = PILImage.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "PhoneModel 12"  # Model
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (33.0, 53.0, 42.0), 3: "E", 4: (35.0, 29.0, 51.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb's
    shape: the decoder would allocate for the header's size)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def story(slug: str, front: str, body: str = "نص الخبر.") -> dict[str, str]:
    return {
        f"content/ar/{slug}.md": (f"---\ntitle: خبر {slug}\ndate: 2025-06-01 10:00\n{front}---\n\n{body}\n")
    }


def make_site(root: Path, files: dict[str, str], blobs: dict[str, bytes]) -> Path:
    scratch_site(root, {"ar": AR}, files)
    text = (root / "site.toml").read_text(encoding="utf-8")
    (root / "site.toml").write_text(text.replace("https://example.org/", BASE), encoding="utf-8")
    for rel, data in blobs.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def build(root: Path, out: Path, cache: Path | None = None):
    from generator.config import load_config
    from generator.pipeline import build_site

    return build_site(load_config(root), out, today=TODAY, cache_dir=cache)


def article_page(report, out: Path, slug: str):
    [article] = [a for a in report.site.articles["ar"] if a.record.path.endswith(f"{slug}.md")]
    return lxml_html.fromstring((out / article.path).read_bytes()), article


LEAD = (
    "image:\n  src: photo.jpg\n  alt: متظاهرون في ساحة\n  caption: الساحة صباح الأحد\n  credit: تصوير رنا\n"
)


@pytest.fixture
def photo_site(tmp_path):
    # 3000 x 2000 as stored, "rotate 90° clockwise to display" (orientation 6): upright it is
    # 2000 x 3000.
    blobs = {"content/ar/photo.jpg": jpeg_with_gps(3000, 2000, orientation=6)}
    return make_site(tmp_path / "site", story("lead", LEAD), blobs)


def test_a_lead_photo_becomes_responsive_renditions_in_a_figure(photo_site, tmp_path):
    out = tmp_path / "out"
    report = build(photo_site, out)
    assert not [n for n in report.notices if "image" in n], report.notices
    doc, article = article_page(report, out, "lead")
    [figure] = doc.xpath("//article//figure")
    [source] = figure.xpath(".//picture/source")
    [img] = figure.xpath(".//picture//img")
    assert source.get("type") == "image/webp"
    webp = [item.split() for item in source.get("srcset").split(", ")]
    jpeg = [item.split() for item in img.get("srcset").split(", ")]
    assert [w for _, w in webp] == [w for _, w in jpeg] == ["480w", "800w", "1200w"]
    assert all(url.startswith("/news/images/") and url.endswith(".webp") for url, _ in webp)
    assert all(url.endswith(".jpg") for url, _ in jpeg)
    assert source.get("sizes") == img.get("sizes") and img.get("sizes")
    # Upright (orientation applied) and its box known before it loads.
    assert (img.get("width"), img.get("height")) == ("1200", "1800")
    assert img.get("alt") == "متظاهرون في ساحة"
    assert img.get("fetchpriority") == "high" and img.get("loading") is None  # the lead: eager
    caption = figure.xpath("string(.//figcaption)")
    assert "الساحة صباح الأحد" in caption and "تصوير رنا" in caption
    for url, w in webp + jpeg:
        with PILImage.open(out / url.removeprefix("/news/")) as made:
            assert made.size[0] == int(w[:-1])
            assert made.size[1] == round(int(w[:-1]) * 3 / 2)  # portrait: upright


def test_no_exif_and_no_location_reach_the_output(photo_site, tmp_path):
    original = (photo_site / "content/ar/photo.jpg").read_bytes()
    with PILImage.open(io.BytesIO(original)) as source:  # the checks below can see a leak
        assert source.getexif().get_ifd(0x8825)[2] == (33.0, 53.0, 42.0)
    assert b"Exif\0\0" in original and b"PhoneMaker" in original
    out = tmp_path / "out"
    build(photo_site, out)
    files = sorted((out / "images").rglob("*.*"))
    assert files
    for path in files:
        data = path.read_bytes()
        with PILImage.open(path) as made:
            assert not made.getexif(), path
            assert "exif" not in made.info and "xmp" not in made.info, path
        for marker in (b"Exif\0\0", b"PhoneMaker", b"PhoneModel"):
            assert marker not in data, (path, marker)


def test_social_previews_and_json_ld_use_the_1200_pixel_rendition(photo_site, tmp_path):
    out = tmp_path / "out"
    report = build(photo_site, out)
    doc, _ = article_page(report, out, "lead")
    [og] = doc.xpath("//meta[@property='og:image']/@content")
    assert og.startswith(BASE + "images/") and og.endswith("-1200.jpg")
    assert doc.xpath("//meta[@name='twitter:image']/@content") == [og]
    assert doc.xpath("//meta[@name='twitter:card']/@content") == ["summary_large_image"]
    [ld] = [
        json.loads(s)
        for s in doc.xpath("//script[@type='application/ld+json']/text()")
        if '"NewsArticle"' in s
    ]
    assert ld["image"] == [og]


def test_images_are_processed_once_and_reused_from_the_cache(photo_site, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = tmp_path / "first"
    build(photo_site, first, cache)
    made = sorted(p.relative_to(first).as_posix() for p in (first / "images").rglob("*.*"))
    assert len(made) == 6  # 3 widths x (WebP + JPEG)

    def must_not_run(*args, **kwargs):
        raise AssertionError("an unchanged image was processed again")

    monkeypatch.setattr(images, "process", must_not_run)
    # A new story, so the build is not a no-op, and a clean output folder: the files come from
    # the cache, byte for byte.
    (photo_site / "content/ar/other.md").write_text(
        "---\ntitle: خبر آخر\ndate: 2025-06-02\n---\n\nنص.\n", encoding="utf-8"
    )
    second = tmp_path / "second"
    report = build(photo_site, second, cache)
    assert not report.problems
    again = sorted(p.relative_to(second).as_posix() for p in (second / "images").rglob("*.*"))
    assert again == made
    assert all((first / rel).read_bytes() == (second / rel).read_bytes() for rel in made)


def test_the_same_photo_for_two_stories_is_processed_once(tmp_path, monkeypatch):
    blobs = {"content/images/shared.png": _png(900, 600)}
    files = {
        **story("one", "image: {src: shared.png, alt: خريطة}\n"),
        **story("two", "image: {src: shared.png, alt: خريطة}\n"),
    }
    root = make_site(tmp_path / "site", files, blobs)
    calls = []
    real = images.process
    monkeypatch.setattr(images, "process", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    out = tmp_path / "out"
    report = build(root, out)
    assert calls == ["shared.png"]
    for slug in ("one", "two"):
        doc, _ = article_page(report, out, slug)
        [img] = doc.xpath("//figure//img")
        # A PNG stays a PNG (no JPEG artefacts on a drawing); not enlarged past its 900 px.
        assert [item.split()[1] for item in img.get("srcset").split(", ")] == ["480w", "800w", "900w"]
        assert img.get("src").endswith(".png")


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (width, height), (10, 120, 60)).save(out, "PNG")
    return out.getvalue()


def test_images_in_the_text_become_lazy_pictures_under_the_base_path(tmp_path):
    body = (
        "قبل الصورة.\n\n![رسم بياني للأسعار](chart.png)\n\n"
        "![صورة من وكالة](https://cdn.example.net/wire/photo.jpg)\n\nبعد الصورة."
    )
    root = make_site(tmp_path / "site", story("inline", "", body), {"content/ar/chart.png": _png(1000, 500)})
    out = tmp_path / "out"
    report = build(root, out)
    doc, _ = article_page(report, out, "inline")
    body_el = doc.xpath("//*[contains(@class, 'body')]")[0]
    [picture] = body_el.xpath(".//picture")
    [img] = picture.xpath(".//img")
    assert img.get("loading") == "lazy" and img.get("alt") == "رسم بياني للأسعار"
    assert (img.get("width"), img.get("height")) == ("1000", "500")
    assert all(item.split()[0].startswith("/news/images/") for item in img.get("srcset").split(", "))
    assert (out / img.get("src").removeprefix("/news/")).is_file()
    # A remote image is shown from where it is: no download at build time.
    remote = body_el.xpath(".//img[starts-with(@src, 'https://')]")
    assert [i.get("src") for i in remote] == ["https://cdn.example.net/wire/photo.jpg"]


def test_a_remote_lead_image_is_used_as_it_is(tmp_path):
    front = "image:\n  src: https://cdn.example.net/a/b.jpg?w=1200\n  alt: مؤتمر صحفي\n"
    root = make_site(tmp_path / "site", story("remote", front), {})
    out = tmp_path / "out"
    report = build(root, out)
    doc, _ = article_page(report, out, "remote")
    assert doc.xpath("//figure//img/@src") == ["https://cdn.example.net/a/b.jpg?w=1200"]
    assert doc.xpath("//meta[@property='og:image']/@content") == ["https://cdn.example.net/a/b.jpg?w=1200"]
    assert not (out / "images").exists()


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("bomb.png", png_claiming(100_000, 100_000), "megapixel"),
        ("broken.jpg", jpeg_with_gps(400, 300)[:300], "cannot be decoded"),
        ("notes.jpg", b"this is not an image at all", "not an image"),
    ],
)
def test_a_bad_image_is_a_warning_and_the_story_builds_without_it(tmp_path, name, data, reason):
    files = {
        **story("bad", f"image: {{src: {name}, alt: صورة}}\n", f"نص.\n\n![صورة]({name})"),
        **story("fine", ""),
    }
    root = make_site(tmp_path / "site", files, {f"content/ar/{name}": data})
    out = tmp_path / "out"
    report = build(root, out)
    assert not report.problems
    found = [n for n in report.notices if name in n]
    assert found and all("content/ar/bad.md" in n for n in found), report.notices
    assert any(reason in n for n in found), found
    assert {f.split(": ")[1] for f in found} == {"image", "body"}  # the field is named
    doc, _ = article_page(report, out, "bad")
    assert not doc.xpath("//article//figure") and not doc.xpath("//article//img")
    assert len(report.site.articles["ar"]) == 2


def test_a_local_image_without_alt_text_is_a_warning_naming_the_file(tmp_path):
    files = {
        **story("noalt", "image: photo.png\n"),
        **story("noalt-body", "", "نص.\n\n![](photo.png)"),
    }
    root = make_site(tmp_path / "site", files, {"content/ar/photo.png": _png(600, 400)})
    report = build(root, tmp_path / "out")
    lead = [n for n in report.notices if "noalt.md" in n and "alt" in n]
    body = [n for n in report.notices if "noalt-body.md" in n and "alt" in n]
    assert lead and "photo.png" in lead[0] and "'image'" in lead[0]
    assert body and "photo.png" in body[0] and "body" in body[0]


def test_an_image_path_that_leaves_the_site_is_refused(tmp_path):
    outside = tmp_path / "secret.png"
    outside.write_bytes(_png(100, 100))
    root = make_site(tmp_path / "site", story("escape", "", "![سر](link.png)"), {})
    (root / "content/ar/link.png").symlink_to(outside)
    out = tmp_path / "out"
    report = build(root, out)
    assert any("link.png" in n and "inside the site" in n for n in report.notices), report.notices
    assert not (out / "images").exists()


def test_an_image_too_tall_for_webp_is_a_warning(tmp_path):
    """Pillow opens a 100 x 20,000 px strip (2 megapixels), but WebP stops at 16,383 px."""
    root = make_site(
        tmp_path / "site",
        story("tall", "image: {src: strip.png, alt: شريط}\n"),
        {"content/ar/strip.png": _png(100, 20_000)},
    )
    report = build(root, tmp_path / "out")
    assert not report.problems
    assert any("strip.png" in n and "cannot be resized or encoded" in n for n in report.notices), (
        report.notices
    )


def test_images_in_the_text_cannot_climb_out_of_the_content_folder(tmp_path):
    root = make_site(
        tmp_path / "site",
        story("climb", "", "![سر](../../tests/secret.png)"),
        {"tests/secret.png": _png(50, 50)},
    )
    out = tmp_path / "out"
    report = build(root, out)
    assert any("secret.png" in n and "content folder" in n for n in report.notices), report.notices
    assert not (out / "images").exists()
