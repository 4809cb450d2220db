"""Images stage: an article's lead image and the images in its body, made ready for the web.

A local image (a file beside the article or under ``content/images/``) is read once per
content hash and turned by Pillow into responsive sizes (``WIDTHS``, never wider than the
original) in WebP and in the original's own format (JPEG, or PNG where the original is a PNG or
has transparency). Orientation from EXIF is applied, and nothing of the original's metadata is
written back: no EXIF (camera, time, GPS location), no XMP, no comments; only the colour
profile is kept. The results are cached under the build cache by content hash, so a photo is
processed once, whatever builds follow.

A remote image (an http(s) URL) is used as it is: nothing is downloaded at build time.

A local image that cannot be used (missing, unreadable, too many pixels: a decompression bomb)
is a warning naming the article's file, and the article is built without it.

Pages reach the results through ``Pictures``: ``lead(article)`` for the lead figure, and
``body(article)`` for the article's body HTML with each local ``<img>`` turned into a
``<picture>`` with ``srcset``, ``sizes``, ``width`` and ``height``.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import warnings as pywarnings
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from .model import Article, Image
from .paths import climbs, inside
from .urls import slugify
from .write import atomic_write

WIDTHS = (480, 800, 1200)
"""The widths made of every local image (only those narrower than the original, plus the
original's own width when it is narrower than the last)."""
SOCIAL_WIDTH = 1200
"""``og:image``, ``twitter:image`` and the JSON-LD ``image`` use this size (or the largest)."""
MAX_PIXELS = 50_000_000
"""More pixels than this is refused before decoding: a decompression bomb, or a scan no page
needs (50 megapixels is a 8,660 x 5,770 photo)."""
MAX_BYTES = 40 * 1024 * 1024
PROCESS_VERSION = "1"
"""Part of every cache key: change it when the output of ``process`` changes."""

LEAD_SIZES = "(min-width: 60rem) 46rem, 100vw"
"""The lead image's display width: the article column on wide screens, the screen below."""
BODY_SIZES = LEAD_SIZES
CARD_SIZES = "(min-width: 60rem) 20rem, 100vw"


class ImageProblem(Exception):
    """Why an image cannot be used (the message ends up in a build warning)."""


@dataclass(frozen=True)
class Rendition:
    rel: str
    """Output path, relative to the output folder (``images/<key>/<name>-800.webp``)."""
    width: int
    height: int
    mime: str


@dataclass(frozen=True)
class Processed:
    """What one local image became."""

    width: int
    height: int
    """Of the largest rendition."""
    renditions: tuple[Rendition, ...]
    """Smallest first, per format."""

    def of(self, mime: str) -> tuple[Rendition, ...]:
        return tuple(r for r in self.renditions if r.mime == mime)

    @property
    def fallback_mime(self) -> str:
        return next(r.mime for r in self.renditions if r.mime != "image/webp")

    @property
    def social(self) -> Rendition:
        """The rendition for link previews: ``SOCIAL_WIDTH`` wide (or the largest), in the
        original's format, which every preview scraper reads."""
        sized = self.of(self.fallback_mime)
        return next((r for r in sized if r.width == SOCIAL_WIDTH), sized[-1])

    def to_json(self) -> dict:
        return {
            "width": self.width,
            "height": self.height,
            "renditions": [[r.rel, r.width, r.height, r.mime] for r in self.renditions],
        }

    @classmethod
    def from_json(cls, data: dict) -> "Processed":
        return cls(data["width"], data["height"], tuple(Rendition(*item) for item in data["renditions"]))


def _open(data: bytes):
    """The decoded image, upright, or ``ImageProblem``."""
    from PIL import Image as PILImage, ImageOps, UnidentifiedImageError

    if len(data) > MAX_BYTES:
        raise ImageProblem(
            f"is {len(data) // (1024 * 1024)} MB, more than the {MAX_BYTES // (1024 * 1024)} MB limit"
        )
    try:
        with pywarnings.catch_warnings():
            # Pillow's own bomb check warns below twice its limit: make every step refuse.
            pywarnings.simplefilter("error", PILImage.DecompressionBombWarning)
            image = PILImage.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageProblem(
                    f"is {width} x {height} pixels, more than the {MAX_PIXELS // 1_000_000} megapixel "
                    "limit (a decompression bomb, or far larger than any page needs)"
                )
            image.load()
            upright = ImageOps.exif_transpose(image)
    except ImageProblem:
        raise
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise ImageProblem(
            f"has more pixels than the {MAX_PIXELS // 1_000_000} megapixel limit (a decompression "
            "bomb, or far larger than any page needs)"
        ) from None
    except UnidentifiedImageError:
        raise ImageProblem("is not an image Pillow can read (JPEG, PNG, WebP, GIF ...)") from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as exc:
        raise ImageProblem(f"cannot be decoded ({type(exc).__name__}: {exc})") from None
    return image.format or "", upright if upright is not None else image


def _has_alpha(image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def process(data: bytes, name: str, key: str) -> tuple[Processed, dict[str, bytes]]:
    """Renditions of one image: what they are, and their bytes by output path.

    ``name`` gives the files their readable stem; ``key`` (from the content hash) their folder.
    Raises ``ImageProblem`` for an image that cannot be used.
    """
    source_format, image = _open(data)
    try:
        return _renditions(source_format, image, name, key)
    except (OSError, ValueError, MemoryError) as exc:  # e.g. taller than WebP's 16,383 px
        raise ImageProblem(f"cannot be resized or encoded ({type(exc).__name__}: {exc})") from None


def _renditions(source_format: str, image, name: str, key: str) -> tuple[Processed, dict[str, bytes]]:
    keep_png = source_format in ("PNG", "GIF") or _has_alpha(image)
    mode = "RGBA" if _has_alpha(image) else "RGB"
    icc = image.info.get("icc_profile")
    image = image.convert(mode)
    fallback = ("image/png", "png") if keep_png else ("image/jpeg", "jpg")
    stem = slugify(Path(name).stem)[:60] or "image"
    widths = sorted({w for w in WIDTHS if w < image.width} | {min(image.width, WIDTHS[-1])})
    renditions: list[Rendition] = []
    files: dict[str, bytes] = {}
    for mime, ext in (("image/webp", "webp"), fallback):
        for width in widths:
            height = max(1, round(image.height * width / image.width))
            sized = (
                image if width == image.width else image.resize((width, height), resample=3, reducing_gap=3.0)
            )
            sized.info = {}  # nothing of the original's metadata is written
            out = io.BytesIO()
            options: dict = {"icc_profile": icc} if icc else {}
            if ext == "webp":
                sized.save(out, "WEBP", quality=80, method=4, **options)
            elif ext == "jpg":
                sized.save(out, "JPEG", quality=82, optimize=True, progressive=True, **options)
            else:
                sized.save(out, "PNG", optimize=True, **options)
            rel = f"images/{key}/{stem}-{width}.{ext}"
            files[rel] = out.getvalue()
            renditions.append(Rendition(rel, width, height, mime))
    largest = renditions[len(widths) - 1]
    return Processed(largest.width, largest.height, tuple(renditions)), files


class ImageCache:
    """Processed images by content hash, in ``folder`` (under the build cache), or in memory
    only when there is no folder. A cached entry is its files plus ``info.json``, written
    last, so an entry killed half-way is processed again."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def get(self, data: bytes, name: str) -> tuple[Processed, dict[str, bytes]]:
        digest = hashlib.sha256(PROCESS_VERSION.encode() + b"\0" + data).hexdigest()
        key = digest[:16]
        entry = self.folder / digest if self.folder is not None else None
        if entry is not None:
            try:
                info = json.loads((entry / "info.json").read_text(encoding="utf-8"))
                if info.get("name") == name:
                    processed = Processed.from_json(info)
                    files = {r.rel: (entry / Path(r.rel).name).read_bytes() for r in processed.renditions}
                    return processed, files
            except (OSError, ValueError, KeyError, TypeError):
                pass
        processed, files = process(data, name, key)
        if entry is not None:
            try:
                entry.mkdir(parents=True, exist_ok=True)
                for rel, blob in files.items():
                    atomic_write(entry / Path(rel).name, blob)
                info = {"name": name, **processed.to_json()}
                atomic_write(entry / "info.json", json.dumps(info).encode("utf-8"))
            except OSError:
                pass  # a cache that cannot be written only costs time
        return processed, files


_IMG = re.compile(r"<img\b[^>]*>", re.I)
_ATTR = re.compile(r'\s([a-z-]+)="([^"]*)"', re.I)


def body_images(body_html: str) -> tuple[tuple[str, str], ...]:
    """``(src, alt)`` of every image in a (sanitised) body, in order."""
    found = []
    for tag in _IMG.findall(body_html):
        attrs = dict((k.lower(), v) for k, v in _ATTR.findall(tag))
        if "src" in attrs:
            found.append((html.unescape(attrs["src"]), html.unescape(attrs.get("alt", ""))))
    return tuple(found)


def body_sources(body_html: str) -> tuple[str, ...]:
    """The ``src`` of every image in a (sanitised) body, in order."""
    return tuple(src for src, _ in body_images(body_html))


def is_local(src: str) -> bool:
    """A path inside the site (not a URL of any scheme, not absolute, no way up)."""
    return not (
        re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I) or src.startswith(("/", "\\", "#")) or not src.strip()
    )


@dataclass(frozen=True)
class Picture:
    """An image as a page shows it: processed renditions, or a remote URL as it is."""

    alt: str
    caption: str = ""
    credit: str = ""
    processed: Processed | None = None
    url: str = ""
    """The remote URL (when ``processed`` is None)."""


class Pictures:
    """The images of a build: read and processed once, shown by the templates.

    ``warnings`` holds one message per image that could not be used, naming the article's
    file and the field (``image``, or ``body`` for an image in the text)."""

    def __init__(self, config, cache: ImageCache) -> None:
        self.config = config
        self.cache = cache
        self.root = Path(config.root).resolve()
        self.content_root = Path(config.content_dir).resolve()
        """Images are read from here only (the build's fingerprint watches it)."""
        self.images_dir = config.content_dir / "images"
        self.processed: dict[str, Processed | None] = {}
        """Site-relative path of a source file -> what it became (None: unusable)."""
        self.files: dict[str, bytes] = {}
        self.warnings: list[str] = []
        self._lead: dict[str, Picture] = {}
        self._body: dict[str, dict[str, str]] = {}
        self._photos: dict[str, Processed] = {}

    # ---- the stage ----------------------------------------------------------------------
    def add_site(self, site) -> None:
        for articles in site.articles.values():
            for article in articles:
                self.add(article)

    def add(self, article: Article) -> None:
        """Process the images ``article`` shows (lead and body), remembering what each became."""
        record = article.record
        image = record.image
        if image is not None:
            picture = self._picture(record.path, image, "image")
            if picture is not None:
                self._lead[article.path] = picture
            else:
                self._lead.pop(article.path, None)
        body = {}
        found = record.body_images if record.body_images is not None else body_images(record.body_html)
        for src, alt in found:
            if is_local(src) and src not in body:
                if not alt.strip():
                    self.warnings.append(
                        f"{record.path}: body: image {src[:80]!r} has no alt text "
                        "(describe it for readers who cannot see it: ![what it shows](file))"
                    )
                rel = self._local(record.path, src, "body")
                if rel is not None:
                    body[src] = rel
        self._body[article.path] = body

    def _picture(self, article_path: str, image: Image, field: str) -> Picture | None:
        if image.remote:
            return Picture(image.alt, image.caption, image.credit, url=image.src)
        rel = self._local(article_path, image.src, field)
        if rel is None:
            return None
        return Picture(image.alt, image.caption, image.credit, processed=self.processed[rel])

    def _local(self, article_path: str, src: str, field: str) -> str | None:
        """The site-relative path of ``src`` processed (None, with a warning, if unusable)."""
        beside = (self.config.root / article_path).parent
        found = None
        # As for the ``image`` field: no way up, whatever it resolves to; and only what the
        # content folder holds (links resolved).
        for base in () if climbs(src) else (beside, self.images_dir):
            candidate = base / src
            if inside(candidate, self.content_root) and candidate.is_file():
                found = candidate.resolve()
                break
        if found is None:
            self.warnings.append(
                f"{article_path}: {field}: {src[:80]!r} not found beside the article or under "
                "content/images/ (inside the site's content folder); shown without it"
            )
            return None
        rel = "content/" + found.relative_to(self.content_root).as_posix()
        if rel not in self.processed:
            try:
                processed, files = self.cache.get(found.read_bytes(), found.name)
            except ImageProblem as exc:
                self.warnings.append(f"{article_path}: {field}: {rel} {exc}; shown without it")
                self.processed[rel] = None
                return None
            except OSError as exc:
                self.warnings.append(
                    f"{article_path}: {field}: {rel} cannot be read ({exc}); shown without it"
                )
                self.processed[rel] = None
                return None
            self.processed[rel] = processed
            self.files.update(files)
        if self.processed[rel] is None:
            self.warnings.append(f"{article_path}: {field}: {rel} cannot be used; shown without it")
            return None
        return rel

    def add_profiles(self, profiles: dict) -> None:
        """Process the photos of term profiles (``profiles.load_profiles``)."""
        for per_taxonomy in profiles.values():
            for profile in per_taxonomy.values():
                if profile.photo is not None:
                    rel = self._local(profile.path, profile.photo.src, "photo")
                    if rel is not None:
                        self._photos[profile.path] = self.processed[rel]

    # ---- what pages show ------------------------------------------------------------------
    def profile_photo(self, profile, lang: str) -> Picture | None:
        processed = self._photos.get(profile.path)
        return Picture(profile.photo_alt(lang), processed=processed) if processed is not None else None

    def lead(self, article: Article) -> Picture | None:
        return self._lead.get(article.path)

    def social(self, article: Article) -> str | None:
        """Output path (local) or URL (remote) of the image link previews use."""
        picture = self.lead(article)
        if picture is None:
            return None
        return picture.processed.social.rel if picture.processed is not None else picture.url

    def body(self, article: Article, href) -> Markup:
        """The article's body HTML, each local image a ``<picture>`` of its renditions (an
        unusable one dropped: a broken image helps no reader)."""
        text = article.body_html
        local = self._body.get(article.path)
        if not local and "<img" not in text:
            return Markup(text)

        def replace(match: re.Match) -> str:
            attrs = {k.lower(): html.unescape(v) for k, v in _ATTR.findall(match.group(0))}
            src = attrs.get("src", "")
            if not is_local(src):
                return match.group(0)
            rel = (local or {}).get(src)
            processed = self.processed.get(rel) if rel else None
            if processed is None:
                return ""
            return str(picture_html(processed, attrs.get("alt", ""), href, sizes=BODY_SIZES, eager=False))

        return Markup(_IMG.sub(replace, text))


def srcset(renditions, href) -> str:
    return ", ".join(f"{href(r.rel)} {r.width}w" for r in renditions)


def picture_html(processed: Processed, alt: str, href, *, sizes: str, eager: bool) -> Markup:
    """``<picture>``: a WebP ``<source>`` and an ``<img>`` in the original's format, with the
    largest rendition's ``width``/``height`` (the browser keeps the space: no layout shift).
    ``eager``: the lead image, above the fold (loaded at once, early); others load lazily."""
    fallback = processed.of(processed.fallback_mime)
    middle = fallback[min(1, len(fallback) - 1)]
    loading = 'fetchpriority="high"' if eager else 'loading="lazy"'
    return Markup(
        '<picture><source type="image/webp" srcset="{webp}" sizes="{sizes}">'
        '<img src="{src}" srcset="{fallback}" sizes="{sizes}" width="{w}" height="{h}" alt="{alt}" '
        'decoding="async" {loading}></picture>'
    ).format(
        webp=srcset(processed.of("image/webp"), href),
        sizes=sizes,
        src=href(middle.rel),
        fallback=srcset(fallback, href),
        w=processed.width,
        h=processed.height,
        alt=alt,
        loading=Markup(loading),
    )
