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


def test_an_unknown_model_is_404_not_a_silent_substitute(client: openai.OpenAI):
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": SAEIMA}])
    assert "ottawa-desk" in raised.value.message


def test_more_than_one_choice_is_refused(client: openai.OpenAI):
    with pytest.raises(openai.UnprocessableEntityError) as raised:
        client.chat.completions.create(model="ottawa-desk", n=2, messages=[{"role": "user", "content": SAEIMA}])
    assert "n" in str(raised.value.body)


@pytest.mark.parametrize("stream", [False, True])
def test_max_tokens_cuts_the_reply_at_whole_cited_sentences(client: openai.OpenAI, stream: bool):
    messages = [{"role": "user", "content": "What does Article 20 say about withdrawal?"}]
    full = client.chat.completions.create(model="ottawa-desk", messages=messages)
    full_body = full.choices[0].message.content.split("\n\nSources:\n")[0]
    budget = len(full_body.split()) // 2
    assert budget >= 10, full_body  # a multi-sentence answer, or the cut proves nothing
    if stream:
        chunks = list(client.chat.completions.create(model="ottawa-desk", messages=messages, max_tokens=budget, stream=True))
        text = "".join(c.choices[0].delta.content or "" for c in chunks)
        finish, citations = chunks[-1].choices[0].finish_reason, chunks[-1].model_extra["citations"]
    else:
        reply = client.chat.completions.create(model="ottawa-desk", messages=messages, max_tokens=budget)
        text, finish, citations = reply.choices[0].message.content, reply.choices[0].finish_reason, reply.model_extra["citations"]
    body = text.split("\n\nSources:\n")[0]
    assert finish == "length"
    assert len(body) < len(full_body) and full_body.startswith(body)  # whole sentences from the start
    assert cited_numbers(body) == {c["n"] for c in citations}  # only the citations the kept text uses
