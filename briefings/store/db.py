"""Engine, sessions and migrations."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config():
    from alembic.config import Config  # imported when migrating only: alembic (+ mako) is ~10 MB of RSS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def make_engine(url: str, **pool) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **pool)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL: readers never block the writer
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across process crashes
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    # PostgreSQL's JIT compiles any plan whose cost estimate passes jit_above_cost: tens of milliseconds for a
    # search that runs in a few (bench/scale.py: search p95 about 25 % lower with it off). The bot's queries
    # are all short, so its connections turn it off.
    connect_args = {"server_settings": {"jit": "off"}} if url.startswith("postgresql+asyncpg") else {}
    return create_async_engine(url, pool_pre_ping=True, connect_args=connect_args, **pool)


def head_revision() -> str | None:
    """The newest migration's id, read from the scripts without importing alembic; None if not a single head."""
    revs, downs = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        src = path.read_text(encoding="utf-8")
        rev = re.search(r'^revision\s*=\s*["\']([^"\']+)["\']', src, re.M)
        down = re.search(r'^down_revision\s*=\s*["\']([^"\']+)["\']', src, re.M)
        if rev:
            revs.add(rev.group(1))
        if down:
            downs.add(down.group(1))
    heads = revs - downs
    return heads.pop() if len(heads) == 1 else None


async def _at_head(engine: AsyncEngine) -> bool:
    head = head_revision()
    if head is None:
        return False
    try:
        async with engine.connect() as conn:
            current = (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).scalars().all()
    except Exception:  # no version table yet: a fresh database
        return False
    return current == [head]


async def upgrade(engine: AsyncEngine, revision: str = "head", *, snapshot: bool = True) -> None:
    """Apply migrations up to ``revision`` (idempotent). A database already at head is left alone without
    loading alembic (~10 MB of RSS the running bot would otherwise keep); an empty SQLite file gets the head
    schema from its snapshot (:mod:`briefings.store.snapshot`), without alembic either."""
    if revision == "head" and await _at_head(engine):
        return
    if revision == "head" and snapshot and engine.dialect.name == "sqlite" and await _from_snapshot(engine):
        return

    def run(connection) -> None:
        from alembic import command

        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # replicas starting together migrate one at a time
            await conn.exec_driver_sql("SELECT pg_advisory_xact_lock(2026112601)")
        await conn.run_sync(run)


async def _from_snapshot(engine: AsyncEngine) -> bool:
    """Create the head schema on an empty SQLite file from the snapshot; False (nothing done) for an in-memory
    database, a file that is not empty, or a snapshot that is not of the head."""
    from briefings.store.snapshot import load

    path = engine.url.database
    snap = load()
    if not path or path == ":memory:" or path.startswith("file:") or snap is None or snap.revision != head_revision():
        return False
    return await asyncio.to_thread(_create_from, path, snap.statements)


def _create_from(path: str, statements: list[str]) -> bool:
    # the stdlib driver with explicit transaction control: pysqlite runs DDL outside any transaction otherwise,
    # and BEGIN IMMEDIATE takes the write lock before the emptiness check, so two processes creating the same
    # file never both try (the second finds the schema and returns False; alembic then finds it at head)
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        try:
            if con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                con.execute("ROLLBACK")
                return False
            for statement in statements:
                con.execute(statement)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return True
    finally:
        con.close()


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
