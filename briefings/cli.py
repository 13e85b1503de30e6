"""The ``launchbrief`` command line (typer + rich)."""

from __future__ import annotations

import asyncio
import json
import sys

import typer
from rich.console import Console

from .errors import BriefingError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="launchbrief: briefings on space-launch policy news, offline.")
err = Console(stderr=True)


@app.callback()
def _root() -> None:
    """launchbrief: briefings on space-launch policy news, offline."""


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.command()
def brief(
    source: str = typer.Argument(..., help="A URL, a file (HTML or text), '-' for stdin, or 'sample'."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of the terminal brief."),
) -> None:
    """Brief one article: summary, launch partners, quotes, relevance."""
    from .engine import brief_source
    from .render_terminal import render_brief

    try:
        result = asyncio.run(brief_source(source))
    except BriefingError as exc:
        fail(exc.message)
        return
    except KeyboardInterrupt:
        fail("interrupted", 130)
        return
    if as_json:
        sys.stdout.write(json.dumps(result.model_dump(mode="json"), ensure_ascii=False) + "\n")
    else:
        render_brief(result, Console())


def main() -> None:
    try:
        app()
    except BriefingError as exc:  # safety net: never a traceback for bad input
        err.print(f"error: {exc.message}", markup=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
