"""The engine knows nothing of Slack or APScheduler: `briefings` never imports `bot`, `slack_bolt`, `slack_sdk`
or `apscheduler` (ARCHITECTURE.md's rule), checked on the source and on a fresh interpreter."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("bot", "slack_bolt", "slack_sdk", "apscheduler", "slack")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module))
    return out


def test_briefings_source_never_imports_the_front_or_slack():
    bad = [f"{path.relative_to(ROOT)}:{line} imports {name}"
           for path in sorted((ROOT / "briefings").rglob("*.py"))
           for line, name in _imports(path)
           if name.split(".")[0] in FORBIDDEN]
    assert bad == []


def test_the_checker_sees_a_forbidden_import(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("def f():\n    from bot.render import esc\n    import apscheduler.triggers.cron\n")
    assert [n for _, n in _imports(sample)] == ["bot.render", "apscheduler.triggers.cron"]


def test_engine_modules_load_without_the_front():
    """Import every engine module in a fresh interpreter and check no front or Slack module got loaded."""
    modules = sorted(".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                     for p in (ROOT / "briefings").rglob("*.py")
                     if "migrations" not in p.parts and p.name != "__main__.py")
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            f"print(sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout


def test_fetching_loads_httpx_without_its_command_line_tool():
    # httpx's __init__ would import click, rich and pygments (~8 MB of RSS) for its CLI; the fetcher keeps them out
    code = ("import importlib.util, sys, briefings.intake.fetch, httpx\n"
            "assert httpx.AsyncClient and 'httpx._main' not in sys.modules\n"
            "print(sorted(m for m in ('rich', 'click', 'pygments') if m in sys.modules))\n"
            "if importlib.util.find_spec('click') and importlib.util.find_spec('rich'):\n"
            "    import httpx._main\n"  # where its dependencies are installed, the CLI still imports when asked for
            "    print(callable(httpx._main.main))\n"
            "else:\n"
            "    print(True)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[]", "True"]
