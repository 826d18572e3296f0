"""The ranker's features of a (question, sentence) pair, read on a small real passage."""

import numpy as np

from assistant.answering.features import INDEX, featurize
from assistant.query import analyse
from assistant.retriever import Candidate
from ingest.documents import Chunk, SourceMeta

_TEXT = ("Poland's minister praised the step. He told reporters that Finland was also considering such a decision. "
         "Lithuania's parliament voted on 16 April.")


def _rows(question: str, text: str = _TEXT, openings: tuple[str, ...] = ("He told", "Lithuania's")):
    starts = [0, *(text.index(opening) for opening in openings)]
    spans = tuple(zip(starts, [*starts[1:], len(text)]))
    chunk = Chunk(source=SourceMeta(id="s", title="A report"), text=text, start=0, end=len(text), heading="", sentences=spans)
    candidate = Candidate(chunk=chunk, dense=0.5, keyword=1.0, fused=0.03)
    return [row for _, _, row in featurize(analyse(question), np.zeros(3), [candidate], {"finland": 1.0})]


def test_a_sentence_about_another_country_counts_against_it():
    rows = _rows("What did Poland's minister say about the step?")
    assert rows[2][INDEX["other_country"]] == 1.0  # Lithuania's vote: another country's news


def test_a_question_asking_which_other_country_wants_another_country_named():
    rows = _rows("What did Poland's minister say, and which other country was considering the same step?")
    assert rows[1][INDEX["other_country"]] == 0.0  # "Finland was also considering": the answer


def test_a_sentence_going_on_about_the_asked_person_by_office_or_pronoun_is_marked():
    text = ("Defence Minister Anna Kowal presented the bill. The defence minister stressed that allies had been consulted. "
            "She said the vote would follow. Kowal thanked the committee. The committee met on Monday.")
    openings = ("The defence minister", "She said", "Kowal thanked", "The committee")
    rows = _rows("What did Kowal say the decision was based on?", text, openings)
    assert [row[INDEX["refers_to_named"]] for row in rows] == [0.0, 1.0, 1.0, 0.0, 0.0]
    unnamed = _rows("What was the decision based on?", text, openings)
    assert not any(row[INDEX["refers_to_named"]] for row in unnamed), "no person asked about, no one to refer to"
