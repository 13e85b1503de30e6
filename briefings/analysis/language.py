"""The article's language, offline, and launch cues in the languages the analysis reads besides English.

:func:`detect_language` counts common function words of a dozen European languages (and looks at the script
for Cyrillic, Greek, Arabic, Hebrew, Chinese, Japanese, Korean, Thai and Devanagari text); the page's own
``lang`` metadata decides only when the words do not. No model, no data files, no network.

For French, German, Spanish, Portuguese and Italian, :data:`CUES` holds compiled regexes of basic launch,
spaceport, agreement, partner, talks, funding, space and policy words; :func:`widen` ORs one of them into an
English cue regex, so the partner and relevance code reads those words with a one-line hook. Articles in any
other language get a plain note (:func:`language_notes`) instead of a silent, empty partner list.
"""

from __future__ import annotations

import re
from collections import Counter

ENGLISH_ONLY_NOTE = "Analysis is English-only here; the partner list may be incomplete."

# Languages whose launch cues the analysis reads (English is the engine's own language).
READ = ("en", "fr", "de", "es", "pt", "it")

LANGUAGE_NAMES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish", "pt": "Portuguese",
                  "it": "Italian", "nl": "Dutch", "sv": "Swedish", "no": "Norwegian", "da": "Danish",
                  "pl": "Polish", "fi": "Finnish", "ru": "Russian", "uk": "Ukrainian", "el": "Greek",
                  "ar": "Arabic", "he": "Hebrew", "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "th": "Thai",
                  "hi": "Hindi", "tr": "Turkish", "id": "Indonesian"}

# Frequent function words; each list is short and chosen to separate close neighbours (es/pt/it, no/da/sv).
_STOPWORDS: dict[str, set[str]] = {
    "en": set("the and of to in is that for on with as was by it are from this be has have will its an at which "
              "were their not been would".split()),
    "fr": set("le la les des du et est une dans pour que qui sur par avec au aux ce cette sont ont été il elle "
              "pas plus ou leur lors selon".split()),
    "de": set("der die das und ist nicht mit von den dem des ein eine einer zu auf für im sich auch wird werden "
              "wurde hat dass bei nach aus oder".split()),
    "es": set("el los las del y en que es por para con una se su sus al como más fue ha este esta lo entre sobre "
              "según también".split()),
    "pt": set("os as do da dos das em no na nos nas que é um uma para com por ao foi mais seu sua pelo pela não "
              "também são ser".split()),
    "it": set("il lo gli della dei delle di è che un una per con su nel nella al alla sono ha da non anche più "
              "questo degli dal".split()),
    "nl": set("de het een en van is dat niet op te voor met zijn wordt ook aan bij door naar om".split()),
    "sv": set("och att det som en är av för med till den på har inte om ett var kan från".split()),
    "no": set("og at det som en er av for med til den på har ikke om et var kan fra".split()),
    "da": set("og at det som en er af for med til den på har ikke om et var kan fra".split()),
    "pl": set("w z na się nie do że jest od jak po przez oraz dla być".split()),
    "fi": set("ja on että ei se oli ovat mutta tai kun myös".split()),
    "tr": set("ve bir bu için ile da de olarak olan daha çok".split()),
    "id": set("dan yang di ini itu dengan untuk dari pada tidak akan dalam".split()),
}
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_SCRIPTS = (("ja", re.compile(r"[\u3040-\u30ff]")), ("ko", re.compile(r"[\uac00-\ud7af]")),
            ("zh", re.compile(r"[\u4e00-\u9fff]")), ("uk", re.compile(r"[іїєґІЇЄҐ]")),
            ("ru", re.compile(r"[\u0400-\u04ff]")), ("el", re.compile(r"[\u0370-\u03ff]")),
            ("ar", re.compile(r"[\u0600-\u06ff]")), ("he", re.compile(r"[\u0590-\u05ff]")),
            ("th", re.compile(r"[\u0e00-\u0e7f]")), ("hi", re.compile(r"[\u0900-\u097f]")))
_LATIN = re.compile(r"[A-Za-zÀ-ÿ]")


def _normalise(code: str | None) -> str | None:
    if not code:
        return None
    m = re.match(r"^\s*([A-Za-z]{2,3})(?:[-_].*)?$", code)
    if not m:
        return None
    code = m.group(1).lower()
    return {"nb": "no", "nn": "no", "iw": "he"}.get(code, code)


_INDEX: dict[str, tuple[str, ...]] = {}
for _code, _words in _STOPWORDS.items():
    for _w in _words:
        _INDEX[_w] = (*_INDEX.get(_w, ()), _code)
_NON_LATIN = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u0590-\u06ff\u0900-\u097f\u0e00-\u0e7f\u3040-\u30ff"
                        r"\u4e00-\u9fff\uac00-\ud7af]")


def detect_language(text: str, hint: str | None = None) -> str | None:
    """ISO 639-1 code of the text's language, or ``hint`` (the page's metadata) when the words do not tell;
    None when neither does."""
    sample = text[:8000]
    if not sample.isascii() and len(_NON_LATIN.findall(sample)) > 20:
        letters = len(_LATIN.findall(sample))
        for code, rx in _SCRIPTS:  # a non-Latin script that dominates the text decides
            if len(rx.findall(sample)) > max(20, letters // 2):
                return code
    counts: Counter[str] = Counter()
    words = _WORD.findall(sample.lower())[:1500]
    for w in words:
        for code in _INDEX.get(w, ()):
            counts[code] += 1
    ranked = counts.most_common(2)
    hint = _normalise(hint)
    if not ranked:
        return hint
    best, n = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0
    if n >= 4 and n >= 1.3 * second and n >= 0.08 * len(words):
        return best
    return hint or (best if n >= 2 and n > second else None)


def language_notes(code: str | None) -> list[str]:
    """The plain notes a brief carries for its language: none for the languages the analysis reads (or an
    unknown language, read as English), one for every other."""
    if code is None or code in READ:
        return []
    return [ENGLISH_ONLY_NOTE]


# --- launch cues in French, German, Spanish, Portuguese and Italian -------------------------------------------

_CUE_WORDS: dict[str, dict[str, str]] = {
    "launch": {
        "fr": r"lancements?|lanceurs?|fusées?|décollages?|mise en orbite|tirs? de fusée",
        "de": r"Raketenstarts?|Starts?\s+(?:der|einer|des)\s+\w*[Rr]akete|Trägerraketen?|Raketen?|gestartet|"
              r"Startplatz|Startrampe|Raketenstartplatz",
        "es": r"lanzamientos?|lanzadou?r(?:es)?|cohetes?|despegues?|puesta en órbita",
        "pt": r"lançamentos?|lançadou?r(?:es)?|foguetes?|veículos? lançador(?:es)?|decolagem|colocação em órbita",
        "it": r"lanci|lancio|lanciatori?|razzi|razzo|decollo|messa in orbita",
    },
    "spaceport": {
        "fr": r"spatioports?|ports? spatia(?:l|ux)|bases? de lancement|pas de tir|centres? spatia(?:l|ux)",
        "de": r"Weltraumbahnh(?:o|ö)fe?|Raumfahrtbahnh(?:o|ö)fe?|Raumh(?:a|ä)fen|Startpl(?:a|ä)tze?|Startrampen?|"
              r"Startanlagen?|Kosmodrom",
        "es": r"puertos? espacia(?:l|les)|bases? de lanzamiento|centros? de lanzamiento|plataformas? de lanzamiento|"
              r"cosmódromos?",
        "pt": r"portos? espacia(?:l|is)|bases? de lançamento|centros? de lançamento|plataformas? de lançamento|"
              r"cosmódromos?",
        "it": r"spazioport[oi]|port[oi] spazial[ei]|basi? di lancio|piattaform[ae] di lancio|cosmodrom[oi]",
    },
    "agreement": {
        "fr": r"accords?|protocole d['’]accord|partenariats?|coopération|signée?s?|conventions?",
        "de": r"Abkommens?|Vereinbarung(?:en)?|Partnerschaft(?:en)?|Zusammenarbeit|Kooperation(?:en)?|"
              r"unterzeichnet|Absichtserklärung",
        "es": r"acuerdos?|convenios?|asociación|alianza|cooperación|firmad[oa]s?|firmaron|firmó|memorando",
        "pt": r"acordos?|convênios?|parcerias?|cooperação|assinad[oa]s?|assinaram|assinou|memorando",
        "it": r"accord[oi]|partenariat[oi]|cooperazione|collaborazione|firmat[oa]|memorandum d['’]intesa|intesa",
    },
    "partner": {
        "fr": r"partenaires?|alliés?",
        "de": r"Partnern?|Partnerländer|Verbündeten?",
        "es": r"soci[oa]s?|aliad[oa]s?",
        "pt": r"parceir[oa]s?|aliad[oa]s?",
        "it": r"partner|alleat[oi]",
    },
    "talks": {
        "fr": r"négociations?|discussions?|pourparlers",
        "de": r"Verhandlungen|Gespräche[n]?",
        "es": r"negociaciones|conversaciones|diálogo",
        "pt": r"negociações|conversas|diálogo",
        "it": r"negoziati|colloqui|trattative",
    },
    "fund": {
        "fr": r"financements?|financé|contrats?|investissements?",
        "de": r"Finanzierung|finanziert|Vertr(?:a|ä)ge?|Auftr(?:a|ä)ge?|Investition(?:en)?",
        "es": r"financiación|financiado|contratos?|inversión|inversiones",
        "pt": r"financiamento|financiado|contratos?|investimentos?",
        "it": r"finanziament[oi]|finanziato|contratt[oi]|investiment[oi]",
    },
    "space": {
        "fr": r"spatia(?:l|le|les|ux)|satellites?|orbite|astronautes?",
        "de": r"Raumfahrt|Weltraum|Satelliten?|Umlaufbahn|Orbit|Raumfahrtagentur",
        "es": r"espacia(?:l|les)|satélites?|órbita|astronautas?",
        "pt": r"espacia(?:l|is)|satélites?|órbita|astronautas?",
        "it": r"spazial[ei]|satelliti|satellite|orbita|astronaut[ai]",
    },
    "policy": {
        "fr": r"gouvernement|ministre|ministère|politique|loi|stratégie|souveraineté|défense",
        "de": r"Regierung|Minister(?:in|ium)?|Politik|Gesetz|Strategie|Souveränität|Verteidigung",
        "es": r"gobierno|ministr[oa]|ministerio|política|ley|estrategia|soberanía|defensa",
        "pt": r"governo|ministr[oa]|ministério|política|lei|estratégia|soberania|defesa",
        "it": r"governo|ministr[oa]|ministero|politica|legge|strategia|sovranità|difesa",
    },
}
def _split_top(pattern: str) -> list[str]:
    """The top-level alternatives of a regex source."""
    parts, depth, cur, i = [], 0, [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            cur.append(pattern[i:i + 2])
            i += 2
            continue
        depth += c == "("
        depth -= c == ")"
        if c == "|" and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    return [*parts, "".join(cur)]


def _either_case_first(pattern: str) -> str:
    """"lançamentos?" -> "[lL]ançamentos?": a word in lower case or capitalised, matched case-sensitively. Python's
    re is several times slower with IGNORECASE on patterns with non-ASCII letters, and these cues are ORed into
    regexes that run over every English article."""
    out = []
    for alt in _split_top(pattern):
        first = alt[:1]
        out.append(f"[{first.lower()}{first.upper()}]{alt[1:]}" if first.isalpha() and first.lower() != first.upper()
                   else alt)
    return "|".join(out)


CUE_PATTERNS: dict[str, str] = {
    kind: "|".join(_either_case_first(p) if lang != "de" else p for lang, p in per_lang.items())
    for kind, per_lang in _CUE_WORDS.items()}
# per language: German keeps its capitalised nouns; the other languages match regardless of case
CUES: dict[str, dict[str, re.Pattern]] = {
    lang: {kind: re.compile(rf"(?<!\w)(?:{per_lang[lang]})(?!\w)", 0 if lang == "de" else re.I)
           for kind, per_lang in _CUE_WORDS.items()}
    for lang in ("fr", "de", "es", "pt", "it")}
# all five at once: lower case or capitalised (German as written)
MULTILINGUAL: dict[str, re.Pattern] = {kind: re.compile(rf"\b(?:{CUE_PATTERNS[kind]})\b") for kind in _CUE_WORDS}


def widen(rx: re.Pattern, *kinds: str) -> re.Pattern:
    """An English cue regex that also matches the French, German, Spanish, Portuguese and Italian cue words of
    ``kinds`` (launch, spaceport, agreement, partner, talks, fund, space, policy), lower case or capitalised."""
    alts = "|".join(CUE_PATTERNS[k] for k in kinds)
    extra = f"(?-i:{alts})" if rx.flags & re.I else alts
    inner = _word_group(rx.pattern)
    if inner is not None:  # r"\b(?:a|b)\b" -> r"\b(?:a|b|extra)\b": one group stays fast
        return re.compile(rf"\b(?:{inner}|{extra})\b", rx.flags)
    return re.compile(rf"(?:{rx.pattern})|\b(?:{extra})\b", rx.flags)


_ACCENTED = re.compile(r"[À-ÖØ-öø-ÿ]")


class WidenedByText:
    """A widened regex used only on texts with accented Latin letters (every French, German, Spanish,
    Portuguese or Italian article has some); a text without any gets the plain English regex, at its speed.
    For whole texts -- a single sentence may carry no accent."""

    def __init__(self, rx: re.Pattern, *kinds: str) -> None:
        self.narrow, self.wide = rx, widen(rx, *kinds)
        self.pattern, self.flags = self.wide.pattern, self.wide.flags

    def _pick(self, text: str) -> re.Pattern:
        return self.wide if _ACCENTED.search(text) else self.narrow

    def search(self, text: str, *args):  # noqa: ANN201 -- same as re.Pattern
        return self._pick(text).search(text, *args)

    def findall(self, text: str, *args):  # noqa: ANN201
        return self._pick(text).findall(text, *args)

    def finditer(self, text: str, *args):  # noqa: ANN201
        return self._pick(text).finditer(text, *args)


def _word_group(pattern: str) -> str | None:
    """The alternatives inside r"\b(?:...)\b" when that group spans the whole pattern, else None."""
    if not (pattern.startswith(r"\b(?:") and pattern.endswith(r")\b")):
        return None
    depth, i = 0, 2
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return pattern[5:i] if i == len(pattern) - 3 else None
        i += 1
    return None
