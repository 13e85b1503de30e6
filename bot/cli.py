"""The `launchbrief` command: the engine's terminal commands plus `run`, which starts the Slack app.

The engine's CLI (``briefings.terminal.cli``) knows nothing of Slack; the front registers its own command here.
"""

from __future__ import annotations

import sys

from briefings.errors import BriefingError
from briefings.terminal.cli import _run, app, err, fail


@app.command("run")
def run_bot() -> None:
    """Run the Slack app: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on PORT (/slack/events)."""
    import signal
    import threading

    # Under a container the bot is PID 1 and starting takes seconds (imports, migrations): a SIGTERM in that
    # window must still end in a clean exit, not Python's default death by signal.
    stop_requested = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop_requested.set())
    from bot.config import get_settings
    from bot.server import serve

    settings = get_settings()
    if not settings.slack_bot_token and not (settings.slack_client_id and settings.slack_client_secret):
        fail("SLACK_BOT_TOKEN is not set, nor SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (see .env.example)")
    if not settings.slack_app_token and not settings.slack_signing_secret:
        fail("HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)")

    _run(serve(settings, stop_requested))


def main() -> None:
    try:
        app(prog_name="launchbrief")
    except BriefingError as exc:  # safety net: never a traceback for bad input
        err.print(f"error: {exc.message}", markup=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
