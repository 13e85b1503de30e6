"""Running it in production: readiness (``/readyz``), Prometheus metrics (``/metrics``) and one-line logs.

``/healthz`` says the process is alive; ``/readyz`` says it can do its job: the database answers, the scheduler
runs, and Slack accepts the bot token (``auth.test``, cached). It answers 503 with a JSON body naming the check
that failed. Metrics live in prometheus-client's default registry, so the process and GC collectors come too.

Logs: one line per event (tracebacks folded into the line), JSON when ``LOG_FORMAT=json``; each line carries the
request, event or job id of the work it belongs to (a context variable, so background tasks spawned while handling
a request inherit the request's id).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import json
import logging
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

if TYPE_CHECKING:
    from bot.config import Settings

    from bot.runtime import Runtime

log = logging.getLogger("launchbrief.ops")
LOOP_LAG_TASK: web.AppKey[asyncio.Task] = web.AppKey("launchbrief_loop_lag", asyncio.Task)

# ------------------------------------------------------------------------------------------------- metrics
_ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
REQUESTS = Counter("launchbrief_slack_requests", "Requests from Slack, by kind and HTTP status", ["kind", "status"])
ACK_SECONDS = Histogram("launchbrief_slack_ack_seconds", "Time to answer (ack) a request from Slack", ["kind"],
                        buckets=_ACK_BUCKETS)
BRIEFS = Counter("launchbrief_briefs", "Briefs made (article analysed)", ["source"])
BRIEF_SECONDS = Histogram("launchbrief_brief_seconds", "Time to make one brief (fetch excluded)", ["source"],
                          buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30))
DIGESTS = Counter("launchbrief_digests", "Digest slots by outcome (posted, failed, skipped) and reason",
                  ["outcome", "reason"])
FEED_POLLS = Counter("launchbrief_feed_polls", "Feeds polled")
FEED_POLL_FAILURES = Counter("launchbrief_feed_poll_failures", "Feed polls that failed (per feed, or a whole run)")
SLACK_API_ERRORS = Counter("launchbrief_slack_api_errors", "Slack Web API calls that failed, by method and error",
                           ["method", "error"])
LOOP_LAG = Gauge("launchbrief_event_loop_lag_seconds", "Last measured event-loop lag")
LOOP_LAG_HIST = Histogram("launchbrief_event_loop_lag_seconds_hist", "Event-loop lag samples",
                          buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
READY = Gauge("launchbrief_ready", "1 when the last /readyz answered ready, else 0")

for _outcome in ("posted", "failed", "skipped"):  # present from the start, so dashboards see zeros
    DIGESTS.labels(_outcome, "")
for _kind in ("command", "event", "interactive"):
    ACK_SECONDS.labels(_kind)


def digest_outcome(outcome: str, reason: str = "") -> None:
    """Count one digest slot: ``posted``, ``failed`` or a skip reason (empty, already, gone, missed, …)."""
    if outcome in ("posted", "failed"):
        DIGESTS.labels(outcome, reason).inc()
    else:
        DIGESTS.labels("skipped", reason or outcome).inc()


def metered_digest(fn: Callable[..., Awaitable[str]]) -> Callable[..., Awaitable[str]]:
    """Decorate ``DigestPoster.run_slot``: its returned outcome (or exception) is counted."""

    @functools.wraps(fn)
    async def wrapper(*args, **kwargs) -> str:
        try:
            outcome = await fn(*args, **kwargs)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            digest_outcome("failed", type(exc).__name__)
            raise
        digest_outcome(outcome)
        return outcome

    return wrapper


class timed_brief:  # noqa: N801 - used like a function: ``async with timed_brief("on_demand"):``
    """Times and counts one brief (only when it was made: a failure counts nothing). Sync or async ``with``."""

    def __init__(self, source: str):
        self.source = source

    def __enter__(self) -> timed_brief:
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            BRIEF_SECONDS.labels(self.source).observe(time.perf_counter() - self.t0)
            BRIEFS.labels(self.source).inc()

    async def __aenter__(self) -> timed_brief:
        return self.__enter__()

    async def __aexit__(self, exc_type, exc, tb) -> None:
        self.__exit__(exc_type, exc, tb)


def feed_poll_report(report: Any) -> None:
    """Count one ingest run's feeds and failed feeds (an :class:`briefings.intake.ingest.IngestReport`)."""
    FEED_POLLS.inc(len(report.feeds))
    FEED_POLL_FAILURES.inc(len(report.failed_feeds))
    if report.new_articles:
        BRIEFS.labels("feed").inc(report.new_articles)


class MeteredWebClient(AsyncWebClient):
    """The Web API client, counting failed calls by method and Slack error code (or exception type)."""

    async def api_call(self, api_method: str, **kwargs):  # every slack_sdk method goes through here
        try:
            return await super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            error = (exc.response.get("error") if exc.response is not None else None) or "unknown"
            SLACK_API_ERRORS.labels(api_method, str(error)).inc()
            raise
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            SLACK_API_ERRORS.labels(api_method, type(exc).__name__).inc()
            raise


# ---------------------------------------------------------------------------------------- log context
_CONTEXT: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("launchbrief_log_ctx",
                                                                                 default=None)


def log_context() -> dict[str, str]:
    return dict(_CONTEXT.get() or {})


def bind(**ids: str | None) -> contextvars.Token:
    """Add ids (request_id, event_id, job_id, …) to every log line of the current task and tasks it spawns."""
    merged = log_context()
    merged.update({k: v for k, v in ids.items() if v})
    return _CONTEXT.set(merged)


def unbind(token: contextvars.Token) -> None:
    _CONTEXT.reset(token)


def job(job_id: str) -> None:
    """Called at the start of a scheduled job (each runs in its own task): its log lines carry ``job_id``."""
    bind(job_id=job_id)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.ids = log_context()
        return True


class _QuietBoltTokenWarning(logging.Filter):
    """Bolt warns that the token is unused when a client (or an installation store) is given: by design here."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = str(record.msg)
        return not ("`token`" in msg and ("will be unused" in msg or "will be ignored" in msg))


def _one_line(text: str) -> str:
    return text.replace("\r", "").replace("\n", " | ")


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(f"{k}={v}" for k, v in sorted(getattr(record, "ids", {}).items()))
        line = (f"{datetime.fromtimestamp(record.created, UTC):%Y-%m-%dT%H:%M:%S}.{int(record.msecs):03d}Z "
                f"{record.levelname} {record.name}{' [' + ids + ']' if ids else ''} {record.getMessage()}")
        if record.exc_info:
            line += " | " + "".join(traceback.format_exception(*record.exc_info)).strip()
        return _one_line(line)


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": f"{datetime.fromtimestamp(record.created, UTC):%Y-%m-%dT%H:%M:%S}.{int(record.msecs):03d}Z",
            "level": record.levelname, "logger": record.name, "msg": record.getMessage()}
        out.update(getattr(record, "ids", {}))
        if record.exc_info:
            out["exc"] = "".join(traceback.format_exception(*record.exc_info)).strip()
        return json.dumps(out, ensure_ascii=False, default=str)


def configure_logging(fmt: str = "text", level: str = "INFO", stream=None) -> logging.Handler:
    """One handler on the root logger (replacing any), one line per event; noisy third-party lines quieted."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter() if fmt.lower() == "json" else TextFormatter())
    handler.addFilter(_ContextFilter())
    handler.addFilter(_QuietBoltTokenWarning())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # APScheduler logs "Running job …" / "… executed successfully" at INFO for every run, and "Added job …".
    for name in ("apscheduler.executors", "apscheduler.scheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


def configure_from_settings(settings: Settings) -> logging.Handler:
    return configure_logging(getattr(settings, "log_format", "text"), getattr(settings, "log_level", "INFO"))


# ------------------------------------------------------------------------------------------ readiness
class Readiness:
    """The checks behind ``/readyz``. Slack's ``auth.test`` is cached: ok for 5 minutes, a failure for 15 s."""

    def __init__(self, rt: Runtime, *, db_timeout: float = 3.0, slack_ok_ttl: float = 300.0,
                 slack_fail_ttl: float = 15.0):
        self.rt = rt
        self.db_timeout = db_timeout
        self.slack_ok_ttl, self.slack_fail_ttl = slack_ok_ttl, slack_fail_ttl
        self._slack: tuple[float, dict[str, Any]] | None = None
        self._slack_lock = asyncio.Lock()

    async def database(self) -> dict[str, Any]:
        async def ping() -> None:
            async with self.rt.store.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")

        try:
            await asyncio.wait_for(ping(), self.db_timeout)
            return {"ok": True}
        except TimeoutError:
            return {"ok": False, "error": f"no answer within {self.db_timeout:g}s"}
        except Exception as exc:
            return {"ok": False, "error": _one_line(f"{type(exc).__name__}: {exc}")[:300]}

    def scheduler(self) -> dict[str, Any]:
        if self.rt.scheduler is None:
            return {"ok": False, "error": "not started"}
        inner = self.rt.scheduler.scheduler
        if not inner.running:
            return {"ok": False, "error": "starting (recovery and catch-up)" if not self.rt.closing else "stopped"}
        return {"ok": True, "jobs": len(inner.get_jobs())}

    async def slack(self) -> dict[str, Any]:
        if not self.rt.client.token:
            return {"ok": True, "note": "no bot token: per-installation tokens (OAuth mode)"}
        async with self._slack_lock:
            now = time.monotonic()
            if self._slack is not None:
                at, result = self._slack
                if now - at < (self.slack_ok_ttl if result["ok"] else self.slack_fail_ttl):
                    return result
            try:
                resp = await asyncio.wait_for(self.rt.client.auth_test(), 10)
                result = {"ok": True, "team_id": resp.get("team_id"), "bot_user_id": resp.get("user_id")}
            except SlackApiError as exc:
                result = {"ok": False, "error": str(exc.response.get("error") or "auth.test failed")}
            except TimeoutError:
                result = {"ok": False, "error": "auth.test: no answer within 10s"}
            except Exception as exc:
                result = {"ok": False, "error": _one_line(f"auth.test: {type(exc).__name__}: {exc}")[:300]}
            self._slack = (time.monotonic(), result)
            return result

    async def check(self) -> tuple[bool, dict[str, Any]]:
        if self.rt.closing:
            body = {"ready": False, "failed": ["shutting_down"], "checks": {}}
            READY.set(0)
            return False, body
        database, slack = await asyncio.gather(self.database(), self.slack())
        checks = {"database": database, "scheduler": self.scheduler(), "slack": slack}
        failed = [name for name, c in checks.items() if not c["ok"]]
        READY.set(0 if failed else 1)
        return not failed, {"ready": not failed, "failed": failed, "checks": checks}


# ------------------------------------------------------------------------------------------- the web side
SLACK_PATHS = ("/slack/events",)


def _request_ids(raw: bytes, content_type: str) -> tuple[str, dict[str, str | None]]:
    """The kind of a Slack request (command, interactive, event) and the ids worth logging."""
    try:
        if "json" in content_type:
            body = json.loads(raw or b"{}")
            kind = "url_verification" if body.get("type") == "url_verification" else "event"
            return kind, {"event_id": body.get("event_id")}
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        if "payload" in form:
            payload = json.loads(form["payload"])
            return "interactive", {"trigger_id": payload.get("trigger_id")}
        if "command" in form:
            return "command", {"trigger_id": form.get("trigger_id")}
    except (ValueError, AttributeError):
        pass
    return "other", {}


@web.middleware
async def observe_requests(request: web.Request, handler):
    """Counts and times Slack's requests; binds a request id (and Slack's event/trigger id) to the logs."""
    if request.path not in SLACK_PATHS:
        return await handler(request)
    t0 = time.perf_counter()
    kind, ids = _request_ids(await request.read(), request.headers.get("Content-Type", ""))
    token = bind(request_id=uuid.uuid4().hex[:12], **ids)
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        REQUESTS.labels(kind, str(status)).inc()
        ACK_SECONDS.labels(kind).observe(time.perf_counter() - t0)
        unbind(token)


async def watch_loop_lag(interval: float = 0.5) -> None:
    """Sleep ``interval`` and record how late the loop woke us: the lag every ack also suffers."""
    loop = asyncio.get_running_loop()
    while True:
        t0 = loop.time()
        await asyncio.sleep(interval)
        lag = max(0.0, loop.time() - t0 - interval)
        LOOP_LAG.set(lag)
        LOOP_LAG_HIST.observe(lag)


def install(app: web.Application, rt: Runtime) -> Readiness:
    """Add ``/readyz``, ``/metrics``, request metrics and the loop-lag watcher to the bot's aiohttp app."""
    readiness = Readiness(rt)
    app.middlewares.append(observe_requests)

    async def readyz(_request: web.Request) -> web.Response:
        ok, body = await readiness.check()
        return web.json_response(body, status=200 if ok else 503)

    async def metrics(_request: web.Request) -> web.Response:
        resp = web.Response(body=generate_latest())
        resp.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return resp

    async def start_lag(app_: web.Application) -> None:
        app_[LOOP_LAG_TASK] = asyncio.ensure_future(watch_loop_lag())

    async def stop_lag(app_: web.Application) -> None:
        task = app_.get(LOOP_LAG_TASK)
        if task:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.on_startup.append(start_lag)
    app.on_cleanup.append(stop_lag)
    return readiness


def ops_app(rt: Runtime) -> web.Application:
    """Socket Mode has no Slack HTTP endpoint; this small app still serves the probes and metrics on PORT."""
    app = web.Application()

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": not rt.closing, "in_flight": len(rt.tasks)})

    app.router.add_get("/healthz", healthz)
    install(app, rt)
    return app
