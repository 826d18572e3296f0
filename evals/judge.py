"""Support judges: does a set of cited passages support an answer sentence?

ALCE uses an NLI model (TRUE, a T5-11B) for this. None ships offline here, so the default judge
is a transparent heuristic; an LLM judge replaces it when an OpenAI-compatible endpoint is
configured. Both answer `supports(sentence, passages) -> bool`, which `evals.metrics
.citation_scores` calls with one passage, all of them, or all but one.

HeuristicJudge — a sentence is supported by passages P (joined) when BOTH hold:
 1. facts: every number (digits, or an English number word up to twenty / the tens), and every
    proper name (a capitalised or all-caps word that does not start the sentence, months
    included) of the sentence occurs in P. Numbers compare by value ("03" = "3", "1,000" =
    "1000", "four" = "4"); names compare accent- and case-folded by their first six letters at a
    word start, so "Lithuanian" matches "Lithuania" and "Šakalienė" matches "Sakaliene".
 2. meaning: the cosine similarity between the sentence's embedding and P's (the project's
    embedder, all-MiniLM-L6-v2) is at least `threshold` (default 0.6); with several passages
    the best of the joined text and each single passage counts.
It checks what an NLI model checks most often in practice here — invented figures, dates and
names, and topic drift — but not negation, direction ("A beat B" vs "B beat A") or reasoning
across sentences; that limitation is stated in every report."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from desk.settings import Settings

DEFAULT_THRESHOLD = 0.6

_NUMBER = re.compile(r"\d+(?:[ ,.\u00a0\u202f]\d{3})*(?:[.,]\d+)?")
_WORD = re.compile(r"[^\W\d_][^\W_]*(?:['’-][^\W\d_]+)*", re.UNICODE)
_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}
# Capitalised words that are not names when they appear mid-sentence (after a colon, in titles).
_NOT_NAMES = {"i", "the", "a", "an", "and", "or", "of", "in", "on", "for", "to", "it", "this", "that", "they", "he", "she", "we"}
_NAME_PREFIX = 6


class Judge(Protocol):
    name: str
    description: str

    def supports(self, sentence: str, passages: Sequence[str]) -> bool: ...


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("ł", "l")


def numbers(text: str) -> set[float]:
    """Numeric values in the text: digit groups and English number words."""
    values: set[float] = set()
    for raw in _NUMBER.findall(text):
        token = raw.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        # thousands separators (",", ".", " ") sit before three digits; a final ",dd" or ".d" is a decimal
        if re.fullmatch(r"\d{1,3}([,.]\d{3})+", token):
            token = re.sub(r"[,.]", "", token)
        token = token.replace(",", ".")
        try:
            values.add(float(token))
        except ValueError:
            continue
    for word in _WORD.findall(text.casefold()):
        if word in _NUMBER_WORDS:
            values.add(float(_NUMBER_WORDS[word]))
    return values


def names(sentence: str) -> list[str]:
    """Proper names: capitalised or all-caps words that don't start the sentence."""
    found = []
    for i, match in enumerate(_WORD.finditer(sentence)):
        word = match.group(0)
        if i == 0 or not word[0].isupper() or word.casefold() in _NOT_NAMES:
            continue
        found.append(word)
    return found


def missing_facts(sentence: str, passages: Sequence[str]) -> list[str]:
    """The sentence's numbers and names that the passages don't contain (empty = facts check passes)."""
    joined = "\n".join(passages)
    missing: list[str] = []
    have = numbers(joined)
    for value in sorted(numbers(sentence)):
        if value not in have:
            missing.append(f"{value:g}")
    words = {fold(w) for w in _WORD.findall(joined)}
    for name in names(sentence):
        folded = fold(name)
        if len(folded) <= 3:  # short names and acronyms ("UN", "EU") must match a whole word
            found = folded in words
        else:
            stem = folded[:_NAME_PREFIX]
            found = any(w.startswith(stem) for w in words)
        if not found:
            missing.append(name)
    return missing


class HeuristicJudge:
    name = "heuristic"

    def __init__(self, embedder, threshold: float = DEFAULT_THRESHOLD):
        self.embedder = embedder
        self.threshold = threshold
        self._cache: dict[str, np.ndarray] = {}
        self.description = (
            f"heuristic support judge (no NLI model is available offline): a sentence is supported by its cited "
            f"passage(s) when every number and every proper name in it occurs in them (numbers by value, names "
            f"accent/case-folded by 6-letter prefix) AND the cosine similarity of its embedding to theirs "
            f"({getattr(embedder, 'name', type(embedder).__name__)}) is at least {threshold:g}. It does not "
            f"detect negation, swapped roles or reasoning errors."
        )

    def vectors(self, texts: Sequence[str]) -> list[np.ndarray]:
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            for text, vector in zip(todo, self.embedder.encode(todo)):
                self._cache[text] = np.asarray(vector, dtype=np.float32)
        return [self._cache[t] for t in texts]

    def similarity(self, sentence: str, passages: Sequence[str]) -> float:
        candidates = list(passages) + (["\n".join(passages)] if len(passages) > 1 else [])
        vectors = self.vectors([sentence, *candidates])
        return max(float(vectors[0] @ v) for v in vectors[1:])

    def supports(self, sentence: str, passages: Sequence[str]) -> bool:
        if not passages:
            return False
        if missing_facts(sentence, passages):
            return False
        return self.similarity(sentence, passages) >= self.threshold


JUDGE_PROMPT = """You verify citations. Read the passages, then the claim.
Answer "yes" if everything the claim states is stated in, or directly follows from, the passages
taken together. Answer "no" if any part of the claim (a number, date, name, who did what, a
negation) is missing from the passages or contradicts them. Background knowledge does not count.

Passages:
{passages}

Claim: {claim}

Is the claim fully supported by the passages? Answer with one word: yes or no."""


class LLMJudge:
    """An OpenAI-compatible chat endpoint as the judge (`POST {base_url}/chat/completions`)."""

    name = "llm"

    def __init__(self, base_url: str, model: str, api_key: str = "not-needed", timeout_s: float = 120.0, client=None):
        import httpx

        self.base_url = base_url.rstrip("/")
        self.model = model
        self.client = client or httpx.Client(timeout=timeout_s, headers={"Authorization": f"Bearer {api_key}"})
        self._cache: dict[tuple[str, tuple[str, ...]], bool] = {}
        self.description = (
            f"LLM support judge: model {model!r} at {self.base_url}, temperature 0, asked whether the cited passages "
            f"fully support the sentence (yes/no; prompt in evals/judge.py)"
        )

    def prompt(self, sentence: str, passages: Sequence[str]) -> str:
        listed = "\n".join(f"[{i}] {p}" for i, p in enumerate(passages, 1))
        return JUDGE_PROMPT.format(passages=listed, claim=sentence)

    def supports(self, sentence: str, passages: Sequence[str]) -> bool:
        if not passages:
            return False
        key = (sentence, tuple(passages))
        if key not in self._cache:
            response = self.client.post(
                f"{self.base_url}/chat/completions",
                json={
                    "model": self.model,
                    "temperature": 0,
                    "max_tokens": 3,
                    "messages": [{"role": "user", "content": self.prompt(sentence, passages)}],
                },
            )
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"] or ""
            self._cache[key] = parse_verdict(content)
        return self._cache[key]


def parse_verdict(content: str) -> bool:
    words = re.findall(r"[a-z]+", content.casefold())
    return bool(words) and words[0] in ("yes", "true", "supported")


def llm_endpoint(settings: Settings) -> str | None:
    """The OpenAI-compatible endpoint the settings configure for generation, if any."""
    if settings.generator == "openai":
        return settings.llm_base_url
    if settings.generator == "ollama":
        return settings.ollama_url.rstrip("/") + "/v1"
    return None


def make_judge(settings: Settings, kind: str = "auto", threshold: float = DEFAULT_THRESHOLD) -> Judge:
    """`auto` is the heuristic: the generator's own model never judges its answers unless asked
    for with `llm` (a 0.5B judge rejected 89% of verbatim quotes here). `llm`: the configured
    OpenAI-compatible endpoint."""
    endpoint = llm_endpoint(settings)
    if kind == "llm":
        return LLMJudge(
            endpoint or settings.llm_base_url, settings.llm_model, settings.llm_api_key.get_secret_value(), settings.llm_timeout_s
        )
    from ingest.embedders import get_embedder

    return HeuristicJudge(get_embedder(settings), threshold)

