"""feedparser's own 2,107 test feeds (../shared/corpus/feeds) through our feed-parsing path.

No file may raise; hostile markup must never survive into an entry's title or summary; the accepted/rejected
counts and the agreement of our bad-input flag with the index's expectation are printed (run with -s).
"""

from __future__ import annotations

import json
import re

import pytest

from briefings.intake.feeds import parse_feed

from .conftest import SHARED

CORPUS = SHARED / "corpus" / "feeds"
pytestmark = pytest.mark.skipif(not (CORPUS / "index.jsonl").exists(), reason="../shared/corpus/feeds is absent")

_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z]")
_DANGEROUS = re.compile(r"javascript:|<\s*script|onerror\s*=|onload\s*=", re.I)


def test_every_corpus_feed_parses_without_exception_and_comes_out_sanitised():
    index = [json.loads(line) for line in (CORPUS / "index.jsonl").read_text(encoding="utf-8").splitlines()]
    accepted = rejected = agree = expected_known = 0
    reasons: dict[str, int] = {}
    leaks = []
    for item in index:
        data = (CORPUS / item["path"]).read_bytes()
        headers = {k.lower(): v for k, v in (item.get("http_headers") or {}).items()}
        feed = parse_feed(data, content_type=headers.get("content-type"))  # must not raise
        if feed.is_feed:
            accepted += 1
        else:
            rejected += 1
            key = (feed.bozo_reason or "no feed structure").split(":")[0]
            reasons[key] = reasons.get(key, 0) + 1
        if item["expect_bozo"] is not None:
            expected_known += 1
            agree += feed.bozo == item["expect_bozo"]
        for e in feed.entries:
            for value in (e.title, e.summary):
                hostile = item["path"].startswith("wellformed/sanitize") and _DANGEROUS.search(value)
                if _MARKUP.search(value) or hostile:
                    leaks.append((item["path"], value[:80]))
            assert e.link is None or e.link.lower().startswith(("http://", "https://"))
    print(f"\nfeed corpus: {len(index)} files, accepted {accepted}, rejected {rejected} {reasons}; "
          f"bad-input flag agrees with the index on {agree}/{expected_known}")
    assert accepted + rejected == len(index)
    assert not leaks, leaks[:5]
    assert agree / expected_known > 0.98
