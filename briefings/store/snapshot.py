"""A fresh SQLite archive created from a snapshot of the migrated schema, without loading alembic.

``upgrade()`` on an empty SQLite file runs the statements in ``migrations/sqlite_head.sql`` -- what the
migrations up to that head create, read back from ``sqlite_master`` -- in one transaction, and records the
revision as alembic would. Profiled on bench/ingest.py: alembic and mako are ~15 MB of RSS that a process which
only creates its archive would otherwise keep. Existing databases, PostgreSQL, and a snapshot that is not of the
current head all go through alembic as before.

``tests/test_store_snapshot.py`` checks that the snapshot gives the very schema the migrations give; after adding a
migration, regenerate it with ``python -m briefings.store.snapshot``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

SNAPSHOT = Path(__file__).parent / "migrations" / "sqlite_head.sql"
_SEP = "\n-- ;\n"
_HEADER = "-- revision: "


@dataclass(frozen=True)
class Snapshot:
    revision: str
    statements: list[str]


def dump(db_file: str | Path) -> str:
    """The schema of a migrated SQLite file as a snapshot: its CREATE statements in creation order (no internal
    tables, no virtual tables' shadow tables), then its alembic revision."""
    con = sqlite3.connect(db_file)
    try:
        rows = con.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid").fetchall()
        (revision,) = con.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        con.close()
    virtual = [name for kind, name, sql in rows if kind == "table" and sql.upper().startswith("CREATE VIRTUAL")]
    statements = [sql for kind, name, sql in rows
                  if not name.startswith("sqlite_")
                  and not (kind == "table" and any(name.startswith(v + "_") for v in virtual)
                           and sql.startswith("CREATE TABLE '"))]
    return _HEADER + revision + _SEP + _SEP.join(statements) + "\n"


def load(path: Path = SNAPSHOT) -> Snapshot | None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    head, *statements = text.rstrip("\n").split(_SEP)
    if not head.startswith(_HEADER) or not statements:
        return None
    revision = head.removeprefix(_HEADER).strip()
    return Snapshot(revision, statements + [f"INSERT INTO alembic_version (version_num) VALUES ('{revision}')"])


def regenerate(path: Path = SNAPSHOT) -> str:
    """Migrate a scratch SQLite file with alembic (never the snapshot) and write its schema to ``path``."""
    from briefings.store.db import make_engine, upgrade

    async def migrate(url: str) -> None:
        engine = make_engine(url)
        try:
            await upgrade(engine, snapshot=False)
        finally:
            await engine.dispose()

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "head.sqlite3"
        asyncio.run(migrate(f"sqlite+aiosqlite:///{db}"))
        text = dump(db)
    path.write_text(text, encoding="utf-8")
    return text


if __name__ == "__main__":
    print(regenerate().splitlines()[0], "->", SNAPSHOT)
