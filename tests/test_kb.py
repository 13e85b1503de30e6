"""The knowledge base: schema, load-time checks, the own-side relation, coverage and languages."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from briefings.analysis.kb import HERE, KnowledgeBaseError, load_kb

from .conftest import SHARED


@pytest.fixture(scope="module")
def kb():
    return load_kb()


def _names(kb, keys):
    return {kb.entities[k].name for k in keys}


# --- own side: parents and former names -------------------------------------------------------------------

def test_unit_chain_to_department(kb):
    sld45 = kb.by_name("SLD 45")
    chain = [kb.entities[k].name for k in kb.ancestors(sld45.key)]
    assert chain[0] == "Space Systems Command"
    assert chain.index("US Space Force") < chain.index("Department of Defense")
    assert chain[-1] == "Department of Defense"


def test_space_force_own_side_stops_at_departments(kb):
    side = _names(kb, kb.own_side(kb.by_name("Space Force").key))
    assert {"US Space Force", "Department of Defense", "Space Systems Command", "Space Test Program",
            "Space Launch Delta 45"} <= side
    # the departments are in the chain, but their other branches are not the Space Force's own side
    assert "US Air Force" not in side and "National Reconnaissance Office" not in side
    # and the Air Force's own side does not hold the Space Force's units
    assert "Space Launch Delta 45" not in _names(kb, kb.own_side(kb.by_name("USAF").key))


def test_department_own_side_reaches_down(kb):
    dod = kb.by_name("Department of Defense").key
    assert {"US Space Force", "US Air Force", "Space Launch Delta 30"} <= _names(kb, kb.descendants(dod))
    assert kb.own_side(dod) >= kb.descendants(dod)


def test_subsidiary_and_parent_company(kb):
    side = _names(kb, kb.own_side(kb.by_name("Arianespace").key))
    assert "ArianeGroup" in side
    assert "Airbus Defence and Space" not in side  # a shareholder is not modelled as a parent


@pytest.mark.parametrize("former, successor", [
    ("Orbital ATK", "Northrop Grumman"),
    ("Space and Missile Systems Center", "Space Systems Command"),
    ("SMC", "Space Systems Command"),
    ("45th Space Wing", "Space Launch Delta 45"),
])
def test_former_name_maps_to_successor_and_keeps_surface(kb, former, successor):
    text = f"In 2017 the {former} signed the contract."
    (m,) = kb.find(text)
    assert m.entity.name == successor
    assert m.surface == former and text[m.start:m.end] == former
    assert m.via_former_name and not m.via_vehicle


def test_current_name_is_not_former(kb):
    (m,) = kb.find("Space Systems Command awarded it.")
    assert not m.via_former_name


def test_operator_is_company_with_segment(kb):
    ses = kb.by_name("SES")
    assert ses.kind == "company" and ses.service == "operator" and ses.segment == "communications"
    inmarsat = kb.by_name("Inmarsat")
    assert kb.entities[inmarsat.parent].name == "Viasat"


# --- load-time checks -------------------------------------------------------------------------------------

@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A copy of the bundled TOML files to break one way at a time."""
    for f in HERE.glob("*.toml"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")


def test_copy_loads_like_the_default(kb_dir, kb):
    assert set(load_kb(kb_dir).entities) == set(kb.entities)


def test_unknown_key_fails(kb_dir):
    _append(kb_dir / "organisations.toml",
            '[[org]]\nname = "Test Agency"\nkind = "agency"\nalias = ["TA"]\n')
    with pytest.raises(KnowledgeBaseError, match=r"Test Agency.*alias"):
        load_kb(kb_dir)


def test_unknown_table_fails(kb_dir):
    _append(kb_dir / "providers.toml", '[[providers]]\nname = "X"\n')
    with pytest.raises(KnowledgeBaseError, match="unknown table"):
        load_kb(kb_dir)


def test_broken_spaceport_reference_fails(kb_dir):
    _append(kb_dir / "providers.toml", '[[provider]]\nname = "Test Launch Co"\ncountry = "US"\n'
            'service = "launch"\nspaceports = ["Nowhere Spaceport"]\n')
    with pytest.raises(KnowledgeBaseError, match="Nowhere Spaceport"):
        load_kb(kb_dir)


def test_broken_parent_reference_fails(kb_dir):
    _append(kb_dir / "operators.toml", '[[operator]]\nname = "Test Sat Co"\nsegment = "communications"\n'
            'parent = "No Such Holding"\n')
    with pytest.raises(KnowledgeBaseError, match="No Such Holding"):
        load_kb(kb_dir)


def test_parent_cycle_fails(kb_dir):
    _append(kb_dir / "organisations.toml",
            '[[org]]\nname = "Unit A"\nkind = "military"\nparent = "Unit B"\n\n'
            '[[org]]\nname = "Unit B"\nkind = "military"\nparent = "Unit A"\n')
    with pytest.raises(KnowledgeBaseError, match="cycle"):
        load_kb(kb_dir)


@pytest.mark.parametrize("record", [
    # an alias that another entity already uses
    '[[provider]]\nname = "Test Launch Co"\naliases = ["ULA"]\ncountry = "US"\nservice = "launch"\n',
    # a name used twice
    '[[operator]]\nname = "SpaceX"\nsegment = "constellation"\n',
    # a former name that is another entity's vehicle
    '[[operator]]\nname = "Test Sat Co"\nformer_names = ["Falcon 9"]\nsegment = "constellation"\n',
])
def test_duplicate_surface_fails(kb_dir, record):
    _append(kb_dir / "operators.toml" if "operator" in record else kb_dir / "providers.toml", record)
    with pytest.raises(KnowledgeBaseError, match="names both|duplicate name"):
        load_kb(kb_dir)


def test_case_differs_is_not_a_collision(kb_dir):
    _append(kb_dir / "operators.toml", '[[operator]]\nname = "Test Sat Co"\naliases = ["Ula"]\n'
            'segment = "constellation"\n')
    kb2 = load_kb(kb_dir)
    assert kb2.find("Ula said")[0].entity.name == "Test Sat Co"


def test_invalid_country_fails(kb_dir):
    _append(kb_dir / "spaceports.toml", '[[spaceport]]\nname = "Test Pad"\ncountry = "XX"\noperator = "Nobody"\n'
            'status = "planned"\norbits = ["LEO"]\n')
    with pytest.raises(KnowledgeBaseError, match="Test Pad.*XX"):
        load_kb(kb_dir)


def test_missing_directory_fails(tmp_path):
    with pytest.raises(KnowledgeBaseError):
        load_kb(tmp_path / "absent")


def test_default_is_cached():
    assert load_kb() is load_kb()


# --- coverage -------------------------------------------------------------------------------------------

def test_coverage_counts(kb):
    ents = list(kb.entities.values())
    assert sum(e.kind == "spaceport" for e in ents) >= 70
    national = [e for e in ents if e.kind == "agency" and e.country and not e.department and not e.parent]
    assert len({e.country for e in national}) >= 60  # one agency per nation counts once
    assert sum(e.kind == "company" and e.service == "launch" for e in ents) >= 100
    assert sum(e.service == "operator" for e in ents) >= 50
    # spaceport authorities of US states
    assert {"Space Florida", "New Mexico Spaceport Authority", "Virginia Spaceport Authority",
            "Alaska Aerospace Corporation", "Oklahoma Space Industry Development Authority"} <= {e.name for e in ents}


def test_every_cross_reference_resolves(kb):
    ports = {e.name for e in kb.entities.values() if e.kind == "spaceport"}
    for e in kb.entities.values():
        assert set(e.spaceports) <= ports, e.name
        if e.parent:
            assert e.parent in kb.entities, e.name
            assert e.key not in kb.ancestors(e.key), e.name


def test_allied_military_space_commands_have_parents(kb):
    for name, ancestor in [("UK Space Command", "UK Ministry of Defence"),
                           ("Commandement de l'espace", "French Ministry of the Armed Forces"),
                           ("Weltraumkommando der Bundeswehr", "German Federal Ministry of Defence"),
                           ("JASDF Space Operations Group", "Japan Ministry of Defense"),
                           ("Defence Space Command", "Australian Department of Defence"),
                           ("3 Canadian Space Division", "Department of National Defence"),
                           ("NATO Space Centre", "NATO")]:
        ent = kb.by_name(name)
        assert ent is not None and ent.kind == "military", name
        assert ancestor in _names(kb, kb.ancestors(ent.key)), name


def test_names_lists_aliases_and_former_names(kb):
    names = kb.names(kb.by_name("Northrop Grumman").key)
    assert names[0] == "Northrop Grumman" and "Orbital ATK" in names
    assert "Antares" not in names  # vehicles find the provider but are not its names


def test_satellite_names_find_their_operator(kb):
    # a payload is often named after its owner: "SES-9", "Intelsat 33e"
    found = {m.entity.name for m in kb.find("Falcon 9 launched SES-9, then Intelsat 33e and Thaicom-8.")}
    assert {"SES", "Intelsat", "Thaicom", "SpaceX"} <= found


def test_gazetteer_stays_fast(kb):
    words = ("The rocket lifted off from Cape Canaveral carrying a satellite for SES while the European "
             "Space Agency and Roscosmos watched from Baikonur as prices fell ").split()
    text = " ".join(words[i % len(words)] for i in range(5000))
    kb.find(text)
    t0 = time.perf_counter()
    for _ in range(5):
        mentions = kb.find(text)
    per_call = (time.perf_counter() - t0) / 5
    assert len(mentions) > 500
    assert per_call < 0.05, per_call  # a few ms on a quiet machine; generous for a shared one


# --- languages ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("La France et l’Allemagne signent avec l'Agence spatiale européenne un accord pour lancer depuis le "
     "Centre spatial guyanais, en Guyane.",
     {"France", "Germany", "European Space Agency", "Guiana Space Centre"}),
    ("Deutschlands Raumfahrtagentur DLR und das Weltraumkommando der Bundeswehr prüfen Starts von Andøya in "
     "Norwegen mit der Europäischen Weltraumorganisation.",
     {"Germany", "German Aerospace Center", "Bundeswehr Space Command", "Andøya Spaceport", "Norway"}),
    ("España y Corea del Sur firman con la Agencia Espacial Mexicana un acuerdo de lanzamiento.",
     {"Spain", "South Korea", "Mexican Space Agency"}),
    ("A Agência Espacial Portuguesa e o Reino Unido querem lançar a partir dos Açores.",
     {"Portugal Space", "United Kingdom", "Portugal"}),
    ("L'Agenzia Spaziale Italiana e la Germania collaborano con gli Stati Uniti e il Giappone.",
     {"Italian Space Agency", "Germany", "United States", "Japan"}),
])
def test_non_english_names(kb, text, expected):
    found = {m.entity.name for m in kb.find(text)}
    assert expected <= found, expected - found


def test_translated_names_skip_english_words(kb):
    # German "Island" is Iceland, French "Maurice" is Mauritius: as English text they are a word and a name
    for word in ["Island", "Islands", "Maurice", "Dominique", "Granada", "Chad", "Man", "Jersey", "Israël"]:
        assert not any(m.surface == word for m in kb.find(f"On the {word} we met {word} today.")), word
    assert kb.by_name("Islande").name == "Iceland"
    assert kb.by_name("Nordkorea").name == "North Korea"  # inverted ISO names come in natural order too
    assert kb.by_name("République de Corée").name == "South Korea"


def test_translations_never_take_another_entitys_name(kb):
    for surface in kb._translated:
        key, _ = kb._surface[surface]
        assert key.startswith("country:"), surface
    # an English name of one country is never reassigned by another's translation
    assert kb.by_name("Congo").key == "country:CG"


_CORPUS = SHARED / "corpus"


@pytest.mark.skipif(not (_CORPUS / "dev_news").is_dir(), reason="../shared/corpus is not present")
def test_translations_are_silent_on_english_news(kb):
    """Foreign-language country names never fire on English articles (they would be names or words there:
    "Stéphane Israël" is a person)."""
    import json

    texts = [json.loads(f.read_text(encoding="utf-8")).get("text", "")
             for f in sorted((_CORPUS / "dev_news").glob("*.json")) + sorted((_CORPUS / "dev").glob("*.json"))]
    snapi = _CORPUS / "space_news" / "snapi_summaries.jsonl"
    if snapi.exists():
        texts += [json.loads(line).get("text", "") for line in snapi.read_text(encoding="utf-8").splitlines()]
    assert len(texts) > 20
    hits = [(m.surface, text[max(0, m.start - 40):m.end + 40]) for text in texts for m in kb.find(text)
            if m.surface in kb._translated]
    assert not hits


def test_site_operator_text_must_name_its_parent(kb_dir):
    _append(kb_dir / "spaceports.toml", '[[spaceport]]\nname = "Test Pad"\ncountry = "US"\noperator = "Someone Else"\n'
            'parent = "NASA"\nstatus = "planned"\norbits = ["LEO"]\n')
    with pytest.raises(KnowledgeBaseError, match="Test Pad.*does not name its parent"):
        load_kb(kb_dir)
    # naming an organisation above the parent is enough (Wallops: Goddard -> NASA)
    assert load_kb().by_name("Wallops").parent == "agency:Goddard Space Flight Center"


@pytest.mark.parametrize("acronym", ["SSC", "MDA", "ILS", "SSO", "SSA", "RSA"])
def test_ambiguous_acronyms_name_nothing(kb, acronym):
    # "SSC" is Space Systems Command in US releases and the Swedish Space Corporation at Esrange; "SSO" is
    # an orbit: an acronym two organisations share finds neither, the full name still finds each
    assert kb.find(f"The {acronym} said on Monday.") == []


def test_spelled_out_names_of_ambiguous_acronyms(kb):
    found = {m.entity.name for m in kb.find("Space Systems Command and the Swedish Space Corporation met.")}
    assert found == {"Space Systems Command", "Swedish Space Corporation"}


def test_government_of_a_country_names_the_country(kb):
    text = "The Canadian government ordered it; Canadian engineers built it; the British Government paid."
    found = [(m.surface, m.entity.name) for m in kb.find(text)]
    assert ("Canadian government", "Canada") in found and ("British Government", "United Kingdom") in found
    assert not any(s == "Canadian" for s, _ in found)  # the bare adjective names no one


def test_operator_names_as_news_writes_them(kb):
    for text, name in [("Measat-3b is owned by Measat.", "MEASAT"), ("SXM-7 reached orbit.", "SiriusXM"),
                       ("SingTel Optus ordered Optus 10.", "Optus")]:
        assert {m.entity.name for m in kb.find(text)} == {name}, text


def test_hyphenated_forms(kb):
    found = {m.entity.name for m in kb.find("Der ESA-Astronaut und die NASA-Chefin sprachen über das U.S.-Japan-Abkommen.")}
    assert {"European Space Agency", "NASA", "United States", "Japan"} <= found
    assert kb.find("A UK-based, SpaceX-built, ESA-funded probe.") == []


def test_foreign_spaceport_names(kb):
    text = "Le lanceur a décollé de Cap Canaveral ; el cohete despegó de Cabo Cañaveral; Start in Plessetsk."
    assert [m.entity.name for m in kb.find(text)] == ["Cape Canaveral Space Force Station"] * 2 + ["Plesetsk Cosmodrome"]


def test_check_command(kb_dir, capsys):
    from briefings.analysis.kb.__main__ import main

    assert main([str(kb_dir)]) == 0
    assert "spaceports" in capsys.readouterr().out
    _append(kb_dir / "organisations.toml", '[[org]]\nname = "Test Unit"\nkind = "military"\nparent = "Nope"\n')
    assert main([str(kb_dir)]) == 1
    assert "'Nope' is not the name of any record" in capsys.readouterr().err


@pytest.mark.parametrize("former, successor", [
    ("Air Force Space Command", "US Space Force"), ("EELV", "National Security Space Launch"),
    ("NASDA", "JAXA"), ("Kazcosmos", "Kazakhstan Aerospace Committee"), ("LAPAN", "National Research and Innovation Agency"),
    ("Vandenberg Air Force Base", "Vandenberg Space Force Base"), ("DigitalGlobe", "Maxar Technologies"),
])
def test_more_successors(kb, former, successor):
    (m,) = kb.find(f"Back then {former} was in charge.")
    assert m.entity.name == successor and m.via_former_name


# --- phrases that contain a name but are not a mention ----------------------------------------------------

@pytest.mark.parametrize("text, unwanted", [
    ("NASA's next lander heads for the Red Planet.", "Planet Labs"),
    ("Spaceport America, in New Mexico, hosted the test.", "Mexico"),
    ("Neutron stars spin fast.", "Rocket Lab"),
    ("Launch customers in South America and New South Wales.", "United States"),
    ("Launch customers in South America and New South Wales.", "United Kingdom"),
    ("NASA's Galileo spacecraft reached Jupiter in 1995.", "Galileo"),
])
def test_not_name_phrases(kb, text, unwanted):
    assert unwanted not in {m.entity.name for m in kb.find(text)}


def test_not_name_phrases_leave_the_names_working(kb):
    found = {m.entity.name for m in kb.find("Planet signed with Mexico; Neutron will fly; Galileo satellites launched.")}
    assert {"Planet Labs", "Mexico", "Rocket Lab", "Galileo"} <= found
    assert kb.by_name("Red Planet") is None


@pytest.mark.parametrize("phrase, message", [("Blue Sky Thinking", "contains no known name"),
                                             ("SpaceX", "is itself a name")])
def test_bad_not_name_phrase_fails(kb_dir, phrase, message):
    _append(kb_dir / "not_names.toml", f'[[phrase]]\ntext = "{phrase}"\nwhy = "test"\n')
    with pytest.raises(KnowledgeBaseError, match=message):
        load_kb(kb_dir)


def test_press_spellings_in_other_languages(kb):
    text = ("Die Nasa und die US-Weltraumstreitkräfte; le Pentagone et la Commission européenne; "
            "la Fuerza Espacial de Estados Unidos.")
    found = [m.entity.name for m in kb.find(text)]
    assert found == ["NASA", "US Space Force", "Department of Defense", "European Commission", "US Space Force"]
    assert kb.find("Esa misión despegó.") == []  # Spanish 'esa' (that) is not the agency


def test_centres_and_subsidiaries(kb):
    jpl = kb.by_name("JPL").key
    assert kb.ancestors(jpl) == ["agency:NASA"]
    # a NASA centre's own side is NASA, its sites and the other centres
    assert {"NASA", "Kennedy Space Center", "Wallops Flight Facility", "Goddard Space Flight Center"} <= \
        _names(kb, kb.own_side(jpl))
    chain = [kb.entities[k].name for k in kb.ancestors(kb.by_name("Smart Dragon 3").key)]
    assert chain == ["China Academy of Launch Vehicle Technology", "China Aerospace Science and Technology Corporation"]
    assert "Intelsat" in _names(kb, kb.own_side(kb.by_name("SES").key))
    assert "SES" not in _names(kb, kb.own_side(kb.by_name("Eutelsat").key))
