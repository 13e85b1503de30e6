"""Partner analysis: the subject and its own side, role families, launch customers, background mentions,
open-world organisations, and robustness to rewording. Texts here are written for the tests."""

from __future__ import annotations

import pytest

from briefings.engine import SAMPLE_ARTICLE, analyse, brief_html, brief_text
from briefings.intake.extract import extract_text
from briefings.models import ROLE_FAMILIES, Brief


def _partners(brief: Brief) -> dict[str, str]:
    return {p.name: p.role_family for p in brief.partners}


@pytest.fixture(scope="module")
def sample() -> Brief:
    return brief_html(SAMPLE_ARTICLE.read_text(encoding="utf-8"), source="sample")


# ---- robust to rewording: the bundled sample, retold three ways in our own words --------------------------

REWORDED = {
    "different headline": """Space Force looks abroad for launch partners

The United States Space Force is exploring whether launch companies in allied nations might some day fly American
national security payloads, Brig. Gen. Kristin Panzenhagen said. She heads the service's launch programmes and is
also commander of Space Launch Delta 45.
Early talks have begun with nations that already operate launch sites, including Japan, New Zealand and France,
and with emerging spaceport countries such as Norway, the United Kingdom and Sweden.
Among the possible partners are JAXA in Japan, Rocket Lab in New Zealand and Arianespace of France.
Until now the Department of Defense has sent only small experimental payloads from foreign launch sites, most of
them through the Space Test Program. National security missions still fly from bases in California and Florida.
"We see partners abroad as one more road to orbit," Panzenhagen said at a Mitchell Institute event.""",
    "passive voice": """Allied launch sites are being studied by the Space Force as a back-up road to orbit

Whether American national security satellites could one day be carried to orbit by allied countries and their
launch companies is being studied by the US Space Force, according to Brig. Gen. Kristin Panzenhagen.
Discussions are being held with countries that already run launch sites, such as Japan, New Zealand and France;
emerging spaceport nations such as Norway, the UK and Sweden are also being consulted.
JAXA in Japan, Rocket Lab in New Zealand and France's Arianespace have been named as potential partners.
Only small experimental payloads have been flown from foreign sites by the Department of Defense so far, mostly
under the Space Test Program.
"This is not something for the next year or two," Panzenhagen said.""",
    "different sentence order": """Pentagon's space service weighs foreign rockets for national security payloads

JAXA in Japan, Rocket Lab in New Zealand and France's Arianespace are among the potential partners the US Space
Force is talking to, Brig. Gen. Kristin Panzenhagen said at a Mitchell Institute event.
Talks also take in emerging spaceport nations such as Norway, the UK and Sweden, alongside countries that already
run launch sites, Japan, New Zealand and France among them.
"The idea is that we strengthen each other," said Panzenhagen, who also commands Space Launch Delta 45.
The aim, she said, is resilience: more than one way to reach space if a rocket or a site is lost. The Department
of Defense has so far flown only small experimental payloads from foreign sites, mostly under the Space Test
Program.""",
}


@pytest.mark.parametrize("how", sorted(REWORDED))
def test_rewording_keeps_the_partner_set(sample, how):
    title, body = REWORDED[how].split("\n\n", 1)
    reworded = brief_text(title + "\n\n" + " ".join(body.split()), source="t")
    assert set(_partners(reworded)) == set(_partners(sample))
    assert _partners(reworded) == _partners(sample)  # same families too
    # the Space Force is the subject in every wording, never a partner, and neither is its own side
    assert reworded.subject is not None and reworded.subject.kb == "military:US Space Force"
    assert not set(_partners(reworded)) & {"US Space Force", "Department of Defense", "Space Test Program",
                                           "Space Launch Delta 45", "United States"}


def test_sample_keeps_its_partners_and_names_its_subject(sample):
    assert set(_partners(sample)) == {"Japan", "New Zealand", "France", "Norway", "United Kingdom", "Sweden",
                                      "JAXA", "Rocket Lab", "Arianespace"}
    assert all(p.role_family in ROLE_FAMILIES for p in sample.partners)
    assert sample.subject is not None and sample.subject.why == "headline actor"
    assert sample.subject.kind == "military"


# ---- subject and own side ---------------------------------------------------------------------------------

def test_a_units_release_about_its_own_record_lists_neither_it_nor_its_chain():
    text = ("Space Launch Delta 45 sets a new launch record\n\n"
            "Space Launch Delta 45 supported its 60th launch of the year from the Eastern Range on Tuesday, when a "
            "SpaceX Falcon 9 lifted off from Cape Canaveral Space Force Station. "
            "The U.S. Space Force unit said the pace shows what the range can do. "
            "“We are proud of every team on the range,” said Col. Jane Roe, vice commander of Space Launch Delta 45.")
    brief = brief_text(text, source="t")
    names = _partners(brief)
    assert names.get("SpaceX") == "launch provider"
    assert "Space Launch Delta 45" not in names and "US Space Force" not in names
    assert "United States" not in names
    assert brief.subject is not None and brief.subject.kb == "military:Space Launch Delta 45"


def test_publisher_of_a_release_is_the_subject():
    art = extract_text("Agency completes sounding rocket campaign\n\nThe campaign's two sounding rockets were "
                       "launched from Andøya Space Center in Norway with range support from Kongsberg "
                       "Satellite Services, NASA said. NASA funded the payloads.", source="t")
    brief = analyse(art.model_copy(update={"url": "https://www.nasa.gov/news/release-1", "site_name": "NASA"}))
    names = _partners(brief)
    assert "NASA" not in names
    assert brief.subject is not None and brief.subject.why == "publisher" and brief.subject.kb == "agency:NASA"
    assert names.get("Norway") == "host nation"
    assert any(f == "launch site" for n, f in names.items() if "Andøya" in n)


def test_party_to_a_launch_is_a_partner_not_the_subject():
    brief = brief_text("SpaceX launches SES satellite\n\nA SpaceX Falcon 9 launched the SES-22 communications "
                       "satellite for SES from Cape Canaveral on Thursday.", source="t")
    names = _partners(brief)
    assert names.get("SpaceX") == "launch provider"
    assert names.get("SES") == "launch customer"
    assert names.get("Cape Canaveral Space Force Station") == "launch site"
    assert brief.subject is None
    roles = {p.name: p.role for p in brief.partners}  # the detail quotes the article: vehicle, payload
    assert roles["SpaceX"] == "launch provider (Falcon 9)" and roles["SES"] == "launch customer (SES-22)"


def test_policy_statement_does_not_make_the_own_country_a_partner():
    text = ("UK Space Agency sets out launch strategy\n\nThe UK Space Agency published a strategy to grow the "
            "United Kingdom's launch sector and signed a cooperation agreement on launch with Norway. "
            "Officials said the agreement covers launch licensing and range safety.")
    names = _partners(brief_text(text, source="t"))
    assert "United Kingdom" not in names and "UK Space Agency" not in names
    assert names.get("Norway") == "partner"


# ---- launch customers ------------------------------------------------------------------------------------

def test_payload_owner_is_the_launch_customer():
    text = ("Arianespace launches Eutelsat 36D\n\nAn Ariane 5 rocket lifted off from the Guiana Space Centre "
            "carrying Eutelsat 36D, a communications satellite for Eutelsat. The satellite was built by Airbus.")
    names = _partners(brief_text(text, source="t"))
    assert names.get("Arianespace") == "launch provider"
    assert names.get("Eutelsat") == "launch customer"
    assert names.get("Guiana Space Centre") == "launch site"
    assert "Airbus" not in " ".join(names)  # the payload's builder is not party to the launch


# ---- background and history -------------------------------------------------------------------------------

def test_background_and_comparisons_are_not_partners():
    text = ("OneWeb opens satellite factory\n\nOneWeb opened a satellite factory in Florida on Monday. "
            "The plant will build satellites at a pace similar to SpaceX, the company said. "
            "Its first satellites previously launched on a Soyuz rocket from Baikonur Cosmodrome.")
    names = _partners(brief_text(text, source="t"))
    assert "SpaceX" not in names and "Roscosmos" not in names and "Baikonur Cosmodrome" not in names


def test_round_up_items_after_the_first_are_not_partners():
    text = ("Briefs: Rocket Lab launches for NASA\n\nRocket Lab launched an Electron rocket for NASA from "
            "Rocket Lab Launch Complex 1 in New Zealand. The mission carried a small science satellite.\n"
            "[Wire] More News Japan launched a radar satellite on an H-2A rocket from the Tanegashima Space "
            "Center.\n[Paper] In other news, Blue Origin tested its New Glenn engine.")
    names = _partners(brief_text(text, source="t"))
    assert names.get("Rocket Lab") == "launch provider"
    assert "Tanegashima Space Center" not in names and "Blue Origin" not in names
    assert "Mitsubishi Heavy Industries" not in names


# ---- open world ------------------------------------------------------------------------------------------

def test_organisation_outside_the_knowledge_base_is_found_from_the_text():
    text = ("Zephyrion Launch Systems picks Spaceport America for first flight\n\n"
            "Zephyrion Launch Systems, a Denver-based launch start-up, will launch its first rocket from "
            "Spaceport America next year. Zephyrion Launch Systems signed a launch agreement with the spaceport "
            "in March.")
    brief = brief_text(text, source="t")
    found = {p.name: p for p in brief.partners}
    assert "Zephyrion Launch Systems" in found
    z = found["Zephyrion Launch Systems"]
    assert z.key is None and z.kb is None and z.kind == "company"
    assert z.role_family in ("launch provider", "partner")
    assert found["Spaceport America"].role_family == "launch site"


def test_a_capitalised_phrase_without_a_description_is_not_invented():
    text = ("Launch market grows\n\nSpaceX launched 90 times last year. Analysts at Northern Sky said demand "
            "is rising. Meanwhile, Blue Origin is preparing New Glenn.")
    names = _partners(brief_text(text, source="t"))
    assert "Northern Sky" not in names and "Analysts" not in " ".join(names)


def test_new_mexico_is_not_mexico():
    names = _partners(brief_text("SpinLaunch test\n\nThe accelerator was tested at Spaceport America in New "
                                 "Mexico, where the first test launch took place.", source="t"))
    assert "Mexico" not in names


def test_headline_company_outside_the_kb_that_books_a_launch_is_the_customer():
    text = ("Keplarix lines up Electron launch for its first radar satellite\n\n"
            "The French start-up said Keplarix will fly its first satellite on a Rocket Lab Electron from New "
            "Zealand next spring. Rocket Lab said the launch is one of six it has booked this year.")
    found = {p.name: p for p in brief_text(text, source="t").partners}
    assert found["Keplarix"].role_family == "launch customer" and found["Keplarix"].key is None
    assert found["Rocket Lab"].role_family == "launch provider"


def test_a_common_noun_leading_the_headline_is_not_an_organisation():
    text = ("Engineers plan a heavier rocket\n\nThe engineers said the rocket would launch from Kennedy Space "
            "Center. Engineers at several firms have studied the design.")
    assert "Engineers" not in {p.name for p in brief_text(text, source="t").partners}


def test_company_that_selects_a_launch_provider_is_its_customer():
    text = ("Intuitive Machines selects SpaceX for lunar lander launch\n\nIntuitive Machines selected SpaceX to "
            "launch its next lander on a Falcon 9 from Kennedy Space Center.")
    names = _partners(brief_text(text, source="t"))
    assert names.get("Intuitive Machines") == "launch customer"
    assert names.get("SpaceX") == "launch provider"


@pytest.mark.parametrize("update", [
    {"site_name": "U.S. Space Force, Space Launch Delta 45 Public Affairs"},
    {"url": "https://www.patrick.spaceforce.mil/News/Article/1/"},
])
def test_release_publisher_and_its_chain_are_not_partners(update):
    art = extract_text("Range supports record launch pace\n\nSpace Launch Delta 45 supported a Falcon 9 launch "
                       "from the Eastern Range on Friday, the 50th this year. The U.S. Space Force unit works with "
                       "Space Systems Command on range upgrades. The launch lifted off from Cape Canaveral Space "
                       "Force Station in the United States.", source="t")
    brief = analyse(art.model_copy(update=update))
    names = _partners(brief)
    assert names.get("SpaceX") == "launch provider"
    assert not set(names) & {"Space Launch Delta 45", "US Space Force", "Space Systems Command"}
    assert brief.subject is not None and brief.subject.why == "publisher"
    if "site_name" in update:
        assert brief.subject.kb == "military:Space Launch Delta 45"  # the office that speaks, not its service


def test_procurement_release_lists_the_awardees_not_the_command_or_its_programme():
    text = ("Space Systems Command awards National Security Space Launch missions\n\nSpace Systems Command "
            "awarded United Launch Alliance and SpaceX task orders for 21 National Security Space Launch "
            "missions on Thursday. \u201cThese awards keep assured access to space,\u201d said the programme's "
            "executive officer.")
    brief = brief_text(text, source="t")
    names = _partners(brief)
    assert names == {"United Launch Alliance": "launch provider", "SpaceX": "launch provider"}
    assert brief.subject is not None and brief.subject.name == "Space Systems Command"


def test_main_speakers_agency_is_the_subject_unless_the_headline_makes_it_a_party():
    body = ("The programme will fly a lander on a Falcon 9 from Kennedy Space Center next year, NASA Administrator "
            "Bill Nelson said on Monday. \u201cWe are moving fast,\u201d Nelson said. \u201cThe lander is nearly "
            "ready,\u201d said Nelson, who added that JAXA would supply a rover under a cooperation agreement.")
    brief = brief_text("Moon programme pushes ahead\n\n" + body, source="t")
    assert brief.subject is not None and brief.subject.why == "main speaker's organisation"
    assert brief.subject.kb == "agency:NASA" and "NASA" not in _partners(brief)
    assert _partners(brief).get("JAXA") == "partner"
    party = brief_text("SpaceX launches NASA lander\n\n" + body, source="t")
    assert party.subject is None and _partners(party).get("NASA") is not None


def test_a_portuguese_launch_agreement_is_launch_policy_with_its_parties():
    text = ("Portugal e Coreia do Sul assinam acordo de lançamento\n\nPortugal e a Coreia do Sul assinaram um acordo "
            "de cooperação para o lançamento de foguetes a partir dos Açores. Os primeiros lançamentos de foguetes "
            "suborbitais podem ocorrer em 2026.")
    brief = brief_text(text, source="t")
    assert brief.relevance.label == "launch-policy"
    assert _partners(brief) == {"Portugal": "partner", "South Korea": "partner"}
