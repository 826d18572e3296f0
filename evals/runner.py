"""Ask every question through the assistant and score the answers.

The assistant sees only the question text — `Assistant.ask(question, history)`, the code path the
API and CLI use — and never the reference answer, sources or key facts; those are read afterwards
by the scorer. A conversation's turns are asked in order, each with the earlier questions and the
assistant's own earlier answers as history. Retrieval is scored from a separate
`assistant.retriever.retrieve(query, k=30)` call on the query the assistant actually searched, so
it measures the ranking itself and not only the passages the answer happened to cite; the same
ranking gives the *context ceiling*: do the top 5 (8) passages hold every key fact at all?"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from tqdm import tqdm

from assistant.answer import Turn
from desk.settings import Settings
from evals.dataset import Question
from evals.judge import Judge, make_judge
from evals.metrics import (
    aggregate,
    citation_scores,
    key_fact_accuracy,
    key_fact_matches,
    key_fact_recall,
    ranked_sources,
    retrieval_scores,
    strip_citation_marks,
)

RETRIEVE_K = 30
CONTEXT_KS = (5, 8)
WARMUP_QUESTION = "What does the Ottawa Convention ban?"


@dataclass
class RunResult:
    label: str
    settings: Settings
    records: list[dict]
    metrics: dict[str, float]
    judge: str
    seconds: float
    meta: dict = field(default_factory=dict)


def config_of(settings: Settings) -> dict:
    return {
        "retrieval_mode": settings.retrieval_mode,
        "reranker": settings.reranker,
        "generator": settings.generator,
        "embedding_model": settings.embedding_model,
        "top_k": settings.top_k,
        "answer_model": str(settings.answer_model or "shipped"),
    }


def score(question: Question, answer, retrieved_sources: list[str], judge: Judge, passages: list[str] | None = None) -> dict:
    """One results.jsonl line: the answer, its citations and every score. `passages`: the
    retrieved passage texts, best first, for the context ceiling."""
    quotes = {c.n: c.quote for c in answer.citations}
    sentences = [(s.text, [quotes[n] for n in s.citations if n in quotes]) for s in answer.sentences]
    text = answer.answer
    matches = key_fact_matches(text, question.key_facts)
    # A refusal answers nothing, even when its "nearest passage" happens to hold a key fact.
    credited = [False] * len(matches) if answer.abstained else matches
    answer_scores = {
        "key_fact_accuracy": key_fact_accuracy(credited),
        "key_fact_recall": key_fact_recall(credited),
        "key_facts_matched": matches,
        "chars": len(strip_citation_marks(text)),
        "sentences": len(answer.sentences),
    }
    citation = citation_scores(sentences, judge.supports)
    record = {
        "id": question.id,
        "type": question.type,
        "question": question.question,
        "answerable": question.answerable,
        "answer": text,
        "abstained": answer.abstained,
        "sentences": [
            {"text": s.text, "citations": s.citations, **d} for s, d in zip(answer.sentences, citation.pop("detail"))
        ],
        "citations": [
            {k: getattr(c, k) for k in ("n", "source_id", "title", "heading", "quote", "start", "end", "score")}
            for c in answer.citations
        ],
        "changes": list(answer.changes),
        "retrieved_sources": retrieved_sources[:10],
        "reference": {"answer": question.answer, "sources": list(question.sources), "key_facts": [list(g) for g in question.key_facts]},
        "timings_ms": dict(answer.timings_ms),
        "scores": {
            "answer": answer_scores,
            "citation": citation,
            "abstention": {"correct": answer.abstained != question.answerable},
        },
    }
    if question.answerable:
        record["scores"]["retrieval"] = retrieval_scores(retrieved_sources, question.sources)
        if passages is not None:
            record["scores"]["context"] = {
                f"ceiling@{k}": key_fact_accuracy(key_fact_matches("\n".join(passages[:k]), question.key_facts)) for k in CONTEXT_KS
            }
    if question.turn:
        record["turn"] = question.turn
    return record


def run(
    settings: Settings,
    questions: list[Question],
    judge: Judge | None = None,
    label: str = "run",
    progress: bool = True,
    assistant=None,
) -> RunResult:
    from assistant.chain import Assistant

    started = time.perf_counter()
    assistant = assistant or Assistant(settings)
    judge = judge or make_judge(settings)
    # Load the model and open the store before timing anything: the first ask would otherwise
    # carry seconds of model loading in its embed_ms.
    assistant.ask(WARMUP_QUESTION)
    records = []
    histories: dict[str, list[Turn]] = {}
    bar = tqdm(questions, desc=label, unit="q", disable=not progress, dynamic_ncols=True)
    for question in bar:
        history = histories.setdefault(question.conversation, []) if question.conversation else []
        answer = assistant.ask(question.question, history=list(history))
        if question.conversation:
            history += [Turn(role="user", content=question.question), Turn.of_answer(answer)]
        candidates, _ = assistant.retriever.retrieve(answer.query or question.question, k=RETRIEVE_K)
        ranked = ranked_sources(c.chunk.source.id for c in candidates)
        records.append(score(question, answer, ranked, judge, [c.chunk.text for c in candidates]))
        done = [r for r in records if r["answerable"]]
        if done:
            bar.set_postfix(key_facts=f"{sum(r['scores']['answer']['key_fact_accuracy'] for r in done) / len(done):.2f}")
    bar.close()
    metrics = aggregate(records)
    meta = {
        "label": label,
        "config": config_of(settings),
        "judge": judge.description,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {_cpus()} CPU(s)",
    }
    sanity = judge_sanity(records, judge)
    if sanity is not None:
        metrics["judge.mismatched_support_rate"] = sanity
    return RunResult(label, settings, records, metrics, judge.description, round(time.perf_counter() - started, 2), meta)


def judge_sanity(records: list[dict], judge: Judge) -> float | None:
    """How often the judge accepts a sentence paired with the quotes of *another* question's
    answer: a judge that cannot tell support from noise shows a high rate here. Only run for
    the local heuristic (an LLM judge would spend a call per pair)."""
    if judge.name != "heuristic":
        return None
    answered = [r for r in records if not r["abstained"] and r["citations"]]
    if len(answered) < 2:
        return None
    accepted = total = 0
    for i, record in enumerate(answered):
        other = answered[(i + 1) % len(answered)]
        quotes = [c["quote"] for c in other["citations"]][:2]
        for sentence in record["sentences"]:
            if sentence["citations"]:
                total += 1
                accepted += judge.supports(sentence["text"], quotes)
    return round(accepted / total, 4) if total else None


def _cpus() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        return os.cpu_count() or 1
