"""Turn a follow-up ("and when did that take effect?") into a standalone query before retrieval.

Without an LLM, the conversation's *focus* is read from the earlier turns, the assistant's own
answers included: the person, country, body and document last named, and the topic of the last
question. A follow-up then gets what it leans on:

- "he/she/his/her" without a person of its own → the person last in focus (often named only in
  the previous *answer*: "Who heads the ICBL?" → "Tamar Gabelnick …" → "What did she say?");
- "it/its/that/there/they", a leading "and/so/then", or next to no topic words → the subject
  (country, body, document) and topic of the previous question;
- "and what about X?", "the same for X" → the previous question with X put in place of the
  entity of the same kind (a country for a country), or added when there is none.

A question that names its own subject and leans on nothing stands alone and inherits nothing.
With an LLM backend the generator's condensation is used when `accepts()` passes it: a rewrite
that drops the question's own names is rejected and this module's rewrite is used instead."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.answer import Turn
from assistant.query import ASKS_COUNTRY, COUNTRY_NAMES, countries_in
from ingest.keyword_index import fold, tokenize
from ingest.timeline import states_named

# Folded forms. Personal pronouns point at a person; the others at a thing, place or body.
_PERSONAL = re.compile(r"\b(he|she|his|her|him|hers|himself|herself|jis|ji|jo|jos|vins|vina|tema|ona|jego|jej|han|hanen)\b")
_IMPERSONAL = re.compile(
    r"\b(that|this|it|its|they|them|their|those|these|there|then|the same|such|the (?:document|report|statement|text|"
    r"justification|proposal|decision|bill|law|letter|article|story|mission|team|vote|body|country|state|parliament|"
    r"minister|committee|treaty|convention)|tai|tas|ta|to|see|seda|selle|tego|tym|ten|tama|sen|se|niiden)\b"
)
_CONTINUATION = re.compile(r"^\s*(and|but|also|so|then|what about|how about|ir|un|ja|i|a|oraz|aga|entä|ja mitä)\b", re.I)
_SWAP = re.compile(
    r"^\s*(?:and|but|so|ir|un|ja|a|i|aga|entä)?\s*(?:what about|how about|the same for|same for|and for|and in|"
    r"o kaip|kā ir ar|un kā ar|a co z|a jak jest z|entä|mitä entä|entäs)\s+(?P<x>.+?)\s*[?.!]*\s*$",
    re.I,
)
# Words that are capitalised but name no person: institutions, documents, titles, places.
_NOT_PERSON = frozenset(
    "according after again also although and anti april article august baltic ban before but campaign chief committee "
    "conference convention council court december defence defense deputy director during estonian european february "
    "finnish for foreign from general government he her his however if in international january july june landmines "
    "latvian lithuanian march may meeting member mine ministry minister national nations news november october on "
    "ottawa parliament parties party polish president press prime review secretary security september she state states "
    "statement the their they this treaty ukrainian under united when while".split()
)
# Legislatures and organisations, folded: "it/its/there" after a question about one of them.
_BODIES = re.compile(
    r"\b(saeima|seimas|sejm|senate|senat|riigikogu|eduskunta|verkhovna rada|rada|parliament|government|ministry|"
    r"icbl|icrc|ifrc|nato|united nations|un|european union|eu|committee|campaign)\b"
)
# Document codes: "HE 56/2025", "SG/SM/22686", "Dz. U. 2025 poz. 1514", "Article 20".
_DOCUMENT = re.compile(r"\b(?:[A-Z]{1,4}(?:[ ./]+[A-Z]{1,4})*[ ./]*\d+(?:/\d+)+|Dz\. ?U\. \d{4}(?: poz\. \d+)?|Article \d+)\b")
_PERSON = re.compile(r"\b([A-ZĀ-Ž][a-zā-ž]+(?:-[A-ZĀ-Ž][a-zā-ž]+)?(?:\s+[A-ZĀ-Ž][a-zā-ž]+(?:-[A-ZĀ-Ž][a-zā-ž]+)?){1,4})\b")
_TOPIC_STOP = frozenset(
    "what when which where does did how many much the and that with from about this have has was were for who whom why "
    "said says say make made most least also then them they their there these those would could should will shall "
    "been being into over under after before between other another same such some only just like under".split()
)
_MAX_TOPIC = 4
_MAX_CONTEXT_TURNS = 6  # three exchanges: older turns rarely hold what a follow-up leans on
_FEW_TERMS = 5
# "the country" points at the country in focus even when the question names something else ("the UN").
_THE_COUNTRY = re.compile(r"\b(the|that|this) (country|state|nation)\b(?! part)")


@dataclass
class Focus:
    """What the conversation is about so far, the most recent first within each kind."""

    people: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    topic: list[str] = field(default_factory=list)  # of the last user questions, the latest first
    question: str = ""  # the last user question, resolved


def people_in(text: str) -> list[str]:
    """Surnames of the people a text names ("Foreign Minister Margus Tsahkna" → ["Tsahkna"]),
    in order of first mention."""
    found: list[str] = []
    for match in _PERSON.finditer(text):
        words = [w for w in match.group(1).split() if fold(w) not in _NOT_PERSON and not _is_country(w)]
        if len(words) >= 2 and words[-1] not in found:
            found.append(words[-1])
    return found


def bodies_in(text: str) -> list[str]:
    return list(dict.fromkeys(m.group(1) for m in _BODIES.finditer(fold(text))))


def documents_in(text: str) -> list[str]:
    return list(dict.fromkeys(m.group(0) for m in _DOCUMENT.finditer(text)))


def focus_of(history: list[Turn]) -> Focus:
    """Read the focus from the turns, oldest first, so later mentions win. An answer adds only
    what its question asked for and lacked: the person a "who" question found, the country a
    "which country" question found; a wrong answer cannot then steer the next question away."""
    focus = Focus()
    asked: dict[str, list[str]] = {}
    for i, turn in enumerate(history):
        if turn.role == "user":
            text = condense(turn.content, history[:i]) if i else turn.content
            own = topic_words(turn.content)
            focus.topic = list(dict.fromkeys(own[:_MAX_TOPIC] + focus.topic))[: 2 * _MAX_TOPIC] if text != turn.content else own
            focus.question = text
            # A surname carried alone ("(Gabelnick)") is still the person this question is about.
            asked = {"people": people_in(text) + [p for p in focus.people[:1] if p in text], "countries": countries_in(text),
                     "bodies": bodies_in(text), "documents": documents_in(text)}
            found = asked
        else:
            # An answer's first sentences carry its subject; later ones drift to context.
            text = " ".join(re.split(r"(?<=[.!?])\s+", re.sub(r"\[\d+\]", "", turn.content))[:2])
            wants_country = bool(ASKS_COUNTRY.search(fold(focus.question)))
            found = {"people": people_in(text) if not asked.get("people") else [],
                     "countries": countries_in(text) if wants_country and not asked.get("countries") else []}
        for kind, names in found.items():
            if names:
                setattr(focus, kind, names + [x for x in getattr(focus, kind) if x not in names])
    return focus


@dataclass
class Resolved:
    """A question made standalone: what it carried from the conversation, kept apart so that
    the subject can steer the answer while the topic words only widen the search."""

    question: str
    subject: list[str] = field(default_factory=list)  # people, countries, bodies, documents
    topic: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # the sources the last answer cited

    @property
    def query(self) -> str:
        carried = self.subject + self.topic
        return f"{self.question} ({' '.join(carried)})" if carried else self.question


def condense(question: str, history: list[Turn]) -> str:
    """The query to search for. Unchanged when there is no history or the question stands alone."""
    return resolve(question, history).query


def resolve(question: str, history: list[Turn]) -> Resolved:
    history = history[-_MAX_CONTEXT_TURNS:]
    if not any(t.role == "user" for t in history):
        return Resolved(question)
    focus = focus_of(history)
    swapped = _swap(question, focus)
    if swapped is not None:
        return swapped
    folded = fold(question)
    # "The Baltic states" names its countries as surely as "Latvia" does: the country in focus
    # would pull the search back to the previous question's country.
    own_people, own_countries = people_in(question), countries_in(question) or states_named(question)
    own_subject = own_people + own_countries + bodies_in(question) + documents_in(question)
    personal = bool(_PERSONAL.search(folded)) and not own_people
    own_terms = len(tokenize(question))
    leans = bool(_CONTINUATION.search(question) or _IMPERSONAL.search(folded)) or own_terms <= 2
    # A question naming a subject the conversation was not about starts afresh.
    same_subject = any(name in focus.people + focus.countries + focus.bodies + focus.documents for name in own_subject)
    points_at_country = bool(_THE_COUNTRY.search(folded)) and not own_countries and bool(focus.countries)
    if not personal and not points_at_country and (not leans or own_subject and not same_subject):
        return Resolved(question)
    subject: list[str] = []
    if personal:
        subject += focus.people[:1]
    subject += [focus.countries[0]] if focus.countries and not own_countries else []
    subject += [focus.bodies[0]] if focus.bodies and not bodies_in(question) else []
    subject += [focus.documents[0]] if focus.documents and not documents_in(question) else []
    # Earlier topic words help a question with few of its own ("and who abstained?"); a
    # question with many would be pulled back to the last answer by them.
    topic = focus.topic if own_terms <= _FEW_TERMS else []
    subject = [w for w in dict.fromkeys(subject) if fold(w) not in folded]
    topic = [w for w in dict.fromkeys(topic) if fold(w) not in folded and w not in subject]
    last_answer = next((t for t in reversed(history) if t.role == "assistant"), None)
    return Resolved(question, subject, topic, list(last_answer.sources) if last_answer else [])


def accepts(question: str, condensed: str | None) -> bool:
    """Whether an LLM's standalone rewrite keeps what the question itself names (its people,
    countries, bodies and document codes): one that drops them has changed the question."""
    if not condensed or not condensed.strip():
        return False
    rewritten = fold(condensed)
    own = people_in(question) + countries_in(question) + bodies_in(question) + documents_in(question)
    return all(fold(name) in rewritten or _country_named(name, rewritten) for name in own)


def topic_words(text: str) -> list[str]:
    """The lower-case content words of a question: what it is about, without its names."""
    words = re.findall(r"[^\W\d_][\w-]{3,}", re.sub(r"\([^)]*\)", "", text))
    out = [w for w in words if fold(w) not in _TOPIC_STOP and not _is_country(w) and not w[0].isupper()]
    return list(dict.fromkeys(out))


def _swap(question: str, focus: Focus) -> Resolved | None:
    """ "And what about Latvia?" → the previous question with Latvia for the country it named."""
    match = _SWAP.match(question)
    if not match or not focus.question:
        return None
    x = match.group("x").strip()
    if len(x.split()) > 4:  # a whole new question after "and", not a swap
        return None
    base = re.sub(r"\s*\([^)]*\)\s*$", "", focus.question)  # without what it had carried
    new_countries = countries_in(x)
    if new_countries and focus.countries:
        old = focus.countries[0]
        forms = sorted(COUNTRY_NAMES[old], key=len, reverse=True)
        pattern = re.compile(r"\b(" + "|".join(re.escape(f) for f in forms) + r")\w*", re.I)
        if pattern.search(fold(base)):
            return Resolved(_replace_folded(base, pattern, new_countries[0]))
    new_people = people_in(x)
    if new_people and focus.people and focus.people[0] in base:
        return Resolved(base.replace(focus.people[0], new_people[0]))
    return Resolved(base, [x])


def _replace_folded(text: str, pattern: re.Pattern, replacement: str) -> str:
    """Replace matches found in the folded text at the same offsets of the original (folding
    keeps lengths for the Latin scripts of the corpus)."""
    folded = fold(text)
    if len(folded) != len(text):
        return pattern.sub(replacement, folded)
    out, last = [], 0
    for m in pattern.finditer(folded):
        out += [text[last : m.start()], replacement]
        last = m.end()
    return "".join(out) + text[last:]


def _is_country(word: str) -> bool:
    w = fold(word)
    return any(w.startswith(n) for names in COUNTRY_NAMES.values() for n in names)


def _country_named(name: str, folded_text: str) -> bool:
    forms = COUNTRY_NAMES.get(name, ())
    return any(f in folded_text for f in forms)
