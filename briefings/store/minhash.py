"""MinHash signatures of word 3-shingles, in a few lines of numpy (no datasketch, so no scipy).

Bit-for-bit the values datasketch 2.x gave this project (``MinHash(num_perm=64, seed=7, hashfunc=crc32)``,
the "affine32" scheme): the CRC-32 of each distinct shingle, the MurmurHash3 32-bit finaliser, then
``a_k * h + b_k mod 2**32`` for 64 odd ``a_k``, and the minimum per permutation. Signatures stored by earlier
versions therefore stay comparable with new ones (no re-hashing migration).

Profiled on feed-only ingest, importing datasketch cost ~40 MB of RSS (it pulls scipy) and building a
``MinHash`` object per article more time than the hashing itself.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

NUM_PERM = 64
SEED = 7
_WORD = re.compile(r"\w+")
_EMPTY = np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.RandomState(SEED)  # legacy generator: its stream is fixed by numpy's compatibility policy
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


_A, _B = _permutations()


def _fmix32(hv: np.ndarray) -> np.ndarray:
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


def shingle_hashes(text: str) -> np.ndarray:
    """CRC-32 of each distinct word 3-shingle (lower-cased), as a uint32 array."""
    words = _WORD.findall(text.lower())
    if len(words) < 3:
        shingles = {" ".join(words)}
    else:
        shingles = set(map(" ".join, zip(words, words[1:], words[2:])))
    return np.fromiter(map(zlib.crc32, map(str.encode, shingles)), dtype=np.uint32, count=len(shingles))


def signature(text: str) -> list[int]:
    """The 64-value MinHash signature of ``text`` as plain ints (what the archive stores)."""
    hv = shingle_hashes(text)
    if hv.size == 0:
        return _EMPTY.tolist()
    with np.errstate(over="ignore"):
        phv = _fmix32(hv).reshape(-1, 1) * _A + _B  # uint32 arithmetic wraps: the modulo 2**32
    return phv.min(axis=0).tolist()
