"""The ranker's features read generic properties of a question and a sentence: here, whether a
question about what someone said meets a sentence that reports what someone said."""

import numpy as np

from assistant.answering.features import INDEX, featurize
from assistant.query import analyse
from assistant.retriever import Candidate
from ingest.documents import Chunk, SourceMeta

SPOKE = "The director said the decision showed remarkably bad faith."
FACT = "The notice reached the depositary in the last week of June."


def speech_feature(question: str) -> dict[str, float]:
    text = f"{SPOKE} {FACT}"
    split = len(SPOKE)
    chunk = Chunk(source=SourceMeta(id="news", title="A report"), text=text, start=0, end=len(text), heading="The reaction",
                  sentences=((0, split), (split + 1, len(text))))
    analysis = analyse(question)
    rows = featurize(analysis, np.zeros(3), [Candidate(chunk, dense=0.5, keyword=1.0, fused=0.1)], {t: 1.0 for t in analysis.terms})
    return {chunk.text[chunk.sentences[i][0] : chunk.sentences[i][1]]: row[INDEX["asks_view_reports_speech"]] for _, i, row in rows}


def test_a_question_about_a_reaction_marks_the_sentence_that_reports_speech():
    marked = speech_feature("And how did she react when the notices were filed?")
    assert marked == {SPOKE: 1.0, FACT: 0.0}


def test_a_question_about_a_plain_fact_marks_no_sentence():
    assert set(speech_feature("Which office received the notice?").values()) == {0.0}
