"""The verifier as a classifier: does it flag the generated sentences its evidence doesn't support?

Labelled pairs (sentence, evidence sentence) are built from the dev + train questions: for each
answerable one, the retrieved sentence of one of its sources that holds the most key facts is
the evidence, and

- supported: the sentence itself; its clause that holds the fact; small figures written as
  words ("three members"); the next sentence of its passage (a fact of a neighbour);
- unsupported: a figure swapped for another; a country swapped for one the passage doesn't name;
  an invented event appended ("…, after Sweden did so in 2027"); another question's evidence
  sentence from another source (a claim this evidence never makes).

"Unsupported" is the positive class: precision is the share of flagged sentences that were indeed
unsupported (a false flag drops a right sentence), recall the share of unsupported ones flagged.
The one fitted number, the similarity threshold, is chosen by grouped 5-fold cross-validation
(pairs of a question stay in one fold; on the training folds, the threshold with the best
recall among those keeping precision ≥ 0.95) and the figures are the held-out ones."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import numpy as np

from assistant.answering.features import clean, countries_in
from assistant.verify import Verifier, facts
from evals.dataset import Question
from evals.metrics import key_fact_matches

FOLDS = 5
THRESHOLDS = tuple(round(x, 2) for x in np.arange(0.0, 0.81, 0.05))
PRECISION_FLOOR = 0.95
_COUNTRIES = ("Lithuania", "Latvia", "Estonia", "Poland", "Finland", "Ukraine", "Sweden", "Norway", "Germany", "Canada")
_SMALL = {n: w for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split()) if n >= 2}
_NUMBER = re.compile(r"(?<![\d.,])\d+(?![\d.,]\d)")


@dataclass
class Pair:
    group: str
    kind: str
    text: str
    evidence: object  # ScoredSentence
    unsupported: bool
    facts_ok: bool = False
    similarity: float = 0.0


def build_pairs(assistant, questions: list[Question], seed: int = 0) -> list[Pair]:
    rng = random.Random(seed)
    found: list[tuple[Question, object]] = []
    for q in questions:
        if not q.sources or not q.key_facts:
            continue
        candidates, _ = assistant.retriever.retrieve(q.question, k=30)
        best = None
        for c in candidates:
            if c.chunk.source.id not in q.sources:
                continue
            for s in c.sentences:
                hits = sum(key_fact_matches(s.text, q.key_facts))
                if hits and (best is None or (hits, s.score) > best[0]):
                    best = ((hits, s.score), s)
        if best is not None:
            found.append((q, best[1]))
    pairs: list[Pair] = []
    for i, (q, ev) in enumerate(found):
        text = clean(ev.text)
        group = q.group
        pairs.append(Pair(group, "verbatim", text, ev, False))
        clause = next((c for c in re.split(r"[,;:] ", text) if len(c.split()) >= 5 and key_fact_matches(c, q.key_facts) != [False] * len(q.key_facts)), None)
        if clause and clause != text:
            pairs.append(Pair(group, "clause", clause.rstrip(".") + ".", ev, False))
        small = [m for m in _NUMBER.finditer(text) if int(m.group(0)) in _SMALL and not _in_date(text, m)]
        if small:
            m = small[0]
            pairs.append(Pair(group, "number as word", text[: m.start()] + _SMALL[int(m.group(0))] + text[m.end():], ev, False))
        after = next((s for s in ev.candidate.sentences if s.index == ev.index + 1 and len(clean(s.text).split()) >= 5), None)
        if after is not None:
            pairs.append(Pair(group, "neighbour's fact", clean(after.text), ev, False))
        numbers = list(_NUMBER.finditer(text))
        if numbers:
            m = rng.choice(numbers)
            value = int(m.group(0))
            swapped = value + rng.choice([1, 2, 3, 7, 10]) if value < 1900 else value + rng.choice([-2, -1, 1, 2])
            pairs.append(Pair(group, "swapped figure", text[: m.start()] + str(swapped) + text[m.end():], ev, True))
        window = " ".join(s.text for s in ev.candidate.sentences if abs(s.index - ev.index) <= 1)
        named = [c for c in _COUNTRIES if c.casefold() in text.casefold()]
        others = [c for c in _COUNTRIES if c not in countries_in(window) and c.casefold() not in window.casefold()]
        if named and others:
            pairs.append(Pair(group, "wrong country", re.sub(named[0], rng.choice(others), text), ev, True))
        if others:
            pairs.append(Pair(group, "invented event", f"{text.rstrip('.')}, after {rng.choice(others)} did so in {rng.choice([2019, 2021, 2026, 2027])}.", ev, True))
        other_q, other_ev = found[(i + 1 + rng.randrange(len(found) - 1)) % len(found)] if len(found) > 1 else (None, None)
        if other_ev is not None and other_ev.source_id != ev.source_id:
            pairs.append(Pair(group, "another source's claim", clean(other_ev.text), ev, True))
    verifier = Verifier(assistant.settings, assistant.retriever.embedder)
    vectors = assistant.retriever.embedder.encode([p.text for p in pairs])
    for p, v in zip(pairs, vectors):
        held, similarity = verifier.check(p.evidence, facts(p.text), v)
        p.facts_ok, p.similarity = held is not None, similarity
    return pairs


def _in_date(text: str, m: re.Match) -> bool:
    return bool(re.match(r"\s+[A-Z][a-z]+\s+\d{4}", text[m.end():]))


def scores(pairs: list[Pair], threshold: float) -> dict[str, float]:
    flagged = [not (p.facts_ok and p.similarity >= threshold) for p in pairs]
    tp = sum(f and p.unsupported for f, p in zip(flagged, pairs))
    fp = sum(f and not p.unsupported for f, p in zip(flagged, pairs))
    positives = sum(p.unsupported for p in pairs)
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / positives if positives else 1.0,
        "pairs": len(pairs),
        "unsupported": positives,
    }


def choose(pairs: list[Pair]) -> float:
    """The threshold with the best recall among those that keep precision ≥ the floor (ties:
    the lower threshold, dropping fewer right sentences); the best precision if none does."""
    rows = [(t, scores(pairs, t)) for t in THRESHOLDS]
    ok = [(s["recall"], -t, t) for t, s in rows if s["precision"] >= PRECISION_FLOOR]
    if ok:
        return max(ok)[2]
    return max((s["precision"], -t, t) for t, s in rows)[2]


def cross_validate(pairs: list[Pair], folds: int = FOLDS, seed: int = 0) -> tuple[dict, list[float]]:
    groups = sorted({p.group for p in pairs})
    random.Random(seed).shuffle(groups)
    fold_of = {g: i % folds for i, g in enumerate(groups)}
    flagged_pairs: list[tuple[Pair, float]] = []
    chosen = []
    for k in range(folds):
        train = [p for p in pairs if fold_of[p.group] != k]
        test = [p for p in pairs if fold_of[p.group] == k]
        threshold = choose(train)
        chosen.append(threshold)
        flagged_pairs += [(p, threshold) for p in test]
    tp = sum(not (p.facts_ok and p.similarity >= t) and p.unsupported for p, t in flagged_pairs)
    fp = sum(not (p.facts_ok and p.similarity >= t) and not p.unsupported for p, t in flagged_pairs)
    positives = sum(p.unsupported for p, _ in flagged_pairs)
    held_out = {"precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / positives if positives else 1.0, "pairs": len(pairs), "unsupported": positives}
    return held_out, chosen


def by_kind(pairs: list[Pair], threshold: float) -> dict[str, tuple[int, int]]:
    """Per kind of pair: (judged right, total) at the threshold."""
    out: dict[str, list[int]] = {}
    for p in pairs:
        right = (not (p.facts_ok and p.similarity >= threshold)) == p.unsupported
        row = out.setdefault(p.kind, [0, 0])
        row[0] += right
        row[1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def report(pairs: list[Pair], configured: float) -> str:
    held_out, chosen = cross_validate(pairs)
    fitted = choose(pairs)
    lines = [
        f"verifier on {held_out['pairs']} labelled pairs ({held_out['unsupported']} unsupported) from {len({p.group for p in pairs})} questions",
        f"held-out (grouped {FOLDS}-fold CV, thresholds {', '.join(f'{t:.2f}' for t in chosen)}): "
        f"precision on unsupported {held_out['precision']:.3f}, recall {held_out['recall']:.3f}",
    ]
    at = scores(pairs, configured)
    lines.append(f"at the configured DESK_VERIFY_MIN_SIMILARITY {configured:.2f} (all pairs): precision {at['precision']:.3f}, recall {at['recall']:.3f}")
    lines.append(f"threshold fitted on all pairs: {fitted:.2f}")
    for kind, (right, total) in by_kind(pairs, configured).items():
        lines.append(f"  {kind:<24} {right:>4}/{total:<4} judged right")
    return "\n".join(lines)
