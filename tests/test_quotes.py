"""Quotes in the forms news and press releases use: synthetic articles written for these tests."""

from __future__ import annotations

import pytest

from briefings.engine import brief_text
from briefings.analysis.quotes import extract_people_and_quotes, paragraph_ids
from briefings.analysis.sentences import split_sentences

RELEASE = """Northland signs launch agreement with Kestrel Orbital

The Northland government has agreed terms with Kestrel Orbital for small-satellite launches from the coast.

Science Minister Harriet Quill said:

This agreement puts our country on the map as a place where rockets are built and flown.

We will support the skilled jobs that come with it, and we expect the first flight within two years.

Our universities and our suppliers are ready to play their part.

The agreement was signed at a ceremony in the capital on Tuesday. The launch site will be built on a former airfield.

Notes to editors

Kestrel Orbital was founded in 2019 and employs 140 people.
"""


def _quotes(text: str):
    brief = brief_text(text, source="t")
    return brief.quotes


def test_press_release_statement_without_quotation_marks():
    quotes = _quotes(RELEASE)
    assert [q.speaker for q in quotes] == ["Harriet Quill"] * 3
    said = " ".join(q.text for q in quotes)
    assert "puts our country on the map" in said and "ready to play their part" in said
    # narrative and boilerplate after the statement are not the minister's words
    assert "ceremony" not in said and "founded in 2019" not in said


RELEASE_HTML = """<!DOCTYPE html><html lang="en"><head><title>Northland signs launch agreement with Kestrel Orbital - GOV.NL</title>
<meta property="og:title" content="Northland signs launch agreement with Kestrel Orbital"></head>
<body><header><nav><a href="/">Home</a> <a href="/news">News</a></nav></header>
<main><article><h1>Northland signs launch agreement with Kestrel Orbital</h1>
<p class="lead">The government has agreed terms with Kestrel Orbital for small-satellite launches from the northern coast.</p>
<p>The agreement was announced today by the Department for Science and covers the first five launches from the new coastal site.</p>
<p>Science Minister Harriet Quill said:</p>
<p>This agreement puts our country on the map as a place where rockets are built and flown.</p>
<p>We will support the skilled jobs that come with it, and we expect the first flight within two years.</p>
<p>The launch site will be built on a former airfield, and construction begins in the spring.</p>
<p>Kestrel Orbital chief executive Tomas Berg said:</p>
<p>We chose this coast because it gives our rockets a clear path over the sea to polar orbits.</p>
<h2>Notes to editors</h2>
<p>Kestrel Orbital was founded in 2019 and employs 140 people.</p>
</article></main><footer><p>All content is available under the Open Government Licence</p></footer></body></html>
"""


def test_press_release_page_through_trafilatura_keeps_its_paragraphs():
    """The engine reads pages through trafilatura: its paragraph breaks must reach the statement reader."""
    from briefings.engine import brief_html

    quotes = brief_html(RELEASE_HTML, source="t").quotes
    assert [(q.speaker, q.speaker_org) for q in quotes] == [
        ("Harriet Quill", None), ("Harriet Quill", None), ("Tomas Berg", "Kestrel Orbital")]
    assert "former airfield" not in " ".join(q.text for q in quotes)
    assert "founded in 2019" not in " ".join(q.text for q in quotes)


def test_press_release_with_title_after_the_name_and_no_paragraph_breaks():
    text = ("Coastal spaceport wins licence. The regulator granted the licence on Monday. "
            "Dana Whitcombe, chief executive of Skerry Launch, said: This is the day our team has worked for. "
            "We intend to fly before the end of next summer. The spaceport sits on a northern peninsula.")
    quotes = _quotes(text)
    assert [q.speaker for q in quotes] == ["Dana Whitcombe", "Dana Whitcombe"]
    assert quotes[0].speaker_org == "Skerry Launch"
    assert not any("peninsula" in q.text for q in quotes)


def test_release_boilerplate_and_new_attribution_end_the_statement():
    text = ("Agency opens tender\n\nThe agency opened a launch services tender today.\n\n"
            "Director Olu Adeyemi said:\n\nWe want bids from every launch company that can meet the schedule.\n\n"
            "Procurement chief Mara Lind said the bids close in March.\n\nNotes to editors\n\n"
            "We publish all tenders on our website.")
    quotes = _quotes(text)
    assert [(q.speaker, q.text) for q in quotes] == [
        ("Olu Adeyemi", "We want bids from every launch company that can meet the schedule.")]


def test_multi_paragraph_quote_with_one_closing_mark():
    text = ("Launch firm expands\n\nThe company plans a second pad at the coastal range.\n\n"
            "“We have more customers than launch slots,” said Ravi Mendes, president of Tidewater Rockets. "
            "“The second pad doubles what we can fly.\n\n"
            "“It also means a failure on one pad no longer stops the whole manifest.\n\n"
            "“We expect to break ground in the spring.”\n\n"
            "Construction permits are still pending with the county.")
    quotes = _quotes(text)
    texts = [q.text for q in quotes]
    assert any("failure on one pad" in t for t in texts)
    assert any("break ground in the spring" in t for t in texts)
    assert {q.speaker for q in quotes} == {"Ravi Mendes"}
    assert {q.speaker_org for q in quotes} == {"Tidewater Rockets"}
    assert not any("permits" in t for t in texts)


def test_unbalanced_mark_does_not_swallow_the_following_paragraph():
    text = ("Pad work slips\n\n“We are behind by a month, said Ines Paulo, director of Ribeira Spaceport.\n\n"
            "The county approved the road on Friday. Officials expect the work to finish in June.")
    quotes = _quotes(text)
    assert not any("county" in q.text or "June" in q.text for q in quotes)


def test_statement_attributed_to_an_organisation():
    text = ("Launches paused at northern range\n\n"
            "Arianespace paused launch campaigns at its range for two weeks. "
            "Campaigns will restart “once the inspection of the ground systems is complete,” Arianespace said. "
            "The rockets are kept in a “safe and stable configuration” in the meantime, according to the company. "
            "“Customers have been told of the new dates and none has withdrawn,” the company said in a statement.")
    quotes = _quotes(text)
    assert len(quotes) == 3
    assert {q.speaker for q in quotes} == {"Arianespace"}


def test_company_statement_not_in_the_knowledge_base():
    text = ("Operator files for extension\n\nHelioRelay said it had asked regulators for more time to use its "
            "orbital slot. The company warned that the extension “might be refused or granted only with "
            "penalties and extra conditions attached.”")
    quotes = _quotes(text)
    assert [q.speaker for q in quotes] == ["HelioRelay"]


@pytest.mark.parametrize("sentence", [
    "“Our rocket is ready for its first customer flight,” said Lena Sorensen, chief executive of Fjordlift.",
    "“Our rocket is ready for its first customer flight,” Lena Sorensen, chief executive of Fjordlift, said.",
    "“Our rocket is ready for its first customer flight,” said Fjordlift Chief Executive Lena Sorensen.",
    "“Our rocket is ready for its first customer flight,” said Fjordlift’s chief executive, Lena Sorensen.",
    "“Our rocket is ready for its first customer flight,” said Lena Sorensen of Fjordlift.",
])
def test_said_x_title_of_y_gives_speaker_and_organisation(sentence):
    text = f"Small launcher ready\n\nThe first stage passed its last test this week. {sentence} The flight is set for May."
    quotes = _quotes(text)
    assert [(q.speaker, q.speaker_org) for q in quotes] == [("Lena Sorensen", "Fjordlift")]


def test_fragments_in_paraphrase_need_an_attribution_and_terms_are_not_quotes():
    text = ("Booster lands\n\nThe booster used a “subcooled” propellant load for the first time. "
            "Program manager Tomas Reyes later said the landing was “textbook” and the booster looked "
            "“barely used.” The company calls the recovery ship the “Sea Anvil” in its filings.")
    quotes = _quotes(text)
    assert {q.text for q in quotes} == {"textbook", "barely used"}
    assert {q.speaker for q in quotes} == {"Tomas Reyes"}


def test_pronoun_after_a_company_quote_goes_to_the_person():
    text = ("Rocket maker answers critics\n\n“The vehicle performed exactly as designed,” Vantor Launch said. "
            "Vantor Launch President Amara Okafor put out a statement saying the mission went as planned. "
            "“Every reading we have confirms it,” she said.")
    quotes = _quotes(text)
    assert [q.speaker for q in quotes] == ["Vantor Launch", "Amara Okafor"]


def test_unnamed_speaker_described_by_role():
    text = ("Registry gaps\n\nMany satellites are never registered with the United Nations. "
            "“Nobody checks, so nobody files,” one government official said. “It has been this way for years.”")
    quotes = _quotes(text)
    assert [q.speaker for q in quotes] == ["government official"] * 2


def test_paragraph_ids_place_sentences_and_survive_missing_breaks():
    text = "First one. Second one.\n\nThird one.\nFourth one."
    sentences = split_sentences(text)
    assert paragraph_ids(text, sentences) == [0, 0, 1, 2]
    assert paragraph_ids("unrelated", sentences) is None
    # without paragraph numbers the extractor still works sentence by sentence
    people, quotes = extract_people_and_quotes(
        ["Jo Marsh, head of Pad Works, said:", "We are ready to build.", "The site is remote."])
    assert [q.speaker for q in quotes] == ["Jo Marsh"]


def test_slack_and_terminal_show_the_speakers_organisation_escaped():
    import io

    from rich.console import Console

    from bot import render
    from briefings.terminal.render import render_brief

    text = ("Small launcher ready\n\nThe first stage passed its last test this week at the northern range. "
            "“Our rocket is ready for its first customer flight,” said Lena Sorensen, chief executive of Fjord&Fell Launch. "
            "The flight is set for May.")
    brief = brief_text(text, source="t")
    assert brief.quotes[0].speaker_org == "Fjord&Fell Launch"
    blocks = str(render.brief_message(brief).blocks)
    assert "Lena Sorensen (Fjord&amp;Fell Launch)" in blocks and "Fjord&Fell" not in blocks
    out = io.StringIO()
    render_brief(brief, console=Console(file=out, width=200))
    assert "Lena Sorensen (Fjord&Fell Launch)" in out.getvalue()


def test_pathological_sentences_stay_fast():
    import time

    long_caps = "“We are ready,” said " + " ".join(["Alpha Beta of Gamma"] * 300) + "."
    unbalanced = "“" * 400 + " said Jo Marsh " + "”" * 3
    start = time.perf_counter()
    for sentence in (long_caps, unbalanced, "Jo Marsh said: " + "We build. " * 400):
        extract_people_and_quotes([sentence, "She said: we will fly."])
    assert time.perf_counter() - start < 1.0


def test_inch_marks_are_not_quotation_marks():
    text = ("Monitor deals\n\nThe 34\" curved panel is now $649. Specs include a 27\" second screen and a stand. "
            "This is my main monitor and I love it for work and for games. The 70\"+ TV is cheaper still.")
    assert _quotes(text) == []


def test_said_with_a_lower_case_description_before_the_name():
    text = ("Organics on a moon\n\nThe map shows dunes and plains. “Organic material matters for the question of "
            "life on this moon,” said planetary geologist Rosa Lindqvist of the Northern Planetary Institute.")
    quotes = _quotes(text)
    assert [(q.speaker, q.speaker_org) for q in quotes] == [("Rosa Lindqvist", "Northern Planetary Institute")]


def test_listener_time_phrase_and_pronoun_gender_do_not_become_speakers():
    text = ("Launch chief on the record\n\n"
            "Rocket maker Vela Orbital hosted a fireside chat at its plant. "
            "Customers “kept asking for a bigger fairing,” chief executive Ana Ruiz told interviewer Tom Becker. "
            "“We listened and we built it,” she said. "
            "Her deputy, engineer Paul Grant, joined her on stage before Launch Day. "
            "“The new fairing flies next spring,” he said.")
    quotes = _quotes(text)
    assert [q.speaker for q in quotes] == ["Ana Ruiz", "Ana Ruiz", "Paul Grant"]


def test_appositive_with_commas_and_a_country_inside_it():
    text = ("Simulated universe\n\nThe team ran the code for a year. “We got more out than we put in,” Ines Marek, "
            "a postdoctoral fellow at the Institute for Astrophysics in Munich, Germany, and co-author of the study, "
            "said in a statement. China said it would build a larger machine.")
    quotes = _quotes(text)
    assert [q.speaker for q in quotes] == ["Ines Marek"]


def test_a_title_alone_is_not_a_speaker_and_users_quip():
    text = ("New hire\n\nAdtech firm Nimbus hired Ola Berg as Chief Strategy Officer. "
            "“It is an exciting time for me to be joining the team,” said Chief Strategy Officer Ola Berg. "
            "The campaign drew jokes online. “If we were any higher, we would be in orbit,” one user quipped.")
    quotes = _quotes(text)
    assert [q.speaker for q in quotes] == ["Ola Berg", "user"]


def test_surname_resolves_through_a_title_run():
    text = ("Decision on the range\n\nThe move was announced on Monday by Transport Secretary Lena Okoro. "
            "Okoro said the range was \"not, in itself, a danger to shipping\", adding that pilots would be told.")
    assert [q.speaker for q in _quotes(text)] == ["Lena Okoro"]


def test_comments_and_reported_attribute_a_quote():
    text = ("Tour announced\n\nThe band will play forty dates next year. “We are truly excited about this tour,” "
            "comments guitarist Ray Holm in a statement. A survey by Nia Brandt of the state university found "
            "cuts. “Newsrooms are often half the size within months,” Brandt reported.")
    assert [q.speaker for q in _quotes(text)] == ["Ray Holm", "Nia Brandt"]
