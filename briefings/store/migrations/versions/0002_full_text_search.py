"""full-text search: FTS5 on SQLite, a generated tsvector with a GIN index on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='id', "
    "tokenize='porter unicode61')",
    "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); END",
    "CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, text ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS articles_fts_au", "DROP TRIGGER IF EXISTS articles_fts_ad",
               "DROP TRIGGER IF EXISTS articles_fts_ai", "DROP TABLE IF EXISTS articles_fts"]
PG_UP = [
    "ALTER TABLE articles ADD COLUMN search tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(text, '')), 'B')) STORED",
    "CREATE INDEX ix_articles_search ON articles USING GIN (search)",
]
PG_DOWN = ["DROP INDEX IF EXISTS ix_articles_search", "ALTER TABLE articles DROP COLUMN IF EXISTS search"]


def _run(statements: list[str]) -> None:
    for sql in statements:
        op.execute(sql)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_UP)
    elif dialect == "postgresql":
        _run(PG_UP)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DOWN)
    elif dialect == "postgresql":
        _run(PG_DOWN)
