"""Questions in any language get an answer from the corpus: in a language the corpus lacks, in
English with a one-line note; never a refusal in a third language."""

from __future__ import annotations

import pytest

from assistant.answer import ABSTAIN_MESSAGES, Turn
from ingest.language import detect

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Когда Литва вышла из Оттавской конвенции?", "Russian"),
        ("Wann ist Litauen aus dem Ottawa-Übereinkommen ausgetreten?", "German"),
    ],
)
def test_uncovered_language_gets_an_english_answer_with_a_note(assistant, question, language):
    answer = assistant.ask(question)
    first, *rest = answer.sentences
    assert language in first.text and "English" in first.text
    assert rest, "the note is followed by an answer"
    body = " ".join(s.text for s in rest)
    assert detect(body) == "en"
    assert not any(message in answer.answer for lang, message in ABSTAIN_MESSAGES.items() if lang != "en")


def test_a_latvian_question_finds_an_english_only_passage(assistant):
    # The vote's details (who did not take part) are only in an English report.
    answer = assistant.ask("Kuri Saeimas deputāti nepiedalījās balsojumā par izstāšanos no Otavas konvencijas?")
    assert not answer.abstained
    lead = answer.sentences[0]
    assert "Teirumnieks" in lead.text, "the answer opens with who did not take part"
    assert [c.language for c in answer.citations if c.n in lead.citations] == ["en"]


def test_what_about_another_country_searches_for_that_country(assistant):
    first = "When did Lithuania's parliament vote to leave the Ottawa Convention?"
    answer = assistant.ask(first)
    history = [Turn(role="user", content=first), Turn(role="assistant", content=answer.answer)]
    follow_up = assistant.ask("And what about Latvia?", history=history)
    assert "Latvia" in follow_up.query and "Lithuania" not in follow_up.query
    assert any("Latvia" in c.title or "Saeima" in c.quote for c in follow_up.citations)


@pytest.mark.parametrize(
    "question",
    [
        "Which Sejm clubs backed further work on the bill to denounce the Ottawa Convention?",
        "Kiedy Prezydent RP wypowiedział konwencję ottawską?",
    ],
)
def test_each_citation_names_the_language_of_its_passage(assistant, question):
    answer = assistant.ask(question)
    assert answer.citations
    for citation in answer.citations:
        assert citation.language == detect(citation.quote, default=citation.language)


def test_a_passage_language_is_named_unless_english():
    from ingest.language import passage_language

    assert passage_language("pl") == "in Polish"
    assert passage_language("en") == ""
