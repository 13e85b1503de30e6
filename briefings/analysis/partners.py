"""The typed partner list: who the article names as a party to the story's launch activity, and the story's
subject (who acts or publishes), which is never a partner.

Method (offline, rule-based; the definitions are those of the corpus annotation guide, ANNOTATION.md):
1. Mentions: every knowledge-base entity in the headline and every sentence (longest match; a launcher name
   such as "Falcon 9" names its provider; a payload designator such as "SES-9" or "EchoStar 23" names its
   owner), plus organisations the knowledge base does not hold, found from the text itself (appositives
   "X, a Denver-based launch start-up", company suffixes Inc./Ltd./GmbH, "the X Space Agency", "X Spaceport
   Authority") and listed with ``key = None`` / ``kb = None``.
2. The subject: the headline actor when the headline says it acts on its own programme ("X eyes partners",
   "X to delay", "X studies"), else the publisher of a release (site name, "<unit> Public Affairs"), else
   a government body whose people do the talking. The subject and its own side (the knowledge base's
   ``own_side``: chain of command, centres, subsidiaries; former names map to their successor) are never
   partners; nor is the subject's own country on a pure policy statement (it stays when a launch is hosted
   there). A headline actor that is itself a party ("X launches Y's satellite", "X selects Y") is a partner,
   as the guide says, and is not the subject.
3. Each mention is classified by its sentence: someone's affiliation ("commander of ..."), a regulator, a
   comparison or background mention (earlier launches, "similar to", "unlike", "next launch") -- none of
   these is evidence. Otherwise the cues give a role family: partner, launch provider, launch site, host
   nation, launch customer, support / funder. An entity without a family cue is left out: no catch-all role.
4. Entities merge over mentions; the evidence sentences and knowledge-base facts (marked as enrichment) are
   attached.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from briefings.analysis.kb import Entity, KnowledgeBase, Mention
from briefings.analysis.language import widen
from briefings.analysis.sentences import RANK_ABBREVIATIONS
from briefings.models import KBFacts, Partner, Person, Sentence, Subject

_RANKS = ("(?:" + "|".join((*RANK_ABBREVIATIONS, "Dr", "Mr", "Mrs", "Ms")) + r")\.?|General|Colonel|Lieutenant|Major|"
          r"Captain|Commander|Admiral|Sergeant|Administrator|Director|Chief|Secretary|Minister|Spokesperson|"
          r"spokesperson|spokesman|spokeswoman|official|officials|Head|head|chief|director|administrator|"
          r"Deputy|deputy|Vice|vice|CEO|chief executive|President|president|Chairman|chairman|founder|Founder|"
          r"analyst|engineer|scientist|researcher|manager|executive|Executive|program manager|Program Manager")
# "<rank/role> of (the) ENTITY"  -> the entity is someone's affiliation
_AFFIL_BEFORE = re.compile(
    r"(?:commander|director|head|chief|official|officials|officer|administrator|spokesperson|spokesman|"
    r"spokeswoman|member|secretary|deputy|vice|lead|leader|chair|chairman|president|ceo|engineer|scientist|"
    r"researcher|manager|general|colonel|captain|serves?|served|works?|worked|founder|analyst|executive|"
    r"professor|economist|expert)"
    r"(?:\s+[\w\-]+){0,4}\s+(?:of|at|for|with|from|in)\s+(?:the\s+)?$", re.I)
# "ENTITY Col. Mark Shoemaker" / "NASA Administrator Bill Nelson"
_AFFIL_AFTER = re.compile(r"^(?:'s|’s)?\s+(?:" + _RANKS + r")(?:\s+(?:" + _RANKS + r"))*\s+[A-Z][a-z]+", re.U)
# "Jane Doe, a spokesperson for ENTITY" / "said Jane Doe of ENTITY"
_AFFIL_PERSON_OF = re.compile(r"[A-Z][a-z]+\s+[A-Z][a-z]+,?\s+(?:of|at|from|with)\s+(?:the\s+)?$")
_PUBLIC_AFFAIRS = re.compile(r"^\s+(?:Public Affairs|public affairs|Office of Public Affairs|Press Office|"
                             r"News(?:room)?)\b")

_SEEK = re.compile(r"\b(?:eyes|eyeing|seeks|seeking|explores|exploring|looks?\s+(?:at|for|to|abroad|overseas)|"
                   r"looking\s+(?:at|for|to|abroad|overseas)|courts|courting|woos|wooing|weighs|weighing|"
                   r"considers|considering|wants|pursues|pursuing|stud(?:y|ies|ying)|sounds?\s+out|"
                   r"sounding\s+out|mulls|mulling|reaches\s+out|turns?\s+to|is\s+(?:studying|exploring|"
                   r"considering|weighing|looking)|(?:is|are)\s+(?:talking|speaking)\s+(?:to|with)|"
                   r"(?:is|are)\s+in\s+talks|talks?\s+(?:to|with))\b", re.I)
# passive voice: "... are being studied by the Space Force"
_SEEK_PASSIVE_BEFORE = re.compile(r"\b(?:studied|explored|considered|sought|weighed|courted|eyed|sounded out|"
                                  r"assessed|examined|evaluated|approached|consulted)\s+by\s+(?:the\s+)?$", re.I)
_PARTNER_WORD = re.compile(r"\b(?:partner(?:s|ship|ships)?|all(?:y|ies|ied)|international|foreign|abroad|"
                           r"overseas)\b", re.I)
# Headline verbs that make the headline actor the subject (its own programme, plan, record, policy) ...
_OWN_VERB = re.compile(
    r"^\s*(?:(?:is|are|has|have|will|to|could|may|plans? to|wants? to)\s+)?(?:eyes|eyeing|seeks?|seeking|"
    r"explores?|exploring|looks?|looking|courts?|woos|weighs?|considers?|wants|pursues?|stud(?:y|ies|ying)|"
    r"sounds?\s+out|mulls?|reaches\s+out|plans?|planning|delays?|delaying|postpones?|switch(?:es)?|"
    r"revises?|reviews?|releases?|publishes?|unveils?|marks?|celebrates?|hits?|reaches|sets?|breaks?|"
    r"achieves?|completes? (?:record|review|study)|proposes?|issues?|updates?|drafts?|requests?|budgets?|"
    r"invests?|expands?|reorgani[sz]es?|restructures?|cuts?|opens?|closes?|keeps?|buys?|acquires?|"
    r"procures?|orders?|awards?|regulates?|licen[cs]es?|approves?|fines?|warns?|urges?|calls? for|"
    r"pushes? for|asks?|outlines?|strategy|policy)\b", re.I)
# ... and verbs that make it a party to the launch or deal (a partner, not the subject).
_PARTY_VERB = re.compile(
    r"^\s*(?:(?:is|are|has|have|will|to|could)\s+)?(?:launch(?:es|ed|ing)?|lifts?|flies|flew|selects?|"
    r"selected|picks?|chooses?|signs?|signed|partners?|teams?|joins?|wins?|won|books?|booked|contracts?|"
    r"ships?|shipped|conducts?|conducted|tests?|tested|suspends?|suspended|resumes?|delivers?|deploys?|"
    r"sends?|carries|docks?|returns?)\b", re.I)
_GOV_KINDS = {"agency", "military", "country"}

CUES = {
    "talks": re.compile(r"\b(?:talks?|discussions?|conversations?|negotiat\w+|dialogue|consult\w*)\b", re.I),
    "partner": re.compile(r"\b(?:partner\w*|cooperat\w+|co-operat\w+|collaborat\w+|joint|jointly|"
                          r"together with|teamed|team up|agreement|memorandum|MoU|MOU|accord|treaty|framework|"
                          r"signed|sign|"
                          # the same in French, German, Spanish, Portuguese and Italian
                          r"acordos?|acuerdos?|accords?|accordi|accordo|Abkommen|Vereinbarung\w*|parcerias?|"
                          r"coopera(?:ção|ción|zione)|Kooperation|Zusammenarbeit|memorando|assinaram|firmaron|"
                          r"signé|unterzeichnet\w*|firmato)\b", re.I),
    "provider": re.compile(r"\b(?:launch(?:es|ed|ing)?\s+(?:on|aboard|atop|by|with)|aboard|atop|rockets?|launcher|"
                           r"launch vehicles?|launch provider|launch services?|launch contract|lift(?:ed|s)? off|"
                           r"liftoff|launch(?:ed|es|ing)?|flight|mission|rideshare|booster|to launch|"
                           r"suborbital|orbital|test flight|accelerator)\b", re.I),
    "host": re.compile(r"\b(?:spaceports?|launch sites?|launch complex|launch pad|pad|range|cosmodrome|"
                       r"space cent(?:er|re)|from|host\w*|site|base)\b", re.I),
    "fund": re.compile(r"\b(?:fund\w*|grant\w*|award\w*|invest\w*|financ\w+|backed|backing|"
                       r"selected|chose|chosen|order\w*|purchas\w*|procure\w*|bought|buy|paid)|[£$€]\s?\d", re.I),
    "customer": re.compile(r"\b(?:customers?|on behalf of|payloads?|satellites?|spacecraft|lander|"
                           r"constellation|astronauts?|crew)\b", re.I),
    "potential": re.compile(r"\b(?:potential|possible|prospective|could|might|may|early-stage|exploring|"
                            r"under discussion|eyes)\b", re.I),
    "emerging": re.compile(r"\b(?:emerging|developing|still developing|new|nascent|future)\b.{0,40}"
                           r"\b(?:spaceports?|launch|nations?|infrastructure)\b", re.I),
    "established": re.compile(r"\balready (?:operate|run|have|host)|\bestablished|\bexisting launch", re.I),
}
_NEAR_CUES = ("talks", "partner")
_LIST_GAP = re.compile(r"^(?:,\s*|\s+and\s+|,\s+and\s+|\s+or\s+|,\s+or\s+)(?:the\s+)?$")
_LIST_SHARED = {"talks", "partner", "launcher", "owner"}  # what a coordinated list's members share
_NEAR = 100  # characters between a partnership cue and the mention it qualifies
_LAUNCH_CONTEXT = re.compile(r"\b(?:launch\w*|rocket\w*|spaceports?|orbit\w*|satellites?|payloads?|lift(?:ed|s)? off|"
                             r"lancement\w*|lanceur\w*|fusée\w*|lançamento\w*|foguete\w*|lanzamiento\w*|"
                             r"cohete\w*|lanci\w*|razz[oi]|Raketen?\w*|satélites?|satellites?|satelliti|"
                             r"Satelliten?|órbita|orbite|"
                             r"space (?:access|transport)|range|sounding|lander|astronauts?|mission)\b", re.I)
# a launch happening or being bought (not "launch provider" as a description)
_LAUNCH_EVENT = re.compile(r"\b(?:launch(?:es|ed|ing)|lift(?:ed|s)? off|liftoff|to launch|will launch|the launch|"
                           r"(?:first|next|maiden|test|orbital|suborbital)(?: [\w-]+)? (?:launch|flight|test)|"
                           r"launch of|"
                           r"launch (?:contract|agreement|services? (?:contract|agreement))|"
                           r"suspend\w*|resum\w+|conduct\w*)\b", re.I)

# Mention-level: the owner of a payload ("SES's satellite", "for NASA", "owned by X", "X astronauts").
_CUSTOMER_AFTER = re.compile(
    r"^(?:'s|’s)?\s+(?:[\w-]+\s+){0,3}?(?:satellites?|spacecraft|landers?|payloads?|constellation|probes?|"
    r"capsule|astronauts?|crew|mission|radar satellites?|broadband|missions)\b"
    r"(?!\s+(?:manufactur\w*|factory|facility|plant|maker|builder|industry|business|production|assembly))")
_CUSTOMER_BEFORE = re.compile(r"(?:\bfor|\bon behalf of|\bowned by|\boperated by|\bcustomers?(?: such as)?|"
                              r"\bcustomer,?)\s+(?:the\s+|its\s+)?(?:[A-Z][\w-]*\s+){0,1}$")
_ASTRONAUT_AFTER = re.compile(r"^(?:'s|’s)?\s+astronauts?\b")
_PROVIDER_BEFORE = re.compile(r"(?:\blaunch(?:ed|es)?\s+(?:on|aboard|atop|by|with)|\baboard|\batop|\bselect(?:s|ed)|"
                              r"\bawarded|\bawards|\bawarding|"
                              r"\bchose|\bpicked|\bhired|\bcontracted|\bbooked (?:a |its )?(?:launch )?(?:on|with))"
                              r"\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+){0,2}$", re.I)
_PROVIDER_AFTER = re.compile(r"^(?:'s|’s)?\s+(?:[\w-]+\s+){0,2}?(?:rockets?|launch(?:es|ed|er|ing)?|"
                             r"vehicles?|boosters?|will launch|to launch|launched|lifted off)\b", re.I)
# "X selects SpaceX", "X books a Falcon 9 rideshare", "X lines up Vega flight": X buys the launch
_BUYER_AFTER = re.compile(
    r"^(?:'s|’s)?\s+(?:has\s+|have\s+|will\s+)?(?:selected|selects?|picked|picks?|chose|chooses?|books?|booked|"
    r"lines? up|lined up|contracted|contracts? with|hired|hires?|buys?|bought|purchased|orders?|ordered|"
    r"(?:signed|signs?) (?:a |an )?(?:[\w-]+\s+){0,2}(?:contract|agreement|deal) with)\b", re.I)
_BOUGHT_LAUNCH = re.compile(r"\b(?:launch\w*|flights?|rideshare|rockets?|ride)\b", re.I)
_OWN_SITE_AFTER = re.compile(r"^(?:'s|’s)?\s+(?:[\w-]+\s+){0,2}?(?:spaceport|launch site|range|cosmodrome|pad)\b")

# Background: history, comparison, other (earlier or next) launches.
_COMPARE_BEFORE = re.compile(r"\b(?:similar to|like|unlike|compared (?:with|to)|as (?:did|does|has)|"
                             r"modell?ed on|following|in the footsteps of|rivals? (?:such as|like)?|"
                             r"competitors? (?:such as|like|including)?|competing with|compete with|"
                             r"ahead of|versus|vs\.?)\s+(?:the\s+|its\s+)?(?:[\w’'-]+\s+){0,3}$", re.I)
_BACKGROUND_SENT = re.compile(
    r"\b(?:previous(?:ly)?|earlier (?:this|last) (?:year|month)|last (?:year|month|summer|spring|fall|autumn|"
    r"winter)|years? ago|in the past|had (?:launched|flown|selected|awarded|used)|history|historic(?:al)?ly|"
    r"the first time since|once (?:again)?|formerly|former|used to|next (?:launch|mission|flight)|"
    r"upcoming|later this (?:year|month)|also (?:launch(?:es|ed)?|flew|fly|flies)|"
    r"has (?:launched|flown) (?:more than|\d)|"
    r"to date|so far this year|unlike|similar to|compared (?:with|to)|competitors?|rivals?|"
    # counts of earlier launches: "five have been for NASA", "the booster's flights included ..."
    r"have (?:been for|carried|launched|flown)|has (?:carried|flown)|included launches|previous flights?|"
    r"other than|completed its \w+ (?:flight|launch|mission)|"
    r"(?:launched|flown|carried) other (?:[\w-]+ ){0,3}(?:missions|launches|flights|satellites|payloads)|"
    r"(?:was|were|had been) (?:launched|flown|lofted) (?:in|on) (?:\w+ )?(?:19|20)\d\d|"
    # a past launch dated by its year ("flew to the ISS on a Soyuz in 2009"): today's launch carries a day
    r"(?:flew|launched|lofted|attempted to launch)\b[^.;]{0,80}\bin (?:19|20)\d\d)\b", re.I)
# "nations like Norway" gives examples, it does not compare
_PLURAL_LIKE = re.compile(r"\b\w+s\s+like\s+(?:the\s+)?(?:[\w’'-]+\s+){0,3}$")
# "Australia's SingTel Optus": the country only says where a company is from
_COUNTRY_POSSESSOR = re.compile(r"^(?:'s|’s)\s+(?!government|military|armed|space agency)[A-Z]")
_COUNTRY_GOVERNMENT = re.compile(r"^(?:'s|’s)?\s+(?:government|military|armed forces|ministry|defen[cs]e)\b", re.I)
# "as SpaceX does with the Falcon 9": a comparison with someone else's practice
_AS_DOES = re.compile(r"\bas\s+$")
_DOES_AFTER = re.compile(r"^\s+(?:does|did|has done|had done|has|did with|does with)\b")
# News round-ups: items separated by a bracketed source ("[Kyodo] ..."); only the first item is the story
_ITEM_MARK = re.compile(r"^\s*\[[^\]]{2,40}\]")
_NEW_PLACE = re.compile(r"\b(?:New|Nueva|Nuevo)\s+$")  # "New Mexico" is a state, not Mexico

# Open world: organisations the knowledge base does not hold.
_CAP = r"[A-Z][\w&'’.-]*"
_ORG_NAME = rf"{_CAP}(?:\s+(?:{_CAP}|of|and|for|de|du|la|&))*?"
_SUFFIX_ORG = re.compile(rf"\b({_CAP}(?:\s+{_CAP}){{0,3}}),?\s+(?:Inc|Ltd|LLC|GmbH|Corp|Corporation|S\.A|SA|AG|"
                         rf"plc|PLC|Co|Pty|KK|Oy|AB|ASA|SAS|SpA|S\.p\.A|B\.V|N\.V)\b\.?")
_SUFFIX_HINT = re.compile(r"\b(?:Inc|Ltd|LLC|GmbH|Corp|Corporation|S\.A|SA|AG|plc|PLC|Co|Pty|KK|Oy|AB|ASA|SAS|"
                          r"SpA|S\.p\.A|B\.V|N\.V)\b")
_APPOSITIVE = re.compile(
    rf"\b({_CAP}(?:\s+{_CAP}){{0,3}}),\s+(?:an?|the)\s+(?:[\w,-]+\s+){{0,5}}?"
    r"(start-?ups?|company|firm|operator|provider|developer|manufacturer|maker|builder|agency|authority|"
    r"spaceport|investor|venture (?:capital )?firm|fund|consortium|subsidiary|joint venture|"
    r"space agency|operator)\b")
_NAMED_AGENCY = re.compile(r"\b((?:[A-Z][\w-]+\s+){1,3}(?:Space Agency|Space Administration|Space Authority|"
                           r"Spaceport Authority|Aerospace Authority|Space Research Organi[sz]ation|"
                           r"Space Development Authority|Space Commission))\b")
_NAMED_SPACEPORT = re.compile(r"\b((?:Spaceport\s+(?:[A-Z][\w-]+)(?:\s+[A-Z][\w-]+)?)|"
                              r"(?:(?:[A-Z][\w-]+\s+){1,2}(?:Spaceport|Launch Site|Cosmodrome|Space Port)))\b")
_TITLE_ACTOR = re.compile(
    r"^((?:[A-Z][\w&.-]*)(?:\s+[A-Z][\w&.-]*){0,2})\s+(?:to\s+|will\s+)?(?:launch(?:es)?|selects?|picks?|"
    r"chooses?|signs?|books?|lines? up|wins?|raises?|secures?|completes?|conducts?|tests?|unveils?|plans?|"
    r"partners?|teams?|joins?|orders?|buys?|acquires?|opens?|delays?|ships?)\b")
_APPOS_KIND = {"agency": "agency", "space agency": "agency", "authority": "agency", "spaceport": "spaceport"}
_OPEN_STOP = {"The", "A", "An", "This", "That", "It", "Its", "He", "She", "They", "We", "In", "On", "At", "For",
              "But", "And", "Meanwhile", "However", "Also", "After", "Before", "While", "When", "Since", "With",
              "According", "Updated", "Space", "New", "National", "International", "Company", "Companies"}
_LAUNCH_WORDS_IN_APPOS = re.compile(r"launch|rocket|satellite|spacecraft|space|lander|orbital|propulsion|"
                                    r"spaceport|investor|venture|fund", re.I)

# Publisher domains of common government space publishers -> knowledge-base names. A release's publisher is
# usually also named in the site name or a "... Public Affairs" byline, which are tried first.
_PUBLISHER_DOMAINS = {
    "nasa.gov": "NASA", "esa.int": "European Space Agency", "spaceforce.mil": "US Space Force",
    "af.mil": "US Air Force", "defense.gov": "Department of Defense", "jaxa.jp": "JAXA", "isro.gov.in": "ISRO",
    "cnes.fr": "CNES", "faa.gov": "Federal Aviation Administration", "asc-csa.gc.ca": "Canadian Space Agency",
    "dlr.de": "DLR", "roscosmos.ru": "Roscosmos", "ec.europa.eu": "European Commission",
    "space.commission.europa.eu": "European Commission", "defence.gov.au": "Department of Defence",
}


# the same cues in French, German, Spanish, Portuguese and Italian (briefings/analysis/language.py)
for _cue, _kinds in (("talks", ("talks",)), ("partner", ("agreement", "partner")), ("provider", ("launch",)),
                     ("host", ("spaceport",)), ("fund", ("fund",))):
    CUES[_cue] = widen(CUES[_cue], *_kinds)
_LAUNCH_CONTEXT = widen(_LAUNCH_CONTEXT, "launch", "spaceport")


@dataclass
class _Hit:
    entity: Entity
    sentence: int
    surface: str
    cues: set[str]
    family: str | None
    excluded: str | None  # "affiliation" | "regulator" | "background" | "place" | None
    via_vehicle: bool = False


@dataclass
class PartnerAnalysis:
    partners: list[Partner]
    subject: Subject | None
    notes: list[str] = field(default_factory=list)


# ---- mentions ------------------------------------------------------------------------------------------

def _payload_index(kb: KnowledgeBase) -> tuple[re.Pattern | None, dict[str, str]]:
    """Built once per knowledge base: a pattern for payload designators of operators ("SES-9", "EchoStar 23",
    "SXM-7", "Measat-3b", "Iridium Next") and for the title-case form of all-caps company names ("Measat")."""
    cached = getattr(kb, "_lb_payload_index", None)
    if cached is not None:
        return cached
    owner: dict[str, str] = {}
    for surface, (key, via_vehicle) in kb._surface.items():
        ent = kb.entities.get(key)
        if ent is None or via_vehicle or ent.kind != "company":
            continue
        if ent.service == "operator" and len(surface) >= 3:
            owner.setdefault(surface, key)
        if surface.isupper() and surface.isalpha() and len(surface) >= 5 and surface.title() not in kb._surface:
            owner.setdefault(surface.title(), key)
    rx = None
    if owner:
        alt = "|".join(re.escape(n) for n in sorted(owner, key=len, reverse=True))
        rx = re.compile(rf"(?<![\w-])({alt})(?:[- ](?:\d+[A-Za-z]?\b|Next\b|NEXT\b)|-[A-Z]?\d|(?![\w-]))")
    result = (rx, owner)
    try:
        kb._lb_payload_index = result  # type: ignore[attr-defined]
    except AttributeError:
        pass
    return result


_DESIGNATOR_AFTER = re.compile(r"(?:[- ](?:\d+[A-Za-z]?\b|Next\b|NEXT\b)|-[A-Z]?\d\w*)")


def _find(kb: KnowledgeBase, text: str) -> list[Mention]:
    mentions = kb.find(text)
    for m in mentions:  # "SES-22": keep the payload's designator in the surface
        if m.entity.service == "operator" and not m.via_vehicle:
            d = _DESIGNATOR_AFTER.match(text, m.end)
            if d:
                m.surface = text[m.start:d.end()]
    rx, owner = _payload_index(kb)
    if rx is not None:
        taken = [(m.start, m.end) for m in mentions]
        extra = False
        for pm in rx.finditer(text):
            s, e = pm.start(1), pm.end(1)
            if any(a <= s < b or a < e <= b for a, b in taken):
                continue
            # the surface keeps the payload's designator ("SES-22"): the role detail quotes it
            mentions.append(Mention(kb.entities[owner[pm.group(1)]], s, e, pm.group(0), False))
            extra = True
        if extra:
            mentions.sort(key=lambda m: m.start)
    return mentions


def _appositive_kind(noun: str, desc: str) -> tuple[str, str | None]:
    """What an appositive says an organisation is ("X, a company developing rockets"): kind and trade."""
    kind = _APPOS_KIND.get(noun, "company")
    if kind != "company":
        return kind, None
    if re.search(r"invest|venture|fund", desc, re.I):
        return kind, "investor"
    if re.search(r"launch|rocket|accelerator|spaceport", desc, re.I):
        return kind, "launch"
    if re.search(r"satellite|spacecraft|lander|constellation|operator", desc, re.I):
        return kind, "operator"
    return kind, None


def _open_world(kb: KnowledgeBase, title: str | None, sentences: list[str],
                people: set[str]) -> dict[str, Entity]:
    """Organisations the knowledge base does not hold, found from the article's own wording."""
    found: dict[str, Entity] = {}
    rejected: set[str] = set()  # each name is checked against the knowledge base once

    def consider(name: str, kind: str, service: str | None = None) -> None:
        name = name.strip(" ,.'’")
        known = found.get(name)
        if known is not None:
            if known.key.startswith("open:") and known.service is None and service is not None:
                known.service, known.kind = service, kind  # a later appositive says what it does
            return
        if name in rejected:
            return
        words = name.split()
        if (not words or words[0] in _OPEN_STOP or len(name) < 3 or name in people
                or any(name in p or p in name for p in people if len(p) > 4)):
            rejected.add(name)
            return
        inside = kb.find(name)
        if any(m.start == 0 and m.end == len(name) for m in inside):
            rejected.add(name)
            return
        known_ent = kb.by_name(name)
        if known_ent is not None:  # a known organisation written another way ("Sky Perfect JSat Corp.")
            found[name] = known_ent
            return
        if inside:  # contains a known entity ("NASA Goddard"): the known one speaks for it
            rejected.add(name)
            return
        found[name] = Entity(key=f"open:{name}", name=name, kind=kind, country=None, service=service)

    if title:
        m = _TITLE_ACTOR.match(title)
        if m and m.group(1) not in _OPEN_STOP:
            name = m.group(1)
            # a real name keeps its capitals mid-sentence in the body ("Unseenlabs said"), a common noun
            # at the headline's start does not ("Scientists push ...")
            mid = re.compile(rf"(?<=[a-z,;:] ){re.escape(name)}(?![\w-])")
            if any(mid.search(s) for s in sentences):
                consider(name, "company")
    for text in ([title] if title else []) + sentences:
        # cheap substring tests first: the four patterns are tried only where they can match
        if _SUFFIX_HINT.search(text) and _LAUNCH_CONTEXT.search(text):
            for m in _SUFFIX_ORG.finditer(text):
                consider(m.group(1), "company")
        appositives: Iterable[re.Match[str]] = (
            _APPOSITIVE.finditer(text) if ", a" in text or ", the" in text else ())
        for m in appositives:
            desc = text[m.end(1):m.end() + 60]  # the description and what follows: "a company developing ..."
            if _LAUNCH_WORDS_IN_APPOS.search(desc):
                consider(m.group(1), *_appositive_kind(m.group(2).lower(), desc))
        if " Space " in text or "Authority" in text or "Commission" in text:
            for m in _NAMED_AGENCY.finditer(text):
                consider(re.sub(r"^(?:The|the)\s+", "", m.group(1)), "agency")
        if "Spaceport" in text or "Launch Site" in text or "Cosmodrome" in text or "Space Port" in text:
            for m in _NAMED_SPACEPORT.finditer(text):
                consider(re.sub(r"^(?:The|the)\s+", "", m.group(1)), "spaceport")
    return found


# ---- subject -------------------------------------------------------------------------------------------

def _publisher(kb: KnowledgeBase, sentences: list[str], site_name: str | None, url: str | None,
               author: str | None) -> Entity | None:
    for text in (site_name, author):
        if text:
            ms = [m for m in kb.find(text) if m.entity.kind in ("agency", "military", "company", "regulator")]
            if ms:
                # "U.S. Space Force, Space Launch Delta 45 Public Affairs": the office that speaks, else the
                # most specific unit named (the one with the longest chain of command above it)
                office = [m for m in ms if _PUBLIC_AFFAIRS.match(text[m.end:])]
                if office:
                    return office[0].entity
                return max(ms, key=lambda m: len(kb.ancestors(m.entity.key)) if hasattr(kb, "ancestors")
                           else 0).entity
    for sent in sentences[:3] + sentences[-3:]:
        for m in kb.find(sent):
            if m.entity.kind in ("agency", "military") and _PUBLIC_AFFAIRS.match(sent[m.end:]):
                return m.entity
    if url:
        host = (urlsplit(url).hostname or "").lower()
        for domain, name in _PUBLISHER_DOMAINS.items():
            if host == domain or host.endswith("." + domain):
                ent = kb.by_name(name)
                if ent is not None:
                    return ent
    return None


def _headline_actor(kb: KnowledgeBase, title: str | None,
                    open_ents: dict[str, Entity]) -> tuple[Entity | None, str, str | None]:
    """The headline's first organisation and whether its verb is 'own programme' or 'party'."""
    if not title:
        return None, "", None
    mentions = list(_find(kb, title))  # regulators too: "FAA clears ..." makes the FAA the headline actor
    for name, ent in open_ents.items():
        i = title.find(name)
        if i >= 0:
            mentions.append(Mention(ent, i, i + len(name), name))
    mentions.sort(key=lambda m: m.start)
    if not mentions:
        return None, "", None
    first = mentions[0]
    if re.search(r"[A-Za-z]", title[:first.start]) and not re.match(r"^\s*(?:The|the|US|U\.S\.)\s+$",
                                                                    title[:first.start]):
        # something else leads the headline ("Airbus ships ...", "Scientists push ..."): not an actor
        lead = title[:first.start].strip()
        if lead and not lead.endswith(("’s", "'s")):
            return None, "", None
    rest = title[first.end:]
    if rest.startswith(("’s", "'s")):
        return None, "", None
    for m in mentions:  # "Allied launch sites are being studied by the Space Force"
        if _SEEK_PASSIVE_BEFORE.search(title[:m.start][-40:]):
            return m.entity, "own", m.surface
    if _PARTY_VERB.match(rest):
        return first.entity, "party", first.surface
    if _OWN_VERB.match(rest):
        return first.entity, "own", first.surface
    return first.entity, "", first.surface


def _seeking_actors(kb: KnowledgeBase, sentences: list[str]) -> list[Entity]:
    """Body sentences of the form "<ORG> eyes/seeks/explores ... partners"."""
    out: list[Entity] = []
    for text in sentences:
        if not _PARTNER_WORD.search(text):
            continue
        for m in kb.find(text):
            if m.entity.kind not in ("military", "agency", "company"):
                continue
            verb = _SEEK.search(text, m.end)
            if (verb and verb.start() - m.end < 25) or _SEEK_PASSIVE_BEFORE.search(text[:m.start][-40:]):
                out.append(m.entity)
                break
    return out


def _own_side(kb: KnowledgeBase, ent: Entity) -> set[str]:
    side = {ent.key}
    helper = getattr(kb, "own_side", None)
    if helper is not None and ent.key in kb.entities:
        side |= helper(ent.key)
    return side


# ---- classification ------------------------------------------------------------------------------------

_SENTENCE_CACHE: dict[str, tuple[frozenset[str], dict[str, list[tuple[int, int]]]]] = {}


def _sentence_cues(sent: str) -> tuple[frozenset[str], dict[str, list[tuple[int, int]]]]:
    """Sentence-level cues and the spans of partnership cues, computed once per sentence (a sentence naming
    many organisations is not re-scanned for each)."""
    hit = _SENTENCE_CACHE.get(sent)
    if hit is None:
        found = {name for name, rx in CUES.items() if name not in _NEAR_CUES and rx.search(sent)}
        if _LAUNCH_EVENT.search(sent):
            found.add("launch_event")
        if _LAUNCH_CONTEXT.search(sent):
            found.add("launch_sentence")
        cues = frozenset(found)
        spans = {name: [m.span() for m in CUES[name].finditer(sent)] for name in _NEAR_CUES}
        if len(_SENTENCE_CACHE) > 4096:
            _SENTENCE_CACHE.clear()
        hit = _SENTENCE_CACHE[sent] = (cues, spans)
    return hit


def _mention_cues(sent: str, ent: Entity, start: int, end: int, via_vehicle: bool) -> tuple[set[str], str | None]:
    if ent.kind == "regulator":
        return set(), "regulator"
    before, after = sent[:start], sent[end:]
    if ent.kind == "country" and _NEW_PLACE.search(before[-6:]):
        return set(), "place"
    if (_AFFIL_BEFORE.search(before[-80:]) or _AFFIL_AFTER.match(after)
            or (_AFFIL_PERSON_OF.search(before[-40:]) and ent.kind != "country")
            or _PUBLIC_AFFAIRS.match(after)):
        return set(), "affiliation"
    if (_COMPARE_BEFORE.search(before[-60:]) and not _PLURAL_LIKE.search(before[-60:])) \
            or (_AS_DOES.search(before[-4:]) and _DOES_AFTER.match(after)):
        return set(), "background"
    if ent.kind == "country" and _COUNTRY_POSSESSOR.match(after):
        return set(), "place"
    sentence_cues, cue_spans = _sentence_cues(sent)
    cues = set(sentence_cues)
    # partnership talk must be about this mention, not elsewhere in a long sentence -- unless the mention is
    # itself described as a launch-partner candidate ("emerging spaceport countries such as Norway")
    near = _NEAR if "emerging" not in cues and "established" not in cues else len(sent)
    for name in _NEAR_CUES:
        if any(a - end <= near and start - b <= near for a, b in cue_spans[name]):
            cues.add(name)
    if via_vehicle:
        cues.add("vehicle")
    if ent.kind == "country":
        government = _COUNTRY_GOVERNMENT.match(after) or "government" in sent[start:end].lower()
        if government and (_CUSTOMER_AFTER.match(after) or _CUSTOMER_BEFORE.search(before[-40:])):
            cues.add("owner")  # "satellites for the Canadian government"
    elif _CUSTOMER_AFTER.match(after) or _CUSTOMER_BEFORE.search(before[-40:]):
        cues.add("owner")
    if _ASTRONAUT_AFTER.match(after):
        cues.add("astronaut")
    if _PROVIDER_BEFORE.search(before[-50:]) or _PROVIDER_AFTER.match(after):
        cues.add("launcher")
    if _OWN_SITE_AFTER.match(after):
        cues.add("site_owner")
    if _BUYER_AFTER.match(after) and (via_vehicle or _BOUGHT_LAUNCH.search(after[:300])
                                      or _LAUNCH_CONTEXT.search(after[:300])):
        cues.add("buyer")

    return cues, None


def _family(ent: Entity, cues: set[str], launch_sentence: bool, hosts_site: bool) -> str | None:
    """The role family one mention supports, or None when it supports none."""
    kind, service = ent.kind, ent.service
    partnerish = bool(cues & {"talks", "partner"})
    if kind == "spaceport":
        return "launch site" if (launch_sentence or "host" in cues or partnerish) else None
    if kind == "country":
        if partnerish:
            return "partner"
        if hosts_site and (launch_sentence or "host" in cues):
            return "host nation"
        if "owner" in cues and launch_sentence:
            return "launch customer"
        return None
    if "buyer" in cues and kind in ("company", "agency", "military") and service not in ("launch", "spaceport"):
        return "launch customer"
    if kind == "company":
        return _company_family(ent, cues, launch_sentence, partnerish)
    # agency / military
    if partnerish and ("potential" in cues or "talks" in cues):
        return "partner"
    if "vehicle" in cues:
        return "launch provider"
    if "astronaut" in cues and launch_sentence:
        return "partner"
    if "owner" in cues and launch_sentence:
        return "launch customer"
    if "fund" in cues:
        return "support / funder"
    if partnerish:
        return "partner"
    if "site_owner" in cues and launch_sentence:
        return "support / funder"
    return None


def _company_family(ent: Entity, cues: set[str], launch_sentence: bool, partnerish: bool) -> str | None:
    """The role family a company's mention supports, by its trade."""
    service = ent.service
    if service in ("spaceport", "ground"):
        return "support / funder" if (launch_sentence or partnerish) else None
    if service == "manufacturer":
        return "partner" if partnerish and "potential" not in cues else None
    if service == "operator":
        if "owner" in cues or ("customer" in cues and launch_sentence):
            return "launch customer"
        if partnerish:
            return "partner"
        return "launch customer" if launch_sentence and "provider" in cues else None
    if service in ("launch", "broker") or ent.vehicles:
        if partnerish and "potential" in cues:
            return "partner"
        if "vehicle" in cues or "launcher" in cues or "launch_event" in cues:
            return "launch provider"
        if "owner" in cues and launch_sentence:
            return "launch customer"
        if partnerish:
            return "partner"
        return None
    if service == "investor":
        return "support / funder" if launch_sentence and ("fund" in cues or partnerish) else None
    # an open-world company of unknown trade: what the sentence says of it
    if "owner" in cues and launch_sentence:
        return "launch customer"
    if "launcher" in cues:
        return "launch provider"
    if partnerish:
        return "partner"
    return None


_DESIGNATOR = re.compile(r"[- ](?:\d|Next\b|NEXT\b)")
_LEAD_SENTENCES = 10  # headline (-1) and the first sentences carry the story's own launch
_FAMILY_ORDER = ["launch provider", "launch customer", "launch site", "host nation", "partner", "support / funder"]


def _detail(ent: Entity, family: str, cues: set[str], vehicles: list[str]) -> str:
    """The role in the article's terms, kept as detail beside the family."""
    potential = "potential" in cues
    if ent.kind == "country" and family == "partner":
        if "emerging" in cues and ("talks" in cues or "partner" in cues):
            return "emerging spaceport nation in talks"
        if "talks" in cues or potential:
            return "partner under discussion" + (" (operates launch sites)" if "established" in cues else "")
        return "partner"
    if family == "partner" and potential:
        return "potential partner"
    if family in ("launch provider", "launch customer") and vehicles:
        return f"{family} ({', '.join(vehicles[:2])})"
    if family == "launch site":
        return "planned launch site" if ent.status == "planned" else "launch site"
    if family == "support / funder":
        if ent.service == "spaceport":
            return "spaceport operator"
        if ent.service == "ground":
            return "tracking / ground services"
        if "site_owner" in cues:
            return "range operator"
        return "funder"
    if family == "partner" and "astronaut" in cues:
        return "partner agency (its astronauts fly)"
    return family


def _facts(kb: KnowledgeBase, ent: Entity) -> KBFacts | None:
    if ent.key.startswith("open:"):
        return None
    if ent.kind == "country":
        ports = ent.spaceports
        return KBFacts(spaceports=ports, status=ent.tier,
                       note=(f"{ent.tier} launch nation" if ent.tier else "no orbital launch site of its own"))
    if ent.kind == "spaceport":
        return KBFacts(operator=ent.operator, status=ent.status, orbits=ent.orbits,
                       country=kb.country_name(ent.country), note=ent.note)
    orbits: list[str] = []
    for name in ent.spaceports:
        port = kb.entities.get(f"spaceport:{name}")
        if port:
            orbits.extend(o for o in port.orbits if o not in orbits)
    return KBFacts(vehicles=ent.vehicles, spaceports=ent.spaceports, orbits=orbits,
                   country=kb.country_name(ent.country), note=ent.note)


def _speaker_org(kb: KnowledgeBase, sentences: list[str], quotes_by_speaker: dict[str, int]) -> Entity | None:
    """The government organisation of the main speaker (two quotes or more), where the article gives it:
    "NASA Administrator Bill Nelson", "Bill Nelson, administrator of NASA"."""
    if not quotes_by_speaker:
        return None
    name, n = max(quotes_by_speaker.items(), key=lambda kv: kv[1])
    if n < 2:
        return None
    for sent in sentences:
        i = sent.find(name)
        if i < 0:
            continue
        for m in kb.find(sent):
            if m.entity.kind not in ("agency", "military"):
                continue
            if 0 <= i - m.end <= 40 and _AFFIL_AFTER.match(sent[m.end:]):
                return m.entity
            if 0 <= m.start - (i + len(name)) <= 60 and _AFFIL_BEFORE.search(sent[:m.start][-80:]):
                return m.entity
    return None


def _subject(kb: KnowledgeBase, sentences: list[str], title: str | None, open_ents: dict[str, Entity], *,
             site_name: str | None, url: str | None, author: str | None,
             quotes_by_speaker: dict[str, int] | None) -> tuple[Entity | None, Subject | None]:
    """The story's subject: the headline actor, else who seeks partners, else the publisher, else the main
    speaker's organisation (in a launch or deal story the headline's parties are never the subject)."""
    actor, verb_kind, actor_surface = _headline_actor(kb, title, open_ents)
    party_keys: set[str] = set()
    found: tuple[Entity, str, str] | None = None
    if actor is not None and actor.kind not in ("regulator",):
        if verb_kind == "own" or (verb_kind == "" and actor.kind in _GOV_KINDS and actor.kind != "country"):
            found = (actor, "headline actor", actor_surface or actor.name)
        elif verb_kind == "party":
            # everyone the headline names in a launch or deal is a party ("SpaceX launches NASA Crew-2 mission")
            party_keys |= {m.entity.key for m in _find(kb, title or "")}
    if found is None:
        seekers = _seeking_actors(kb, sentences)
        if seekers:
            found = (seekers[0], "headline actor", seekers[0].name)
    if found is None:
        pub = _publisher(kb, sentences, site_name, url, author)
        if pub is not None and pub.kind != "regulator" and pub.key not in party_keys:
            found = (pub, "publisher", pub.name)
    if found is None and quotes_by_speaker and verb_kind != "party":
        # (in a launch or deal story the speakers' organisations are parties, not the subject)
        org = _speaker_org(kb, sentences, quotes_by_speaker)
        if org is not None and org.key not in party_keys:
            found = (org, "main speaker's organisation", org.name)
    if found is None:
        return None, None
    ent, why, shown = found
    return ent, Subject(name=shown, kind=ent.kind, kb=None if ent.key.startswith("open:") else ent.key,
                        why=why)  # type: ignore[arg-type]


_Raw = tuple[int, Entity, int, int, str, bool]  # (sentence, entity, start, end, surface, via a vehicle)


def _raw_mentions(kb: KnowledgeBase, numbered: list[tuple[int, str]], open_ents: dict[str, Entity]) -> list[_Raw]:
    """Every knowledge-base and open-world mention, sentence by sentence (the headline is sentence -1)."""
    open_rx = (re.compile(r"(?<![\w-])(" + "|".join(re.escape(n) for n in sorted(open_ents, key=len, reverse=True))
                          + r")(?![\w-])") if open_ents else None)
    raw: list[_Raw] = []
    for i, sent in numbered:
        ms = _find(kb, sent)
        spans = [(m.start, m.end) for m in ms]
        for m in ms:
            raw.append((i, m.entity, m.start, m.end, m.surface, m.via_vehicle))
        if open_rx is not None:
            for om in open_rx.finditer(sent):
                if not any(a <= om.start() < b for a, b in spans):
                    raw.append((i, open_ents[om.group(1)], om.start(), om.end(), om.group(1), False))
    return raw


def _resold(raw: list[_Raw]) -> tuple[set[str], set[str]]:
    """Vehicles sold by another provider named in the same (or the previous) sentence ("Arianespace's Soyuz"),
    and the entities named by name somewhere (not only through a vehicle)."""
    named_in: dict[int, set[str]] = defaultdict(set)
    for i, ent, _s, _e, _surf, via in raw:
        if not via and ent.kind == "company" and (ent.service == "launch" or ent.vehicles):
            named_in[i].add(ent.key)
    resold = {ent.key for i, ent, _s, _e, _surf, via in raw
              if via and ((named_in[i] | named_in[i - 1]) - {ent.key})}
    return resold, {ent.key for _i, ent, _s, _e, _surf, via in raw if not via}


def _shared_list_cues(raw: list[_Raw], text_of: dict[int, str]) -> list[tuple[set[str], str | None]]:
    """Cues of every mention; a coordinated list ("Japan, New Zealand and France") shares the partnership
    talk that one of its members is near."""
    mention_cues = [_mention_cues(text_of[i], ent, s, e, via) for i, ent, s, e, _surf, via in raw]
    for k in range(1, len(raw)):
        (i0, e0, _s0, end0, _u0, _v0), (i1, e1, start1, _e1, _u1, _v1) = raw[k - 1], raw[k]
        if i0 == i1 and e0.kind == e1.kind and _LIST_GAP.match(text_of[i1][end0:start1]) \
                and mention_cues[k - 1][1] is None and mention_cues[k][1] is None:
            shared = (mention_cues[k - 1][0] | mention_cues[k][0]) & _LIST_SHARED
            mention_cues[k - 1][0].update(shared)
            mention_cues[k][0].update(shared)
    for k in range(len(raw) - 2, -1, -1):  # and backwards, so the first of a list gets the last one's cues
        (i0, e0, _s0, end0, _u0, _v0), (i1, e1, start1, _e1, _u1, _v1) = raw[k], raw[k + 1]
        if i0 == i1 and e0.kind == e1.kind and _LIST_GAP.match(text_of[i1][end0:start1]) \
                and mention_cues[k][1] is None and mention_cues[k + 1][1] is None:
            mention_cues[k][0].update(mention_cues[k + 1][0] & _LIST_SHARED)
    return mention_cues


def _hits(raw: list[_Raw], numbered: list[tuple[int, str]], own: set[str], label: str
          ) -> tuple[dict[str, list[_Hit]], list[str]]:
    """Each mention judged: excluded (and why) or given a role family; entities in article order."""
    text_of = dict(numbered)
    resold, named_anywhere = _resold(raw)
    site_countries = {ent.country for _i, ent, *_ in raw if ent.kind == "spaceport" and ent.country}
    hits: dict[str, list[_Hit]] = defaultdict(list)
    order: list[str] = []
    background_sent = {i for i, s in numbered if i >= 0 and _BACKGROUND_SENT.search(s)}
    items = [i for i, s in numbered if i >= 0 and _ITEM_MARK.match(s)]
    # the bracketed source closes an item ("... [Reuters] More News ..."): the story ends at the first marker
    other_items_from = (items[0] if items[0] > 0 else items[1]) if len(items) >= 2 else None
    for (i, ent, _s, _e, surface, via), (cues, excluded) in zip(raw, _shared_list_cues(raw, text_of)):
        if ent.key not in hits:
            order.append(ent.key)
        if via and ent.key in resold and ent.key not in named_anywhere:
            hits[ent.key].append(_Hit(ent, i, surface, set(), None, "resold vehicle", via))
            continue
        if excluded is None and other_items_from is not None and i >= other_items_from:
            excluded = "other round-up item"
        if excluded is None and ent.key in own and ent.kind != "country":
            excluded = "own side"  # a country subject stays as host nation (below)
        if excluded is None and i in background_sent and i != -1:
            excluded = "background"
        fam = None
        if excluded is None:
            launch_sentence = "launch_sentence" in cues
            fam = _family(ent, cues, launch_sentence, ent.kind == "country" and ent.country in site_countries)
            if fam is not None and label != "launch-policy" and fam not in ("launch provider", "launch site",
                                                                           "launch customer", "partner"):
                fam = None
        hits[ent.key].append(_Hit(ent, i, surface, cues, fam, excluded, via))
    # a comparison covers the entity's other mentions in that sentence ("as SpaceX does with the Falcon 9")
    for ent_hits in hits.values():
        compared = {h.sentence for h in ent_hits if h.excluded == "background"}
        for h in ent_hits:
            if h.sentence in compared and h.excluded is None:
                h.excluded, h.family = "background", None
    return hits, order


def _choose(kb: KnowledgeBase, hits: dict[str, list[_Hit]], order: list[str], subject_country: str | None
            ) -> dict[str, tuple[str, list[_Hit]]]:
    """The partners: entities with a supported role, each with its most supported role family."""
    chosen: dict[str, tuple[str, list[_Hit]]] = {}
    for key in order:
        ent_hits = hits[key]
        ent = ent_hits[0].entity
        # a launch's customer is named where the story is told: the headline or its lead paragraphs, not
        # in the tail among other launches
        in_lead = any(h.sentence < _LEAD_SENTENCES for h in ent_hits)
        good = [h for h in ent_hits if h.family is not None
                and (h.family != "launch customer" or in_lead or h.sentence < _LEAD_SENTENCES)]
        if not good:
            continue
        if ent.kind == "country" and ent.country == subject_country \
                and not any(h.family == "host nation" for h in good):
            continue
        # the headline counts twice
        fams = [h.family for h in good if h.family] + [h.family for h in good if h.family and h.sentence == -1]
        # an open-world organisation needs two supporting mentions or the headline: precision first
        if key.startswith("open:") and len(good) < 2 and not any(h.sentence == -1 for h in good):
            continue
        family = max(set(fams), key=lambda f: (fams.count(f), -_FAMILY_ORDER.index(f)))
        chosen[key] = (family, good)
    # a subsidiary or payload brand of a listed partner is that partner's ("Starlink" beside SpaceX)
    for key in list(chosen):
        listed = kb.entities.get(key)
        parent = getattr(listed, "parent", None) if listed is not None else None
        if parent and parent in chosen and listed is not None and listed.kind == "company":
            del chosen[key]
    return chosen


def _partner(kb: KnowledgeBase, key: str, family: str, good: list[_Hit], all_hits: list[_Hit],
             text_of: dict[int, str]) -> Partner:
    ent = good[0].entity
    cues = set().union(*(h.cues for h in good if h.family == family))
    vehicles = list(dict.fromkeys(h.surface for h in all_hits if h.via_vehicle and h.family is not None))
    if family == "launch customer":  # its payloads, as the article names them
        vehicles = list(dict.fromkeys(h.surface for h in good if h.surface != ent.name
                                      and _DESIGNATOR.search(h.surface)))
    evidence_idx = list(dict.fromkeys(h.sentence for h in good))[:3]
    kind = ent.kind if ent.kind in ("country", "agency", "company", "spaceport", "military") else "agency"
    return Partner(
        name=ent.name,
        kind=kind,  # type: ignore[arg-type]
        country=ent.country,
        role=_detail(ent, family, cues, vehicles),
        role_family=family,  # type: ignore[arg-type]
        key=None if key.startswith("open:") else key,
        tier=ent.tier if ent.kind == "country" else None,  # type: ignore[arg-type]
        evidence=[Sentence(index=i, text=text_of[i]) for i in evidence_idx],
        mentions=len(all_hits),
        kb=_facts(kb, ent),
    )


def analyse_partners(kb: KnowledgeBase, sentences: list[str], title: str | None = None,
                     label: str = "launch-policy", *, site_name: str | None = None, url: str | None = None,
                     author: str | None = None, people: list[Person] | None = None,
                     quotes_by_speaker: dict[str, int] | None = None) -> PartnerAnalysis:
    """Partners in article order, and the subject. Evidence indices point into ``sentences``; -1 is the
    headline."""
    person_names = {p.name for p in people or []}
    open_ents = _open_world(kb, title, sentences, person_names) if label != "off-topic" else {}
    subject_ent, subject = _subject(kb, sentences, title, open_ents, site_name=site_name, url=url, author=author,
                                    quotes_by_speaker=quotes_by_speaker)
    if label == "off-topic":
        return PartnerAnalysis([], subject)
    own = _own_side(kb, subject_ent) if subject_ent is not None else set()
    numbered = ([(-1, title)] if title else []) + list(enumerate(sentences))
    hits, order = _hits(_raw_mentions(kb, numbered, open_ents), numbered, own, label)
    # the subject's own country: not a partner on a policy statement; kept as host of a launch in it
    subject_country = subject_ent.country if subject_ent is not None and subject_ent.kind in _GOV_KINDS else None
    text_of = dict(numbered)
    partners = [_partner(kb, key, family, good, hits[key], text_of)
                for key, (family, good) in _choose(kb, hits, order, subject_country).items()]
    if subject is not None and subject.kb and any(p.key == subject.kb for p in partners):
        # a government's own country listed as host of the story's launch: the host role wins (ANNOTATION.md),
        # and the brief does not name as subject what it lists as a partner
        subject = None
    return PartnerAnalysis(partners, subject)


def extract_partners(kb: KnowledgeBase, sentences: list[str], title: str | None = None,
                     label: str = "launch-policy") -> list[Partner]:
    """Partners only (see :func:`analyse_partners` for the subject as well)."""
    return analyse_partners(kb, sentences, title, label).partners
