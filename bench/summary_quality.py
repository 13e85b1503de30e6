"""ROUGE-1/2/L of launchbrief's 3-sentence summary against Lead-3, on the CNN/DailyMail pairs.

Both systems see the same sentence split (briefings.analysis.sentences) of the same article; scores are rouge-score
F-measures x 100 with the Porter stemmer, ROUGE-Lsum with one sentence per line. The summarizer's defaults
were chosen on the first half of the pairs (items 0-124), so the second half (125-249) is reported separately
as held-out data.

Usage: python bench/summary_quality.py [--file ../shared/corpus/summaries/summaries.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rouge_score import rouge_scorer  # noqa: E402

from briefings.analysis.sentences import split_sentences  # noqa: E402
from briefings.analysis.summarize import select  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", default=str(ROOT.parent / "shared" / "corpus" / "summaries" / "summaries.jsonl"))
    args = ap.parse_args()
    path = Path(args.file)
    if not path.exists():
        print(f"no corpus at {path}")
        return 1
    pairs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    pairs = [p for p in pairs if p["dataset"] == "cnn_dailymail"]
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    systems = {"Lead-3": lambda s: list(range(min(3, len(s)))), "launchbrief": lambda s: select(s, 3)}
    halves = {"all": range(len(pairs)), "tuning half (0-124)": range(0, len(pairs) // 2),
              "held-out half (125-249)": range(len(pairs) // 2, len(pairs))}
    per_item: dict[str, list[tuple[float, float, float]]] = {name: [] for name in systems}
    for pair in pairs:
        sentences = split_sentences(pair["article"])
        reference = pair["reference"].replace(". ", ".\n")
        for name, fn in systems.items():
            picked = "\n".join(sentences[i] for i in fn(sentences))
            r = scorer.score(reference, picked)
            per_item[name].append((r["rouge1"].fmeasure, r["rouge2"].fmeasure, r["rougeLsum"].fmeasure))
    print(f"CNN/DailyMail pairs: {len(pairs)}")
    for label, idx in halves.items():
        print(f"\n{label} (n={len(idx)})")
        print(f"{'system':<14}{'ROUGE-1':>9}{'ROUGE-2':>9}{'ROUGE-L':>9}")
        means = {}
        for name in systems:
            rows = [per_item[name][i] for i in idx]
            means[name] = [100 * sum(r[k] for r in rows) / len(rows) for k in range(3)]
            print(f"{name:<14}" + "".join(f"{m:>9.2f}" for m in means[name]))
        delta = means["launchbrief"][1] - means["Lead-3"][1]
        print(f"ROUGE-2 difference launchbrief - Lead-3: {delta:+.2f} (goal +1.00)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
