"""Direct quotes with their speakers, and the people the article names with their titles.

Rule-based and offline: people are found from ranks/titles before capitalised names and from speech verbs
("said Kristin Panzenhagen", "Panzenhagen noted"); a surname or a pronoun ("she said") resolves to the most
recent full name it can stand for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .models import Person, Quote

_SPEECH = (r"(?:said|says|added|adds|noted|notes|concluded|explained|explains|told|stated|states|"
           r"remarked|continued|argued|warned|emphasi[sz]ed|stressed|insisted|recalled|wrote|asked|"
           r"acknowledged|observed|announced|revealed|declared|tweeted|posted|replied|responded|"
           r"cautioned|predicted|admitted|conceded|confirmed)")
_NAME_TOKEN = r"(?:[A-Z][a-zà-ÿ]+(?:[-'’][A-Z]?[a-zà-ÿ]+)?|Mc[A-Z][a-z]+|[A-Z]\.)"
_NAME = rf"{_NAME_TOKEN}(?:\s+{_NAME_TOKEN}){{0,3}}"
_RANK = (r"(?:Brig\.|Gen\.|Lt\.|Col\.|Maj\.|Capt\.|Cmdr\.|Adm\.|Sgt\.|Sen\.|Rep\.|Gov\.|Dr\.|Prof\.|"
         r"General|Brigadier General|Lieutenant General|Major General|Colonel|Captain|Admiral|Senator|"
         r"Governor|Minister|Prime Minister|President|Administrator|Secretary|Director|Commissioner|"
         r"Chancellor|Ambassador|Commander|Chief)")
_RANKED_NAME = re.compile(rf"((?:{_RANK}\s+)+)({_NAME_TOKEN}(?:\s+{_NAME_TOKEN}){{1,3}})")
# "Brian Holz, CEO of OneWeb Satellites, told" / "Panzenhagen, who serves ..., said"
_NAME_SAID = re.compile(rf"\b({_NAME})\s*(?:,\s*[^,“”\"]{{1,120}},)?\s+{_SPEECH}\b")
_SAID_NAME = re.compile(rf"\b{_SPEECH}\s+({_NAME})")
# "Todd Harrison of the Center for Strategic and International Studies tweeted"
_NAME_OF_ORG_SAID = re.compile(rf"\b({_NAME_TOKEN}\s+{_NAME_TOKEN})\s+(?:of|at|from|with)\s+[^,;“”\"]{{1,90}}?\s+"
                               rf"{_SPEECH}\b")
_PRONOUN_SAID = re.compile(rf"\b(he|she|they)\s+{_SPEECH}\b", re.I)
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
              "November", "December", "Twitter", "LinkedIn"}
# First Last (optionally a middle initial): candidate full names, found before attribution resolves surnames
_FULL_NAME = re.compile(r"\b([A-Z][a-zà-ÿ]+(?:[-'’][A-Z]?[a-zà-ÿ]+)?(?:\s+[A-Z]\.)?\s+"
                        r"(?:Mc|Mac|O’|O')?[A-Z][a-zà-ÿ]+(?:[-'’][A-Z][a-zà-ÿ]+)?)\b")

# Opening/closing quote pairs. Straight double quotes pair up left to right.
_QUOTE_SPANS = re.compile(r"“([^”]{2,600})”|\"([^\"]{2,600})\"|(?<![\w’'])‘([^’]{2,600}?)’(?![\w])")


@dataclass
class _PeopleIndex:
    full: dict[str, str] = field(default_factory=dict)  # full name -> title
    order: list[str] = field(default_factory=list)

    def add(self, name: str, title: str | None = None) -> str | None:
        name = _clean_name(name)
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

    def resolve(self, name: str) -> str | None:
        name = _clean_name(name)
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
    from .kb import load_kb

    kb = load_kb()
    return any(hit.start == 0 or hit.end == len(name) for hit in kb.find(name))


def _clean_name(name: str) -> str | None:
    tokens = name.split()
    while tokens and tokens[0] in _NOT_NAMES:
        tokens = tokens[1:]
    if not tokens or any(t in _STOP_TAIL for t in tokens) or tokens[-1].endswith("."):
        return None
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
        name_tokens = m.group(2).split()
        # a rank directly before "Kristin Panzenhagen is exploring" -> stop the name at the first lowercase word
        people.add(" ".join(name_tokens[:3]), title)
    # appositive roles: "Panzenhagen, who serves ... including commander of X and director of Y,"
    for m in re.finditer(rf"({_NAME})\s*,\s*(?:who\s+serves\s+[^,]*?(?:including|as)\s+)?"
                         r"((?:the\s+)?(?:[A-Z][\w-]*\s+)*(?:commander|director|chief|head|administrator|"
                         r"secretary|minister|president|CEO|founder|spokesperson|manager|officer|Commander|"
                         r"Director|Chief|Head|Administrator|Secretary|Minister|President|Manager|Officer)"
                         r"[^,.;]{0,80})", sentence):
        name = people.resolve(m.group(1))
        if name:
            people.add(name, " ".join(m.group(2).split()))


def extract_people_and_quotes(sentences: list[str]) -> tuple[list[Person], list[Quote]]:
    people = _PeopleIndex()
    quotes: list[Quote] = []
    last_speaker: str | None = None
    last_person: str | None = None

    known_full: dict[str, str] | None = None  # surname -> First Last; built on first need

    def full_form(name: str | None) -> str | None:
        """A lone surname ("McDowell tweeted") becomes the full name the article gives elsewhere; a lone
        word the article never gives as part of a full name is not taken for a person."""
        nonlocal known_full
        if name and len(name.split()) == 1:
            if known_full is None:
                known_full = {}
                for sent in sentences:
                    for m in _FULL_NAME.finditer(_QUOTE_SPANS.sub(" ", sent)):
                        full = _clean_name(m.group(1))
                        if full and len(full.split()) >= 2:
                            known_full.setdefault(full.split()[-1], full)
            return people.add(known_full[name]) if name in known_full else None
        return name

    if not any(q in s for s in sentences for q in ("“", '"', "‘")):
        for sent in sentences:  # no quotation in the article: only people and their titles
            _titles(sent, people)
        return [Person(name=n, title=(people.full.get(n) or None)) for n in people.order], []

    for i, sent in enumerate(sentences):
        _titles(sent, people)
        outside = _QUOTE_SPANS.sub(lambda m: "“…”", sent)  # attribution is read outside the quoted words
        speaker: str | None = None
        for m in re.finditer(rf"\b{_SPEECH}\b", outside):  # "said U.S. Space Force Col. Mark Shoemaker"
            ranked = _RANKED_NAME.search(outside, m.end(), m.end() + 60)
            if ranked and not re.search(r"[;“”]", outside[m.end():ranked.start()]):
                speaker = people.resolve(" ".join(ranked.group(2).split()[:3]))
                if speaker:
                    break
        for rx in (() if speaker else (_SAID_NAME, _NAME_OF_ORG_SAID, _NAME_SAID, _ACCORDING)):
            for m in rx.finditer(outside):
                if _ORG_BEFORE.search(outside[:m.start()]) or _is_entity(m.group(1)):
                    continue  # "of the Center for ... Studies tweeted": an organisation, not a person
                cand = people.resolve(m.group(1)) or (people.add(m.group(1)) if len(m.group(1).split()) >= 2
                                                       else full_form(_clean_name(m.group(1))))
                if cand:
                    speaker = cand
                    break
            if speaker:
                break
        if not speaker and _PRONOUN_SAID.search(outside):
            speaker = last_speaker or (people.add(last_person) if last_person else None)
        for m in re.finditer(rf"\b({_NAME})\b", outside):
            name = people.resolve(m.group(1))
            if not name:  # "SpaceX President and COO Gwynne Shotwell put out a statement": a candidate only
                full = _FULL_NAME.search(m.group(1))
                name = _clean_name(full.group(1)) if full and not _is_entity(full.group(1)) else None
            if name:
                last_person = name

        spans = [next(g for g in m.groups() if g is not None) for m in _QUOTE_SPANS.finditer(sent)]
        if spans:
            # an unattributed quote continues the previous speaker's words -- but not when this sentence
            # names its own speaker in a way we could not resolve (better no speaker than a wrong one)
            attributed_here = bool(re.search(rf"\b{_SPEECH}\b", outside))
            who = speaker or (last_speaker if _continues_quote(sentences, i) and not attributed_here else None)
            for text in spans:
                text = text.strip().rstrip(",").strip()
                if len(text.split()) < 2 or (who is None and len(text.split()) < 6):
                    continue  # scare quotes and titles ("the ‘Drive to 48’ campaign") are not quotes
                text = text.rstrip(".").strip() if text.endswith(".") and not text.endswith("..") else text
                quotes.append(Quote(speaker=who, text=text, sentence_index=i))
            if who:
                last_speaker = who
        elif speaker:
            last_speaker = speaker

    persons = [Person(name=n, title=(people.full.get(n) or None)) for n in people.order]
    return persons, quotes


def _continues_quote(sentences: list[str], i: int) -> bool:
    """A quote with no attribution of its own continues the previous quoted speaker's words."""
    return i > 0 and bool(_QUOTE_SPANS.search(sentences[i - 1]))
