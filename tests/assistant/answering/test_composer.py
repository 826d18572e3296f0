"""The composer's reading of a question: its parts, whether it asks for a list, and whether it
states a date or figure the evidence gives otherwise."""

import numpy as np

from assistant.answering.composer import compose, contradicts, is_list, question_parts
from assistant.answering.decompose import item_analysis, part_analysis
from assistant.answering.features import FEATURES, INDEX
from assistant.answering.model import Composition
from assistant.evidence import ScoredSentence
from assistant.query import analyse


def test_a_question_in_two_parts_is_split_at_its_second_question_word():
    parts = question_parts("Which Estonian minister put the bill before the Riigikogu, and what party does he belong to?")
    assert len(parts) == 2
    assert parts[1].startswith("what party")


def test_a_single_question_stays_whole():
    assert question_parts("How many members of the Seimas voted for Lithuania's withdrawal?") == [
        "How many members of the Seimas voted for Lithuania's withdrawal"
    ]


def test_how_much_time_between_two_events_asks_for_the_date_of_each():
    question = "How much time passed between the ministers' joint recommendation and the Saeima's final vote?"
    parts = question_parts(question)
    assert len(parts) == 2
    assert "recommendation" in parts[0] and "Saeima" in parts[1]
    assert [part_analysis(analyse(question), part).answer_type for part in parts] == ["date", "date"]
    # "between" in a clause that asks for no span stays where it was
    assert len(question_parts("What is the shortest allowed gap between Review Conferences?")) == 1


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


def test_a_listed_country_is_matched_on_its_own_name_only():
    question = analyse("List the years in which Estonia, Ukraine and Finland joined the mine ban treaty.")
    estonia = item_analysis(question, "Estonia")
    assert estonia.countries == ["Estonia"]
    assert "estoni" in " ".join(estonia.terms)
    assert not any(t.startswith(("ukrain", "finlan")) for t in estonia.terms)
    assert len(question.countries) == 3  # the question itself is untouched


class _Source:
    def __init__(self, id):
        self.id, self.countries, self.date = id, [], None


class _Chunk:
    def __init__(self, source, lang):
        self.source, self.lang = source, lang


class _Candidate:
    def __init__(self, source_id, lang):
        self.chunk = _Chunk(_Source(source_id), lang)


def _sentence(source_id, text, score, fit, lang="en"):
    features = np.zeros(len(FEATURES))
    features[INDEX["type_fit"]] = fit
    return ScoredSentence(_Candidate(source_id, lang), 0, 0, len(text), text, score, features)


def test_do_the_sources_agree_sets_each_source_side_by_side():
    question = analyse("In which year did Lithuania become a party to the Convention, and do the sources agree?")
    pool = [
        _sentence("a", "Lithuania became a party in 2004.", 0.9, 1.0),
        _sentence("a", "Lithuania's parliament voted in May.", 0.5, 0.0),
        _sentence("b", "Lithuania has been a party since 2003.", 0.2, 1.0),
        _sentence("c", "The treaty bans anti-personnel mines.", 0.15, 0.0),
    ]
    composition = Composition(keep=0.9, floor=0.8, max_sentences=1, max_extended=1, item_floor=0.1, max_items=6)
    chosen = compose(question, pool, composition, lambda part: {})
    texts = [s.text for s in chosen]
    assert texts[0] == "Lithuania became a party in 2004."
    assert "Lithuania has been a party since 2003." in texts  # the other source's year, though ranked low
    assert "The treaty bans anti-personnel mines." not in texts  # a source with no year adds nothing


def test_a_sentence_in_another_language_joins_only_when_nearly_as_likely_as_the_lead():
    question = analyse("Why did Poland leave the Convention?")
    pool = [
        _sentence("a", "Poland cited the worsening security situation.", 0.8, 0.0),
        _sentence("b", "Jako argument wskazywane jest pogorszenie bezpieczeństwa.", 0.5, 0.0, lang="pl"),
        _sentence("c", "The minister said the decision followed the General Staff's analyses.", 0.4, 0.0),
        _sentence("d", "Decyzja wynika z analiz Sztabu Generalnego.", 0.75, 0.0, lang="pl"),
    ]
    pool.sort(key=lambda s: -s.score)
    composition = Composition(keep=0.3, floor=0.1, max_sentences=4, max_extended=4, item_floor=0.1, max_items=6,
                              other_language_keep=0.9)
    texts = [s.text for s in compose(question, pool, composition, lambda part: {})]
    assert "The minister said the decision followed the General Staff's analyses." in texts  # same language, lower score
    assert "Jako argument wskazywane jest pogorszenie bezpieczeństwa." not in texts  # Polish, well under the lead
    assert "Decyzja wynika z analiz Sztabu Generalnego." in texts  # Polish, but nearly as likely as the lead


def test_each_part_of_a_question_gets_a_sentence_of_its_own():
    question = analyse("Who chaired the meeting, and what precedent did she point out?")
    lead = _sentence("a", "Ms Ichikawa, who chairs the meeting, regretted the notices.", 0.9, 1.0)
    other = _sentence("a", "She said efforts must be redoubled.", 0.3, 0.0)
    precedent = _sentence("a", "She noted this is the first time any State Party has withdrawn.", 0.2, 0.0)
    pool = [lead, other, precedent]
    # The second part's own wording still rates the lead first: the whole question's names pull it up.
    second = {id(lead.candidate): 0.8, id(precedent.candidate): 0.5, id(other.candidate): 0.1}

    def rescore(part):
        if "precedent" in part.text:
            return {(cid, 0): score for cid, score in second.items()}
        return {(id(lead.candidate), 0): 0.9}

    composition = Composition(keep=0.9, floor=0.2, max_sentences=1, max_extended=1, item_floor=0.1, max_items=6)
    texts = [s.text for s in compose(question, pool, composition, rescore)]
    assert texts[0] == lead.text
    assert precedent.text in texts  # the second part's best sentence not already in the answer
    assert other.text not in texts
