"""Follow-ups are searched with the conversation's subject; standalone questions are untouched."""

from assistant.answer import Turn
from assistant.conversation import condense

HISTORY = [
    Turn(role="user", content="When did Lithuania deliver its withdrawal notice to the UN Secretary-General?"),
    Turn(role="assistant", content="On 27 June 2025 [1]."),
]


def test_follow_up_inherits_the_subject():
    query = condense("And when did it take effect?", HISTORY)
    assert query.startswith("And when did it take effect?")
    assert "Lithuania" in query


def test_standalone_question_is_unchanged():
    question = "How many members of the Seimas voted for the withdrawal?"
    assert condense(question, HISTORY) == question


def test_no_history_no_change():
    assert condense("And when did it take effect?", []) == "And when did it take effect?"
