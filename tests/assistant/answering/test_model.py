"""The answer model file: read back as written, refused with a clear message when it does not
fit this build, and rebuilt byte for byte from the same data by `python -m evals train`."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from assistant.answering.model import AnswerModel, load_model, shipped_model_path
from desk.errors import ConfigError
from evals.training import RANKER_C_GRID


def test_the_shipped_model_loads_and_round_trips():
    model = load_model()
    assert AnswerModel.from_json(model.to_json()) == model
    assert model.trained_on["questions"] > 200
    assert 0.0 < model.answer_threshold < 1.0
    assert model.trained_on["ranker_c"] in RANKER_C_GRID  # the regularisation was chosen, not set


def test_a_model_for_other_features_is_refused_with_the_rebuild_command():
    model = load_model()
    other = dataclasses.replace(model, ranker=dataclasses.replace(model.ranker, features=("semantic",)))
    with pytest.raises(ConfigError, match="python -m evals train"):
        AnswerModel.from_json(other.to_json())


def test_the_ranker_prefers_a_sentence_that_matches_the_question():
    model = load_model()
    names = model.ranker.features
    weak, strong = np.zeros(len(names)), np.zeros(len(names))
    for row, value in ((weak, 0.1), (strong, 0.7)):
        row[names.index("semantic")] = value
        row[names.index("lexical")] = value
    assert model.ranker.probabilities(np.stack([weak, strong]))[:, None].argmax() == 1


@pytest.mark.slow
def test_rebuilding_from_the_same_data_gives_the_same_file(corpus_settings):
    from evals.dataset import development_sets, load_all
    from evals.training import train

    # corpus_settings is a store built afresh from corpus/: the shipped file, byte for byte.
    rebuilt = train(corpus_settings, load_all(development_sets()), progress=False)
    assert rebuilt.to_json() == shipped_model_path().read_text(encoding="utf-8")
