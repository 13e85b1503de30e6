"""The Slack front's settings: the engine's (``briefings.config``) plus tokens, OAuth, schedules and logs.

Every setting is documented in ``.env.example``.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from briefings.config import Settings as EngineSettings
from briefings.config import _env


class Settings(EngineSettings):
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
