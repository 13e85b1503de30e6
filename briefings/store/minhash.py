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
SEED = 7  # the permutations below are RandomState(SEED)'s draws
_WORD = re.compile(r"\w+")
_EMPTY = np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)


# The 64 odd multipliers and 64 offsets: the first 64 draws of numpy's legacy RandomState(7) for each (as
# datasketch drew them), written out so importing numpy.random (~3.4 MB of RSS, profiled on feed-only
# ingest) is not needed; tests/test_perf.py checks them against the generator.
_A = np.array([
    655483231, 1952827785, 2404484147, 2739950573, 3765906567, 4107903399, 1919551279, 3913444559, 4105898681,
    2645809523, 330677021, 2266633263, 9624721, 745120435, 618914525, 3602379861, 2305873333, 136668945,
    4293957967, 238497741, 1539573897, 3167980385, 2609098495, 2841887503, 3272259417, 3375348737, 566388887,
    1497486959, 2475151861, 1480194061, 3518381607, 1666718585, 1832966233, 2971884927, 3883715211, 3689619057,
    3704031537, 2255577455, 213882731, 2154035425, 863708663, 2189523323, 3866582913, 3017597509, 1978286705,
    1495101843, 416525213, 2497639501, 3514385929, 3759207389, 1143916819, 3855384239, 201112519, 3304114567,
    2151004305, 3070688935, 1451812705, 1660912131, 4017966465, 863064865, 1759640301, 4145819455, 4215646907,
    976705369,
], dtype=np.uint32)
_B = np.array([
    1599380060, 4085580540, 2050422343, 1497897239, 1571487242, 1187621609, 3598830371, 1917728192, 3301315901,
    4114208135, 1348596887, 771276892, 2459407095, 612959456, 1185621653, 358664548, 1944945571, 2350356961,
    1516030531, 1332338555, 2823509211, 1214271969, 1590645779, 3955637147, 1971789316, 1861190419, 3089473569,
    1798548603, 1773786398, 4235796153, 3893058277, 3408357193, 775033821, 1474484177, 3183081343, 1289946527,
    1814082690, 2164470867, 1831604146, 2676863378, 2724640789, 2821674615, 2245865027, 1112979659, 1781921722,
    1740316719, 6128400, 2865863180, 396263773, 1887643755, 3046825705, 3357528457, 2252047180, 2940458819,
    2989986414, 3163992718, 4103705212, 2102055188, 2933092661, 4097361916, 228185999, 660304699, 1326512163,
    2787944240,
], dtype=np.uint32)


def _fmix32(hv: np.ndarray) -> np.ndarray:
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


# ASCII text (most English news) takes a byte path: for ASCII, ``\w`` is exactly [A-Za-z0-9_], so mapping every
# other byte to a space and splitting gives the same words as the regex, and the shingles are hashed without
# encoding each one (profiled on feed-only ingest: the regex and the per-shingle encode were half the time).
_NON_WORD = bytes(c if chr(c).isalnum() or c == ord("_") else ord(" ") for c in range(128)).ljust(256, b" ")


def _words(text: str) -> list[bytes]:
    r"""The lower-cased words of ``text`` (regex ``\w+``), UTF-8 encoded."""
    if text.isascii():
        return text.encode().lower().translate(_NON_WORD).split()
    return [w.encode() for w in _WORD.findall(text.lower())]


def shingle_hashes(text: str) -> np.ndarray:
    """CRC-32 of each distinct word 3-shingle (lower-cased, words joined by one space), as a uint32 array."""
    words = _words(text)
    if len(words) < 3:
        shingles = {b" ".join(words)}
    else:
        shingles = set(map(b" ".join, zip(words, words[1:], words[2:])))
    return np.fromiter(map(zlib.crc32, shingles), dtype=np.uint32, count=len(shingles))


def signature(text: str) -> list[int]:
    """The 64-value MinHash signature of ``text`` as plain ints (what the archive stores)."""
    hv = shingle_hashes(text)
    if hv.size == 0:
        return _EMPTY.tolist()
    with np.errstate(over="ignore"):
        phv = _fmix32(hv).reshape(-1, 1) * _A + _B  # uint32 arithmetic wraps: the modulo 2**32
    return phv.min(axis=0).tolist()
