"""Errors the engine raises on bad input. Each carries a plain-words message for the user."""

from __future__ import annotations


class BriefingError(Exception):
    """Base class: ``str(err)`` is a one-line message fit to show a user."""

    code = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidURL(BriefingError):
    code = "invalid_url"


class BlockedURL(BriefingError):
    """The URL points at an address the bot must not reach (SSRF guard)."""

    code = "blocked_url"


class FetchFailed(BriefingError):
    code = "fetch_failed"

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after  # seconds, from a 429/503 Retry-After header


class FetchTimeout(BriefingError):
    code = "timeout"


class TooLarge(BriefingError):
    code = "too_large"


class UnsupportedContent(BriefingError):
    code = "unsupported_content"


class EmptyArticle(BriefingError):
    code = "empty_article"


class SourceNotFound(BriefingError):
    code = "not_found"
