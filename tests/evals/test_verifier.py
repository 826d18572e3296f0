"""The verifier measured as a classifier (`python -m evals verifier`) on pairs from the dev +
train passages: the held-out figures it must reach, and the command prints them."""

import re

import pytest

from evals.__main__ import main
from evals.dataset import default_questions, development_sets, load_all

pytestmark = pytest.mark.slow


def test_held_out_precision_and_recall_on_unsupported_sentences(corpus_settings):
    from assistant.chain import Assistant
    from evals.verifier import build_pairs, cross_validate

    pairs = build_pairs(Assistant(corpus_settings), load_all(development_sets()))
    kinds = {p.kind for p in pairs}
    assert {"verbatim", "swapped figure", "wrong country", "invented event", "another source's claim"} <= kinds
    held_out, _ = cross_validate(pairs)
    assert held_out["precision"] >= 0.95 and held_out["recall"] >= 0.9, held_out


def test_the_command_prints_the_held_out_figures(corpus_settings, capsys):
    assert main(["verifier", "--questions", str(default_questions()), "--store", str(corpus_settings.store)]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"held-out .*precision on unsupported \d\.\d{3}, recall \d\.\d{3}", printed)
