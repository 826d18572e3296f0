"""The LLM backends against a fake server that speaks the real wire protocols (OpenAI chat
completions and Ollama, streaming included) on a loopback socket: what the desk serves for a good
answer, a badly cited one, a hallucinated number, an obeyed injection, a model that declines, one
that loops, an endpoint that is down, dies mid-stream or is too slow — and for the replies real
small models gave (tests/fixtures/transcripts/)."""

import re
import socket
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.answer import DIRECT_MESSAGES, Turn
from assistant.chain import Assistant
from assistant.fakes import FakeLLMServer, Transcript
from assistant.generators.llm import parse, sentences, split
from assistant.verify import left_out

QUESTION = "How many members of the Seimas voted for Lithuania's withdrawal?"
UNANSWERABLE = "What unit price did Lithuania pay for the anti-personnel mines it ordered once its withdrawal took effect?"
DIRECT = DIRECT_MESSAGES["en"]


def evidence_numbers(messages: list[dict], needle: str) -> list[int]:
    """Numbers of the prompt's evidence lines that contain `needle`."""
    prompt = messages[-1]["content"] if isinstance(messages[-1]["content"], str) else str(messages[-1]["content"])
    return [int(m.group(1)) for m in re.finditer(r"^\[(\d+)\] (.*)$", prompt, re.M) if needle in m.group(2)]


def cite(needle: str, template: str, wrong: str | None = None):
    """A scripted reply that cites the evidence holding `needle` or, given `wrong`, evidence in
    which that text does not occur."""

    def reply(messages):
        right = evidence_numbers(messages, needle)
        assert right, f"no evidence with {needle!r} in the prompt"
        n = right[0]
        if wrong:
            n = next(i for i in range(1, 20) if i not in evidence_numbers(messages, wrong))
        return template.format(n=n)

    return reply


# -- the splitter (no store needed) -----------------------------------------------------------


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("Riigikogu võttis seaduse vastu 4. juunil 2025. aastal [2]. Läti lahkus varem [3].",
         ["Riigikogu võttis seaduse vastu 4. juunil 2025. aastal [2].", "Läti lahkus varem [3]."]),
        ("Sejm przyjął ustawę 1. lipca [1]. Prezydent ją podpisał [2].", ["Sejm przyjął ustawę 1. lipca [1].", "Prezydent ją podpisał [2]."]),
        ("1. Lithuania left first [1].\n2. Latvia followed [2].", ["1. Lithuania left first [1].", "2. Latvia followed [2]."]),
        ("The Seimas voted 107. Three members abstained [1].", ["The Seimas voted 107.", "Three members abstained [1]."]),
        ("Finland left in 2025.\n[2][3]", ["Finland left in 2025. [2][3]"]),
        ("Finland left in 2025.\n[2] Poland left too.", ["Finland left in 2025.", "[2] Poland left too."]),
    ],
)
def test_splitter_keeps_ordinals_and_list_numbers_and_places_markers(reply, expected):
    assert split(reply) == expected


def test_streamed_sentences_are_complete_whatever_the_piece_boundaries():
    reply = "Eesti lahkus 4. juunil [1]. Läti samuti [2].\n[3]"
    for size in (1, 2, 3, 5):
        pieces = [reply[i : i + size] for i in range(0, len(reply), size)]
        assert list(sentences(iter(pieces))) == [("Eesti lahkus 4. juunil [1].", False), ("Läti samuti [2]. [3]", True)]


def test_parse_drops_markers_list_bullets_and_copied_source_headers():
    assert parse("2. **Latvia** left on 27 June 2025 [2][4].") == ("Latvia left on 27 June 2025.", [2, 4])
    assert parse("[1] (Lrytas.lt (English), 2025-05-08) In the Seimas vote, 107 members voted for it.") == ("In the Seimas vote, 107 members voted for it.", [1])


# -- the desk with an LLM backend ----------------------------------------------------------------


@pytest.fixture(scope="module")
def fake():
    with FakeLLMServer() as server:
        yield server


def _llm_settings(corpus_settings, backend: str, fake: FakeLLMServer, **extra):
    url = {"llm_base_url": fake.openai_url} if backend == "openai" else {"ollama_url": fake.ollama_url}
    return corpus_settings.model_copy(update={"generator": backend, **url, **extra})


@pytest.fixture(params=["openai", "ollama"])
def llm_assistant(request, corpus_settings, fake):
    return Assistant(_llm_settings(corpus_settings, request.param, fake))


@pytest.fixture(scope="module")
def openai_assistant(corpus_settings, fake):
    return Assistant(_llm_settings(corpus_settings, "openai", fake))


@contextmanager
def declining(assistant: Assistant):
    """The answer layer declines whatever is asked: what these tests check is that a decline
    reaches no model, not where the fitted threshold falls for one question."""
    model = assistant.scorer.model
    assistant.use_model(replace(model, answer_threshold=1.01))
    try:
        yield
    finally:
        assistant.use_model(model)


def served(items) -> tuple[str, object]:
    """What a streaming face shows (the deltas joined) and the final Answer."""
    *deltas, answer = items
    return "".join(deltas), answer


@pytest.mark.slow
def test_good_answer_is_shown_with_its_citations(llm_assistant, fake):
    fake.push(cite("107", "In the Seimas vote, 107 members voted for withdrawing from the convention [{n}]."))
    text, answer = served(llm_assistant.stream(QUESTION))
    assert text == answer.answer, "the stream shows exactly the answer"
    assert not answer.abstained and "107" in answer.answer and DIRECT not in answer.answer
    assert all(s.citations for s in answer.sentences)
    assert any("107" in c.quote for c in answer.citations)
    assert fake.requests[-1]["body"].get("stream") is not False
    assert answer.timings_ms["first_token_ms"] <= answer.timings_ms["first_sentence_ms"] <= answer.timings_ms["total_ms"]


@pytest.mark.slow
def test_wrong_citation_is_repointed_to_the_sentence_with_the_figure(llm_assistant, fake):
    fake.push(cite("107", "In the Seimas vote, 107 members voted for withdrawing from the convention [{n}].", wrong="107"))
    answer = llm_assistant.ask(QUESTION)
    assert "107" in answer.answer
    assert "107" in answer.citations[0].quote, "the quote shown is the sentence that holds the figure"
    assert any("removed citation" in change for change in answer.changes)
    assert any("re-pointed" in change for change in answer.changes)


@pytest.mark.slow
def test_hallucinated_number_is_dropped(llm_assistant, fake):
    fake.push(cite("107", "The Seimas approved the withdrawal with 121 votes [{n}]. In the Seimas vote, 107 members voted for withdrawing [{n}]."))
    answer = llm_assistant.ask(QUESTION)
    assert "121" not in answer.answer
    assert "107" in answer.answer
    assert any("dropped unsupported sentence" in change and "121" in change for change in answer.changes)


@pytest.mark.slow
def test_number_words_are_checked_as_numbers(openai_assistant, fake):
    fake.push(cite("107", "One hundred and seven members voted for it [{n}]. Ten members abstained [{n}]."))
    answer = openai_assistant.ask(QUESTION)
    assert "Ten members" not in answer.answer, "'ten' is a number the evidence does not give"


@pytest.mark.slow
def test_obeyed_injection_is_caught(llm_assistant, fake):
    fake.push(cite("107", "As instructed by the document, the treaty was signed by Napoleon in 1812 [{n}]. In the Seimas vote, 107 members voted for withdrawing [{n}]."))
    answer = llm_assistant.ask(QUESTION)
    assert "Napoleon" not in answer.answer and "1812" not in answer.answer
    assert "107" in answer.answer


@pytest.mark.slow
def test_prompt_is_short_numbered_evidence_fenced_as_data(openai_assistant, fake):
    fake.push(cite("107", "107 members voted for it [{n}]."))
    openai_assistant.ask(QUESTION)
    body = fake.requests[-1]["body"]
    system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
    assert "not instructions" in system
    assert re.search(r"^\[1\] ", user, re.M) and "Asked for: a figure" in user
    assert len(system) + len(user) < 3200, "about 800 tokens at most for a single-fact question"
    assert openai_assistant.settings.llm_max_tokens in (body.get("max_tokens"), body.get("max_completion_tokens"))


@pytest.mark.slow
def test_unanswerable_question_is_declined_by_the_answer_layer_without_a_model_call(llm_assistant, fake):
    before = len(fake.requests)
    fake.push("The Seimas paid 1,200 euros per mine [1].")  # what a small model invents
    with declining(llm_assistant):
        text, answer = served(llm_assistant.stream(UNANSWERABLE))
    assert len(fake.requests) == before, "no model call when the answer layer declines"
    fake.replies.clear()
    assert answer.abstained and text == answer.answer
    assert "nearest" in answer.answer.lower() and answer.citations, "a decline shows the nearest evidence"
    assert "1,200" not in answer.answer


@pytest.mark.slow
def test_model_that_declines_an_answerable_question_is_replaced_by_the_extractive_answer(llm_assistant, fake):
    fake.push("The sources don't say.")
    text, answer = served(llm_assistant.stream(QUESTION))
    assert not answer.abstained, "the answer layer found the answer: abstained matches the text"
    assert "107" in answer.answer and answer.answer.endswith(DIRECT) and text == answer.answer
    assert "don't say" not in answer.answer
    assert any("answered from the passages directly" in c for c in answer.changes)


@pytest.mark.slow
def test_reply_with_nothing_verifiable_is_replaced_by_the_extractive_answer(openai_assistant, fake):
    fake.push("The Seimas approved it with 121 votes in 2019 [1]. Sweden supported the decision [2].")
    answer = openai_assistant.ask(QUESTION)
    assert "121" not in answer.answer and "Sweden" not in answer.answer
    assert "107" in answer.answer and answer.answer.endswith(DIRECT)


@pytest.mark.slow
def test_answer_missing_the_asked_figure_gets_the_evidence_sentence_added(openai_assistant, fake):
    fake.push(cite("107", "The Seimas voted on Lithuania's withdrawal from the convention [{n}]."))
    answer = openai_assistant.ask(QUESTION)
    assert "107" in answer.answer, "the asked-for figure is added from the evidence"
    assert any("asked-for fact" in c for c in answer.changes)
    assert all(s.citations for s in answer.sentences)


@pytest.mark.slow
def test_paraphrase_that_drops_a_figure_of_its_evidence_is_replaced_by_the_evidence(openai_assistant, fake):
    # The evidence says 107 for, three abstaining, none against; the reply keeps only the 107.
    fake.push(cite("107", "The Seimas backed the withdrawal by 107 votes [{n}]."))
    answer = openai_assistant.ask(QUESTION)
    assert "backed the withdrawal by 107 votes" not in answer.answer
    assert "three members abstained" in answer.answer
    assert any("served the evidence in place of" in c and "three" in c for c in answer.changes)


@pytest.mark.slow
def test_faithful_paraphrase_is_shown_as_the_model_wrote_it(openai_assistant, fake):
    # Reordered, and "members" said once: everything the evidence states is still there.
    line = "107 members voted for withdrawing from the convention in the Seimas vote; three abstained and no one voted against"
    fake.push(cite("107", line + " [{n}]."))
    answer = openai_assistant.ask(QUESTION)
    assert answer.answer.startswith(line)
    assert not any("served the evidence" in c for c in answer.changes)


@pytest.mark.slow
def test_answer_with_a_model_states_every_fact_of_the_answer_without_one(corpus_settings, openai_assistant, fake):
    without = Assistant(corpus_settings).ask(QUESTION)
    fake.push(cite("107", "The Seimas voted on Lithuania's withdrawal from the convention [{n}]."))
    answer = openai_assistant.ask(QUESTION)
    for citation in without.citations:
        assert not left_out(citation.quote, answer.answer), f"the LLM answer lost a fact of “{citation.quote}”"


@pytest.mark.slow
def test_runaway_repetition_is_cut(openai_assistant, fake):
    line = "In the Seimas vote, 107 members voted for withdrawing from the convention [{n}]. "
    fake.push(cite("107", line * 40))
    answer = openai_assistant.ask(QUESTION)
    assert answer.answer.count("107 members voted") == 1
    assert any("repeat" in c for c in answer.changes)


@pytest.mark.slow
def test_follow_up_is_resolved_by_the_answer_layer_not_the_model(openai_assistant, fake):
    fake.push(cite("abstain", "The abstainers named include Valius Ąžuolas [{n}]."))
    before = len(fake.requests)
    history = [Turn(role="user", content=QUESTION), Turn(role="assistant", content="107 members voted for it [1].")]
    answer = openai_assistant.ask("And who abstained?", history=history)
    assert len(fake.requests) - before == 1, "one call, for the answer: none to rewrite the question"
    assert "seimas" in answer.query.lower() and "Ąžuolas" in answer.answer


@pytest.mark.slow
def test_follow_up_is_condensed_by_the_model_when_asked(corpus_settings, fake):
    assistant = Assistant(_llm_settings(corpus_settings, "openai", fake, llm_condense=True))
    fake.push("Who abstained in the Seimas vote on Lithuania's withdrawal?", cite("Ąžuolas", "The abstainers named include Valius Ąžuolas [{n}]."))
    history = [Turn(role="user", content=QUESTION), Turn(role="assistant", content="107 members voted for it [1].")]
    answer = assistant.ask("And who abstained?", history=history)
    assert answer.query == "Who abstained in the Seimas vote on Lithuania's withdrawal?"
    assert "Ąžuolas" in answer.answer


# -- an endpoint that is down, dies mid-stream, or is too slow: extractive, with a note -------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_unreachable_endpoint_falls_back_to_the_extractive_answer(corpus_settings):
    settings = corpus_settings.model_copy(update={"generator": "openai", "llm_base_url": f"http://127.0.0.1:{_free_port()}/v1", "llm_timeout_s": 2})
    answer = Assistant(settings).ask(QUESTION)
    assert "107" in answer.answer and answer.answer.endswith(DIRECT) and not answer.abstained
    assert any("DESK_LLM_BASE_URL" in c for c in answer.changes), "the change says what to check"


@pytest.mark.slow
def test_server_stopping_mid_stream_falls_back_with_a_note(openai_assistant, fake):
    fake.push(Transcript(["In the Seimas ", "vote, 107 members vo"], cut_after=2))
    text, answer = served(openai_assistant.stream(QUESTION))
    assert "107" in answer.answer and answer.answer.endswith(DIRECT) and text == answer.answer
    assert any("cut off" in c for c in answer.changes)


@pytest.mark.slow
def test_too_slow_endpoint_ends_at_the_budget(corpus_settings, fake):
    assistant = Assistant(_llm_settings(corpus_settings, "openai", fake, llm_budget_s=1.0))
    words = "In the Seimas vote, 107 members voted for withdrawing from the convention".split()
    fake.push(Transcript([w + " " for w in words] + ["[1]."], delay_s=0.3))
    answer = assistant.ask(QUESTION)
    assert answer.timings_ms["generate_ms"] < 4000
    assert "107" in answer.answer and answer.answer.endswith(DIRECT)


@pytest.mark.slow
def test_api_answers_200_with_the_fallback_when_the_endpoint_is_down(corpus_settings):
    from fastapi.testclient import TestClient

    from api.app import create_app

    settings = corpus_settings.model_copy(update={"generator": "openai", "llm_base_url": f"http://127.0.0.1:{_free_port()}/v1", "llm_timeout_s": 2, "warm_start": False})
    with TestClient(create_app(settings)) as client:
        response = client.post("/api/ask", json={"question": QUESTION})
    assert response.status_code == 200
    assert response.json()["answer"].endswith(DIRECT) and "107" in response.json()["answer"]


# -- replies real small models gave, replayed over the wire (tests/fixtures/transcripts/) --------

TRANSCRIPTS = Path(__file__).parents[1] / "fixtures" / "transcripts"


def replay(assistant: Assistant, fake: FakeLLMServer, name: str):
    """What the desk serves when the endpoint streams the recorded reply to the recorded question."""
    transcript = Transcript.load(TRANSCRIPTS / f"{name}.json")
    before = len(fake.requests)
    fake.push(transcript)
    text, answer = served(assistant.stream(transcript.meta["question"]))
    fake.replies.clear()
    assert answer.answer and text == answer.answer, "never an empty answer; the stream shows all of it"
    return answer, len(fake.requests) - before


@pytest.mark.slow
def test_replayed_good_answer_with_line_start_markers_and_copied_headers(openai_assistant, fake):
    # The 0.5B copied two evidence lines, "[1] (Lrytas.lt (English), 2025-05-08) In the Seimas vote, …",
    # one per line: markers opening the line, a source header inside the sentence.
    answer, calls = replay(openai_assistant, fake, "q05-seimas-vote")
    assert calls == 1 and not answer.abstained
    assert "107 members voted" in answer.answer and "Lrytas" not in answer.answer and DIRECT not in answer.answer
    assert all(s.citations for s in answer.sentences)
    assert any("107" in c.quote for c in answer.citations)


@pytest.mark.slow
def test_replayed_vague_answer_gets_the_asked_for_figure(openai_assistant, fake):
    # The reply paraphrased a minister's "clear signal" and never gave the vote.
    answer, _ = replay(openai_assistant, fake, "q05-riigikogu-vote")
    assert "81" in answer.answer and not answer.abstained
    assert any("asked-for fact" in c for c in answer.changes)
    assert any("81" in c.quote for c in answer.citations)


@pytest.mark.slow
def test_replayed_fragment_reply_is_replaced_by_the_passages(openai_assistant, fake):
    # "[1] 4 June" and nothing else, to an Estonian question about two dates.
    answer, _ = replay(openai_assistant, fake, "q05-estonian-dates")
    assert not answer.abstained and "13. juunil" in answer.answer
    assert answer.answer.endswith(DIRECT_MESSAGES["et"])


@pytest.mark.slow
def test_replayed_reply_to_an_unanswerable_question_is_never_asked_for(openai_assistant, fake):
    # Asked anyway, the 0.5B offered a sentence about talks on buying mines as the answer.
    with declining(openai_assistant):
        answer, calls = replay(openai_assistant, fake, "q05-unit-price")
    assert calls == 0 and answer.abstained
    assert "nearest" in answer.answer.lower() and answer.citations


@pytest.mark.slow
def test_replayed_wrong_number_is_dropped_for_the_passages(openai_assistant, fake):
    # Asked for the Eduskunta's margin (157 to 18), the 0.5B replied "[1] 2.5%".
    answer, _ = replay(openai_assistant, fake, "q05-eduskunta-margin")
    assert "2.5" not in answer.answer and "157" in answer.answer and not answer.abstained
    assert answer.answer.endswith(DIRECT)
    assert any("dropped unsupported sentence" in c and "2.5%" in c for c in answer.changes)


@pytest.mark.slow
def test_replayed_runaway_copy_of_the_evidence_is_capped(openai_assistant, fake):
    # The 0.5B copied the evidence list line by line until max_tokens ("finish_reason": "length").
    answer, _ = replay(openai_assistant, fake, "q05-sejm-vote")
    assert "413" in answer.answer and not answer.abstained
    assert len(answer.sentences) <= openai_assistant.settings.max_answer_sentences
    assert "agreement that bans" not in answer.answer, "the unfinished last line is never shown"
    assert all(s.citations for s in answer.sentences)


@pytest.mark.slow
def test_replayed_order_question_is_answered_by_the_tracker_without_the_model(openai_assistant, fake):
    # The 0.5B answered with cabinet decisions; an order of votes is the withdrawal tracker's.
    answer, calls = replay(openai_assistant, fake, "q05-parliaments-list")
    assert calls == 0
    assert [c for c in ("Latvia", "Lithuania", "Estonia", "Finland", "Poland") if c in answer.answer] == ["Latvia", "Lithuania", "Estonia", "Finland", "Poland"]
    assert answer.answer.index("Latvia") < answer.answer.index("Lithuania") < answer.answer.index("Poland")
