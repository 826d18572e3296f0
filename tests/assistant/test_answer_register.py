"""Answers quote what the sources state, never notes about the documents: over every dev and
train question, no answer sentence is a dateline, a byline or a note about the stored copy."""

from __future__ import annotations

import pytest

from assistant.answer import Turn
from evals.dataset import development_sets, load_all
from tests.corpus.test_corpus import SELF_REFERENCE

pytestmark = pytest.mark.slow


def test_no_answer_quotes_a_note_about_a_document(assistant, corpus_settings):
    from ingest.source_texts import SourceTexts

    texts = SourceTexts(corpus_settings.index_dir)
    histories: dict[str, list[Turn]] = {}
    offending = []
    for question in load_all(development_sets()):
        history = histories.setdefault(question.conversation, []) if question.conversation else []
        answer = assistant.ask(question.question, history=list(history))
        if question.conversation:
            history += [Turn(role="user", content=question.question), Turn(role="assistant", content=answer.answer)]
        for citation in answer.citations:
            meta = texts.load(citation.source_id).meta
            # A byline such as "TASS" may well be named by the source's own reporting ("TASS
            # reported that …"); the dateline and the notes about the copy never belong in a quote.
            about = [p for p in (meta.dateline, *meta.notes) if p]
            if SELF_REFERENCE.search(citation.quote) or any(note in citation.quote for note in about):
                offending.append((question.id, citation.quote[:100]))
    assert not offending, f"answers quoting notes about a document: {offending[:5]}"
