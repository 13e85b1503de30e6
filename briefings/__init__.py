"""launchbrief's briefing engine: fetch -> extract -> analyse -> (store -> digest).

The engine knows nothing of Slack; it returns plain models (see :mod:`briefings.models`).
"""

__version__ = "0.1.0"
#: Bumped whenever the analysis changes in a way that makes stored briefs stale.
ENGINE_VERSION = "2026.11.1"
