"""Shared constants of the evaluation tests."""

from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "three.jsonl"

REQUIRED_KEYS = {
    "retrieval.recall@1",
    "retrieval.recall@5",
    "retrieval.mrr",
    "retrieval.ndcg@10",
    "answer.key_fact_accuracy",
    "answer.key_fact_recall",
    "citation.recall",
    "citation.precision",
    "abstention.accuracy",
    "abstention.false_rate",
    "latency.ask_ms.p50",
    "latency.ask_ms.p95",
}
