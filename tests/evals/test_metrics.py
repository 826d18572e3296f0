"""The metric formulas on small hand-made inputs whose right answers are worked out by hand:
each would fail if a formula were wrong (an off-by-one rank, a wrong log base, recall
normalised by k instead of |relevant|, ALCE precision without the leave-one-out rule)."""

from __future__ import annotations

import math

import pytest

from evals.metrics import (
    aggregate,
    citation_scores,
    hit_at_k,
    key_fact_accuracy,
    key_fact_matches,
    key_fact_recall,
    ndcg_at_k,
    percentile,
    ranked_sources,
    recall_at_k,
    reciprocal_rank,
    retrieval_scores,
    strip_citation_marks,
)

RANKED = ["x", "a", "y", "b"]
RELEVANT = ["a", "b", "z"]


def test_ranked_sources_keeps_first_appearance_order():
    assert ranked_sources(["s2", "s1", "s2", "s3", "s1"]) == ["s2", "s1", "s3"]


def test_recall_is_share_of_listed_sources_in_top_k():
    assert recall_at_k(RANKED, RELEVANT, 1) == 0.0
    assert recall_at_k(RANKED, RELEVANT, 2) == pytest.approx(1 / 3)
    assert recall_at_k(RANKED, RELEVANT, 3) == pytest.approx(1 / 3)
    assert recall_at_k(RANKED, RELEVANT, 4) == pytest.approx(2 / 3)
    assert recall_at_k(RANKED, RELEVANT, 10) == pytest.approx(2 / 3)  # k past the ranking: no change


def test_recall_needs_relevant_sources():
    with pytest.raises(ValueError):
        recall_at_k(RANKED, [], 5)


def test_hit_is_any_listed_source_in_top_k():
    assert hit_at_k(RANKED, RELEVANT, 1) == 0.0
    assert hit_at_k(RANKED, RELEVANT, 2) == 1.0
    assert hit_at_k(["x", "y"], RELEVANT, 5) == 0.0


def test_reciprocal_rank_is_one_over_first_relevant_rank():
    assert reciprocal_rank(RANKED, RELEVANT) == 0.5
    assert reciprocal_rank(["b", "a"], RELEVANT) == 1.0
    assert reciprocal_rank(["x", "y", "w", "z"], RELEVANT) == 0.25
    assert reciprocal_rank(["x", "y"], RELEVANT) == 0.0


def test_ndcg_binary_relevance_log2_discount():
    # relevant at ranks 2 and 4; three relevant sources, so the ideal has ranks 1, 2, 3
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(RANKED, RELEVANT, 10) == pytest.approx(dcg / ideal)
    assert ndcg_at_k(RANKED, RELEVANT, 10) == pytest.approx(0.4982, abs=1e-4)
    assert ndcg_at_k(["a", "b", "z"], RELEVANT, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["x"], RELEVANT, 10) == 0.0
    # cut-off: a relevant source at rank 3 does not count for k=2
    assert ndcg_at_k(["x", "y", "a"], ["a"], 2) == 0.0
    # more relevant sources than k: the ideal has only k terms, so a perfect top-k scores 1
    many = [f"s{i}" for i in range(12)]
    assert ndcg_at_k(many, many, 10) == pytest.approx(1.0)


def test_retrieval_scores_keys():
    scores = retrieval_scores(RANKED, RELEVANT)
    assert set(scores) == {"recall@1", "recall@5", "recall@10", "hit@1", "hit@5", "hit@10", "mrr", "ndcg@10"}
    assert scores["recall@5"] == pytest.approx(2 / 3) and scores["hit@1"] == 0.0 and scores["mrr"] == 0.5


def test_key_facts_groups_alternatives_case_insensitive():
    facts = [["Security Council"], ["Depositary", "Secretary-General"], ["full explanation", "reasons"]]
    matches = key_fact_matches("It tells the UN SECURITY COUNCIL and the secretary-general [1].", facts)
    assert matches == [True, True, False]
    assert key_fact_accuracy(matches) == 0.0
    assert key_fact_recall(matches) == pytest.approx(2 / 3)
    assert key_fact_accuracy([True, True]) == 1.0 and key_fact_recall([True, True]) == 1.0
    assert key_fact_recall([]) == 1.0 and key_fact_accuracy([]) == 1.0


def test_strip_citation_marks():
    assert strip_citation_marks("It did [1][2]. It also did [3].") == "It did. It also did."


# -- ALCE citation recall and precision ---------------------------------------------------------

FACTS = {"p1": {"A"}, "p2": {"B"}, "p3": {"C"}, "pAB": {"A", "B"}}
NEEDS = {"s-AB": {"A", "B"}, "s-A": {"A"}, "s-none": {"A"}, "s-C": {"C"}}


def supports(sentence: str, passages) -> bool:
    have = set().union(*(FACTS[p] for p in passages)) if passages else set()
    return NEEDS[sentence] <= have


def test_alce_leave_one_out_precision():
    result = citation_scores(
        [
            ("s-AB", ["p1", "p2", "p3"]),  # supported jointly; p1, p2 needed; p3 irrelevant
            ("s-none", []),  # no citation: not recalled, no precision term
            ("s-A", ["p3"]),  # cites the wrong passage: not recalled, imprecise
        ],
        supports,
    )
    assert result["recall"] == pytest.approx(1 / 3)
    assert result["precision"] == pytest.approx(2 / 4)
    assert result["citations"] == 4 and result["sentences"] == 3
    assert [d["supported"] for d in result["detail"]] == [True, False, False]
    assert result["detail"][0]["precise"] == [True, True, False]


def test_alce_redundant_citations_that_each_suffice_are_both_precise():
    # each of pAB and (p1+p2) could carry the sentence; pAB alone supports it -> precise;
    # p1 alone does not, and the rest (pAB, p2) support without it -> p1 is irrelevant
    result = citation_scores([("s-AB", ["pAB", "p1"])], supports)
    assert result["detail"][0]["precise"] == [True, False]
    assert result["precision"] == 0.5 and result["recall"] == 1.0


def test_alce_unsupported_sentence_with_several_citations_is_all_imprecise():
    result = citation_scores([("s-C", ["p1", "p2"])], supports)
    assert result["recall"] == 0.0 and result["precision"] == 0.0


def test_alce_single_supporting_citation():
    result = citation_scores([("s-A", ["p1"]), ("s-C", ["p3"])], supports)
    assert result["recall"] == 1.0 and result["precision"] == 1.0


def test_percentile_linear_interpolation():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([0, 10], 95) == pytest.approx(9.5)
    assert percentile([5], 95) == 5
    assert percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    with pytest.raises(ValueError):
        percentile([], 50)


# -- aggregation ------------------------------------------------------------------------------


def record(kind, answerable, abstained, *, recall5=1.0, kf=1.0, kfr=1.0, crec=1.0, cprec=1.0, total=100.0):
    r = {
        "type": kind,
        "answerable": answerable,
        "abstained": abstained,
        "timings_ms": {"total_ms": total, "embed_ms": total / 2},
        "scores": {
            "answer": {"key_fact_accuracy": kf, "key_fact_recall": kfr, "chars": 100, "sentences": 2},
            "citation": {"recall": crec, "precision": cprec, "sentences": 2, "citations": 2},
        },
    }
    if answerable:
        r["scores"]["retrieval"] = {
            "recall@1": recall5, "recall@5": recall5, "recall@10": recall5, "hit@1": 1.0, "hit@5": 1.0, "hit@10": 1.0,
            "mrr": recall5, "ndcg@10": recall5,
        }
    return r


def near(x):
    return pytest.approx(x, abs=1e-4)  # aggregate rounds to 4 decimals


def test_aggregate_excludes_unanswerable_and_breaks_down_by_type():
    records = [
        record("numeric", True, False, recall5=1.0, kf=1.0, kfr=1.0, crec=1.0, cprec=0.5, total=100),
        record("numeric", True, False, recall5=0.5, kf=0.0, kfr=0.5, crec=0.5, cprec=1.0, total=300),
        record("factual", True, True, recall5=0.0, kf=0.0, kfr=0.0, total=200),  # wrongly declined
        record("unanswerable", False, True, total=400),  # rightly declined
        record("unanswerable", False, False, crec=0.0, cprec=0.0, total=500),  # answered anyway
    ]
    m = aggregate(records)
    assert m["n.questions"] == 5 and m["n.answerable"] == 3 and m["n.unanswerable"] == 2 and m["n.answered"] == 3
    assert m["retrieval.recall@5"] == near(0.5)  # (1 + 0.5 + 0) / 3: unanswerable excluded
    assert m["answer.key_fact_accuracy"] == near(1 / 3)
    assert m["answer.key_fact_recall"] == near(0.5)
    # citations: the three non-refusals (two numeric and the wrongly answered unanswerable one)
    assert m["citation.recall"] == near(0.5)
    assert m["citation.precision"] == near(0.5)
    assert m["abstention.accuracy"] == 0.5
    assert m["abstention.false_rate"] == near(1 / 3)
    assert m["latency.ask_ms.p50"] == 300 and m["latency.ask_ms.p95"] == near(480)
    assert m["latency.embed_ms.p50"] == 150
    assert m["by_type.numeric.answer.key_fact_accuracy"] == 0.5
    assert m["by_type.numeric.retrieval.recall@5"] == 0.75
    assert m["by_type.unanswerable.abstention.accuracy"] == 0.5
    assert "by_type.unanswerable.retrieval.recall@5" not in m  # nothing to cover: left out, not NaN
    assert "by_type.numeric.abstention.accuracy" not in m
    assert m["by_type.factual.abstention.false_rate"] == 1.0
