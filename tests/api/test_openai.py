"""The official `openai` client, pointed at a real server on a loopback port, gets cited
answers: [n] markers and a Sources list in the text, structured citations in `model_extra`."""

from __future__ import annotations

import openai
import pytest

from tests.api.checks import cited_numbers
from tests.api.servers import serve

pytestmark = pytest.mark.slow

SAEIMA = "How many members of the Saeima voted for leaving the convention?"


@pytest.fixture(scope="module")
def client(corpus_app):
    with serve(corpus_app) as base:
        yield openai.OpenAI(base_url=f"{base}/v1", api_key="not-needed", max_retries=0, timeout=120)


def test_models(client: openai.OpenAI):
    assert [m.id for m in client.models.list()] == ["ottawa-desk"]


def test_chat_completion_is_cited(client: openai.OpenAI):
    reply = client.chat.completions.create(model="ottawa-desk", messages=[
        {"role": "system", "content": "Answer briefly."},  # accepted and ignored
        {"role": "user", "content": SAEIMA},
    ])
    text = reply.choices[0].message.content
    assert reply.choices[0].finish_reason == "stop" and "66" in text
    body, sources = text.split("\n\nSources:\n")
    citations = reply.model_extra["citations"]
    assert citations[0]["source_id"] == "020-leta-saeima-supports-withdrawal"
    assert cited_numbers(body) == {c["n"] for c in citations}
    assert [line.split("]")[0] + "]" for line in sources.splitlines()] == [f"[{c['n']}]" for c in citations]
    assert citations[0]["url"] in sources


def test_streamed_chat_completion_carries_citations_on_the_last_chunk(client: openai.OpenAI):
    stream = client.chat.completions.create(model="ottawa-desk", stream=True, messages=[{"role": "user", "content": SAEIMA}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    citations = chunks[-1].model_extra["citations"]
    assert citations[0]["source_id"] == "020-leta-saeima-supports-withdrawal"
    assert all("citations" not in (c.model_extra or {}) for c in chunks[:-1])
    assert len(chunks) > 4 and "\n\nSources:\n[1] " in text
    plain = client.chat.completions.create(model="ottawa-desk", messages=[{"role": "user", "content": SAEIMA}])
    assert text == plain.choices[0].message.content


def test_earlier_messages_are_the_history(client: openai.OpenAI):
    first = client.chat.completions.create(model="ottawa-desk", messages=[{"role": "user", "content": SAEIMA}])
    follow = client.chat.completions.create(model="ottawa-desk", messages=[
        {"role": "user", "content": SAEIMA},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "Who voted against it?"},
    ])
    assert any(c["source_id"] == "020-leta-saeima-supports-withdrawal" for c in follow.model_extra["citations"])


def test_errors_reach_the_client_as_openai_errors(client: openai.OpenAI):
    with pytest.raises(openai.UnprocessableEntityError) as raised:
        client.chat.completions.create(model="ottawa-desk", messages=[{"role": "user", "content": "x" * 100_000}])
    assert "limit" in raised.value.message
