"""The question-level signals the abstention decision is fitted on."""

import numpy as np

from assistant.answering.abstention import ABSTENTION_FEATURES, question_features
from assistant.answering.features import FEATURES, INDEX
from assistant.evidence import ScoredSentence
from assistant.query import analyse


class _Chunk:
    def __init__(self, text):
        self.text = text

    def embedding_text(self):
        return self.text


class _Candidate:
    def __init__(self, text):
        self.chunk = _Chunk(text)


def _pool(*sentences):
    pool = []
    for text, score, fit in sentences:
        features = np.zeros(len(FEATURES))
        features[INDEX["type_fit"]] = fit
        pool.append(ScoredSentence(_Candidate(text), 0, 0, len(text), text, score, features))
    return pool


def _row(question, pool):
    return dict(zip(ABSTENTION_FEATURES, question_features(analyse(question), pool, None)))


def test_a_name_question_counts_only_sentences_that_name_someone_new():
    pool = _pool(("The President of the Republic of Poland denounced the Convention on 5 August.", 0.8, 0.0),
                 ("The speaker said they were gravely alarmed.", 0.5, 0.0))
    row = _row("What is the name of the Polish president who denounced the Convention?", pool)
    assert row["name_best"] == 0.0  # every capitalised word is the question's own
    named = _pool(("Karol Nawrocki, the President, signed it.", 0.4, 0.0))
    assert _row("Who signed the denunciation?", named)["name_best"] == 0.4


def test_a_when_question_counts_only_sentences_that_carry_a_date():
    pool = _pool(("The government approved the proposal.", 0.7, 0.0), ("It was approved on 8 May 2025.", 0.3, 1.0))
    assert _row("When did the government approve the proposal?", pool)["typed_best"] == 0.3
    assert _row("Why did the government approve the proposal?", pool)["typed_best"] == 0.7


def test_a_decline_names_no_subject_after_words_every_passage_shares():
    from assistant.answering.abstention import lacking
    from ingest.keyword_index import KeywordIndex

    texts = ["The mine ban convention holds.", "A mine ban was agreed.", "A mine ban debate in Estonia.", "Latvia left."]
    index = KeywordIndex.build(["a", "b", "c", "d"], texts, fingerprint="fp")
    assert lacking(analyse("On what date did the Mine Ban Convention enter into force?"), [], index) == (
        "The sources give no date that answers this.")
    assert "Estonia" in lacking(analyse("On what date did Estonia's Mine Ban withdrawal take effect?"), [], index)
