"""One story per event: near-identical texts (a wire story as several outlets carry it) found
with MinHash signatures and LSH (datasketch).

A text's signature is the MinHash of its word 4-shingles, words compared by
``textnorm.match_key`` (so spelling variants, diacritics and digits do not count), over its
first ``WORDS`` words (an outlet's own closing lines and boilerplate weigh little). Two texts
are copies of one story when the estimated Jaccard similarity of their shingles is at least
``THRESHOLD``: a wire story with another headline, a different first line or an extra
paragraph scores well above it, two stories on one subject in the same words score far below.
Signatures are compared only within one language.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

NUM_PERM = 64
SHINGLE = 4
WORDS = 250
MIN_WORDS = 25
"""A text shorter than this (a one-line summary) is never called a copy of another."""
THRESHOLD = 0.6
SEED = 1
SCHEME = "affine32"
"""datasketch's hashing scheme, named so that stored signatures stay comparable across versions."""
DTYPE = np.uint32
SIG_BYTES = NUM_PERM * 4


@functools.lru_cache(maxsize=1)
def _permutations():
    """The scheme's permutations, made once (datasketch makes them anew for every MinHash)."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


def _minhash(sig: bytes | None = None):
    from datasketch import MinHash

    values = None if sig is None else np.frombuffer(sig, DTYPE)
    return MinHash(
        num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashvalues=values, permutations=_permutations()
    )


def signature(text: str) -> bytes | None:
    """The MinHash signature of ``text`` as bytes (stored in the feed database), or None for a
    text too short to compare."""
    from .textnorm import match_key

    words = [w for w in match_key(text).split() if any(ch.isalnum() for ch in w)][:WORDS]
    if len(words) < MIN_WORDS:
        return None
    shingles = {" ".join(words[i : i + SHINGLE]).encode("utf-8") for i in range(len(words) - SHINGLE + 1)}
    minhash = _minhash()
    minhash.update_batch(sorted(shingles))
    return minhash.hashvalues.astype(DTYPE).tobytes()


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures."""
    va, vb = np.frombuffer(a, dtype=DTYPE), np.frombuffer(b, dtype=DTYPE)
    if va.shape != vb.shape:
        return 0.0
    return float(np.count_nonzero(va == vb)) / len(va)


@dataclass
class NearDuplicates:
    """An index of signatures by language: ``add`` stories, ``find`` the first-added copy."""

    threshold: float = THRESHOLD
    loader: object = None
    """Called once, at the first ``add`` or ``find``, for the (key, language, signature)
    triples to start with (a fetch with nothing new never pays for the index)."""
    _lsh: dict = field(default_factory=dict)
    _sigs: dict = field(default_factory=dict)
    _order: dict = field(default_factory=dict)
    _langs: dict = field(default_factory=dict)

    def _index(self, lang: str):
        from datasketch import MinHashLSH

        if lang not in self._lsh:
            self._lsh[lang] = MinHashLSH(threshold=self.threshold, num_perm=NUM_PERM)
        return self._lsh[lang]

    def _load(self) -> None:
        if self.loader is not None:
            loader, self.loader = self.loader, None
            for key, lang, sig in loader():
                self.add(key, lang, sig)

    def add(self, key: int, lang: str | None, sig: bytes | None) -> None:
        self._load()
        if sig is None or key in self._sigs or len(sig) != SIG_BYTES:
            return
        self._index(lang or "").insert(key, _minhash(sig))
        self._langs[key] = lang or ""
        self._sigs[key] = sig
        self._order[key] = len(self._order)

    def find(self, lang: str | None, sig: bytes | None) -> int | None:
        """The earliest-added story whose signature is this one's copy, or None."""
        self._load()
        if sig is None or len(sig) != SIG_BYTES:
            return None
        lsh = self._lsh.get(lang or "")
        if lsh is None:
            return None
        candidates = lsh.query(_minhash(sig))
        copies = [k for k in candidates if similarity(sig, self._sigs[k]) >= self.threshold]
        return min(copies, key=self._order.__getitem__) if copies else None

    def rekey(self, old: int, new: int | None) -> None:
        """The story added as ``old`` is ``new`` now (None: forget it)."""
        sig = self._sigs.pop(old, None)
        if sig is None:
            return
        order, lang = self._order.pop(old), self._langs.pop(old)
        self._lsh[lang].remove(old)
        if new is not None:
            self._lsh[lang].insert(new, _minhash(sig))
            self._langs[new] = lang
            self._sigs[new] = sig
            self._order[new] = order

    def __len__(self) -> int:
        return len(self._sigs)
