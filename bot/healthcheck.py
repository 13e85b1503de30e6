"""The container's HEALTHCHECK: ``python -m bot.healthcheck [--ready]`` exits 0 when the bot answers.

Without ``--ready`` it asks ``/healthz`` (alive; Docker restarts an unhealthy container only through an
orchestrator, so liveness is the safe probe); with it, ``/readyz``. Stdlib only: the slim image has no curl.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request


def check(path: str = "/healthz", port: int | None = None, timeout: float = 4.0) -> tuple[bool, str]:
    port = port or int(os.environ.get("PORT") or 3000)
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - loopback, fixed scheme
            return resp.status == 200, resp.read(2000).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:  # 503: the body says which check failed
        return False, exc.read(2000).decode("utf-8", "replace")
    except (OSError, ValueError) as exc:
        return False, f"{url}: {exc}"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    ok, detail = check("/readyz" if "--ready" in args else "/healthz")
    if not ok:
        try:
            detail = json.dumps(json.loads(detail).get("failed", detail))
        except (ValueError, AttributeError):
            pass
        print(f"unhealthy: {detail}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
