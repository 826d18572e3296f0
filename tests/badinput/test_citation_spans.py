"""Property: whatever is asked, every citation quotes its source exactly: quote ==
source text[start:end], and every [n] in the answer names a citation of that answer."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.chain import Assistant
from ingest.source_texts import SourceTexts

pytestmark = [pytest.mark.badinput, pytest.mark.slow]

# Words of the small store (so many questions do find passages), other languages, and noise.
WORDS = ("withdrawal withdraw Convention Depositary Article 20 six months notice Saeima Latvia Seimas Lithuania "
         "Šakalienė pasitraukė konvencijos Secretary-General United Nations vote parliament border civilians risk "
         "when who how many what why 1997 2025 effective duration unlimited right State Party").split()
questions = st.one_of(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join).map(lambda q: q + "?"),
    st.text(min_size=1, max_size=200).filter(lambda q: q.strip()),
)


@pytest.fixture(scope="module")
def assistant(small_store):
    return Assistant(small_store)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(question=questions)
def test_every_citation_quotes_its_source_exactly(assistant, small_store, question: str):
    answer = assistant.ask(question)
    texts = SourceTexts(small_store.index_dir)
    numbers = {c.n for c in answer.citations}
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for citation in answer.citations:
        text = texts.load(citation.source_id).text
        assert 0 <= citation.start < citation.end <= len(text)
        assert text[citation.start:citation.end] == citation.quote
    for sentence in answer.sentences:
        assert set(sentence.citations) <= numbers
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)} <= numbers
