"""bench/quality.py scores as ../shared/corpus/ANNOTATION.md says; the corpus figures hold (skipped without it)."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from briefings.models import Brief, Partner, Quote, Relevance

from .conftest import ROOT, SHARED

_spec = importlib.util.spec_from_file_location("quality_bench", ROOT / "bench" / "quality.py")
quality = importlib.util.module_from_spec(_spec)
sys.modules["quality_bench"] = quality
_spec.loader.exec_module(quality)


def _brief(partners: list[Partner], quotes: list[Quote] | None = None, label: str = "launch-policy") -> Brief:
    return Brief(title="t", source="t", url=None, published=None, language="en", tldr=None, summary=[],
                 partners=partners, quotes=quotes or [], people=[], relevance=Relevance(label=label, score=0.9),
                 event_types=[], word_count=10, sentence_count=1, engine_version="test")


def _p(name: str, kind: str, family: str = "partner", country: str | None = None, key: str | None = None):
    return Partner(name=name, kind=kind, role=family, role_family=family, country=country, key=key, evidence=[])


GOLD = {
    "topic": "launch-policy",
    "partners": [
        {"name": "Northrop Grumman", "kind": "company", "role": "launch provider (Minotaur)",
         "aliases": ["Orbital ATK"]},
        {"name": "Cape Canaveral", "kind": "spaceport", "role": "launch site"},
        {"name": "United States", "kind": "country", "role": "host nation"},
        {"name": "SES", "kind": "company", "role": "launch customer (owner of SES-9)"},
    ],
    "acceptable": [{"name": "Boeing", "kind": "company", "role": "payload manufacturer"}],
    "not_partners": [{"name": "Federal Aviation Administration", "kind": "agency", "role": "regulator"}],
    "quotes": [{"speaker": "Elon Musk", "text": "Didn't expect this one to work"},
               {"speaker": "SpaceX", "text": "a successful landing is not expected on this mission"}],
}


def test_aliases_kb_names_iso_codes_acceptable_and_not_partners():
    brief = _brief([
        _p("Northrop Grumman", "company", "launch provider", key="company:Northrop Grumman"),  # gold alias
        _p("Cape Canaveral Space Force Station", "spaceport", "launch site",
           key="spaceport:Cape Canaveral Space Force Station"),  # matches through the KB's alias "Cape Canaveral"
        _p("USA", "country", "host nation", country="US"),  # a country matches by ISO code, whatever its name
        _p("Boeing", "company", "partner"),  # acceptable: neither way
        _p("Federal Aviation Administration", "agency", "partner"),  # a not_partner: false positive
        _p("Acme Rockets", "company", "launch provider"),  # matches nothing: false positive
    ])
    s = quality.score_article(GOLD, brief, "x")
    assert (s.tp, s.fp, s.fn) == (3, 2, 1)  # SES missed
    assert s.fam_ok == 3
    assert any("FP Federal Aviation Administration" in d and "not_partner" in d for d in s.details)
    assert any("FN SES" in d for d in s.details)


def test_role_family_is_scored_against_the_gold_role_text():
    brief = _brief([_p("SES", "company", "launch provider"), _p("Cape Canaveral", "spaceport", "launch site")])
    s = quality.score_article(GOLD, brief, "x")
    assert s.tp == 2 and s.fam_ok == 1
    assert quality.gold_families("launch provider and launch customer (its own satellites)", "company") == {
        "launch provider", "launch customer"}
    assert quality.gold_families("range support (contracted for tracking)", "company") == {"support / funder"}
    assert quality.gold_families("emerging spaceport nation in talks", "country") == {"partner"}
    assert quality.gold_families("", "spaceport") == {"launch site"}


def test_a_country_does_not_match_an_organisation_of_that_country():
    gold = {"topic": "launch-policy", "partners": [{"name": "Canada", "kind": "country", "role": "launch customer"}]}
    s = quality.score_article(gold, _brief([_p("Canadian Space Agency", "agency", "launch customer", "CA")]), "x")
    assert (s.tp, s.fp, s.fn) == (0, 1, 1)


def test_quote_speakers_match_by_overlap_then_loose_name():
    quotes = [Quote(speaker="Musk", text="Didn’t expect this one to work", sentence_index=3),
              Quote(speaker="Gwynne Shotwell", text="A successful landing is not expected on this mission.",
                    sentence_index=5)]
    s = quality.score_article(GOLD, _brief([], quotes), "x")
    assert (s.q_gold, s.q_matched, s.q_right) == (2, 2, 1)
    assert quality.speakers_agree("Elon Musk", "Musk")
    assert quality.speakers_agree("Space Exploration Technologies", "SpaceX")  # one organisation, KB alias
    assert not quality.speakers_agree("Elon Musk", None)


def test_relevance_and_a_folder_of_exported_corrections(tmp_path, capsys):
    folder = tmp_path / "corrections"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps({
        "title": "SpaceX launches SES satellite", "topic": "launch-policy",
        "text": "A SpaceX Falcon 9 launched the SES-22 satellite for SES from Cape Canaveral on Thursday.",
        "partners": [{"name": "SpaceX", "kind": "company", "role": "launch provider"},
                     {"name": "SES", "kind": "company", "role": "launch customer"},
                     {"name": "Cape Canaveral", "kind": "spaceport", "role": "launch site"}]}), encoding="utf-8")
    (folder / "broken.json").write_text("{not json", encoding="utf-8")
    assert quality.main(["--folder", str(folder), "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "broken.json: skipped" in out
    assert "partners P=1.00 R=1.00 F1=1.00" in out and "relevance 1/1" in out and "role family 3/3" in out


def test_an_empty_folder_is_a_plain_message(tmp_path, capsys):
    assert quality.main(["--folder", str(tmp_path)]) == 1
    assert "no annotated articles" in capsys.readouterr().out


@pytest.mark.skipif(not (SHARED / "corpus" / "dev_news").exists(), reason="../shared/corpus is not present")
def test_corpus_figures_and_cross_validation(capsys):
    assert quality.main(["--cv"]) == 0
    out = capsys.readouterr().out
    overall = next(line for line in out.splitlines() if line.startswith("overall"))
    f1 = float(overall.split("F1=")[1].split()[0])
    rel = float(overall.split("relevance ")[1].split("= ")[1].split()[0])
    assert f1 >= 0.85 and rel >= 0.9, overall
    assert "leave-one-source-out" in out and "leave-one-article-out" in out
    assert "have no fitted numbers" in out and "partner F1" in out
