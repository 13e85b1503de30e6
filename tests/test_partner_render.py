"""Slack shows each partner's role family and never lists the story's subject."""

from __future__ import annotations

import json

from bot import render
from briefings.digests.build import Digest, DigestStory
from briefings.engine import brief_text
from briefings.models import Partner, Subject


def _launch_brief():
    return brief_text("SpaceX launches SES satellite\n\nA SpaceX Falcon 9 launched the SES-22 satellite for SES "
                      "from Cape Canaveral on Thursday.", source="t")


def test_brief_message_shows_families_and_role_detail():
    blocks = json.dumps(render.brief_message(_launch_brief(), buttons=False).blocks, ensure_ascii=False)
    assert "launch provider (Falcon 9)" in blocks
    assert "launch customer" in blocks and "launch site" in blocks


def test_subject_is_never_listed_even_in_an_older_or_hand_made_brief():
    brief = _launch_brief()
    spacex = next(p for p in brief.partners if p.name == "SpaceX")
    # a brief whose subject is also in its partner list (as an older engine or a hand edit might leave it)
    odd = brief.model_copy(update={"subject": Subject(name="SpaceX", kind="company", kb=spacex.key,
                                                      why="headline actor")})
    blocks = json.dumps(render.brief_message(odd, buttons=False).blocks, ensure_ascii=False)
    assert "*SpaceX*" not in blocks
    assert "*SES*" in blocks
    assert render.listed_partners(odd) == [p for p in odd.partners if p.name != "SpaceX"]


def test_role_text_of_briefs_stored_before_families():
    def stored(**fields):  # a partner as read back from a stored brief's JSON
        return Partner.model_validate({"name": "X", "kind": "company", "evidence": [], **fields})

    assert render.role_text(stored(role="launch provider")) == "launch provider"
    assert render.role_text(stored(role="emerging spaceport nation in talks", role_family="partner")) == \
        "partner: emerging spaceport nation in talks"
    assert render.role_text(stored(role="launch site", role_family="launch site")) == "launch site"


def test_digest_story_lines_show_partner_families():
    story = DigestStory(article_id=1, title="SpaceX launches SES satellite", url="https://example.org/a",
                        source="example.org", published=None, tldr="A launch.", event_type="launch outcome",
                        partners=["SpaceX", "SES"], partner_roles=["SpaceX (launch provider)", "SES (launch customer)"])
    digest = Digest(channel_id="C1", schedule="daily", groups={"launch outcome": [story]}, partners=[],
                    cursor_from=0, cursor_to=1)
    text = json.dumps([m.blocks for m in render.digest_messages(digest)], ensure_ascii=False)
    assert "SpaceX (launch provider), SES (launch customer)" in text


def test_group_by_country_names_countries_and_puts_the_most_mentioned_first():
    from types import SimpleNamespace as NS

    from briefings.models import group_by_country

    stats = [NS(entity="Andøya", country="NO", mentions=2), NS(entity="ESA", country=None, mentions=9),
             NS(entity="Norway", country="NO", mentions=3), NS(entity="Kourou", country="FR", mentions=1)]
    groups = group_by_country(stats, country=lambda s: s.country, weight=lambda s: s.mentions,
                              country_name={"NO": "Norway", "FR": "France"}.get)
    assert [(c, [s.entity for s in items]) for c, items in groups] == [
        ("International", ["ESA"]), ("Norway", ["Andøya", "Norway"]), ("France", ["Kourou"])]


def test_a_feed_line_escapes_the_error_and_says_ok_when_healthy():
    from types import SimpleNamespace as NS

    ok = NS(url="https://f.example/rss", title="F", consecutive_failures=0, last_error=None)
    bad = NS(url="https://f.example/rss", title="F", consecutive_failures=3, last_error="<!channel> 500 & down")
    assert render.feed_line(ok) == "• <https://f.example/rss|F> — ok"
    assert render.feed_line(bad).endswith("failing ×3: &lt;!channel&gt; 500 &amp; down")
