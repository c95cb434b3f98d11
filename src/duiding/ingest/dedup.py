"""Near-duplicate detection: MinHash signatures over word shingles, banded for LSH.

The same wire story republished by several titles, lightly edited (another headline, a changed
sentence, a paragraph cut), shares most of its three-word shingles with the original. Each article's
body becomes the set of its shingles (32-bit hashes), a 128-permutation MinHash of that set
(:mod:`datasketch`) and :data:`BANDS` band keys of :data:`ROWS` hash values each. Two articles that share
a band key are candidates; a candidate is a near-duplicate when the exact Jaccard similarity of the
two shingle sets reaches :data:`THRESHOLD`, or when most of the shorter text is found in the longer one
and it is at least half as long (a republication that cut the end, or put an intro in front).

With 42 bands of 3 rows, a pair with Jaccard similarity *s* becomes a candidate with probability
``1 - (1 - s**3)**42``: 0.94 at s = 0.4, 0.996 at 0.5, 0.29 at 0.2, 0.00004 at 0.01 (two unrelated
news articles share about 1% of their shingles). The thresholds come from the DpgMedia2019 corpus,
whose own pairs above a Jaccard similarity of 0.4 are each one story printed twice
(benchmarks/README.md). The store keeps the band keys (:mod:`duiding.store.clusters`), so detection
works across runs without holding signatures in memory.

Changing anything here (shingle size, hashing, permutations, bands) changes the band keys: stored ones
would no longer match new ones. Do it only together with a store migration that recomputes them.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from functools import cache
from hashlib import blake2b
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from datasketch import MinHash

SHINGLE_WORDS = 3
NUM_PERM = 128
BANDS = 42
ROWS = 3  # BANDS * ROWS of the NUM_PERM hash values are used
SCHEME = "affine32"  # datasketch's permutation scheme; pinned, since stored band keys depend on it
SEED = 1

#: Jaccard similarity of shingle sets from which two texts count as copies of one story.
THRESHOLD = 0.4
#: ... or the share of the shorter text's shingles found in the longer one (a truncated republication),
CONTAINMENT = 0.7
#: ... when the shorter text is at least this share of the longer (a brief quoted in a long piece is not
#: a copy of it).
MIN_RATIO = 0.5
#: Texts with fewer shingles than this are matched exactly (content hash) only: too little evidence.
MIN_SHINGLES = 25

_WORD = re.compile(r"\w+")
_MIX = (np.uint64(0x9E3779B1), np.uint64(0x85EBCA77), np.uint64(0xC2B2AE3D))
_MASK32 = np.uint64(0xFFFFFFFF)


def _identity(value: int) -> int:
    return value


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray] | np.ndarray:
    from datasketch import MinHash  # imported when first needed: datasketch pulls in scipy (0.4 s)

    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


def shingles(text: str) -> np.ndarray:
    """The sorted, distinct 32-bit hashes of the text's three-word shingles (lowercased words)."""
    words = _WORD.findall(text.lower())
    if not words:
        return np.empty(0, dtype=np.uint64)
    h = np.fromiter((zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint64, count=len(words))
    if len(h) < SHINGLE_WORDS:
        combined = np.array([zlib.crc32(" ".join(words).encode("utf-8"))], dtype=np.uint64)
    else:
        n = len(h) - SHINGLE_WORDS + 1
        combined = np.zeros(n, dtype=np.uint64)
        for i in range(SHINGLE_WORDS):
            combined += h[i : i + n] * _MIX[i]  # wraps modulo 2**64, as intended
        combined &= _MASK32
    return np.unique(combined)


def minhash(shingle_set: np.ndarray) -> MinHash:
    from datasketch import MinHash

    m = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, permutations=_permutations(), hashfunc=_identity)
    if len(shingle_set):
        m.update_batch(shingle_set.tolist())  # Python ints: datasketch hashes item by item
    return m


def band_keys(m: MinHash) -> list[int]:
    """One signed 64-bit key per band: a hash of the band's number and its hash values."""
    values = np.asarray(m.hashvalues, dtype="<u4")
    keys = []
    for band in range(BANDS):
        digest = blake2b(bytes([band]) + values[band * ROWS : (band + 1) * ROWS].tobytes(), digest_size=8)
        keys.append(int.from_bytes(digest.digest(), "little", signed=True))
    return keys


@dataclass(frozen=True)
class Signature:
    """What near-duplicate detection needs of one text."""

    shingles: np.ndarray
    keys: list[int]  # empty when the text is too short for LSH

    @property
    def usable(self) -> bool:
        return bool(self.keys)


def signature(text: str) -> Signature:
    sh = shingles(text)
    if len(sh) < MIN_SHINGLES:
        return Signature(sh, [])
    return Signature(sh, band_keys(minhash(sh)))


def similarity(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Exact Jaccard similarity and containment (of the smaller in the larger) of two shingle sets."""
    if not len(a) or not len(b):
        return 0.0, 0.0
    common = len(np.intersect1d(a, b, assume_unique=True))
    return common / (len(a) + len(b) - common), common / min(len(a), len(b))


def is_near_duplicate(a: np.ndarray, b: np.ndarray) -> bool:
    jaccard, containment = similarity(a, b)
    if jaccard >= THRESHOLD:
        return True
    short, long_ = sorted((len(a), len(b)))
    return containment >= CONTAINMENT and short >= MIN_SHINGLES and short >= MIN_RATIO * long_
