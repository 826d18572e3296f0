"""Turn a follow-up ("and when did that take effect?") into a standalone query before retrieval.

Without an LLM: a question that leans on the conversation (a pronoun, a leading "and", no name
of its own) inherits the names and topic terms of the earlier user turns. With an LLM backend,
the generator's own condensation is used instead (see `Generator.condense`)."""

from __future__ import annotations

import re

from assistant.answer import Turn
from assistant.query import COUNTRY_NAMES, analyse
from ingest.keyword_index import fold

_ANAPHORA = re.compile(
    r"\b(that|this|it|its|they|them|their|those|these|he|she|his|her|there|then|the same|such|"
    r"tai|tas|ta|to|see|seda|selle|to|tego|tym|ten|ta|tama|sen|se|niiden)\b"
)
_CONTINUATION = re.compile(r"^\s*(and|but|also|what about|how about|ir|un|ja|i|a|oraz|entä|ja mitä)\b", re.I)
_MAX_CONTEXT_TURNS = 3


def is_follow_up(question: str) -> bool:
    analysis = analyse(question)
    folded = fold(question)
    has_subject = bool(analysis.countries) or any(n for n in analysis.names if len(n) > 3)
    return bool(_CONTINUATION.search(question)) or (bool(_ANAPHORA.search(folded)) and not has_subject) or len(analysis.terms) <= 2


def condense(question: str, history: list[Turn]) -> str:
    """The query to search for. Unchanged when there is no history or the question stands alone."""
    previous = [t.content for t in history if t.role == "user"][-_MAX_CONTEXT_TURNS:]
    if not previous or not is_follow_up(question):
        return question
    carried: list[str] = []
    # The follow-up's own topic words win; earlier topic words are carried only when it has
    # next to none ("and then?"), else they would pull the search back to the last answer.
    own_terms = len(analyse(question).terms)
    for text in reversed(previous):
        analysis = analyse(text)
        topic = _topic_words(text) if own_terms <= 2 else []
        for word in analysis.countries + analysis.names + topic:
            if word.lower() not in (w.lower() for w in carried) and fold(word) not in fold(question):
                carried.append(word)
        if analysis.names or analysis.countries:
            break  # the most recent turn that names its subject sets the context
    return f"{question} ({' '.join(carried)})" if carried else question


def _topic_words(text: str) -> list[str]:
    stop = {"what", "when", "which", "where", "does", "did", "how", "many", "much", "the", "and", "that",
            "with", "from", "about", "this", "have", "has", "was", "were", "for", "who", "whom", "why"}
    countries = {n for names in COUNTRY_NAMES.values() for n in names}
    words = re.findall(r"[^\W\d_]{4,}", text)
    return [w for w in words if w.lower() not in stop and fold(w) not in countries and not w[0].isupper()]
