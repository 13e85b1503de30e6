"""Language detection, launch cues in five more languages, and the note for languages the analysis cannot read.
The articles are short texts written for these tests."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from bot import render
from briefings.analysis import language
from briefings.engine import brief_text
from briefings.analysis.language import CUES, ENGLISH_ONLY_NOTE, detect_language, language_notes, widen
from briefings.terminal.render import render_brief

PORTUGUESE = """Brasil assina acordo para lançamentos comerciais em Alcântara

O governo brasileiro assinou nesta quarta-feira um acordo com a empresa sul-coreana Innospace para realizar \
lançamentos comerciais a partir do Centro de Lançamento de Alcântara, no Maranhão. Segundo a Agência Espacial \
Brasileira, o primeiro lançamento de um foguete suborbital da empresa está previsto para o próximo ano.

O ministro da Ciência disse que a parceria vai atrair investimentos e empregos para a região. A base, próxima \
à linha do Equador, permite colocar satélites em órbita com menor gasto de combustível.

Outras empresas de lançamento também estão em negociações com a agência para usar a base."""

DUTCH = """Regering tekent overeenkomst voor raketlanceringen

De regering heeft een overeenkomst getekend met een bedrijf dat kleine raketten wil lanceren vanaf een eiland \
in het noorden. Het is de eerste keer dat het land een eigen lanceerplaats krijgt, en volgens de minister is dat \
een belangrijke stap voor de ruimtevaartsector. De eerste lancering wordt volgend jaar verwacht."""


@pytest.mark.parametrize("code, text", [
    ("en", "The agency said on Tuesday that the rocket will fly from the northern range later this year, and that "
           "the payload has been shipped."),
    ("fr", "Le gouvernement a signé un accord de coopération pour le lancement de satellites depuis la base, selon "
           "le ministre, et les premiers tirs sont prévus dans deux ans."),
    ("de", "Die Regierung hat ein Abkommen unterzeichnet, das den Start von Raketen von der Insel ermöglicht, und "
           "der erste Flug wird für das nächste Jahr erwartet."),
    ("es", "El gobierno firmó un acuerdo con la empresa para el lanzamiento de cohetes desde el puerto espacial, "
           "según el ministro, y el primer vuelo será el próximo año."),
    ("pt", "O governo assinou um acordo com a empresa para o lançamento de foguetes a partir da base, e o primeiro "
           "voo está previsto para o próximo ano, segundo a agência."),
    ("it", "Il governo ha firmato un accordo per il lancio di razzi dalla base di lancio, secondo il ministro della "
           "difesa, e il primo volo è previsto per il prossimo anno."),
    ("nl", "De regering heeft een overeenkomst getekend voor de lancering van raketten vanaf het eiland, en dat is "
           "niet voor het eerst."),
    ("ru", "Правительство подписало соглашение о запусках ракет с нового космодрома в следующем году, сообщило "
           "агентство."),
    ("ja", "政府は来年、新しい発射場からロケットを打ち上げる計画を発表しました。民間企業との協力も進めています。"),
])
def test_detects_the_language_from_the_words(code, text):
    assert detect_language(text) == code
    # the words beat a wrong page label
    assert detect_language(text, hint="sv" if code != "sv" else "en") == code


def test_metadata_decides_when_the_words_do_not():
    assert detect_language("Falcon 9, SES-9: T-0.", hint="pt-BR") == "pt"
    assert detect_language("Falcon 9, SES-9: T-0.") is None
    assert detect_language("Falcon 9, SES-9: T-0.", hint="not a code!") is None


def test_notes_only_for_languages_the_analysis_cannot_read():
    for code in ("en", "fr", "de", "es", "pt", "it", None):
        assert language_notes(code) == []
    assert language_notes("nl") == language_notes("ja") == [ENGLISH_ONLY_NOTE]


def test_cue_regexes_per_language():
    assert CUES["de"]["spaceport"].search("Der neue Weltraumbahnhof liegt im Norden")
    assert not CUES["de"]["launch"].search("der start ist unklar")  # German cues keep German capitalisation
    assert CUES["fr"]["launch"].search("le LANCEMENT est prévu")
    assert CUES["es"]["agreement"].search("firmaron un acuerdo")
    assert CUES["pt"]["spaceport"].search("o Centro de Lançamento de Alcântara")
    assert CUES["it"]["partner"].search("gli alleati europei")
    assert not CUES["pt"]["launch"].search("The launch went well")


def test_widen_keeps_the_english_regex_and_its_case_rules():
    english = re.compile(r"\b(?:launch(?:es)?|rocket)\b", re.I)
    wide = widen(english, "launch")
    assert wide.findall("LAUNCH of a Rocket, un lancement, ein Raketenstart, um foguete") == [
        "LAUNCH", "Rocket", "lancement", "Raketenstart", "foguete"]
    case_sensitive = widen(re.compile(r"\bRange\b"), "spaceport")
    assert case_sensitive.search("Range") and not case_sensitive.search("range")
    assert case_sensitive.search("puerto espacial")


def test_portuguese_launch_agreement_gets_partners_and_launch_policy():
    brief = brief_text(PORTUGUESE, source="t")
    assert brief.language == "pt"
    assert brief.notes == []
    assert brief.relevance.label == "launch-policy"
    names = {p.name: p for p in brief.partners}
    assert "Alcântara Launch Center" in names and names["Alcântara Launch Center"].kind == "spaceport"
    assert "Innospace" in names


def test_portuguese_cues_are_what_finds_the_partners():
    """A control: with its Portuguese launch and agreement words blanked out, the same article lists no launch
    site and is not launch-policy -- the entity names alone do not carry it, the multilingual cues do."""
    blanked = re.sub(r"(?i)lançamentos?|foguetes?|base|Centro de Lançamento de|suborbital|acordo|parceria|"
                     r"negociações|investimentos", "xyz", PORTUGUESE)
    brief = brief_text(blanked, source="t")
    assert "Alcântara Launch Center" not in {p.name for p in brief.partners}
    assert brief.relevance.label != "launch-policy"


def test_other_languages_get_a_plain_note_in_terminal_and_slack():
    brief = brief_text(DUTCH, source="t")
    assert brief.language == "nl"
    assert brief.notes == [ENGLISH_ONLY_NOTE]
    blocks = render.brief_message(brief).blocks
    assert any(ENGLISH_ONLY_NOTE in str(b) for b in blocks)
    out = io.StringIO()
    render_brief(brief, console=Console(file=out, width=200))
    assert ENGLISH_ONLY_NOTE in out.getvalue()


def test_slack_escapes_a_note():
    brief = brief_text(DUTCH, source="t").model_copy(update={"notes": ["<b>&</b>"]})
    text = str(render.brief_message(brief).blocks)
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in text and "<b>" not in text


def test_english_articles_carry_no_note():
    text = ("Rocket Lab launched an Electron rocket from Mahia in New Zealand on Tuesday, carrying a radar "
            "satellite for a Japanese customer. The company said the next flight is planned for next month.")
    brief = brief_text(text, source="t")
    assert brief.language == "en" and brief.notes == []
    assert language.READ[0] == "en"


def test_relevance_reads_the_multilingual_cues_only_in_texts_with_accents():
    from briefings.analysis.language import WidenedByText

    rx = WidenedByText(re.compile(r"\b(?:launch|rocket)\b", re.I), "launch", "spaceport")
    assert rx.findall("O lançamento do foguete") == ["lançamento", "foguete"]
    assert rx.findall("A rocket launch, sem acento: foguete") == ["rocket", "launch"]  # plain English speed
    assert rx.search("Le lancement de la fusée").group(0) == "lancement"
