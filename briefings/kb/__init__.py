"""launchbrief's own knowledge base: countries, spaceports, agencies/military units, launch providers.

The data lives in TOML files beside this module (facts in our own words). :func:`load_kb` validates them
against the pydantic schema below and builds one gazetteer: a case-sensitive, longest-match regex over
every name, alias and vehicle.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import pycountry
from pydantic import BaseModel, Field, field_validator

HERE = Path(__file__).parent

_ALPHA2 = {c.alpha_2 for c in pycountry.countries}


def _check_country(code: str) -> str:
    if code and code not in _ALPHA2:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 code")
    return code


class SpaceportRecord(BaseModel):
    name: str
    aliases: list[str] = Field(default_factory=list)
    country: str
    operator: str
    status: Literal["operational", "emerging", "planned"]
    orbits: list[str] = Field(min_length=1)
    note: str = ""

    _c = field_validator("country")(_check_country)


class OrgRecord(BaseModel):
    name: str
    aliases: list[str] = Field(default_factory=list)
    country: str = ""
    kind: Literal["agency", "military", "regulator"]
    vehicles: list[str] = Field(default_factory=list)
    spaceports: list[str] = Field(default_factory=list)
    note: str = ""

    _c = field_validator("country")(_check_country)


class ProviderRecord(BaseModel):
    name: str
    aliases: list[str] = Field(default_factory=list)
    country: str
    vehicles: list[str] = Field(default_factory=list)
    spaceports: list[str] = Field(default_factory=list)
    service: Literal["launch", "spaceport", "broker", "ground", "manufacturer"]
    note: str = ""

    _c = field_validator("country")(_check_country)


class CountryRecord(BaseModel):
    code: str
    tier: Literal["established", "emerging"]
    aliases: list[str] = Field(default_factory=list)

    _c = field_validator("code")(_check_country)


# Country names pycountry knows that are ordinary words or people's names in English news.
_AMBIGUOUS_COUNTRY_NAMES = {"Georgia", "Jordan", "Chad", "Jersey", "Guernsey", "Niger", "Guinea", "Turkey",
                            "Man", "Dominica", "Mali", "Peru", "Cuba", "Oman", "Togo", "Malta", "Panama"}


@dataclass
class Entity:
    """One thing the gazetteer can find."""

    key: str  # unique: "<kind>:<name>"
    name: str
    kind: str  # country | spaceport | agency | military | regulator | company
    country: str | None
    tier: str | None = None
    operator: str | None = None
    status: str | None = None
    orbits: list[str] = field(default_factory=list)
    vehicles: list[str] = field(default_factory=list)
    spaceports: list[str] = field(default_factory=list)
    service: str | None = None
    note: str | None = None


@dataclass
class Mention:
    entity: Entity
    start: int
    end: int
    surface: str
    via_vehicle: bool = False


@dataclass
class KnowledgeBase:
    entities: dict[str, Entity]
    spaceports: list[SpaceportRecord]
    orgs: list[OrgRecord]
    providers: list[ProviderRecord]
    countries: list[CountryRecord]
    _surface: dict[str, tuple[str, bool]] = field(default_factory=dict)  # surface -> (entity key, via vehicle)
    _pattern: re.Pattern | None = None

    def find(self, text: str) -> list[Mention]:
        """All non-overlapping, longest-first mentions of known entities in ``text``."""
        assert self._pattern is not None
        out = []
        for m in self._pattern.finditer(text):
            key, via_vehicle = self._surface[m.group(0)]
            out.append(Mention(self.entities[key], m.start(), m.end(), m.group(0), via_vehicle))
        return out

    def by_name(self, name: str) -> Entity | None:
        hit = self._surface.get(name)
        if hit:
            return self.entities[hit[0]]
        low = name.lower()
        for surface, (key, _) in self._surface.items():
            if surface.lower() == low:
                return self.entities[key]
        return None

    def country_name(self, code: str | None) -> str | None:
        ent = self.entities.get(f"country:{code}") if code else None
        return ent.name if ent else None

    def spaceports_of(self, code: str) -> list[Entity]:
        return [e for e in self.entities.values() if e.kind == "spaceport" and e.country == code]


def _trie_regex(words: list[str]) -> str:
    """One regex for many literal words, factored as a trie: Python's re tries a flat alternation of ~750
    names one by one at every position; the trie shares prefixes. Longer continuations are tried before a
    word may end, so the longest name that is followed by a word boundary wins."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict) -> str:
        end = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch != ""]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if end else body

    return "(?:" + build(trie) + ")"


def _load(name: str) -> dict:
    with open(HERE / name, "rb") as fh:
        return tomllib.load(fh)


def _country_display_name(code: str) -> str:
    overrides = {"US": "United States", "GB": "United Kingdom", "RU": "Russia", "KR": "South Korea",
                 "KP": "North Korea", "IR": "Iran", "TW": "Taiwan", "VN": "Vietnam", "BO": "Bolivia",
                 "VE": "Venezuela", "TZ": "Tanzania", "SY": "Syria", "LA": "Laos", "MD": "Moldova",
                 "TR": "Türkiye", "CZ": "Czechia"}
    if code in overrides:
        return overrides[code]
    c = pycountry.countries.get(alpha_2=code)
    return getattr(c, "common_name", None) or c.name


@lru_cache(maxsize=1)
def load_kb() -> KnowledgeBase:
    spaceports = [SpaceportRecord(**r) for r in _load("spaceports.toml")["spaceport"]]
    orgs = [OrgRecord(**r) for r in _load("organisations.toml")["org"]]
    providers = [ProviderRecord(**r) for r in _load("providers.toml")["provider"]]
    countries = [CountryRecord(**r) for r in _load("countries.toml")["country"]]

    entities: dict[str, Entity] = {}
    surface: dict[str, tuple[str, bool]] = {}

    def add(ent: Entity, names: list[str], via_vehicle: bool = False) -> None:
        entities.setdefault(ent.key, ent)
        for n in names:
            n = n.strip()
            if n and n not in surface:
                surface[n] = (ent.key, via_vehicle)

    # Most specific first: organisations and sites before countries, so "US Space Force" is the military
    # unit (longest match decides overlaps anyway; insertion order decides identical surfaces).
    for r in orgs:
        add(Entity(f"{r.kind}:{r.name}", r.name, r.kind, r.country or None, vehicles=r.vehicles,
                   spaceports=r.spaceports, note=r.note), [r.name, *r.aliases])
    for r in providers:
        add(Entity(f"company:{r.name}", r.name, "company", r.country, vehicles=r.vehicles,
                   spaceports=r.spaceports, service=r.service, note=r.note), [r.name, *r.aliases])
    for r in spaceports:
        add(Entity(f"spaceport:{r.name}", r.name, "spaceport", r.country, operator=r.operator, status=r.status,
                   orbits=r.orbits, note=r.note), [r.name, *r.aliases])
    for r in [*orgs, *providers]:
        kind = "company" if isinstance(r, ProviderRecord) else r.kind
        for v in r.vehicles:
            if v not in surface:
                surface[v] = (f"{kind}:{r.name}", True)

    tiers = {c.code: c for c in countries}
    for c in pycountry.countries:
        rec = tiers.get(c.alpha_2)
        name = _country_display_name(c.alpha_2)
        names = [name, c.name, getattr(c, "common_name", "")] + (rec.aliases if rec else [])
        names = [n for n in names if n and n not in _AMBIGUOUS_COUNTRY_NAMES]
        ports = [s.name for s in spaceports if s.country == c.alpha_2]
        add(Entity(f"country:{c.alpha_2}", name, "country", c.alpha_2, tier=rec.tier if rec else None,
                   spaceports=ports), names)

    pattern = re.compile(r"(?<![\w.-])" + _trie_regex(list(surface)) + r"(?![\w-])")
    return KnowledgeBase(entities, spaceports, orgs, providers, countries, surface, pattern)
