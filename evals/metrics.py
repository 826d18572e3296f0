"""Metric functions: pure, small, and tested on hand-made inputs (tests/evals/test_metrics.py).

Retrieval is scored on *sources*, not chunks: a question lists the source ids that answer it,
and a ranking is the distinct source ids in order of first appearance among the retrieved
passages. With R the listed sources and S_k the first k distinct retrieved sources:

    recall@k  = |R ∩ S_k| / |R|
    hit@k     = 1 if R ∩ S_k else 0
    MRR       = 1 / (rank of the first listed source), 0 when none is retrieved
    nDCG@k    = DCG@k / IDCG@k, binary relevance, DCG@k = Σ_{i≤k} rel_i / log2(i + 1),
                IDCG@k = Σ_{i ≤ min(|R|, k)} 1 / log2(i + 1)

Citations follow ALCE (Gao et al. 2023, "Enabling Large Language Models to Generate Text with
Citations", and its reference code): a sentence is *recalled* when the concatenation of the
passages it cites supports it (a sentence citing nothing is not); a citation is *precise* unless
the sentence is recalled through several citations and this one is "irrelevant" — it does not
support the sentence alone and the remaining citations still support it without it. Citation
recall of an answer = recalled sentences / sentences; precision = precise citations / citations.
Both are averaged over answers, as ALCE does."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence

import numpy as np

# -- retrieval ---------------------------------------------------------------------------------


def ranked_sources(source_ids: Iterable[str]) -> list[str]:
    """Distinct source ids in order of first appearance."""
    return list(dict.fromkeys(source_ids))


def recall_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    relevant = set(relevant)
    if not relevant:
        raise ValueError("recall is undefined without relevant sources")
    return len(relevant & set(ranked[:k])) / len(relevant)


def hit_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    return 1.0 if set(relevant) & set(ranked[:k]) else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant: Iterable[str]) -> float:
    relevant = set(relevant)
    for i, source in enumerate(ranked, 1):
        if source in relevant:
            return 1.0 / i
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    relevant = set(relevant)
    if not relevant:
        raise ValueError("nDCG is undefined without relevant sources")
    dcg = sum(1.0 / math.log2(i + 1) for i, source in enumerate(ranked[:k], 1) if source in relevant)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


RETRIEVAL_KS = (1, 5, 10)


def retrieval_scores(ranked: Sequence[str], relevant: Iterable[str]) -> dict[str, float]:
    relevant = list(relevant)
    scores: dict[str, float] = {}
    for k in RETRIEVAL_KS:
        scores[f"recall@{k}"] = recall_at_k(ranked, relevant, k)
    for k in RETRIEVAL_KS:
        scores[f"hit@{k}"] = hit_at_k(ranked, relevant, k)
    scores["mrr"] = reciprocal_rank(ranked, relevant)
    scores["ndcg@10"] = ndcg_at_k(ranked, relevant, 10)
    return scores


# -- answers -----------------------------------------------------------------------------------

_MARKS = re.compile(r"\s*\[\d+\]")


def key_fact_matches(answer: str, key_facts: Sequence[Sequence[str]]) -> list[bool]:
    """One flag per group: does any alternative occur in the answer, ignoring case?"""
    text = answer.casefold()
    return [any(alt.casefold() in text for alt in group) for group in key_facts]


def key_fact_accuracy(matches: Sequence[bool]) -> float:
    """1 when every group matched (vacuously 1 for no groups)."""
    return 1.0 if all(matches) else 0.0


def key_fact_recall(matches: Sequence[bool]) -> float:
    return sum(matches) / len(matches) if matches else 1.0


def strip_citation_marks(answer: str) -> str:
    """The answer as prose: without the [n] markers."""
    return _MARKS.sub("", answer).strip()


# -- citations (ALCE) --------------------------------------------------------------------------

Supports = Callable[[str, Sequence[str]], bool]


def citation_scores(sentences: Sequence[tuple[str, Sequence[str]]], supports: Supports) -> dict:
    """ALCE citation recall and precision of one answer.

    `sentences`: (sentence text, the passages its citations point at, in citation order).
    `supports(sentence, passages)`: does the concatenation of `passages` support the sentence?
    Returns recall, precision, and per-sentence detail (recalled, precise citations)."""
    recalled = 0
    precise_total = 0
    citations_total = 0
    detail = []
    for text, passages in sentences:
        passages = list(passages)
        if not passages:
            detail.append({"supported": False, "precise": []})
            continue
        citations_total += len(passages)
        joint = bool(supports(text, passages))
        recalled += joint
        precise: list[bool]
        if joint and len(passages) > 1:
            precise = []
            for i, passage in enumerate(passages):
                if supports(text, [passage]):
                    precise.append(True)
                    continue
                rest = passages[:i] + passages[i + 1 :]
                # irrelevant: not enough alone, and the others suffice without it
                precise.append(not supports(text, rest))
        else:
            precise = [joint] * len(passages)
        precise_total += sum(precise)
        detail.append({"supported": joint, "precise": precise})
    return {
        "recall": recalled / len(sentences) if sentences else 0.0,
        "precision": precise_total / citations_total if citations_total else 0.0,
        "sentences": len(sentences),
        "citations": citations_total,
        "detail": detail,
    }


# -- latency -----------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear interpolation between closest ranks (numpy's default)."""
    if not len(values):
        raise ValueError("percentile of no values")
    return float(np.percentile(np.asarray(values, dtype=float), q))


# -- aggregation -------------------------------------------------------------------------------

LATENCY_STAGES = (
    "ask_ms", "embed_ms", "dense_ms", "keyword_ms", "fuse_ms", "rerank_ms", "condense_ms", "generate_ms",
    "first_token_ms", "first_sentence_ms",  # from the question's start: what a streaming reader waits
)


def _mean(values: list[float]) -> float | None:
    return float(sum(values) / len(values)) if values else None


def aggregate(records: Sequence[dict], by_type: bool = True) -> dict[str, float]:
    """Flat metrics over per-question records (as `evals.runner.score` writes them).

    Retrieval and answer metrics cover answerable questions only; citation metrics cover every
    answer that was not a refusal; abstention.accuracy covers unanswerable questions and
    abstention.false_rate answerable ones. A metric with no question to cover is left out."""
    out: dict[str, float] = {}
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]
    answered = [r for r in records if not r["abstained"]]
    out["n.questions"] = len(records)
    out["n.answerable"] = len(answerable)
    out["n.unanswerable"] = len(unanswerable)
    out["n.answered"] = len(answered)

    def put(key: str, value: float | None) -> None:
        if value is not None:
            out[key] = round(value, 4)

    for name in [f"recall@{k}" for k in RETRIEVAL_KS] + [f"hit@{k}" for k in RETRIEVAL_KS] + ["mrr", "ndcg@10"]:
        put(f"retrieval.{name}", _mean([r["scores"]["retrieval"][name] for r in answerable]))
    for name in ("key_fact_accuracy", "key_fact_recall", "chars", "sentences"):
        put(f"answer.{name}" if name.startswith("key") else f"answer.{name}.mean", _mean([r["scores"]["answer"][name] for r in answerable]))
    for k in (5, 8):
        put(f"context.ceiling@{k}", _mean([r["scores"]["context"][f"ceiling@{k}"] for r in answerable if "context" in r["scores"]]))
    put("citation.recall", _mean([r["scores"]["citation"]["recall"] for r in answered]))
    put("citation.precision", _mean([r["scores"]["citation"]["precision"] for r in answered]))
    if answered:
        out["citation.n_sentences"] = sum(r["scores"]["citation"]["sentences"] for r in answered)
        out["citation.n_citations"] = sum(r["scores"]["citation"]["citations"] for r in answered)
    put("abstention.accuracy", _mean([1.0 if r["abstained"] else 0.0 for r in unanswerable]))
    put("abstention.false_rate", _mean([1.0 if r["abstained"] else 0.0 for r in answerable]))
    for stage in LATENCY_STAGES:
        key = "total_ms" if stage == "ask_ms" else stage
        values = [r["timings_ms"][key] for r in records if key in r.get("timings_ms", {})]
        if values:
            put(f"latency.{stage}.p50", percentile(values, 50))
            put(f"latency.{stage}.p95", percentile(values, 95))
    if by_type:
        for kind in sorted({r["type"] for r in records}):
            subset = [r for r in records if r["type"] == kind]
            for key, value in aggregate(subset, by_type=False).items():
                out[f"by_type.{kind}.{key}"] = value
        for turn in sorted({r["turn"] for r in records if r.get("turn")}):
            subset = [r for r in records if r.get("turn") == turn]
            for key, value in aggregate(subset, by_type=False).items():
                out[f"by_turn.{turn}.{key}"] = value
        single = [r for r in records if r["answerable"] and r["type"] in SINGLE_FACT_TYPES]
        if single:
            put("answer.sentences.median_single_fact", float(np.median([r["scores"]["answer"]["sentences"] for r in single])))
    return out


# Question types that ask for one fact: their answers should be short (median <= 4 sentences).
SINGLE_FACT_TYPES = ("factual", "numeric", "date", "multilingual", "cross_lingual", "casual", "false_premise")
