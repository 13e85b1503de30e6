"""Sentence splitting with sentencex (Wikimedia's rule-based segmenter, abbreviation-aware, no data files).

Paragraph breaks always end a sentence. A small repair step re-joins the few splits sentencex makes after
abbreviations that are common in launch news ("10 a.m. EDT", "Dr. Smith", military ranks).
"""

from __future__ import annotations

import re

import sentencex

# Abbreviated ranks and offices written before a name ("Brig. Gen. Kristin Panzenhagen", "Sen. X"): one list
# for the sentence splitter, the partner rules (affiliations) and the quote rules (speakers' titles).
RANK_ABBREVIATIONS = ("Gen", "Brig", "Col", "Lt", "Maj", "Capt", "Cmdr", "Adm", "Sgt", "Sen", "Rep")

# sentencex occasionally splits after a title that can never end a sentence ("Dr. Who"), or between a time and
# its zone ("10 a.m. EDT."); those two splits are undone.
_TITLE_END = re.compile(r"\b(?:" + "|".join(("Dr", "Mr", "Mrs", "Ms", "Prof", *RANK_ABBREVIATIONS, "Gov", "St", "Mt",
                                              "No")) + r")\.$")
_TIME_END = re.compile(r"\b[ap]\.m\.$")
_ZONE_START = re.compile(r"^(?:[A-Z]{1,2}[SD]T|UTC|GMT|Z)\b")


def split_paragraph(paragraph: str) -> list[str]:
    out: list[str] = []
    for piece in sentencex.segment("en", paragraph):
        piece = piece.strip()
        if not piece:
            continue
        if out and (_TITLE_END.search(out[-1]) or (_TIME_END.search(out[-1]) and _ZONE_START.match(piece))):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def split_sentences(text: str) -> list[str]:
    """Split an article's text into sentences; paragraph breaks always end a sentence."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n+", text):
        paragraph = " ".join(paragraph.split())
        if paragraph:
            sentences.extend(split_paragraph(paragraph))
    return sentences
