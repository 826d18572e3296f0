"""Follow-ups are searched with what the conversation was about — the earlier questions and the
assistant's own answers — and a question naming its own subject inherits nothing."""

import pytest

from assistant.answer import Turn
from assistant.conversation import accepts, condense, resolve


def turns(*pairs: str) -> list[Turn]:
    """user, assistant, user, assistant, … in order."""
    return [Turn(role="user" if i % 2 == 0 else "assistant", content=text) for i, text in enumerate(pairs)]


HISTORY = turns(
    "When did Lithuania deliver its withdrawal notice to the UN Secretary-General?",
    "On 27 June 2025 [1].",
)


def test_no_history_no_change():
    assert condense("And when did it take effect?", []) == "And when did it take effect?"


def test_country_it_refers_to_the_country_last_asked_about():
    query = condense("And when did it take effect?", HISTORY)
    assert query.startswith("And when did it take effect?")
    assert "Lithuania" in query


def test_the_country_refers_to_the_country_in_focus_even_beside_another_name():
    history = turns("How many members of the Seimas voted for Lithuania's withdrawal?", "107 members voted for it [1].")
    assert "Lithuania" in resolve("When did the country notify the UN?", history).subject


def test_person_named_only_in_the_answer_is_who_he_is():
    history = turns(
        "Who announced the decision at the press conference?",
        "Foreign Minister Kestutis Budrys announced it on Friday [1]. The ministry confirmed it later [2].",
    )
    resolved = resolve("What did he say had to happen next?", history)
    assert "Budrys" in resolved.subject


def test_she_keeps_the_person_across_two_follow_ups():
    history = turns(
        "Who leads the campaign against landmines?",
        "Director Maria Novak leads the campaign [1].",
        "What did she say about the new factories?",
        "She called them a serious setback [1].",
    )
    assert "Novak" in resolve("And how did she react to the vote?", history).subject


def test_a_wrong_person_in_an_answer_does_not_replace_the_one_asked_about():
    history = turns(
        "Who leads the campaign against landmines?",
        "Director Maria Novak leads the campaign [1].",
        "What did she say about the new factories?",
        "Defence Minister Jonas Petraitis signed the letter [1].",
    )
    assert resolve("And how did she react to the vote?", history).subject[:1] == ["Novak"]


def test_a_group_of_countries_is_the_questions_own_country_subject():
    history = turns(
        "Who leads the campaign against landmines?",
        "Director Maria Novak leads the campaign [1].",
        "What did she say about Poland's plans to make mines?",
        "She said production would take a long time to start [1].",
    )
    resolved = resolve("And how did she react when the Baltic states filed their withdrawals?", history)
    assert "Novak" in resolved.subject
    assert "Poland" not in resolved.subject


def test_body_there_refers_to_the_parliament_last_asked_about():
    history = turns("How many members of the Saeima voted for the bill?", "66 members voted for it [1].")
    resolved = resolve("And who abstained there?", history)
    assert "saeima" in [s.lower() for s in resolved.subject]


def test_document_follow_up_carries_the_document_code():
    history = turns("What does government proposal HE 56/2025 ask Parliament to do?", "To consent to the denunciation [1].")
    resolved = resolve("When would that take effect?", history)
    assert "HE 56/2025" in resolved.subject


def test_what_about_swaps_the_country():
    history = turns("When did Lithuania's parliament vote to leave the convention?", "On 15 May [1].")
    query = condense("And what about Latvia?", history)
    assert "Latvia" in query and "Lithuania" not in query
    assert "parliament vote to leave" in query


def test_the_same_for_swaps_the_country():
    history = turns("How many members of Estonia's parliament voted for withdrawal?", "75 members [1].")
    query = condense("The same for Poland?", history)
    assert "Poland" in query and "Estonia" not in query


def test_what_about_a_thing_adds_it_to_the_previous_question():
    history = turns("What does Article 20 say about withdrawal?", "It takes effect six months after [1].")
    query = condense("What about Article 19?", history)
    assert "Article 19" in query and "withdrawal" in query


@pytest.mark.parametrize(
    "question",
    [
        "How many members of the Seimas voted for the withdrawal?",
        "When did Finland's parliament approve leaving the convention?",
        "What did Antonio Guterres say about the withdrawals?",
    ],
)
def test_question_naming_its_own_subject_inherits_nothing(question):
    history = turns("Which Estonian minister presented the bill to the Riigikogu?", "Foreign Minister Margus Tsahkna [1].")
    assert condense(question, history) == question


def test_few_words_of_its_own_get_the_earlier_topic():
    history = turns("Which parliamentary committee approved the Seimas decision?", "The National Security and Defence Committee [1].")
    resolved = resolve("And who abstained?", history)
    assert "committee" in resolved.topic or "approved" in resolved.topic


def test_an_llm_rewrite_must_keep_the_questions_own_names():
    question = "And what did Poland decide?"
    assert accepts(question, "What did Poland decide about the Ottawa Convention?")
    assert not accepts(question, "What did Lithuania decide about the Ottawa Convention?")
    assert not accepts(question, "")
    assert not accepts("What did Margus Tsahkna say?", "What did the Estonian foreign minister say?")


def test_a_follow_up_searches_the_document_the_last_answer_cited():
    history = [
        Turn(role="user", content="What did the Finnish Parliament adopt together with the withdrawal?"),
        Turn(role="assistant", content="A resolution on mine action [1].", sources=["parliament-report"]),
    ]
    assert resolve("Did the lawmakers promise anything more about it?", history).sources == ["parliament-report"]
    # A question about something new starts afresh, without the old document.
    assert resolve("How many members of the Seimas voted for leaving?", history).sources == []
