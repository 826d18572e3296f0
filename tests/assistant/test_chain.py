"""The assistant's pipeline with an LLM backend: its condensation of a follow-up is used only
when it keeps what the question itself names (a fake LLM server speaks the real protocol)."""

from __future__ import annotations

import pytest

from assistant.answer import Turn
from assistant.chain import Assistant
from assistant.fakes import FakeLLMServer

pytestmark = pytest.mark.slow

HISTORY = [
    Turn(role="user", content="When did Lithuania's parliament vote to leave the Ottawa Convention?"),
    Turn(role="assistant", content="The Seimas voted on 15 May 2025 [1]."),
]


@pytest.fixture
def llm_assistant(corpus_settings):
    with FakeLLMServer() as server:
        yield Assistant(corpus_settings.model_copy(update={"generator": "openai", "llm_base_url": server.openai_url})), server


def test_a_condensation_that_keeps_the_questions_names_is_used(llm_assistant):
    assistant, fake = llm_assistant
    fake.push("When did Latvia's parliament vote to leave the Ottawa Convention?", "The sources don't say.")
    answer = assistant.ask("And what about Latvia?", history=HISTORY)
    assert answer.query == "When did Latvia's parliament vote to leave the Ottawa Convention?"


def test_a_condensation_that_drops_the_questions_names_is_rejected(llm_assistant):
    assistant, fake = llm_assistant
    # The model swapped the country back: the rule-based rewrite is searched instead.
    fake.push("When did Lithuania's parliament vote to leave the Ottawa Convention?", "The sources don't say.")
    answer = assistant.ask("And what about Latvia?", history=HISTORY)
    assert "Latvia" in answer.query and "Lithuania" not in answer.query
