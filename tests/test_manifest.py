"""deploy/slack-manifest.yaml asks Slack for what bot/app.py listens to, no more and no less: the slash
command(s), the bot events, and interactivity (buttons, menus, modals). What the app registers is recorded by
running its real registration (bot.app.register_listeners) against a recorder, in both install modes."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from bot import app as bot_app
from bot import render

MANIFEST = Path(__file__).resolve().parent.parent / "deploy" / "slack-manifest.yaml"


class Recorder:
    """Stands in for Bolt's AsyncApp: records what is registered, keeps the listener functions."""

    installation_store = object()  # OAuth mode: Bolt's store, which the revocation listeners are built on

    def __init__(self) -> None:
        self.registered: dict[str, list] = {"command": [], "event": [], "action": [], "view": []}

    def _record(self, kind: str, name):
        self.registered[kind].append(name)
        return lambda func: func

    def command(self, name):
        return self._record("command", name)

    def event(self, name):
        return self._record("event", name)

    def action(self, name):
        return self._record("action", name)

    def view(self, name):
        return self._record("view", name)

    def error(self, func):
        return func


def registered(oauth: bool) -> Recorder:
    settings = SimpleNamespace(slack_client_id="123.456" if oauth else None,
                               slack_client_secret="s" if oauth else None, answer_bots=False)
    rec = Recorder()
    bot_app.register_listeners(rec, SimpleNamespace(settings=settings))
    return rec


def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


@pytest.mark.parametrize("oauth", [False, True])
def test_manifest_slash_commands_are_the_registered_ones(oauth):
    commands = {c["command"] for c in manifest()["features"]["slash_commands"]}
    assert commands == set(registered(oauth).registered["command"]) == set(bot_app.SLASH_COMMANDS)


def test_manifest_bot_events_are_the_registered_ones():
    events = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    # the manifest serves both modes: uninstall and revocation events only have listeners in OAuth mode
    assert events == set(registered(oauth=True).registered["event"])
    assert set(registered(oauth=False).registered["event"]) == set(bot_app.EVENTS) <= events


def test_interactivity_is_on_because_buttons_menus_and_modals_are_registered():
    rec = registered(oauth=False)
    assert rec.registered["action"] and rec.registered["view"]
    assert manifest()["settings"]["interactivity"]["is_enabled"] is True


def _listens_to(rec: Recorder, action_id: str) -> bool:
    return any(a == action_id if isinstance(a, str) else bool(re.fullmatch(a, action_id))
               for a in rec.registered["action"])


def test_every_button_a_brief_shows_has_a_listener():
    from briefings.engine import brief_text

    brief = brief_text("Rocket Lab signs launch deal\n\nRocket Lab will launch two satellites from New Zealand "
                       "for the agency next year, the company said.", source="t")
    msg = render.brief_message(brief, article_id=7)
    ids = [e["action_id"] for b in msg.blocks if b["type"] == "actions" for e in b["elements"]]
    assert ids == ["share_brief", "show_partners", "more_like_this"]
    assert all(_listens_to(registered(oauth=False), i) for i in ids)
    assert not _listens_to(registered(oauth=False), "no_such_button")
