"""Performance work (issue 12): the MinHash replacement, single-query reads, retention, db stats."""

from __future__ import annotations

import random
import re

from briefings.store.minhash import NUM_PERM, signature

TEXT = "Rocket Lab will launch the satellite from New Zealand next year, the agency said on Tuesday."


def _shingles(text: str) -> set[str]:
    w = re.findall(r"\w+", text.lower())
    return {" ".join(w[i:i + 3]) for i in range(max(1, len(w) - 2))}


def test_signature_keeps_the_values_stored_by_earlier_versions():
    # computed with datasketch 2.0.0 MinHash(num_perm=64, seed=7, hashfunc=zlib.crc32): archives written
    # before datasketch was dropped keep matching new articles without a re-hashing migration
    assert signature(TEXT)[:8] == [155721885, 729092925, 254976144, 188525066, 281659427, 144964302,
                                   178227649, 233747651]
    sig = signature(TEXT)
    assert len(sig) == NUM_PERM and all(isinstance(v, int) and 0 <= v < 2**32 for v in sig)
    assert signature(TEXT.upper()) == sig  # case-folded
    assert len(signature("")) == NUM_PERM and signature("") == signature("  ")


def test_signature_estimates_jaccard():
    rng = random.Random(3)
    vocab = [f"w{i}" for i in range(400)]
    base = [rng.choice(vocab) for _ in range(300)]
    for keep in (1.0, 0.8, 0.5, 0.0):
        other = [w if rng.random() < keep else rng.choice(vocab) + "x" for w in base]
        a, b = " ".join(base), " ".join(other)
        true = len(_shingles(a) & _shingles(b)) / len(_shingles(a) | _shingles(b))
        est = sum(x == y for x, y in zip(signature(a), signature(b))) / NUM_PERM
        assert abs(est - true) < 0.2, (keep, true, est)
