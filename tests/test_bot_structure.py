"""The Slack front's shape: who may import whom in bot/, subcommands found through tables, the crash test hook
read in one place."""

from __future__ import annotations

import ast
from pathlib import Path

from bot import commands
from bot.digests import command as digest_command
from bot.parse import SUBCOMMANDS, parse

ROOT = Path(__file__).resolve().parent.parent


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_digest_modules_never_import_the_command_router_or_the_listeners():
    for path in (ROOT / "bot" / "digests").glob("*.py"):
        bad = {n for n in _imported(path) if n.startswith(("bot.commands", "bot.app"))}
        assert not bad, f"{path.name} imports {bad}: an import cycle with bot/commands.py"


def test_the_engine_schedule_module_has_no_apscheduler():
    assert not {n for n in _imported(ROOT / "briefings" / "digests" / "schedule.py") if "apscheduler" in n}


def test_every_subcommand_has_a_handler_in_the_table():
    assert set(SUBCOMMANDS) | {"brief"} <= set(commands.HANDLERS)
    assert commands.HANDLERS[parse("https://x.example/a").name] is commands.brief
    assert commands.HANDLERS[parse("digest daily 08:00").name] is digest_command.digest_command


def test_digest_actions_table_and_who_may_use_them():
    assert {"", "show", "status", "help", "off", "now", "filter", "empty"} == set(digest_command.ACTIONS)
    # only reading and sending-now are open to everyone when digests are admins-only
    assert {"", "show", "status", "help", "now"} == digest_command.OPEN_TO_ALL


def test_the_crash_failpoint_env_var_is_read_in_one_place():
    hits = [p.relative_to(ROOT) for p in (ROOT / "bot").rglob("*.py") if "LAUNCHBRIEF_FAILPOINT" in p.read_text()]
    assert [str(p) for p in hits] == ["bot/digests/delivery.py"]
