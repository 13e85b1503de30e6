"""Settings, read from the environment and a ``.env`` file (pydantic-settings).

Every setting is documented in ``.env.example``.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from . import __version__


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

    # --- Slack (issue 4) ---
    slack_bot_token: str | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: str | None = Field(None, validation_alias=_env("SLACK_SIGNING_SECRET"))
    slack_app_token: str | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=_env("SLACK_API_URL"))
    port: int = Field(3000, validation_alias=_env("PORT"))
    host: str = Field("0.0.0.0", validation_alias=_env("HOST"))
    admins: str = Field("", validation_alias=_env("LAUNCHBRIEF_ADMINS"))  # comma-separated Slack user IDs
    # OAuth install in many workspaces (bot/oauth.py): on when the client id and secret are set
    slack_client_id: str | None = Field(None, validation_alias=_env("SLACK_CLIENT_ID"))
    slack_client_secret: str | None = Field(None, validation_alias=_env("SLACK_CLIENT_SECRET"))
    slack_scopes: str | None = Field(None, validation_alias=_env("SLACK_SCOPES"))  # comma-separated; manifest's
    slack_redirect_uri: str | None = Field(None, validation_alias=_env("SLACK_REDIRECT_URI"))
    # only LAUNCHBRIEF_ADMINS may set, change or switch off a channel's digest
    digest_admins_only: bool = Field(False, validation_alias=_env("LAUNCHBRIEF_DIGEST_ADMINS_ONLY"))
    # answer @mentions written by other bots (off: two bots could answer each other for ever)
    answer_bots: bool = Field(False, validation_alias=_env("LAUNCHBRIEF_ANSWER_BOTS"))

    # --- schedules (the bot) ---
    poll_minutes: float = Field(30, validation_alias=_env("LAUNCHBRIEF_POLL_MINUTES"))  # 0: the bot never polls
    digest_catch_up_hours: float = Field(12, validation_alias=_env("LAUNCHBRIEF_DIGEST_CATCH_UP_HOURS"))
    digest_pace_seconds: float = Field(1.0, validation_alias=_env("LAUNCHBRIEF_DIGEST_PACE_SECONDS"))
    # a claimed digest with no confirmation after this long is recovered (checked in channel history first)
    digest_lease_seconds: float = Field(300, validation_alias=_env("LAUNCHBRIEF_DIGEST_LEASE_SECONDS"))

    # --- running it (logs) ---
    log_format: str = Field("text", validation_alias=_env("LOG_FORMAT"))  # text | json
    log_level: str = Field("INFO", validation_alias=_env("LOG_LEVEL"))
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
