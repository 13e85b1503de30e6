"""A fresh SQLite archive from the schema snapshot is the archive the migrations make, without alembic."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from briefings.store import snapshot
from briefings.store.db import _create_from, head_revision, make_engine, upgrade

ROOT = Path(__file__).resolve().parent.parent


def _schema(path: Path) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return (con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
                + con.execute("SELECT * FROM alembic_version").fetchall()
                + con.execute("SELECT * FROM articles_fts_config").fetchall())
    finally:
        con.close()


async def _migrate(path: Path, *, use_snapshot: bool) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(engine, snapshot=use_snapshot)
    finally:
        await engine.dispose()


async def test_the_snapshot_is_what_the_migrations_make(tmp_path):
    await _migrate(tmp_path / "alembic.sqlite3", use_snapshot=False)
    assert snapshot.dump(tmp_path / "alembic.sqlite3") == snapshot.SNAPSHOT.read_text(encoding="utf-8"), (
        "the schema snapshot is stale: run `python -m briefings.store.snapshot` after changing a migration")
    snap = snapshot.load()
    assert snap is not None and snap.revision == head_revision()


async def test_a_fresh_file_from_the_snapshot_has_the_migrated_schema(tmp_path):
    await _migrate(tmp_path / "alembic.sqlite3", use_snapshot=False)
    await _migrate(tmp_path / "snap.sqlite3", use_snapshot=True)
    assert _schema(tmp_path / "snap.sqlite3") == _schema(tmp_path / "alembic.sqlite3")


async def test_the_snapshot_is_used_only_on_an_empty_file(tmp_path):
    snap = snapshot.load()
    assert snap is not None
    db = tmp_path / "x.sqlite3"
    assert _create_from(str(db), snap.statements) is True
    assert _create_from(str(db), snap.statements) is False  # a second creator finds the schema and backs off
    await _migrate(db, use_snapshot=True)  # at head already: nothing to do
    assert [r for r in _schema(db) if r[0] == "table" and r[1] == "articles"]


async def test_a_store_on_a_snapshot_file_stores_and_searches(tmp_path):
    from briefings.models import Article
    from briefings.store.repo import Store

    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'a.sqlite3'}")
    try:
        await store.save(Article(url="https://x.example/a", source="x", title="Spaceport licence",
                                 text="Norway granted the Andoya spaceport a launch licence. " * 5), None)
        hits = await store.search("spaceport licence")
        assert [h.url for h in hits] == ["https://x.example/a"]
    finally:
        await store.close()


def test_creating_an_archive_loads_no_alembic(tmp_path):
    code = ("import asyncio, sys\nfrom briefings.store.repo import Store\n"
            "async def main():\n    await (await Store.open(sys.argv[1])).close()\n"
            "asyncio.run(main())\nprint(sorted(m for m in ('alembic', 'mako') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, f"sqlite+aiosqlite:///{tmp_path / 'n.sqlite3'}"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[]"]


async def test_migrations_0011_and_0012_keep_bands_and_fill_partner_totals(tmp_path):
    from alembic import command
    from sqlalchemy import text

    from briefings.models import Article
    from briefings.store.db import alembic_config
    from briefings.store.repo import Store

    url = f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    engine = make_engine(url)

    async def alembic(action: str, revision: str) -> None:
        def run(connection) -> None:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            getattr(command, action)(cfg, revision)

        async with engine.begin() as conn:
            await conn.run_sync(run)

    body = "The agency signed a launch agreement with the spaceport operator for polar orbit missions. " * 6
    store = await Store.open(url)  # stored at head, then taken down to 0010 and back up (and again)
    from .test_perf import _brief

    first = await store.save(Article(url="https://x.example/1", source="x", title="One", text=body),
                             _brief("One", ["Rocket Lab", "Orbex"]))
    await store.save(Article(url="https://x.example/3", source="x", title="Three", text="Unrelated words. " * 30),
                     _brief("Three", ["Rocket Lab"]))
    await store.close()
    for action, revision in (("downgrade", "0010_workspaces"), ("upgrade", "head"), ("downgrade", "0010_workspaces"),
                             ("upgrade", "head")):
        await alembic(action, revision)
        async with engine.connect() as conn:
            bands = (await conn.execute(text("SELECT count(*) FROM minhash_bands WHERE article_id = :a"),
                                        {"a": first.article_id})).scalar_one()
        assert bands == 16, (action, revision)
    await engine.dispose()
    store = await Store.open(url)
    try:
        totals = {t.entity: (t.mentions, t.latest_title) for t in await store.partner_stats()}
        assert totals == {"Rocket Lab": (2, "Three"), "Orbex": (1, "One")}  # filled from the stored mentions
        copy = await store.save(Article(url="https://y.example/2", source="y", title="Two", text=body + "More."),
                                None)
        assert copy.reason == "near-duplicate" and copy.cluster_id == first.cluster_id
    finally:
        await store.close()
