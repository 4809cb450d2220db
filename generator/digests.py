"""Digests of plain values, for the keys that caches and page keys compare across builds."""

from __future__ import annotations

import hashlib
import marshal
from typing import Any


def value_digest(value: Any) -> bytes:
    """By value, not by pickling: a pickle also records which values are one object, and
    that may differ between two builds of the same inputs. ``marshal``'s format 2 writes
    plain values (strings, bytes, numbers, None, tuples, lists) by value only, and about
    three times as fast as ``repr``; a value it does not take (a date, a ``str`` subclass)
    is digested by its ``repr``, after another first byte."""
    try:
        data = b"m" + marshal.dumps(value, 2)
    except ValueError:
        data = b"r" + repr(value).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).digest()
