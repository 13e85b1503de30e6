"""Issue 9, items 6 and 7: what a digest shows. The original of a story cluster (not the syndicated copy that
happened to be stored first), others as "also covered by"; partners under the brief's own definition."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from briefings.digests.build import build_digest
from briefings.engine import brief_text
from briefings.models import Article
from briefings.store import models as m

BODY = ("Rocket Lab signed a launch agreement with the Norwegian Space Agency to fly Electron from Andøya "
        "Spaceport in Norway, officials said on Monday. The partnership covers two launches next year from the "
        "Arctic spaceport, and the agency said more could follow if the first flights go well. ")


class Sub:
    def __init__(self, cursor: int = 0):
        self.cursor_article_id, self.filters, self.channel_id, self.schedule_text = cursor, None, "C1", "daily"


async def _save(store, url, source, published, text, title="Rocket Lab to launch from Norway"):
    art = Article(url=url, source=source, site_name=source, title=title, published=published, text=text)
    return await store.save(art, brief_text(f"{title}\n\n{text}", source=source))


async def test_digest_shows_the_original_not_the_syndicated_copy(store):
    # the copy is stored first (a feed polled earlier) but was published two days later
    copy = await _save(store, "https://reprints.example/rl", "Reprint Wire", date(2025, 6, 3), BODY * 2)
    orig = await _save(store, "https://original.example/rl", "Original News", date(2025, 6, 1), BODY * 2)
    assert copy.cluster_id == orig.cluster_id  # one story
    digest = await build_digest(store, Sub())
    stories = [s for group in digest.groups.values() for s in group]
    assert len(stories) == 1
    assert stories[0].url == "https://original.example/rl" and stories[0].also == ["Reprint Wire"]


async def test_same_day_copy_that_says_so_yields_to_the_original(store):
    marker = "This article originally appeared on Original News and is republished with permission."
    copy = await _save(store, "https://reprints.example/same", "Reprint Wire", date(2025, 6, 1),
                       BODY * 2 + marker)
    orig = await _save(store, "https://original.example/same", "Original News", date(2025, 6, 1), BODY * 2)
    assert copy.cluster_id == orig.cluster_id
    stories = [s for g in (await build_digest(store, Sub())).groups.values() for s in g]
    assert [s.url for s in stories] == ["https://original.example/same"] and stories[0].also == ["Reprint Wire"]


async def test_digest_partners_never_count_the_subject_or_its_own_side(store):
    text = ("The US Space Force is looking for launch partners abroad, the Department of Defense said. Norway and "
            "its Andøya Spaceport are among the nations in talks with the Space Force about launches. ") * 2
    saved = await _save(store, "https://news.example/ussf", "News", date(2025, 6, 2), text,
                        title="Space Force seeks launch partners in Norway")
    # a brief stored by an older engine: it lists the subject and its own side among its partners
    async with store.session() as s, s.begin():
        analysis = (await s.execute(select(m.Analysis).where(m.Analysis.article_id == saved.article_id))).scalar_one()
        brief = dict(analysis.brief)
        brief["subject"] = {"name": "US Space Force", "kind": "military", "kb": "military:US Space Force",
                            "why": "headline actor"}
        extra = [{"name": n, "kind": "military", "country": "US", "role": "partner", "tier": None, "evidence": [],
                  "mentions": 1, "kb": None} for n in ("US Space Force", "Department of Defense")]
        names = {p["name"] for p in brief["partners"]}
        brief["partners"] = brief["partners"] + [p for p in extra if p["name"] not in names]
        analysis.brief = brief
    digest = await build_digest(store, Sub())
    listed = {p.name for p in digest.partners}
    assert "Norway" in listed
    assert not listed & {"US Space Force", "Department of Defense"}
    story = [s for g in digest.groups.values() for s in g][0]
    assert not set(story.partners) & {"US Space Force", "Department of Defense"}
