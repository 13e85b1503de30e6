"""Issue 9, item 8 and 22: Block Kit details a real Slack client shows (plain_text, quotes, the block cap,
escaped placeholders, bidi controls)."""

from __future__ import annotations

import json

from bot import render
from briefings.models import Article, Brief, Partner, Relevance

from .slack_double import check_message

RLO = "\u202e"


def _sections(msg: render.Message) -> list[str]:
    return [b["text"]["text"] for b in msg.blocks if b["type"] == "section"]


def test_empty_archive_reply_escapes_the_url_placeholder():
    msg = render.latest_message([])
    text = " ".join(_sections(msg))
    assert "`/launchbrief feeds add &lt;url&gt;`" in text and "<url>" not in text


def test_plain_text_headers_carry_no_entities():
    # Slack's text object takes formatting markup only when type is mrkdwn: plain_text is shown literally
    msg = render.Builder().header("R&D <budget> & <!channel>").section("x").build("x")
    header = msg.blocks[0]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"
    assert header["text"]["text"] == "R&D <budget> & <!channel>"
    long = render.Builder().header("&" * 400).build("x").blocks[0]["text"]["text"]
    assert len(long) <= 150 and long.endswith("…") and "amp;" not in long


def test_block_cap_keeps_the_buttons_and_trims_content():
    b = render.Builder().header("t")
    for i in range(80):
        b.section(f"point {i}")
    b.buttons(("Share in channel", "share_brief", "1"), ("Partners", "show_partners", "1"))
    msg = b.build("t")
    assert len(msg.blocks) == render.MAX_BLOCKS and check_message({"text": msg.text, "blocks": msg.blocks}) is None
    assert msg.blocks[-1]["type"] == "actions" and len(msg.blocks[-1]["elements"]) == 2
    assert "more blocks not shown" in json.dumps(msg.blocks[-2])
    assert msg.blocks[0]["type"] == "header" and _sections(msg)[0] == "point 0"


def test_evidence_lines_are_quotes():
    p = Partner.model_validate({"name": "Norway", "kind": "country", "role": "host nation",
                                "kb": {"operator": "Andøya Space"},
                                "evidence": [{"index": 3, "text": "Norway & the US signed <it>."}]})
    lines = render.partner_line(p).split("\n")
    quote = [ln for ln in lines if ">" in ln and "Norway &amp;" in ln]
    assert quote and quote[0].startswith("> ")  # no spaces before '>', or Slack shows a literal '>'


def test_bidi_controls_never_rendered_nor_stored():
    title = f"Launch deal {RLO}exe.txt"
    # built without validation: the renderer must strip the controls itself, whatever the model let through
    brief = Brief.model_construct(title=title, source="t", url="https://x.example/a", published=None, site_name=None,
                                  language=None, tldr=None, summary=[], partners=[], subject=None, quotes=[],
                                  people=[], relevance=Relevance(label="launch-policy", score=1.0), event_types=[],
                                  word_count=0, sentence_count=0, engine_version="t", notes=[])
    msg = render.brief_message(brief, article_id=None)
    assert RLO not in json.dumps(msg.blocks, ensure_ascii=False) + msg.text
    assert RLO not in render.esc(title) and RLO not in render.plain("\u2066x\u2069")
    art = Article(source="t", text="t", title=f"a{RLO}b\u202a\u2067c", site_name="\u2068Site")
    assert art.title == "abc" and art.site_name == "Site"


async def test_bidi_stripped_from_stored_titles(tmp_path):
    from briefings.engine import brief_text
    from briefings.store.repo import Store

    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'bidi.sqlite3'}")
    try:
        body = ("Rocket Lab signed a launch agreement with the Norwegian Space Agency to fly Electron from Andøya "
                "Spaceport in Norway, officials said. The partnership covers two launches next year. ") * 2
        art = Article(url="https://x.example/bidi", source="t", title=f"Deal {RLO}reversed", text=body)
        saved = await store.save(art, brief_text(f"Deal reversed\n\n{body}", source="t"))
        got = await store.get_brief(saved.article_id)
        assert got.article.title == "Deal reversed"
    finally:
        await store.close()
