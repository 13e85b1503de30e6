"""Quote-speaker accuracy on annotated articles (../shared/corpus/dev and dev_news).

For every annotated quote (``quotes: [{speaker, text}]``) the brief's quotes whose text overlaps it are found
(one text contains the other, after normalisation, or they share most of their words). The gold quote counts
as *right* when such a quote exists and the majority of the overlapping quotes carry the gold speaker (names
compared after normalisation; a company suffix such as "Corp." or a knowledge-base alias also counts). A gold
quote with no overlapping brief quote counts as *missed* (and wrong). Brief quotes that overlap no gold quote
are reported as *extra* (scare-quoted terms taken for quotes, say).

Usage: python bench/quotes_eval.py [--corpus DIR ...] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefings.engine import brief_text  # noqa: E402
from briefings.analysis.kb import load_kb  # noqa: E402

# ../shared beside the checkout (or beside the folder of worktrees)
SHARED = next((p / "shared" for p in ROOT.parents if (p / "shared" / "corpus").is_dir()), ROOT.parent / "shared")
DEFAULT = [SHARED / "corpus" / "dev", SHARED / "corpus" / "dev_news"]


def norm(s: str) -> str:
    s = s.replace("’", "'").replace("‘", "'").lower()
    return " ".join(re.sub(r"[^\w']+", " ", s).split())


def speaker_names(name: str | None) -> set[str]:
    if not name:
        return set()
    base = norm(re.sub(r"\b(?:Corp|Corporation|Inc|Ltd|LLC|plc|S\.A)\.?$", "", name.strip()))
    names = {norm(name), base}
    kb = load_kb()
    for hit in kb.find(name):  # "FAA" and "Federal Aviation Administration" are one speaker
        if hit.start == 0 and hit.end >= len(name.rstrip(". ")) - 6:
            names.add(norm(hit.entity.name))
    return {n for n in names if n}


_ROLE = re.compile(r"\b(official|spokes(?:man|woman|person)|operator|manager|executive|engineer|director|narrator|"
                   r"commentator|source|analyst|expert|researcher|scientist|representative|officer)s?\b")


def same_speaker(gold: str, pred: str | None) -> bool:
    """Names agree (after normalisation and KB aliases); an unnamed gold speaker ("unnamed SES spokesman")
    agrees with a brief speaker described by the same role word ("company spokesman")."""
    if speaker_names(gold) & speaker_names(pred):
        return True
    if pred and gold.lower().startswith("unnamed"):
        role = _ROLE.search(pred.lower())
        return bool(role and role.group(1) in gold.lower())
    return False


def overlaps(gold: str, pred: str) -> bool:
    g, p = norm(gold), norm(pred)
    if not g or not p:
        return False
    if g in p or p in g:
        return True
    gw, pw = set(g.split()), set(p.split())
    return len(gw & pw) >= 0.6 * min(len(gw), len(pw)) and len(gw & pw) >= 4


def score_file(path: Path, verbose: bool) -> tuple[int, int, int, int]:
    d = json.loads(path.read_text(encoding="utf-8"))
    gold = d.get("quotes") or []
    brief = brief_text(f"{d['title']}\n\n{d['text']}", source=path.name)
    right = missed = 0
    used: set[int] = set()
    for g in gold:
        hits = [i for i, q in enumerate(brief.quotes) if overlaps(g["text"], q.text)]
        used.update(hits)
        if not hits:
            missed += 1
            if verbose:
                print(f"  {path.name[:40]}: MISSED {g['speaker']!r}: {g['text'][:70]!r}")
            continue
        ok = sum(1 for i in hits if same_speaker(g["speaker"], brief.quotes[i].speaker))
        if ok * 2 > len(hits):
            right += 1
        elif verbose:
            got = sorted({str(brief.quotes[i].speaker) for i in hits})
            print(f"  {path.name[:40]}: WRONG want {g['speaker']!r} got {got}: {g['text'][:60]!r}")
    extra = [q for i, q in enumerate(brief.quotes) if i not in used]
    if verbose:
        for q in extra:
            print(f"  {path.name[:40]}: EXTRA {q.speaker!r}: {q.text[:70]!r}")
    return len(gold), right, missed, len(extra)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", action="append", help="folder of annotated JSON (repeatable)")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    folders = [Path(c) for c in args.corpus] if args.corpus else DEFAULT
    total = [0, 0, 0, 0]
    for folder in folders:
        files = sorted(folder.glob("*.json"))
        if not files:
            print(f"{folder}: no annotated articles")
            continue
        sums = [0, 0, 0, 0]
        for path in files:
            for k, v in enumerate(score_file(path, args.verbose)):
                sums[k] += v
        n, right, missed, extra = sums
        print(f"{folder.name:<10} quotes={n:<4} speaker right={right}/{n} = {right / n if n else 0:.3f}  "
              f"missed={missed}  extra={extra}")
        total = [a + b for a, b in zip(total, sums)]
    n, right, missed, extra = total
    print(f"{'overall':<10} quotes={n:<4} speaker right={right}/{n} = {right / n if n else 0:.3f}  "
          f"missed={missed}  extra={extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
