"""`launchbrief run` as a real process: serves signed requests, and SIGTERM lets in-flight work finish."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx

from briefings.engine import SAMPLE_ARTICLE

from .slack_client import FORM, SECRET, TOKEN, command_body, post
from .slack_double import SlackDouble


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_sigterm_finishes_in_flight_work_then_exits(server, tmp_path):
    slack = await SlackDouble().start()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAUNCHBRIEF_", "SLACK_"))}
    env.update({"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url,
                "PORT": str(port), "HOST": "127.0.0.1", "LAUNCHBRIEF_ALLOW_LOOPBACK_URLS": "true",
                "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.sqlite3'}"})
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            url = server.add("/slow-article", SAMPLE_ARTICLE.read_bytes(), delay=1.5)
            resp, elapsed = await post(http, f"http://127.0.0.1:{port}/slack/events",
                                       command_body(url, slack.response_url("inflight")), FORM)
            assert resp.status_code == 200 and elapsed < 3
            proc.send_signal(signal.SIGTERM)  # while the article is still being fetched
            payload = await slack.wait_for(lambda: slack.responses, timeout=20)
            assert "Arianespace" in str(payload[0]["blocks"])
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        await slack.stop()
