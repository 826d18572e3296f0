"""Verify every generated sentence against the evidence sentence it cites, before it is shown.

The prompt numbers evidence *sentences* (`assistant.generators.llm`); a generated sentence is
supported by evidence sentence [n] when

- every fact it states — each number (digits or a number word, in any corpus language, compared
  by value, so "10" never matches inside "2010"), each month, each proper name (folded, with
  possessive and inflection endings cut: "Rada's" = "Rada", "Lithuanian" = "Lithuania") — occurs
  in [n] or in its immediate neighbours in the same passage (not in the title, the heading or the
  rest of the passage: a figure somewhere in a long passage is no support), and
- its embedding is at least `verify_min_similarity` close to one of those sentences.

The model's own [n] markers are hints: a citation that fails is removed, and a sentence none of
its citations supports is re-pointed to the evidence sentence that carries all its facts (only a
sentence that states facts is re-pointed: similarity alone would attach any vague sentence to
anything), or dropped (or marked, with `DESK_VERIFY_ACTION=mark`). The quoted support is the
sentence that holds the facts. Every change is recorded for the Answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from assistant.evidence import ScoredSentence
from desk.settings import Settings
from ingest.keyword_index import fold, tokenize

_NUMBER = re.compile(r"\d+(?:[ ,.\u00a0\u202f]\d{3})*(?:[.,]\d+)?")
_WORD = re.compile(r"[^\W\d_][^\W_]*(?:['’][^\W\d_]+)?")
_NAME = re.compile(r"\b[A-ZÀ-ÖØ-ÞĀ-Ž][\w’'-]+")
# Number words of the corpus languages (en, lt, lv, et, pl, fi), folded, up to twenty and the
# tens; an inflected form ("dešimties", "kymmenen") starts with one of these stems.
_NUMBER_WORDS = {
    "en": "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty",
    "lt": "nulis vienas du trys keturi penki sesi septyni astuoni devyni desimt vienuolika dvylika trylika keturiolika penkiolika sesiolika septyniolika astuoniolika devyniolika dvidesimt",
    "lv": "nulle viens divi tris cetri pieci sesi septini astoni devini desmit vienpadsmit divpadsmit trispadsmit cetrpadsmit piecpadsmit sespadsmit septinpadsmit astonpadsmit devinpadsmit divdesmit",
    "et": "null uks kaks kolm neli viis kuus seitse kaheksa uheksa kumme uksteist kaksteist kolmteist neliteist viisteist kuusteist seitseteist kaheksateist uheksateist kakskummend",
    "pl": "zero jeden dwa trzy cztery piec szesc siedem osiem dziewiec dziesiec jedenascie dwanascie trzynascie czternascie pietnascie szesnascie siedemnascie osiemnascie dziewietnascie dwadziescia",
    "fi": "nolla yksi kaksi kolme nelja viisi kuusi seitseman kahdeksan yhdeksan kymmenen yksitoista kaksitoista kolmetoista neljatoista viisitoista kuusitoista seitsemantoista kahdeksantoista yhdeksantoista kaksikymmenta",
}
_TENS = {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100}
_WORD_VALUES: dict[str, int] = {w: v for words in _NUMBER_WORDS.values() for v, w in enumerate(words.split())} | _TENS
# English words too common to be read as numbers ("one of the states", "no one").
_NOT_NUMBERS = {"one", "zero", "du", "i", "uks", "null", "nulle", "nulis"}
# Month stems (folded), in every corpus language: a month is a fact like a number.
_MONTHS = [
    "january sausio janvar jaanuar stycz tammikuu",
    "february vasario februar veebruar lut helmikuu",
    "march kovo mart marts marc maaliskuu",
    "april balandzio april aprill kwie huhtikuu",
    "may geguz maij mai maj toukokuu",
    "june birzel junij juuni czerw kesakuu",
    "july liepos julij juuli lip heinakuu",
    "august rugpjuc august sierp elokuu",
    "september rugsej septembr wrzes syyskuu",
    "october spalio oktobr oktoober pazdz lokakuu",
    "november lapkric novembr listop marraskuu",
    "december gruodz decembr detsemb grud joulukuu",
]
_MONTH_STEMS = [(stem, n) for n, stems in enumerate(_MONTHS, start=1) for stem in stems.split()]
# Capitalised words that are not names: sentence openers and words of the treaty's own name.
_NOT_NAMES = {
    "the", "this", "that", "these", "those", "a", "an", "in", "on", "at", "by", "for", "of", "to", "and", "or", "it", "its", "he", "she",
    "they", "we", "i", "according", "under", "article", "articles", "however", "there", "sources", "source", "on", "after", "before",
    "as", "when", "while", "with", "from", "since", "also", "both", "all", "each", "convention", "treaty", "ottawa", "mine", "ban",
    "state", "states", "party", "parties", "president", "parliament", "government", "minister", "ministry", "prime", "foreign",
    "defence", "defense", "un", "united", "nations", "secretary", "general",
}
_OPENERS = _NOT_NAMES | {
    "but", "so", "then", "thus", "therefore", "yes", "no", "not", "only", "some", "most", "many", "during", "following", "if",
    "despite", "although", "because", "once", "until", "you", "his", "her", "their", "our", "what", "which", "who", "how", "why",
    "here", "now", "today", "finally", "first", "second", "later", "earlier", "meanwhile", "instead", "overall", "together",
}
# Words that turn a claim; the keyword index drops them ("no" is also Latvian for "from").
_NEGATIONS = {"no", "not", "never", "none", "nor", "neither", "without", "nie", "ne", "ei"}
_NAME_STEM = 5  # "Lithuania" / "Lithuanian" / "Lithuania's"; "Seimas" / "Seimo" share "seim"
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget)\b[^.]{0,60}\b(question|instructions?|prompt|above|previous|rules)\b"
    r"|\b(reply|answer|respond|say|state)\s+(only\s+)?(that|with)\b|^\s*(assistant|system|user)\s*:",
    re.I,
)


@dataclass(frozen=True)
class Facts:
    numbers: frozenset[float]
    months: frozenset[int]
    names: frozenset[str]  # folded stems

    def __bool__(self) -> bool:
        return bool(self.numbers or self.months or self.names)


@dataclass
class Verdict:
    text: str
    support: list[ScoredSentence]
    kept: bool
    changes: list[str] = field(default_factory=list)


def numbers(text: str) -> set[float]:
    """Values of the digit groups ("1,000" = 1000, "03" = 3, "4." = 4) and number words."""
    values: set[float] = set()
    for raw in _NUMBER.findall(text):
        token = re.sub(r"[\u00a0\u202f ]", "", raw)
        if re.fullmatch(r"\d{1,3}([,.]\d{3})+", token):
            token = re.sub(r"[,.]", "", token)
        try:
            values.add(float(token.replace(",", ".")))
        except ValueError:
            continue
    for word in _words(text):
        if word in _NOT_NUMBERS:
            continue
        value = _WORD_VALUES.get(word)
        if value is None and len(word) >= 5:
            value = next((v for w, v in _WORD_VALUES.items() if len(w) >= 5 and word.startswith(w)), None)
        if value is not None:
            values.add(float(value))
    return values


def months(text: str) -> set[int]:
    return {n for word in _words(text) for stem, n in _MONTH_STEMS if word.startswith(stem) and (len(stem) >= 4 or word == stem)}


def stem(word: str) -> str:
    word = re.sub(r"['’]s?$", "", fold(word))
    return word[:_NAME_STEM]


def facts(sentence: str) -> Facts:
    """The checkable facts of a sentence: numbers, months and proper names (capitalised words
    that don't open it)."""
    found = []
    for match in _NAME.finditer(sentence):
        # An opener is capitalised whatever it is, so it counts only when it is not one of the
        # usual opening words ("Sweden decided …" claims Sweden; "Members voted …" is checked too).
        before = sentence[: match.start()].rstrip()
        if (not before or before[-1] in ".!?:\"“(") and fold(match.group(0)) in _OPENERS:
            continue
        for part in re.split(r"[-–]", match.group(0)):
            folded = re.sub(r"['’]s?$", "", fold(part))
            if folded and folded not in _NOT_NAMES and not months(part) and not numbers(part):
                found.append(stem(part))
    return Facts(frozenset(numbers(sentence)), frozenset(months(sentence)), frozenset(found))


def missing(claimed: Facts, text: str) -> Facts:
    """The facts of `claimed` that `text` does not state."""
    present = {stem(w) for w in _words(text)}
    return Facts(
        frozenset(claimed.numbers - numbers(text)),
        frozenset(claimed.months - months(text)),
        frozenset(n for n in claimed.names if n not in present),
    )


def left_out(source: str, text: str) -> list[str]:
    """What `source` states that `text` does not say as `source` says it: each run of number and
    month words ("27 June 2025", "84 4 2", "six months") verbatim (folded), and each content word
    (by the keyword index's stem, so "Lithuania's" = "Lithuanian"; "no" and "not" included). A
    paraphrase that writes "June 27, 2025" or "6" for "six" states the same fact but not the words
    a reader looks for; one that keeps the figures but drops "one third" or "no" changes the claim."""
    tokens = _tokens(source)
    runs, run = [], []
    for token in tokens + [""]:
        if token and (any(c.isdigit() for c in token) or months(token) or numbers(token)):
            run.append(token)
        elif run:
            if len(run) > 1 or len(run[0]) > 3 or not months(run[0]):  # a lone "may" is a verb as often
                runs.append(" ".join(run))
            run = []
    written = " " + " ".join(_tokens(text)) + " "
    said = set(tokenize(text))
    words = [w for w in dict.fromkeys(tokenize(source)) if len(w) > 1 and not w.isdigit() and w not in said]
    words += [w for w in dict.fromkeys(tokens) if w in _NEGATIONS and f" {w} " not in written]
    return [r for r in dict.fromkeys(runs) if f" {r} " not in written] + words


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def _words(text: str) -> list[str]:
    return [re.sub(r"['’]s?$", "", w) for w in _WORD.findall(fold(text))]


class Verifier:
    def __init__(self, settings: Settings, embedder):
        self.settings = settings
        self.embedder = embedder

    def verify(self, text: str, cited: list[int], evidence: list[ScoredSentence]) -> Verdict:
        """`evidence` is the prompt's numbered evidence (1-based numbering in `cited`)."""
        vector = self.embedder.encode([text])[0]
        claimed = facts(text)
        changes: list[str] = []
        support: list[ScoredSentence] = []
        for n in dict.fromkeys(cited):
            if not 1 <= n <= len(evidence):
                changes.append(f"removed citation [{n}]: no such evidence")
                continue
            held = self.support(evidence[n - 1], claimed, vector)
            if held is None:
                changes.append(f"removed citation [{n}]: it does not state “{_short(text)}”")
            else:
                support += [s for s in held if all(s is not t for t in support)]
        if support:
            return Verdict(text, support, True, changes)
        if claimed:
            best = None
            for n, sentence in enumerate(evidence, start=1):
                if n in cited:
                    continue
                held = self.support(sentence, claimed, vector)
                if held is not None:
                    similarity = max(self._similarity(s, vector) for s in held)
                    if best is None or similarity > best[0]:
                        best = (similarity, n, held)
            if best is not None:
                changes.append(f"re-pointed “{_short(text)}” to evidence [{best[1]}]")
                return Verdict(text, best[2], True, changes)
        if self.settings.verify_action == "mark":
            changes.append(f"marked unsupported sentence “{_short(text)}”")
            return Verdict(f"[unverified] {text}", [], True, changes)
        changes.append(f"dropped unsupported sentence “{_short(text)}”")
        return Verdict(text, [], False, changes)

    def supported(self, text: str, evidence: ScoredSentence) -> bool:
        """Whether `evidence` (with its neighbours) supports `text`."""
        held, similarity = self.check(evidence, facts(text), self.embedder.encode([text])[0])
        return held is not None and similarity >= self.settings.verify_min_similarity

    def support(self, evidence: ScoredSentence, claimed: Facts, vector: np.ndarray) -> list[ScoredSentence] | None:
        """The sentences among `evidence` and its immediate neighbours that hold `claimed`, when
        together they hold all of it and one is close enough in meaning; else None."""
        held, similarity = self.check(evidence, claimed, vector)
        return held if held is not None and similarity >= self.settings.verify_min_similarity else None

    def check(self, evidence: ScoredSentence, claimed: Facts, vector: np.ndarray) -> tuple[list[ScoredSentence] | None, float]:
        """The two tests apart (the verifier eval sets the similarity threshold from them): the
        sentences of the window that hold the facts (None when the window lacks one), and the
        best similarity in the window."""
        window = [s for s in _neighbours(evidence) if not _INSTRUCTION.search(s.text)]
        if all(s is not evidence for s in window):
            return None, 0.0  # a sentence that instructs the reader is never evidence
        similarity = max(self._similarity(s, vector) for s in window)
        if missing(claimed, " ".join(s.text for s in window)):
            return None, similarity
        if not missing(claimed, evidence.text):
            return [evidence], similarity
        # The facts sit partly in a neighbour: quote the sentences that hold them.
        return [s for s in window if _holds_some(claimed, s.text)], similarity

    @staticmethod
    def _similarity(sentence: ScoredSentence, vector: np.ndarray) -> float:
        own = sentence.vector
        return float(own @ vector) if own is not None else 0.0


def _holds_some(claimed: Facts, text: str) -> bool:
    gone = missing(claimed, text)
    return len(gone.numbers) + len(gone.months) + len(gone.names) < len(claimed.numbers) + len(claimed.months) + len(claimed.names)


def _neighbours(evidence: ScoredSentence) -> list[ScoredSentence]:
    """The sentence and the ones just before and after it in its passage."""
    siblings = getattr(evidence.candidate, "sentences", None) or [evidence]
    by_index = {s.index: s for s in siblings}
    window = [by_index.get(evidence.index - 1), evidence, by_index.get(evidence.index + 1)]
    return [s for s in window if s is not None]


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
