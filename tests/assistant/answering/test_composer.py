"""The composer's reading of a question: its parts, whether it asks for a list, and whether it
states a date or figure the evidence gives otherwise."""

from assistant.answering.composer import contradicts, is_list, question_parts
from assistant.query import analyse


def test_a_question_in_two_parts_is_split_at_its_second_question_word():
    parts = question_parts("Which Estonian minister put the bill before the Riigikogu, and what party does he belong to?")
    assert len(parts) == 2
    assert parts[1].startswith("what party")


def test_a_single_question_stays_whole():
    assert question_parts("How many members of the Seimas voted for Lithuania's withdrawal?") == [
        "How many members of the Seimas voted for Lithuania's withdrawal"
    ]


def test_lists_orders_and_comparisons_across_countries_are_recognised():
    assert is_list(analyse("In what order did the three Baltic parliaments approve leaving the Convention?"))
    assert is_list(analyse("List the vote tallies in each national parliament that voted on leaving."))
    assert is_list(analyse("Timeline of Estonia's exit"))
    assert is_list(analyse("Did Latvia and Lithuania notify the UN on the same day?"))
    assert not is_list(analyse("When did Latvia notify the UN?"))


def test_a_stated_date_that_the_evidence_gives_otherwise_is_a_contradiction():
    question = analyse("Why did Finland sign the 18 March 2025 joint statement with Poland and the Baltic states?")
    assert contradicts(question, "Finland announced on 1 April 2025 that it would leave the Convention.")
    assert not contradicts(question, "On 18 March 2025 the four defence ministers recommended leaving.")


def test_a_stated_count_that_the_evidence_gives_otherwise_is_a_contradiction():
    question = analyse("Why did 68 members of the Seimas vote against the withdrawal?")
    assert contradicts(question, "No member voted against; 107 voted for and 3 abstained.")
    assert not contradicts(analyse("When was the Convention adopted?"), "It was adopted on 18 September 1997.")
