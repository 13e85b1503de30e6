"""Render a :class:`Brief` for a terminal with rich. Article text is printed as text, never as markup."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from briefings.models import Brief, Partner


def _kb_facts(p: Partner) -> str:
    kb = p.kb
    facts: list[str] = []
    if kb:
        if kb.operator:
            facts.append(f"operator: {kb.operator}")
        if kb.status:
            facts.append(f"status: {kb.status}")
        if kb.orbits:
            facts.append("orbits: " + ", ".join(kb.orbits))
        if kb.vehicles:
            facts.append("vehicles: " + ", ".join(kb.vehicles[:4]))
        if kb.spaceports and p.kind == "country":
            facts.append("sites: " + ", ".join(kb.spaceports[:3]))
    return "; ".join(facts)


def _one_line(text: str, style: str = "") -> Text:
    return Text(text, style=style, no_wrap=True, overflow="ellipsis")


def _partner_table(title: str, partners: list[Partner]) -> Table:
    """Designed for 80 columns: one line per cell, cut with an ellipsis; every sentence and fact is in --json."""
    table = Table(title=title, title_justify="left", show_lines=False, expand=True)
    table.add_column("Partner", style="bold", ratio=2, no_wrap=True, overflow="ellipsis")
    table.add_column("Role", ratio=2)  # short phrases: wrapped, never cut
    table.add_column(Text("Evidence (sentence no.)"), ratio=3, no_wrap=True, overflow="ellipsis")
    for p in partners:
        ev = p.evidence[0] if p.evidence else None
        name = Text(p.name, no_wrap=True, overflow="ellipsis")
        name.append(f" ({p.country})" if p.kind == "country" and p.country else f" · {p.kind}", style="dim")
        role = p.role if p.role.startswith(p.role_family) else f"{p.role_family}: {p.role}"
        table.add_row(name, Text(role), _one_line(f"[{ev.index}] {ev.text}" if ev else ""))
    return table


def _kb_lines(partners: list[Partner]) -> list[Text]:
    lines = []
    for p in partners:
        facts = _kb_facts(p)
        if facts:
            lines.append(_one_line(f"  {p.name}: {facts}", "dim"))
    return lines


def render_brief(brief: Brief, console: Console | None = None) -> None:
    console = console or Console()
    meta = " · ".join(x for x in [brief.site_name, brief.author,
                                   brief.published.isoformat() if brief.published else None,
                                   brief.url or brief.source] if x)
    header = Text(brief.title or "(untitled)", style="bold")
    rel = brief.relevance
    header.append(f"\n{meta}\n", style="dim")
    style = "green" if rel.label == "launch-policy" else "yellow"
    header.append(f"relevance: {rel.label} ({rel.score:.2f})", style=style)
    if brief.event_types:
        header.append("  ·  events: " + ", ".join(brief.event_types), style="cyan")
    for note in brief.notes:
        header.append(f"\nnote: {note}", style="bold yellow")
    parts: list = [header]
    if brief.tldr:
        parts.append(Text.assemble(("\nTL;DR ", "bold magenta"), brief.tldr.text))
    points = [s for s in brief.summary if not brief.tldr or s.index != brief.tldr.index]
    if points:
        parts.append(Text("\nKey points", style="bold"))
        for s in points:
            parts.append(Text.assemble(("  • ", "magenta"), s.text, (f"  [{s.index}]", "dim")))
    console.print(Panel(Group(*parts), title="launchbrief", border_style="blue"))
    groups = brief.partners_by_tier()
    for tier, label in (("established", "Established launch nations and their partners"),
                        ("emerging", "Emerging spaceport nations and their partners"),
                        ("other", "Other partners")):
        if groups[tier]:
            console.print(_partner_table(label, groups[tier]))
    kb_lines = _kb_lines(brief.partners)
    if kb_lines:
        console.print(Text("From our knowledge base (not the article)", style="bold dim"))
        for line in kb_lines:
            console.print(line, no_wrap=True, overflow="ellipsis")
    if not brief.partners:
        console.print(Text("No launch partners named.", style="dim"))
    if brief.quotes:
        qt = Table(title="Quotes", title_justify="left", expand=True)
        qt.add_column("Speaker", style="bold", no_wrap=True)
        qt.add_column("Quote")
        for q in brief.quotes:
            who = q.speaker or "(unattributed)"
            if q.speaker_org and q.speaker_org != q.speaker:
                who = f"{who} ({q.speaker_org})"
            qt.add_row(Text(who), Text(f"“{q.text}”"))
        console.print(qt)
    if brief.people:
        console.print(Text("People: ", style="bold") + Text("; ".join(
            f"{p.name} ({p.title})" if p.title else p.name for p in brief.people)))
