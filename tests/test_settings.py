"""Every setting is documented in .env.example, and .env values are read."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings  # the bot's settings extend the engine's: every one must be documented

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_in_env_example():
    documented = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias.choices[0]
        assert alias in documented, f"{alias} ({name}) is missing from .env.example"


def test_env_file_and_environment(tmp_path, monkeypatch):
    env = tmp_path / ".env"
    env.write_text("LAUNCHBRIEF_FETCH_MAX_BYTES=1234\nDATABASE_URL=sqlite+aiosqlite:///x.db\n", encoding="utf-8")
    monkeypatch.setenv("LAUNCHBRIEF_ALLOW_LOOPBACK_URLS", "true")
    s = Settings(_env_file=str(env))
    assert s.fetch_max_bytes == 1234 and s.database_url.endswith("x.db") and s.allow_loopback_urls is True
    assert Settings(_env_file=None).allow_private_urls is False  # safe defaults
