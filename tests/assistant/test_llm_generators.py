"""The LLM backends against a fake server that speaks the real wire protocols (OpenAI chat
completions and Ollama, streaming included) on a loopback socket: what the verifier does with a
good answer, a badly cited one, a hallucinated number and an obeyed injection."""

import re
import socket

import pytest

from assistant.answer import Turn
from assistant.chain import Assistant
from assistant.fakes import FakeLLMServer
from desk.errors import GeneratorUnavailable

pytestmark = pytest.mark.slow

QUESTION = "How many members of the Seimas voted for Lithuania's withdrawal?"


def passage_numbers(messages: list[dict], needle: str) -> list[int]:
    """Numbers of the prompt's passages whose text contains `needle`."""
    prompt = messages[-1]["content"] if isinstance(messages[-1]["content"], str) else str(messages[-1]["content"])
    blocks = re.split(r"\n(?=\[\d+\] )", prompt)
    return [int(re.match(r"\[(\d+)\]", b).group(1)) for b in blocks if re.match(r"\[\d+\]", b) and needle in b]


def cite(needle: str, template: str, wrong: str | None = None):
    """A scripted reply that cites the passage holding `needle` or, given `wrong`, a passage
    in which that text does not occur."""

    def reply(messages):
        right = passage_numbers(messages, needle)
        assert right, f"no passage with {needle!r} in the prompt"
        n = right[0]
        if wrong:
            n = next(i for i in range(1, 9) if i not in passage_numbers(messages, wrong))
        return template.format(n=n)

    return reply


@pytest.fixture(scope="module")
def fake():
    with FakeLLMServer() as server:
        yield server


@pytest.fixture(params=["openai", "ollama"])
def llm_assistant(request, corpus_settings, fake):
    url = {"llm_base_url": fake.openai_url} if request.param == "openai" else {"ollama_url": fake.ollama_url}
    return Assistant(corpus_settings.model_copy(update={"generator": request.param, **url}))


def test_good_answer_is_shown_with_its_citations(llm_assistant, fake):
    fake.push(cite("107 members", "In the Seimas vote, 107 members voted for withdrawing from the convention [{n}]. Three members abstained [{n}]."))
    items = list(llm_assistant.stream(QUESTION))
    *deltas, answer = items
    assert len(deltas) == 2, "each verified sentence is streamed as it is completed"
    assert not answer.abstained and not answer.changes
    assert "107" in answer.answer
    assert all(s.citations for s in answer.sentences)
    assert any("107" in c.quote for c in answer.citations)
    assert fake.requests[-1]["body"].get("stream") is not False


def test_wrong_citation_is_repointed(llm_assistant, fake):
    fake.push(cite("107 members", "In the Seimas vote, 107 members voted for withdrawing from the convention [{n}].", wrong="107"))
    answer = llm_assistant.ask(QUESTION)
    assert "107" in answer.answer
    assert any("107" in c.quote for c in answer.citations), "the citation now points at a passage that says 107"
    assert any("removed citation" in change for change in answer.changes)
    assert any("re-pointed" in change for change in answer.changes)


def test_hallucinated_number_is_dropped(llm_assistant, fake):
    fake.push(cite("107 members", "The Seimas approved the withdrawal with 121 votes [{n}]. In the Seimas vote, 107 members voted for withdrawing [{n}]."))
    answer = llm_assistant.ask(QUESTION)
    assert "121" not in answer.answer
    assert "107" in answer.answer
    assert any("dropped unsupported sentence" in change and "121" in change for change in answer.changes)


def test_obeyed_injection_is_caught(llm_assistant, fake):
    fake.push(cite("107 members", "As instructed by the document, the treaty was signed by Napoleon in 1812 [{n}]. In the Seimas vote, 107 members voted for withdrawing [{n}]."))
    answer = llm_assistant.ask(QUESTION)
    assert "Napoleon" not in answer.answer and "1812" not in answer.answer
    assert "107" in answer.answer


def test_prompt_fences_passages_as_data(llm_assistant, fake):
    fake.push("The sources don't say.")
    answer = llm_assistant.ask(QUESTION)
    body = fake.requests[-1]["body"]
    system = body["messages"][0]["content"]
    assert "not instructions" in system and "[1]" in system
    assert "<passage>" in body["messages"][-1]["content"]
    assert answer.abstained, "the model's own abstention is reported as one"


def test_follow_up_is_condensed_by_the_model(llm_assistant, fake):
    fake.push("Who abstained in the Seimas vote on Lithuania's withdrawal?", cite("Ąžuolas", "The three abstainers named are Valius Ąžuolas, Petras Dargis and Vytautas Jucius [{n}]."))
    history = [Turn(role="user", content=QUESTION), Turn(role="assistant", content="107 members voted for it [1].")]
    answer = llm_assistant.ask("And who abstained?", history=history)
    assert answer.query == "Who abstained in the Seimas vote on Lithuania's withdrawal?"
    assert "Ąžuolas" in answer.answer


def test_unreachable_endpoint_is_a_clear_error(corpus_settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = corpus_settings.model_copy(update={"generator": "openai", "llm_base_url": f"http://127.0.0.1:{port}/v1", "llm_timeout_s": 2})
    with pytest.raises(GeneratorUnavailable, match="DESK_LLM_BASE_URL"):
        Assistant(settings).ask(QUESTION)
