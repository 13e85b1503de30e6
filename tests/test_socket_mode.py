"""`launchbrief run` in Socket Mode: the app connects to a loopback Socket Mode endpoint, acks envelopes,
answers commands through response_url and replies to mentions once, even when Slack retries."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

from briefings.engine import SAMPLE_ARTICLE

from .slack_client import TOKEN
from .slack_double import SlackDouble


async def test_socket_mode_end_to_end(server, tmp_path):
    slack = await SlackDouble().start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAUNCHBRIEF_", "SLACK_"))}
    env.update({"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": "xapp-test-token", "SLACK_API_URL": slack.api_url,
                "LAUNCHBRIEF_ALLOW_LOOPBACK_URLS": "true", "LAUNCHBRIEF_POLL_MINUTES": "0",
                "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'socket.sqlite3'}"})
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        await slack.wait_for(lambda: slack.sockets, timeout=30)
        url = server.add("/sample", SAMPLE_ARTICLE.read_bytes())
        command = {"token": "legacy", "team_id": "T1", "channel_id": "C1", "user_id": "U1", "command": "/launchbrief",
                   "text": url, "response_url": slack.response_url("sock"), "trigger_id": "1.2", "api_app_id": "A1"}
        t0 = time.monotonic()
        await slack.send_envelope("slash_commands", command, envelope_id="env-1")
        ack = await slack.wait_for(lambda: [a for a in slack.socket_acks if a.get("envelope_id") == "env-1"])
        assert time.monotonic() - t0 < 3
        assert "Working on it" in json.dumps(ack[0])
        answer = await slack.wait_for(lambda: [r for r in slack.responses if r["_name"] == "sock"], timeout=20)
        assert "Arianespace" in json.dumps(answer[0]["blocks"])

        event = {"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                 "event_id": "EvSock", "event_time": int(time.time()),
                 "event": {"type": "app_mention", "user": "U1", "text": f"<@UBOT> <{url}>", "ts": "9.1",
                           "channel": "C1", "event_ts": "9.1"}}
        await slack.send_envelope("events_api", event, envelope_id="env-2")
        await slack.send_envelope("events_api", event, envelope_id="env-3", retry_attempt=1)
        await slack.wait_for(lambda: slack.calls_to("chat.postMessage"), timeout=20)
        await asyncio.sleep(1.0)
        assert len(slack.calls_to("chat.postMessage")) == 1
        assert {a.get("envelope_id") for a in slack.socket_acks} >= {"env-1", "env-2", "env-3"}
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert proc.returncode == 0, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
        await slack.stop()
