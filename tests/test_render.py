"""Block Kit rendering: golden files, Slack's limits, escaping."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from bot import render
from briefings.engine import SAMPLE_ARTICLE, brief_html
from briefings.store.repo import PartnerStat

from .slack_double import check_message

FIXTURES = Path(__file__).parent / "fixtures"


def sample_brief():
    brief = brief_html(SAMPLE_ARTICLE.read_text(encoding="utf-8"), source="sample", url="https://example.org/sample")
    return brief.model_copy(update={"engine_version": "golden"})


def sample_brief_message() -> render.Message:
    return render.brief_message(sample_brief(), article_id=7)


def partner_list_message() -> render.Message:
    stats = [PartnerStat("Rocket Lab", "company", "NZ", None, 4, date(2025, 1, 2), date(2025, 6, 1),
                         "Rocket Lab wins SDA launch", "https://example.org/rl"),
             PartnerStat("Norway", "country", "NO", "emerging", 3, date(2025, 2, 1), date(2025, 5, 1),
                         "Andøya readies <first> orbital launch", "https://example.org/no"),
             PartnerStat("European Space Agency", "agency", None, None, 1, date(2025, 3, 3), date(2025, 3, 3),
                         None, None)]
    names = {"NZ": "New Zealand", "NO": "Norway"}
    return render.partners_message(stats, country_name=names.get)


# golden file -> the message it holds; `python -m tests.regenerate_golden` rewrites them after a deliberate change
GOLDEN = {"sample_brief_blocks.json": sample_brief_message, "partner_list_blocks.json": partner_list_message}


def as_data(message: render.Message) -> dict:
    return {"text": message.text, "blocks": message.blocks}


def golden(name: str) -> None:
    """Compare with the stored file; a test run never writes it (a missing file fails)."""
    path = FIXTURES / name
    assert path.exists(), f"{name} is missing; run `python -m tests.regenerate_golden` and review the diff"
    data = as_data(GOLDEN[name]())
    assert data == json.loads(path.read_text(encoding="utf-8")), \
        f"{name} changed; if the change is wanted, run `python -m tests.regenerate_golden` and review the diff"
    assert check_message(data) is None


def test_golden_sample_brief():
    golden("sample_brief_blocks.json")


def test_golden_partner_list():
    golden("partner_list_blocks.json")


def test_long_content_is_split_not_truncated_and_limits_hold():
    long = " ".join(f"word{i}" for i in range(2000))  # ~15,000 characters
    msg = render.Builder().header("x" * 400).section(long).build(long)
    assert check_message({"text": msg.text, "blocks": msg.blocks}) is None
    sections = [b["text"]["text"] for b in msg.blocks if b["type"] == "section"]
    assert len(sections) >= 5 and all(len(s) <= 3000 for s in sections)
    assert " ".join(sections).split() == long.split()  # nothing lost, no word cut
    assert msg.blocks[0]["text"]["text"].endswith("…") and len(msg.blocks[0]["text"]["text"]) <= 150

    many = render.Builder()
    for i in range(80):
        many.section(f"item {i}")
    built = many.build("many")
    assert len(built.blocks) == 50 and "more blocks not shown" in built.blocks[-1]["elements"][0]["text"]


def test_escaping_and_links():
    assert render.esc("a & <b> <!channel>") == "a &amp; &lt;b&gt; &lt;!channel&gt;"
    assert render.link("https://ok.example/a", "x <y>") == "<https://ok.example/a|x &lt;y&gt;>"
    assert render.link("javascript:alert(1)", "click") == "click"
    assert render.link("https://x.example/a|<!channel>", "t") == "t"
    msg = render.search_message("<!here>", [])
    # headers are plain_text, where Slack parses no markup: shown literally, so not escaped (and not checked)
    dumped = json.dumps([b for b in msg.blocks if b["type"] != "header"]) + msg.text
    assert "<!here>" not in dumped and "&lt;!here&gt;" in dumped
    assert msg.blocks[0]["text"] == {"type": "plain_text", "text": "Search: <!here>"}
