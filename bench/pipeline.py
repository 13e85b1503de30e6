"""Throughput of the full brief against trafilatura alone, and extraction quality of our intake.

Over the pages in ../shared/corpus/extraction/ (181 real news/blog pages with ground truth), in one run:
  * trafilatura.extract(html)                       -- "trafilatura alone", text only (the baseline)
  * trafilatura.bare_extraction(html, metadata)     -- what our intake asks trafilatura for (text + metadata)
  * launchbrief's full brief (extract + analyse)
Prints pages/s for each and the ratio full-brief / trafilatura-alone (goal <= 1.25).
Also prints extraction F1 with the benchmark's own metric (4-gram shingles, macro P/R; see the corpus README).

Usage: python bench/pipeline.py [--corpus ../shared/corpus/extraction] [--repeat 2]
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from briefings.engine import analyse  # noqa: E402
from briefings.errors import BriefingError  # noqa: E402
from briefings.intake.extract import extract_html  # noqa: E402
from briefings.analysis.kb import load_kb  # noqa: E402


def shingles(text: str) -> collections.Counter:
    toks = re.findall(r"\w+", text)
    if len(toks) < 4:
        return collections.Counter([tuple(toks)])
    return collections.Counter(tuple(toks[i:i + 4]) for i in range(len(toks) - 3))


def extraction_f1(expected: list[str], predicted: list[str]) -> tuple[float, float, float]:
    ps, rs = [], []
    for exp, pred in zip(expected, predicted):
        t, q = shingles(exp), shingles(pred or "")
        tp = sum(min(t[k], q[k]) for k in t)
        fp = sum(max(0, q[k] - t[k]) for k in q)
        fn = sum(max(0, t[k] - q[k]) for k in t)
        total = tp + fp + fn
        if total == 0:
            continue
        tp, fp, fn = tp / total, fp / total, fn / total
        ps.append(tp / (tp + fp) if tp + fp else (1.0 if fp == fn == 0 else 0.0))
        rs.append(tp / (tp + fn) if tp + fn else 0.0)
    p, r = sum(ps) / len(ps), sum(rs) / len(rs)
    return p, r, 2 * p * r / (p + r)


def timed(fn, pages, repeat):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = [fn(h) for h in pages]
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "extraction"))
    ap.add_argument("--repeat", type=int, default=2, help="runs per variant; the fastest counts")
    args = ap.parse_args()
    folder = Path(args.corpus)
    index = folder / "index.jsonl"
    if not index.exists():
        print(f"no corpus at {folder}")
        return 1
    items = [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line.strip()]
    pages = [gzip.open(folder / it["html_path"]).read().decode("utf-8") for it in items]
    expected = [it["expected_text"] for it in items]
    load_kb()  # one-time start-up cost, not per page
    trafilatura.extract(pages[0])  # warm up both paths once
    extract_html(pages[0], source="warm-up")

    def ours_extract(h):
        try:
            return extract_html(h, source="bench")
        except BriefingError:
            return None

    def full(h):
        art = ours_extract(h)
        if art is None:
            return None
        return art, analyse(art)

    t_alone, alone = timed(trafilatura.extract, pages, args.repeat)
    t_meta, _ = timed(lambda h: trafilatura.bare_extraction(h, with_metadata=True), pages, args.repeat)
    t_full, briefs = timed(full, pages, args.repeat)
    n = len(pages)
    print(f"pages: {n}")
    print(f"{'variant':<44}{'pages/s':>10}{'ms/page':>10}{'ratio':>8}")
    for name, t in (("trafilatura.extract (text only, baseline)", t_alone),
                    ("trafilatura.bare_extraction (text+metadata)", t_meta),
                    ("launchbrief full brief", t_full)):
        print(f"{name:<44}{n / t:>10.1f}{1000 * t / n:>10.2f}{t / t_alone:>8.3f}")
    print(f"full brief / trafilatura alone = {t_full / t_alone:.3f}  (goal <= 1.25)")
    print(f"full brief / trafilatura text+metadata = {t_full / t_meta:.3f}")
    analysed = [b for b in briefs if b is not None]
    analysis_share = 0.0
    t0 = time.perf_counter()
    for art, _ in analysed:
        analyse(art)
    analysis_share = time.perf_counter() - t0
    print(f"analysis alone (sentences, summary, partners, quotes, relevance): {1000 * analysis_share / n:.2f} ms/page")
    ours_text = [b[0].text if b else "" for b in briefs]
    p, r, f = extraction_f1(expected, alone)
    print(f"extraction F1 trafilatura alone: P={p:.3f} R={r:.3f} F1={f:.3f}")
    p, r, f = extraction_f1(expected, ours_text)
    print(f"extraction F1 launchbrief intake: P={p:.3f} R={r:.3f} F1={f:.3f}")
    print(f"pages with no article found by our intake: {sum(1 for b in briefs if b is None)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
