"""Partner precision/recall/F1 and relevance accuracy on ../shared/corpus/dev/ (annotated articles).

Matching: a predicted partner matches a gold partner when their names agree after normalisation, where a
gold name may carry alternatives ("Indian Space Research Organisation (ISRO)", "European Union / European
Commission") and a predicted name counts with its knowledge-base aliases. Kind is reported separately.

Usage: python bench/quality.py [--corpus ../shared/corpus/dev] [--verbose]
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
from briefings.kb import load_kb  # noqa: E402


def norm(s: str) -> str:
    return re.sub(r"[^a-z0-9ø]+", " ", s.lower().replace("the ", " ")).strip()


def gold_names(name: str) -> set[str]:
    parts = {name}
    m = re.match(r"^(.*?)\s*\((.*)\)\s*$", name)
    if m:
        parts |= {m.group(1), m.group(2)}
    for p in list(parts):
        parts |= {x.strip() for x in re.split(r"\s*/\s*|,\s*", p) if x.strip()}
    return {norm(p) for p in parts if p}


def predicted_names(name: str) -> set[str]:
    kb = load_kb()
    names = {norm(name)}
    for rec in [*kb.orgs, *kb.providers, *kb.spaceports]:
        if rec.name == name:
            names |= {norm(a) for a in rec.aliases}
    for c in kb.countries:
        ent = kb.entities.get(f"country:{c.code}")
        if ent and ent.name == name:
            names |= {norm(a) for a in c.aliases}
    ent = kb.by_name(name)  # also operators and former names ("Orbital ATK" for Northrop Grumman)
    if ent is not None:
        names |= {norm(a) for a in kb.names(ent.key)}
    return names


class _Named(str):
    @property
    def name(self) -> str:
        return str(self)


def load(where: Path) -> list[tuple]:
    """(name, record) pairs: a folder of ``*.json`` (and ``*.jsonl``) annotated articles, or one ``.jsonl``
    file such as `launchbrief corrections export` writes."""
    paths = [where] if where.is_file() else sorted([*where.glob("*.json"), *where.glob("*.jsonl")])
    out = []
    for path in paths:
        if path.suffix == ".jsonl":
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if line.strip():
                    d = json.loads(line)
                    out.append((_Named(str(d.get("id") or f"{path.stem}:{i}")), d))
        else:
            out.append((path, json.loads(path.read_text(encoding="utf-8"))))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "dev"))
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    folder = Path(args.corpus)
    files = load(folder)
    if not files:
        print(f"no annotated articles in {folder}")
        return 1
    tp = fp = fn = 0
    kind_ok = 0
    rel_ok = 0
    rows = []
    for path, d in files:
        brief = brief_text(f"{d['title']}\n\n{d['text']}", source=path.name)
        gold = [(g, gold_names(g["name"])) for g in d.get("partners", [])]
        pred = [(p, predicted_names(p.name)) for p in brief.partners]
        matched_gold = set()
        f_tp = f_fp = 0
        for p, pn in pred:
            hit = next((i for i, (g, gn) in enumerate(gold) if i not in matched_gold and pn & gn), None)
            if hit is None:
                f_fp += 1
                if args.verbose:
                    print(f"  {path.name}: FP {p.name} ({p.kind}, {p.role})")
            else:
                matched_gold.add(hit)
                f_tp += 1
                kind_ok += gold[hit][0]["kind"] == p.kind
        f_fn = len(gold) - len(matched_gold)
        if args.verbose:
            for i, (g, _) in enumerate(gold):
                if i not in matched_gold:
                    print(f"  {path.name}: FN {g['name']} ({g['kind']})")
        tp, fp, fn = tp + f_tp, fp + f_fp, fn + f_fn
        rel_ok += brief.relevance.label == d["topic"]
        rows.append((path.name, f_tp, f_fp, f_fn, d["topic"], brief.relevance.label, brief.relevance.score))
    print(f"{'file':<12}{'TP':>4}{'FP':>4}{'FN':>4}  {'gold topic':<16}{'predicted':<16}score")
    for r in rows:
        print(f"{r[0]:<12}{r[1]:>4}{r[2]:>4}{r[3]:>4}  {r[4]:<16}{r[5]:<16}{r[6]:.2f}")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"\npartners: P={precision:.3f} R={recall:.3f} F1={f1:.3f}  (TP={tp} FP={fp} FN={fn}; "
          f"kind correct on {kind_ok}/{tp} matches)")
    print(f"relevance accuracy: {rel_ok}/{len(files)} = {rel_ok / len(files):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
