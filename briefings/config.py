"""The engine's settings, read from the environment and a ``.env`` file (pydantic-settings).

Every setting is documented in ``.env.example``. The Slack front's own settings (tokens, schedules, logs)
extend these in ``bot/config.py``; the engine knows nothing of Slack.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from briefings import __version__


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      populate_by_name=True)

    database_url: str = Field("sqlite+aiosqlite:///launchbrief.sqlite3", validation_alias=_env("DATABASE_URL"))

    # --- fetching on a user's behalf (SSRF guard and caps) ---
    allow_private_urls: bool = Field(False, validation_alias=_env("LAUNCHBRIEF_ALLOW_PRIVATE_URLS"))
    allow_loopback_urls: bool = Field(False, validation_alias=_env("LAUNCHBRIEF_ALLOW_LOOPBACK_URLS"))
    fetch_connect_timeout: float = Field(5.0, validation_alias=_env("LAUNCHBRIEF_FETCH_CONNECT_TIMEOUT"))
    fetch_read_timeout: float = Field(10.0, validation_alias=_env("LAUNCHBRIEF_FETCH_READ_TIMEOUT"))
    fetch_total_timeout: float = Field(20.0, validation_alias=_env("LAUNCHBRIEF_FETCH_TOTAL_TIMEOUT"))
    fetch_max_bytes: int = Field(5_000_000, validation_alias=_env("LAUNCHBRIEF_FETCH_MAX_BYTES"))
    fetch_max_redirects: int = Field(5, validation_alias=_env("LAUNCHBRIEF_FETCH_MAX_REDIRECTS"))
    user_agent: str = Field(
        f"launchbrief/{__version__} (+https://github.com/launchbrief/launchbrief; news briefing bot)",
        validation_alias=_env("LAUNCHBRIEF_USER_AGENT"),
    )

    # --- archive size ---
    # days after which an article's page body is reduced to its search words (brief, partners, search kept);
    # unset or 0: keep every body
    retention_days: float | None = Field(None, ge=0, validation_alias=_env("LAUNCHBRIEF_RETENTION_DAYS"))

    @field_validator("retention_days", mode="before")
    @classmethod
    def _blank_is_unset(cls, value):
        return None if isinstance(value, str) and not value.strip() else value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
