"""Brief quality on annotated articles, scored as ../shared/corpus/ANNOTATION.md says.

Per folder and overall:
  * partner precision / recall / F1: a listed partner matching a gold ``partners`` entry is a true positive;
    one matching ``acceptable`` counts neither way; one matching ``not_partners`` (``other_entities`` in older
    files) or nothing is a false positive. Gold names match with their ``aliases`` (and "A (B)" / "A / B"
    alternatives); a predicted name matches with every name, alias and former name the knowledge base holds
    for it; countries match by ISO 3166 code;
  * role-family accuracy on matched partners: the gold ``role`` text mapped to a family (partner, launch
    provider, launch site, host nation, launch customer, support / funder); right when the brief's family is
    one the gold text names;
  * relevance accuracy (``topic`` vs ``brief.relevance.label``);
  * quote-speaker accuracy: each gold quote is matched to a predicted quote by word overlap; its speaker is
    right when the names agree loosely (same surname, or the same organisation by knowledge-base alias).

``--cv`` reports cross-validated figures for what is tuned numerically: the two relevance thresholds, chosen
by grid search on the training part of each split (leave one source out: dev vs dev_news; and leave one
article out), scored on the held-out part. Partner rules have no fitted numbers (said so in the output).

Usage: python bench/quality.py [--folder DIR ...] [--verbose] [--cv]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefings.analysis import relevance as relevance_mod  # noqa: E402
from briefings.engine import analyse  # noqa: E402
from briefings.intake.extract import extract_text  # noqa: E402
from briefings.analysis.kb import load_kb  # noqa: E402
from briefings.models import Brief  # noqa: E402

def _corpus() -> Path:
    """../shared/corpus beside the checkout (or beside its parent, for a git worktree under wt/)."""
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared" / "corpus").is_dir():
            return base / "shared" / "corpus"
    return ROOT.parent / "shared" / "corpus"


CORPUS = _corpus()
DEFAULT_FOLDERS = [CORPUS / "dev", CORPUS / "dev_news"]


def norm(s: str) -> str:
    s = s.lower().replace("’", "'")
    s = re.sub(r"^the\s+|\bthe\s+", " ", s)
    return re.sub(r"[^a-z0-9øåäöéü]+", " ", s).strip()


def _alternatives(name: str) -> set[str]:
    parts = {name}
    m = re.match(r"^(.*?)\s*\((.*)\)\s*$", name)
    if m:
        parts |= {m.group(1), m.group(2)}
    for p in list(parts):
        parts |= {x.strip() for x in re.split(r"\s*/\s*", p) if x.strip()}
    return {norm(p) for p in parts if p}


@lru_cache(maxsize=1)
def _surfaces_by_key() -> dict[str, set[str]]:
    kb = load_kb()
    out: dict[str, set[str]] = {}
    for surface, (key, via_vehicle) in kb._surface.items():
        if not via_vehicle:
            out.setdefault(key, set()).add(norm(surface))
    for key, ent in kb.entities.items():
        out.setdefault(key, set()).add(norm(ent.name))
        out[key] |= {norm(n) for n in getattr(ent, "former_names", []) or []}
    return out


def country_code(name: str, kind: str | None = None) -> str | None:
    """ISO code of a country name (gold side), via the knowledge base's country names."""
    if kind not in (None, "country"):
        return None
    kb = load_kb()
    for alt in [name, *re.split(r"\s*[/(),]\s*", name)]:
        ent = kb.by_name(alt.strip()) if alt.strip() else None
        if ent is not None and ent.kind == "country":
            return ent.country
    return None


@dataclass
class GoldEntity:
    name: str
    kind: str
    role: str
    names: set[str]
    code: str | None


def gold_entities(entries: list[dict]) -> list[GoldEntity]:
    out = []
    for g in entries:
        names = _alternatives(g["name"])
        for a in g.get("aliases", []) or []:
            names |= _alternatives(a)
        out.append(GoldEntity(g["name"], g.get("kind", ""), g.get("role", ""), names,
                              country_code(g["name"], g.get("kind"))))
    return out


def predicted_names(p) -> set[str]:
    names = {norm(p.name)}
    key = getattr(p, "key", None)
    if key:
        names |= _surfaces_by_key().get(key, set())
    else:
        ent = load_kb().by_name(p.name)
        if ent is not None:
            names |= _surfaces_by_key().get(ent.key, set())
    return names


def matches(p, g: GoldEntity, pnames: set[str]) -> bool:
    if p.kind == "country" or g.kind == "country":
        if p.kind == "country" and g.code:
            return p.country == g.code
        if p.kind == "country" or g.kind == "country":
            return False
    return bool(pnames & g.names)


# Gold role text -> families it names. Order matters only for overlapping phrases ("range support" before
# "range"); a role naming two families ("launch provider and launch customer") accepts either.
_FAMILY_CUES: list[tuple[str, re.Pattern]] = [
    ("support / funder", re.compile(r"range support|funder|funding|spaceport operator|\bsupport\b|tracking", re.I)),
    ("host nation", re.compile(r"host nation|host country", re.I)),
    ("launch customer", re.compile(r"launch customer|customer|payload owner|owner of|contract awarder|"
                                   r"provided the \w+ payload", re.I)),
    ("launch provider", re.compile(r"launch provider|rocket supplier|provider|launcher developer", re.I)),
    ("launch site", re.compile(r"launch site|launch/test site|spaceport(?! nation)|\brange\b|test site|"
                               r"cosmodrome", re.I)),
    ("partner", re.compile(r"partner|agreement|co-?operat|joint venture|in talks|spaceport nation", re.I)),
]


def gold_families(role: str, kind: str) -> set[str]:
    fams = set()
    for fam, rx in _FAMILY_CUES:
        if rx.search(role):
            fams.add(fam)
    if "support / funder" in fams and re.search(r"range support", role, re.I):
        fams.discard("launch site")
    if not fams:
        fams.add({"spaceport": "launch site", "country": "host nation"}.get(kind, "partner"))
    return fams


def _words(s: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", s.lower().replace("’", "'")))


def quote_overlap(a: str, b: str) -> float:
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


def speakers_agree(gold: str, pred: str | None) -> bool:
    if not pred:
        return False
    g, p = norm(gold), norm(pred)
    if g == p or (g and p and (g in p or p in g)):
        return True
    gt, pt = g.split(), p.split()
    if gt and pt and gt[-1] == pt[-1] and len(gt[-1]) > 2:
        return True
    kb = load_kb()
    ge, pe = kb.by_name(gold.strip()), kb.by_name(pred.strip())
    return ge is not None and pe is not None and ge.key == pe.key


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    fam_ok: int = 0
    rel_ok: int = 0
    articles: int = 0
    q_gold: int = 0
    q_matched: int = 0
    q_right: int = 0
    details: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in ("tp", "fp", "fn", "fam_ok", "rel_ok", "articles", "q_gold", "q_matched", "q_right"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def prf(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    def line(self, label: str) -> str:
        p, r, f1 = self.prf()
        fam = f"{self.fam_ok}/{self.tp} = {self.fam_ok / self.tp:.2f}" if self.tp else "n/a"
        rel = f"{self.rel_ok}/{self.articles} = {self.rel_ok / self.articles:.2f}" if self.articles else "n/a"
        q = (f"{self.q_right}/{self.q_gold} = {self.q_right / self.q_gold:.2f} (matched {self.q_matched})"
             if self.q_gold else "n/a")
        return (f"{label:<10} partners P={p:.2f} R={r:.2f} F1={f1:.2f} (TP {self.tp} FP {self.fp} FN {self.fn})"
                f" | role family {fam} | relevance {rel} | quote speakers {q}")


def load_gold(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def article_text(d: dict) -> str:
    title = (d.get("title") or "").strip()
    return f"{title}\n\n{d['text']}" if title else d["text"]


def brief_for(d: dict, name: str) -> Brief:
    """The brief as the bot would make it from the fetched page: text and title, plus the page's URL and
    site name (the annotation's ``source``) where the file has them."""
    article = extract_text(article_text(d), source=name)
    update = {k: v for k, v in (("url", d.get("url")), ("site_name", d.get("source"))) if isinstance(v, str)}
    return analyse(article.model_copy(update=update))


def score_article(d: dict, brief: Brief, name: str) -> Score:
    s = Score(articles=1)
    gold = gold_entities(d.get("partners", []))
    ok = gold_entities(d.get("acceptable", []))
    bad = gold_entities(d.get("not_partners", d.get("other_entities", [])))
    matched: set[int] = set()
    for p in brief.partners:
        pn = predicted_names(p)
        fam = getattr(p, "role_family", None)
        hit = next((i for i, g in enumerate(gold) if i not in matched and matches(p, g, pn)), None)
        if hit is not None:
            matched.add(hit)
            s.tp += 1
            fams = gold_families(gold[hit].role, gold[hit].kind)
            if fam in fams:
                s.fam_ok += 1
            else:
                s.details.append(f"  {name}: ROLE {p.name}: {fam!r} ({p.role}) vs gold {sorted(fams)} "
                                 f"({gold[hit].role[:60]})")
        elif any(matches(p, g, pn) for g in ok):
            continue
        else:
            s.fp += 1
            why = "not_partner" if any(matches(p, g, pn) for g in bad) else "unannotated"
            s.details.append(f"  {name}: FP {p.name} ({p.kind}, {fam}: {p.role}) [{why}]")
    for i, g in enumerate(gold):
        if i not in matched:
            s.fn += 1
            s.details.append(f"  {name}: FN {g.name} ({g.kind}, {g.role[:50]})")
    s.rel_ok = int(brief.relevance.label == d.get("topic"))
    if not s.rel_ok:
        s.details.append(f"  {name}: TOPIC gold {d.get('topic')} predicted {brief.relevance.label} "
                         f"({brief.relevance.score:.2f})")
    for q in d.get("quotes", []) or []:
        s.q_gold += 1
        best = max(brief.quotes, key=lambda pq: quote_overlap(q["text"], pq.text), default=None)
        if best is None or quote_overlap(q["text"], best.text) < 0.5:
            s.details.append(f"  {name}: QUOTE missed ({q['speaker']}): {q['text'][:50]!r}")
            continue
        s.q_matched += 1
        if speakers_agree(q["speaker"], best.speaker):
            s.q_right += 1
        else:
            s.details.append(f"  {name}: QUOTE speaker {best.speaker!r} vs gold {q['speaker']!r}")
    return s


def folder_files(folder: Path) -> list[tuple[str, dict]]:
    """(name, annotated article) pairs: a folder of ``*.json`` / ``*.jsonl`` files, or one ``.jsonl`` file such as
    `launchbrief corrections export` writes (one annotated article a line)."""
    paths = [folder] if folder.is_file() else sorted(p for p in [*folder.glob("*.json"), *folder.glob("*.jsonl")]
                                                     if p.is_file())
    out: list[tuple[str, dict]] = []
    for path in paths:
        try:
            if path.suffix == ".jsonl":
                for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                    if line.strip():
                        d = json.loads(line)
                        out.append((str(d.get("id") or f"{path.stem}-{i}"), d))
            else:
                out.append((path.name, load_gold(path)))
        except Exception as exc:  # a bad file is reported, never fatal to the run
            print(f"  {path.name}: skipped ({type(exc).__name__}: {exc})")
    return out


# ---- cross-validation of the tuned relevance thresholds ------------------------------------------------

GRID_MIN = [0.4, 0.6, 0.8, 1.0, 1.2, 1.5, 2.0]  # density_min: with a launch headline
GRID_STRONG = [2.0, 2.5, 3.0, 3.5, 4.0, 5.0]  # density_strong: on its own


def _relabel(feat: dict, density_min: float, density_strong: float) -> str:
    return relevance_mod.label_for(feat, density_min=density_min, density_strong=density_strong)


def _best_params(train: list[tuple[dict, str]]) -> tuple[float, float]:
    best, best_acc = (relevance_mod.DENSITY_MIN, relevance_mod.DENSITY_STRONG), -1.0
    for sm in GRID_MIN:
        for dm in GRID_STRONG:
            acc = sum(_relabel(f, sm, dm) == gold for f, gold in train) / max(len(train), 1)
            # ties go to the first (lowest) grid point: the shipped defaults get no advantage
            if acc > best_acc:
                best, best_acc = (sm, dm), acc
    return best


def cross_validate(items: list[tuple[str, str, dict, str]]) -> None:
    """items: (folder label, file name, relevance features, gold topic)."""
    print("\ncross-validation (what is tuned: the relevance thresholds density_min and density_strong; "
          "the partner analysis's two numbers are cross-validated below; its word lists and rules, and the "
          "headline word lists of relevance, have no fitted numbers: they were written while reading dev and "
          "dev_news, so the figures above are development figures, not held-out ones)")
    sources = sorted({it[0] for it in items})
    total_ok = total = 0
    for held in sources:
        train = [(f, g) for src, _, f, g in items if src != held]
        test = [(f, g) for src, _, f, g in items if src == held]
        sm, dm = _best_params(train)
        ok = sum(_relabel(f, sm, dm) == g for f, g in test)
        total_ok, total = total_ok + ok, total + len(test)
        print(f"  leave-one-source-out: train without {held}, thresholds ({sm}, {dm}) -> "
              f"{held} relevance {ok}/{len(test)} = {ok / max(len(test), 1):.2f}")
    if len(sources) > 1:
        print(f"  leave-one-source-out overall relevance {total_ok}/{total} = {total_ok / max(total, 1):.2f}")
    ok = 0
    for i, (_, _, f, g) in enumerate(items):
        train = [(ff, gg) for j, (_, _, ff, gg) in enumerate(items) if j != i]
        sm, dm = _best_params(train)
        ok += _relabel(f, sm, dm) == g
    print(f"  leave-one-article-out relevance {ok}/{len(items)} = {ok / max(len(items), 1):.2f}")
    shipped = sum(_relabel(f, relevance_mod.DENSITY_MIN, relevance_mod.DENSITY_STRONG) == g for _, _, f, g in items)
    print(f"  shipped thresholds ({relevance_mod.DENSITY_MIN}, {relevance_mod.DENSITY_STRONG}) on all: "
          f"{shipped}/{len(items)}")


# ---- cross-validation of the partner analysis's two numbers -------------------------------------------

GRID_LEAD = [4, 6, 8, 10, 14, 20]  # partners._LEAD_SENTENCES: where a launch's customer must be named
GRID_NEAR = [60, 100, 160, 100000]  # partners._NEAR: characters between partnership talk and its mention


def _partner_counts(docs: list[tuple[str, str, dict]]) -> dict[tuple[int, int], list[tuple[int, int, int]]]:
    """(lead, near) -> per-article (tp, fp, fn), the partner analysis run once per grid point."""
    from briefings.analysis import partners as partners_mod
    saved = (partners_mod._LEAD_SENTENCES, partners_mod._NEAR)
    out: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    try:
        for lead in GRID_LEAD:
            for near in GRID_NEAR:
                partners_mod._LEAD_SENTENCES, partners_mod._NEAR = lead, near
                rows = []
                for _src, name, d in docs:
                    sc = score_article(d, brief_for(d, name), name)
                    rows.append((sc.tp, sc.fp, sc.fn))
                out[(lead, near)] = rows
    finally:
        partners_mod._LEAD_SENTENCES, partners_mod._NEAR = saved
    return out


def _f1(rows: list[tuple[int, int, int]]) -> float:
    tp, fp, fn = (sum(r[i] for r in rows) for i in range(3))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def cross_validate_partners(docs: list[tuple[str, str, dict]]) -> None:
    from briefings.analysis import partners as partners_mod
    counts = _partner_counts(docs)
    shipped = (partners_mod._LEAD_SENTENCES, partners_mod._NEAR)
    print(f"\ncross-validation of the partner analysis's numbers (lead sentences for customers, characters "
          f"between partnership talk and its mention); shipped {shipped}, grid {len(counts)} points")

    def best(train_idx: list[int]) -> tuple[int, int]:
        return max(counts, key=lambda k: (_f1([counts[k][i] for i in train_idx]), -GRID_LEAD.index(k[0]),
                                          -GRID_NEAR.index(k[1])))

    held_rows: list[tuple[int, int, int]] = []
    for src in sorted({d[0] for d in docs}):
        test = [i for i, d in enumerate(docs) if d[0] == src]
        train = [i for i, d in enumerate(docs) if d[0] != src]
        if not train:
            continue
        k = best(train)
        rows = [counts[k][i] for i in test]
        held_rows += rows
        print(f"  leave-one-source-out: train without {src}, chose {k} -> {src} partner F1 {_f1(rows):.2f}")
    if held_rows:
        print(f"  leave-one-source-out overall partner F1 {_f1(held_rows):.2f}")
    loo = [counts[best([j for j in range(len(docs)) if j != i])][i] for i in range(len(docs))]
    print(f"  leave-one-article-out partner F1 {_f1(loo):.2f}; shipped values on all: {_f1(counts[shipped]):.2f}"
          if shipped in counts else f"  leave-one-article-out partner F1 {_f1(loo):.2f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folder", action="append", default=None,
                    help="folder of annotated JSON articles (repeatable); default: corpus dev and dev_news")
    ap.add_argument("--corpus", help=argparse.SUPPRESS)  # older spelling of --folder
    ap.add_argument("--verbose", action="store_true", help="list FP / FN / role / topic / quote errors per file")
    ap.add_argument("--cv", action="store_true", help="cross-validated figures for the tuned thresholds")
    args = ap.parse_args(argv)
    folders = [Path(f) for f in (args.folder or ([args.corpus] if args.corpus else DEFAULT_FOLDERS))]
    overall = Score()
    cv_items: list[tuple[str, str, dict, str]] = []
    cv_docs: list[tuple[str, str, dict]] = []
    any_files = False
    for folder in folders:
        files = folder_files(folder)
        if not files:
            print(f"{folder}: no annotated articles (skipped)")
            continue
        any_files = True
        total = Score()
        for fname, d in files:
            try:
                brief = brief_for(d, fname)
            except Exception as exc:  # a bad file is reported, never fatal to the run
                print(f"  {fname}: skipped ({type(exc).__name__}: {exc})")
                continue
            s = score_article(d, brief, Path(fname).stem[:48])
            total.add(s)
            if args.verbose:
                for line in s.details:
                    print(line)
            if args.cv:
                cv_docs.append((folder.name, fname, d))
            if args.cv and "topic" in d:
                art = extract_text(article_text(d), source=fname)
                feat = relevance_mod.features(art.text, art.title, load_kb().find(art.text))
                cv_items.append((folder.name, fname, feat, d["topic"]))
        print(total.line(folder.name))
        overall.add(total)
    if not any_files:
        print("no annotated articles found")
        return 1
    if len(folders) > 1:
        print(overall.line("overall"))
    if args.cv:
        cross_validate(cv_items)
        cross_validate_partners(cv_docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
