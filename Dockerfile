# launchbrief: the Slack bot with its engine. Build: `docker build -t launchbrief .`
# Runs as a non-root user; migrations are applied on start (docker/entrypoint.sh), then the entrypoint execs the
# bot, which handles SIGTERM itself (drains in-flight work, up to 25 s: give it a stop timeout above that).

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# every runtime dependency ships manylinux wheels for CPython 3.11: no compiler needed
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY briefings ./briefings
COPY bot ./bot
RUN /opt/venv/bin/pip install . \
    && /opt/venv/bin/python -c "import briefings.engine, bot.server"

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOST=0.0.0.0 \
    PORT=3000 \
    LOG_FORMAT=json \
    DATABASE_URL=sqlite+aiosqlite:////data/launchbrief.sqlite3
RUN groupadd --system --gid 10001 launchbrief \
    && useradd --system --uid 10001 --gid launchbrief --home-dir /data --create-home --shell /usr/sbin/nologin launchbrief
COPY --from=build /opt/venv /opt/venv
COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/launchbrief-entrypoint
USER launchbrief
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["python", "-m", "bot.healthcheck"]
# exec form: no shell in between, so the bot (exec'd by the entrypoint) receives the signals
ENTRYPOINT ["/usr/local/bin/launchbrief-entrypoint"]
CMD ["run"]
