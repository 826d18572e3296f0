"""The questions the product itself offers (the UI's example chips, the README's examples) get an
answer whose first sentence carries the asked-for fact for the asked-for subject."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

# question -> (what the first sentence must carry, the subject it must be about)
EXAMPLES = {
    "When did Lithuania's withdrawal from the Ottawa Convention take effect?": (("27 December",), ("Lithuania", "Lietuv")),
    "How many members of the Saeima voted for leaving the convention?": (("66", "68"), ("Saeima",)),
    "What does Article 20 say about withdrawal?": (("withdraw",), ("withdraw",)),
    "Which countries announced plans to withdraw on 18 March 2025?": (("Lithuania", "Latvia", "Estonia", "Poland", "Polish", "Baltic"), ("18 March",)),
    "When did the Finnish Parliament approve the withdrawal?": (("19 June",), ("Finland", "Finnish", "Eduskunta", "Parliament")),
    "How many members of the Seimas voted for Lithuania's withdrawal?": (("107",), ("Seimas", "Lithuania")),
    "What does Article 20 say?": (("withdraw",), ("withdraw",)),
    # No source states the day Finland's exit took effect: the instrument and the six-month rule do.
    "When did Finland leave?": (("six months", "10 July", "2026"), ("Finland", "Suomi")),
}


def test_the_offered_examples_are_all_covered():
    from ui import EXAMPLES as UI_EXAMPLES

    assert set(UI_EXAMPLES) <= set(EXAMPLES)


@pytest.mark.parametrize("question", list(EXAMPLES))
def test_first_sentence_carries_the_asked_for_fact(assistant, question):
    fact, subject = EXAMPLES[question]
    answer = assistant.ask(question)
    assert not answer.abstained, answer.answer
    first = answer.sentences[0]
    # The subject may be named by the cited passage's source or heading ("66 members voted …"
    # in a report on the Saeima).
    quoted = " ".join(f"{c.quote} {c.title} {c.heading}" for c in answer.citations if c.n in first.citations)
    assert any(f.casefold() in first.text.casefold() for f in fact), f"{question!r} → {first.text!r}"
    assert any(s.casefold() in f"{first.text} {quoted}".casefold() for s in subject), f"{question!r} → {first.text!r}"
