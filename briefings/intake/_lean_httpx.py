"""Import httpx without its command-line tool.

``httpx/__init__`` imports ``httpx._main`` (its CLI), which loads click, rich and pygments whenever click is
installed (rich and pygments always are, through typer; click comes with many tools -- here with the bench
extras, through nltk): ~8.4 MB of RSS the library never uses (measured; upstream: encode/httpx discussion #3523
and pull request #3547, "Do CLI import in __main__, not __init__"). Without click that import fails early anyway.
A ``None`` entry in ``sys.modules`` makes that one import fail, which httpx already handles by defining a stub
``main``; the entry is removed straight after, so ``python -m httpx`` and ``import httpx._main`` behave as before.

Import this module before ``httpx`` (``briefings.intake.fetch`` does); if httpx is already loaded it does
nothing.
"""

from __future__ import annotations

import sys


def _load() -> None:
    if "httpx" in sys.modules:
        return
    sys.modules["httpx._main"] = None  # type: ignore[assignment]
    try:
        import httpx  # noqa: F401
    finally:
        if sys.modules.get("httpx._main", 0) is None:
            del sys.modules["httpx._main"]


_load()
