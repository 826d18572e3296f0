"""Scoring and report writing without the model: hand-made Answers through `runner.score`, then
`report.write`. The end-to-end run over the real store is in test_run.py (slow)."""

from __future__ import annotations

import json

from assistant.answer import Answer, AnswerSentence, Citation
from desk.settings import Settings
from evals.dataset import Question, load_questions
from evals.metrics import aggregate
from evals.report import write
from evals.runner import RunResult, score
from tests.evals.paths import FIXTURE, REQUIRED_KEYS


class SubstringJudge:
    name = "substring"
    description = "supported when the sentence is a substring of the joined passages"

    def supports(self, sentence, passages):
        return bool(passages) and sentence.rstrip(".") in " ".join(passages)


def citation(n, source_id, quote):
    return Citation(n=n, source_id=source_id, title=f"Title of {source_id}", publisher="P", date="2025-01-01", url="https://example.org",
                    heading="Article 20", quote=quote, start=0, end=len(quote), score=0.9)


def answer(sentences, citations, abstained=False, total=120.0):
    text = " ".join(f"{s.text} " + "".join(f"[{n}]" for n in s.citations) for s in sentences).strip()
    return Answer(answer=text, abstained=abstained, sentences=sentences, citations=citations,
                  timings_ms={"embed_ms": 20.0, "dense_ms": 5.0, "keyword_ms": 1.0, "fuse_ms": 1.0, "rerank_ms": 10.0,
                              "condense_ms": 0.0, "generate_ms": 3.0, "total_ms": total})


def test_score_and_write(tmp_path):
    q1, q2, q3 = load_questions(FIXTURE)
    quote = "A withdrawal becomes effective only once six months have passed."
    a1 = answer([AnswerSentence(text="A withdrawal becomes effective only once six months have passed.", citations=[1]),
                 AnswerSentence(text="It is final.", citations=[1])], [citation(1, "001-ottawa-convention-english-text", quote)])
    a2 = answer([AnswerSentence(text="Nobody knows <b>where</b>.", citations=[])], [], total=300.0)
    a3 = answer([AnswerSentence(text="The sources don't say.", citations=[])], [], abstained=True)
    r1 = score(q1, a1, ["001-ottawa-convention-english-text", "x"], SubstringJudge())
    r2 = score(q2, a2, ["x", "052-bb-lv-latvia-withdraws-from-the-convention"], SubstringJudge())
    r3 = score(q3, a3, ["x"], SubstringJudge())

    assert r1["scores"]["answer"]["key_fact_accuracy"] == 1.0
    assert r1["scores"]["citation"]["recall"] == 0.5 and r1["scores"]["citation"]["precision"] == 0.5
    assert [s["supported"] for s in r1["sentences"]] == [True, False]
    assert r1["scores"]["retrieval"]["recall@1"] == 1.0
    assert r2["scores"]["retrieval"]["recall@1"] == 0.0 and r2["scores"]["retrieval"]["recall@5"] == 0.5
    assert r2["scores"]["answer"]["key_fact_accuracy"] == 0.0
    assert "retrieval" not in r3["scores"] and r3["scores"]["abstention"]["correct"]

    records = [r1, r2, r3]
    result = RunResult("fixture", Settings(), records, aggregate(records), SubstringJudge.description, 1.0,
                       {"config": {"retrieval_mode": "hybrid"}, "finished_at": "now", "machine": "test"})
    paths = write(tmp_path / "report", result, compare={"a": result, "b": result})
    metrics = json.loads(paths["metrics"].read_text())
    assert REQUIRED_KEYS <= set(metrics)
    assert metrics["abstention.accuracy"] == 1.0 and metrics["abstention.false_rate"] == 0.0
    assert metrics["by_type.numeric.answer.key_fact_accuracy"] == 1.0
    assert metrics["config.b.retrieval.recall@5"] == metrics["retrieval.recall@5"]
    assert all(not isinstance(v, (dict, list)) for v in metrics.values())  # flat
    lines = paths["results"].read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["fx-001", "fx-002", "fx-003"]
    page = paths["report"].read_text()
    assert page.count("data:image/png;base64,") >= 3  # per-type bars, latency histogram, comparison bars
    assert "Nobody knows &lt;b&gt;where&lt;/b&gt;." in page  # a worst question, escaped
    assert "six months have passed" in page  # its cited passage


def test_question_schema_is_validated(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "q", "key_facts": ["not a group"]}\n')
    try:
        load_questions(bad)
    except ValueError as exc:
        assert "bad.jsonl:1" in str(exc)
    else:
        raise AssertionError("a malformed key_facts field was accepted")
    assert Question.from_dict({"id": "u", "question": "q"}).type == "unanswerable"
