"""The LLM leg of `run --compare` and the LLM judge, against a fake OpenAI-compatible server on
loopback that speaks the real wire protocol (JSON and SSE streaming). The fake "model" answers
with evidence sentence [1], cited, and judges a claim supported when its text occurs
in the passages."""

from __future__ import annotations

import json
import re

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from evals.__main__ import main
from tests.api.servers import serve
from tests.evals.paths import FIXTURE

pytestmark = pytest.mark.slow


def fake_llm() -> tuple[FastAPI, list[dict]]:
    app = FastAPI()
    calls: list[dict] = []

    def reply(messages: list[dict]) -> str:
        content = messages[-1]["content"]
        if "Claim:" in content:  # the judge's prompt
            passages, claim = content.split("Claim:", 1)
            claim = re.sub(r"\s*\[\d+\]", "", claim.split("\n")[0]).strip()
            return "yes" if claim.rstrip(".") in passages else "no"
        match = re.search(r"^\[1\] \([^)]*\) (.*)$", content, re.M)
        if not match:
            return "The sources don't say."
        return f"{match.group(1).strip()} [1]"

    @app.get("/v1/models")
    def models():
        return {"object": "list", "data": [{"id": "fake", "object": "model"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        calls.append(body)
        text = reply(body["messages"])
        base = {"id": "x", "created": 0, "model": body.get("model", "fake")}
        if not body.get("stream"):
            return JSONResponse({**base, "object": "chat.completion", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]})

        def events():
            for i in range(0, len(text), 12):
                delta = {"index": 0, "delta": {"content": text[i : i + 12]}, "finish_reason": None}
                yield f"data: {json.dumps({**base, 'object': 'chat.completion.chunk', 'choices': [delta]})}\n\n"
            done = {"index": 0, "delta": {}, "finish_reason": "stop"}
            yield f"data: {json.dumps({**base, 'object': 'chat.completion.chunk', 'choices': [done]})}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app, calls


def test_compare_adds_the_llm_backend_and_judge(corpus_settings, tmp_path, monkeypatch):
    app, calls = fake_llm()
    with serve(app, ready_path="/v1/models") as base:
        monkeypatch.setenv("DESK_GENERATOR", "openai")
        monkeypatch.setenv("DESK_LLM_BASE_URL", f"{base}/v1")
        monkeypatch.setenv("DESK_LLM_MODEL", "fake")
        out = tmp_path / "compare"
        code = main(["run", "--compare", "--judge", "llm", "--questions", str(FIXTURE), "--report", str(out),
                     "--store", str(corpus_settings.store), "--quiet"])
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert "config.hybrid+rerank+openai.answer.key_fact_recall" in metrics
    assert "config.hybrid+rerank.answer.key_fact_recall" in metrics
    assert metrics["meta.config.generator"] == "openai"  # the configured backend is the headline
    assert metrics["meta.judge"].startswith("LLM support judge")
    assert any(not c.get("stream") and "Claim:" in c["messages"][-1]["content"] for c in calls)  # the judge was asked
    assert any(c.get("stream") for c in calls)  # the generator streamed


def test_run_with_an_llm_backend_sets_it_beside_the_extractive_answer(corpus_settings, tmp_path, monkeypatch, capsys):
    app, calls = fake_llm()
    with serve(app, ready_path="/v1/models") as base:
        monkeypatch.setenv("DESK_GENERATOR", "openai")
        monkeypatch.setenv("DESK_LLM_BASE_URL", f"{base}/v1")
        out = tmp_path / "side"
        code = main(["run", "--questions", str(FIXTURE), "--report", str(out), "--store", str(corpus_settings.store), "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert re.search(r"metric\s+openai\s+extractive", printed), "the two columns are printed side by side"
    metrics = json.loads((out / "metrics.json").read_text())
    assert "config.extractive.answer.key_fact_accuracy" in metrics and "config.openai.answer.key_fact_accuracy" in metrics
    assert "latency.first_token_ms.p50" in metrics and "latency.first_sentence_ms.p50" in metrics
    assert metrics["meta.judge"].startswith("heuristic"), "auto never makes the generator its own judge"
    assert not any("Claim:" in c["messages"][-1]["content"] for c in calls)
