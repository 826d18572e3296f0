"""The citation judges: the heuristic's fact check and threshold (with a fake embedder, then the
real model for the slow test), and the LLM judge's wire format against a mock transport."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest

from desk.settings import Settings
from evals.judge import HeuristicJudge, LLMJudge, make_judge, missing_facts, names, numbers, parse_verdict


def test_numbers_by_value():
    assert numbers("1,000 mines and 2.5 km") == {1000.0, 2.5}
    assert numbers("four years, not 4") == {4.0}
    assert numbers("on 2025-03-18") == {2025.0, 3.0, 18.0}
    assert numbers("157 votes to 18") == {157.0, 18.0}


def test_names_skip_the_first_word():
    assert names("On 18 March 2025 the Seimas of Lithuania voted, said ICBL.") == ["March", "Seimas", "Lithuania", "ICBL"]


def test_missing_facts():
    passage = "On 15 May 2025 the Seimas voted 107 to 3 to withdraw Lithuania from the Convention."
    assert missing_facts("The Seimas approved it by 107 votes to 3.", [passage]) == []
    assert missing_facts("The Seimas approved it by 108 votes to 3.", [passage]) == ["108"]
    assert missing_facts("It happened in June, said the Saeima.", [passage]) == ["June", "Saeima"]
    # accents and inflections: "Šakalienė" matches "Sakaliene", "Lithuanian" matches "Lithuania"
    assert missing_facts("It was Lithuanian minister Sakaliene.", ["Minister Šakalienė of Lithuania spoke."]) == []
    # short names must match a whole word: "UN" is not the start of "under"
    assert missing_facts("It told the UN.", ["It acted under the treaty."]) == ["UN"]
    # facts may be spread over several cited passages
    assert missing_facts("The Seimas voted 107 to 3 in May.", ["The Seimas voted 107 to 3.", "That was in May."]) == []


class FakeEmbedder:
    name = "fake"

    def __init__(self, vectors: dict[str, list[float]]):
        self.vectors = vectors
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        # a joined text (several passages) gets the sum of its lines' vectors
        out = np.asarray([np.sum([self.vectors[line] for line in t.split("\n")], axis=0) for t in texts], dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_heuristic_needs_both_facts_and_similarity():
    s, close, far, wrong = "The Seimas voted 107 to 3.", "Seimas: 107 for, 3 against.", "Seimas: 107 for, 3 against, far.", "Seimas: 108 for, 3 against."
    embedder = FakeEmbedder({s: [1, 0], close: [0.9, 0.1], far: [0.2, 1], wrong: [1, 0]})
    judge = HeuristicJudge(embedder, threshold=0.6)
    assert judge.supports(s, [close])
    assert not judge.supports(s, [far])  # facts present, meaning too far (cos ~0.2)
    assert not judge.supports(s, [wrong])  # identical meaning vector, wrong figure
    assert not judge.supports(s, [])
    assert judge.supports(s, [far, close])  # the best single passage counts
    calls = embedder.calls
    judge.supports(s, [close])
    assert embedder.calls == calls  # cached


def test_llm_judge_wire_format():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append((request.url.path, body))
        verdict = "Yes." if "107" in body["messages"][0]["content"].split("Claim:")[1] else "no"
        return httpx.Response(200, json={"choices": [{"message": {"role": "assistant", "content": verdict}}]})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    judge = LLMJudge("http://llm.test/v1/", "tiny", client=client)
    assert judge.supports("The Seimas voted 107 to 3.", ["The Seimas voted 107 to 3.", "Another passage."])
    assert not judge.supports("The Saeima voted.", ["The Seimas voted 107 to 3."])
    assert not judge.supports("Anything.", [])
    path, body = seen[0]
    assert path == "/v1/chat/completions"
    assert body["model"] == "tiny" and body["temperature"] == 0
    prompt = body["messages"][0]["content"]
    assert "[1] The Seimas voted 107 to 3." in prompt and "[2] Another passage." in prompt
    assert "Claim: The Seimas voted 107 to 3." in prompt
    judge.supports("The Seimas voted 107 to 3.", ["The Seimas voted 107 to 3.", "Another passage."])
    assert len(seen) == 2  # cached


def test_parse_verdict():
    assert parse_verdict("Yes") and parse_verdict(" yes, fully") and parse_verdict("**Yes**")
    assert not parse_verdict("No.") and not parse_verdict("") and not parse_verdict("I think yes")


def test_make_judge_uses_the_llm_only_when_asked():
    llm = make_judge(Settings(generator="openai", llm_base_url="http://127.0.0.1:9/v1"), "llm")
    assert isinstance(llm, LLMJudge) and llm.base_url == "http://127.0.0.1:9/v1"
    assert isinstance(make_judge(Settings(generator="ollama", ollama_url="http://127.0.0.1:9"), "llm"), LLMJudge)


@pytest.mark.slow
def test_heuristic_with_the_real_model():
    judge = make_judge(Settings(generator="extractive"))
    assert isinstance(judge, HeuristicJudge)
    # auto never makes the generator its own judge
    assert isinstance(make_judge(Settings(generator="openai", llm_base_url="http://127.0.0.1:9/v1")), HeuristicJudge)
    quote = "**3.** A withdrawal becomes effective only once six months have passed since the Depositary received the instrument of withdrawal."
    assert judge.supports("A withdrawal takes effect six months after the Depositary receives the instrument.", [quote])
    assert judge.supports(quote.removeprefix("**3.** "), [quote])  # extractive: the sentence is the quote
    assert not judge.supports("A withdrawal takes effect twelve months after the Depositary receives the instrument.", [quote])
    assert not judge.supports("Estonia's defence forces will buy new equipment next year.", [quote])
