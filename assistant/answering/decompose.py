"""The structure of a question: the parts it asks in one breath ("who …, and what party …"),
whether it asks for a list, an order or a comparison across countries."""

from __future__ import annotations

import re

import copy

from assistant.query import COUNTRY_NAMES, QueryAnalysis, analyse
from ingest.keyword_index import fold, tokenize

_LIST_CUE = re.compile(
    r"\b(list|timeline|chronolog\w*|in (what|which) order|what order|order did|each (of the )?(\w+ )?(parliament|state(?! part)|country|countr)\w*|"
    r"all the|every (state|country)|which (of the )?(\w+ )?(states|countries|parliaments|heads of state|governments)|"
    r"which (\w+ )?(was|were) the (first|last)|(first|last) to)\b"
)
ORDER_CUE = re.compile(r"\b(order|timeline|chronolog\w*|first|last|earliest|latest|sequence|when did the others)\b")
# Words that open a question, in the corpus languages (en, lt, lv, et, pl, fi).
_ASKS = (
    r"what|when|who|whom|which|where|how|why|did|does|do|is|was|were|on which|in which|by what|between which|from what|"
    r"kada|kas|kur|kiek|kodel|kuri\w*|kad|cik|kapec|kura\w*|kurš|millal|mis|kes|kui|miks|milline|kiedy|kto|ile|jaki\w*|dlaczego|czy|"
    r"milloin|mitä|mikä|minä|kuka|kuinka|miksi|missä|montako"
)
_PART_SPLIT = re.compile(
    rf"\?\s+|;\s*|,\s*(?:(?:and|ir|un|ja|i|oraz)\s+)?(?=(?:{_ASKS})\b)|\s+(?:and|ir|un|ja|i|oraz)\s+(?=(?:{_ASKS})\b)",
    re.I,
)


# "How much time passed between A and B?": the answer is two dates, one for each event, so each
# event is a part of its own that asks "when".
_SPAN = re.compile(
    r"\bhow (?:much time|long|many (?:days|weeks|months|years))\b[^?]*?\bbetween\s+(?P<first>.+?)\s+and\s+(?P<second>[^?]+)",
    re.I,
)


def is_list(analysis: QueryAnalysis) -> bool:
    return bool(_LIST_CUE.search(fold(analysis.text))) or len(analysis.countries) >= 2


def question_parts(question: str) -> list[str]:
    """The clauses of a question that each ask for something ("who …, and what party …"), or
    the two events whose dates a "how much time passed between …" question needs."""
    span = _SPAN.search(question)
    if span:
        return [f"When {span.group('first').strip()}", f"When {span.group('second').strip(' ?')}"]
    parts = [p.strip(" ,;?") for p in _PART_SPLIT.split(question) if p and p.strip(" ,;?")]
    return [p for p in parts if len(tokenize(p)) >= 1]


def part_analysis(analysis: QueryAnalysis, part: str) -> QueryAnalysis:
    own = analyse(part)
    # A part keeps the whole question's subject ("… and what party does he belong to?").
    own.names = list(dict.fromkeys(own.names + analysis.names))
    own.countries = list(dict.fromkeys(own.countries + analysis.countries))
    own.language = analysis.language
    if own.answer_type == "other":
        own.answer_type = analysis.answer_type
    return own


def item_analysis(analysis: QueryAnalysis, country: str) -> QueryAnalysis:
    """The question narrowed to one of the countries it lists ("the years Estonia, Ukraine and
    Finland joined" → about Estonia): the others' names no longer count as matches."""
    others = {t for c in analysis.countries if c != country for t in tokenize(" ".join((c, *COUNTRY_NAMES[c])))}
    own = copy.copy(analysis)
    own.countries = [country]
    own.terms = [t for t in analysis.terms if t not in others]
    own.names = [n for n in analysis.names if not set(tokenize(n)) & others]
    return own
