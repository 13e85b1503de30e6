"""launchbrief's own knowledge base: countries, spaceports, agencies/military units, launch providers and
satellite operators.

The data lives in TOML files beside this module (facts in our own words): ``spaceports.toml``,
``organisations.toml`` (agencies, departments, military units, regulators), ``providers.toml`` (launch
providers, spaceport companies, brokers, manufacturers), ``operators.toml`` (satellite operators, the usual
launch customers) and ``countries.toml`` (launch tier, extra names, demonyms). :func:`load_kb` validates
them against the pydantic schema below, checks them against each other (:class:`KnowledgeBaseError` on
unknown keys, broken references, parent cycles, one name for two entities, bad country codes) and builds
one gazetteer: a case-sensitive, longest-match regex over every name, alias, former name and vehicle, plus
country names in French, German, Spanish, Portuguese and Italian.

``parent`` links make the own-side relation (unit -> service -> department, centre -> agency,
subsidiary -> parent company); ``former_names`` resolve to the successor while a :class:`Mention` keeps
the article's own words. ``python -m briefings.analysis.kb [DIR]`` checks a data directory and prints the counts.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from collections.abc import Sequence
from typing import Literal

import pycountry
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

HERE = Path(__file__).parent

_ALPHA2 = {c.alpha_2 for c in pycountry.countries}


class KnowledgeBaseError(ValueError):
    """The knowledge-base data is inconsistent: raised by :func:`load_kb`, never silently repaired."""


def _check_country(code: str) -> str:
    if code and code not in _ALPHA2:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 code")
    return code


class _Record(BaseModel):
    # A misspelt key ("alias", "spaceport") would otherwise be dropped without a word.
    model_config = ConfigDict(extra="forbid")


class _Named(_Record):
    """What every named record has: its names, the organisation it belongs to, a note."""

    name: str
    aliases: list[str] = Field(default_factory=list)
    former_names: list[str] = Field(default_factory=list)
    parent: str = ""  # canonical name of the organisation it belongs to (e.g. NASA for its centres)
    note: str = ""


class SpaceportRecord(_Named):
    country: str
    operator: str  # display text: who runs the site (may name several organisations)
    status: Literal["operational", "emerging", "planned"]
    orbits: list[str] = Field(min_length=1)

    _c = field_validator("country")(_check_country)


class OrgRecord(_Named):
    country: str = ""
    kind: Literal["agency", "military", "regulator"]
    # A government department (or alliance) whose units are separate services or agencies: its units are
    # not one another's own side (see KnowledgeBase.own_side).
    department: bool = False
    vehicles: list[str] = Field(default_factory=list)
    spaceports: list[str] = Field(default_factory=list)

    _c = field_validator("country")(_check_country)


class ProviderRecord(_Named):
    country: str
    vehicles: list[str] = Field(default_factory=list)
    spaceports: list[str] = Field(default_factory=list)
    service: Literal["launch", "spaceport", "broker", "ground", "manufacturer"]
    status: Literal["active", "development", "defunct"] = "active"

    _c = field_validator("country")(_check_country)


class OperatorRecord(_Named):
    """A satellite or spacecraft operator: the usual launch customer."""

    country: str = ""
    segment: Literal["communications", "earth-observation", "navigation", "human-spaceflight", "lunar",
                     "science", "constellation"]

    _c = field_validator("country")(_check_country)


class NotNameRecord(_Record):
    """A phrase that contains a known name but does not mention it: "Red Planet" (Mars, not Planet Labs),
    "neutron star" (not Rocket Lab's Neutron). Matched like a name, longest first, and then dropped."""

    text: str = Field(min_length=1)
    why: str = Field(min_length=1)


class CountryRecord(_Record):
    code: str
    tier: Literal["established", "emerging"]
    aliases: list[str] = Field(default_factory=list)
    # "Canadian" -> "Canadian government" / "Canadian Government" name the country (as customer, party);
    # the bare adjective does not ("Canadian radar satellites" is no mention of Canada as an actor).
    demonyms: list[str] = Field(default_factory=list)

    @property
    def government_names(self) -> list[str]:
        return [f"{d} {g}" for d in self.demonyms for g in ("government", "Government")]

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
    service: str | None = None  # companies: launch | spaceport | broker | ground | manufacturer | operator
    note: str | None = None
    parent: str | None = None  # key of the organisation this one belongs to
    former_names: list[str] = field(default_factory=list)
    segment: str | None = None  # satellite operators: communications, earth-observation, ...
    department: bool = False


@dataclass
class Mention:
    entity: Entity
    start: int
    end: int
    surface: str  # the article's own text (a former name stays as written, for display)
    via_vehicle: bool = False
    via_former_name: bool = False


@dataclass
class KnowledgeBase:
    entities: dict[str, Entity]
    spaceports: list[SpaceportRecord]
    orgs: list[OrgRecord]
    providers: list[ProviderRecord]
    countries: list[CountryRecord]
    _surface: dict[str, tuple[str, bool]] = field(default_factory=dict)  # surface -> (entity key, via vehicle)
    _pattern: re.Pattern | None = None
    operators: list[OperatorRecord] = field(default_factory=list)
    _former: set[str] = field(default_factory=set)  # surfaces that are former names
    _children: dict[str, set[str]] = field(default_factory=dict)
    _translated: set[str] = field(default_factory=set)  # surfaces that are foreign-language country names

    def find(self, text: str) -> list[Mention]:
        """All non-overlapping, longest-first mentions of known entities in ``text``."""
        assert self._pattern is not None
        out = []
        for m in self._pattern.finditer(text):
            s = m.group(0)
            key, via_vehicle = self._surface[s]
            if not key:  # a phrase that contains a name but is not a mention of it ("Red Planet")
                continue
            out.append(Mention(self.entities[key], m.start(), m.end(), s, via_vehicle, s in self._former))
        return out

    def by_name(self, name: str) -> Entity | None:
        hit = self._surface.get(name)
        if hit:
            return self.entities.get(hit[0])
        low = name.lower()
        for surface, (key, _) in self._surface.items():
            if key and surface.lower() == low:
                return self.entities[key]
        return None

    def country_name(self, code: str | None) -> str | None:
        ent = self.entities.get(f"country:{code}") if code else None
        return ent.name if ent else None

    def names(self, key: str) -> list[str]:
        """Every name that finds ``key`` in text, canonical name first: aliases and former names (vehicles
        excluded). For matching a listed entity against names written elsewhere (annotations, user input)."""
        ent = self.entities.get(key)
        if ent is None:
            return []
        return [ent.name] + [s for s, (k, via_vehicle) in self._surface.items()
                             if k == key and not via_vehicle and s != ent.name]

    def ancestors(self, key: str) -> list[str]:
        """Keys of the organisations ``key`` belongs to, nearest first (SLD 45 -> SSC -> Space Force -> ...)."""
        out: list[str] = []
        ent = self.entities.get(key)
        while ent is not None and ent.parent and ent.parent not in out:
            out.append(ent.parent)
            ent = self.entities.get(ent.parent)
        return out

    def descendants(self, key: str) -> set[str]:
        """Keys of every unit, centre, site or subsidiary below ``key``, at any depth."""
        out: set[str] = set()
        todo = [key]
        while todo:
            for child in self._children.get(todo.pop(), ()):
                if child not in out:
                    out.add(child)
                    todo.append(child)
        return out

    def own_side(self, key: str) -> set[str]:
        """The organisations on the same side as ``key``: never each other's partners.

        Rule: the entity itself, everything below it, its ancestors, and everything below each ancestor
        that is not a *department*. A department (``department = true``: the Department of Defense, the
        Department of the Air Force, a ministry, an alliance) contributes itself -- it is the chain of
        command -- but not its other branches, because a department holds services and agencies that act
        on their own (the Space Force's own side includes DoD, Space Systems Command, the Space Test
        Program and Space Launch Delta 45, but not the Air Force or the NRO beside it under DoD). For a
        company this gives the parent, the subsidiaries and the sister subsidiaries; for a NASA centre,
        NASA and the other centres. The subject's country is not included: whether it counts is the
        story's question, not the knowledge base's.
        """
        if key not in self.entities:
            return set()
        side = {key} | self.descendants(key)
        for anc in self.ancestors(key):
            side.add(anc)
            if not self.entities[anc].department:
                side |= self.descendants(anc)
        return side


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


_FILES = {  # file -> (array-of-tables key, record model)
    "spaceports.toml": ("spaceport", SpaceportRecord),
    "organisations.toml": ("org", OrgRecord),
    "providers.toml": ("provider", ProviderRecord),
    "operators.toml": ("operator", OperatorRecord),
    "countries.toml": ("country", CountryRecord),
    "not_names.toml": ("phrase", NotNameRecord),
}


def _load(directory: Path, name: str) -> list:
    """The validated records of one TOML file; a missing file is an empty list."""
    table, model = _FILES[name]
    path = directory / name
    if not path.exists():
        return []
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeBaseError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(data) - {table}
    if unknown:
        raise KnowledgeBaseError(f"{path}: unknown table(s) {sorted(unknown)}; expected [[{table}]]")
    out = []
    for i, raw in enumerate(data.get(table, [])):
        try:
            out.append(model(**raw))
        except ValidationError as exc:
            label = raw.get("name") or raw.get("code") or f"#{i + 1}"
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in exc.errors())
            raise KnowledgeBaseError(f"{path}: [[{table}]] {label!r}: {problems}") from None
    return out


def _country_display_name(code: str) -> str:
    overrides = {"US": "United States", "GB": "United Kingdom", "RU": "Russia", "KR": "South Korea",
                 "KP": "North Korea", "IR": "Iran", "TW": "Taiwan", "VN": "Vietnam", "BO": "Bolivia",
                 "VE": "Venezuela", "TZ": "Tanzania", "SY": "Syria", "LA": "Laos", "MD": "Moldova",
                 "TR": "Türkiye", "CZ": "Czechia"}
    if code in overrides:
        return overrides[code]
    c = pycountry.countries.get(alpha_2=code)
    return str(getattr(c, "common_name", None) or getattr(c, "name", code))


def _check(spaceports: list[SpaceportRecord], orgs: list[OrgRecord], providers: list[ProviderRecord],
           operators: list[OperatorRecord], countries: list[CountryRecord]) -> None:
    """Cross-file consistency, checked on every load: fail loudly rather than find the wrong entity."""
    problems: list[str] = []
    records: list[_Named] = [*orgs, *providers, *operators, *spaceports]
    with_sites: list[OrgRecord | ProviderRecord] = [*orgs, *providers]
    names: dict[str, str] = {}
    for r in records:
        kind = type(r).__name__.removesuffix("Record").lower()
        if r.name in names:
            problems.append(f"duplicate name {r.name!r} ({names[r.name]} and {kind})")
        names[r.name] = kind
    port_names = {s.name for s in spaceports}
    for r in with_sites:
        for port in r.spaceports:
            if port not in port_names:
                problems.append(f"{r.name!r}: spaceport {port!r} is not a spaceport name")
    for r in records:
        if r.parent and r.parent not in names:
            problems.append(f"{r.name!r}: parent {r.parent!r} is not the name of any record")
        elif r.parent == r.name:
            problems.append(f"{r.name!r}: is its own parent")
    problems += _parent_problems(records, names, spaceports)
    problems += _surface_problems(records, with_sites, countries)
    if problems:
        raise KnowledgeBaseError("knowledge base is inconsistent:\n  " + "\n  ".join(problems))


def _parent_problems(records: list[_Named], names: dict[str, str], spaceports: list[SpaceportRecord]) -> list[str]:
    """Parent chains without cycles, and a site's operator text naming its parent (or one above it)."""
    problems: list[str] = []
    parent_of = {r.name: r.parent for r in records if r.parent}
    for start in parent_of:
        seen, cur = {start}, parent_of[start]
        while cur in parent_of:
            cur = parent_of[cur]
            if cur in seen:
                problems.append(f"{start!r}: parent chain has a cycle through {cur!r}")
                break
            seen.add(cur)
    # A site's operator is display text, but when the site has a parent the text must name it (or one of
    # its ancestors): the two fields are not allowed to drift apart.
    all_names = {r.name: [r.name, *r.aliases, *r.former_names] for r in records}
    for sp in spaceports:
        if not sp.parent or sp.parent not in names:
            continue
        chain, cur = [], sp.parent
        while cur and cur not in chain:
            chain.append(cur)
            cur = parent_of.get(cur, "")
        if not any(n in sp.operator for c in chain for n in all_names.get(c, [])):
            problems.append(f"spaceport {sp.name!r}: operator {sp.operator!r} does not name its parent "
                            f"{sp.parent!r} or any organisation above it")
    return problems


def _surface_problems(records: list[_Named], with_sites: list[OrgRecord | ProviderRecord],
                      countries: list[CountryRecord]) -> list[str]:
    problems: list[str] = []
    # Every surface (name, alias, former name, vehicle, country alias) names one entity only: the matcher is
    # case-sensitive, so "ESA" and "Esa" may differ, but one spelling cannot mean two things.
    owner: dict[str, str] = {}

    def claim(surface: str, who: str, what: str) -> None:
        surface = surface.strip()
        if not surface:
            problems.append(f"{who}: empty {what}")
            return
        prev = owner.setdefault(surface, who)
        if prev != who:
            problems.append(f"{surface!r} ({what}) names both {prev} and {who}")

    for r in records:
        for n in [r.name, *r.aliases]:
            claim(n, r.name, "name/alias")
        for n in r.former_names:
            claim(n, r.name, "former name")
    for r in with_sites:
        for v in r.vehicles:
            claim(v, r.name, "vehicle")
    seen_codes: set[str] = set()
    for c in countries:
        if c.code in seen_codes:
            problems.append(f"country {c.code} listed twice")
        seen_codes.add(c.code)
        for n in [*c.aliases, *c.government_names]:
            claim(n, f"country {c.code}", "country alias")
    return problems


LANGUAGES = ("fr", "de", "es", "pt", "it")

# Translated country names that are English words, first names or places elsewhere, so a capitalised word
# in English news would be taken for a country: never matched.
_TRANSLATION_SKIP = {
    "Island",  # de: Iceland
    "Maurice", "Dominique",  # fr: Mauritius, Dominica (first names)
    "Grenade", "Granada",  # fr/es/pt: Grenada (a weapon; a Spanish city)
    "Géorgie", "Georgien",  # fr/de: Georgia (also the US state, as in English)
    "Guinée", "Guinea",  # four countries share the word
    "Samoa",  # also American Samoa
    "Israël",  # fr: Israel, and the surname of a long-serving Arianespace chief executive in English news
    "Chad", "Ciad", "Chade", "Tchad", "Tschad",  # the English first name; keep the family consistent
    "Jersey", "Man", "Niger", "Mali", "Togo", "Oman", "Cuba", "Malta", "Panama", "Peru", "Turkey",
}


@lru_cache(maxsize=1)
def _translated_country_names() -> dict[str, list[str]]:
    """Country names from pycountry's gettext catalogues (domain ``iso3166-1``) in :data:`LANGUAGES`.

    ISO lists inverted names ("Corée, République de"); those give the natural order ("République de
    Corée") and, when no other country shares it, the head word ("Bolivie" from "Bolivie, État
    plurinational de"). German single-word names also get the genitive ("Deutschlands"). Parenthesised
    names, the skip list and the English ambiguity list are left out."""
    import gettext

    out: dict[str, list[str]] = {}
    heads: dict[tuple[str, str], set[str]] = {}
    for lang in LANGUAGES:
        try:
            tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        except OSError:  # a pycountry build without catalogues: English only
            continue
        for c in pycountry.countries:
            for attr in ("name", "official_name", "common_name"):
                msg = getattr(c, attr, None)
                if not msg:
                    continue
                t = tr.gettext(msg).strip()
                if t == msg or not t or "(" in t or "\n" in t or t in _TRANSLATION_SKIP:
                    continue
                names: list[str] = []
                if ", " in t:
                    head, rest = t.split(", ", 1)
                    if rest[:1].isupper():
                        names.append(rest + ("" if rest.endswith("'") else " ") + head)
                    heads.setdefault((lang, head), set()).add(c.alpha_2)
                else:
                    names.append(t)
                    if lang == "de" and " " not in t and t[-1] not in "sxzß":
                        names.append(t + "s")
                out.setdefault(c.alpha_2, []).extend(names)
    for (_lang, head), codes in heads.items():
        if len(codes) == 1:
            out.setdefault(next(iter(codes)), []).append(head)
    skip = _TRANSLATION_SKIP | _AMBIGUOUS_COUNTRY_NAMES
    return {code: list(dict.fromkeys(n for n in names if n not in skip)) for code, names in out.items()}


def _site_rank(s: SpaceportRecord) -> tuple[bool, int]:
    """A country's sites, the ones that matter most first: orbital before suborbital-only, then by status
    (stable, so file order breaks ties)."""
    return (set(s.orbits) <= {"suborbital"}, ["operational", "emerging", "planned"].index(s.status))


def build_kb(directory: Path | str = HERE) -> KnowledgeBase:
    """Load, check and index the TOML files in ``directory`` (raises :class:`KnowledgeBaseError`)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise KnowledgeBaseError(f"{directory}: no such knowledge-base directory")
    spaceports: list[SpaceportRecord] = _load(directory, "spaceports.toml")
    orgs: list[OrgRecord] = _load(directory, "organisations.toml")
    providers: list[ProviderRecord] = _load(directory, "providers.toml")
    operators: list[OperatorRecord] = _load(directory, "operators.toml")
    countries: list[CountryRecord] = _load(directory, "countries.toml")
    not_names: list[NotNameRecord] = _load(directory, "not_names.toml")
    _check(spaceports, orgs, providers, operators, countries)

    idx = _Index()
    _index_records(idx, orgs, providers, operators, spaceports)
    _index_countries(idx, countries, spaceports)
    _index_not_names(idx, not_names)
    children: dict[str, set[str]] = {}
    for ent in idx.entities.values():
        if ent.parent:
            children.setdefault(ent.parent, set()).add(ent.key)

    # A name ends at a word boundary. A hyphen ends it only before a number or a capital: a satellite named
    # after its owner ("SES-9", "Thaicom-8"), a pairing ("U.S.-Japan") and German compounds ("ESA-Astronaut",
    # "NASA-Chef") find the name, while "UK-based" or "SpaceX-built" stay adjectives.
    # It starts after a hyphen only when a capital or an abbreviation precedes it ("NASA-ESA", "U.S.-Japan";
    # not "ex-NASA", "Soyuz-Fregat").
    pattern = re.compile(r"(?<![\w.])(?<![a-zäöüßéèà]-)" + _trie_regex(list(idx.surface)) + r"(?!\w|-(?![\dA-ZÄÖÜ]))")
    return KnowledgeBase(idx.entities, spaceports, orgs, providers, countries, idx.surface, pattern,
                         operators=operators, _former=idx.former, _children=children, _translated=idx.translated)


@dataclass
class _Index:
    """What build_kb fills: entities by key, and every surface form -> (entity key, via a vehicle)."""

    entities: dict[str, Entity] = field(default_factory=dict)
    surface: dict[str, tuple[str, bool]] = field(default_factory=dict)
    former: set[str] = field(default_factory=set)
    translated: set[str] = field(default_factory=set)

    def add(self, ent: Entity, names: list[str], formers: Sequence[str] = ()) -> None:
        self.entities.setdefault(ent.key, ent)
        for n in (n.strip() for n in names):
            if n and n not in self.surface:
                self.surface[n] = (ent.key, False)
        for n in (n.strip() for n in formers):
            if n and n not in self.surface:
                self.surface[n] = (ent.key, False)
                self.former.add(n)


def _index_records(idx: _Index, orgs: list[OrgRecord], providers: list[ProviderRecord],
                   operators: list[OperatorRecord], spaceports: list[SpaceportRecord]) -> None:
    key_of: dict[str, str] = {o.name: f"{o.kind}:{o.name}" for o in orgs}
    key_of.update({c.name: f"company:{c.name}" for c in [*providers, *operators]})
    key_of.update({p.name: f"spaceport:{p.name}" for p in spaceports})

    def parent(r: _Named) -> str | None:
        return key_of[r.parent] if r.parent else None

    # Most specific first: organisations and sites before countries, so "US Space Force" is the military
    # unit (longest match decides overlaps anyway; insertion order decides identical surfaces).
    for r in orgs:
        idx.add(Entity(key_of[r.name], r.name, r.kind, r.country or None, vehicles=r.vehicles,
                       spaceports=r.spaceports, note=r.note, parent=parent(r), former_names=r.former_names,
                       department=r.department), [r.name, *r.aliases], r.former_names)
    for pr in providers:
        idx.add(Entity(key_of[pr.name], pr.name, "company", pr.country, vehicles=pr.vehicles, status=pr.status,
                       spaceports=pr.spaceports, service=pr.service, note=pr.note, parent=parent(pr),
                       former_names=pr.former_names), [pr.name, *pr.aliases], pr.former_names)
    for op in operators:
        idx.add(Entity(key_of[op.name], op.name, "company", op.country or None, service="operator",
                       segment=op.segment, note=op.note, parent=parent(op), former_names=op.former_names),
                [op.name, *op.aliases], op.former_names)
    for sp in spaceports:
        idx.add(Entity(key_of[sp.name], sp.name, "spaceport", sp.country, operator=sp.operator, status=sp.status,
                       orbits=sp.orbits, note=sp.note, parent=parent(sp), former_names=sp.former_names),
                [sp.name, *sp.aliases], sp.former_names)
    with_sites: list[OrgRecord | ProviderRecord] = [*orgs, *providers]
    for ws in with_sites:
        for v in ws.vehicles:
            if v not in idx.surface:
                idx.surface[v] = (key_of[ws.name], True)


def _index_countries(idx: _Index, countries: list[CountryRecord], spaceports: list[SpaceportRecord]) -> None:
    tiers = {c.code: c for c in countries}
    for c in pycountry.countries:
        rec = tiers.get(c.alpha_2)
        name = _country_display_name(c.alpha_2)
        names = [name, c.name, getattr(c, "common_name", "")] + (rec.aliases + rec.government_names if rec else [])
        names = [n for n in names if n and n not in _AMBIGUOUS_COUNTRY_NAMES]
        ports = [s.name for s in sorted((s for s in spaceports if s.country == c.alpha_2), key=_site_rank)]
        idx.add(Entity(f"country:{c.alpha_2}", name, "country", c.alpha_2, tier=rec.tier if rec else None,
                       spaceports=ports), names)
    # Country names in French, German, Spanish, Portuguese and Italian, after every English name and KB
    # record, so that a translation never takes a surface another entity already has.
    for code, translations in _translated_country_names().items():
        for n in translations:
            if n not in idx.surface:
                idx.surface[n] = (f"country:{code}", False)
                idx.translated.add(n)


def _index_not_names(idx: _Index, not_names: list[NotNameRecord]) -> None:
    """Not-a-name phrases go in last, once every name is known: each must contain one, and be none."""
    problems = []
    for ph in not_names:
        if ph.text in idx.surface:
            problems.append(f"not-a-name phrase {ph.text!r} is itself a name of {idx.surface[ph.text][0]}")
        elif not any(n in ph.text for n in idx.surface):
            problems.append(f"not-a-name phrase {ph.text!r} contains no known name: it has nothing to block")
        else:
            idx.surface[ph.text] = ("", False)
    if problems:
        raise KnowledgeBaseError("knowledge base is inconsistent:\n  " + "\n  ".join(problems))


@lru_cache(maxsize=1)
def _default_kb() -> KnowledgeBase:
    return build_kb(HERE)


def load_kb(directory: Path | str | None = None) -> KnowledgeBase:
    """The knowledge base bundled with launchbrief (built once, then cached), or the one in ``directory``
    (built afresh: for tests and data checks). Raises :class:`KnowledgeBaseError` on inconsistent data."""
    if directory is None:
        return _default_kb()
    return build_kb(directory)


load_kb.cache_clear = _default_kb.cache_clear  # type: ignore[attr-defined]
