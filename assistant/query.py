"""What a question asks for, read without an LLM: its language, the kind of answer it wants
(a date for "when", a number for "how many"), and the terms and names it turns on."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from assistant.lexicon import english_gloss
from ingest import language
from ingest.keyword_index import fold, tokenize

AnswerType = Literal["date", "number", "person", "reason", "yesno", "other"]

# Cues in folded form (lower case, no diacritics), for the corpus languages.
_TYPE_CUES: list[tuple[AnswerType, re.Pattern]] = [
    ("date", re.compile(
        r"\b(when|what date|which date|what day|which day|what year|which year|since when|until when|"
        r"kada|kuria (diena|data)|kuriais metais|kad\b|kura datuma|kura diena|kuros gados|millal|mis kuupaeval|"
        r"mis paeval|mis aastal|kiedy|ktorego dnia|w ktorym roku|od kiedy|milloin|mina paivana|mina vuonna|cand)\b")),
    ("number", re.compile(
        r"\b(how many|how much|what margin|by what margin|what share|what percentage|result of the vote|"
        r"vote count|(what|which) (\w+ )?(price|cost|sum|amount|budget)|(result|outcome) of the (\w+ ){0,3}vote|how did (\w+ ){1,5}vote|deadline|time limit|how long|within what period|"
        r"kiek|cik|mitu|kui palju|ile|kuinka monta|montako|paljonko|cati|cate)\b")),
    ("person", re.compile(r"\b(who|whom|which official|which minister|kas pasirase|kto|kuka|kes)\b")),
    ("reason", re.compile(r"\b(why|what justification|what reason|on what grounds|kodel|kapec|miks|dlaczego|miksi|de ce)\b")),
    ("yesno", re.compile(r"^(is|are|can|could|does|do|did|was|were|has|have|had|may|must|czy|ar|kas|onko|vai)\b")),
]

_MONTHS = (
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"sausio|vasario|kovo|balandzio|geguzes|birzelio|liepos|rugpjucio|rugsejo|spalio|lapkricio|gruodzio|"
    r"janvar\w*|februar\w*|mart\w*|april\w*|maij\w*|junij\w*|julij\w*|august\w*|septembr\w*|oktobr\w*|novembr\w*|decembr\w*|"
    r"jaanuar\w*|veebruar\w*|marts\w*|aprill\w*|mai\w*|juuni\w*|juuli\w*|oktoob\w*|detsemb\w*|"
    r"stycz\w*|lut\w*|marc\w*|kwiet\w*|maj\w*|czerw\w*|lip\w*|sierp\w*|wrze\w*|pazdz\w*|listopad\w*|grud\w*|"
    r"tammikuu\w*|helmikuu\w*|maaliskuu\w*|huhtikuu\w*|toukokuu\w*|kesakuu\w*|heinakuu\w*|elokuu\w*|syyskuu\w*|lokakuu\w*|marraskuu\w*|joulukuu\w*"
)
_DATE = re.compile(rf"\b(\d{{1,2}}\.?\s+({_MONTHS})|({_MONTHS})\s+\d{{1,2}}\b|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}\.\d{{1,2}}\.\d{{4}}|(19|20)\d{{2}})")
_SCENE = re.compile(r"^(when|while|after|before)\b[^?,]*,\s*(what|who|whom|which|how|why|did|does|was|were)\b")
# "How did she react when the Baltic states filed …", "how many voted which way when the Sejm
# first read …": asked by the first word; a later bare "when" only sets the scene.
# A "when" after "and" or a comma, before a question mark or a verb ("…, and when did it…")
# is asked too.
_LATER_WHEN = re.compile(
    r"^(?:(?:and|so|then|but|for|by|to|from|in|on|at) )?(how|what|who|whom|whose|why|which)\b(?!\s+(?:date|day|year|month)\b)"
    r"(?:(?!\bwhen\b)[^?])*(?<!and )(?<!, )\bwhen\b(?!\s*\?)(?!\s+(?:did|was|were|is|does|do|had|has|will)\b)")
# "Which (other) country …": the answer names a country the question does not.
ASKS_COUNTRY = re.compile(r"\b(which|what)( other)? (country|countries|state|states|nation|nations)\b")
_COMPARE_CUE = re.compile(r"\b(agree|disagree|differ|different sources|various sources|each source|consistent|contradict|compare)")
_YEAR_CUE = re.compile(r"\b(what|which|in which|in what) year\b|kuriais metais|kura gada|mis aastal|w ktorym roku|mina vuonna")
# Not "how much time passed between …": that span is computed from two dates.
_AMOUNT_CUE = re.compile(r"\b(how much(?! time)|how long|what period|within what period|time limit|deadline)\b")
_COUNT_FOCUS = re.compile(
    r"\b(how many|how much|kiek|cik|mitu|ile|kuinka monta|montako|what|which)\s+((?:[^\W\d_]+\s+){0,2}?(?:price|cost|sum|amount|budget|fee)s?\b|(?<!what\s)(?<!which\s)(?:[^\W\d_]+\s*){1,4})"
)
# The noun of a "what date / which year" cue names the kind of answer, not its topic: as a term
# it would favour any sentence with "date" in it ("… on the date it deposits its instrument").
_TYPE_NOUN = re.compile(
    r"\b(?:what|which|on what|in what|in which) (date|day|year)\b|\bkuria (diena|data)\b|\bkura (datuma|diena)\b|"
    r"\bkuros gados\b|\bmis (kuupaeval|paeval|aastal)\b|\bktorego dnia\b|\bw ktorym roku\b|\bmina (paivana|vuonna)\b")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-ZĀ-Ž][\w’'-]+")

COUNTRY_NAMES = {
    "Lithuania": ("lithuania", "lietuva", "lietuvos", "litwa", "litwy", "liettua", "leedu", "lietuv"),
    "Latvia": ("latvia", "latvija", "latvijas", "lotwa", "lotwy", "latvia", "lati"),
    "Estonia": ("estonia", "eesti", "estija", "igaunija", "estonii", "viro"),
    "Poland": ("poland", "polish", "polska", "polski", "lenkija", "polija", "puola", "poola"),
    "Finland": ("finland", "finnish", "suomi", "suomen", "suomija", "somija", "finlandia", "soome"),
    "Ukraine": ("ukrain", "ukrajin"),
}
# One pattern per country, compiled once: a word starting with any of its names. countries_in
# runs on every candidate sentence of every answer, so a search per name was its largest cost.
_COUNTRY_PATTERNS = {c: re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + ")") for c, names in COUNTRY_NAMES.items()}


@dataclass
class QueryAnalysis:
    text: str
    language: str
    answer_type: AnswerType
    terms: list[str]
    names: list[str]
    countries: list[str] = field(default_factory=list)
    focus: list[str] = field(default_factory=list)  # what "how many" counts: ["member"] in "how many Saeima members"
    asks_year: bool = False  # "in which year": a bare year is a whole answer
    asks_amount: bool = False  # "how much warning", "how long": a figure with its unit is a whole answer
    compares: bool = False  # "do the reports agree?": the answer should set the sources side by side
    # The question's language when the corpus doesn't cover it ("ru"): it is then answered in
    # English with a note, never declined in a corpus language it wasn't asked in.
    foreign: str | None = None


def analyse(text: str) -> QueryAnalysis:
    folded = fold(text)
    answer_type: AnswerType = "other"
    # "When he presented the bill, what did he say…": the clause only sets the scene.
    scene = _SCENE.match(folded) or _LATER_WHEN.match(folded)
    for kind, pattern in _TYPE_CUES:
        if scene and kind == "date":
            continue
        if pattern.search(folded):
            answer_type = kind
            break
    countries = countries_in(text)
    focus_match = _COUNT_FOCUS.search(folded)
    focus = tokenize(focus_match.group(2))[:3] if focus_match else []
    stranger, detected = _languages(text)
    terms = tokenize(_TYPE_NOUN.sub(lambda m: m.group(0).rsplit(" ", 1)[0], folded))
    if stranger or detected != "en":
        # A question not in English is also matched, sentence by sentence, with its English
        # search words: most of the corpus is English, and its own words never occur there.
        terms += [t for t in dict.fromkeys(tokenize(english_gloss(text))) if t not in terms]
    return QueryAnalysis(
        foreign=stranger,
        asks_year=bool(_YEAR_CUE.search(folded)),
        asks_amount=bool(_AMOUNT_CUE.search(folded)),
        compares=bool(_COMPARE_CUE.search(folded)),
        focus=focus,
        text=text,
        language=detected,
        answer_type=answer_type,
        terms=terms,
        names=_NAME.findall(text),
        countries=countries,
    )


@lru_cache(maxsize=4096)
def _languages(text: str) -> tuple[str | None, str]:
    """A language the corpus lacks that the text is clearly in, and its likeliest corpus language.
    Cached: one ask analyses its question (and the question with its carried subject) several
    times, and each identification scores every language's n-grams."""
    stranger = language.foreign(text)
    return stranger, "en" if stranger else language.detect(text, among=("en", "lt", "lv", "et", "pl", "fi"))


def countries_in(text: str) -> list[str]:
    """The corpus's countries a text names, in any of its languages ("Lietuvos", "Polish")."""
    folded = fold(text)
    return [c for c, pattern in _COUNTRY_PATTERNS.items() if pattern.search(folded)]


DATE_PATTERN = _DATE  # dates in folded text, in the corpus languages


@lru_cache(maxsize=100_000)
def has_date(text: str) -> bool:
    return bool(_DATE.search(fold(text)))


_FULL_DATE = re.compile(rf"\b(\d{{1,2}}\.?\s+({_MONTHS})|({_MONTHS})\s+\d{{1,2}}\b|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}\.\d{{1,2}}\.\d{{4}})")
_COUNT = re.compile(r"\b\d+(?:[.,]\d+)?\b(?!\s*(?:-|–)?\s*\d)|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand)\b")


_UNIT = re.compile(r"(?:minute|hour|day|week|month|year|euro|eur\b|dollar|usd\b|percent|per cent|%|km|kilomet|square|metre|meter)")


def type_fit(answer_type: AnswerType, sentence: str, terms: list[str], focus: list[str] | None = None, asks_year: bool = False,
             asks_amount: bool = False) -> float:
    """How well the sentence carries the kind of fact asked for, from 0 to 1: a full date for
    "when" (a bare year counts half), a figure next to one of the question's terms for "how many"
    ("66 members") or with its unit for "how much / how long" ("72 hours' notice" for "how much
    warning"), any figure at all counts half."""
    folded = fold(sentence)
    if answer_type == "date":
        if _FULL_DATE.search(folded) or (asks_year and has_date(sentence)):
            return 1.0
        return 0.5 if has_date(sentence) else 0.0
    if answer_type == "number":
        words = folded.split()
        stems = set(focus or terms)
        best = 0.0
        for i, word in enumerate(words):
            if _COUNT.fullmatch(word.strip(".,;:()")):
                window = tokenize(" ".join(words[max(0, i - 4) : i + 5]))
                unit = asks_amount and i + 1 < len(words) and bool(_UNIT.match(words[i + 1]))
                best = max(best, 1.0 if stems & set(window) or unit else 0.5)
        return best
    return 0.0
