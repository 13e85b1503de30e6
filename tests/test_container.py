"""The container, without Docker (this machine has no Docker engine): the Dockerfile and compose.yaml say what
the issue asks, and the very entrypoint the image runs is run here as a process against the local PostgreSQL:
migrations applied, /readyz answering, the HEALTHCHECK command passing, JSON logs one per line, SIGTERM a
clean exit."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from .slack_client import SECRET, TOKEN
from .slack_double import SlackDouble
from .test_bot_process import free_port

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the final stage, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    rows = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    last_from = max(i for i, r in enumerate(rows) if r.upper().startswith("FROM "))
    return [(r.split(None, 1)[0].upper(), r.split(None, 1)[1] if " " in r else "") for r in rows[last_from:]]


def entrypoint_script() -> Path:
    """The script the image's ENTRYPOINT runs, found through the Dockerfile's COPY of it."""
    rows = instructions()
    entry = json.loads(next(a for i, a in rows if i == "ENTRYPOINT"))
    for inst, args in rows:
        if inst == "COPY":
            parts = [p for p in shlex.split(args) if not p.startswith("--")]
            if parts[-1] == entry[0]:
                return ROOT / parts[0]
    raise AssertionError(f"the Dockerfile does not COPY its entrypoint {entry[0]}")


def test_dockerfile_slim_non_root_healthcheck_exec_form():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert all(f.startswith("python:3.11-slim") for f in re.findall(r"^FROM\s+(\S+)", text, re.M))
    rows = instructions()
    user = [a for i, a in rows if i == "USER"]
    assert user and user[-1] not in ("root", "0")
    health = next(a for i, a in rows if i == "HEALTHCHECK")
    cmd = json.loads(health.split("CMD", 1)[1])
    assert cmd[:3] == ["python", "-m", "bot.healthcheck"]
    for inst in ("ENTRYPOINT", "CMD"):  # exec form: the bot, not a shell, gets SIGTERM
        assert isinstance(json.loads(next(a for i, a in rows if i == inst)), list)
    assert "exec launchbrief" in entrypoint_script().read_text(encoding="utf-8")
    assert os.access(entrypoint_script(), os.X_OK)
    # the package is installed from the repository: what it copies is not ignored by .dockerignore
    ignored = {x.strip().rstrip("/") for x in (ROOT / ".dockerignore").read_text().splitlines()
               if x.strip() and not x.startswith("#")}
    for needed in ("pyproject.toml", "briefings", "bot", "docker", "README.md"):
        assert needed not in ignored and needed in text
    assert ".env" in ignored and ".git" in ignored and ".venv" in ignored


def test_compose_runs_the_bot_with_postgresql_on_a_named_volume():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    bot, db = services["bot"], services["db"]
    assert bot["build"] == "." and "command" not in bot and "entrypoint" not in bot  # the image's own entrypoint
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://") and "@db:5432/" in \
        bot["environment"]["DATABASE_URL"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy" and "healthcheck" in db
    assert db["image"].startswith("postgres:")
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]  # named, not a bind mount
    grace = int(str(bot["stop_grace_period"]).rstrip("s"))
    assert grace > 25  # longer than the bot's own drain


@pytest.fixture
async def slack():
    double = await SlackDouble().start()
    yield double
    await double.stop()


async def test_the_entrypoint_migrates_serves_readyz_and_stops_cleanly(slack, pg_url):
    from alembic.script import ScriptDirectory
    from sqlalchemy.ext.asyncio import create_async_engine

    from briefings.store.db import alembic_config

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAUNCHBRIEF_", "SLACK_", "LOG_"))}
    env.update({"PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
                "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url,
                "PORT": str(port), "HOST": "127.0.0.1", "DATABASE_URL": pg_url, "LOG_FORMAT": "json",
                "LAUNCHBRIEF_POLL_MINUTES": "0"})
    proc = subprocess.Popen([str(entrypoint_script())], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            cwd=ROOT / "tests")
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            deadline, ready = time.monotonic() + 60, None
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    ready = await http.get(f"http://127.0.0.1:{port}/readyz")
                    if ready.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            assert ready is not None and ready.status_code == 200, (ready and ready.text, proc.poll())
            assert ready.json()["checks"]["database"]["ok"]

        # the image's HEALTHCHECK command, as Docker would run it inside the container
        for args in ([], ["--ready"]):
            check = subprocess.run([sys.executable, "-m", "bot.healthcheck", *args], env=env, timeout=20)
            assert check.returncode == 0

        engine = create_async_engine(pg_url)
        try:
            async with engine.connect() as conn:
                applied = (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).scalar_one()
        finally:
            await engine.dispose()
        assert applied == ScriptDirectory.from_config(alembic_config()).get_current_head()

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=40) == 0
        output = proc.stdout.read().decode("utf-8", "replace").splitlines()
        bot_lines = [x for x in output if x.startswith("{")]
        assert bot_lines and all(isinstance(json.loads(x), dict) for x in bot_lines)  # one JSON object a line
        assert any("listening" in json.loads(x)["msg"] for x in bot_lines)
        assert not any("Running job" in x or "executed successfully" in x for x in output)
        # stopped: the health check now fails
        assert subprocess.run([sys.executable, "-m", "bot.healthcheck"], env=env, timeout=20,
                              capture_output=True).returncode == 1
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


async def test_sigterm_while_starting_still_exits_cleanly(slack, tmp_path):
    """`docker stop` right after `docker start`: the signal lands during imports or migrations, not later."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAUNCHBRIEF_", "SLACK_", "LOG_"))}
    env.update({"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url,
                "PORT": str(free_port()), "HOST": "127.0.0.1", "LAUNCHBRIEF_POLL_MINUTES": "0",
                "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'early.sqlite3'}"})
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        time.sleep(0.8)  # well inside start-up (imports alone take longer)
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, proc.stderr.read().decode()[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
