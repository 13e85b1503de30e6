"""Direct quotes with their speakers, and the people the article names with their titles.

Rule-based and offline: people are found from ranks/titles before capitalised names and from speech verbs
("said Kristin Panzenhagen", "Panzenhagen noted"); a surname or a pronoun ("she said") resolves to the most
recent full name it can stand for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from briefings.analysis.sentences import RANK_ABBREVIATIONS
from briefings.models import Person, Quote

_SPEECH = (r"(?:said|says|added|adds|noted|notes|concluded|explained|explains|told|stated|states|"
           r"remarked|continued|argued|warned|emphasi[sz]ed|stressed|insisted|recalled|wrote|asked|"
           r"acknowledged|observed|announced|revealed|declared|tweeted|posted|replied|responded|"
           r"cautioned|predicted|admitted|conceded|confirmed|described|suggested|quipped|joked|laughed|commented|comments|reported|reports)")
# a name after these verbs is the speaker ("said Jo Marsh"); after "told"/"asked" it is the listener
_SPEECH_INV = _SPEECH.replace("told|", "").replace("asked|", "")
_FUNCTION_WORDS = (r"(?:before|after|on|in|at|during|to|that|with|for|from|of|the|a|an|by|about|as|while|when|and|"
                   r"but|outside|inside|near|since|until|than|then|this|these|those|his|her|their|its|our|into|onto)")
_NAME_TOKEN = r"(?:[A-Z][a-zà-ÿ]+(?:[-'’][A-Z]?[a-zà-ÿ]+)?|Mc[A-Z][a-z]+|[A-Z]\.)"
_NAME = rf"{_NAME_TOKEN}(?:\s+{_NAME_TOKEN}){{0,3}}"
_RANK = ("(?:" + "".join(rf"{a}\.|" for a in (*RANK_ABBREVIATIONS, "Gov", "Dr", "Prof")) +
         r"General|Brigadier General|Lieutenant General|Major General|Colonel|Captain|Admiral|Senator|"
         r"Governor|Minister|Prime Minister|President|Administrator|Secretary|Director|Commissioner|"
         r"Chancellor|Ambassador|Commander|Chief)")
_RANKED_NAME = re.compile(rf"((?:{_RANK}\s+)+)({_NAME_TOKEN}(?:\s+{_NAME_TOKEN}){{1,3}})")
# "Brian Holz, CEO of OneWeb Satellites, told" / "Panzenhagen, who serves ..., said"
# "Maxym Polyakov, a Ukrainian entrepreneur who says in his profile that ..."
_NAME_WHO_SAID = re.compile(rf"\b({_NAME}),\s+[^,“”\"]{{0,80}}?\bwho\s+(?:also\s+)?{_SPEECH}\b")
# "said Fjordlift's chief executive, Lena Sorensen"
_SAID_ROLE_NAME = re.compile(rf"\b{_SPEECH_INV}\s+(?:the\s+)?(?:[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*['’]s\s+)?"
                             rf"(?:[a-z][\w-]*\s+){{0,3}}[a-z][\w-]*,\s+({_NAME})")
# "said planetary geologist Rosaly Lopes", "said study co-author Jo Marsh"
_SAID_DESCRIBED_NAME = re.compile(rf"\b{_SPEECH_INV}\s+(?:(?!{_FUNCTION_WORDS}\b)[a-z][\w-]*\s+){{1,4}}"
                                  rf"({_NAME_TOKEN}\s+{_NAME_TOKEN}"
                                  rf"(?:\s+{_NAME_TOKEN})?)")
# the appositive may hold commas of its own ("Jo Marsh, a fellow at the institute in Munich, Germany, said")
_NAME_SAID = re.compile(rf"\b({_NAME})\s*(?:,\s*[^“”\"]{{1,160}}?,|,)?\s+(?:later\s+|also\s+|then\s+|previously\s+)?"
                        rf"{_SPEECH}\b")
_SAID_NAME = re.compile(rf"\b{_SPEECH_INV}\s+({_NAME})")
# "Todd Harrison of the Center for Strategic and International Studies tweeted"
_NAME_OF_ORG_SAID = re.compile(rf"\b({_NAME_TOKEN}\s+{_NAME_TOKEN})\s+(?:of|at|from|with)\s+[^,;“”\"]{{1,90}}?\s+"
                               rf"{_SPEECH}\b")
_PRONOUN_SAID = re.compile(rf"\b(?:he|she|they)\s+(?:later\s+|also\s+|then\s+)?{_SPEECH}\b|"
                           rf"^(?:He|She)\b[^“”;]{{0,100}}?\b{_SPEECH}\b", re.I)
_ACCORDING = re.compile(rf"\baccording to\s+({_NAME})")

_NOT_NAMES = {"The", "This", "That", "These", "Those", "It", "He", "She", "They", "We", "I", "But", "And", "So",
              "However", "Although", "Until", "For", "In", "On", "At", "By", "If", "When", "While", "A", "An",
              "Emerging", "Earlier", "Later", "Officials", "Sources", "Reuters", "Caliber", "NASA", "ESA",
              # titles that stand before a name and are not part of it
              "Minister", "Executive", "Chief", "President", "Director", "Secretary", "Administrator",
              "Commissioner", "Chairman", "Chairwoman", "Chair", "Officer", "Professor", "Senator", "Governor",
              "Spokesman", "Spokeswoman", "Spokesperson", "Founder", "Analyst", "Expert", "Engineer", "Deputy",
              "Vice", "Prime", "Mr", "Mrs", "Ms", "Sir", "Dame", "Lord", "Lady", "Space", "Industry"}
_STOP_TAIL = {"Space", "Force", "Agency", "Administration", "Command", "Center", "Centre", "Institute",
              "University", "Program", "Programme", "Office", "Department", "Delta", "Station", "Base", "Lab",
              "Aerospace", "Corporation", "Company", "Group", "Ltd", "Inc", "Reports", "Said", "Development",
              "Economic", "Ministry", "Committee", "Council", "Commission", "Parliament", "Bureau", "Authority",
              "Foundation", "Association", "Federation", "Systems", "Services", "Technologies", "Industries",
              "News", "Journal", "Times", "Post", "Government", "Representative", "Trade", "Union", "Network",
              "Studies", "Street", "House", "Bank", "Park", "Launch", "Air", "Additional", "Each", "Canadian",
              "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January",
              "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December", "Twitter", "LinkedIn",
              # words that end names of days, places, events and buildings, not of people
              "Day", "Night", "Week", "Year", "Avenue", "Road", "Island", "Islands", "River", "Mountain", "Party",
              "Court", "Club", "Hall", "Cup", "Award", "Awards", "Prize", "Show", "Festival", "Conference",
              "Summit", "Forum", "School", "College", "Hospital", "Church", "Airport", "Museum", "Square",
              "County", "City", "State", "Valley", "Bay", "Coast", "Beach", "Lake", "Treaty"}
# First Last (optionally a middle initial): candidate full names, found before attribution resolves surnames
_FULL_NAME = re.compile(r"\b([A-Z][a-zà-ÿ]+(?:[-'’][A-Z]?[a-zà-ÿ]+)?(?:\s+[A-Z]\.)?\s+"
                        r"(?:Mc|Mac|O’|O')?[A-Z][a-zà-ÿ]+(?:[-'’][A-Z][a-zà-ÿ]+)?)\b")

_FULL_NAME_OVERLAP = re.compile(rf"(?=\b{_FULL_NAME.pattern[2:]})")

# Opening/closing quote pairs. Straight double quotes pair up left to right.
_QUOTE_SPANS = re.compile(r"“([^”]{2,600})”|\"([^\"]{2,600})\"|(?<![\w’'])‘([^’]{2,600}?)’(?![\w])")


@dataclass
class _PeopleIndex:
    full: dict[str, str] = field(default_factory=dict)  # full name -> title
    order: list[str] = field(default_factory=list)

    def add(self, raw: str, title: str | None = None) -> str | None:
        name = _clean_name(raw)
        if not name:
            return None
        existing = self.resolve(name)
        if existing and len(existing.split()) >= len(name.split()):
            name = existing
        elif existing and existing != name:  # a longer form of a known name replaces it
            self.full[name] = self.full.pop(existing) or title or ""
            self.order = [name if n == existing else n for n in self.order]
        if name not in self.full:
            self.full[name] = title or ""
            self.order.append(name)
        elif title and title not in self.full[name]:
            self.full[name] = f"{self.full[name]}; {title}".strip("; ")
        return name

    def resolve(self, raw: str) -> str | None:
        name = _clean_name(raw)
        if not name:
            return None
        if name in self.full:
            return name
        last = name.split()[-1]
        for full in reversed(self.order):
            parts = full.split()
            if parts[-1] == last and (len(name.split()) == 1 or name.split()[0] == parts[0]):
                return full
        return None


_ORG_BEFORE = re.compile(r"\b(?:of|of the|at|at the|for|for the|and|from|from the)\s*$")


def _is_entity(name: str) -> bool:
    """Names the knowledge base knows as organisations, places or rockets are not people."""
    from briefings.analysis.kb import load_kb

    kb = load_kb()
    return any(hit.start == 0 or hit.end == len(name) for hit in kb.find(name))


def _after_titles(name: str) -> str:
    """"Strategy Officer Ola Berg" (after the rank "Chief") -> "Ola Berg": the name after the last title word."""
    tokens = name.split()
    cut = max((k for k, t in enumerate(tokens[:-1]) if t in _NOT_NAMES), default=-1)
    return " ".join(tokens[cut + 1:][:3])


def _clean_name(name: str) -> str | None:
    tokens = name.split()
    cut = max((k for k, t in enumerate(tokens[:-1]) if t in _NOT_NAMES), default=-1)
    tokens = tokens[cut + 1:]  # "Science Minister Harriet Quill": the name starts after the last title word
    if not tokens or any(t in _STOP_TAIL for t in tokens) or tokens[-1].endswith(".") or tokens[-1] in _NOT_NAMES:
        return None  # "Strategy Officer" is a title, not a name
    if len(tokens) > 3:
        tokens = tokens[-3:]
    return " ".join(tokens)


def _titles(sentence: str, people: _PeopleIndex) -> None:
    for m in _RANKED_NAME.finditer(sentence):
        rank = " ".join(m.group(1).split())
        prefix = sentence[max(0, m.start() - 60):m.start()]
        org = re.search(r"((?:[A-Z][\w.]*\s+){1,4})$", prefix)
        title = rank
        if org and not org.group(1).strip().endswith(","):
            words = org.group(1).strip()
            if words.split()[0] not in _NOT_NAMES:
                title = f"{rank}, {words}"
        # a rank directly before "Kristin Panzenhagen is exploring" -> stop the name at the first lowercase word
        people.add(_after_titles(m.group(2)), title)
    # appositive roles: "Panzenhagen, who serves ... including commander of X and director of Y,"
    for m in re.finditer(rf"({_NAME})\s*,\s*(?:who\s+serves\s+[^,]*?(?:including|as)\s+)?"
                         r"((?:the\s+)?(?:[A-Z][\w-]*\s+)*(?:commander|director|chief|head|administrator|"
                         r"secretary|minister|president|CEO|founder|spokesperson|manager|officer|Commander|"
                         r"Director|Chief|Head|Administrator|Secretary|Minister|President|Manager|Officer)"
                         r"[^,.;]{0,80})", sentence):
        name = people.resolve(m.group(1))
        if name:
            people.add(name, " ".join(m.group(2).split()))


# --- quotation marks followed across sentences and paragraphs -------------------------------------------------

_SINGLE_SPANS = re.compile(r"(?<![\w’'])‘([^’]{2,600}?)’(?![\w])")
_MAX_OPEN_RUN = 8  # sentences an unclosed mark may run on when the text has no paragraph breaks


@dataclass
class _Layout:
    outside: str  # the sentence with quoted words replaced by “…” (attribution is read here)
    spans: list[str]  # quoted words, in order
    run: int | None  # sentences joined by one quotation that runs over them share a run number
    intro_colon: bool  # the words before the first quotation end with a colon ("McDowell has an answer: “…”")


def _layout(sentences: list[str], paragraphs: list[int] | None) -> list[_Layout]:
    """Quoted and unquoted parts of each sentence. A double quotation mark opened and not closed runs on into
    the next sentence of the paragraph, and into the next paragraph when that paragraph opens with a new mark
    (the convention for a quotation over several paragraphs: an opening mark per paragraph, one closing mark
    at the end). A paragraph that does not reopen it ends it, so an unbalanced mark cannot swallow the text."""
    out: list[_Layout] = []
    quoted = False
    run = 0
    run_len = 0
    for i, sent in enumerate(sentences):
        new_par = i == 0 or paragraphs is None or paragraphs[i] != paragraphs[i - 1]
        body = sent
        if quoted:
            reopens = body.lstrip().startswith(("“", '"'))
            if (new_par and paragraphs is not None and not reopens) or run_len >= _MAX_OPEN_RUN:
                quoted = False
            elif reopens and (new_par or not _has_close(body)):
                body = body.lstrip()[1:]  # the paragraph's opening mark continues the same quotation
        if not quoted:
            run += 1
            run_len = 0
        started_open = quoted
        if not quoted and not any(c in _INCHES.sub("", body) for c in "“”\""):  # no quotation mark: the common case
            text_out, single_spans = _single_spans(body) if "‘" in body else (body, [])
            out.append(_Layout(text_out, single_spans, None, False))
            continue
        text_out, spans, quoted, intro_colon = _scan_marks(body, quoted)
        if quoted:
            run_len += 1
        text_out, single = _single_spans(text_out)
        spans = [s for s in spans if s.strip()] + single
        joined = started_open or quoted
        out.append(_Layout(text_out, spans, run if joined else None, intro_colon))
    return out


def _single_spans(text: str) -> tuple[str, list[str]]:
    """Single-quoted spans (‘…’) set aside as quotations: the text with each replaced by a marker, and them."""
    found: list[str] = []

    def keep(m: re.Match) -> str:
        found.append(m.group(1))
        return "“…”"

    return _SINGLE_SPANS.sub(keep, text), found


def _scan_marks(body: str, quoted: bool) -> tuple[str, list[str], bool, bool]:
    """One sentence read mark by mark: the text outside quotation marks (quoted parts replaced by a marker),
    the quoted spans, whether a quotation is still open at its end, and whether a colon introduced the first
    quotation."""
    outside: list[str] = []
    spans: list[str] = []
    cur: list[str] = []
    intro_colon = False
    for k, ch in enumerate(body):
        if ch == '"' and k and body[k - 1].isdigit():
            cur.append(ch)  # 34" -- an inch mark, not a quotation mark
            continue
        if ch == "“" or (ch == '"' and not quoted):
            if not quoted:
                outside.append("".join(cur))
                intro_colon = intro_colon or (not spans and "".join(outside).rstrip().endswith(":"))
                cur = []
                quoted = True
            continue  # a second opening mark inside a quotation is a typo or a nested quote: ignored
        if ch == "”" or ch == '"':
            if quoted:
                spans.append("".join(cur))
                outside.append("“…”")
                cur = []
                quoted = False
            continue
        cur.append(ch)
    if quoted:
        spans.append("".join(cur))
        outside.append("“…")
    else:
        outside.append("".join(cur))
    return "".join(outside), spans, quoted, intro_colon


_INCHES = re.compile(r'(?<=\d)"')


def _has_close(text: str) -> bool:
    return "”" in text


def paragraph_ids(text: str, sentences: list[str]) -> list[int] | None:
    """The paragraph number of each sentence (paragraphs are separated by line breaks), or None when the
    sentences cannot be placed in the text."""
    pars = [" ".join(p.split()) for p in re.split(r"\n+", text) if p.strip()]
    ids: list[int] = []
    k = pos = 0
    for sent in sentences:
        while k < len(pars):
            j = pars[k].find(sent, pos)
            if j >= 0:
                ids.append(k)
                pos = j + len(sent)
                break
            k, pos = k + 1, 0
        else:
            return None
    return ids


# --- organisations as speakers ---------------------------------------------------------------------------------

# SpaceX, EchoStar, OneWeb; NASA, FAA
_ORG_WORD = r"(?:(?!Mc|Mac|De|Di|La|Le|Van|Von)[A-Z][a-z]+[A-Z][\w-]*|[A-Z]{2,6}s?)"
_AFTER_ORG_SPEECH = re.compile(rf"^(?:['’]s?)?\s*(?:Corp\.|Inc\.|Ltd\.?|plc)?\s*(?:,\s*[^,“”\"]{{1,100}},\s*)?"
                               rf"(?:also\s+|later\s+|previously\s+|then\s+|has\s+|had\s+)?{_SPEECH}\b")
_BEFORE_ORG_SPEECH = re.compile(rf"(?:\b{_SPEECH}|\baccording\s+to|\bstatement\s+(?:from|by))\s+(?:the\s+)?$")
_ORG_TOKEN_SAID = re.compile(rf"\b({_ORG_WORD}(?:\s+(?:Corp\.|Inc\.|Ltd\.?))?)(?=\s*(?:,\s*[^,“”\"]{{1,100}},\s*)?"
                             rf"\s+(?:also\s+|later\s+)?{_SPEECH}\b)")
# "the company said", "according to the agency", "the firm said in a statement"
_GENERIC_ORG = re.compile(rf"\b(?:the|The)\s+(company|firm|agency|startup|start-up|operator|ministry|department|"
                          rf"government|administration|service|organi[sz]ation|manufacturer|provider)\s+"
                          rf"(?:also\s+|later\s+|previously\s+)?{_SPEECH}\b|\baccording\s+to\s+the\s+(company|firm|"
                          r"agency|startup|start-up|operator|ministry|department|government|organi[sz]ation)\b")
_COMPANY_NOUNS = {"company", "firm", "startup", "start-up", "operator", "manufacturer", "provider"}
_SPEAKING_KINDS = {"company", "agency", "military", "regulator", "country"}


_COUNTRY_SPEECH = re.compile(rf"^\s+(?:also\s+|later\s+|has\s+)?{_SPEECH}\b")


def _org_speaker(outside: str) -> str | None:
    """An organisation that makes a statement in this sentence ("Arianespace said", "the FAA stated",
    "according to NASA"), as the article names it."""
    from briefings.analysis.kb import load_kb

    for m in load_kb().find(outside):
        if m.entity.kind not in _SPEAKING_KINDS:
            continue
        if m.entity.kind == "country":  # "China said" -- but not "in Munich, Germany, and co-author ..., said"
            if outside[:m.start].rstrip().endswith(",") or not _COUNTRY_SPEECH.match(outside[m.end:]):
                continue
            return m.surface
        if _AFTER_ORG_SPEECH.match(outside[m.end:]) or _BEFORE_ORG_SPEECH.search(outside[:m.start]):
            return m.surface
    said = _ORG_TOKEN_SAID.search(outside)
    if said and said.group(1).rstrip("s") not in _NOT_NAMES:
        return said.group(1)
    for caps in _CAPS_SAID.finditer(outside):  # "Vantor Launch said": a name made of organisation words
        tokens = caps.group(1).split()
        while tokens and tokens[0] in _NOT_NAMES:
            tokens = tokens[1:]
        org = " ".join(tokens)
        if org and _ORGISH.search(org) and not _clean_name(org):
            return org
    return None


_CAPS_SAID = re.compile(rf"\b((?:[A-Z][\w&.-]*\s+){{0,4}}[A-Z][\w&.-]*)(?=\s*(?:,\s*[^,“”\"]{{1,100}},\s*)?\s+"
                        rf"(?:also\s+|later\s+)?{_SPEECH}\b)")


_ATTRIBUTION_HINT = re.compile(rf"\b{_SPEECH}\b|\baccording\s+to\b|\bstatement\s+(?:from|by)\b")


def _recent_orgs(sentence: str) -> list[tuple[str, str]]:
    from briefings.analysis.kb import load_kb

    return [(m.surface, m.entity.kind) for m in load_kb().find(sentence) if m.entity.kind in _SPEAKING_KINDS]


# --- unnamed speakers described by their role: "one government official said", "the SpaceX launch director said"

_ROLE_NOUN = (r"(?:official|spokesman|spokeswoman|spokesperson|operator|manager|executive|engineer|director|narrator|"
              r"commentator|source|analyst|expert|researcher|scientist|representative|officer|insider|host|"
              r"lawmaker|diplomat|staffer|aide|user|resident|witness|member|employee|worker)s?")
_DESC = (rf"((?:[A-Z][\w&-]*(?:['’]s)?\s+)?(?:[a-z][\w-]*\s+){{0,3}}?{_ROLE_NOUN}"
         r"(?:\s+(?:of|for|at|with)\s+(?:a|an|the)\s+[^,.;“”\"]{1,60}?)?)")
_DESC_SAID = re.compile(rf"\b(?:[Oo]ne|[Aa]n?|[Tt]he)\s+{_DESC}\s*,?\s+(?:also\s+|later\s+)?{_SPEECH}\b")
_SAID_DESC = re.compile(rf"\b(?:{_SPEECH}\s+(?:one|an?|the)|according\s+to(?:\s+(?:one|an?|the))?)\s+{_DESC}"
                        rf"(?=\s*[,.;:]|\s*“|\s+(?:who|whose|in|"
                        r"at|on|as|during|when)\b|\s*$)")


def _described_speaker(outside: str, people: _PeopleIndex) -> str | None:
    for rx in (_DESC_SAID, _SAID_DESC):
        m = rx.search(outside)
        if not m:
            continue
        desc = " ".join(m.group(1).split()).replace("’s ", " ").replace("'s ", " ")
        noun = re.search(_ROLE_NOUN, desc)
        if desc.split()[0][0].islower() and noun:  # "the director said": a person titled so, if the article has one
            for name in reversed(people.order):
                if noun.group(0).rstrip("s") in (people.full.get(name) or "").lower():
                    return name
        return desc
    return None


# --- press releases: "Minister X said:" and then paragraphs without quotation marks ---------------------------

_BOILERPLATE = re.compile(r"^\W*(?:notes?\s+to\s+editors?|ends\b|-+\s*ends|background\b|about\s+(?:the\s+)?[A-Z]|"
                          r"media\s+(?:enquiries|inquiries|contacts?)|press\s+(?:office|contacts?|enquiries)|"
                          r"further\s+information|for\s+more\s+information|contacts?\b|editor['’]s\s+notes?|"
                          r"related\s+(?:links|articles|content)|share\s+this|published\b)", re.I)
_SAID_COLON = re.compile(rf"\b{_SPEECH}\s*(?:\([^)]*\)\s*)?:\s*")
_FIRST_PERSON = re.compile(r"\b(?:I|I['’]m|I['’]ve|I['’]d|we|We|we['’]re|We['’]re|we['’]ve|We['’]ve|our|Our|"
                           r"us|my|My|me|you|You|your|Your|let['’]s|Let['’]s)\b")


def _statement_unit_ok(text: str, first: bool) -> bool:
    """Whether a paragraph (or sentence) after "X said:" is still X's statement: no quotation marks of its own,
    not release boilerplate or a heading, and -- after the first -- spoken in the first or second person."""
    stripped = text.strip()
    if not stripped or any(q in stripped for q in ("“", "”", '"')) or _BOILERPLATE.match(stripped):
        return False
    if not stripped.endswith((".", "!", "?", "…", ".”", ";")) and len(stripped.split()) < 12:
        return False  # a heading
    return first or bool(_FIRST_PERSON.search(stripped))


# --- the organisation a speaker speaks for ---------------------------------------------------------------------

# at most eight words: bounded, so a long run of capitalised words cannot make the search quadratic
_ORG = r"((?:[A-Z][\w&.’'-]*)(?:\s+(?:(?:of|for|and|the|on|de|du|des)\s+){0,2}(?:[A-Z][\w&.’'-]*|\d+\b)){0,7})"
_TITLE_WORDS = (r"(?:Chief\s+Executive(?:\s+Officer)?|Chief\s+\w+\s+Officer|CEO|COO|CFO|CTO|President|Vice\s+President|"
                r"Chairman|Chairwoman|Chair|Founder|Co-founder|Director|Administrator|Deputy|Associate|Secretary|"
                r"Minister|Spokesman|Spokeswoman|Spokesperson|Manager|Head|Chief|Commander|Executive|Senior|"
                r"General|Principal|Program|Programme|Project|Engineer|Scientist|Analyst|Officer|"
                rf"{_RANK.strip('(?:)').replace('(?:', '')})")


def _speaker_org(name: str, sentences: list[str]) -> str | None:
    """The organisation the article ties a speaker to: "X, title of Y", "Y's title X", "Y Title X",
    "title of Y, X", "X of Y" (the full name or the surname)."""
    surname = name.split()[-1]
    for rx in _ORG_PATTERNS:
        for sent in sentences:
            if surname not in sent:
                continue
            for m in rx.finditer(sent):
                who = _clean_name(m.group("who"))
                if who and who.split()[-1] == surname:
                    org = _trim_org(m.group("org"))
                    title = m.groupdict().get("title") or ""
                    between = m.groupdict().get("between")
                    tie = (between or "") + " ".join(m.group("who").split()[:-2])
                    if between is not None and not re.search(_ROLE_WORD, tie):
                        continue  # "Earth's most valuable company, Tim Cook": no title ties them
                    if org and " " not in org and re.search(r"(?i)minister|secretary", title) and not (
                            _ORGISH.search(org) or _is_entity(org)):
                        continue  # "Science Minister Harriet Quill": a portfolio, not an organisation
                    if org:
                        return org
    return None


_ROLE_WORD = (r"(?i:chief|head|director|president|ceo|coo|founder|administrator|manager|professor|analyst|"
              r"spokes\w+|commander|secretary|minister|officer|engineer|executive|chair\w*|lead|leader|member|"
              r"scientist|researcher|fellow|partner|economist|lawyer|attorney|official|deputy|vice)")
_ORGISH = re.compile(r"[A-Z][a-z]+[A-Z]|[A-Z]{2,}|\b(?:Agency|Administration|Force|Command|Cent(?:er|re)|Foundation|"
                     r"Institute|University|Corp|Inc|Ltd|Systems|Technolog\w+|Space|Aerospace|Satellites?|Launch|"
                     r"Laboratory|Lab|Board|Office|Department|Ministry|Studies|Council|Commission|Group|Company|"
                     r"Industries|Army|Navy|Air|Delta|Wing|Squadron|Society|Association|Bank|Capital|Partners|"
                     r"Ventures|Government|Dynamics|Robotics|Rocket\w*|Orbit\w*|Aviation|Defen[cs]e)\b")
_O = _ORG.replace("((?:", "(?P<org>(?:", 1)
_W = rf"(?P<who>{_NAME})"
_ORG_PATTERNS = (
    re.compile(rf"\b{_W},\s+(?:the\s+|a\s+|an\s+|who\s+\w+\s+)?[^,;“”\"]{{0,60}}?\b{_ROLE_WORD}\w*\s+"
               rf"(?:[^,;“”\"]{{0,30}}?\s+)?(?:of|at|with)\s+(?:the\s+)?{_O}"),
    re.compile(rf"{_O}['’]s\s+(?P<between>(?:[\w.-]+,?\s+){{0,6}}?){_W}"),
    re.compile(rf"{_O}\s+(?P<title>(?:(?i:{_TITLE_WORDS})\s*(?:and\s+)?)+){_W}"),
    re.compile(rf"\b{_ROLE_WORD}\w*\s+(?:of|at|for)\s+(?:the\s+)?{_O}[^,;“”\"]{{0,40}},\s+(?:(?:{_TITLE_WORDS})\s+)*{_W}"),
    re.compile(rf"\b{_W}\s+(?:of|at|from)\s+(?:the\s+)?{_O}"),
)
_TITLE_TOKEN = re.compile(rf"(?:{_TITLE_WORDS}|and|[A-Z][a-z]{{0,4}}\.)$")


_GENERIC_ORG_WORDS = {"Company", "Agency", "Government", "Department", "Ministry", "Office", "Group", "Board",
                      "Council", "Commission", "Administration", "Force", "Army", "Navy", "Space", "Launch", "Air"}
_SENTENCE_OPENERS = {"The", "This", "That", "These", "Those", "It", "He", "She", "They", "We", "I", "But", "And",
                     "So", "However", "Although", "Until", "For", "In", "On", "At", "By", "If", "When", "While", "A",
                     "An", "Said", "Says", "According", "Mr", "Mrs", "Ms", "Dr"}


def _trim_org(org: str) -> str | None:
    tokens = org.split()
    while tokens and (_TITLE_TOKEN.match(tokens[-1]) or tokens[-1] in ("of", "for", "the", "and")):
        tokens = tokens[:-1]
    while tokens and (tokens[0] in _SENTENCE_OPENERS or _TITLE_TOKEN.match(tokens[0])):
        tokens = tokens[1:]
    org = re.sub(r"['’]s?$", "", " ".join(tokens).rstrip(".,"))
    if not org or org in _NOT_NAMES or "’" in org or "'" in org or len(org.split()) > 7:
        return None
    if org in _GENERIC_ORG_WORDS:  # "Company spokesman Josh Marshall": which company, the article says elsewhere
        return None
    if not (_is_entity(org) or _ORGISH.search(org) or (len(tokens) == 1 and org.isalpha())):
        return None  # "First Last" is a person, "Crew-2" a mission: not organisations
    return org


# --- the extractor ---------------------------------------------------------------------------------------------

_TERM_BEFORE = re.compile(r"(?:so-called|known\s+as|dubbed|called|named|nicknamed|term|word|phrase|label)\s*$", re.I)


def _is_term(text: str, outside_before: str) -> bool:
    """A short quoted fragment that names something (“Drive to 48”, “National Defense Strategy”) or is
    introduced as a term, not somebody's words."""
    if not outside_before.strip():
        return False  # a sentence that opens with the quotation and then names its speaker quotes words
    words = [w for w in re.findall(r"[\w’'-]+", text) if w.lower() not in ("of", "to", "the", "and", "for", "a",
                                                                           "in", "on")]
    if words and all(w[0].isupper() or w[0].isdigit() for w in words):
        return True
    return bool(_TERM_BEFORE.search(outside_before))


def extract_people_and_quotes(sentences: list[str],
                              paragraphs: list[int] | None = None) -> tuple[list[Person], list[Quote]]:
    """People and direct quotations. ``paragraphs`` gives the paragraph number of each sentence (see
    :func:`paragraph_ids`); without it every sentence is read as its own paragraph for the press-release form
    and no quotation runs over a paragraph break."""
    has_marks = any(q in s for s in sentences for q in ("“", '"', "‘"))
    has_intro = any(":" in s and _SAID_COLON.search(s) for s in sentences)
    if not has_marks and not has_intro:
        people = _PeopleIndex()
        for sent in sentences:  # no quotation in the article: only people and their titles
            _titles(sent, people)
        return [Person(name=n, title=(people.full.get(n) or None)) for n in people.order], []
    return _QuoteReader(sentences, paragraphs).read()


class _QuoteReader:
    """Reads an article sentence by sentence, keeping who spoke last, whom "he" or "she" means, and an open
    "X said:" statement, and collects the quotations with their speakers."""

    def __init__(self, sentences: list[str], paragraphs: list[int] | None) -> None:
        self.sentences, self.paragraphs = sentences, paragraphs
        self.layout = _layout(sentences, paragraphs)
        self.people = _PeopleIndex()
        self.quotes: list[Quote] = []
        self.run_of: list[int | None] = []  # per quote: the run of its quotation (for speakers given after)
        self.last_speaker: str | None = None
        self.last_attr = -99  # index of the last sentence that named a speaker
        self.last_person: str | None = None
        self.last_known: str | None = None  # the last person named whom the article gives a title or a quote
        self.last_known_at = -99
        self.pronoun_of: dict[str, str] = {}  # "he" or "she", as the article refers to a speaker
        self.last_org_speaker: str | None = None
        self.orgs: set[str] = set()  # speakers that are organisations
        self.known_full: dict[str, str] | None = None  # surname -> First Last; built on first need
        # (speaker, paragraph or sentence where "X said:" stood, whether the statement runs by paragraph)
        self.statement: tuple[str, int, bool] | None = None
        self.statement_units = 0

    def read(self) -> tuple[list[Person], list[Quote]]:
        for i, sent in enumerate(self.sentences):
            _titles(sent, self.people)
            unit, prev_unit = self._unit(i)
            if self.statement is not None:
                if not self.statement[2]:  # a statement read sentence by sentence
                    unit, prev_unit = i, i - 1
                if self._statement_goes_on(i, sent, unit, prev_unit):
                    continue
            lay = self.layout[i]
            speaker = self._speaker(i, lay)
            self._track_names(i, lay.outside)
            self._colon_statement(i, speaker, lay, unit)
            if lay.spans:
                self._collect_spans(i, speaker, lay)
            elif speaker:
                self.last_speaker, self.last_attr = speaker, i
        return self._finish()

    # ------------------------------------------------------------------ the press-release form
    def _unit(self, i: int) -> tuple[int, int | None]:
        paragraphs = self.paragraphs
        unit = paragraphs[i] if paragraphs is not None else i
        prev_unit = (paragraphs[i - 1] if paragraphs is not None else i - 1) if i else None
        return unit, prev_unit

    def _statement_goes_on(self, i: int, sent: str, unit: int, prev_unit: int | None) -> bool:
        """The paragraphs after "X said:" are X's words; True when this sentence was taken as such."""
        assert self.statement is not None
        speaker, at, by_par = self.statement
        if unit == at:
            return False  # the rest of the intro paragraph itself: read as any sentence
        outside = self.layout[i].outside
        text_here = _unit_text(self.sentences, self.paragraphs if by_par else None, i)
        if unit != prev_unit and (not _statement_unit_ok(text_here, self.statement_units == 0)
                                  or self._person_speaker(outside) or _org_speaker(outside)):
            self.statement = None
            return False
        if unit != prev_unit:
            self.statement_units += 1
            self.quotes.append(Quote(speaker=speaker, text=sent, sentence_index=i))
            self.run_of.append(None)
        else:  # further sentences of the same paragraph join its quotation
            self.quotes[-1] = self.quotes[-1].model_copy(update={"text": f"{self.quotes[-1].text} {sent}"})
        self.last_speaker, self.last_attr = speaker, i
        return True

    def _colon_statement(self, i: int, speaker: str | None, lay: _Layout, unit: int) -> None:
        """"Minister X said:" -- the statement follows, in paragraphs without quotation marks."""
        colon = _SAID_COLON.search(lay.outside) if speaker and not lay.spans else None
        if not (colon and speaker):
            return
        rest = lay.outside[colon.end():].strip()
        # paragraph by paragraph when "said:" ends its paragraph, else sentence by sentence
        paragraphs = self.paragraphs
        by_par = paragraphs is not None and not rest and (i + 1 >= len(self.sentences) or paragraphs[i + 1] != unit)
        self.statement, self.statement_units = (speaker, unit if by_par else i, by_par), 0
        if len(rest.split()) >= 2 and _statement_unit_ok(rest, True):
            self.quotes.append(Quote(speaker=speaker, text=rest, sentence_index=i))
            self.run_of.append(None)
            self.statement_units = 1

    # ------------------------------------------------------------------ who speaks
    def _speaker(self, i: int, lay: _Layout) -> str | None:
        outside = lay.outside
        attributes = bool(_ATTRIBUTION_HINT.search(outside))  # most sentences name no speaker: skip the work
        speaker = (self._person_speaker(outside) or _described_speaker(outside, self.people)) if attributes else None
        if not speaker and attributes:
            speaker = self._org_speaker(outside, i)
            if speaker:
                self.orgs.add(speaker)
                self.last_org_speaker = speaker
        if not speaker and attributes and (pron_said := _PRONOUN_SAID.search(outside)):
            speaker = self._pronoun_speaker(pron_said.group(0).split()[0].lower())
        if not speaker and lay.intro_colon:  # "McDowell has an answer for that, too: “…”"
            head = outside.split(":", 1)[0]
            for m in re.finditer(rf"\b({_NAME})\b", head):
                cand = self.people.resolve(m.group(1)) or self._full_form(_clean_name(m.group(1)))
                if cand:
                    return cand
        return speaker

    def _pronoun_speaker(self, pron: str) -> str | None:
        """"she said" after "SpaceX President Gwynne Shotwell put out a statement": the person named since the
        last attribution, else the last speaker that was a person."""
        last_speaker = self.last_speaker
        if self.last_known and (self.last_known_at > self.last_attr or not last_speaker or last_speaker in self.orgs):
            speaker: str | None = self.last_known
        elif last_speaker and last_speaker not in self.orgs and self.pronoun_of.get(last_speaker, pron) == pron:
            speaker = last_speaker
        else:  # "he" or "she" is a person, never the company quoted before -- nor the "she" quoted as "he"
            speaker = self.people.add(self.last_person) if self.last_person else None
            if speaker and speaker == last_speaker and self.pronoun_of.get(speaker, pron) != pron:
                speaker = None
        if speaker and pron in ("he", "she"):
            self.pronoun_of.setdefault(speaker, pron)
        return speaker

    def _track_names(self, i: int, outside: str) -> None:
        for m in re.finditer(rf"\b({_NAME})\b", outside):
            name = self.people.resolve(m.group(1))
            if name:
                self.last_known, self.last_known_at = name, i
            else:  # "SpaceX President and COO Gwynne Shotwell put out a statement": a candidate only
                full = _FULL_NAME.search(m.group(1))
                name = _clean_name(full.group(1)) if full and not _is_entity(full.group(1)) else None
            if name:
                self.last_person = name

    def _full_form(self, name: str | None) -> str | None:
        """A lone surname ("McDowell tweeted") becomes the full name the article gives elsewhere; a lone
        word the article never gives as part of a full name is not taken for a person."""
        if name and len(name.split()) == 1:
            if self.known_full is None:
                self.known_full = {}
                for sent in self.sentences:
                    # overlapping pairs: "Secretary of State Mike Pompeo" gives "State Mike" and "Mike Pompeo"
                    for m in _FULL_NAME_OVERLAP.finditer(_QUOTE_SPANS.sub(" ", sent)):
                        full = _clean_name(m.group(1))
                        if full and len(full.split()) >= 2:
                            self.known_full.setdefault(full.split()[-1], full)
            return self.people.add(self.known_full[name]) if name in self.known_full else None
        return name

    def _person_speaker(self, outside: str) -> str | None:
        people = self.people
        for m in re.finditer(rf"\b{_SPEECH}\b", outside):  # "said U.S. Space Force Col. Mark Shoemaker"
            ranked = _RANKED_NAME.search(outside, m.end(), m.end() + 60)
            if ranked and not re.search(r"[;“”]", outside[m.end():ranked.start()]):
                found = people.resolve(_after_titles(ranked.group(2)))
                if found:
                    return found
        for rx in (_SAID_NAME, _NAME_OF_ORG_SAID, _NAME_SAID, _NAME_WHO_SAID, _SAID_ROLE_NAME, _SAID_DESCRIBED_NAME,
                   _ACCORDING):
            for m in rx.finditer(outside):
                if _ORG_BEFORE.search(outside[:m.start()]) or _is_entity(m.group(1)):
                    continue  # "of the Center for ... Studies tweeted": an organisation, not a person
                cand = people.resolve(m.group(1)) or (people.add(m.group(1)) if len(m.group(1).split()) >= 2
                                                       else self._full_form(_clean_name(m.group(1))))
                if cand:
                    return cand
        return None

    def _org_speaker(self, outside: str, i: int) -> str | None:
        org = _org_speaker(outside)
        if org:
            return org
        m = _GENERIC_ORG.search(outside)
        if not m:
            return None
        noun = (m.group(1) or m.group(2)).lower()
        want = {"company"} if noun in _COMPANY_NOUNS else {"agency", "military", "regulator", "country"}
        # organisations named so far, found only now that a sentence needs them (rare: keeps the loop cheap)
        recent = [o for lay in self.layout[max(0, i - 12):i] for o in _recent_orgs(lay.outside)]
        last = self.last_org_speaker
        if last and (noun not in _COMPANY_NOUNS or last not in dict(recent) or dict(recent)[last] in want):
            return last
        before = _recent_orgs(outside[:m.start()])
        for surface, kind in reversed(recent + before):
            if kind in want:
                return surface
        return None

    # ------------------------------------------------------------------ the quotations
    def _collect_spans(self, i: int, speaker: str | None, lay: _Layout) -> None:
        # an unattributed quote continues the words of the speaker named just before -- but not when this
        # sentence names its own speaker in a way we could not resolve (better no speaker than a wrong one)
        outside = lay.outside
        attributed_here = bool(re.search(rf"\b{_SPEECH}\b", outside))
        continues = (_continues(self.layout, i) or i - self.last_attr <= 2) and not attributed_here
        who = speaker or (self.last_speaker if continues else None)
        pos = 0
        for span in lay.spans:
            text = span.strip().rstrip(",").strip()
            at = outside.find("“…", pos)
            before = outside[:at] if at >= 0 else outside
            pos = at + 2 if at >= 0 else pos
            n_words = len(text.split())
            if n_words < 1 or (n_words < 6 and (speaker is None or _is_term(text, before))):
                continue  # scare quotes and titles ("the ‘Drive to 48’ campaign") are not quotes
            text = text.rstrip(".").strip() if text.endswith(".") and not text.endswith("..") else text
            self.quotes.append(Quote(speaker=who, text=text, sentence_index=i))
            self.run_of.append(lay.run)
        if who:
            self.last_speaker, self.last_attr = who, i

    def _finish(self) -> tuple[list[Person], list[Quote]]:
        quotes = self.quotes
        # a quotation whose speaker is named after its first sentences ("“A. B,” said X."): X said all of it
        by_run: dict[int, str] = {}
        for q, r in zip(quotes, self.run_of):
            if r is not None and q.speaker and r not in by_run:
                by_run[r] = q.speaker
        quotes = [q.model_copy(update={"speaker": by_run[r]}) if q.speaker is None and r in by_run else q
                  for q, r in zip(quotes, self.run_of)]
        org_of: dict[str, str | None] = {}
        for q in quotes:
            if q.speaker and q.speaker not in org_of:
                org_of[q.speaker] = q.speaker if q.speaker in self.orgs else _speaker_org(q.speaker, self.sentences)
        quotes = [q.model_copy(update={"speaker_org": org_of.get(q.speaker)}) if q.speaker else q for q in quotes]
        persons = [Person(name=n, title=(self.people.full.get(n) or None)) for n in self.people.order]
        return persons, quotes


def _unit_text(sentences: list[str], paragraphs: list[int] | None, i: int) -> str:
    if paragraphs is None:
        return sentences[i]
    return " ".join(s for s, p in zip(sentences, paragraphs) if p == paragraphs[i])


def _continues(layout: list[_Layout], i: int) -> bool:
    """A quote with no attribution of its own continues the previous quoted speaker's words."""
    return i > 0 and bool(layout[i - 1].spans)
